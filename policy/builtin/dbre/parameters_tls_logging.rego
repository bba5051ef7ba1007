# Server parameters that turn off TLS (or allow TLS below 1.2) or stop logging connections.
#
# Covers our dbre_parameter_set (a `parameters` map of name => value) and the azurerm
# one-resource-per-parameter types (`name` + `value`). Parameters left out keep the server
# default, which is TLS on and, on Azure, connection logging on.
package dbre.builtin.parameters_tls_logging

import data.dbre.lib
import rego.v1

metadata := {
	"id": "DBRE-PG-005",
	"severity": "high",
	"title": "Parameter sets keep TLS and connection logging on",
	"description": "Server parameters must not turn off ssl, require_secure_transport or log_connections, nor allow TLS below 1.2 (ssl_min_protocol_version, tls_version).",
	"resource_types": [
		"dbre_parameter_set",
		"azurerm_postgresql_flexible_server_configuration",
		"azurerm_postgresql_configuration",
		"azurerm_mysql_flexible_server_configuration",
		"azurerm_mysql_configuration",
		"azurerm_mariadb_configuration",
	],
}

_per_parameter_types := [t | some t in metadata.resource_types; t != "dbre_parameter_set"]

_on_off := {
	"ssl": "turns TLS off",
	"require_secure_transport": "allows unencrypted connections",
	"log_connections": "stops logging connections",
}

_weak_tls := {"tlsv1", "tlsv1.0", "tlsv1.1", "tls1", "tls1.0", "tls1.1"}

_watched := object.keys(_on_off) | {"ssl_min_protocol_version", "tls_version"}

# Why a parameter value is unacceptable (undefined when it is fine).
_problem(name, v) := _on_off[name] if lib.is_off(v)

_problem("ssl_min_protocol_version", v) := "allows TLS below 1.2" if {
	lib.lower_str(v) in _weak_tls
}

_problem("tls_version", v) := "allows TLS below 1.2" if {
	some part in split(lib.lower_str(v), ",")
	trim_space(part) in _weak_tls
}

_sets := lib.planned(["dbre_parameter_set"])

_per_parameter := lib.planned(_per_parameter_types)

# dbre_parameter_set: one finding per offending entry of the parameters map.
deny contains f if {
	some r in _sets
	some k, v in r.after.parameters
	name := lower(k)
	name in _watched
	attribute := concat(".", ["parameters", k])
	not r.sensitive[attribute]
	why := _problem(name, v)
	f := _finding(r, attribute, name, v, why)
}

# azurerm_*_configuration: one resource per parameter.
deny contains f if {
	some r in _per_parameter
	is_string(r.after.name)
	name := lower(r.after.name)
	name in _watched
	not r.sensitive.value
	v := object.get(r.after, "value", null)
	why := _problem(name, v)
	f := _finding(r, "value", name, v, why)
}

_finding(r, attribute, name, v, why) := lib.finding(r, attribute, sprintf("%s: %s = %q %s", [r.address, name, sprintf("%v", [v]), why]))

# A whole parameters map known only after apply.
indeterminate contains f if {
	some r in _sets
	r.unknown.parameters
	f := lib.unknown_finding(r, "parameters", "whether TLS and connection logging stay on")
}

# One watched parameter of the map known only after apply.
indeterminate contains f if {
	some r in _sets
	some path, _ in r.unknown
	startswith(path, "parameters.")
	name := lower(substring(path, count("parameters."), -1))
	name in _watched
	f := lib.unknown_finding(r, path, "whether TLS and connection logging stay on")
}

# A watched per-parameter resource whose value is known only after apply.
indeterminate contains f if {
	some r in _per_parameter
	r.unknown.value
	name := r.after.name
	is_string(name)
	lower(name) in _watched
	f := lib.unknown_finding(r, "value", sprintf("whether %s stays safe", [name]))
}
