//! `dbre policy test`: run `test_*` rules like `opa test` / `conftest verify`.

use super::diagnostic::{explain_missing_function, format_regorus_error};
use super::load::{build_engine, describe_packages, RegoSource};
use crate::error::Error;
use serde::Serialize;
use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    Pass,
    Fail,
    /// The test raised an error (reported with its message).
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub package: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    pub outcome: TestOutcome,
    pub message: Option<String>,
}

/// Runs every `test_*` rule of the user's sources (the embedded `dbre.lib` is available to
/// them; the embedded guardrails are not, so tests exercise the files on disk).
pub fn run_tests(
    sources: &[RegoSource],
    data: Vec<Json>,
    rego_v0: bool,
) -> Result<Vec<TestResult>, Error> {
    let mut engine = build_engine(sources, rego_v0, false)?;
    for doc in data {
        engine
            .add_data(regorus::Value::from(doc))
            .map_err(|e| Error::Policy(format!("data documents conflict: {e}")))?;
    }
    let packages = describe_packages(&mut engine)?;
    let mut results = Vec::new();
    for (package, info) in &packages {
        if info.from_builtin {
            continue;
        }
        for (name, (file, line)) in &info.rules {
            if !name.starts_with("test_") {
                continue;
            }
            let (outcome, message) = match engine.eval_rule(format!("data.{package}.{name}")) {
                Ok(regorus::Value::Bool(true)) => (TestOutcome::Pass, None),
                Ok(regorus::Value::Undefined) => (TestOutcome::Fail, Some("undefined".to_string())),
                Ok(v) => (TestOutcome::Fail, Some(format!("value {v}"))),
                Err(e) => (
                    TestOutcome::Error,
                    Some(explain_missing_function(&format_regorus_error(&e))),
                ),
            };
            results.push(TestResult {
                package: package.clone(),
                name: name.clone(),
                file: file.clone(),
                line: *line,
                outcome,
                message,
            });
        }
    }
    results.sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)));
    Ok(results)
}
