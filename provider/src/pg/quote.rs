//! The only two ways this crate turns a string into SQL text.
//!
//! Values go to the server as bind parameters wherever the grammar allows one. A few utility
//! statements (`CREATE ROLE … PASSWORD '…'`, `VALID UNTIL '…'`, `COMMENT ON … IS '…'`) take no
//! parameters, so their values go through [`quote_literal`]. Every identifier goes through
//! [`quote_ident`]. Nothing else in `pg/` builds SQL from strings.

use super::error::PgError;

/// Quotes an identifier (role, database, schema, …) for SQL: always wrapped in double quotes,
/// embedded double quotes doubled, so the server sees exactly the given name — case, spaces,
/// dots, `@` and non-ASCII included.
///
/// Rejects the empty string (never a valid identifier) and NUL (the wire protocol ends a query
/// string at the first NUL, so it could cut a statement short).
pub fn quote_ident(name: &str) -> Result<String, PgError> {
    if name.is_empty() {
        return Err(PgError::invalid("an identifier must not be empty"));
    }
    reject_nul(name, "an identifier")?;
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// Quotes a string constant for the few places a bind parameter cannot go.
///
/// Single quotes are doubled. When the value holds a backslash the constant is written as an
/// escape string (`E'…'`) with backslashes doubled: that reads the same whatever
/// `standard_conforming_strings` says, where a plain `'…'` would not. Rejects NUL, which no
/// PostgreSQL text value can hold.
pub fn quote_literal(value: &str) -> Result<String, PgError> {
    reject_nul(value, "a string value")?;
    let escape = value.contains('\\');
    let mut out = String::with_capacity(value.len() + 3);
    if escape {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

fn reject_nul(s: &str, what: &str) -> Result<(), PgError> {
    if s.contains('\0') {
        return Err(PgError::invalid(format!(
            "{what} must not contain a NUL character"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted() {
        assert_eq!(quote_ident("app").unwrap(), r#""app""#);
        assert_eq!(quote_ident("App").unwrap(), r#""App""#);
        assert_eq!(quote_ident("select").unwrap(), r#""select""#);
    }

    #[test]
    fn identifiers_with_nasty_characters() {
        assert_eq!(quote_ident(r#"a"b"#).unwrap(), r#""a""b""#);
        assert_eq!(quote_ident(r#"""#).unwrap(), r#""""""#);
        assert_eq!(quote_ident("with space").unwrap(), r#""with space""#);
        assert_eq!(quote_ident("a.b").unwrap(), r#""a.b""#);
        assert_eq!(
            quote_ident("app@contoso.com").unwrap(),
            r#""app@contoso.com""#
        );
        assert_eq!(quote_ident("rôle_ñ_日本").unwrap(), "\"rôle_ñ_日本\"");
        assert_eq!(quote_ident(r"back\slash").unwrap(), r#""back\slash""#);
        assert_eq!(
            quote_ident("x'; DROP ROLE y; --").unwrap(),
            r#""x'; DROP ROLE y; --""#
        );
    }

    #[test]
    fn identifiers_reject_empty_and_nul() {
        assert!(quote_ident("").is_err());
        assert!(quote_ident("a\0b").is_err());
    }

    #[test]
    fn literals_double_quotes() {
        assert_eq!(quote_literal("abc").unwrap(), "'abc'");
        assert_eq!(quote_literal("").unwrap(), "''");
        assert_eq!(quote_literal("it's").unwrap(), "'it''s'");
        assert_eq!(
            quote_literal("'; DROP ROLE x; --").unwrap(),
            "'''; DROP ROLE x; --'"
        );
        assert_eq!(quote_literal("ünï 日本").unwrap(), "'ünï 日本'");
    }

    #[test]
    fn literals_with_backslashes_use_escape_strings() {
        assert_eq!(quote_literal(r"a\b").unwrap(), r"E'a\\b'");
        assert_eq!(quote_literal(r"\'").unwrap(), r"E'\\'''");
    }

    #[test]
    fn literals_reject_nul() {
        let err = quote_literal("sec\0ret").unwrap_err().to_string();
        assert!(!err.contains("sec"), "value leaked into error: {err}");
    }
}
