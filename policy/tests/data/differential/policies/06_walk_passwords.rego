# walk over the whole plan: find password-like keys with a value, report only the path.
package main

import rego.v1

secret_key(k) if regex.match(`(?i)(password|secret)$`, k)

deny contains msg if {
	some rc in input.resource_changes
	walk(object.get(rc.change, "after", {}), [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	secret_key(key)
	is_string(value)
	value != ""
	msg := sprintf("%s: %s holds a password in the plan", [rc.address, concat(".", [format_path(p) | some p in path])])
}

format_path(p) := p if is_string(p)

format_path(p) := format_int(p, 10) if is_number(p)
