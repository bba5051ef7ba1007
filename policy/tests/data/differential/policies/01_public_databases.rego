# String results from `deny`, iteration with `some ... in`, sprintf.
package main

import rego.v1

public_attrs := {"publicly_accessible", "public_network_access_enabled"}

deny contains msg if {
	some rc in input.resource_changes
	some attr in public_attrs
	rc.change.after[attr] == true
	msg := sprintf("%s: %s must be false", [rc.address, attr])
}

# terraform_data stand-ins carry the attributes inside `input`.
deny contains msg if {
	some rc in input.resource_changes
	rc.type == "terraform_data"
	some attr in public_attrs
	rc.change.after.input[attr] == true
	msg := sprintf("%s (%s): %s must be false", [rc.address, rc.change.after.input.kind, attr])
}
