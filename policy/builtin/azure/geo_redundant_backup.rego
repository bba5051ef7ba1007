# Locally redundant backups are lost with the region. Geo-redundant backup storage can only be
# chosen when the server is created, so the plan is the place to catch it. Reported as a warning:
# it costs more and is not offered in every region, so it is a recommendation, not a gate.
package dbre.builtin.az_geo_redundant_backup

import data.dbre.lib
import rego.v1

_flag_types := [
	"azurerm_postgresql_flexible_server",
	"azurerm_postgresql_server",
	"azurerm_mysql_flexible_server",
	"azurerm_mysql_server",
	"azurerm_mariadb_server",
]

_servers := lib.planned(_flag_types)

_databases := lib.planned(["azurerm_mssql_database"])

# azurerm_mssql_database: backup storage redundancy, default "Geo".
_local_storage := {"local", "zone"}

metadata := {
	"id": "DBRE-AZ-004",
	"severity": "medium",
	"title": "Geo-redundant backups for Azure databases",
	"description": "Azure database servers should keep geo-redundant backups (geo_redundant_backup_enabled = true; storage_account_type Geo or GeoZone for SQL databases); this can only be set at creation.",
	"resource_types": array.concat(_flag_types, ["azurerm_mssql_database"]),
}

warn contains f if {
	some r in _servers
	not r.after.geo_redundant_backup_enabled == true
	not r.unknown.geo_redundant_backup_enabled
	f := lib.finding(r, "geo_redundant_backup_enabled", sprintf(
		"%s: geo_redundant_backup_enabled is not true; backups are lost with the region (and this can only be set when the server is created)",
		[r.address],
	))
}

warn contains f if {
	some r in _databases
	lib.lower_str(r.after.storage_account_type) in _local_storage
	f := lib.finding(r, "storage_account_type", sprintf(
		"%s: storage_account_type = %q keeps backups in one region; use Geo or GeoZone",
		[r.address, lib.value(r, "storage_account_type")],
	))
}

indeterminate contains f if {
	some r in _servers
	r.unknown.geo_redundant_backup_enabled
	f := lib.unknown_finding(r, "geo_redundant_backup_enabled", "whether backups are geo-redundant")
}

indeterminate contains f if {
	some r in _databases
	r.unknown.storage_account_type
	f := lib.unknown_finding(r, "storage_account_type", "whether backups are geo-redundant")
}
