# A policy outside the default namespace: only checked with --namespace terraform.database
# (or --all-namespaces).
package terraform.database

import rego.v1

db_types := {"aws_db_instance", "aws_rds_cluster", "azurerm_postgresql_server", "google_sql_database_instance", "azurerm_sql_server"}

deny contains {"msg": msg, "resource": rc.address} if {
	some rc in input.resource_changes
	rc.type in db_types
	msg := sprintf("database %s.%s is created outside the dbre module", [rc.type, rc.name])
}

warn contains "database plan checked" if {
	some rc in input.resource_changes
	rc.type in db_types
}
