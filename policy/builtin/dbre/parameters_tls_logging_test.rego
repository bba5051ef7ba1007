package dbre.builtin.parameters_tls_logging

import data.dbre.mock
import rego.v1

test_parameter_set_ssl_off_denied if {
	r := mock.create("dbre_parameter_set", "main", {"server_id": "s", "parameters": {"ssl": "off", "work_mem": "64MB", "log_connections": "on"}})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"parameters.ssl"}
}

test_parameter_set_weak_tls_and_no_logging_denied if {
	r := mock.create("dbre_parameter_set", "main", {"parameters": {"ssl_min_protocol_version": "TLSv1.1", "log_connections": "OFF"}})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"parameters.ssl_min_protocol_version", "parameters.log_connections"}
}

test_azurerm_configuration_denied if {
	pg := mock.create("azurerm_postgresql_flexible_server_configuration", "tls", {"name": "require_secure_transport", "value": "off", "server_id": "s"})
	my := mock.create("azurerm_mysql_flexible_server_configuration", "tls", {"name": "tls_version", "value": "TLSv1,TLSv1.2", "server_id": "s"})
	fs := deny with data.dbre.plan as mock.plan([pg, my])
	{f.address | some f in fs} == {pg.address, my.address}
}

test_safe_parameters_pass if {
	r := mock.create("dbre_parameter_set", "main", {"parameters": {"ssl": "on", "ssl_min_protocol_version": "TLSv1.2", "log_connections": "on", "require_secure_transport": "ON"}})
	c := mock.create("azurerm_postgresql_configuration", "lc", {"name": "log_connections", "value": "on"})
	o := mock.create("azurerm_postgresql_flexible_server_configuration", "wm", {"name": "log_min_duration_statement", "value": "0"})
	count(deny) == 0 with data.dbre.plan as mock.plan([r, c, o])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r, c, o])
}

test_unknown_parameter_value_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_parameter_set", "main", {"parameters": {"work_mem": "4MB"}}), ["parameters.ssl", "parameters.work_mem"])
	c := mock.with_unknown(mock.create("azurerm_postgresql_flexible_server_configuration", "lc", {"name": "log_connections"}), ["value"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r, c])
	fs := indeterminate with data.dbre.plan as mock.plan([r, c])
	{f.attribute | some f in fs} == {"parameters.ssl", "value"}
}

test_unknown_parameter_map_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_parameter_set", "main", {"server_id": "s"}), ["parameters"])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
