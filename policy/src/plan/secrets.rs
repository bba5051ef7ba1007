//! The sensitive values of one plan, so that no text dbre prints can carry them — not even a
//! message a user's policy built from `input`, which is the plan unchanged.

use super::paths::{
    for_each_leaf, for_each_marked_leaf, infer_sensitive_marks, SENSITIVE_PLACEHOLDER,
};
use super::ResourceChange;
use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value as Json;

/// Secrets shorter than this are not scrubbed from free text: replacing every "on" or "5432"
/// in a message would garble it while protecting nothing worth protecting.
const MIN_SCRUB_LEN: usize = 4;

/// Replaces sensitive values of one plan in free text.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
    /// One automaton for all secrets (a plan of 10,000 resources has thousands), matching the
    /// longest secret at each position so that a secret containing another is replaced whole.
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    pub(super) fn from_plan(
        changes: &[ResourceChange],
        variables: &Json,
        configuration: &Json,
        output_changes: &Json,
    ) -> Redactor {
        let mut secrets = Vec::new();
        let mut add = |v: &Json| {
            let text = match v {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                _ => return,
            };
            secrets.push(text);
        };
        for c in changes {
            if c.before_sensitive.is_null() && c.after_sensitive.is_null() {
                // No marks at all (Terraform before 0.15): guess secrets from attribute names.
                for_each_marked_leaf(&c.before, &infer_sensitive_marks(&c.before), &mut add);
                for_each_marked_leaf(&c.after, &infer_sensitive_marks(&c.after), &mut add);
            } else {
                for_each_marked_leaf(&c.before, &c.before_sensitive, &mut add);
                for_each_marked_leaf(&c.after, &c.after_sensitive, &mut add);
            }
        }
        if let Some(decls) = configuration
            .pointer("/root_module/variables")
            .and_then(Json::as_object)
        {
            for (name, decl) in decls {
                if decl.get("sensitive") == Some(&Json::Bool(true)) {
                    if let Some(value) =
                        variables.pointer(&format!("/{}/value", escape_pointer(name)))
                    {
                        for_each_leaf(value, &mut add);
                    }
                }
            }
        }
        if let Some(outputs) = output_changes.as_object() {
            for change in outputs.values() {
                for (value, marks) in [("before", "before_sensitive"), ("after", "after_sensitive")]
                {
                    if let (Some(v), Some(m)) = (change.get(value), change.get(marks)) {
                        for_each_marked_leaf(v, m, &mut add);
                    }
                }
            }
        }
        // A value that is part of a resource address (a `for_each` key) is printed in clear by
        // Terraform itself, so it is no secret; scrubbing it would garble every address.
        let keys: std::collections::HashSet<String> = changes
            .iter()
            .flat_map(|c| instance_keys(&c.address))
            .collect();
        secrets.retain(|s| !keys.contains(s));
        Redactor::new(secrets)
    }

    pub fn new(mut secrets: Vec<String>) -> Redactor {
        secrets.retain(|s| s.chars().count() >= MIN_SCRUB_LEN && s != SENSITIVE_PLACEHOLDER);
        secrets.sort();
        secrets.dedup();
        let matcher = if secrets.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&secrets)
                .ok()
        };
        Redactor { secrets, matcher }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every known secret replaced by the placeholder.
    pub fn scrub(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) if m.is_match(text) => {
                let placeholders = vec![SENSITIVE_PLACEHOLDER; self.secrets.len()];
                m.replace_all(text, &placeholders)
            }
            _ => text.to_string(),
        }
    }

    /// Scrubs every string inside a JSON value (finding metadata).
    pub fn scrub_json(&self, value: &mut Json) {
        if self.secrets.is_empty() {
            return;
        }
        match value {
            Json::String(s) => *s = self.scrub(s),
            Json::Number(n) => {
                let text = n.to_string();
                if self.secrets.binary_search(&text).is_ok() {
                    *value = Json::String(SENSITIVE_PLACEHOLDER.into());
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Json::Object(map) => map.values_mut().for_each(|v| self.scrub_json(v)),
            _ => {}
        }
    }
}

/// The instance keys of an address, module keys included:
/// `module.db["app"].x.y[0]` → `app`, `0`.
fn instance_keys(address: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = address;
    while let Some(open) = rest.find('[') {
        let tail = &rest[open + 1..];
        let (key, after) = if tail.starts_with('"') {
            let mut de = serde_json::Deserializer::from_str(tail).into_iter::<String>();
            match de.next() {
                Some(Ok(key)) => {
                    let used = de.byte_offset();
                    (key, &tail[used..])
                }
                _ => break,
            }
        } else {
            match tail.find(']') {
                Some(close) => (tail[..close].to_string(), &tail[close..]),
                None => break,
            }
        };
        keys.push(key);
        rest = after;
    }
    keys
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubs_longest_secret_first_and_ignores_tiny_ones() {
        let r = Redactor::new(vec!["abcd".into(), "abcdefgh".into(), "on".into()]);
        assert_eq!(
            r.scrub("x abcdefgh y abcd on"),
            "x (sensitive value) y (sensitive value) on"
        );
    }

    #[test]
    fn instance_keys_of_addresses() {
        assert_eq!(
            instance_keys(r#"module.db["a.b]"].x.y[3]"#),
            vec!["a.b]".to_string(), "3".to_string()]
        );
        assert!(instance_keys("x.y").is_empty());
    }

    #[test]
    fn scrubs_json_strings_and_numbers() {
        let r = Redactor::new(vec!["s3cr3t!".into(), "123456".into()]);
        let mut v = json!({"a": ["pw=s3cr3t!"], "n": 123456, "m": 7});
        r.scrub_json(&mut v);
        assert_eq!(
            v,
            json!({"a": ["pw=(sensitive value)"], "n": "(sensitive value)", "m": 7})
        );
    }
}
