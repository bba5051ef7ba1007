# Module addresses, count/for_each indexes, regex and string helpers.
package main

import rego.v1

module_of(rc) := object.get(rc, "module_address", "root")

warn contains msg if {
	some rc in input.resource_changes
	module_of(rc) != "root"
	depth := count(split(module_of(rc), "module.")) - 1
	depth >= 2
	msg := sprintf("%s is %d modules deep", [rc.address, depth])
}

deny contains msg if {
	some rc in input.resource_changes
	regex.match(`\["[A-Z]+/`, rc.address)
	msg := sprintf("for_each key in %s starts with an upper-case role", [rc.address])
}

warn contains msg if {
	some rc in input.resource_changes
	is_number(rc.index)
	rc.index > 0
	msg := sprintf("%s is copy number %d", [rc.address, rc.index + 1])
}
