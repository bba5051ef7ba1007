//! A pull-request comment: verdict, a table of what needs attention, waived findings folded.

use super::{plural, summary_line};
use crate::check::Report;
use crate::finding::{Finding, Outcome};
use std::fmt::Write as _;

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let verdict = if s.failures > 0 {
        format!("❌ {}", plural(s.failures, "failure", "failures"))
    } else if s.warning_like() > 0 {
        format!("⚠️ {}", plural(s.warning_like(), "warning", "warnings"))
    } else {
        "✅ no failures".to_string()
    };
    let _ = writeln!(out, "### dbre policy check: {verdict}\n");
    let _ = writeln!(out, "{}\n", summary_line(report));

    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.outcome != Outcome::Waived)
        .collect();
    if !open.is_empty() {
        out.push_str("| Result | Rule | Severity | Resource | Action | Message |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for f in open {
            let result = match f.outcome {
                Outcome::Fail => "❌ fail",
                Outcome::Warn => "⚠️ warn",
                Outcome::Indeterminate => "❔ indeterminate",
                Outcome::Unsupported => "🚫 unsupported",
                Outcome::Waived => "waived",
            };
            let _ = writeln!(
                out,
                "| {result} | `{}` | {} | {} | {} | {} |",
                code(&f.rule),
                f.severity.map(|s| s.as_str()).unwrap_or(""),
                resource(f),
                f.action.map(|a| a.as_str()).unwrap_or(""),
                cell(&f.message)
            );
        }
        out.push('\n');
    }

    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.outcome == Outcome::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Waived ({})</summary>\n",
            waived.len()
        );
        out.push_str("| Rule | Resource | Reason | Owner | Expires |\n|---|---|---|---|---|\n");
        for f in waived {
            let w = f.waiver.as_ref();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                code(&f.rule),
                resource(f),
                cell(w.map(|w| w.reason.as_str()).unwrap_or("")),
                cell(w.and_then(|w| w.owner.as_deref()).unwrap_or("")),
                w.and_then(|w| w.expires.as_deref()).unwrap_or("")
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn resource(f: &Finding) -> String {
    match &f.address {
        Some(a) => format!("`{}` ({})", code(a), cell(&f.plan)),
        None => format!("(whole plan {})", cell(&f.plan)),
    }
}

/// Text inside a table cell: pipes escaped, newlines as `<br>`, HTML neutralised.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

/// Text inside inline code in a table cell: backticks cannot be escaped, so they are replaced.
fn code(text: &str) -> String {
    text.replace('`', "'").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn verdict_table_and_folded_waivers() {
        let out = render(&sample::report());
        assert!(
            out.starts_with("### dbre policy check: ❌ 1 failure\n"),
            "{out}"
        );
        assert!(out.contains("| ❌ fail | `DBRE-PG-001` | critical | `module.db.dbre_role.app[\"x\"]` (plans/a.json) | create | role app is SUPERUSER: a,b:c |"));
        assert!(out.contains("delete \\| replace<br>second line &amp; &lt;more&gt;"));
        assert!(out.contains("<details><summary>Waived (1)</summary>"));
        assert!(out.contains("| migration &lt;ticket #12&gt; | team-db | 2030-01-31 |"));
    }
}
