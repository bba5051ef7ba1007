//! The default, human format: findings grouped by plan, then a summary line.

use super::summary_line;
use crate::check::Report;
use crate::finding::{Finding, Outcome};
use std::fmt::Write as _;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn outcome_style(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Fail => ("FAIL", "\x1b[1;31m"),
        Outcome::Warn => ("WARN", "\x1b[1;33m"),
        Outcome::Indeterminate => ("UNKNOWN", "\x1b[1;35m"),
        Outcome::Unsupported => ("UNSUPPORTED", "\x1b[1;36m"),
        Outcome::Waived => ("WAIVED", "\x1b[1;34m"),
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let paint = |style: &str, text: &str| {
        if color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let mut current_plan: Option<&str> = None;
    for f in &report.findings {
        if current_plan != Some(f.plan.as_str()) {
            if current_plan.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", paint(BOLD, &f.plan));
            current_plan = Some(&f.plan);
        }
        write_finding(&mut out, f, &paint);
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

fn write_finding(out: &mut String, f: &Finding, paint: &dyn Fn(&str, &str) -> String) {
    let (label, style) = outcome_style(f.outcome);
    let severity = f
        .severity
        .map(|s| format!(" [{}]", s.as_str()))
        .unwrap_or_default();
    let target = match (&f.address, f.action) {
        (Some(a), Some(action)) => format!("{a} ({action})"),
        (Some(a), None) => a.clone(),
        (None, _) => "(whole plan)".to_string(),
    };
    let _ = writeln!(
        out,
        "  {} {}{}  {}",
        paint(style, &format!("{label:<11}")),
        f.rule,
        severity,
        target
    );
    for line in f.message.lines() {
        let _ = writeln!(out, "  {:<11} {line}", "");
    }
    let mut details = Vec::new();
    if let Some(attr) = &f.attribute {
        details.push(format!("attribute: {attr}"));
    }
    let policy = match f.policy.line {
        Some(line) => format!("{}:{line}", f.policy.file),
        None => f.policy.file.clone(),
    };
    details.push(format!("policy: {policy}"));
    if let Some(source) = &f.source {
        details.push(format!("declared in {source}"));
    }
    let _ = writeln!(out, "  {:<11} {}", "", paint(DIM, &details.join(" · ")));
    if let Some(w) = &f.waiver {
        let mut text = format!("waived: {}", w.reason);
        if let Some(owner) = &w.owner {
            let _ = write!(text, " (owner {owner}");
            if let Some(expires) = &w.expires {
                let _ = write!(text, ", until {expires}");
            }
            text.push(')');
        }
        let _ = write!(text, " [{}]", w.source);
        let _ = writeln!(out, "  {:<11} {}", "", paint(DIM, &text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn groups_by_plan_and_ends_with_the_summary() {
        let out = render(&sample::report(), false);
        assert!(out.starts_with("plans/a.json\n  FAIL        DBRE-PG-001 [critical]  module.db.dbre_role.app[\"x\"] (create)\n"), "{out}");
        assert!(out.contains("declared in resource \"dbre_role\" \"app\" in modules/db"));
        assert!(out.contains(
            "waived: migration <ticket #12> (owner team-db, until 2030-01-31) [waivers.yaml]"
        ));
        assert!(out.contains("(whole plan)"));
        assert!(!out.contains('\x1b'));
        assert!(out.ends_with("1 plan checked (3 resource changes): 1 failure, 1 warning, 1 indeterminate, 0 unsupported, 1 waived\n"));
        assert!(render(&sample::report(), true).contains("\x1b[1;31mFAIL"));
    }
}
