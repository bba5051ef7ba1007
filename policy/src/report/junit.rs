//! JUnit XML: one test suite per plan, one test case per finding. Failures are `<failure>`,
//! waived findings `<skipped>`, warnings pass with their text in `<system-out>`. A plan with no
//! findings gets one passing case, so every suite shows up.

use crate::check::Report;
use crate::finding::{Finding, Outcome};
use std::fmt::Write as _;

pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut suites: Vec<(&str, Vec<&Finding>)> = Vec::new();
    let mut names: Vec<&str> = report.plans.iter().map(|p| p.path.as_str()).collect();
    names.extend(report.findings.iter().map(|f| f.plan.as_str()));
    names.sort_unstable();
    names.dedup();
    for name in names {
        let findings = report.findings.iter().filter(|f| f.plan == name).collect();
        suites.push((name, findings));
    }
    let total: usize = suites.iter().map(|(_, f)| f.len().max(1)).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"dbre policy check\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">",
        report.summary.failures, report.summary.waived
    );
    for (name, findings) in suites {
        let failures = findings
            .iter()
            .filter(|f| f.outcome == Outcome::Fail)
            .count();
        let skipped = findings
            .iter()
            .filter(|f| f.outcome == Outcome::Waived)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            xml(name),
            findings.len().max(1)
        );
        if findings.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"no findings\"/>",
                xml(name)
            );
        }
        for f in findings {
            write_case(&mut out, f);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_case(out: &mut String, f: &Finding) {
    let target = f.address.as_deref().unwrap_or("(whole plan)");
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\">",
        xml(&f.plan),
        xml(&format!("{} {target}", f.rule))
    );
    let details = details(f);
    match f.outcome {
        Outcome::Fail => {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                xml(&f.message),
                xml(&f.rule),
                xml(&details)
            );
        }
        Outcome::Waived => {
            let reason = f
                .waiver
                .as_ref()
                .map(|w| w.reason.as_str())
                .unwrap_or("waived");
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml(&format!("waived: {reason}"))
            );
        }
        other => {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml(&format!("{}: {}\n{details}", other.as_str(), f.message))
            );
        }
    }
    out.push_str("    </testcase>\n");
}

fn details(f: &Finding) -> String {
    let mut lines = vec![f.message.clone()];
    if let Some(action) = f.action {
        lines.push(format!("action: {action}"));
    }
    if let Some(attr) = &f.attribute {
        lines.push(format!("attribute: {attr}"));
    }
    lines.push(match f.policy.line {
        Some(l) => format!("policy: {}:{l}", f.policy.file),
        None => format!("policy: {}", f.policy.file),
    });
    if let Some(s) = &f.source {
        lines.push(format!("declared in {s}"));
    }
    lines.join("\n")
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn counts_and_escapes() {
        let out = render(&sample::report());
        assert!(
            out.contains(
                "<testsuites name=\"dbre policy check\" tests=\"4\" failures=\"1\" skipped=\"1\">"
            ),
            "{out}"
        );
        assert!(out.contains("name=\"DBRE-PG-001 module.db.dbre_role.app[&quot;x&quot;]\""));
        assert!(out.contains("<skipped message=\"waived: migration &lt;ticket #12&gt;\"/>"));
        assert!(out.contains("second line &amp; &lt;more&gt;"));
        assert_eq!(out.matches("<testcase ").count(), 4);
        assert_eq!(out.matches("</testcase>").count(), 4);
    }
}
