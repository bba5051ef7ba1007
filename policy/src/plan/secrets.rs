//! The sensitive values of one plan, so that no text dbre prints can carry them — not even a
//! message a user's policy built from `input`, which is the plan unchanged.

use super::paths::{for_each_leaf, for_each_marked_leaf, SENSITIVE_PLACEHOLDER};
use super::ResourceChange;
use serde_json::Value as Json;

/// Secrets shorter than this are not scrubbed from free text: replacing every "on" or "5432"
/// in a message would garble it while protecting nothing worth protecting.
const MIN_SCRUB_LEN: usize = 4;

/// Replaces sensitive values of one plan in free text.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
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
            for_each_marked_leaf(&c.before, &c.before_sensitive, &mut add);
            for_each_marked_leaf(&c.after, &c.after_sensitive, &mut add);
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
        secrets.retain(|s| !changes.iter().any(|c| c.address.contains(s.as_str())));
        Redactor::new(secrets)
    }

    pub fn new(mut secrets: Vec<String>) -> Redactor {
        secrets.retain(|s| s.chars().count() >= MIN_SCRUB_LEN && s != SENSITIVE_PLACEHOLDER);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every known secret replaced by the placeholder.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), SENSITIVE_PLACEHOLDER);
            }
        }
        out
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
                if self.secrets.iter().any(|s| *s == text) {
                    *value = Json::String(SENSITIVE_PLACEHOLDER.into());
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Json::Object(map) => map.values_mut().for_each(|v| self.scrub_json(v)),
            _ => {}
        }
    }
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
