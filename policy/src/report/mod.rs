//! Rendering a [`Report`] for people and machines. Every format is a pure function of the
//! report (already sorted), so output is identical across runs.

mod github;
mod junit;
mod markdown;
mod sarif;
mod text;

use crate::check::Report;
use crate::rego::BuiltinRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people at a terminal (colour only on a tty).
    Text,
    /// The report as JSON; `dbre policy schema` prints its JSON Schema.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for CI test report views.
    Junit,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// A summary for a pull-request comment.
    Markdown,
}

/// What reporters may need besides the report itself.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// Metadata of the built-in guardrails (titles and descriptions for SARIF rules).
    pub builtin_rules: Vec<BuiltinRule>,
}

pub fn render(report: &Report, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(report, options.color),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("reports serialize");
            s.push('\n');
            s
        }
        Format::Sarif => sarif::render(report, &options.builtin_rules),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report),
    }
}

/// "1 failure", "2 failures".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The one-line summary shared by the text, github and markdown formats.
pub(crate) fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{} checked ({}): {}, {}, {}, {}, {}",
        plural(s.plans, "plan", "plans"),
        plural(s.resources, "resource change", "resource changes"),
        plural(s.failures, "failure", "failures"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.indeterminate, "indeterminate", "indeterminate"),
        plural(s.unsupported, "unsupported", "unsupported"),
        plural(s.waived, "waived", "waived"),
    )
}

#[cfg(test)]
pub(crate) mod sample;
