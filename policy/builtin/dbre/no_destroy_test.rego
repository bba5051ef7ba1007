package dbre.builtin.no_destroy

import data.dbre.mock
import rego.v1

test_role_delete_denied if {
	r := mock.delete("dbre_role", "app", {"name": "app", "login": true})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	f.address == "dbre_role.app"
	contains(f.msg, "is destroyed")
}

test_failover_group_replace_denied if {
	r := mock.replace("azurerm_mssql_failover_group", "fg", {"name": "fg1"}, {"name": "fg2"})
	fs := deny with data.dbre.plan as mock.plan([r])
	some f in fs
	contains(f.msg, "replaced")
	contains(f.msg, "failover group \"fg1\"")
}

test_create_before_destroy_replace_denied if {
	r := mock.change("dbre_failover_group", "fg", ["create", "delete"], {"name": "fg"}, {"name": "fg"})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_updates_and_creates_pass if {
	u := mock.update("dbre_role", "app", {"name": "app", "login": false}, {"name": "app", "login": true})
	c := mock.create("dbre_role", "new", {"name": "new"})
	n := mock.change("dbre_failover_group", "fg", ["no-op"], {"name": "fg"}, {"name": "fg"})
	count(deny) == 0 with data.dbre.plan as mock.plan([u, c, n])
}

test_other_deletes_pass if {
	r := mock.delete("dbre_grant", "g", {"role": "app"})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

# A delete is decided by the plan's actions, never by an unknown value: an update whose name is
# unknown is not a delete.
test_unknown_name_on_update_is_not_a_delete if {
	r := mock.with_unknown(mock.update("dbre_role", "app", {"name": "app"}, {}), ["name"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}
