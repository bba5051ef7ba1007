# Helper functions with several definitions, partial object rules, else chains.
package main

import rego.v1

kind(rc) := rc.change.after.input.kind if rc.type == "terraform_data"

kind(rc) := rc.type if rc.type != "terraform_data"

action(rc) := "replace" if {
	"delete" in rc.change.actions
	"create" in rc.change.actions
} else := rc.change.actions[0]

by_action[a] := n if {
	some rc in input.resource_changes
	a := action(rc)
	n := count([x | some x in input.resource_changes; action(x) == a])
}

warn contains msg if {
	some a, n in by_action
	n > 1
	a != "create"
	msg := sprintf("%d resources to %s", [n, a])
}

deny contains msg if {
	some rc in input.resource_changes
	action(rc) == "replace"
	k := kind(rc)
	msg := sprintf("%s (%s) would be replaced", [rc.address, k])
}
