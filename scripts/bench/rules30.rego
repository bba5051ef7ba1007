# 30 conftest-style rules for scripts/bench-policy.sh (generated once, kept stable).
package main

import rego.v1

deny_r01 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.publicly_accessible == true
	msg := sprintf("%s: publicly_accessible == true", [rc.address])
}

deny_r02 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.storage_encrypted != true
	msg := sprintf("%s: storage_encrypted != true", [rc.address])
}

warn_r03 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.deletion_protection != true
	msg := sprintf("%s: deletion_protection != true", [rc.address])
}

deny_r04 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.backup_retention_period < 7
	msg := sprintf("%s: backup_retention_period < 7", [rc.address])
}

deny_r05 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.skip_final_snapshot == true
	msg := sprintf("%s: skip_final_snapshot == true", [rc.address])
}

warn_r06 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.allocated_storage > 60
	msg := sprintf("%s: allocated_storage > 60", [rc.address])
}

deny_r07 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.engine_version == "11.22"
	msg := sprintf("%s: engine_version == 11.22", [rc.address])
}

warn_r08 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_db_instance"
	rc.change.after.instance_class == "db.t2.micro"
	msg := sprintf("%s: instance_class == db.t2.micro", [rc.address])
}

deny_r09 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_rds_cluster"
	rc.change.after.storage_encrypted != true
	msg := sprintf("%s: storage_encrypted != true", [rc.address])
}

deny_r10 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_rds_cluster"
	rc.change.after.backup_retention_period < 7
	msg := sprintf("%s: backup_retention_period < 7", [rc.address])
}

warn_r11 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_rds_cluster"
	rc.change.after.deletion_protection != true
	msg := sprintf("%s: deletion_protection != true", [rc.address])
}

warn_r12 contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_rds_cluster"
	rc.change.after.engine == "aurora"
	msg := sprintf("%s: engine == aurora", [rc.address])
}

deny_r13 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_postgresql_flexible_server"
	rc.change.after.public_network_access_enabled == true
	msg := sprintf("%s: public_network_access_enabled == true", [rc.address])
}

warn_r14 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_postgresql_flexible_server"
	rc.change.after.geo_redundant_backup_enabled != true
	msg := sprintf("%s: geo_redundant_backup_enabled != true", [rc.address])
}

deny_r15 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_postgresql_flexible_server"
	rc.change.after.backup_retention_days < 7
	msg := sprintf("%s: backup_retention_days < 7", [rc.address])
}

deny_r16 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_postgresql_flexible_server"
	rc.change.after.version == "11"
	msg := sprintf("%s: version == 11", [rc.address])
}

deny_r17 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_mssql_server"
	rc.change.after.minimum_tls_version != "1.2"
	msg := sprintf("%s: minimum_tls_version != 1.2", [rc.address])
}

deny_r18 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_mssql_server"
	rc.change.after.public_network_access_enabled == true
	msg := sprintf("%s: public_network_access_enabled == true", [rc.address])
}

warn_r19 contains msg if {
	some rc in input.resource_changes
	rc.type == "azurerm_mssql_server"
	rc.change.after.version != "12.0"
	msg := sprintf("%s: version != 12.0", [rc.address])
}

deny_r20 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_role"
	rc.change.after.superuser == true
	msg := sprintf("%s: superuser == true", [rc.address])
}

deny_r21 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_role"
	rc.change.after.replication == true
	msg := sprintf("%s: replication == true", [rc.address])
}

warn_r22 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_role"
	rc.change.after.connection_limit == 0
	msg := sprintf("%s: connection_limit == 0", [rc.address])
}

warn_r23 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_grant"
	rc.change.after.with_grant_option == true
	msg := sprintf("%s: with_grant_option == true", [rc.address])
}

deny_r24 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_grant"
	rc.change.after.role == "PUBLIC"
	msg := sprintf("%s: role == PUBLIC", [rc.address])
}

warn_r25 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_grant"
	rc.change.after.object_type == "function"
	msg := sprintf("%s: object_type == function", [rc.address])
}

deny_r26 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_parameter_set"
	rc.change.after.server_id == ""
	msg := sprintf("%s: server_id == ", [rc.address])
}

prod(rc) if rc.change.after.tags.env == "prod"

deny_r27 contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	prod(rc)
	msg := sprintf("%s: production resource destroyed", [rc.address])
}

warn_r28 contains msg if {
	n := count([rc | some rc in input.resource_changes; rc.change.actions == ["update"]])
	n > 100
	msg := sprintf("%d updates in one plan", [n])
}

deny_r29 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_grant"
	"ALL" in rc.change.after.privileges
	endswith(rc.change.after.database, "_prod")
	msg := sprintf("%s: ALL on %s", [rc.address, rc.change.after.database])
}

warn_r30 contains msg if {
	some rc in input.resource_changes
	rc.type == "dbre_parameter_set"
	some k, v in rc.change.after.parameters
	k == "log_connections"
	v == "off"
	msg := sprintf("%s: %s is off", [rc.address, k])
}
