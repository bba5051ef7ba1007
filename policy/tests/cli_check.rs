//! `dbre policy check` as a user runs it: the real binary on real plans (made with terraform,
//! or published by other projects), asserting on exit codes and report contents.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary from the crate directory, so fixture paths are `tests/data/...`.
fn dbre(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_dbre"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the dbre binary runs");
    Run {
        code: out.status.code().expect("dbre exits normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

const SECRETS: &str = "tests/data/plans/core/secrets.json";
const NO_CHANGES: &str = "tests/data/plans/core/no_changes.json";
const CHANGES: &str = "tests/data/plans/terraform_data/changes.json";
const TERRAGOAT: &str =
    "tests/data/plans/real/bridgecrewio__checkov__runner-plan-terragoat-55-resources.json";
const CORE_POLICY: &str = "tests/data/rego/core";
const DATA: &str = "tests/data/data";

/// Values the fixtures hold in clear that must never be printed.
const SECRET_VALUES: &[&str] = &[
    "core-fixture-secret-42",
    "tok-admin-0123456789",
    "tok-app.v2-0123456789",
    "Aa1234321Bb",
];

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn sensitive_values_never_appear_in_any_output_format() {
    for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
        let run = dbre(&[
            "policy",
            "check",
            SECRETS,
            TERRAGOAT,
            "-p",
            CORE_POLICY,
            "-d",
            DATA,
            "-o",
            format,
        ]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for secret in SECRET_VALUES {
            assert!(
                !run.stdout.contains(secret),
                "{format} printed {secret}:\n{}",
                run.stdout
            );
            assert!(
                !run.stderr.contains(secret),
                "{format} printed {secret} on stderr"
            );
        }
        // The careless policy's message is kept, with the password masked.
        assert!(
            run.stdout.contains("uses password (sensitive value)"),
            "{format}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn findings_carry_rule_address_action_policy_and_source() {
    let run = dbre(&[
        "policy",
        "check",
        SECRETS,
        "-p",
        CORE_POLICY,
        "-d",
        DATA,
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["findings"].as_array().unwrap();
    let superuser = findings
        .iter()
        .find(|f| f["rule"] == "CORE-SUPERUSER")
        .expect("the superuser rule fires");
    assert_eq!(
        superuser["address"],
        r#"module.db["admin"].terraform_data.role"#
    );
    assert_eq!(superuser["action"], "create");
    assert_eq!(superuser["severity"], "critical");
    assert_eq!(superuser["outcome"], "fail");
    assert_eq!(superuser["metadata"]["team"], "dbre");
    assert_eq!(
        superuser["policy"]["file"],
        "tests/data/rego/core/main.rego"
    );
    assert!(superuser["policy"]["line"].as_u64().unwrap() > 1);
    assert_eq!(superuser["source"]["module"], "modules/db");
    assert_eq!(superuser["source"]["resource"], "terraform_data.role");
    assert!(superuser["plan_line"].as_u64().unwrap() > 1);

    // User rules without an id get `<package>.<rule>`; data documents are visible.
    let reserved = findings
        .iter()
        .find(|f| f["rule"] == "main.deny_reserved")
        .unwrap();
    assert!(reserved["message"]
        .as_str()
        .unwrap()
        .contains(r#"module.db["admin"]"#));
    // data.dbre.plan: unknown paths and action flags, and the attribute is reported.
    let unknown = findings
        .iter()
        .find(|f| f["rule"] == "main.warn_unknown_id")
        .unwrap();
    assert_eq!(unknown["address"], "terraform_data.audit");
    assert_eq!(unknown["attribute"], "id");
    assert_eq!(unknown["outcome"], "warn");
    assert_eq!(report["summary"]["plans"], 1);
    assert_eq!(report["summary"]["resources"], 7);
}

#[test]
fn exit_codes_follow_failures_and_warnings() {
    // Only no-op changes and a policy that finds nothing: exit 0.
    let clean = dbre(&[
        "policy",
        "check",
        NO_CHANGES,
        "-p",
        "tests/data/rego/tests",
        "-n",
        "example",
    ]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("0 failures"), "{}", clean.stdout);

    // Warnings only (the no-op plan has roles, but nothing is created): 0, or 1 with --fail-on-warn.
    let warn_policy = tempfile::tempdir().unwrap();
    let policy = warn_policy.path().join("w.rego");
    std::fs::write(
        &policy,
        "package main\nimport rego.v1\nwarn contains \"always\" if true\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let run = dbre(&["policy", "check", NO_CHANGES, "-p", policy, "--no-builtin"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = dbre(&[
        "policy",
        "check",
        NO_CHANGES,
        "-p",
        policy,
        "--no-builtin",
        "--fail-on-warn",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);

    // Failures: 1.
    let run = dbre(&["policy", "check", TERRAGOAT]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("DBRE-AWS-001"), "{}", run.stdout);
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["tests/data/plans/none.json".into()], "none.json"),
        (vec![write("broken.json", "{\"format_version\": ")], "not valid JSON"),
        (vec![write("array.json", "[1, 2]")], "not a Terraform plan"),
        (
            vec![write("state.json", r#"{"format_version": "1.0", "values": {}}"#)],
            "state",
        ),
        (
            vec![write("v2.json", r#"{"format_version": "2.0", "planned_values": {}}"#)],
            "unsupported plan format_version \"2.0\"",
        ),
        (
            vec![SECRETS.into(), "-p".into(), "tests/data/rego/broken".into()],
            "tests/data/rego/broken/broken.rego:6:",
        ),
        (
            vec![SECRETS.into(), "-p".into(), "tests/data/rego/missing_builtin".into()],
            "tests/data/rego/missing_builtin/certs.rego:7:11: `crypto.x509.parse_certificates` is an OPA builtin",
        ),
        (
            vec![SECRETS.into(), "-p".into(), CORE_POLICY.into(), "-n".into(), "nope".into()],
            "no Rego package",
        ),
        (
            vec![SECRETS.into(), "--waivers".into(), write("w.yaml", "- rule: X\n")],
            "waiver #1",
        ),
        (
            vec![SECRETS.into(), "-p".into(), write("policy.txt", "")],
            "not a policy file",
        ),
        (vec![SECRETS.into(), "--no-builtin".into()], "nothing to check"),
        (vec![SECRETS.into(), "-o".into(), "yaml".into()], "invalid value 'yaml'"),
    ];
    for (args, expected) in cases {
        let mut full = vec!["policy", "check"];
        full.extend(args.iter().map(String::as_str));
        let run = dbre(&full);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{args:?}: expected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "{args:?} printed a report: {}",
            run.stdout
        );
    }
}

#[test]
fn rego_v0_policies_load_only_with_the_flag() {
    let args = [
        "policy",
        "check",
        CHANGES,
        "-p",
        "tests/data/rego/legacy",
        "-n",
        "legacy",
        "--no-builtin",
    ];
    let run = dbre(&args);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("tests/data/rego/legacy/legacy.rego:3:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("pass --rego-v0"), "{}", run.stderr);

    let mut with_v0 = args.to_vec();
    with_v0.push("--rego-v0");
    let run = dbre(&with_v0);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Every change whose actions include "delete" (deletes and both kinds of replace).
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CHANGES)).unwrap(),
    )
    .unwrap();
    let deletes = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rc| {
            rc["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "delete")
        })
        .count();
    assert!(deletes >= 2);
    assert_eq!(
        run.stdout.matches("legacy: ").count(),
        deletes,
        "{}",
        run.stdout
    );
}

#[test]
fn waivers_waive_expire_and_go_stale() {
    let run = dbre(&[
        "policy",
        "check",
        SECRETS,
        "-p",
        CORE_POLICY,
        "-d",
        DATA,
        "--waivers",
        "tests/data/waivers.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["findings"].as_array().unwrap();
    let by_rule = |rule: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["rule"] == rule).collect()
    };
    let waived = by_rule("CORE-SUPERUSER");
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["outcome"], "waived");
    assert_eq!(waived[0]["waiver"]["owner"], "team-dbre");
    assert_eq!(waived[0]["waiver"]["expires"], "2999-12-31");
    // The expired waiver no longer waives its finding, and is reported.
    assert_eq!(by_rule("main.deny_reserved")[0]["outcome"], "fail");
    let expired = by_rule("DBRE-WAIVER-EXPIRED");
    assert_eq!(expired.len(), 1);
    assert!(expired[0]["message"]
        .as_str()
        .unwrap()
        .contains("2001-01-01"));
    let stale = by_rule("DBRE-WAIVER-STALE");
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["address"], "module.nowhere.*");
    assert_eq!(report["summary"]["waived"], 1);
}

#[test]
fn conftest_exception_rules_except_a_rule_for_the_whole_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SECRETS)).unwrap(),
    )
    .unwrap();
    plan["variables"]["allow_reserved"] = serde_json::json!({"value": true});
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let run = dbre(&[
        "policy",
        "check",
        path.to_str().unwrap(),
        "-p",
        CORE_POLICY,
        "-d",
        DATA,
        "-o",
        "json",
    ]);
    let report = json(&run);
    let reserved: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "main.deny_reserved")
        .collect();
    assert_eq!(reserved.len(), 1);
    assert_eq!(reserved[0]["outcome"], "waived");
    assert_eq!(reserved[0]["waiver"]["source"], "data.main.exception");
}

#[test]
fn output_is_identical_across_runs_and_directories_recurse() {
    let args = [
        "policy",
        "check",
        "tests/data/plans",
        "-p",
        CORE_POLICY,
        "-d",
        DATA,
        "-o",
        "json",
    ];
    let first = dbre(&args);
    assert_eq!(first.code, 1, "{}", first.stderr);
    for _ in 0..3 {
        assert_eq!(dbre(&args).stdout, first.stdout);
    }
    let report = json(&first);
    let plans: Vec<&str> = report["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(plans.len() >= 10, "{plans:?}");
    let mut sorted = plans.clone();
    sorted.sort();
    assert_eq!(plans, sorted);
    assert!(plans.contains(
        &"tests/data/plans/real/terraform-compliance__cli__multi-module-referencing.json"
    ));
}

#[test]
fn sarif_results_all_have_locations_and_rules() {
    let run = dbre(&[
        "policy",
        "check",
        TERRAGOAT,
        SECRETS,
        "-p",
        CORE_POLICY,
        "-d",
        DATA,
        "-o",
        "sarif",
    ]);
    let sarif = json(&run);
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert!(results.len() >= 6);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
    let aws = rules.iter().find(|r| r["id"] == "DBRE-AWS-001").unwrap();
    assert_eq!(
        aws["shortDescription"]["text"],
        "RDS instances not publicly accessible"
    );
}

#[test]
fn github_and_junit_formats() {
    let run = dbre(&["policy", "check", TERRAGOAT, "-o", "github"]);
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("::error file={TERRAGOAT},line=")),
        "{}",
        run.stdout
    );
    assert!(
        first.contains(",title=DBRE-AWS-001 aws_db_instance.default::"),
        "{first}"
    );
    let run = dbre(&["policy", "check", TERRAGOAT, "-o", "junit"]);
    assert!(run.stdout.starts_with("<?xml"));
    assert!(run
        .stdout
        .contains("<failure message=\"aws_db_instance.default: publicly_accessible"));
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.md");
    let run = dbre(&[
        "policy",
        "check",
        TERRAGOAT,
        "-o",
        "markdown",
        "--output-file",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let md = std::fs::read_to_string(out).unwrap();
    assert!(md.starts_with("### dbre policy check: ❌"), "{md}");
}

#[test]
fn azure_policy_json_rules_fail_warn_and_stay_indeterminate_on_unknowns() {
    let run = dbre(&[
        "policy",
        "check",
        SECRETS,
        "-p",
        "tests/data/azure_core",
        "--no-builtin",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["findings"].as_array().unwrap();
    let outcomes = |rule: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["outcome"].as_str().unwrap())
            .collect()
    };
    // Three role instances log in: deny → fail, with severity from the definition's metadata.
    assert_eq!(outcomes("core-no-login-roles"), ["fail"; 3]);
    let deny = findings
        .iter()
        .find(|f| f["rule"] == "core-no-login-roles")
        .unwrap();
    assert_eq!(deny["severity"], "high");
    assert_eq!(
        deny["policy"]["file"],
        "tests/data/azure_core/terraform_data.json"
    );
    assert!(deny["plan_line"].as_u64().unwrap() > 1);
    // `id` is unknown until apply for every created resource: never a false deny or a pass.
    let unknown = outcomes("core-id-decided-at-apply");
    assert_eq!(unknown, ["indeterminate"; 7]);
    assert!(findings
        .iter()
        .filter(|f| f["rule"] == "core-id-decided-at-apply")
        .all(|f| f["attribute"] == "id"));
    // `modify` cannot be enforced on a plan: reported, not silently passed.
    assert_eq!(outcomes("core-tag-everything"), ["unsupported"; 7]);

    // Indeterminate and unsupported count as warnings for --fail-on-warn.
    let dir = tempfile::tempdir().unwrap();
    let only_unknown = dir.path().join("p.json");
    let defs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/azure_core/terraform_data.json"),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(&only_unknown, defs[1].to_string()).unwrap();
    let p = only_unknown.to_str().unwrap();
    assert_eq!(
        dbre(&["policy", "check", SECRETS, "-p", p, "--no-builtin"]).code,
        0
    );
    assert_eq!(
        dbre(&[
            "policy",
            "check",
            SECRETS,
            "-p",
            p,
            "--no-builtin",
            "--fail-on-warn"
        ])
        .code,
        1
    );

    // A definition that does not load: exit 2 with file, line and column.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"properties\": {\"policyRule\": {\"if\": {\"field\": \"type\", \"equalz\": 1}, \"then\": {\"effect\": \"deny\"}}}}").unwrap();
    let run = dbre(&["policy", "check", SECRETS, "-p", broken.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("{}:1:", broken.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn a_plan_can_come_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbre"))
        .args(["policy", "check", "-", "-o", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let plan = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(TERRAGOAT)).unwrap();
    child.stdin.take().unwrap().write_all(&plan).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["plans"][0]["path"], "-");
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "DBRE-AWS-001"));
}
