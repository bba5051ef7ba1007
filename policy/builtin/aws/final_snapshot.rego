# skip_final_snapshot = true means a destroy leaves nothing to restore from.
package dbre.builtin.aws_final_snapshot

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-AWS-005",
	"severity": "medium",
	"title": "RDS final snapshot kept",
	"description": "aws_db_instance and aws_rds_cluster must not set skip_final_snapshot = true, so that deleting the database leaves a snapshot to restore from.",
	"resource_types": ["aws_db_instance", "aws_rds_cluster"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	r.after.skip_final_snapshot == true
	f := lib.finding(r, "skip_final_snapshot", sprintf("%s: skip_final_snapshot = true; deleting the database would leave no snapshot", [r.address]))
}

indeterminate contains f if {
	some r in _planned
	r.unknown.skip_final_snapshot
	f := lib.unknown_finding(r, "skip_final_snapshot", "whether a final snapshot is kept")
}
