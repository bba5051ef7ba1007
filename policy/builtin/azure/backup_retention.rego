# Point-in-time restore only reaches back as far as backups are kept; a week is the least that
# covers a problem noticed after a weekend.
package dbre.builtin.az_backup_retention

import data.dbre.lib
import rego.v1

_min_days := 7

# Retention attribute per type; unset means Azure's default of 7 days.
_info := {t: lib.path_info(p) | some t, p in _path}

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

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	path := _path[r.type]
	days := lib.value_at(r, _info[r.type])
	is_number(days)
	days < _min_days
	f := lib.finding(r, path, sprintf("%s: %s is %v; keep backups at least %d days", [r.address, path, days, _min_days]))
}

indeterminate contains f if {
	some r in _planned
	path := _path[r.type]
	lib.unknown_at(r, _info[r.type])
	f := lib.unknown_finding(r, path, "the backup retention")
}
