//! Walking the "shadow" documents of a change (`after_unknown`, `before_sensitive`,
//! `after_sensitive`): same shape as the value, `true` where a leaf (or a whole block) is marked.

use serde_json::Value as Json;

/// What a sensitive value is replaced by, everywhere dbre shows or hands out a value.
/// Terraform prints the same words in its own plan output.
pub const SENSITIVE_PLACEHOLDER: &str = "(sensitive value)";

/// Every marked path of a shadow document, as attribute names and list indexes joined by ".",
/// e.g. `backup_configuration.0.enabled`. A wholly marked block or list is one entry at its own
/// path; a wholly marked value is the empty path "".
pub fn leaf_paths(marks: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    walk(marks, &mut prefix, &mut out);
    out
}

fn walk(marks: &Json, prefix: &mut String, out: &mut Vec<String>) {
    match marks {
        Json::Bool(true) => out.push(prefix.clone()),
        Json::Object(map) => {
            for (key, child) in map {
                descend(prefix, key, child, out);
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                descend(prefix, &i.to_string(), child, out);
            }
        }
        _ => {}
    }
}

fn descend(prefix: &mut String, segment: &str, child: &Json, out: &mut Vec<String>) {
    let len = prefix.len();
    if !prefix.is_empty() {
        prefix.push('.');
    }
    prefix.push_str(segment);
    walk(child, prefix, out);
    prefix.truncate(len);
}

/// A copy of `value` with every leaf marked in `marks` replaced by [`SENSITIVE_PLACEHOLDER`].
/// A marked null stays null: it reveals nothing, and policies may test for absence.
pub fn mask_sensitive(value: &Json, marks: &Json) -> Json {
    match (value, marks) {
        (Json::Null, _) => Json::Null,
        (_, Json::Bool(true)) => Json::String(SENSITIVE_PLACEHOLDER.into()),
        (Json::Object(map), Json::Object(m)) if !m.is_empty() => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = match m.get(k) {
                        Some(mark) => mask_sensitive(v, mark),
                        None => v.clone(),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        (Json::Array(items), Json::Array(m)) if !m.is_empty() => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match m.get(i) {
                    Some(mark) => mask_sensitive(v, mark),
                    None => v.clone(),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Sensitivity marks guessed from attribute names, for plans written before Terraform 0.15,
/// which carry no `before_sensitive`/`after_sensitive` at all: such plans print passwords in
/// clear, and we would rather mask a few harmless values than print one secret.
pub fn infer_sensitive_marks(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut marks = serde_json::Map::new();
            for (k, v) in map {
                let mark = if looks_secret(k) && !v.is_null() {
                    Json::Bool(true)
                } else {
                    infer_sensitive_marks(v)
                };
                if mark != Json::Bool(false) {
                    marks.insert(k.clone(), mark);
                }
            }
            if marks.is_empty() {
                Json::Bool(false)
            } else {
                Json::Object(marks)
            }
        }
        Json::Array(items) => {
            let marks: Vec<Json> = items.iter().map(infer_sensitive_marks).collect();
            if marks.iter().all(|m| *m == Json::Bool(false)) {
                Json::Bool(false)
            } else {
                Json::Array(marks)
            }
        }
        _ => Json::Bool(false),
    }
}

fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("password")
        || key.ends_with("_secret")
        || key == "secret"
        || key.ends_with("secret_key")
        || key.ends_with("private_key")
        || key == "token"
        || key.ends_with("_token")
        || key == "connection_string"
}

/// Calls `f` on every string and number leaf of `value` that `marks` covers.
pub(crate) fn for_each_marked_leaf(value: &Json, marks: &Json, f: &mut dyn FnMut(&Json)) {
    match (value, marks) {
        (_, Json::Bool(true)) => for_each_leaf(value, f),
        (Json::Object(map), Json::Object(m)) => {
            for (k, mark) in m {
                if let Some(v) = map.get(k) {
                    for_each_marked_leaf(v, mark, f);
                }
            }
        }
        (Json::Array(items), Json::Array(m)) => {
            for (v, mark) in items.iter().zip(m) {
                for_each_marked_leaf(v, mark, f);
            }
        }
        _ => {}
    }
}

pub(crate) fn for_each_leaf(value: &Json, f: &mut dyn FnMut(&Json)) {
    match value {
        Json::Object(map) => map.values().for_each(|v| for_each_leaf(v, f)),
        Json::Array(items) => items.iter().for_each(|v| for_each_leaf(v, f)),
        Json::Null | Json::Bool(_) => {}
        leaf => f(leaf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaf_paths_join_names_and_indexes() {
        let marks = json!({
            "id": true,
            "backup_configuration": [{"enabled": true, "start_time": false}],
            "ip_configuration": true,
            "tags": {}
        });
        assert_eq!(
            leaf_paths(&marks),
            vec!["id", "backup_configuration.0.enabled", "ip_configuration"]
        );
    }

    #[test]
    fn a_wholly_marked_value_is_the_empty_path() {
        assert_eq!(leaf_paths(&json!(true)), vec![""]);
        assert!(leaf_paths(&json!(false)).is_empty());
        assert!(leaf_paths(&Json::Null).is_empty());
    }

    #[test]
    fn masking_replaces_marked_leaves_and_whole_blocks() {
        let value = json!({
            "name": "app",
            "password": "hunter2",
            "nested": [{"token": "t0k3n", "port": 5432}],
            "settings": {"a": "b"},
            "gone": null
        });
        let marks = json!({
            "password": true,
            "nested": [{"token": true}],
            "settings": true,
            "gone": true
        });
        assert_eq!(
            mask_sensitive(&value, &marks),
            json!({
                "name": "app",
                "password": SENSITIVE_PLACEHOLDER,
                "nested": [{"token": SENSITIVE_PLACEHOLDER, "port": 5432}],
                "settings": SENSITIVE_PLACEHOLDER,
                "gone": null
            })
        );
    }

    #[test]
    fn masking_a_wholly_sensitive_value() {
        assert_eq!(
            mask_sensitive(&json!({"a": 1}), &json!(true)),
            json!(SENSITIVE_PLACEHOLDER)
        );
    }

    #[test]
    fn old_plans_get_marks_from_attribute_names() {
        let marks = infer_sensitive_marks(&json!({
            "name": "db",
            "password": "Password123",
            "master_password": null,
            "users": [{"login": "a", "auth_token": "t"}]
        }));
        assert_eq!(
            marks,
            json!({"password": true, "users": [{"auth_token": true}]})
        );
    }

    #[test]
    fn marked_leaves_are_visited_under_whole_block_marks() {
        let mut seen = Vec::new();
        for_each_marked_leaf(
            &json!({"a": {"x": "1", "y": [2, "z"]}, "b": "clear"}),
            &json!({"a": true}),
            &mut |v| seen.push(v.clone()),
        );
        assert_eq!(seen, vec![json!("1"), json!(2), json!("z")]);
    }
}
