package dbre.builtin.grant_all_production

import data.dbre.mock
import rego.v1

test_all_on_prod_denied if {
	r := mock.create("dbre_grant", "rw", {"database": "orders_prod", "role": "app", "object_type": "table", "schema": "public", "privileges": ["ALL"]})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	contains(f.msg, "orders_prod")
}

test_all_privileges_spelling_denied if {
	r := mock.create("dbre_default_privileges", "rw", {"database": "prod", "owner": "o", "role": "app", "object_type": "table", "privileges": ["all privileges"]})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_all_on_staging_passes if {
	r := mock.create("dbre_grant", "rw", {"database": "orders_staging", "role": "app", "object_type": "table", "schema": "public", "privileges": ["ALL"]})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_explicit_privileges_on_prod_pass if {
	r := mock.create("dbre_grant", "rw", {"database": "prod", "role": "app", "object_type": "table", "schema": "public", "privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"]})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_patterns_are_configurable if {
	r := mock.create("dbre_grant", "rw", {"database": "live", "role": "app", "object_type": "table", "schema": "public", "privileges": ["ALL"]})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(deny) == 1 with data.dbre.plan as mock.plan([r]) with data.dbre.config.production_databases as ["live"]
}

test_unknown_database_with_all_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_grant", "rw", {"role": "app", "object_type": "table", "privileges": ["ALL"]}), ["database"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"database"}
}

test_unknown_privileges_on_prod_indeterminate if {
	r := mock.with_unknown(mock.create("dbre_grant", "rw", {"database": "prod", "role": "app", "object_type": "table"}), ["privileges"])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"privileges"}
}

test_role_privileges_all_on_production_denied_per_block if {
	r := mock.create("dbre_role_privileges", "rp", {"database": "prod_orders", "role": "app", "grant": [
		{"object_type": "table", "schema": "public", "privileges": ["SELECT"]},
		{"object_type": "sequence", "schema": "public", "privileges": ["all privileges"]},
	]})
	fs := deny with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"grant.1.privileges"}
}

test_role_privileges_all_elsewhere_passes if {
	r := mock.create("dbre_role_privileges", "rp", {"database": "staging", "role": "app", "grant": [{"object_type": "table", "schema": "public", "privileges": ["ALL"]}]})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_all_privileges_spelled_with_extra_spaces_denied if {
	r := mock.create("dbre_grant", "g", {"database": "prod", "role": "app", "object_type": "table", "schema": "public", "privileges": ["all \t privileges"]})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}
