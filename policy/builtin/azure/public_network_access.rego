# Database servers reachable from the internet rely on firewall rules alone; private endpoints or
# VNet integration keep them off the public network.
package dbre.builtin.az_public_network_access

import data.dbre.lib
import rego.v1

# Attribute per type, and what Azure does when it is left unset (null); types without a default
# are computed by Azure and only judged when the plan shows a value.
_attribute := {
	"azurerm_postgresql_flexible_server": {"path": "public_network_access_enabled"},
	"azurerm_mysql_flexible_server": {"path": "public_network_access_enabled"},
	"azurerm_postgresql_server": {"path": "public_network_access_enabled", "default": true},
	"azurerm_mysql_server": {"path": "public_network_access_enabled", "default": true},
	"azurerm_mariadb_server": {"path": "public_network_access_enabled", "default": true},
	"azurerm_mssql_server": {"path": "public_network_access_enabled", "default": true},
	"azurerm_mssql_managed_instance": {"path": "public_data_endpoint_enabled", "default": false},
	"azurerm_cosmosdb_account": {"path": "public_network_access_enabled", "default": true},
}

metadata := {
	"id": "DBRE-AZ-002",
	"severity": "high",
	"title": "Public network access off for Azure databases",
	"description": "Azure database servers must set public_network_access_enabled = false (public_data_endpoint_enabled = false for SQL managed instances) and be reached through private endpoints or VNet integration.",
	"resource_types": sort(object.keys(_attribute)),
}

# Judged resources, computed once per evaluation (a rule, unlike a function, is cached).
_planned := lib.planned(metadata.resource_types)

deny contains f if {
	some r in _planned
	a := _attribute[r.type]
	r.after[a.path] == true
	f := lib.finding(r, a.path, sprintf("%s: %s is true; the server accepts connections from the internet", [r.address, a.path]))
}

deny contains f if {
	some r in _planned
	a := _attribute[r.type]
	a["default"] == true
	object.get(r.after, a.path, null) == null
	not r.unknown[a.path]
	f := lib.finding(r, a.path, sprintf("%s: %s is not set and Azure's default is true; the server accepts connections from the internet", [r.address, a.path]))
}

indeterminate contains f if {
	some r in _planned
	a := _attribute[r.type]
	r.unknown[a.path]
	f := lib.unknown_finding(r, a.path, "whether the server is reachable from the internet")
}
