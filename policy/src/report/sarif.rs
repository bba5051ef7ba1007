//! SARIF 2.1.0. GitHub code scanning rejects an upload if any result lacks a location, so
//! every result points at the plan file (at the line of the resource's entry when known) with
//! a logical location naming the resource address. Rule ids are the findings' own rule ids,
//! never a coarse `namespace/deny`.

use crate::check::Report;
use crate::finding::{Finding, Outcome, Severity};
use crate::rego::BuiltinRule;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &Report, builtin_rules: &[BuiltinRule]) -> String {
    let builtin: BTreeMap<&str, &BuiltinRule> =
        builtin_rules.iter().map(|r| (r.id.as_str(), r)).collect();

    // One rule descriptor per distinct rule id, in sorted order.
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rule_index: BTreeMap<&str, usize> = rule_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let rules: Vec<Json> = rule_ids
        .iter()
        .map(|id| rule_descriptor(id, builtin.get(id).copied(), &report.findings))
        .collect();

    let results: Vec<Json> = report
        .findings
        .iter()
        .map(|f| result(f, rule_index[f.rule.as_str()]))
        .collect();

    let mut artifacts: Vec<&str> = report.plans.iter().map(|p| p.path.as_str()).collect();
    artifacts.extend(report.findings.iter().map(|f| f.plan.as_str()));
    artifacts.sort_unstable();
    artifacts.dedup();

    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dbre",
                "fullName": "dbre policy check",
                "version": report.dbre_version,
                "semanticVersion": report.dbre_version,
                "informationUri": "https://github.com/dbre/dbre",
                "rules": rules,
            }},
            "artifacts": artifacts.iter().map(|a| json!({"location": {"uri": uri(a)}})).collect::<Vec<_>>(),
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    text.push('\n');
    text
}

fn rule_descriptor(id: &str, builtin: Option<&BuiltinRule>, findings: &[Finding]) -> Json {
    let example = findings.iter().find(|f| f.rule == id);
    let severity = builtin
        .map(|b| b.severity)
        .or_else(|| example.and_then(|f| f.severity));
    let default_level = example.map(|f| level(f.outcome)).unwrap_or("warning");
    let mut descriptor = json!({
        "id": id,
        "name": id,
        "shortDescription": {"text": builtin.map(|b| b.title.clone()).unwrap_or_else(|| id.to_string())},
        "defaultConfiguration": {"level": default_level},
    });
    if let Some(b) = builtin {
        if !b.description.is_empty() {
            descriptor["fullDescription"] = json!({"text": b.description});
        }
    }
    if let Some(severity) = severity {
        descriptor["properties"] = json!({
            "severity": severity.as_str(),
            // GitHub code scanning ranks security results by this CVSS-like score.
            "security-severity": security_severity(severity),
        });
    }
    descriptor
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn level(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Fail => "error",
        Outcome::Warn | Outcome::Indeterminate | Outcome::Unsupported => "warning",
        Outcome::Waived => "note",
    }
}

fn result(f: &Finding, rule_index: usize) -> Json {
    let mut physical = json!({"artifactLocation": {"uri": uri(&f.plan)}});
    physical["region"] = json!({"startLine": f.plan_line.unwrap_or(1)});
    let mut location = json!({"physicalLocation": physical});
    if let Some(address) = &f.address {
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": address,
            "kind": "resource",
        }]);
    }
    let mut properties = json!({"outcome": f.outcome.as_str()});
    if let Some(action) = f.action {
        properties["action"] = json!(action.as_str());
    }
    if let Some(attr) = &f.attribute {
        properties["attribute"] = json!(attr);
    }
    if let Some(source) = &f.source {
        properties["declaredIn"] = json!(source.to_string());
    }
    properties["policy"] = json!(match f.policy.line {
        Some(line) => format!("{}:{line}", f.policy.file),
        None => f.policy.file.clone(),
    });
    let mut result = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.outcome),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"dbre/v1": fingerprint(f)},
        "properties": properties,
    });
    if let Some(w) = &f.waiver {
        let mut justification = w.reason.clone();
        if let Some(owner) = &w.owner {
            justification.push_str(&format!(" (owner {owner}"));
            if let Some(expires) = &w.expires {
                justification.push_str(&format!(", expires {expires}"));
            }
            justification.push(')');
        }
        result["suppressions"] = json!([{"kind": "external", "justification": justification}]);
    }
    result
}

/// Stable across runs and line moves: the same rule on the same resource of the same plan
/// is the same alert.
fn fingerprint(f: &Finding) -> String {
    // FNV-1a: tiny, deterministic, no dependency.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        f.plan.as_str(),
        f.rule.as_str(),
        f.address.as_deref().unwrap_or(""),
        f.attribute.as_deref().unwrap_or(""),
    ] {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// A relative path is a relative URI reference (with `/`); absolute paths become `file://`.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let encoded: String = path
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '%' => "%25".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            c => c.to_string(),
        })
        .collect();
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded.trim_start_matches("./").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn every_result_has_a_location_and_a_fine_grained_rule() {
        let report = sample::report();
        let doc: Json = serde_json::from_str(&render(&report, &sample::builtin_rules())).unwrap();
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            assert!(loc["artifactLocation"]["uri"].is_string(), "{r}");
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
            assert!(!r["ruleId"].as_str().unwrap().ends_with("/deny"));
        }
        let waived = results.iter().find(|r| r["level"] == "note").unwrap();
        assert_eq!(waived["suppressions"][0]["kind"], "external");
        assert_eq!(
            results[0]["locations"][0]["logicalLocations"][0]["kind"],
            "resource"
        );
    }

    #[test]
    fn uris_are_relative_or_file_urls() {
        assert_eq!(uri("./plans/a b.json"), "plans/a%20b.json");
        assert_eq!(uri("/tmp/x.json"), "file:///tmp/x.json");
    }
}
