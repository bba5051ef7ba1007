# Conftest-style policies over terraform_data plans (tests/data/plans/core, terraform_data).
package main

import rego.v1

roles := [rc |
	some rc in input.resource_changes
	rc.type == "terraform_data"
	rc.change.after.input.kind == "role"
]

# Object result with metadata: address, severity, id.
deny contains f if {
	some rc in roles
	rc.change.after.input.options.superuser == true
	f := {
		"msg": sprintf("%s is a superuser role", [rc.address]),
		"address": rc.address,
		"severity": "critical",
		"id": "CORE-SUPERUSER",
		"team": "dbre",
	}
}

# A careless policy that prints a sensitive value: dbre must scrub it.
deny_leak contains msg if {
	some rc in roles
	rc.change.after.input.name == "app.v2"
	msg := sprintf("role %s uses password %s", [rc.change.after.input.name, rc.change.after.input.password])
}

# String result, plan-wide.
warn contains "plan creates roles" if count(roles) > 0

# Uses the precomputed view: unknown paths.
warn_unknown_id contains {"msg": sprintf("%s gets its id at apply", [r.address]), "address": r.address, "attribute": "id"} if {
	some r in data.dbre.plan.resources
	r.unknown.id
	r.create
	r.module_address == ""
}

# Data documents (--data) are visible under data.
deny_reserved contains msg if {
	some rc in roles
	rc.change.after.input.name in data.reserved.names
	msg := sprintf("%s uses a reserved role name", [rc.address])
}
