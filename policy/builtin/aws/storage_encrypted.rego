# Unencrypted RDS storage (and its snapshots) cannot be encrypted in place later: it takes a
# snapshot copy and a restore, so the plan is the cheap place to catch it.
package dbre.builtin.aws_storage_encrypted

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-AWS-002",
	"severity": "high",
	"title": "RDS storage encrypted",
	"description": "aws_db_instance and aws_rds_cluster must set storage_encrypted = true.",
	"resource_types": ["aws_db_instance", "aws_rds_cluster"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	not r.after.storage_encrypted == true
	not r.unknown.storage_encrypted
	f := lib.finding(r, "storage_encrypted", sprintf("%s: storage_encrypted is not true; data and snapshots are stored unencrypted", [r.address]))
}

indeterminate contains f if {
	some r in _planned
	r.unknown.storage_encrypted
	f := lib.unknown_finding(r, "storage_encrypted", "whether the storage is encrypted")
}
