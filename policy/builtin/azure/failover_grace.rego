# With an Automatic read-write failover policy, Azure fails over (losing the transactions not yet
# replicated) once the grace period ends. Under an hour, a short regional blip turns into data
# loss; Azure itself recommends at least 60 minutes.
#
# Our dbre_failover_group mirrors azurerm_mssql_failover_group:
#   read_write_endpoint_failover_policy { mode = "Automatic" | "Manual", grace_minutes = N }
package dbre.builtin.failover_grace

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-AZ-001",
	"severity": "high",
	"title": "Automatic failover waits at least 60 minutes",
	"description": "A failover group whose read_write_endpoint_failover_policy mode is Automatic must set grace_minutes >= 60, so that a short outage does not cause a failover with data loss.",
	"resource_types": [
		"dbre_failover_group",
		"azurerm_mssql_failover_group",
		"azurerm_sql_failover_group",
		"azurerm_mssql_managed_instance_failover_group",
	],
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

_min_grace := 60

_block := "read_write_endpoint_failover_policy.0"

_mode_path := concat(".", [_block, "mode"])

_grace_path := concat(".", [_block, "grace_minutes"])

_automatic(r) if lib.lower_str(lib.value(r, _mode_path)) == "automatic"

deny contains f if {
	some r in _planned
	_automatic(r)
	not lib.unknown(r, _grace_path)
	grace := lib.value(r, _grace_path)
	_too_short(grace)
	f := lib.finding(r, _grace_path, sprintf(
		"%s: Automatic failover after %v minutes; set grace_minutes to at least %d to avoid failing over (and losing data) on a short outage",
		[r.address, grace, _min_grace],
	))
}

_too_short(grace) if grace == null

_too_short(grace) if {
	is_number(grace)
	grace < _min_grace
}

indeterminate contains f if {
	some r in _planned
	_automatic(r)
	lib.unknown(r, _grace_path)
	f := lib.unknown_finding(r, _grace_path, "the automatic failover grace period")
}

indeterminate contains f if {
	some r in _planned
	lib.unknown(r, _mode_path)
	not _safe_grace(r)
	f := lib.unknown_finding(r, _mode_path, "whether failover is automatic with a short grace period")
}

_safe_grace(r) if lib.value(r, _grace_path) >= _min_grace
