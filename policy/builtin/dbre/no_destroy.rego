# Dropping a role loses its grants, memberships and ownerships (and fails or cascades when it
# owns objects); destroying a failover group breaks the listener endpoints applications use.
# Replacements count too: a replaced role is dropped first. Intended deletions need a waiver.
package dbre.builtin.no_destroy

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-006",
	"severity": "high",
	"title": "No deletes of roles or failover groups",
	"description": "Plans must not destroy or replace database roles or failover groups; add a waiver (with reason, owner and expiry) when a removal is intended.",
	"resource_types": [
		"dbre_role",
		"dbre_failover_group",
		"azurerm_mssql_failover_group",
		"azurerm_sql_failover_group",
		"azurerm_mssql_managed_instance_failover_group",
	],
}

_what(r) := "role" if r.type == "dbre_role"

else := "failover group"

_name(r) := sprintf(" %q", [n]) if {
	n := lib.before_value(r, "name")
	is_string(n)
}

else := ""

deny contains f if {
	some r in lib.destroyed(metadata.resource_types)
	f := {
		"msg": sprintf("%s: %s%s %s; deleting it needs a waiver", [r.address, _what(r), _name(r), lib.destroy_wording(r)]),
		"address": r.address,
	}
}
