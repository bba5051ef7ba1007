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
	"description": "dbre_grant and dbre_default_privileges must list explicit privileges, not ALL, on databases whose name matches data.dbre.config.production_databases (default: prod, prod_*, *_prod, production*, ...).",
	"resource_types": ["dbre_grant", "dbre_default_privileges"],
}

_all_privileges := {"ALL", "ALL PRIVILEGES"}

_grants_all(r) if {
	privs := lib.value(r, "privileges")
	is_array(privs)
	count(lib.upper_set(privs) & _all_privileges) > 0
}

deny contains f if {
	some r in lib.planned(metadata.resource_types)
	_grants_all(r)
	db := lib.value(r, "database")
	lib.production_database(db)
	f := lib.finding(r, "privileges", sprintf(
		"%s: grants ALL privileges on production database %q; list the privileges the role needs",
		[r.address, db],
	))
}

indeterminate contains f if {
	some r in lib.planned(metadata.resource_types)
	_grants_all(r)
	lib.unknown(r, "database")
	f := lib.unknown_finding(r, "database", "whether ALL is granted on a production database")
}

indeterminate contains f if {
	some r in lib.planned(metadata.resource_types)
	lib.unknown(r, "privileges")
	lib.production_database(lib.value(r, "database"))
	f := lib.unknown_finding(r, "privileges", "whether ALL is granted on a production database")
}
