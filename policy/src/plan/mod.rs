//! The Terraform plan, as `terraform show -json` writes it: parsed once, checked for being a
//! plan at all, and turned into what the policy engines need (resource changes with their
//! action, masked values and unknown paths, source locations, and the secrets to scrub).

mod action;
mod error;
mod lines;
mod paths;
mod secrets;
mod source;
mod view;

pub use action::Action;
pub use error::PlanError;
pub use lines::address_lines;
pub use paths::{leaf_paths, mask_sensitive, SENSITIVE_PLACEHOLDER};
pub use secrets::Redactor;
pub use source::{SourceMap, SourceRef};
pub use view::{dbre_plan_view, dbre_plan_view_value};

use serde::Deserialize;
use serde_json::Value as Json;

/// One parsed plan file.
#[derive(Debug)]
pub struct Plan {
    /// The path as the user named it (or as found under a directory they named).
    pub path: String,
    pub format_version: String,
    pub terraform_version: String,
    /// Sorted by address, then deposed key, so everything derived from it is deterministic.
    pub changes: Vec<ResourceChange>,
    pub sources: SourceMap,
    /// Every sensitive value of the plan, to be scrubbed from any text we print.
    pub redactor: Redactor,
}

/// One entry of `resource_changes`.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    pub address: String,
    pub previous_address: Option<String>,
    pub module_address: String,
    pub mode: String,
    pub type_: String,
    pub name: String,
    pub index: Json,
    pub provider_name: String,
    pub deposed: Option<String>,
    pub actions: Vec<String>,
    pub action: Action,
    pub before: Json,
    pub after: Json,
    pub after_unknown: Json,
    pub before_sensitive: Json,
    pub after_sensitive: Json,
}

impl ResourceChange {
    /// The address with the deposed key, which is what makes an entry unique.
    pub fn display_address(&self) -> String {
        match &self.deposed {
            Some(key) => format!("{} (deposed {key})", self.address),
            None => self.address.clone(),
        }
    }
}

#[derive(Deserialize)]
struct RawPlan {
    format_version: Option<Json>,
    terraform_version: Option<String>,
    planned_values: Option<serde::de::IgnoredAny>,
    resource_changes: Option<Vec<RawChange>>,
    /// Present in `terraform show -json` of a *state*, never in a plan.
    values: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    configuration: Json,
    #[serde(default)]
    variables: Json,
    #[serde(default)]
    output_changes: Json,
}

#[derive(Deserialize)]
struct RawChange {
    address: String,
    previous_address: Option<String>,
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    type_: String,
    name: String,
    #[serde(default)]
    index: Json,
    #[serde(default)]
    provider_name: Option<String>,
    deposed: Option<String>,
    change: RawInner,
}

#[derive(Deserialize)]
struct RawInner {
    actions: Vec<String>,
    #[serde(default)]
    before: Json,
    #[serde(default)]
    after: Json,
    #[serde(default)]
    after_unknown: Json,
    #[serde(default)]
    before_sensitive: Json,
    #[serde(default)]
    after_sensitive: Json,
}

impl Plan {
    /// Parses the text of a plan file. `path` is only used in messages and findings.
    pub fn parse(path: &str, text: &str) -> Result<Plan, PlanError> {
        let raw: RawPlan = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                // Valid JSON of the wrong shape (an array, a number, a field of the wrong type).
                PlanError::NotAPlan {
                    path: path.to_string(),
                    why: format!("{e}"),
                }
            } else {
                PlanError::Json {
                    path: path.to_string(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                }
            }
        })?;
        let format_version = match &raw.format_version {
            Some(Json::String(v)) => v.clone(),
            Some(other) => {
                return Err(PlanError::NotAPlan {
                    path: path.to_string(),
                    why: format!("\"format_version\" is {other}, expected a string such as \"1.2\""),
                })
            }
            None => {
                return Err(PlanError::NotAPlan {
                    path: path.to_string(),
                    why: "it has no \"format_version\"; expected the output of `terraform show -json PLANFILE`".into(),
                })
            }
        };
        let major = format_version.split('.').next().unwrap_or("");
        if major != "0" && major != "1" {
            return Err(PlanError::UnsupportedFormat {
                path: path.to_string(),
                version: format_version,
            });
        }
        if raw.planned_values.is_none() && raw.resource_changes.is_none() {
            let why = if raw.values.is_some() {
                "it is a Terraform *state* (`terraform show -json` without a plan file); \
                 run `terraform plan -out=tfplan && terraform show -json tfplan`"
            } else {
                "it has neither \"planned_values\" nor \"resource_changes\""
            };
            return Err(PlanError::NotAPlan {
                path: path.to_string(),
                why: why.into(),
            });
        }

        let mut changes = Vec::new();
        for rc in raw.resource_changes.unwrap_or_default() {
            let action =
                Action::from_actions(&rc.change.actions).ok_or_else(|| PlanError::NotAPlan {
                    path: path.to_string(),
                    why: format!(
                        "resource {} has actions {:?}, which this version of dbre does not know",
                        rc.address, rc.change.actions
                    ),
                })?;
            // Plans older than Terraform 0.15 carry no sensitivity marks. The marks stay as
            // Terraform wrote them (a password there really is in the plan in clear, which
            // guardrails must see); only the redactor guesses secrets from attribute names.
            let inner = rc.change;
            changes.push(ResourceChange {
                module_address: rc.module_address.unwrap_or_default(),
                mode: rc.mode.unwrap_or_else(|| "managed".into()),
                provider_name: rc.provider_name.unwrap_or_default(),
                address: rc.address,
                previous_address: rc.previous_address,
                type_: rc.type_,
                name: rc.name,
                index: rc.index,
                deposed: rc.deposed,
                actions: inner.actions,
                action,
                before: inner.before,
                after: inner.after,
                after_unknown: inner.after_unknown,
                before_sensitive: inner.before_sensitive,
                after_sensitive: inner.after_sensitive,
            });
        }
        changes.sort_by(|a, b| {
            (a.address.as_str(), a.deposed.as_deref())
                .cmp(&(b.address.as_str(), b.deposed.as_deref()))
        });

        let redactor = Redactor::from_plan(
            &changes,
            &raw.variables,
            &raw.configuration,
            &raw.output_changes,
        );
        Ok(Plan {
            path: path.to_string(),
            format_version,
            terraform_version: raw.terraform_version.unwrap_or_default(),
            sources: SourceMap::from_configuration(&raw.configuration),
            changes,
            redactor,
        })
    }

    /// The change for an address (without deposed key), if the plan has one.
    pub fn change(&self, address: &str) -> Option<&ResourceChange> {
        let i = self
            .changes
            .partition_point(|c| c.address.as_str() < address);
        self.changes.get(i).filter(|c| c.address == address)
    }
}

#[cfg(test)]
mod tests;
