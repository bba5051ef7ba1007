//! Finding calls to OPA builtins that regorus does not implement, before evaluating anything.
//!
//! regorus only notices a missing builtin when evaluation reaches the call, and then says
//! "could not find function". A policy that calls `crypto.x509.parse_certificates` on one rare
//! path would pass silently on every other plan, so we scan the source once at load time and
//! refuse the policy with the builtin's name and position.

use std::collections::BTreeSet;

/// Namespaces of OPA's builtins. A dotted call rooted in one of these that regorus does not
/// know is a missing builtin, not a user function (those are called through `data.` or an
/// import alias, which the scan resolves).
const OPA_BUILTIN_ROOTS: &[&str] = &[
    "array",
    "aws",
    "base64",
    "base64url",
    "bits",
    "crypto",
    "glob",
    "graph",
    "graphql",
    "hex",
    "http",
    "io",
    "json",
    "jwt",
    "net",
    "numbers",
    "object",
    "opa",
    "providers",
    "rand",
    "regex",
    "rego",
    "semver",
    "strings",
    "time",
    "units",
    "urlquery",
    "uuid",
    "yaml",
];

/// A call to a builtin regorus lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBuiltin {
    pub name: String,
    pub line: usize,
    pub column: usize,
}

/// Scans Rego source text for calls to OPA builtins that regorus does not implement.
pub fn missing_builtins(source: &str) -> Vec<MissingBuiltin> {
    let aliases = import_aliases(source);
    let mut out = Vec::new();
    for (line_no, line) in code_lines(source) {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if is_ident_start(c) && (i == 0 || !is_ident_char(bytes[i - 1]) && bytes[i - 1] != b'.')
            {
                let start = i;
                while i < bytes.len() && (is_ident_char(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
                let name = line[start..i].trim_end_matches('.');
                let mut j = i;
                while j < bytes.len() && bytes[j] == b' ' {
                    j += 1;
                }
                if j < bytes.len() && bytes[j] == b'(' && is_missing(name, &aliases) {
                    out.push(MissingBuiltin {
                        name: name.to_string(),
                        line: line_no,
                        column: start + 1,
                    });
                }
            } else {
                i += 1;
            }
        }
    }
    out
}

fn is_missing(name: &str, aliases: &BTreeSet<String>) -> bool {
    let Some((root, _)) = name.split_once('.') else {
        return false;
    };
    OPA_BUILTIN_ROOTS.contains(&root)
        && !aliases.contains(root)
        && !regorus::unstable::BUILTINS.contains_key(name)
}

/// Names that `import` statements bind, which shadow builtin namespaces.
fn import_aliases(source: &str) -> BTreeSet<String> {
    let mut aliases = BTreeSet::new();
    for (_, line) in code_lines(source) {
        let Some(rest) = line.trim_start().strip_prefix("import ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let path = words.next().unwrap_or("");
        let alias = match (words.next(), words.next()) {
            (Some("as"), Some(alias)) => alias.to_string(),
            _ => path.rsplit('.').next().unwrap_or("").to_string(),
        };
        aliases.insert(alias);
    }
    aliases
}

/// Source lines (1-based numbers) with comments and string literals blanked out, so that
/// text inside them is never mistaken for a call. Raw strings (backquotes) may span lines.
fn code_lines(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_raw = false;
    for (n, line) in source.lines().enumerate() {
        let mut code = String::with_capacity(line.len());
        let mut chars = line.chars();
        let mut in_str = false;
        while let Some(c) = chars.next() {
            if in_raw {
                if c == '`' {
                    in_raw = false;
                }
                code.push(' ');
            } else if in_str {
                match c {
                    '\\' => {
                        chars.next();
                        code.push_str("  ");
                    }
                    '"' => {
                        in_str = false;
                        code.push('"');
                    }
                    _ => code.push(' '),
                }
            } else {
                match c {
                    '#' => break,
                    '"' => {
                        in_str = true;
                        code.push('"');
                    }
                    '`' => {
                        in_raw = true;
                        code.push('`');
                    }
                    _ => code.push(c),
                }
            }
        }
        out.push((n + 1, code));
    }
    out
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_missing_builtins_with_position() {
        let src = "package p\nimport rego.v1\n\ndeny contains m if {\n  certs := crypto.x509.parse_certificates(input.c)\n  m := sprintf(\"%v\", [count(certs)])\n}\n";
        let found = missing_builtins(src);
        assert_eq!(
            found,
            vec![MissingBuiltin {
                name: "crypto.x509.parse_certificates".into(),
                line: 5,
                column: 12
            }]
        );
    }

    #[test]
    fn ignores_known_builtins_comments_strings_and_imports() {
        let src = r#"package p
import data.lib.net
# crypto.sha256("x") in a comment
deny contains m if {
  net.cidr_contains("10.0.0.0/8", input.ip)
  m := "jwt.decode(x) in a string"
  time.now_ns() > 0
  data.crypto.helper(1)
  x := `raw jwt.decode(
  still raw`
}
"#;
        assert_eq!(missing_builtins(src), vec![]);
    }
}
