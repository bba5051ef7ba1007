//! `dbre policy test | rules | schema` as a user runs them.

use std::process::Command;

fn dbre(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dbre"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the dbre binary runs");
    (
        out.status.code().expect("dbre exits normally"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The built-in guardrails' own Rego tests, run through our runner, all pass.
#[test]
fn builtin_guardrail_tests_all_pass() {
    let (code, stdout, stderr) = dbre(&["policy", "test", "-p", "builtin", "-o", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(report["passed"].as_u64().unwrap() > 0, "{stdout}");
    assert_eq!(report["failed"], 0, "{stdout}");
}

#[test]
fn failing_tests_are_reported_and_exit_1() {
    let (code, stdout, _) = dbre(&["policy", "test", "-p", "tests/data/rego/tests"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("PASS  data.example.test_superuser_denied"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL  data.example.test_wrong_expectation"),
        "{stdout}"
    );
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
}

#[test]
fn rules_lists_every_builtin_with_id_severity_title() {
    let (code, stdout, _) = dbre(&["policy", "rules", "-o", "json"]);
    assert_eq!(code, 0);
    let rules: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert!(rules.len() >= 10, "{stdout}");
    for r in &rules {
        assert!(r["id"].as_str().unwrap().starts_with("DBRE-"));
        assert!(["critical", "high", "medium", "low"].contains(&r["severity"].as_str().unwrap()));
        assert!(!r["title"].as_str().unwrap().is_empty());
    }
    let (_, text, _) = dbre(&["policy", "rules"]);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("DBRE-PG-001"), "{text}");
}

#[test]
fn schema_describes_the_json_report() {
    let (code, stdout, _) = dbre(&["policy", "schema"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(schema["title"], "Report");
    for key in ["findings", "summary", "plans"] {
        assert!(schema["properties"][key].is_object(), "{key}");
    }
}

#[test]
fn help_teaches_exit_codes() {
    let (code, stdout, _) = dbre(&["policy", "check", "--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Exit codes: 0 no failures"), "{stdout}");
    assert!(stdout.contains("--fail-on-warn"));
}
