package dbre.builtin.az_geo_redundant_backup

import data.dbre.mock
import rego.v1

test_local_backups_warned if {
	a := mock.create("azurerm_postgresql_flexible_server", "a", {"geo_redundant_backup_enabled": false})
	b := mock.create("azurerm_mysql_server", "b", {"geo_redundant_backup_enabled": null})
	c := mock.create("azurerm_mssql_database", "c", {"storage_account_type": "Local"})
	fs := warn with data.dbre.plan as mock.plan([a, b, c])
	{f.address | some f in fs} == {a.address, b.address, c.address}
}

test_geo_backups_pass if {
	a := mock.create("azurerm_postgresql_flexible_server", "a", {"geo_redundant_backup_enabled": true})
	c := mock.create("azurerm_mssql_database", "c", {"storage_account_type": "GeoZone"})
	d := mock.create("azurerm_mssql_database", "d", {"storage_account_type": null})
	count(warn) == 0 with data.dbre.plan as mock.plan([a, c, d])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([a, c, d])
}

test_unknown_geo_backup_indeterminate if {
	r := mock.with_unknown(mock.create("azurerm_mariadb_server", "m", {}), ["geo_redundant_backup_enabled"])
	count(warn) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}
