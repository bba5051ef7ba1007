package dbre.builtin.az_entra_only_auth

import data.dbre.mock
import rego.v1

test_sql_server_without_entra_admin_denied if {
	r := mock.create("azurerm_mssql_server", "sql", {"azuread_administrator": []})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"azuread_administrator.0.azuread_authentication_only"}
}

test_flexible_server_with_passwords_denied if {
	r := mock.create("azurerm_postgresql_flexible_server", "pg", {"authentication": [{"active_directory_auth_enabled": true, "password_auth_enabled": true}]})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"authentication.0.password_auth_enabled"}
}

test_entra_only_passes if {
	a := mock.create("azurerm_mssql_server", "sql", {"azuread_administrator": [{"login_username": "dba", "azuread_authentication_only": true}]})
	b := mock.create("azurerm_postgresql_flexible_server", "pg", {"authentication": [{"active_directory_auth_enabled": true, "password_auth_enabled": false}]})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b])
}

test_unknown_authentication_block_indeterminate if {
	r := mock.with_unknown(mock.create("azurerm_postgresql_flexible_server", "pg", {}), ["authentication"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	count(fs) == 2
}
