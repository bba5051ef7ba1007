# A master password written in the configuration ends up in clear text in the plan file and in
# the state, whether or not Terraform masks it on screen. Not marked sensitive, Terraform also
# prints it in plan output and CI logs. manage_master_user_password (Secrets Manager) or a
# write-only password (password_wo / master_password_wo) keep it out of both.
#
# The finding never contains the password: data.dbre.plan masks sensitive values and the
# messages only name the attribute.
package dbre.builtin.aws_master_password

import data.dbre.lib
import rego.v1

_path := {
	"aws_db_instance": "password",
	"aws_rds_cluster": "master_password",
}

metadata := {
	"id": "DBRE-AWS-006",
	"severity": "critical",
	"title": "No plaintext master passwords in the plan",
	"description": "aws_db_instance.password and aws_rds_cluster.master_password must not appear in the plan: use manage_master_user_password or a write-only password. A password not marked sensitive fails; a sensitive one is a warning (it is still stored in plan and state).",
	"resource_types": sort(object.keys(_path)),
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	path := _path[r.type]
	r.after[path] != null
	not r.sensitive[path]
	f := lib.finding(r, path, sprintf("%s: %s is in the plan and not marked sensitive, so Terraform prints it; use manage_master_user_password or a write-only password", [r.address, path]))
}

warn contains f if {
	some r in _planned
	path := _path[r.type]
	r.after[path] != null
	r.sensitive[path]
	f := lib.finding(r, path, sprintf("%s: %s is stored in clear text in the plan file and state (masked on screen only); use manage_master_user_password or a write-only password", [r.address, path]))
}
