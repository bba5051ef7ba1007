package dbre.builtin.az_public_network_access

import data.dbre.mock
import rego.v1

test_public_flexible_server_denied if {
	r := mock.create("azurerm_postgresql_flexible_server", "db", {"name": "db", "public_network_access_enabled": true})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"public_network_access_enabled"}
}

test_unset_on_mssql_server_defaults_to_public if {
	r := mock.create("azurerm_mssql_server", "sql", {"name": "sql", "public_network_access_enabled": null})
	fs := deny with data.dbre.plan as mock.plan([r])
	some f in fs
	contains(f.msg, "default is true")
}

test_managed_instance_public_endpoint_denied if {
	r := mock.create("azurerm_mssql_managed_instance", "mi", {"public_data_endpoint_enabled": true})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_private_servers_pass if {
	a := mock.create("azurerm_postgresql_flexible_server", "a", {"public_network_access_enabled": false})
	b := mock.create("azurerm_mssql_server", "b", {"public_network_access_enabled": false})
	c := mock.create("azurerm_mssql_managed_instance", "c", {"public_data_endpoint_enabled": null})
	d := mock.create("azurerm_mysql_flexible_server", "d", {"public_network_access_enabled": null})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b, c, d])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b, c, d])
}

test_unknown_public_access_indeterminate if {
	r := mock.with_unknown(mock.create("azurerm_mysql_flexible_server", "db", {"name": "db"}), ["public_network_access_enabled"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
