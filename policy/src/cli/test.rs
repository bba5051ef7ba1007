//! `dbre policy test`.

use super::args::{ListFormat, TestArgs};
use super::check::rego_sources;
use super::{print, EXIT_FINDINGS, EXIT_OK};
use crate::error::Error;
use crate::rego::{load_data_documents, run_tests, TestOutcome};
use std::fmt::Write as _;

pub fn run(args: &TestArgs) -> Result<i32, Error> {
    let sources = rego_sources(&args.policies)?;
    if sources.is_empty() {
        return Err(Error::Usage(format!(
            "no .rego files in {}",
            args.policies.join(", ")
        )));
    }
    let data = load_data_documents(&args.data)?;
    let results = run_tests(&sources, data, args.rego_v0)?;
    if results.is_empty() {
        return Err(Error::Usage(format!(
            "no test_* rules in {}",
            args.policies.join(", ")
        )));
    }
    let failed = results
        .iter()
        .filter(|r| r.outcome != TestOutcome::Pass)
        .count();
    let passed = results.len() - failed;
    let mut out = String::new();
    match args.output {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(&serde_json::json!({
                "passed": passed,
                "failed": failed,
                "tests": results,
            }))
            .expect("test results serialize");
            out.push('\n');
        }
        ListFormat::Text => {
            for r in &results {
                let label = match r.outcome {
                    TestOutcome::Pass => "PASS ",
                    TestOutcome::Fail => "FAIL ",
                    TestOutcome::Error => "ERROR",
                };
                let _ = writeln!(
                    out,
                    "{label} data.{}.{} ({}:{})",
                    r.package, r.name, r.file, r.line
                );
                if let Some(message) = &r.message {
                    if r.outcome != TestOutcome::Pass {
                        for line in message.lines() {
                            let _ = writeln!(out, "      {line}");
                        }
                    }
                }
            }
            let _ = writeln!(out, "\n{passed} passed, {failed} failed");
        }
    }
    print(&out);
    Ok(if failed > 0 { EXIT_FINDINGS } else { EXIT_OK })
}
