//! Line numbers of resource changes in the plan file, so that annotations (SARIF, GitHub) can
//! point at the exact entry instead of line 1.

use std::collections::HashMap;

/// Maps each address in `resource_changes` to the 1-based line where its entry's `"address"`
/// key is written. Minified plans map everything to line 1, which is still true.
pub fn address_lines(text: &str) -> HashMap<String, u32> {
    let mut lines = HashMap::new();
    let Some(start) = text.find("\"resource_changes\"") else {
        return lines;
    };
    let mut line = 1 + text[..start].bytes().filter(|&b| b == b'\n').count() as u32;
    let mut pos = start;
    while let Some(found) = text[pos..].find("\"address\"") {
        let at = pos + found;
        line += text[pos..at].bytes().filter(|&b| b == b'\n').count() as u32;
        pos = at + "\"address\"".len();
        let rest = text[pos..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        if !rest.starts_with('"') {
            continue;
        }
        // Read one JSON string; serde handles escapes.
        let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        if let Some(Ok(address)) = de.next() {
            lines.entry(address).or_insert(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entries_after_resource_changes_only() {
        let text = "{\n \"planned_values\": {\"address\": \"a.b\"},\n \"resource_changes\": [\n  {\n   \"address\": \"a.b\",\n   \"x\": 1\n  },\n  {\"address\" : \"c[\\\"k\\\"]\"}\n ]\n}";
        let lines = address_lines(text);
        assert_eq!(lines.get("a.b"), Some(&5));
        assert_eq!(lines.get("c[\"k\"]"), Some(&8));
    }
}
