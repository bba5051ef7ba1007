package dbre.builtin.grant_public

import data.dbre.mock
import rego.v1

test_select_to_public_denied if {
	r := mock.create("dbre_grant", "pub", {"database": "app", "role": "PUBLIC", "object_type": "table", "schema": "public", "privileges": ["SELECT", "USAGE"]})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	contains(f.msg, "SELECT")
	not contains(f.msg, "USAGE,")
}

test_default_privileges_to_public_denied if {
	r := mock.create("dbre_default_privileges", "pub", {"database": "app", "owner": "app_owner", "role": "public", "object_type": "function", "privileges": ["execute"]})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_connect_and_usage_to_public_pass if {
	db := mock.create("dbre_grant", "db", {"database": "app", "role": "PUBLIC", "object_type": "database", "privileges": ["CONNECT"]})
	sc := mock.create("dbre_grant", "sc", {"database": "app", "role": "PUBLIC", "object_type": "schema", "schema": "public", "privileges": ["USAGE"]})
	count(deny) == 0 with data.dbre.plan as mock.plan([db, sc])
}

test_revoking_from_public_passes if {
	r := mock.create("dbre_grant", "revoke", {"database": "app", "role": "PUBLIC", "object_type": "schema", "schema": "public", "privileges": []})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_other_roles_pass if {
	r := mock.create("dbre_grant", "app", {"database": "app", "role": "app_rw", "object_type": "table", "schema": "public", "privileges": ["SELECT", "INSERT"]})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_privileges_for_public_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_grant", "pub", {"database": "app", "role": "PUBLIC", "object_type": "table"}), ["privileges"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}

test_unknown_role_with_select_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_grant", "g", {"database": "app", "object_type": "table", "privileges": ["SELECT"]}), ["role"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"role"}
}

test_role_privileges_block_to_public_denied_with_its_path if {
	r := mock.create("dbre_role_privileges", "pub", {"database": "app", "role": "PUBLIC", "grant": [
		{"object_type": "schema", "objects": ["public"], "privileges": ["USAGE"]},
		{"object_type": "table", "schema": "public", "objects": [], "privileges": ["select"]},
	]})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"grant.1.privileges"}
}

test_role_privileges_usage_to_public_and_other_roles_pass if {
	pub := mock.create("dbre_role_privileges", "pub", {"database": "app", "role": "public", "grant": [{"object_type": "schema", "objects": ["public"], "privileges": ["USAGE"]}]})
	app := mock.create("dbre_role_privileges", "app", {"database": "app", "role": "app", "grant": [{"object_type": "table", "schema": "public", "privileges": ["SELECT"]}]})
	count(deny) == 0 with data.dbre.plan as mock.plan([pub, app])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([pub, app])
}

test_role_privileges_unknown_blocks_for_public_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_role_privileges", "pub", {"database": "app", "role": "PUBLIC"}), ["grant"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"grant"}
}
