# Without deletion protection one mistaken destroy (or a replace forced by an attribute change)
# drops the database.
package dbre.builtin.aws_deletion_protection

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-AWS-003",
	"severity": "medium",
	"title": "RDS deletion protection on",
	"description": "aws_db_instance and aws_rds_cluster must set deletion_protection = true.",
	"resource_types": ["aws_db_instance", "aws_rds_cluster"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	not r.after.deletion_protection == true
	not r.unknown.deletion_protection
	f := lib.finding(r, "deletion_protection", sprintf("%s: deletion_protection is not true; a destroy or forced replacement deletes the database", [r.address]))
}

indeterminate contains f if {
	some r in _planned
	r.unknown.deletion_protection
	f := lib.unknown_finding(r, "deletion_protection", "whether deletion protection is on")
}
