# ALL hands out every privilege of the object type (TRUNCATE, TRIGGER, REFERENCES, MAINTAIN...)
# and silently grows when the server gains new ones. On production databases, name what is needed.
#
# Production databases are those whose name matches data.dbre.config.production_databases
# (glob patterns, case-insensitive), by default prod, prod_*, prod-*, production*, *_prod,
# *-prod, *_production, *-production.
package dbre.builtin.grant_all_production

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-004",
	"severity": "high",
	"title": "No ALL privileges on production databases",
	"description": "dbre_grant, dbre_default_privileges and the grant blocks of dbre_role_privileges must list explicit privileges, not ALL, on databases whose name matches data.dbre.config.production_databases (default: prod, prod_*, *_prod, production*, ...).",
	"resource_types": ["dbre_grant", "dbre_default_privileges", "dbre_role_privileges"],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

_all_privileges := {"ALL", "ALL PRIVILEGES"}

# "all   privileges" is ALL to the provider too: compare with the words upper-cased and joined
# by single spaces.
_words(p) := concat(" ", [w | some w in split(replace(upper(p), "\t", " "), " "); w != ""])

# Matching globs is the costly part: do it once per distinct database name, not per grant.
_production := {db |
	some db in {d | some r in _planned; d := r.after.database; is_string(d)}
	lib.production_database(db)
}

_grants_all(r) if {
	some p in r.after.privileges
	is_string(p)
	_words(p) in _all_privileges
}

deny contains f if {
	some r in _planned
	some p in r.after.privileges
	is_string(p)
	_words(p) in _all_privileges
	db := r.after.database
	db in _production
	f := lib.finding(r, "privileges", sprintf(
		"%s: grants ALL privileges on production database %q; list the privileges the role needs",
		[r.address, db],
	))
}

indeterminate contains f if {
	some r in _planned
	r.unknown.database
	_grants_all(r)
	f := lib.unknown_finding(r, "database", "whether ALL is granted on a production database")
}

indeterminate contains f if {
	some r in _planned
	r.unknown.privileges
	r.after.database in _production
	f := lib.unknown_finding(r, "privileges", "whether ALL is granted on a production database")
}

# dbre_role_privileges: the same rule per grant block (attribute grant.<i>.privileges).
_role_privileges := lib.planned(["dbre_role_privileges"])

_block_grants_all(r) := [i |
	some i, g in r.after.grant
	some p in g.privileges
	is_string(p)
	_words(p) in _all_privileges
]

deny contains f if {
	some r in _role_privileges
	db := r.after.database
	db in _production
	some i in _block_grants_all(r)
	f := lib.finding(r, sprintf("grant.%d.privileges", [i]), sprintf(
		"%s: grant block %d grants ALL privileges on production database %q; list the privileges the role needs",
		[r.address, i, db],
	))
}

indeterminate contains f if {
	some r in _role_privileges
	r.unknown.database
	count(_block_grants_all(r)) > 0
	f := lib.unknown_finding(r, "database", "whether ALL is granted on a production database")
}
