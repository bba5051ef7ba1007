# Roles with SUPERUSER or REPLICATION bypass every privilege check (superuser) or can stream the
# whole cluster's data (replication). Neither belongs in application-managed Terraform.
package dbre.builtin.role_privileged

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-001",
	"severity": "critical",
	"title": "No superuser or replication roles",
	"description": "dbre_role must not set superuser or replication: such roles bypass privilege checks or can read the whole cluster through replication.",
	"resource_types": ["dbre_role"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

_attributes := {
	"superuser": "SUPERUSER bypasses every permission check",
	"replication": "REPLICATION can stream every database of the server",
}

deny contains f if {
	some r in _planned
	some attr, why in _attributes
	r.after[attr] == true
	f := lib.finding(r, attr, sprintf("%s: role sets %s = true (%s)", [r.address, attr, why]))
}

indeterminate contains f if {
	some r in _planned
	some attr, _ in _attributes
	r.unknown[attr]
	f := lib.unknown_finding(r, attr, "whether the role is privileged")
}
