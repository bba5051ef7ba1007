//! The seam between the check and the Azure Policy engine (`crate::azure_policy`, written
//! separately). Everything the core needs from it goes through this file.

use crate::error::Error;
use crate::finding::Finding;
use crate::plan::Plan;

/// An Azure Policy JSON file to load: its path as the user named it, and its text.
#[derive(Debug, Clone)]
pub struct AzureSource {
    pub path: String,
    pub text: String,
}

/// Loaded Azure Policy definitions and initiatives.
#[derive(Debug, Default)]
pub struct AzurePolicies {
    count: usize,
}

impl AzurePolicies {
    pub fn load(sources: &[AzureSource]) -> Result<AzurePolicies, Error> {
        if let Some(first) = sources.first() {
            return Err(Error::Usage(format!(
                "{}: Azure Policy JSON files are not supported by this build of dbre yet",
                first.path
            )));
        }
        Ok(AzurePolicies { count: 0 })
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Findings of every definition for every resource change of the plan.
    pub fn evaluate(&self, _plan: &Plan) -> Vec<Finding> {
        Vec::new()
    }
}

/// Whether a JSON file found while walking a policy directory looks like Azure Policy (a
/// definition, a bare rule, an initiative, or an array of them). Other JSON files in policy
/// directories (test inputs, data) are not policies and are skipped, as conftest skips them.
pub fn looks_like_azure_policy(text: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        // Broken JSON in a policy directory: let the loader report it with its position.
        return true;
    };
    let one = |v: &serde_json::Value| {
        let props = v.get("properties").unwrap_or(v);
        props.get("policyRule").is_some() || props.get("policyDefinitions").is_some()
    };
    match &value {
        serde_json::Value::Array(items) => !items.is_empty() && items.iter().all(one),
        other => one(other),
    }
}
