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

# Every known parameter setting: {r, attribute, name, value}.
_settings contains s if {
	some r in lib.planned(["dbre_parameter_set"])
	params := lib.value(r, "parameters")
	is_object(params)
	some k, v in params
	s := {"r": r, "attribute": sprintf("parameters.%s", [k]), "name": lower(k), "value": v}
}

_settings contains s if {
	some r in lib.planned(_per_parameter_types)
	name := lib.value(r, "name")
	is_string(name)
	s := {"r": r, "attribute": "value", "name": lower(name), "value": lib.value(r, "value")}
}

deny contains f if {
	some s in _settings
	s.name in _watched
	not lib.sensitive(s.r, s.attribute)
	why := _problem(s.name, s.value)
	f := lib.finding(s.r, s.attribute, sprintf("%s: %s = %q %s", [s.r.address, s.name, sprintf("%v", [s.value]), why]))
}

# A whole parameters map known only after apply.
indeterminate contains f if {
	some r in lib.planned(["dbre_parameter_set"])
	r.unknown.parameters == true
	f := lib.unknown_finding(r, "parameters", "whether TLS and connection logging stay on")
}

# One watched parameter of the map known only after apply.
indeterminate contains f if {
	some r in lib.planned(["dbre_parameter_set"])
	some path, _ in r.unknown
	startswith(path, "parameters.")
	name := lower(substring(path, count("parameters."), -1))
	name in _watched
	f := lib.unknown_finding(r, path, "whether TLS and connection logging stay on")
}

# A watched per-parameter resource whose value is known only after apply.
indeterminate contains f if {
	some r in lib.planned(_per_parameter_types)
	name := lib.value(r, "name")
	is_string(name)
	lower(name) in _watched
	lib.unknown(r, "value")
	f := lib.unknown_finding(r, "value", sprintf("whether %s stays safe", [name]))
}
