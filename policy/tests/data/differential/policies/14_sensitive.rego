# after_sensitive: report which attributes are sensitive without printing their values.
package main

import rego.v1

sensitive_paths(rc) := [concat(".", [sprintf("%v", [p]) | some p in path]) |
	walk(object.get(rc.change, "after_sensitive", {}), [path, v])
	v == true
]

warn contains msg if {
	some rc in input.resource_changes
	paths := sensitive_paths(rc)
	count(paths) > 0
	msg := sprintf("%s has sensitive values at %s", [rc.address, concat(", ", sort(paths))])
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	object.get(rc.change, ["after", "password"], null) != null
	not object.get(rc.change, ["after_sensitive", "password"], false)
	msg := sprintf("%s: password is in the plan and not marked sensitive", [rc.address])
}
