//! Differential test against OPA itself: for every conftest-style policy in
//! `tests/data/differential/policies/` and every plan under `tests/data/plans/{real,terraform_data}/`,
//! `dbre policy check -o json --no-builtin` must report exactly the failure and warning messages
//! OPA computed (stored in `tests/data/differential/golden/` by `scripts/opa-golden.sh`, so this
//! test needs no Python). Messages excepted by a conftest `exception` rule must come out as
//! waived findings.
//!
//! One deliberate difference from OPA: dbre scrubs the plan's sensitive values from every message
//! (a user's policy sees the plan unchanged, so it can put a password into a message). The
//! expected messages are therefore OPA's with the plan's sensitive values replaced by
//! `(sensitive value)`: the values marked in `before_sensitive`/`after_sensitive`, or, in plans
//! written before Terraform 0.15 (no marks at all), values of password/secret/token-like keys.

use dbre_policy::plan::Plan;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Default, PartialEq)]
struct Messages {
    failures: Vec<String>,
    warnings: Vec<String>,
    waived: Vec<String>,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("expected an array of messages, got {v}"))
        .iter()
        .map(|m| m.as_str().expect("messages are strings").to_string())
        .collect();
    out.sort();
    out
}

/// OPA's answers for one policy: plan path (relative to tests/data/plans) => messages.
fn golden(policy: &Path) -> (String, BTreeMap<String, Messages>) {
    let stem = policy.file_stem().unwrap().to_string_lossy();
    let file = data_dir()
        .join("differential/golden")
        .join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/opa-golden.sh)", file.display()));
    let doc: Value = serde_json::from_str(&text).expect("golden files are JSON");
    let namespace = doc["namespace"].as_str().expect("namespace").to_string();
    let plans = doc["plans"]
        .as_object()
        .expect("plans")
        .iter()
        .map(|(plan, r)| {
            let m = Messages {
                failures: strings(&r["failures"]),
                warnings: strings(&r["warnings"]),
                waived: strings(&r["waived"]),
            };
            (plan.clone(), m)
        })
        .collect();
    (namespace, plans)
}

/// Runs `dbre policy check` once for a policy over all plans and groups the messages per plan.
fn dbre(policy: &Path, namespace: &str, plans: &[String]) -> BTreeMap<String, Messages> {
    let plans_dir = data_dir().join("plans");
    let output = Command::new(env!("CARGO_BIN_EXE_dbre"))
        .args([
            "policy",
            "check",
            "--no-builtin",
            "-o",
            "json",
            "-n",
            namespace,
            "-p",
        ])
        .arg(policy)
        .args(plans.iter().map(|p| plans_dir.join(p)))
        .output()
        .expect("running dbre");
    let code = output.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "dbre policy check {} exited with {code:?}: {}",
        policy.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: the json report does not parse: {e}\n{}",
            policy.display(),
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let mut by_plan: BTreeMap<String, Messages> = plans
        .iter()
        .map(|p| (p.clone(), Messages::default()))
        .collect();
    for f in report["findings"]
        .as_array()
        .expect("report has findings[]")
    {
        let plan_file = PathBuf::from(f["plan"].as_str().expect("finding.plan"));
        let rel = plan_file
            .strip_prefix(&plans_dir)
            .unwrap_or_else(|_| panic!("finding for an unexpected plan {}", plan_file.display()))
            .to_string_lossy()
            .replace('\\', "/");
        let entry = by_plan.get_mut(&rel).expect("a plan we passed");
        let message = f["message"].as_str().expect("finding.message").to_string();
        match f["outcome"].as_str().expect("finding.outcome") {
            "fail" => entry.failures.push(message),
            "warn" => entry.warnings.push(message),
            "waived" => entry.waived.push(message),
            other => panic!("unexpected outcome {other} for a conftest-style policy: {f}"),
        }
    }
    for m in by_plan.values_mut() {
        m.failures.sort();
        m.warnings.sort();
        m.waived.sort();
    }
    by_plan
}

/// The golden messages of one plan as dbre must report them: OPA's text with the plan's
/// sensitive values masked by the plan model's own redactor (unit-tested in `plan::secrets`).
fn masked(plan: &str, m: &Messages) -> Messages {
    let path = data_dir().join("plans").join(plan);
    let text = std::fs::read_to_string(&path).expect("plan file");
    let parsed = Plan::parse(&path.to_string_lossy(), &text).expect("fixture plans parse");
    let mask = |v: &[String]| {
        let mut out: Vec<String> = v.iter().map(|s| parsed.redactor.scrub(s)).collect();
        out.sort();
        out
    };
    Messages {
        failures: mask(&m.failures),
        warnings: mask(&m.warnings),
        waived: mask(&m.waived),
    }
}

#[test]
fn dbre_reports_exactly_what_opa_computes() {
    let mut policies: Vec<PathBuf> = std::fs::read_dir(data_dir().join("differential/policies"))
        .expect("policies dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rego"))
        .collect();
    policies.sort();
    assert!(
        policies.len() >= 10,
        "the corpus shrank to {}",
        policies.len()
    );

    let mut compared = 0;
    let mut mismatches = Vec::new();
    for policy in &policies {
        let (namespace, want) = golden(policy);
        let plans: Vec<String> = want.keys().cloned().collect();
        let got = dbre(policy, &namespace, &plans);
        for (plan, w) in &want {
            compared += 1;
            let w = &masked(plan, w);
            if got.get(plan) != Some(w) {
                mismatches.push(format!(
                    "{} on {plan}:\n  OPA:  {w:?}\n  dbre: {:?}",
                    policy.file_name().unwrap().to_string_lossy(),
                    got.get(plan)
                ));
            }
        }
    }
    assert!(
        compared >= 100,
        "only {compared} policy/plan pairs compared"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} policy/plan pairs differ from OPA:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
