# object.union, object.remove, object.keys, json.marshal, array.concat, set operations.
package main

import rego.v1

required_tags := {"env", "owner"}

tags(rc) := t if {
	t := rc.change.after.tags
	is_object(t)
} else := t if {
	t := rc.change.after.input.tags
	is_object(t)
} else := {}

warn contains msg if {
	some rc in input.resource_changes
	is_object(rc.change.after)
	t := tags(rc)
	count(t) > 0
	missing := required_tags - {k | some k, _ in t}
	count(missing) > 0
	msg := sprintf("%s lacks tags %s", [rc.address, concat(",", sort(missing))])
}

deny contains msg if {
	some rc in input.resource_changes
	t := tags(rc)
	merged := object.union({"env": "unknown", "owner": "unknown"}, t)
	merged.env == "prod"
	slim := object.remove(merged, ["owner"])
	msg := sprintf("%s production tags %s", [rc.address, json.marshal(slim)])
}

warn contains msg if {
	all := array.concat(
		[rc.address | some rc in input.resource_changes; rc.mode == "data"],
		[rc.address | some rc in input.resource_changes; rc.change.actions == ["no-op"]],
	)
	count(all) > 0
	msg := sprintf("%d reads or no-ops", [count(all)])
}
