//! GitHub Actions workflow commands: one annotation per finding, on the plan file (at the
//! resource's line when known), titled with the rule id and resource address.

use super::summary_line;
use crate::check::Report;
use crate::finding::Outcome;
use std::fmt::Write as _;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.outcome {
            Outcome::Fail => "error",
            Outcome::Warn | Outcome::Indeterminate | Outcome::Unsupported => "warning",
            Outcome::Waived => "notice",
        };
        let mut title = f.rule.clone();
        if let Some(address) = &f.address {
            let _ = write!(title, " {address}");
        }
        let mut message = f.message.clone();
        if f.outcome == Outcome::Waived {
            if let Some(w) = &f.waiver {
                let _ = write!(message, "\nwaived: {}", w.reason);
            }
        }
        let _ = write!(out, "::{command} file={}", escape_property(&f.plan));
        if let Some(line) = f.plan_line {
            let _ = write!(out, ",line={line}");
        }
        let _ = writeln!(
            out,
            ",title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// Escaping of a command's message, as the Actions runner decodes it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values additionally escape `:` and `,`, which delimit properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn annotations_are_escaped_one_per_line() {
        let out = render(&sample::report());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert_eq!(
            lines[0],
            "::error file=plans/a.json,line=12,title=DBRE-PG-001 module.db.dbre_role.app[\"x\"]::role app is SUPERUSER: a,b:c"
        );
        assert!(lines[2].starts_with(
            "::warning file=plans/a.json,line=12,title=DBRE-PG-003 dbre_role.x[\"a%2Cb\"]::"
        ));
        assert!(
            lines[3].contains("::50%25 of changes: delete | replace%0Asecond line"),
            "{}",
            lines[3]
        );
        assert!(lines[1].starts_with("::notice "));
    }
}
