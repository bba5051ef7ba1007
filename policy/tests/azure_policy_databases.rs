//! Realistic database definitions from `tests/data/azure_policy/` evaluated against
//! resources shaped like azurerm plan values, and against real published plans.

use std::fs;
use std::path::{Path, PathBuf};

use dbre_policy::azure_policy::{
    load_all, Action, AzureDefinition, AzureOutcome, Effect, ResourceInput, Tri,
};
use serde_json::{json, Value};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/azure_policy")
}

/// Every definition file of the data directory, loaded as one set.
fn load_data() -> Vec<AzureDefinition> {
    let mut files: Vec<(PathBuf, String)> = fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    files.sort();
    load_all(files.iter().map(|(p, t)| (p.as_path(), t.as_str()))).unwrap_or_else(|e| panic!("{e}"))
}

struct Change {
    address: String,
    type_: String,
    name: String,
    action: Action,
    after: Value,
    unknown: Value,
    before: Value,
}

fn change(type_: &str, action: Action, after: Value, unknown: Value, before: Value) -> Change {
    Change {
        address: format!("{type_}.main"),
        type_: type_.into(),
        name: "main".into(),
        action,
        after,
        unknown,
        before,
    }
}

/// Reportable outcomes for one change: (definition, effect, result).
fn judge(defs: &[AzureDefinition], c: &Change) -> Vec<AzureOutcome> {
    let r = ResourceInput {
        address: &c.address,
        type_: &c.type_,
        name: &c.name,
        action: c.action,
        after: &c.after,
        after_unknown: &c.unknown,
        before: &c.before,
    };
    let mut out: Vec<AzureOutcome> = defs
        .iter()
        .flat_map(|d| d.evaluate(&r))
        .filter(AzureOutcome::is_reportable)
        .collect();
    out.sort_by(|a, b| a.definition.cmp(&b.definition));
    out
}

fn summary(out: &[AzureOutcome]) -> Vec<(String, String, String)> {
    out.iter()
        .map(|o| {
            let r = match &o.result {
                Tri::Match => "match".to_string(),
                Tri::NoMatch => "no-match".to_string(),
                Tri::Indeterminate { fields } => format!("indeterminate {}", fields.join(",")),
            };
            (o.definition.clone(), o.effect.as_str().to_string(), r)
        })
        .collect()
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

/// `after` of an azurerm_postgresql_flexible_server as azurerm 4.x plans it.
fn pg_flexible(public: Option<bool>, geo: bool) -> (Value, Value) {
    let mut after = json!({
        "administrator_login": "pgadmin",
        "administrator_password": "(sensitive value)",
        "authentication": [{"active_directory_auth_enabled": true, "password_auth_enabled": false}],
        "auto_grow_enabled": false,
        "backup_retention_days": 14,
        "create_mode": null,
        "delegated_subnet_id": null,
        "geo_redundant_backup_enabled": geo,
        "high_availability": [],
        "location": "westeurope",
        "maintenance_window": [],
        "name": "orders-pg",
        "resource_group_name": "rg-orders",
        "sku_name": "GP_Standard_D2s_v3",
        "storage_mb": 65536,
        "tags": {"env": "prod", "protected": "true"},
        "timeouts": null,
        "version": "16",
        "zone": "1"
    });
    let mut unknown = json!({
        "authentication": [{"tenant_id": true}],
        "fqdn": true,
        "high_availability": [],
        "id": true,
        "maintenance_window": [],
        "private_dns_zone_id": true,
        "storage_tier": true,
        "tags": {}
    });
    match public {
        Some(p) => {
            after["public_network_access_enabled"] = json!(p);
        }
        None => {
            // Optional+Computed and not set in the configuration: known after apply.
            unknown["public_network_access_enabled"] = json!(true);
        }
    }
    (after, unknown)
}

#[test]
fn pg_flexible_server_outcomes() {
    let defs = load_data();
    // public network on, geo backup off: deny public access, audit geo backup
    let (after, unknown) = pg_flexible(Some(true), false);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Create,
        after,
        unknown,
        Value::Null,
    );
    assert_eq!(
        summary(&judge(&defs, &c)),
        vec![
            s("geo-redundant-backup", "audit", "match"),
            s("pg-flexible-public-network-access", "deny", "match"),
        ]
    );

    // compliant server: nothing
    let (after, unknown) = pg_flexible(Some(false), true);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Create,
        after,
        unknown,
        Value::Null,
    );
    assert_eq!(summary(&judge(&defs, &c)), vec![]);

    // public access left to the provider (unknown until apply): indeterminate, never deny
    let (after, unknown) = pg_flexible(None, true);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Create,
        after,
        unknown,
        Value::Null,
    );
    let out = judge(&defs, &c);
    assert_eq!(
        summary(&out),
        vec![s(
            "pg-flexible-public-network-access",
            "deny",
            "indeterminate public_network_access_enabled"
        )]
    );
    assert!(out[0].message.contains("public_network_access_enabled"));
    assert_eq!(out[0].severity.as_deref(), Some("high"));
    assert!(out[0]
        .file
        .ends_with("pg-flexible-public-network-access.json"));
}

#[test]
fn deleting_a_protected_server_is_denied() {
    let defs = load_data();
    let (before, _) = pg_flexible(Some(false), true);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Delete,
        Value::Null,
        json!({}),
        before.clone(),
    );
    let out = judge(&defs, &c);
    assert_eq!(
        summary(&out),
        vec![s("no-delete-protected-databases", "denyAction", "match")]
    );
    // replacing it deletes it too; the new object's outcomes appear alongside
    let (after, unknown) = pg_flexible(Some(false), true);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Replace,
        after,
        unknown,
        before,
    );
    assert_eq!(
        summary(&judge(&defs, &c)),
        vec![s("no-delete-protected-databases", "denyAction", "match")]
    );
}

#[test]
fn mssql_server_tls_and_entra_only_via_initiative() {
    let defs = load_data();
    let after = json!({
        "administrator_login": "sqladmin",
        "azuread_administrator": [{"azuread_authentication_only": false, "login_username": "dba-group", "object_id": "00000000-0000-0000-0000-000000000001"}],
        "location": "westeurope",
        "minimum_tls_version": "1.0",
        "name": "orders-sql",
        "public_network_access_enabled": false,
        "version": "12.0"
    });
    let unknown = json!({"azuread_administrator": [{"tenant_id": true}], "id": true, "fully_qualified_domain_name": true});
    let c = change(
        "azurerm_mssql_server",
        Action::Create,
        after.clone(),
        unknown.clone(),
        Value::Null,
    );
    let out = judge(&defs, &c);
    // the TLS definition runs through the baseline initiative, whose tlsEffect is Audit
    assert_eq!(
        summary(&out),
        vec![
            s("db-minimum-tls-1-2", "audit", "match"),
            s("mssql-entra-only-auth", "deny", "match"),
        ]
    );
    let tls = out
        .iter()
        .find(|o| o.definition == "db-minimum-tls-1-2")
        .unwrap();
    assert_eq!(tls.initiative.as_deref(), Some("database-baseline"));
    assert_eq!(tls.reference_id.as_deref(), Some("tls"));

    // Entra-only on, TLS 1.2: compliant
    let mut good = after.clone();
    good["minimum_tls_version"] = json!("1.2");
    good["azuread_administrator"][0]["azuread_authentication_only"] = json!(true);
    let c = change(
        "azurerm_mssql_server",
        Action::Create,
        good,
        unknown.clone(),
        Value::Null,
    );
    assert_eq!(summary(&judge(&defs, &c)), vec![]);

    // Entra-only flag unknown until apply: the count is 0 or 1 → indeterminate
    let mut unsure = after;
    unsure["minimum_tls_version"] = json!("1.2");
    unsure["azuread_administrator"][0]
        .as_object_mut()
        .unwrap()
        .remove("azuread_authentication_only");
    let unknown2 = json!({"azuread_administrator": [{"azuread_authentication_only": true, "tenant_id": true}]});
    let c = change(
        "azurerm_mssql_server",
        Action::Create,
        unsure,
        unknown2,
        Value::Null,
    );
    assert_eq!(
        summary(&judge(&defs, &c)),
        vec![s(
            "mssql-entra-only-auth",
            "deny",
            "indeterminate azuread_administrator.0.azuread_authentication_only"
        )]
    );
}

#[test]
fn initiative_parameter_reaches_backup_retention() {
    let defs = load_data();
    // baseline passes retentionDays = 14; 10 days violates it (default would be 7)
    let (mut after, unknown) = pg_flexible(Some(false), true);
    after["backup_retention_days"] = json!(10);
    let c = change(
        "azurerm_postgresql_flexible_server",
        Action::Update,
        after,
        unknown,
        Value::Null,
    );
    let out = judge(&defs, &c);
    assert_eq!(
        summary(&out),
        vec![s("db-backup-retention", "deny", "match")]
    );
    assert_eq!(out[0].initiative.as_deref(), Some("database-baseline"));
}

// ----------------------------------------------------------------------------------------
// Real plans (see tests/data/azure_policy/plans/SOURCES.md)

fn plan_changes(file: &str) -> Vec<Change> {
    let text = fs::read_to_string(data_dir().join("plans").join(file)).unwrap();
    let plan: Value = serde_json::from_str(&text).unwrap();
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rc| {
            let actions: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            Change {
                address: rc["address"].as_str().unwrap().into(),
                type_: rc["type"].as_str().unwrap().into(),
                name: rc["name"].as_str().unwrap().into(),
                action: Action::from_actions(&actions).unwrap(),
                after: rc["change"]["after"].clone(),
                unknown: rc["change"]["after_unknown"].clone(),
                before: rc["change"]["before"].clone(),
            }
        })
        .collect()
}

#[test]
fn real_plan_azure_postgresql_server() {
    let defs = load_data();
    let mut found = Vec::new();
    for c in plan_changes("terraform-compliance__cli__case-sensitivity-azure-postgresql.json") {
        for o in judge(&defs, &c) {
            found.push((
                c.address.clone(),
                o.definition.clone(),
                o.effect.clone(),
                o.result.clone(),
            ));
        }
    }
    // ssl_minimal_tls_version_enforced = TLSEnforcementDisabled violates the TLS rule
    // (audit via the baseline); retention 7 < 14 from the baseline → deny.
    assert_eq!(
        found,
        vec![
            (
                "azurerm_postgresql_server.example".into(),
                "db-backup-retention".into(),
                Effect::Deny,
                Tri::Match
            ),
            (
                "azurerm_postgresql_server.example".into(),
                "db-minimum-tls-1-2".into(),
                Effect::Audit,
                Tri::Match
            ),
        ]
    );
}

#[test]
fn real_plan_sql_firewall_rules() {
    let defs = load_data();
    let mut denied = Vec::new();
    for c in plan_changes("fugue__regula__azurerm-sql-firewall-no-inbound-all.json") {
        for o in judge(&defs, &c) {
            assert_eq!(o.definition, "sql-firewall-no-internet");
            assert_eq!(
                (o.effect.clone(), o.result.clone()),
                (Effect::Deny, Tri::Match)
            );
            denied.push(c.address.clone());
        }
    }
    assert_eq!(denied, vec!["azurerm_sql_firewall_rule.invalidrule3"]);
}
