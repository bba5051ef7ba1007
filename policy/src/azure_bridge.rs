//! The seam between the check and the Azure Policy engine ([`crate::azure_policy`]):
//! loading definitions, judging every resource change of a plan, and turning the engine's
//! outcomes into findings.

use crate::azure_policy::{self, AzureDefinition, Effect, ResourceInput, Tri};
use crate::error::Error;
use crate::finding::{Finding, Outcome, PolicyLocation, Severity};
use crate::plan::Plan;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// An Azure Policy JSON file to load: its path as the user named it, and its text.
#[derive(Debug, Clone)]
pub struct AzureSource {
    pub path: String,
    pub text: String,
}

/// Loaded Azure Policy definitions and initiatives.
#[derive(Debug, Default)]
pub struct AzurePolicies {
    definitions: Vec<AzureDefinition>,
}

impl AzurePolicies {
    /// Loads all files as one set, so initiatives may reference definitions of any file.
    pub fn load(sources: &[AzureSource]) -> Result<AzurePolicies, Error> {
        if sources.is_empty() {
            return Ok(AzurePolicies::default());
        }
        let files: Vec<(&Path, &str)> = sources
            .iter()
            .map(|s| (Path::new(s.path.as_str()), s.text.as_str()))
            .collect();
        let definitions =
            azure_policy::load_all(files).map_err(|e| Error::Policy(e.to_string()))?;
        Ok(AzurePolicies { definitions })
    }

    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    /// Findings of every definition for every resource change of the plan.
    pub fn evaluate(&self, plan: &Plan) -> Vec<Finding> {
        let mut findings = Vec::new();
        if self.definitions.is_empty() {
            return findings;
        }
        for change in &plan.changes {
            let input = ResourceInput {
                address: &change.address,
                type_: &change.type_,
                name: &change.name,
                action: change.action,
                after: &change.after,
                after_unknown: &change.after_unknown,
                before: &change.before,
            };
            for definition in &self.definitions {
                for o in definition.evaluate(&input) {
                    if !o.is_reportable() {
                        continue;
                    }
                    let (outcome, attribute) = match (&o.effect, &o.result) {
                        (Effect::Unsupported(_), _) => (Outcome::Unsupported, None),
                        (_, Tri::Indeterminate { fields }) => (
                            Outcome::Indeterminate,
                            (!fields.is_empty()).then(|| fields.join(", ")),
                        ),
                        (Effect::Deny | Effect::DenyAction, Tri::Match) => (Outcome::Fail, None),
                        (Effect::Audit, Tri::Match) => (Outcome::Warn, None),
                        _ => continue,
                    };
                    let mut metadata = BTreeMap::new();
                    metadata.insert(
                        "effect".to_string(),
                        Json::String(o.effect.as_str().to_string()),
                    );
                    if let Some(initiative) = &o.initiative {
                        metadata.insert("initiative".to_string(), Json::String(initiative.clone()));
                    }
                    if let Some(reference) = &o.reference_id {
                        metadata
                            .insert("reference_id".to_string(), Json::String(reference.clone()));
                    }
                    findings.push(Finding {
                        rule: o.definition.clone(),
                        severity: o.severity.as_deref().and_then(Severity::parse),
                        outcome,
                        address: Some(change.address.clone()),
                        action: Some(change.action),
                        message: plan.redactor.scrub(&o.message),
                        attribute,
                        policy: PolicyLocation {
                            file: o.file.to_string_lossy().replace('\\', "/"),
                            line: u32::try_from(o.line).ok(),
                        },
                        plan: plan.path.clone(),
                        plan_line: None,
                        source: plan.sources.lookup(&change.address).cloned(),
                        waiver: None,
                        metadata,
                    });
                }
            }
        }
        findings
    }
}

/// Whether a JSON file found while walking a policy directory is Azure Policy (other JSON in
/// policy directories — test inputs, data — is skipped, as conftest skips it). Broken JSON
/// counts as policy, so the loader reports it with its position.
pub fn looks_like_azure_policy(text: &str) -> bool {
    match serde_json::from_str::<Json>(text) {
        Ok(doc) => azure_policy::looks_like_policy(&doc),
        Err(_) => true,
    }
}
