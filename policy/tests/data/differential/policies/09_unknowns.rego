# after_unknown: values known only after apply must not be judged as false or null.
package main

import rego.v1

unknown_keys(rc) := {k | some k, v in object.get(rc.change, "after_unknown", {}); v == true}

warn contains msg if {
	some rc in input.resource_changes
	"id" in unknown_keys(rc)
	count(unknown_keys(rc)) > 3
	msg := sprintf("%s: %d attributes known only after apply", [rc.address, count(unknown_keys(rc))])
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	not rc.change.after_unknown.backup_retention_period
	object.get(rc.change.after, "backup_retention_period", null) == null
	msg := sprintf("%s: backup_retention_period not set", [rc.address])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.change.after_unknown.output == true
	msg := sprintf("%s: output unknown until apply", [rc.address])
}
