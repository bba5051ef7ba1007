# Set, array and object comprehensions; count, sum, max, sort.
package main

import rego.v1

types := {rc.type | some rc in input.resource_changes}

per_type := {t: count([1 | some rc in input.resource_changes; rc.type == t]) | some t in types}

warn contains msg if {
	some t, n in per_type
	n >= 3
	msg := sprintf("%d changes of type %s", [n, t])
}

sizes := [s |
	some rc in input.resource_changes
	s := object.get(rc.change, ["after", "allocated_storage"], 0)
	is_number(s)
]

deny contains msg if {
	total := sum(sizes)
	total > 10
	msg := sprintf("plan allocates %v GB of storage in total (largest %v)", [total, max(sizes)])
}

warn contains msg if {
	addrs := sort([rc.address | some rc in input.resource_changes; startswith(rc.address, "module.")])
	count(addrs) > 0
	msg := sprintf("first module resource: %s", [addrs[0]])
}
