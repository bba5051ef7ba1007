#!/usr/bin/env python3
"""Writes a synthetic `terraform show -json` plan (format 1.2) with N resource changes.

The mix imitates a platform team's database estate: AWS RDS instances and clusters, Azure
PostgreSQL flexible servers and SQL servers with databases, dbre roles, grants and parameter
sets, and plain terraform_data, spread over modules with count/for_each indexes, with unknown
and sensitive values and a few deletes and replaces. Deterministic for a given N (seeded).
Usage: gen-plan.py N > plan.json
"""
import json
import random
import sys

n = int(sys.argv[1])
rnd = random.Random(n)


def aws_db_instance(i):
    return {
        "identifier": f"db-{i}", "engine": "postgres", "engine_version": "16.3", "instance_class": "db.t4g.medium",
        "allocated_storage": 20 + i % 50, "publicly_accessible": i % 17 == 0, "storage_encrypted": i % 5 != 0,
        "deletion_protection": i % 3 != 0, "backup_retention_period": [1, 7, 14, 35][i % 4],
        "skip_final_snapshot": i % 11 == 0, "username": "dbadmin", "password": f"not-a-real-password-{i}",
        "tags": {"env": "prod" if i % 2 else "dev", "owner": "dbre"},
    }, {"arn": True, "endpoint": True, "id": True, "kms_key_id": i % 7 == 0}, {"password": True}


def aws_rds_cluster(i):
    return {
        "cluster_identifier": f"cluster-{i}", "engine": "aurora-postgresql", "storage_encrypted": i % 4 != 0,
        "deletion_protection": True, "backup_retention_period": 7 if i % 6 else 3, "skip_final_snapshot": False,
        "master_username": "dbadmin", "master_password": f"not-a-real-password-{i}", "tags": {"env": "prod"},
    }, {"arn": True, "endpoint": True, "id": True}, {"master_password": True}


def azurerm_postgresql_flexible_server(i):
    return {
        "name": f"pg-{i}", "location": "westeurope", "version": "16", "sku_name": "GP_Standard_D2s_v3",
        "public_network_access_enabled": i % 9 == 0, "geo_redundant_backup_enabled": i % 2 == 0,
        "backup_retention_days": 7 if i % 8 else 3,
        "authentication": [{"active_directory_auth_enabled": True, "password_auth_enabled": i % 3 == 0}],
        "administrator_password": f"not-a-real-password-{i}", "tags": {"env": "prod"},
    }, {"fqdn": True, "id": True}, {"administrator_password": True}


def azurerm_mssql_server(i):
    return {
        "name": f"sql-{i}", "version": "12.0", "minimum_tls_version": "1.2" if i % 10 else "1.0",
        "public_network_access_enabled": i % 4 == 0,
        "azuread_administrator": [{"login_username": "dba", "azuread_authentication_only": i % 2 == 0}],
        "tags": {"env": "prod"},
    }, {"id": True, "fully_qualified_domain_name": True}, {}


def dbre_role(i):
    return {
        "name": f"role_{i}", "login": i % 2 == 0, "superuser": i % 97 == 0, "replication": False,
        "valid_until": "2027-01-01T00:00:00Z" if i % 3 else None, "password_wo_version": None, "connection_limit": -1,
    }, {"oid": True}, {}


def dbre_grant(i):
    return {
        "database": "orders_prod" if i % 2 else "orders_dev", "role": "PUBLIC" if i % 13 == 0 else f"role_{i}",
        "object_type": "table", "schema": "public", "objects": [],
        "privileges": ["ALL"] if i % 7 == 0 else ["SELECT", "INSERT"], "with_grant_option": False,
    }, {"id": True}, {}


def dbre_parameter_set(i):
    return {
        "server_id": f"/subscriptions/x/servers/pg-{i}",
        "parameters": {"ssl": "on", "log_connections": "off" if i % 5 == 0 else "on", "work_mem": "64MB"},
    }, {"id": True}, {}


def terraform_data(i):
    return {"input": {"kind": "misc", "n": i}, "triggers_replace": None}, {"id": True, "output": True}, {}


MIX = [
    ("aws_db_instance", aws_db_instance, 3),
    ("aws_rds_cluster", aws_rds_cluster, 1),
    ("azurerm_postgresql_flexible_server", azurerm_postgresql_flexible_server, 2),
    ("azurerm_mssql_server", azurerm_mssql_server, 1),
    ("dbre_role", dbre_role, 4),
    ("dbre_grant", dbre_grant, 6),
    ("dbre_parameter_set", dbre_parameter_set, 1),
    ("terraform_data", terraform_data, 2),
]
weights = [w for _, _, w in MIX]


def strip_unknown(after, unknown):
    return {k: v for k, v in after.items() if k not in unknown or not unknown[k]}


def sens(after, s):
    return {k: True for k in s if k in after}


changes, planned = [], {}
for i in range(n):
    rtype, make, _ = rnd.choices(MIX, weights)[0]
    after, unknown, sensitive = make(i)
    module = f"module.team{i % 20}" if i % 4 else ""
    name = "this"
    key = f"[{i}]" if i % 3 else f'["k{i}"]'
    address = f"{module + '.' if module else ''}{rtype}.{name}{key}"
    roll = rnd.random()
    if roll < 0.02:
        actions, before, after_v = ["delete"], after, None
    elif roll < 0.04:
        actions, before, after_v = ["delete", "create"], after, strip_unknown(after, unknown)
    elif roll < 0.14:
        actions, before, after_v = ["update"], after, strip_unknown(after, {})
    elif roll < 0.30:
        actions, before, after_v = ["no-op"], after, after
    else:
        actions, before, after_v = ["create"], None, strip_unknown(after, unknown)
    known_after = actions in (["update"], ["no-op"])
    change = {
        "actions": actions,
        "before": before,
        "after": after_v,
        "after_unknown": {} if after_v is None or known_after else {k: v for k, v in unknown.items() if v},
        "before_sensitive": sens(before, sensitive) if before else False,
        "after_sensitive": sens(after_v, sensitive) if after_v else False,
    }
    rc = {
        "address": address, "mode": "managed", "type": rtype, "name": name,
        "index": i if i % 3 else f"k{i}", "provider_name": "registry.terraform.io/hashicorp/x", "change": change,
    }
    if module:
        rc["module_address"] = module
    changes.append(rc)
    if after_v is not None:
        res = {"address": address, "mode": "managed", "type": rtype, "name": name, "index": rc["index"],
               "provider_name": rc["provider_name"], "schema_version": 0, "values": after_v,
               "sensitive_values": change["after_sensitive"] or {}}
        planned.setdefault(module, []).append(res)

root = {"resources": planned.get("", []), "child_modules": [
    {"address": m, "resources": rs} for m, rs in sorted(planned.items()) if m]}
plan = {
    "format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {"root_module": root},
    "resource_changes": changes, "configuration": {"root_module": {}}, "applyable": True, "complete": True,
    "errored": False,
}
json.dump(plan, sys.stdout)
