package legacy

deny[msg] {
	rc := input.resource_changes[_]
	rc.change.actions[_] == "delete"
	msg := sprintf("legacy: %v is deleted", [rc.address])
}
