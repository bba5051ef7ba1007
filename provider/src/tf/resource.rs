//! What a provider, a resource and a data source implement. `M` is the provider's "meta": what
//! `Provider::configure` builds from the provider block and every call receives.
//!
//! The framework (see [`super::server`]) does the protocol work around these calls: decoding and
//! encoding values under the schema, running schema validators and the generic plan rules,
//! keeping write-only attributes out of every returned state, passing private bytes through, and
//! racing every call against Terraform's `Stop`.

use async_trait::async_trait;

use super::diag::Diagnostics;
use super::plan::PlanContext;
use super::schema::Schema;
use super::value::Value;

/// The provider itself: its configuration block and what it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Meta: Send + Sync + 'static;

    fn schema(&self) -> Schema;

    /// Checks the provider configuration (which may hold unknowns) beyond what the schema says.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds the meta from the provider configuration. During plan the configuration may hold
    /// unknowns (values from resources not created yet); the meta must then say "not known yet"
    /// and resources plan what they can.
    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<Self::Meta, Diagnostics>;

    fn resources(&self) -> Vec<std::sync::Arc<dyn Resource<Self::Meta>>>;

    fn data_sources(&self) -> Vec<std::sync::Arc<dyn DataSource<Self::Meta>>>;
}

/// What `create`/`update`/`delete` receive.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// The state before the change; null on create.
    pub prior: Value,
    /// The planned state, now wholly known except for values only apply can know; null on delete.
    pub planned: Value,
    /// The configuration: the one place write-only attributes have their values. Null on delete.
    pub config: Value,
    /// The private bytes planned (or stored, on delete).
    pub private: Vec<u8>,
}

/// What `create`/`update` return.
#[derive(Debug, Clone)]
pub struct ApplyResult {
    /// The new state: every planned known value unchanged, no unknowns. When the change failed
    /// half-way, the state of what exists (or null when nothing does).
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

impl ApplyResult {
    pub fn ok(state: Value) -> ApplyResult {
        ApplyResult {
            state,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        }
    }

    /// Nothing was changed or created.
    pub fn failed(diagnostics: impl Into<Diagnostics>) -> ApplyResult {
        ApplyResult {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: diagnostics.into(),
        }
    }

    /// The change went part of the way: `state` is what exists now.
    pub fn partial(state: Value, diagnostics: impl Into<Diagnostics>) -> ApplyResult {
        ApplyResult {
            state,
            private: Vec::new(),
            diagnostics: diagnostics.into(),
        }
    }

    pub fn with_private(mut self, private: Vec<u8>) -> ApplyResult {
        self.private = private;
        self
    }
}

/// A managed resource type, e.g. `dbre_role`.
#[async_trait]
pub trait Resource<M>: Send + Sync {
    /// The type name in configuration, e.g. `"dbre_role"`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration (which may hold unknowns) beyond what the schema's validators say.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the object `state` describes. `Ok(None)`: it is gone, Terraform will plan to create
    /// it. The returned state must be wholly known; keep values the server cannot tell (secrets)
    /// from `state`.
    async fn read(&self, meta: &M, state: &Value) -> Result<Option<Value>, Diagnostics>;

    /// Adjusts the plan after the generic rules ran (see [`super::plan`]).
    async fn plan(&self, _meta: &M, _plan: &mut PlanContext) -> Diagnostics {
        Diagnostics::new()
    }

    async fn create(&self, meta: &M, request: ApplyRequest) -> ApplyResult;

    async fn update(&self, meta: &M, request: ApplyRequest) -> ApplyResult;

    /// Deletes the object `request.prior` describes. An error leaves it in state.
    async fn delete(&self, meta: &M, request: ApplyRequest) -> Diagnostics;

    /// Builds a state from an import id; attributes left out are null. Terraform then calls
    /// `read` on it, so it only needs what `read` needs.
    async fn import(&self, _meta: &M, _id: &str) -> Result<Value, Diagnostics> {
        Err(super::diag::Diagnostic::error(
            "Import not supported",
            format!("{} cannot be imported.", self.type_name()),
        )
        .into())
    }

    /// Turns stored state JSON written under schema `version` into JSON for the current schema.
    /// The default keeps it as it is; attributes added since then read as null.
    fn upgrade_state(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
}

/// A data source type, e.g. `dbre_roles`.
#[async_trait]
pub trait DataSource<M>: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads with a wholly known configuration; attributes left out of the result are null.
    async fn read(&self, meta: &M, config: &Value) -> Result<Value, Diagnostics>;
}
