# deny_*, violation_*, warn_* rule families and a helper rule that is not a family member.
package main

import rego.v1

creates contains rc if {
	some rc in input.resource_changes
	"create" in rc.change.actions
}

deny_unencrypted contains msg if {
	some rc in creates
	rc.type in {"aws_db_instance", "aws_rds_cluster"}
	not rc.change.after.storage_encrypted == true
	not rc.change.after_unknown.storage_encrypted
	msg := sprintf("%s: storage is not encrypted", [rc.address])
}

violation_skip_snapshot contains msg if {
	some rc in creates
	rc.change.after.skip_final_snapshot == true
	msg := sprintf("%s: skip_final_snapshot is true", [rc.address])
}

warn_no_deletion_protection contains msg if {
	some rc in creates
	rc.change.after.deletion_protection == false
	msg := sprintf("%s: deletion_protection is off", [rc.address])
}

# Not a family: `denylist` is a plain rule and must not be reported.
denylist := {"admin", "root"}

warn_admin_roles contains msg if {
	some rc in input.resource_changes
	name := object.get(rc.change, ["after", "input", "name"], "")
	name in denylist
	msg := sprintf("%s: role %q is on the deny list", [rc.address, name])
}
