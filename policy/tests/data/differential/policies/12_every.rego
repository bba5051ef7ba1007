# every, not, in, and rules with default values.
package main

import rego.v1

default strict := false

strict if input.variables.strict.value == true

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_parameter_group"
	params := rc.change.after.parameter
	not every_param_named(params)
	msg := sprintf("%s has unnamed parameters", [rc.address])
}

every_param_named(params) if {
	every p in params {
		p.name != ""
	}
}

warn contains msg if {
	count(input.resource_changes) > 0
	every rc in input.resource_changes {
		rc.change.actions == ["create"]
	}
	msg := sprintf("plan only creates (%d resources, strict=%v)", [count(input.resource_changes), strict])
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "terraform_data"
	is_object(rc.change.after)
	privs := object.get(rc.change.after, ["input", "privileges"], [])
	"ALL" in privs
	not endswith(rc.change.after.input.database, "_dev")
	msg := sprintf("%s grants ALL on %s", [rc.address, rc.change.after.input.database])
}
