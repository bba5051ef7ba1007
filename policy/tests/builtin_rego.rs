//! The built-in guardrails (`policy/builtin/`) under regorus itself: every `test_*` rule passes,
//! and every guardrail module follows the contract (metadata with a unique id, a severity, a
//! description and resource types; tests next to it that cover failing and passing cases).
//! `scripts/opa-test-builtins.py` runs the same tests under OPA.

use regorus::{Engine, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn builtin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("builtin")
}

fn rego_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rego_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rego") {
            out.push(path);
        }
    }
}

fn package(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("package "))
        .expect("every module declares a package")
        .trim()
        .to_string()
}

/// Names of the `test_*` rules a module defines (rule heads start at the beginning of a line).
fn test_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("test_"))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

struct Loaded {
    engine: Engine,
    /// (package, test rule name)
    tests: Vec<(String, String)>,
    /// (file, package) of every guardrail module (not tests, not the library)
    guardrails: Vec<(PathBuf, String)>,
}

fn load() -> Loaded {
    let mut files = Vec::new();
    rego_files(&builtin_dir(), &mut files);
    let mut engine = Engine::new();
    let mut tests = Vec::new();
    let mut guardrails = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable rego");
        engine
            .add_policy(file.display().to_string(), text.clone())
            .unwrap_or_else(|e| panic!("{} does not load under regorus: {e}", file.display()));
        let pkg = package(&text);
        let is_test = file.to_string_lossy().ends_with("_test.rego");
        tests.extend(test_names(&text).into_iter().map(|t| (pkg.clone(), t)));
        if !is_test && pkg.starts_with("dbre.builtin.") {
            guardrails.push((file.clone(), pkg));
        }
    }
    Loaded {
        engine,
        tests,
        guardrails,
    }
}

#[test]
fn every_builtin_rego_test_passes_under_regorus() {
    let loaded = load();
    assert!(
        loaded.tests.len() >= 80,
        "only {} tests found",
        loaded.tests.len()
    );
    let mut failures = Vec::new();
    for (pkg, test) in &loaded.tests {
        let mut engine = loaded.engine.clone();
        match engine.eval_rule(format!("data.{pkg}.{test}")) {
            Ok(Value::Bool(true)) => {}
            other => failures.push(format!("data.{pkg}.{test}: {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} built-in Rego tests failed:\n{}",
        failures.len(),
        loaded.tests.len(),
        failures.join("\n")
    );
}

#[test]
fn every_guardrail_declares_metadata_and_has_tests() {
    let loaded = load();
    assert!(
        loaded.guardrails.len() >= 18,
        "{} guardrails",
        loaded.guardrails.len()
    );
    let mut ids = BTreeSet::new();
    for (file, pkg) in &loaded.guardrails {
        let mut engine = loaded.engine.clone();
        let meta = engine
            .eval_rule(format!("data.{pkg}.metadata"))
            .unwrap_or_else(|e| panic!("{}: no metadata: {e}", file.display()));
        let meta: serde_json::Value =
            serde_json::from_str(&meta.to_json_str().expect("metadata is JSON")).unwrap();
        let id = meta["id"].as_str().unwrap_or_else(|| panic!("{pkg}: id"));
        assert!(id.starts_with("DBRE-"), "{pkg}: id {id}");
        assert!(ids.insert(id.to_string()), "{pkg}: duplicate id {id}");
        let severity = meta["severity"].as_str().unwrap_or_default();
        assert!(
            ["critical", "high", "medium", "low"].contains(&severity),
            "{pkg}: severity {severity:?}"
        );
        for key in ["title", "description"] {
            assert!(
                meta[key].as_str().is_some_and(|s| s.len() > 10),
                "{pkg}: {key}"
            );
        }
        assert!(
            meta["resource_types"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{pkg}: resource_types"
        );

        let test_file = file.with_file_name(format!(
            "{}_test.rego",
            file.file_stem().unwrap().to_string_lossy()
        ));
        let text = std::fs::read_to_string(&test_file)
            .unwrap_or_else(|e| panic!("{}: {e}", test_file.display()));
        assert_eq!(package(&text), *pkg, "{}", test_file.display());
        let names = test_names(&text);
        assert!(names.len() >= 3, "{pkg}: only {} tests", names.len());
        assert!(
            names.iter().any(|n| n.contains("unknown")),
            "{pkg}: no test with an unknown value"
        );
    }
}
