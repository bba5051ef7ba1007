# Point-in-time restore only reaches back as far as backups are kept; a week is the least that
# covers a problem noticed after a weekend.
package dbre.builtin.az_backup_retention

import data.dbre.lib
import rego.v1

_min_days := 7

# Retention attribute per type; unset means Azure's default of 7 days.
_path := {
	"azurerm_postgresql_flexible_server": "backup_retention_days",
	"azurerm_postgresql_server": "backup_retention_days",
	"azurerm_mysql_flexible_server": "backup_retention_days",
	"azurerm_mysql_server": "backup_retention_days",
	"azurerm_mariadb_server": "backup_retention_days",
	"azurerm_mssql_database": "short_term_retention_policy.0.retention_days",
}

metadata := {
	"id": "DBRE-AZ-005",
	"severity": "medium",
	"title": "Backup retention of at least 7 days for Azure databases",
	"description": "Azure databases must keep backups for at least 7 days (backup_retention_days; short_term_retention_policy.retention_days for SQL databases).",
	"resource_types": sort(object.keys(_path)),
}

deny contains f if {
	some r in lib.planned(metadata.resource_types)
	path := _path[r.type]
	days := lib.value(r, path)
	is_number(days)
	days < _min_days
	f := lib.finding(r, path, sprintf("%s: backups are kept %v days; keep them at least %d days", [r.address, days, _min_days]))
}

indeterminate contains f if {
	some r in lib.planned(metadata.resource_types)
	path := _path[r.type]
	lib.unknown(r, path)
	f := lib.unknown_finding(r, path, "the backup retention")
}
