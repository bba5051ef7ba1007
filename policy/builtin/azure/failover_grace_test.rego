package dbre.builtin.failover_grace

import data.dbre.mock
import rego.v1

_fg(type, policy) := mock.create(type, "fg", {"name": "fg", "read_write_endpoint_failover_policy": [policy]})

test_automatic_short_grace_denied if {
	r := _fg("azurerm_mssql_failover_group", {"mode": "Automatic", "grace_minutes": 30})
	fs := deny with data.dbre.plan as mock.plan([r])
	count(fs) == 1
	some f in fs
	f.attribute == "read_write_endpoint_failover_policy.0.grace_minutes"
	contains(f.msg, "30 minutes")
}

test_automatic_without_grace_denied if {
	r := _fg("dbre_failover_group", {"mode": "Automatic", "grace_minutes": null})
	count(deny) == 1 with data.dbre.plan as mock.plan([r])
}

test_automatic_hour_passes if {
	r := _fg("dbre_failover_group", {"mode": "Automatic", "grace_minutes": 60})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}

test_manual_passes if {
	r := _fg("azurerm_sql_failover_group", {"mode": "Manual", "grace_minutes": null})
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
}

test_unknown_grace_indeterminate if {
	r := mock.with_unknown(_fg("dbre_failover_group", {"mode": "Automatic"}), ["read_write_endpoint_failover_policy.0.grace_minutes"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	fs := indeterminate with data.dbre.plan as mock.plan([r])
	{f.attribute | some f in fs} == {"read_write_endpoint_failover_policy.0.grace_minutes"}
}

test_unknown_mode_with_short_grace_indeterminate if {
	r := mock.with_unknown(_fg("dbre_failover_group", {"grace_minutes": 5}), ["read_write_endpoint_failover_policy.0.mode"])
	count(deny) == 0 with data.dbre.plan as mock.plan([r])
	count(indeterminate) == 1 with data.dbre.plan as mock.plan([r])
}

test_unknown_mode_with_long_grace_passes if {
	r := mock.with_unknown(_fg("dbre_failover_group", {"grace_minutes": 120}), ["read_write_endpoint_failover_policy.0.mode"])
	count(indeterminate) == 0 with data.dbre.plan as mock.plan([r])
}
