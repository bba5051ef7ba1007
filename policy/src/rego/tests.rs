//! The Rego layer on small inline policies and plans.

use super::*;
use crate::finding::Outcome;
use crate::plan::{dbre_plan_view, Plan};
use serde_json::json;

fn plan() -> (Plan, regorus::Value, regorus::Value) {
    let text = json!({
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": [
            {"address": "x.a", "type": "x", "name": "a",
             "change": {"actions": ["delete"], "before": {"v": 1}, "after": null}},
            {"address": "x.b", "type": "x", "name": "b",
             "change": {"actions": ["create"], "before": null, "after": {"v": 2},
                        "after_unknown": {"id": true}}}
        ]
    })
    .to_string();
    let plan = Plan::parse("p.json", &text).unwrap();
    let input = regorus::Value::from_json_str(&text).unwrap();
    let view = regorus::Value::from(dbre_plan_view(&plan));
    (plan, input, view)
}

fn source(path: &str, text: &str) -> RegoSource {
    RegoSource {
        path: path.into(),
        text: text.into(),
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        builtin: false,
        ..LoadOptions::default()
    }
}

fn check(sources: &[RegoSource], options: &LoadOptions) -> Vec<crate::finding::Finding> {
    let (plan, input, view) = plan();
    let policies = RegoPolicies::load(sources, Vec::new(), options).unwrap();
    let mut findings = policies.evaluate(&plan, input, view).unwrap();
    crate::finding::sort_findings(&mut findings);
    findings
}

#[test]
fn every_value_shape_conftest_accepts() {
    let findings = check(
        &[source(
            "m.rego",
            r#"package main
import rego.v1
deny contains "plain string" if true
violation_obj contains {"msg": "object", "address": "x.a", "_loc": {"line": 1}, "k": [1]} if true
warn_bool if true
deny_never if false
deny_undefined := x if { x := input.nothing }
helper := 1
"#,
        )],
        &options(),
    );
    let got: Vec<(&str, Outcome, Option<&str>, &str)> = findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.outcome,
                f.address.as_deref(),
                f.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("main.deny", Outcome::Fail, None, "plain string"),
            ("main.warn_bool", Outcome::Warn, None, "main.warn_bool"),
            ("main.violation_obj", Outcome::Fail, Some("x.a"), "object"),
        ]
    );
    let obj = findings
        .iter()
        .find(|f| f.rule == "main.violation_obj")
        .unwrap();
    assert_eq!(obj.action, Some(crate::plan::Action::Delete));
    assert_eq!(obj.metadata.get("k"), Some(&json!([1])));
    assert!(!obj.metadata.contains_key("_loc"));
    assert_eq!(obj.policy.line, Some(4));
}

#[test]
fn namespaces_globs_and_all() {
    let sources = [
        source(
            "a.rego",
            "package terraform.a\nimport rego.v1\ndeny contains \"a\" if true\n",
        ),
        source(
            "b.rego",
            "package terraform.b\nimport rego.v1\ndeny contains \"b\" if true\n",
        ),
        source(
            "c.rego",
            "package other\nimport rego.v1\ndeny contains \"c\" if true\n",
        ),
    ];
    let messages = |opts: &LoadOptions| -> Vec<String> {
        check(&sources, opts)
            .into_iter()
            .map(|f| f.message)
            .collect()
    };
    let mut opts = options();
    assert!(messages(&opts).is_empty(), "default namespace is main");
    opts.namespaces = vec!["terraform.*".into()];
    assert_eq!(messages(&opts), ["a", "b"]);
    opts.namespaces = vec![];
    opts.all_namespaces = true;
    // Sorted by rule id: other.deny, terraform.a.deny, terraform.b.deny.
    assert_eq!(messages(&opts), ["c", "a", "b"]);
}

#[test]
fn data_dbre_plan_is_visible_to_every_policy() {
    let findings = check(
        &[source(
            "m.rego",
            r#"package main
import rego.v1
deny contains {"msg": r.action, "address": r.address} if {
    some r in data.dbre.plan.resources
    r.delete
}
warn contains {"msg": "unknown id", "address": r.address, "attribute": "id"} if {
    some r in data.dbre.plan.by_type.x
    r.unknown.id
}
"#,
        )],
        &options(),
    );
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.address.as_deref().unwrap(), f.message.as_str()))
        .collect();
    assert_eq!(got, [("x.a", "delete"), ("x.b", "unknown id")]);
    assert_eq!(findings[1].attribute.as_deref(), Some("id"));
}

#[test]
fn v0_modules_need_the_flag_and_v1_modules_load_either_way() {
    let v0 = source("v0.rego", "package main\ndeny[msg] { msg := \"v0\" }\n");
    let v1 = source(
        "v1.rego",
        "package main\nimport rego.v1\nwarn contains \"v1\" if true\n",
    );
    let err = RegoPolicies::load(std::slice::from_ref(&v0), Vec::new(), &options())
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with("v0.rego:2:"), "{err}");
    assert!(err.contains("--rego-v0"), "{err}");
    let mut opts = options();
    opts.rego_v0 = true;
    let messages: Vec<String> = check(&[v0, v1], &opts)
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert_eq!(messages, ["v0", "v1"]);
}

#[test]
fn runtime_errors_name_the_plan() {
    let (plan, input, view) = plan();
    let policies = RegoPolicies::load(
        &[source(
            "m.rego",
            "package main\nimport rego.v1\ndeny contains x if { x := to_number(\"nope\") }\n",
        )],
        Vec::new(),
        &options(),
    )
    .unwrap();
    let err = policies
        .evaluate(&plan, input, view)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("p.json: evaluating policies failed: m.rego:3:"),
        "{err}"
    );
}

#[test]
fn policy_tests_report_pass_fail_and_error() {
    let results = run_tests(
        &[source(
            "t.rego",
            r#"package t
import rego.v1
test_ok if true
test_false if false
test_error if { to_number("x") == 1 }
"#,
        )],
        Vec::new(),
        false,
    )
    .unwrap();
    let got: Vec<(&str, TestOutcome)> = results
        .iter()
        .map(|r| (r.name.as_str(), r.outcome.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("test_ok", TestOutcome::Pass),
            ("test_false", TestOutcome::Fail),
            ("test_error", TestOutcome::Error),
        ]
    );
}

#[test]
fn big_plans_split_across_threads_give_the_same_findings() {
    let mut changes = Vec::new();
    for i in 0..1200 {
        changes.push(json!({
            "address": format!("aws_db_instance.db[{i}]"), "type": "aws_db_instance", "name": "db",
            "index": i,
            "change": {"actions": ["create"], "before": null,
                       "after": {"publicly_accessible": i % 3 == 0, "storage_encrypted": i % 2 == 0,
                                 "backup_retention_period": i % 10, "deletion_protection": true,
                                 "skip_final_snapshot": false},
                       "after_unknown": {"id": true}}
        }));
    }
    let text = json!({"format_version": "1.2", "planned_values": {}, "resource_changes": changes})
        .to_string();
    let plan = Plan::parse("big.json", &text).unwrap();
    let input = regorus::Value::from_json_str(&text).unwrap();
    let view = regorus::Value::from(dbre_plan_view(&plan));
    let user = source(
        "m.rego",
        "package main\nimport rego.v1\nwarn contains r.address if { some r in data.dbre.plan.resources; r.index % 100 == 0 }\n",
    );
    let opts = LoadOptions {
        builtin: true,
        ..LoadOptions::default()
    };
    let policies = RegoPolicies::load(&[user], Vec::new(), &opts).unwrap();
    assert!(policies.group_packages.len() > 1);
    let mut parallel = policies
        .evaluate(&plan, input.clone(), view.clone())
        .unwrap();
    let mut single_policies = policies.clone();
    single_policies.group_packages.clear();
    let mut single = single_policies.evaluate(&plan, input, view).unwrap();
    crate::finding::sort_findings(&mut parallel);
    crate::finding::sort_findings(&mut single);
    assert!(parallel.len() > 1200, "{}", parallel.len());
    assert_eq!(parallel, single);
}
