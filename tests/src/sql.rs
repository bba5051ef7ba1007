//! Quoting for the SQL and HCL that tests write themselves.
//!
//! Test code builds setup statements (CREATE ROLE with odd names, passwords in HCL) and must
//! not trip over the very names it is testing, so it quotes through these two functions.

/// Quotes a PostgreSQL identifier: `app "x"` → `"app ""x"""`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a PostgreSQL string literal (the server runs with `standard_conforming_strings = on`,
/// the default, so only single quotes need doubling).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Quotes an HCL string: escapes `\`, `"`, control characters, and the `${` / `%{` template
/// openers so the value is taken literally.
pub fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_double_embedded_quotes() {
        assert_eq!(quote_ident("plain"), "\"plain\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("app@contoso.com"), "\"app@contoso.com\"");
    }

    #[test]
    fn literals_double_single_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("back\\slash"), "'back\\slash'");
    }

    #[test]
    fn hcl_strings_escape_templates_and_quotes() {
        assert_eq!(hcl_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(hcl_string("${x} %{y} $z"), "\"$${x} %%{y} $z\"");
        assert_eq!(hcl_string("line\nbreak"), "\"line\\nbreak\"");
    }
}
