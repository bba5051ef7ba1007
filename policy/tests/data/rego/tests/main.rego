package example

import rego.v1

deny contains msg if {
	input.kind == "role"
	input.superuser
	msg := "superuser"
}
