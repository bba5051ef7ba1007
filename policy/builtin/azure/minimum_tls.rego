# TLS 1.0 and 1.1 are deprecated (RFC 8996) and Azure is retiring them; servers must refuse them
# and must not accept unencrypted connections.
package dbre.builtin.az_minimum_tls

import data.dbre.lib
import rego.v1

# Per type: the attributes that decide the TLS floor, their default when unset, and the values
# (lower case) that are too weak.
_weak_single_server := {"tlsenforcementdisabled", "tls1_0", "tls1_1"}

_checks := {
	"azurerm_mssql_server": [{"path": "minimum_tls_version", "default": "1.2", "weak": {"1.0", "1.1", "disabled", "none"}}],
	"azurerm_mssql_managed_instance": [{"path": "minimum_tls_version", "default": "1.2", "weak": {"1.0", "1.1", "none", "disabled"}}],
	"azurerm_postgresql_server": _single_server_checks,
	"azurerm_mysql_server": _single_server_checks,
	"azurerm_mariadb_server": _single_server_checks,
	"azurerm_cosmosdb_account": [{"path": "minimal_tls_version", "default": "Tls12", "weak": {"tls", "tls11"}}],
}

_single_server_checks := [
	{"path": "ssl_enforcement_enabled", "default": true, "weak": {false}},
	{"path": "ssl_minimal_tls_version_enforced", "default": "TLS1_2", "weak": _weak_single_server},
]

metadata := {
	"id": "DBRE-AZ-003",
	"severity": "high",
	"title": "Minimum TLS 1.2 for Azure databases",
	"description": "Azure database servers must enforce TLS and refuse TLS below 1.2 (minimum_tls_version = \"1.2\", ssl_enforcement_enabled = true, ssl_minimal_tls_version_enforced = \"TLS1_2\", minimal_tls_version = \"Tls12\").",
	"resource_types": sort(object.keys(_checks)),
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	some c in _checks[r.type]
	not r.unknown[c.path]
	v := lib.or_default(object.get(r.after, c.path, null), c["default"])
	_weak(v, c.weak)
	f := lib.finding(r, c.path, sprintf("%s: %s = %v allows connections without TLS 1.2", [r.address, c.path, v]))
}

indeterminate contains f if {
	some r in _planned
	some c in _checks[r.type]
	r.unknown[c.path]
	f := lib.unknown_finding(r, c.path, "the minimum TLS version")
}

_weak(v, weak) if lib.lower_str(v) in weak

_weak(v, weak) if {
	is_boolean(v)
	v in weak
}
