# Automated backups (and point-in-time restore) only reach back backup_retention_period days;
# 0 turns them off. A week covers a problem noticed after a weekend.
package dbre.builtin.aws_backup_retention

import data.dbre.lib
import rego.v1

_min_days := 7

metadata := {
	"id": "DBRE-AWS-004",
	"severity": "medium",
	"title": "RDS backup retention of at least 7 days",
	"description": "aws_db_instance and aws_rds_cluster must set backup_retention_period >= 7 (AWS defaults to 1 day when it is unset).",
	"resource_types": ["aws_db_instance", "aws_rds_cluster"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	not r.unknown.backup_retention_period
	days := object.get(r.after, "backup_retention_period", null)
	not days >= _min_days
	f := lib.finding(r, "backup_retention_period", sprintf("%s: backup_retention_period is %s; keep backups at least %d days", [r.address, _wording(days), _min_days]))
}

_wording(days) := "not set (AWS keeps 1 day)" if days == null

else := "1 day" if days == 1

else := sprintf("%v days", [days])

indeterminate contains f if {
	some r in _planned
	r.unknown.backup_retention_period
	f := lib.unknown_finding(r, "backup_retention_period", "the backup retention")
}
