# conftest exceptions: a rule name listed by `exception` is suppressed for the whole input.
package main

import rego.v1

deny_tags contains msg if {
	some rc in input.resource_changes
	is_object(rc.change.after)
	not rc.change.after.tags
	rc.mode == "managed"
	msg := sprintf("%s has no tags", [rc.address])
}

deny_names contains msg if {
	some rc in input.resource_changes
	contains(rc.name, "_")
	msg := sprintf("%s: resource names use dashes in this team", [rc.address])
}

warn_types contains msg if {
	some rc in input.resource_changes
	startswith(rc.type, "google_")
	msg := sprintf("%s: Google resources are not supported", [rc.address])
}

# Suppress deny_names everywhere, and deny_tags for plans made by terraform 0.x.
exception contains rules if {
	rules := ["names"]
}

exception contains rules if {
	startswith(input.terraform_version, "0.")
	rules := ["tags"]
}
