# A publicly accessible RDS instance gets a public IP and DNS name; only security groups stand
# between the database and the internet.
package dbre.builtin.aws_publicly_accessible

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-AWS-001",
	"severity": "critical",
	"title": "RDS instances not publicly accessible",
	"description": "aws_db_instance and aws_rds_cluster_instance must set publicly_accessible = false.",
	"resource_types": ["aws_db_instance", "aws_rds_cluster_instance"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	r.after.publicly_accessible == true
	f := lib.finding(r, "publicly_accessible", sprintf("%s: publicly_accessible = true gives the database a public endpoint", [r.address]))
}

indeterminate contains f if {
	some r in _planned
	r.unknown.publicly_accessible
	f := lib.unknown_finding(r, "publicly_accessible", "whether the database gets a public endpoint")
}
