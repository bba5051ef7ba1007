//! What every policy engine produces and every reporter prints.

use crate::plan::{Action, SourceRef};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// How bad a broken rule is. Built-ins declare it in `metadata`; user rules may set it in
/// their result object (`severity` key); otherwise it is absent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        Some(match text.to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "error" => Severity::High,
            "medium" | "warning" => Severity::Medium,
            "low" | "info" | "note" => Severity::Low,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The verdict of one rule on one resource (or on the whole plan).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A failure: makes the exit code 1.
    Fail,
    /// A warning: exit code 1 only with `--fail-on-warn`.
    Warn,
    /// The rule could only be decided by a value unknown until apply; reported as a warning
    /// naming the attribute, never as a pass or a failure.
    Indeterminate,
    /// The rule cannot be evaluated against a plan (e.g. an Azure Policy `modify` effect);
    /// reported as a warning rather than silently passed.
    Unsupported,
    /// A failure or warning covered by a waiver (or a conftest `exception` rule); shown and
    /// counted, but does not fail the check.
    Waived,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Indeterminate => "indeterminate",
            Outcome::Unsupported => "unsupported",
            Outcome::Waived => "waived",
        }
    }

    /// Counted as a warning for `--fail-on-warn` and the summary.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Outcome::Warn | Outcome::Indeterminate | Outcome::Unsupported
        )
    }
}

/// Where the rule that produced a finding is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct PolicyLocation {
    /// A path as given on the command line, `builtin:<path>` for built-in guardrails, or the
    /// waivers file for waiver findings.
    pub file: String,
    pub line: Option<u32>,
}

/// Why a finding is waived.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct WaiverRef {
    pub reason: String,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, the last day the waiver applies.
    pub expires: Option<String>,
    /// The waivers file, or the Rego package holding a conftest `exception` rule.
    pub source: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Built-ins: their `metadata.id`; user Rego: the result's `id`/`rule` key, else
    /// `<package>.<rule>`; Azure Policy: the definition name.
    pub rule: String,
    pub severity: Option<Severity>,
    pub outcome: Outcome,
    /// Resource address with module path and instance key; absent for plan-wide findings.
    pub address: Option<String>,
    pub action: Option<Action>,
    /// Never contains a sensitive value of the plan.
    pub message: String,
    /// The attribute (path) the finding is about, when the rule names one; always present for
    /// indeterminate findings.
    pub attribute: Option<String>,
    pub policy: PolicyLocation,
    /// The plan file the finding is about.
    pub plan: String,
    /// The line of the plan file where the resource's `resource_changes` entry starts.
    pub plan_line: Option<u32>,
    /// Where the resource is declared, when the plan's `configuration` says.
    pub source: Option<SourceRef>,
    pub waiver: Option<WaiverRef>,
    /// Other keys of the rule's result object (sensitive values scrubbed).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub metadata: BTreeMap<String, Json>,
}

impl Finding {
    /// The total order every report uses: plan, address, rule, then the rest, so that output is
    /// identical across runs whatever order engines and threads produced findings in.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.plan,
            &self.address,
            &self.rule,
            self.outcome,
            &self.attribute,
            &self.message,
            &self.policy,
        )
    }
}

/// Sorts findings into report order and drops exact duplicates (the same rule can be loaded
/// from two policy paths that overlap).
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a == b);
}

/// Counts shown in every report's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub plans: usize,
    pub resources: usize,
    pub failures: usize,
    pub warnings: usize,
    pub indeterminate: usize,
    pub unsupported: usize,
    pub waived: usize,
}

impl Summary {
    pub fn add(&mut self, f: &Finding) {
        match f.outcome {
            Outcome::Fail => self.failures += 1,
            Outcome::Warn => self.warnings += 1,
            Outcome::Indeterminate => self.indeterminate += 1,
            Outcome::Unsupported => self.unsupported += 1,
            Outcome::Waived => self.waived += 1,
        }
    }

    pub fn warning_like(&self) -> usize {
        self.warnings + self.indeterminate + self.unsupported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(plan: &str, address: Option<&str>, rule: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: None,
            outcome: Outcome::Fail,
            address: address.map(Into::into),
            action: None,
            message: "m".into(),
            attribute: None,
            policy: PolicyLocation {
                file: "p.rego".into(),
                line: None,
            },
            plan: plan.into(),
            plan_line: None,
            source: None,
            waiver: None,
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn sorting_is_total_and_drops_duplicates() {
        let mut v = vec![
            finding("b.json", Some("x.a"), "R1"),
            finding("a.json", Some("x.b"), "R2"),
            finding("a.json", Some("x.b"), "R1"),
            finding("a.json", None, "R9"),
            finding("a.json", Some("x.b"), "R1"),
        ];
        sort_findings(&mut v);
        let keys: Vec<_> = v
            .iter()
            .map(|f| (f.plan.as_str(), f.address.as_deref(), f.rule.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("a.json", None, "R9"),
                ("a.json", Some("x.b"), "R1"),
                ("a.json", Some("x.b"), "R2"),
                ("b.json", Some("x.a"), "R1"),
            ]
        );
    }

    #[test]
    fn severity_words_from_other_tools_are_understood() {
        assert_eq!(Severity::parse("CRITICAL"), Some(Severity::Critical));
        assert_eq!(Severity::parse("warning"), Some(Severity::Medium));
        assert_eq!(Severity::parse("bogus"), None);
    }
}
