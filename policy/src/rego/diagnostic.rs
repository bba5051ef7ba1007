//! Turning regorus error texts into our one-line-first diagnostics.

/// regorus formats errors as
/// `\n--> file:line:col\n  |\n3 | text\n  |   ^\nerror: message`.
/// We lead with `file:line:col: message` (what editors and CI annotate) and keep the source
/// excerpt below it.
pub fn format_regorus_error(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let trimmed = text.trim_start_matches('\n');
    let Some(rest) = trimmed.strip_prefix("--> ") else {
        return text.trim().to_string();
    };
    let mut lines = rest.lines();
    let location = lines.next().unwrap_or("").trim().to_string();
    let mut excerpt = Vec::new();
    let mut message = String::new();
    for line in lines {
        if let Some(m) = line.strip_prefix("error: ") {
            message = m.to_string();
        } else if message.is_empty() {
            excerpt.push(line);
        } else {
            // A message spanning several lines.
            message.push('\n');
            message.push_str(line);
        }
    }
    if message.is_empty() {
        return text.trim().to_string();
    }
    format!("{location}: {message}\n{}", excerpt.join("\n"))
        .trim_end()
        .to_string()
}

/// A clearer message for regorus's "could not find function X" when X is an OPA builtin.
pub fn explain_missing_function(message: &str) -> String {
    match message.split("could not find function ").nth(1) {
        Some(rest) => {
            let name = rest.split_whitespace().next().unwrap_or(rest);
            format!(
                "{message}\n(`{name}` is not a function of the policy; if it is an OPA builtin, \
                 dbre's Rego engine, regorus, does not implement it)"
            )
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_with_location_and_message() {
        let err = anyhow::anyhow!(
            "\n--> p.rego:3:5\n  |\n3 | x := \n  |     ^\nerror: unexpected end of file"
        );
        assert_eq!(
            format_regorus_error(&err),
            "p.rego:3:5: unexpected end of file\n  |\n3 | x := \n  |     ^"
        );
    }

    #[test]
    fn leaves_other_errors_alone() {
        let err = anyhow::anyhow!("something else");
        assert_eq!(format_regorus_error(&err), "something else");
    }
}
