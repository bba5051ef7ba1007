package dbre.builtin.az_backup_retention

import data.dbre.mock
import rego.v1

test_short_retention_denied if {
	a := mock.create("azurerm_mysql_flexible_server", "a", {"backup_retention_days": 1})
	b := mock.create("azurerm_mssql_database", "b", {"short_term_retention_policy": [{"retention_days": 3}]})
	fs := deny with data.dbre.plan as mock.plan([a, b])
	{f.attribute | some f in fs} == {"backup_retention_days", "short_term_retention_policy.0.retention_days"}
}

test_week_or_default_passes if {
	a := mock.create("azurerm_postgresql_flexible_server", "a", {"backup_retention_days": 7})
	b := mock.create("azurerm_postgresql_server", "b", {"backup_retention_days": null})
	c := mock.create("azurerm_mssql_database", "c", {"short_term_retention_policy": []})
	count(deny) == 0 with data.dbre.plan as mock.plan([a, b, c])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, b, c])
}

test_unknown_retention_indeterminate if {
	r := mock.with_unknown(mock.create("azurerm_mssql_database", "d", {}), ["short_term_retention_policy"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
