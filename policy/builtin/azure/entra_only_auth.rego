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
_checks := {t: [object.union(c, lib.path_info(c.path)) | some c in cs] | some t, cs in _plain_checks}

_plain_checks := {
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
	"resource_types": sort(object.keys(_plain_checks)),
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	some c in _checks[r.type]
	set := lib.value_at(r, c)
	v := lib.or_default(set, c["default"])
	v != c.want
	not lib.unknown_at(r, c)
	f := lib.finding(r, c.path, sprintf("%s: %s is %v%s; database logins must use Microsoft Entra ID only", [r.address, c.path, v, _defaulted(set)]))
}

indeterminate contains f if {
	some r in _planned
	some c in _checks[r.type]
	lib.unknown_at(r, c)
	f := lib.unknown_finding(r, c.path, "whether only Entra ID logins are accepted")
}

_defaulted(set) := " (not set)" if set == null

else := ""
