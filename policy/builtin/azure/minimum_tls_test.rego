package dbre.builtin.az_minimum_tls

import data.dbre.mock
import rego.v1

test_mssql_tls_1_0_denied if {
	r := mock.create("azurerm_mssql_server", "sql", {"minimum_tls_version": "1.0"})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"minimum_tls_version"}
}

test_single_server_without_ssl_denied if {
	r := mock.create("azurerm_postgresql_server", "pg", {"ssl_enforcement_enabled": false, "ssl_minimal_tls_version_enforced": "TLSEnforcementDisabled"})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"ssl_enforcement_enabled", "ssl_minimal_tls_version_enforced"}
}

test_tls_1_2_passes if {
	a := mock.create("azurerm_mssql_server", "a", {"minimum_tls_version": "1.2"})
	b := mock.create("azurerm_mysql_server", "b", {"ssl_enforcement_enabled": true, "ssl_minimal_tls_version_enforced": "TLS1_2"})
	c := mock.create("azurerm_cosmosdb_account", "c", {"minimal_tls_version": null})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b, c])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b, c])
}

test_unknown_tls_indeterminate if {
	r := mock.with_unknown(mock.create("azurerm_mssql_server", "sql", {}), ["minimum_tls_version"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
