//! Turning the value of a `deny`/`violation`/`warn`/`indeterminate` rule into findings,
//! the way conftest reads them: a set (or array) of strings or of objects with a `msg`.

use super::load::Target;
use super::rules::{exception_name, Family};
use super::BuiltinRule;
use crate::finding::{Finding, Outcome, PolicyLocation, Severity, WaiverRef};
use crate::plan::Plan;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// Rule names excepted by a package's conftest `exception` rule.
#[derive(Debug, Default)]
pub(super) struct ExceptionSet {
    names: BTreeSet<String>,
}

impl ExceptionSet {
    /// `exception` is a set of arrays of rule names (`exception contains rules if {...}`).
    pub fn from_value(value: Option<&Json>) -> ExceptionSet {
        let mut names = BTreeSet::new();
        let mut add = |v: &Json| {
            if let Some(s) = v.as_str() {
                names.insert(s.to_string());
            }
        };
        if let Some(Json::Array(entries)) = value {
            for entry in entries {
                match entry {
                    Json::Array(rules) => rules.iter().for_each(&mut add),
                    other => add(other),
                }
            }
        }
        ExceptionSet { names }
    }

    fn excepts(&self, rule: &str) -> bool {
        self.names.contains(exception_name(rule))
    }
}

pub(super) struct TargetContext<'a> {
    pub target: &'a Target,
    pub builtin: Option<&'a BuiltinRule>,
    pub exceptions: Option<&'a ExceptionSet>,
    pub plan: &'a Plan,
}

/// Appends the findings a rule's value stands for.
pub(super) fn findings_from_value(ctx: &TargetContext, value: &Json, out: &mut Vec<Finding>) {
    match value {
        Json::Array(items) => {
            for item in items {
                out.push(finding_from_item(ctx, item));
            }
        }
        Json::Null | Json::Bool(false) => {}
        // A complete rule (`deny := true`, `deny if {...}`): one finding named after the rule.
        Json::Bool(true) => out.push(finding_from_item(
            ctx,
            &Json::String(format!("{}.{}", ctx.target.package, ctx.target.rule)),
        )),
        other => out.push(finding_from_item(ctx, other)),
    }
}

fn finding_from_item(ctx: &TargetContext, item: &Json) -> Finding {
    let redactor = &ctx.plan.redactor;
    let mut message = String::new();
    let mut rule_id = None;
    let mut severity = None;
    let mut address = None;
    let mut attribute = None;
    let mut metadata = BTreeMap::new();
    match item {
        Json::String(s) => message = s.clone(),
        Json::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("msg", Json::String(s)) => message = s.clone(),
                    ("_loc", _) => {}
                    ("id" | "rule", Json::String(s)) if rule_id.is_none() => {
                        rule_id = Some(s.clone())
                    }
                    ("severity", Json::String(s)) if Severity::parse(s).is_some() => {
                        severity = Severity::parse(s)
                    }
                    ("address" | "resource", Json::String(s)) if address.is_none() => {
                        address = Some(s.clone())
                    }
                    ("attribute", Json::String(s)) => attribute = Some(s.clone()),
                    _ => {
                        let mut v = v.clone();
                        redactor.scrub_json(&mut v);
                        metadata.insert(key.clone(), v);
                    }
                }
            }
            if message.is_empty() {
                message = format!("{item}");
            }
        }
        other => message = other.to_string(),
    }

    let target = ctx.target;
    let (rule, severity) = match ctx.builtin {
        Some(b) => (b.id.clone(), Some(b.severity)),
        None => (
            rule_id.unwrap_or_else(|| format!("{}.{}", target.package, target.rule)),
            severity,
        ),
    };
    let mut outcome = match target.family {
        Family::Failure => Outcome::Fail,
        Family::Warning => Outcome::Warn,
        Family::Indeterminate => Outcome::Indeterminate,
    };
    if outcome == Outcome::Indeterminate {
        if let Some(attr) = &attribute {
            if !message.contains(attr.as_str()) {
                message = format!("{message} (unknown until apply: {attr})");
            }
        }
    }
    let mut waiver = None;
    if target.family == Family::Failure && ctx.exceptions.is_some_and(|e| e.excepts(&target.rule)) {
        outcome = Outcome::Waived;
        waiver = Some(WaiverRef {
            reason: format!("conftest exception rule excepts `{}`", target.rule),
            owner: None,
            expires: None,
            source: format!("data.{}.exception", target.package),
        });
    }

    let change = address.as_deref().and_then(|a| ctx.plan.change(a));
    Finding {
        rule,
        severity,
        outcome,
        action: change.map(|c| c.action),
        source: address
            .as_deref()
            .and_then(|a| ctx.plan.sources.lookup(a))
            .cloned(),
        address,
        message: redactor.scrub(&message),
        attribute,
        policy: PolicyLocation {
            file: target.file.clone(),
            line: Some(target.line),
        },
        plan: ctx.plan.path.clone(),
        plan_line: None,
        waiver,
        metadata,
    }
}
