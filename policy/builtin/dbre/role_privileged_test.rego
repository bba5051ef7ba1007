package dbre.builtin.role_privileged

import data.dbre.mock
import rego.v1

test_superuser_denied if {
	r := mock.create("dbre_role", "admin", {"name": "admin", "superuser": true, "replication": false})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	f.address == "dbre_role.admin"
	f.attribute == "superuser"
}

test_replication_denied_on_update if {
	r := mock.update("dbre_role", "repl", {"replication": false}, {"name": "repl", "replication": true})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"replication"}
}

test_ordinary_role_passes if {
	r := mock.create("dbre_role", "app", {"name": "app", "superuser": false, "replication": false, "login": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_deleted_superuser_is_not_judged if {
	r := mock.delete("dbre_role", "old", {"name": "old", "superuser": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_superuser_is_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_role", "x", {"name": "x", "replication": false}), ["superuser"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"superuser"}
}

test_other_types_ignored if {
	r := mock.create("terraform_data", "x", {"superuser": true})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}
