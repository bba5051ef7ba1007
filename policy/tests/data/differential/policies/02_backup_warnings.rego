# Object results with msg and metadata, numeric comparisons, object.get defaults.
package main

import rego.v1

min_days := 7

retention(after) := d if {
	d := after.backup_retention_period
} else := d if {
	d := after.backup_retention_days
} else := d if {
	d := after.input.backup_retention_period
} else := d if {
	d := after.input.backup_retention_days
}

warn contains {"msg": msg, "severity": "medium", "min": min_days} if {
	some rc in input.resource_changes
	after := object.get(rc.change, "after", null)
	is_object(after)
	days := retention(after)
	is_number(days)
	days < min_days
	msg := sprintf("%s keeps backups %d days, less than %d", [rc.address, days, min_days])
}

deny contains {"msg": msg, "id": "BACKUP-0"} if {
	some rc in input.resource_changes
	is_object(rc.change.after)
	retention(rc.change.after) == 0
	msg := sprintf("%s has backups turned off", [rc.address])
}
