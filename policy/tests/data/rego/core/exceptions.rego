package main

import rego.v1

# conftest exception: suppresses deny_reserved for the whole input.
exception contains rules if {
	input.variables.allow_reserved.value == true
	rules := ["reserved"]
}
