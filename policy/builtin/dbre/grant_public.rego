# PUBLIC means every role of the server, present and future. Only CONNECT (on a database) and
# USAGE (on a schema, type, language...) are acceptable to hand out that widely.
package dbre.builtin.grant_public

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-003",
	"severity": "high",
	"title": "Nothing granted to PUBLIC but CONNECT or USAGE",
	"description": "dbre_grant, dbre_default_privileges and the grant blocks of dbre_role_privileges for role PUBLIC may only grant CONNECT or USAGE (an empty privilege list, which revokes, is fine).",
	"resource_types": ["dbre_grant", "dbre_default_privileges", "dbre_role_privileges"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

_allowed := {"CONNECT", "USAGE"}

_public(r) if {
	is_string(r.after.role)
	upper(trim_space(r.after.role)) == "PUBLIC"
}

_privileges(r) := lib.upper_set(r.after.privileges) if is_array(r.after.privileges)

else := set()

# _public(r) inlined: this body runs for every grant of the plan.
deny contains f if {
	some r in _planned
	role := r.after.role
	is_string(role)
	upper(trim_space(role)) == "PUBLIC"
	bad := _privileges(r) - _allowed
	count(bad) > 0
	f := lib.finding(r, "privileges", sprintf(
		"%s: grants %s to PUBLIC (every role); only CONNECT or USAGE may go to PUBLIC",
		[r.address, concat(", ", sort(bad))],
	))
}

# privileges unknown (or some element unknown) while the grantee is PUBLIC.
indeterminate contains f if {
	some r in _planned
	r.unknown.privileges
	_public(r)
	f := lib.unknown_finding(r, "privileges", "what is granted to PUBLIC")
}

indeterminate contains f if {
	some r in _planned
	some p, _ in r.unknown
	startswith(p, "privileges.")
	_public(r)
	f := lib.unknown_finding(r, "privileges", "what is granted to PUBLIC")
}

# The grantee unknown while something beyond CONNECT/USAGE is granted.
indeterminate contains f if {
	some r in _planned
	r.unknown.role
	count(_privileges(r) - _allowed) > 0
	f := lib.unknown_finding(r, "role", "whether these privileges go to PUBLIC")
}

# dbre_role_privileges: one resource per (database, role) with a list of grant blocks; judge
# each block, naming it in the attribute path (grant.<i>.privileges).
_role_privileges := lib.planned(["dbre_role_privileges"])

_grant_blocks(r) := [[i, g] | some i, g in r.after.grant; is_object(g)] if is_array(r.after.grant)

else := []

deny contains f if {
	some r in _role_privileges
	_public(r)
	some [i, g] in _grant_blocks(r)
	is_array(g.privileges)
	bad := lib.upper_set(g.privileges) - _allowed
	count(bad) > 0
	f := lib.finding(r, sprintf("grant.%d.privileges", [i]), sprintf(
		"%s: grant block %d grants %s to PUBLIC (every role); only CONNECT or USAGE may go to PUBLIC",
		[r.address, i, concat(", ", sort(bad))],
	))
}

# A block's privileges (or the blocks themselves) unknown while the grantee is PUBLIC.
indeterminate contains f if {
	some r in _role_privileges
	_public(r)
	some p, _ in r.unknown
	startswith(concat("", [p, "."]), "grant.")
	f := lib.unknown_finding(r, p, "what is granted to PUBLIC")
}

indeterminate contains f if {
	some r in _role_privileges
	r.unknown.role
	some [i, g] in _grant_blocks(r)
	is_array(g.privileges)
	count(lib.upper_set(g.privileges) - _allowed) > 0
	f := lib.unknown_finding(r, "role", "whether these privileges go to PUBLIC")
}
