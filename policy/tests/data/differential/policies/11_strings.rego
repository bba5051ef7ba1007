# String builtins and sprintf verbs.
package main

import rego.v1

warn contains msg if {
	some rc in input.resource_changes
	parts := split(rc.type, "_")
	count(parts) >= 3
	provider := upper(parts[0])
	rest := concat("-", array.slice(parts, 1, count(parts)))
	msg := sprintf("%s | %s | %q | %v", [provider, rest, trim_prefix(rc.type, parts[0]), count(parts)])
}

deny contains msg if {
	some rc in input.resource_changes
	v := object.get(rc.change, ["after", "engine_version"], "")
	is_string(v)
	v != ""
	major := to_number(split(v, ".")[0])
	major < 10
	msg := sprintf("%s: engine %s %s is too old (major %d)", [rc.address, rc.change.after.engine, replace(v, ".", "_"), major])
}

warn contains msg if {
	some rc in input.resource_changes
	i := indexof(rc.address, "[")
	i > 0
	msg := sprintf("%s has index %s", [substring(rc.address, 0, i), substring(rc.address, i, -1)])
}
