# Passwords for database logins leak, are shared and never expire; Microsoft Entra ID
# authentication brings MFA, conditional access and central revocation. Where Azure allows it,
# password logins should be switched off entirely.
#
# Azure Database for MySQL flexible server has no resource attribute for it (it is the server
# parameter aad_auth_only), so it is not covered here.
package dbre.builtin.az_entra_only_auth

import data.dbre.lib
import rego.v1

# Per type: the attribute that must be true or false for Entra-only authentication, the value it
# must have, and the value Azure assumes when it is unset.
_checks := {
	"azurerm_mssql_server": [{"path": "azuread_administrator.0.azuread_authentication_only", "want": true, "default": false}],
	"azurerm_mssql_managed_instance": [{"path": "azure_active_directory_administrator.0.azuread_authentication_only_enabled", "want": true, "default": false}],
	"azurerm_postgresql_flexible_server": [
		{"path": "authentication.0.active_directory_auth_enabled", "want": true, "default": false},
		{"path": "authentication.0.password_auth_enabled", "want": false, "default": true},
	],
}

metadata := {
	"id": "DBRE-AZ-006",
	"severity": "medium",
	"title": "Entra-only authentication for Azure databases",
	"description": "Azure SQL servers and managed instances must enable Microsoft Entra-only authentication (azuread_authentication_only); PostgreSQL flexible servers must enable Entra authentication and disable password authentication.",
	"resource_types": sort(object.keys(_checks)),
}

deny contains f if {
	some r in lib.planned(metadata.resource_types)
	some c in _checks[r.type]
	not lib.unknown(r, c.path)
	v := _effective(r, c)
	v != c.want
	f := lib.finding(r, c.path, sprintf("%s: %s is %v%s; database logins must use Microsoft Entra ID only", [r.address, c.path, v, _defaulted(r, c)]))
}

indeterminate contains f if {
	some r in lib.planned(metadata.resource_types)
	some c in _checks[r.type]
	lib.unknown(r, c.path)
	f := lib.unknown_finding(r, c.path, "whether only Entra ID logins are accepted")
}

_effective(r, c) := lib.value(r, c.path) if lib.set(r, c.path)

else := c["default"]

_defaulted(r, c) := "" if lib.set(r, c.path)

else := " (not set)"
