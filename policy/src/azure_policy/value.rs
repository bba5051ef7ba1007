//! Values during evaluation (known, or unknown until apply) and Azure Policy's comparison
//! rules: strings compare case-insensitively, `"true"` equals `true`, numbers compare by value.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::Value;

/// A value during evaluation: known, or unknown until apply (naming the attributes it
/// depends on, as Terraform-style paths such as `backup.0.geo_redundant`).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Known(Value),
    Unknown(BTreeSet<String>),
}

impl Val {
    pub fn unknown_of(parts: &[Val]) -> Val {
        let mut out = BTreeSet::new();
        for p in parts {
            if let Val::Unknown(f) = p {
                out.extend(f.iter().cloned());
            }
        }
        Val::Unknown(out)
    }

    /// Adds the unknown attributes of `other` (if any) to an unknown value.
    pub fn merge(self, other: &Val) -> Val {
        match (self, other) {
            (Val::Unknown(mut a), Val::Unknown(b)) => {
                a.extend(b.iter().cloned());
                Val::Unknown(a)
            }
            (s, _) => s,
        }
    }
}

/// `"true"`/`"false"` in any case.
pub fn truthy_str(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Azure Policy equality: case-insensitive strings, booleans equal to their string form,
/// numbers equal to numeric strings, arrays and objects compared member by member.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y || fold(x) == fold(y),
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => {
            truthy_str(s) == Some(*x)
        }
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            match (x.as_f64(), s.trim().parse::<f64>()) {
                (Some(x), Ok(y)) => x == y,
                _ => false,
            }
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| super::template::lookup_ci(y, k).is_some_and(|w| loose_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Ordering for less/greater: numbers (or numeric strings) by value, other strings
/// case-insensitively (which orders ISO 8601 timestamps correctly). `None` = incomparable.
pub fn loose_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let n = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    if let (Some(x), Some(y)) = (n(a), n(b)) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(fold(x).cmp(&fold(y))),
        _ => None,
    }
}

/// `like`: `*` matches any run of characters; case-insensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = fold(text).chars().collect();
    let p: Vec<char> = fold(pattern).chars().collect();
    // Classic greedy wildcard matcher with backtracking to the last '*'.
    let (mut ti, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// `match`: `#` a digit, `?` a letter, `.` any character, anything else itself; the
/// whole text must match. Case-sensitive unless `insensitive`.
pub fn match_pattern(text: &str, pattern: &str, insensitive: bool) -> bool {
    let (t, p) = if insensitive {
        (fold(text), fold(pattern))
    } else {
        (text.to_string(), pattern.to_string())
    };
    let t: Vec<char> = t.chars().collect();
    let p: Vec<char> = p.chars().collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(c, q)| match q {
            '#' => c.is_ascii_digit(),
            '?' => c.is_alphabetic(),
            '.' => true,
            other => c == other,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality_rules() {
        assert!(loose_eq(&json!("Enabled"), &json!("enabled")));
        assert!(loose_eq(&json!(true), &json!("True")));
        assert!(loose_eq(&json!(7), &json!("7")));
        assert!(loose_eq(&json!(["A"]), &json!(["a"])));
        assert!(!loose_eq(&json!(null), &json!("")));
        assert!(!loose_eq(&json!(false), &json!("no")));
    }

    #[test]
    fn like_and_match() {
        assert!(like("prod-db-01", "PROD-*"));
        assert!(like("a.b.c", "*.c"));
        assert!(like("abc", "a*b*c"));
        assert!(!like("abd", "a*c"));
        assert!(match_pattern("db-42", "db-##", false));
        assert!(!match_pattern("DB-42", "db-##", false));
        assert!(match_pattern("DB-42", "db-##", true));
        assert!(match_pattern("ab1", "??.", false));
        assert!(!match_pattern("ab12", "??.", false));
    }

    #[test]
    fn ordering() {
        assert_eq!(loose_cmp(&json!(5), &json!("7")), Some(Ordering::Less));
        assert_eq!(
            loose_cmp(&json!("2024-01-01"), &json!("2025-01-01")),
            Some(Ordering::Less)
        );
        assert_eq!(loose_cmp(&json!(true), &json!(1)), None);
    }
}
