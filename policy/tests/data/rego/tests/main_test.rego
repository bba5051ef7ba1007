package example

import rego.v1

test_superuser_denied if {
	deny["superuser"] with input as {"kind": "role", "superuser": true}
}

test_ordinary_role_passes if {
	count(deny) == 0 with input as {"kind": "role", "superuser": false}
}

# Deliberately wrong, so the runner's failure path is exercised.
test_wrong_expectation if {
	count(deny) == 1 with input as {"kind": "role", "superuser": false}
}
