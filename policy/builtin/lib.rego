# Helpers shared by the built-in guardrails (and usable from user policies).
#
# Every guardrail reads data.dbre.plan, which the Rust core computes once per plan file: one
# entry per resource change with action flags, masked before/after values and the sets of
# unknown and sensitive attribute paths (see policy/builtin/README.md).
#
# Paths are attribute names and list indexes joined by ".", as in "authentication.0.password_auth_enabled".
package dbre.lib

import rego.v1

# All resource changes of the given types, in plan order.
of_types(types) := [r |
	some t in types
	some r in object.get(data.dbre.plan, ["by_type", t], [])
]

# Managed resources of the given types that exist after the change (create, update, replace,
# no-op): the ones whose planned attributes a guardrail judges.
planned(types) := [r |
	some r in of_types(types)
	r.mode == "managed"
	is_object(r.after)
]

# Managed resources of the given types whose change destroys them (delete or replace).
destroyed(types) := [r |
	some r in of_types(types)
	r.mode == "managed"
	r.delete == true
]

# The path split into segments; list indexes become numbers so object.get can walk lists.
segments(path) := [_segment(s) | some s in split(path, ".")]

_segment(s) := to_number(s) if _digits(s)

else := s

_digits(s) if {
	s != ""
	trim_left(s, "0123456789") == ""
}

# object.get key for a path: plain attribute names (the common case) need no splitting.
_key(path) := path if not contains(path, ".")

else := segments(path)

# The planned value at path, or null when it is absent or null. Unknown values are absent from
# r.after, so check unknown(r, path) before reading a null as "not set".
value(r, path) := v if {
	is_object(r.after)
	v := object.get(r.after, _key(path), null)
} else := null

# The prior value at path (null for creates).
before_value(r, path) := v if {
	is_object(r.before)
	v := object.get(r.before, _key(path), null)
} else := null

# True when the value at path, or any block/list containing it, is known only after apply.
unknown(r, path) if r.unknown[path] == true

unknown(r, path) if {
	contains(path, ".")
	_any_prefix_in(r.unknown, path)
}

# True when the value at path, or any block/list containing it, is sensitive.
sensitive(r, path) if r.sensitive[path] == true

sensitive(r, path) if {
	contains(path, ".")
	_any_prefix_in(r.sensitive, path)
}

_any_prefix_in(paths, path) if {
	segs := split(path, ".")
	some i, _ in segs
	paths[concat(".", array.slice(segs, 0, i + 1))] == true
}

# Precomputed lookups for a fixed path, for guardrails that check nested attributes of many
# resources: build them once in a rule (rules are cached, functions are not) and use
# value_at/unknown_at, which then need no string splitting per resource.
path_info(path) := {
	"path": path,
	"key": _key(path),
	"prefixes": [concat(".", array.slice(segs, 0, i + 1)) | segs := split(path, "."); some i, _ in segs],
}

value_at(r, info) := object.get(r.after, info.key, null) if is_object(r.after)

else := null

unknown_at(r, info) if {
	some p in info.prefixes
	r.unknown[p] == true
}

# v, or d when v is null.
or_default(v, d) := v if v != null

else := d

# Set at path: planned and not null.
set(r, path) if value(r, path) != null

# The finding object every guardrail returns.
finding(r, attribute, msg) := {"msg": msg, "address": r.address, "attribute": attribute}

# A finding for a value known only after apply: the guardrail cannot decide yet.
unknown_finding(r, attribute, what) := finding(
	r, attribute,
	sprintf("%s: %s is known only after apply, so %s cannot be checked before apply", [r.address, attribute, what]),
)

# Values PostgreSQL/MySQL/Azure accept for a boolean setting that is off.
off_values := {"off", "false", "0", "no", "disabled"}

# True when a setting value (string, bool or number) means "off".
is_off(v) if lower(trim_space(sprintf("%v", [v]))) in off_values

# v in lower case when it is a string, undefined otherwise. Builtins raise errors on wrong types
# (which would abort the whole evaluation), so guardrails never call lower() on plan values.
lower_str(v) := lower(trim_space(v)) if is_string(v)

# Privilege names normalised to upper case without surrounding spaces.
upper_set(xs) := {upper(trim_space(x)) | some x in xs; is_string(x)}

# Database name patterns that mark production databases. Override with
# data.dbre.config.production_databases (a list of glob patterns, case-insensitive).
default production_patterns := ["prod", "prod_*", "prod-*", "production*", "*_prod", "*-prod", "*_production", "*-production"]

production_patterns := data.dbre.config.production_databases

# True when the database name matches one of the production patterns.
production_database(name) if {
	is_string(name)
	some p in production_patterns
	is_string(p)
	glob.match(lower(p), null, lower(name))
}

# Human wording for the action that destroys a resource.
destroy_wording(r) := "is replaced (destroyed and re-created)" if r.replace == true

else := "is destroyed (deposed object)" if r.deposed != null

else := "is destroyed"
