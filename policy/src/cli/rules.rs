//! `dbre policy rules` and `dbre policy schema`.

use super::args::{ListFormat, RulesArgs};
use super::{print, EXIT_OK};
use crate::check::Report;
use crate::error::Error;
use crate::rego::{LoadOptions, RegoPolicies};
use std::fmt::Write as _;

pub fn run(args: &RulesArgs) -> Result<i32, Error> {
    let options = LoadOptions {
        builtin: true,
        ..LoadOptions::default()
    };
    let rules = RegoPolicies::load(&[], Vec::new(), &options)?.builtin_rules();
    let mut out = String::new();
    match args.output {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(&rules).expect("rules serialize");
            out.push('\n');
        }
        ListFormat::Text => {
            let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let _ = writeln!(out, "{:<id_width$}  {:<8}  TITLE", "ID", "SEVERITY");
            for r in &rules {
                let _ = writeln!(
                    out,
                    "{:<id_width$}  {:<8}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.title
                );
            }
        }
    }
    print(&out);
    Ok(EXIT_OK)
}

pub fn schema() -> Result<i32, Error> {
    let schema = schemars::schema_for!(Report);
    let mut out = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    out.push('\n');
    print(&out);
    Ok(EXIT_OK)
}
