# Deletes and replaces from resource_changes (what planned_values cannot show).
package main

import rego.v1

protected_kinds := {"role", "failover_group", "server"}

kind(rc) := k if {
	k := rc.change.before.input.kind
} else := rc.type

deny contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	kind(rc) in protected_kinds
	msg := sprintf("%s: %s must not be destroyed (actions %s)", [rc.address, kind(rc), concat("+", rc.change.actions)])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.change.actions == ["forget"]
	msg := sprintf("%s is removed from state but kept", [rc.address])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.previous_address
	msg := sprintf("%s moved from %s", [rc.address, rc.previous_address])
}
