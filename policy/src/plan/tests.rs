use super::*;
use serde_json::json;

fn plan_json(changes: Json) -> String {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"root_module": {
            "variables": {"pw": {"sensitive": true}, "region": {}},
            "resources": [{"address": "dbre_role.b"}]
        }},
        "variables": {"pw": {"value": "var-secret-1"}, "region": {"value": "westeurope"}}
    })
    .to_string()
}

fn change(address: &str, actions: &[&str], after: Json, after_sensitive: Json) -> Json {
    json!({
        "address": address, "mode": "managed", "type": "dbre_role",
        "name": address.rsplit('.').next().unwrap(),
        "provider_name": "registry.terraform.io/dbre/dbre",
        "change": {"actions": actions, "before": null, "after": after,
                   "after_unknown": {"oid": true}, "before_sensitive": false,
                   "after_sensitive": after_sensitive}
    })
}

#[test]
fn parses_sorts_and_folds_actions() {
    let text = plan_json(json!([
        change(
            "dbre_role.b",
            &["delete", "create"],
            json!({"name": "b"}),
            json!({})
        ),
        change("dbre_role.a", &["create"], json!({"name": "a"}), json!({})),
    ]));
    let plan = Plan::parse("p.json", &text).unwrap();
    let addrs: Vec<_> = plan.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(addrs, ["dbre_role.a", "dbre_role.b"]);
    assert_eq!(plan.change("dbre_role.b").unwrap().action, Action::Replace);
    assert!(plan.change("dbre_role.c").is_none());
    assert_eq!(plan.sources.lookup("dbre_role.b").unwrap().module, ".");
}

#[test]
fn view_masks_sensitive_values_and_lists_unknown_paths() {
    let text = plan_json(json!([change(
        "dbre_role.a",
        &["delete", "create"],
        json!({"name": "a", "password": "hunter2-long"}),
        json!({"password": true})
    )]));
    let plan = Plan::parse("p.json", &text).unwrap();
    let view = dbre_plan_view(&plan);
    let r = &view["resources"][0];
    assert_eq!(r["after"]["password"], json!(SENSITIVE_PLACEHOLDER));
    assert_eq!(r["unknown"], json!({"oid": true}));
    assert_eq!(r["sensitive"], json!({"password": true}));
    assert_eq!(r["action"], json!("replace"));
    assert_eq!(
        (
            r["create"].clone(),
            r["delete"].clone(),
            r["replace"].clone()
        ),
        (json!(true), json!(true), json!(true))
    );
    assert_eq!(
        view["by_type"]["dbre_role"][0]["address"],
        json!("dbre_role.a")
    );
    assert!(!view.to_string().contains("hunter2-long"));
    // The redactor knows the secret value and the sensitive variable, not the plain one.
    let scrubbed = plan.redactor.scrub("hunter2-long var-secret-1 westeurope");
    assert_eq!(scrubbed, "(sensitive value) (sensitive value) westeurope");
}

#[test]
fn rejects_what_is_not_a_plan() {
    let err = |text: &str| Plan::parse("x.json", text).unwrap_err();
    assert!(matches!(err("{"), PlanError::Json { line: 1, .. }));
    assert!(matches!(err("[1,2]"), PlanError::NotAPlan { .. }));
    assert!(matches!(err(r#"{"a": 1}"#), PlanError::NotAPlan { .. }));
    let state = err(r#"{"format_version": "1.0", "values": {}}"#);
    assert!(state.to_string().contains("state"), "{state}");
    let v2 = err(r#"{"format_version": "2.0", "planned_values": {}}"#);
    assert!(matches!(v2, PlanError::UnsupportedFormat { .. }), "{v2}");
    assert!(v2.to_string().contains("\"2.0\""));
}

#[test]
fn accepts_format_zero_and_plans_without_changes() {
    let plan = Plan::parse(
        "old.json",
        r#"{"format_version": "0.1", "terraform_version": "0.12.0", "planned_values": {}}"#,
    )
    .unwrap();
    assert!(plan.changes.is_empty());
}

#[test]
fn old_plans_without_sensitivity_keep_their_marks_but_password_like_values_are_scrubbed() {
    let text = json!({
        "format_version": "0.1",
        "planned_values": {},
        "resource_changes": [{
            "address": "aws_db_instance.db", "type": "aws_db_instance", "name": "db",
            "change": {"actions": ["create"], "before": null,
                       "after": {"password": "Password123", "engine": "mysql"}}
        }]
    })
    .to_string();
    let plan = Plan::parse("old.json", &text).unwrap();
    let view = dbre_plan_view(&plan);
    // Terraform before 0.15 wrote the password into the plan unmarked: guardrails must see
    // exactly that (DBRE-AWS-006 fails on it) ...
    assert_eq!(view["resources"][0]["sensitive"], json!({}));
    assert_eq!(view["resources"][0]["after"]["engine"], json!("mysql"));
    // ... while no output dbre prints may carry it.
    assert_eq!(
        plan.redactor.scrub("pw Password123"),
        "pw (sensitive value)"
    );
}

#[test]
fn rego_view_equals_converted_json_view() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/plans")),
        &mut files,
    );
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(plan) = Plan::parse(&file.to_string_lossy(), &text) else {
            continue;
        };
        assert_eq!(
            crate::plan::dbre_plan_view_value(&plan),
            regorus::Value::from(dbre_plan_view(&plan)),
            "{}",
            file.display()
        );
        checked += 1;
    }
    assert!(checked > 0);
}
