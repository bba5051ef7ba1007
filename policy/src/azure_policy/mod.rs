//! Azure-Policy-style JSON rules evaluated against the resource changes of a Terraform plan.
//!
//! # API
//! ```no_run
//! use dbre_policy::azure_policy::{load_all, Action, ResourceInput, Tri, Effect};
//! # let (path, text) = (std::path::Path::new("p.json"), "");
//! let defs = load_all([(path, text)])?;          // or load(path, text) for one file
//! # let (after, after_unknown, before) = (serde_json::Value::Null, serde_json::json!({}), serde_json::Value::Null);
//! let r = ResourceInput {
//!     address: "azurerm_postgresql_flexible_server.main",
//!     type_: "azurerm_postgresql_flexible_server",
//!     name: "main",
//!     action: Action::Create,
//!     after: &after, after_unknown: &after_unknown, before: &before,
//! };
//! for def in &defs {
//!     for o in def.evaluate(&r) {
//!         if o.is_reportable() { /* o.effect, o.result, o.message, o.definition, ... */ }
//!     }
//! }
//! # Ok::<(), dbre_policy::azure_policy::LoadError>(())
//! ```
//! * [`load`] / [`load_all`] read definitions — `{"properties": {"policyRule", "parameters",
//!   ...}}` (optionally with `name`/`id` beside `properties`), or the bare
//!   `{"policyRule": ...}` — and initiatives (`policyDefinitions` entries referencing a
//!   definition of the same loaded set by `name`, by `id`, or by a `policyDefinitionId` whose
//!   last `/` segment is the name; parameter values `{"p": {"value": ...}}` may use the
//!   initiative's own `[parameters('x')]`). A file holds one object or an array.
//!   The returned list holds every initiative plus every definition that no initiative
//!   references (a referenced definition runs through its initiative, with its values, only).
//! * Errors are [`LoadError`] with file, line and column: JSON syntax (from `serde_json`),
//!   unknown keys/operators/functions, bad field paths (Azure aliases such as
//!   `Microsoft.Sql/servers/x` are rejected with a hint), undeclared `parameters('x')`,
//!   values outside `allowedValues` or of the wrong type, parameters without value or
//!   default, unknown effects, initiative references that match no or several definitions.
//! * [`AzureDefinition::evaluate`] gives one [`AzureOutcome`] per definition (per member for
//!   an initiative). Report those with [`AzureOutcome::is_reportable`]:
//!   `Effect::Deny` → failure, `Effect::Audit` → warning, `Tri::Indeterminate` → warning
//!   naming `fields`, `Effect::Unsupported(_)` with a Match or Indeterminate result →
//!   "unsupported" (never a silent pass), `Effect::DenyAction` Match → failure.
//! * [`AzureDefinition::with_parameters`] rebinds a definition (or initiative) with
//!   assignment-style parameter values, checking types and `allowedValues`.
//! * [`looks_like_policy`] tells Azure Policy JSON from other JSON (e.g. data documents).
//!
//! # Semantics against a plan
//! * `field`: `type` is the Terraform resource type; `name` is the resource's own `name`
//!   attribute when it has one (for azurerm and dbre resources: the Azure/database name, as
//!   in Azure), else [`ResourceInput::name`]; `fullName` is the address; every other path walks the planned
//!   attributes: `a.b`, `a[*].b` (every list member; none → vacuously true), `a[0]`,
//!   `tags['k']`, `tags.k`, `tags[k]`. Keys match case-insensitively. A `.key` step on a
//!   list of exactly one element walks into it, so `identity.type` reads Terraform's
//!   single nested block `identity[0].type`.
//! * Operators follow Azure: string comparisons are case-insensitive except `match`/
//!   `notMatch`; `"true"` equals `true`; numbers equal numeric strings. A missing/null
//!   attribute equals nothing, is in nothing, contains nothing and is neither less nor
//!   greater than anything (so `notEquals` on it is true, as in Azure).
//! * Unknown until apply (`after_unknown` true at the path or an ancestor, or anywhere
//!   inside the compared value) is neither true nor false: Kleene logic through
//!   `allOf`/`anyOf`/`not`, template functions (`and`/`or`/`if`/`coalesce` short-circuit on
//!   known parts), and `count` (the count becomes a range; decided only if every count in
//!   the range gives the same answer). `exists` on an unknown attribute is unknown; on a
//!   block that is known to be present but has unknown parts it is true. A rule decided
//!   only by unknowns yields `Tri::Indeterminate { fields }` — never a false deny, never a
//!   silent pass.
//! * Effects: `deny`/`audit` judge the planned `after` of creates, updates, replaces, reads
//!   and no-ops (a pure delete or forget leaves nothing to judge); `denyAction` judges `before` and
//!   applies only to `delete` and `replace`; `disabled` never matches; `modify`, `append`,
//!   `auditIfNotExists`, `deployIfNotExists` and `manual` are `Effect::Unsupported`.
//! * An evaluation error (e.g. `int('abc')`, ordering a string against a boolean) yields
//!   `Tri::Indeterminate { fields: [] }` with the error in the message.
//! * Messages name definitions, effects and attribute paths, never attribute values, so a
//!   sensitive value in `after` cannot leak through a finding or an evaluation error.
//!
//! # Why not regorus's `azure_policy` feature
//! Probed with regorus 0.14.1 (parse → compile to its RVM → execute `main` on
//! `{"resource", "parameters"}`), it did not hold up for plans, so this module evaluates the
//! rules itself. Observed in the probe:
//! 1. It is two-valued. Its input is a plain resource document with no notion of "unknown
//!    until apply"; Terraform leaves an unknown attribute out of `after`, so
//!    `{"field": "public_network_access_enabled", "notEquals": false}` returned
//!    `{"effect": "Deny"}` for a value Terraform has not computed yet — the false positive
//!    plan-scanning users complain about. Three-valued results cannot be bolted on outside
//!    its VM, since a rule combines known and unknown parts through `allOf`/`anyOf`/`not`,
//!    `count` and template functions.
//! 2. Field lookups are lowercased, so the host must lowercase every key of the resource
//!    first: with the tag key as written (`{"tags": {"CostCenter": "x"}}`),
//!    `{"field": "tags['CostCenter']", "exists": false}` returned `audit` — a false positive.
//! 3. A `defaultValue` outside `allowedValues` (`"Bogus"` for an effect) was accepted and
//!    evaluated to `{"effect": "Bogus"}`; no load-time parameter checks.
//! 4. No initiatives: a policy set document fails with `missing required key "policyRule"`.
//!
//! (Its parse errors do carry line and column; we match that.) Because nothing else in the
//! crate needs it, the `azure_policy` feature is not enabled in `policy/Cargo.toml`; `arc`
//! stays enabled explicitly (it was implied by `azure_policy`) so `regorus::Engine` remains
//! `Send` for checking plans in parallel.

mod condition;
mod eval;
mod field;
mod functions;
mod judge;
mod load;
mod set;
mod span;
mod template;
mod value;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use load::{Initiative, Policy};
use span::SpanIndex;

/// A definition or initiative that could not be loaded, with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{col}: {message}", file.display())]
pub struct LoadError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// What Terraform plans to do with the resource: the plan model's one folding of
/// `change.actions`, so that both engines judge a change the same way.
pub use crate::plan::Action;

/// One resource change to judge. `after_unknown` is the plan's `change.after_unknown`
/// (`{}` or `Null` when fully known); `before` is `Null` for creates.
#[derive(Debug, Clone, Copy)]
pub struct ResourceInput<'a> {
    pub address: &'a str,
    pub type_: &'a str,
    pub name: &'a str,
    pub action: Action,
    pub after: &'a Value,
    pub after_unknown: &'a Value,
    pub before: &'a Value,
}

/// The effect a definition has once its parameters are bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Effect {
    Deny,
    Audit,
    Disabled,
    DenyAction,
    /// An Azure effect that cannot be enforced on a plan (`modify`, `append`,
    /// `auditIfNotExists`, `deployIfNotExists`, `manual`), by its canonical name.
    Unsupported(String),
}

impl Effect {
    /// Parses an effect name (case-insensitive). Unknown names are an error.
    pub fn parse(s: &str) -> Result<Effect, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "deny" => Effect::Deny,
            "audit" => Effect::Audit,
            "disabled" => Effect::Disabled,
            "denyaction" => Effect::DenyAction,
            "modify" => Effect::Unsupported("modify".into()),
            "append" => Effect::Unsupported("append".into()),
            "auditifnotexists" => Effect::Unsupported("auditIfNotExists".into()),
            "deployifnotexists" => Effect::Unsupported("deployIfNotExists".into()),
            "manual" => Effect::Unsupported("manual".into()),
            _ => {
                return Err(format!(
                "unknown effect '{s}' (expected deny, audit, disabled, denyAction, modify, append, \
                 auditIfNotExists, deployIfNotExists or manual)"
            ))
            }
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Effect::Deny => "deny",
            Effect::Audit => "audit",
            Effect::Disabled => "disabled",
            Effect::DenyAction => "denyAction",
            Effect::Unsupported(s) => s,
        }
    }
}

/// The result of a definition's `if` block for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri {
    /// The condition holds: the effect applies.
    Match,
    /// The condition does not hold, or the effect does not apply to this action.
    NoMatch,
    /// Decided only by values unknown until apply (`fields`: attribute paths such as
    /// `public_network_access_enabled` or `backup.0.geo_redundant_backup_enabled`), or an
    /// evaluation error (`fields` empty; see the message).
    Indeterminate { fields: Vec<String> },
}

/// One definition's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureOutcome {
    /// Name of the definition (the rule id).
    pub definition: String,
    pub display_name: String,
    /// The initiative it ran in, and its `policyDefinitionReferenceId`, if any.
    pub initiative: Option<String>,
    pub reference_id: Option<String>,
    pub effect: Effect,
    pub result: Tri,
    /// Human-readable; never contains attribute values.
    pub message: String,
    /// `metadata.severity` of the definition, when given.
    pub severity: Option<String>,
    /// Where the definition is.
    pub file: PathBuf,
    pub line: usize,
}

impl AzureOutcome {
    /// True if the outcome is worth a finding: a match or indeterminate result of an
    /// effect other than `disabled`.
    pub fn is_reportable(&self) -> bool {
        self.effect != Effect::Disabled && self.result != Tri::NoMatch
    }
}

/// A definition bound to its parameter values.
#[derive(Debug, Clone)]
struct Member {
    policy: Arc<Policy>,
    values: Map<String, Value>,
    effect: Effect,
    reference_id: Option<String>,
}

/// A loaded definition or initiative, ready to evaluate.
#[derive(Debug, Clone)]
pub struct AzureDefinition {
    id: String,
    display_name: String,
    description: String,
    metadata: Value,
    file: PathBuf,
    line: usize,
    initiative: Option<Arc<Initiative>>,
    members: Vec<Member>,
}

/// Loads one file (initiatives may reference definitions of the same file only).
pub fn load(path: &Path, text: &str) -> Result<Vec<AzureDefinition>, LoadError> {
    load_all([(path, text)])
}

/// Loads a set of files together, so initiatives may reference definitions in any of them.
pub fn load_all<'a, I>(files: I) -> Result<Vec<AzureDefinition>, LoadError>
where
    I: IntoIterator<Item = (&'a Path, &'a str)>,
{
    set::load_set(files)
}

impl AzureDefinition {
    /// The definition's (or initiative's) name: `name` of the document, else the file stem
    /// (`stem[i]` for the i-th item of an array file).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// `properties.metadata` as written (e.g. category, version, severity).
    pub fn metadata(&self) -> &Value {
        &self.metadata
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn line(&self) -> usize {
        self.line
    }

    pub fn is_initiative(&self) -> bool {
        self.initiative.is_some()
    }

    /// Effective effects of the member definitions (one for a plain definition).
    pub fn effects(&self) -> Vec<Effect> {
        self.members.iter().map(|m| m.effect.clone()).collect()
    }

    /// Rebinds with assignment-style parameter values (`{"effect": "Audit"}`), checked
    /// against the declared types and `allowedValues`. For an initiative these are the
    /// initiative's parameters.
    pub fn with_parameters(&self, values: &Map<String, Value>) -> Result<AzureDefinition, String> {
        let spans = SpanIndex::default();
        let given: Vec<(String, Value, String)> = values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), String::new()))
            .collect();
        let strip = |e: Box<LoadError>| e.message;
        match &self.initiative {
            Some(init) => {
                let policies: Vec<Arc<Policy>> =
                    self.members.iter().map(|m| m.policy.clone()).collect();
                set::bind_initiative(init, &spans, &policies, &given).map_err(strip)
            }
            None => set::bind_definition(&self.members[0].policy, &spans, &given).map_err(strip),
        }
    }
}

/// True if this JSON document looks like Azure Policy (a definition, an initiative, or an
/// array of them), as opposed to, say, a data document.
pub fn looks_like_policy(doc: &Value) -> bool {
    load::looks_like_policy(doc)
}
