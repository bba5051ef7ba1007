//! The built-in guardrails as a user meets them: `dbre policy check -o json PLAN` on every fixture
//! plan must report exactly the built-in findings in `tests/data/builtin_expected/<same path>`
//! (rule id, outcome, address, attribute, message). Those were computed by OPA itself over an
//! independently built `data.dbre.plan` (`scripts/builtin-expected.py`), so this checks the whole
//! path through the binary: plan model, helper package, regorus, findings and the json report.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The fields compared, in this order.
const FIELDS: [&str; 5] = ["rule", "outcome", "address", "attribute", "message"];

/// Plans written before Terraform 0.15 (no `before_sensitive`/`after_sensitive`) holding an RDS
/// password, where dbre currently disagrees with the expectations on `DBRE-AWS-006`: the core
/// guesses sensitivity marks for such plans (policy/src/plan/mod.rs, "infer_sensitive_marks") and
/// hands the guesses to `data.dbre.plan` as if Terraform had made them, so the guardrail sees the
/// password as marked and warns ("masked on screen only") where it should fail ("not marked
/// sensitive, so Terraform prints it", policy/builtin/README.md). Checked by the ignored test
/// below until the core keeps guessed marks to its redactor.
const PRE_015_PASSWORD_PLANS: [&str; 3] = [
    "real/bridgecrewio__checkov__runner-plan-terragoat-55-resources.json",
    "real/terraform-compliance__cli__issue401-aws-db-instance.json",
    "real/terraform-compliance__cli__issue438-aws-rds-cluster.json",
];

/// Plan folders under tests/data/plans whose every plan must have expectations.
const PLAN_DIRS: [&str; 3] = ["real", "terraform_data", "handmade"];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One finding reduced to the compared fields (absent ones as null), for sorting and diffs.
fn key(finding: &Value) -> Vec<String> {
    FIELDS.iter().map(|f| finding[*f].to_string()).collect()
}

fn sorted_keys<'a>(findings: impl Iterator<Item = &'a Value>) -> Vec<Vec<String>> {
    let mut keys: Vec<Vec<String>> = findings.map(key).collect();
    keys.sort();
    keys
}

/// The built-in findings dbre reports for one plan (path relative to tests/data/plans).
fn dbre_builtin_findings(plan: &str) -> Vec<Vec<String>> {
    let output = Command::new(env!("CARGO_BIN_EXE_dbre"))
        .args(["policy", "check", "-o", "json"])
        .arg(data_dir().join("plans").join(plan))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running dbre");
    let code = output.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "dbre policy check {plan} exited with {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{plan}: the json report does not parse: {e}"));
    let findings = report["findings"]
        .as_array()
        .expect("report has findings[]");
    for f in findings {
        let rule = f["rule"].as_str().expect("finding.rule");
        assert!(
            rule.starts_with("DBRE-"),
            "{plan}: without -p only built-in rules may report, got {f}"
        );
        let file = f["policy"]["file"].as_str().expect("finding.policy.file");
        assert!(
            file.starts_with("builtin:"),
            "{plan}: built-in finding from {file}"
        );
    }
    sorted_keys(findings.iter())
}

fn expected_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in PLAN_DIRS {
        let path = data_dir().join("builtin_expected").join(dir);
        for e in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            let name = e
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .to_string();
            if name.ends_with(".json") {
                out.push(format!("{dir}/{name}"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_fixture_plan_has_expected_builtin_findings() {
    let expected = expected_files();
    for dir in PLAN_DIRS {
        let path = data_dir().join("plans").join(dir);
        for e in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            let name = e
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .to_string();
            if name.ends_with(".json") {
                let plan = format!("{dir}/{name}");
                assert!(
                    expected.contains(&plan),
                    "no tests/data/builtin_expected/{plan} (run scripts/builtin-expected.py)"
                );
            }
        }
    }
}

/// Compares dbre with the expectations on `plans`; returns the number of expected findings.
fn compare(plans: &[String]) -> usize {
    let mut findings = 0;
    let mut mismatches = Vec::new();
    for plan in plans {
        let path = data_dir().join("builtin_expected").join(plan);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = sorted_keys(doc.as_array().expect("a list of findings").iter());
        findings += want.len();
        let got = dbre_builtin_findings(plan);
        if got != want {
            let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
            let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
            mismatches.push(format!(
                "{plan}:\n  expected, not reported: {missing:?}\n  reported, not expected: {extra:?}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} plans differ (fields {FIELDS:?}):\n{}",
        mismatches.len(),
        plans.len(),
        mismatches.join("\n")
    );
    findings
}

#[test]
fn builtin_findings_match_the_opa_computed_expectations() {
    let plans: Vec<String> = expected_files()
        .into_iter()
        .filter(|p| !PRE_015_PASSWORD_PLANS.contains(&p.as_str()))
        .collect();
    assert!(plans.len() >= 9, "the fixtures shrank to {}", plans.len());
    let findings = compare(&plans);
    // Guards against a vacuous pass (e.g. every expectation file emptied).
    assert!(findings >= 15, "only {findings} expected findings in all");
}

#[test]
fn builtin_findings_on_pre_015_plans_with_passwords() {
    let plans: Vec<String> = PRE_015_PASSWORD_PLANS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(compare(&plans) >= 10);
}
