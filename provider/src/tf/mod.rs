//! Our small Terraform framework, modelled on terraform-plugin-framework: cty values and their
//! msgpack/JSON encodings, schemas with declarative plan rules and validators, diagnostics with
//! attribute paths, and the tfplugin5 `Provider` service that runs resources declared with them.
//!
//! A resource implements [`Resource`]: it declares a [`Schema`] and reads, plans, creates,
//! updates, deletes and imports [`Value`]s of that schema. Everything protocol-shaped
//! (encodings, unknowns, write-only attributes, private bytes, `Stop`) is handled here.
//!
//! A resource, in short (`M` is the provider's meta, e.g. `resources::Ctx`):
//!
//! ```no_run
//! use dbre_provider::tf::{
//!     validators, ApplyRequest, ApplyResult, Attribute, Block, Diagnostics, PlanContext,
//!     Resource, Schema, Value,
//! };
//!
//! struct Widget;
//!
//! #[async_trait::async_trait]
//! impl Resource<()> for Widget {
//!     fn type_name(&self) -> &'static str {
//!         "dbre_widget"
//!     }
//!
//!     fn schema(&self) -> Schema {
//!         Schema::new(
//!             0,
//!             Block::new()
//!                 .attribute(Attribute::string("name").required().validate(validators::not_empty))
//!                 .attribute(Attribute::bool("enabled").default(true))
//!                 .attribute(Attribute::string("zone").default("a").requires_replace())
//!                 .attribute(Attribute::string("token_wo").optional().sensitive().write_only())
//!                 .attribute(Attribute::number("oid").computed().use_state_for_unknown()),
//!         )
//!     }
//!
//!     async fn read(&self, _: &(), state: &Value) -> Result<Option<Value>, Diagnostics> {
//!         // Look the object up by `state.attr("oid")`; Ok(None) when it is gone.
//!         Ok(Some(state.clone()))
//!     }
//!
//!     async fn plan(&self, _: &(), plan: &mut PlanContext) -> Diagnostics {
//!         // Runs after defaults, unknown computed values, diff suppression, requires_replace.
//!         if !plan.is_create() && plan.changed("name") {
//!             plan.set_unknown("oid");
//!         }
//!         Diagnostics::new()
//!     }
//!
//!     async fn create(&self, _: &(), req: ApplyRequest) -> ApplyResult {
//!         let _token = req.config.attr("token_wo").as_str(); // write-only: only in config
//!         let mut state = req.planned;
//!         state.set_attr("oid", Value::from(16384));
//!         ApplyResult::ok(state) // the framework nulls write-only attributes
//!     }
//!
//!     async fn update(&self, _: &(), req: ApplyRequest) -> ApplyResult {
//!         ApplyResult::ok(req.planned)
//!     }
//!
//!     async fn delete(&self, _: &(), _req: ApplyRequest) -> Diagnostics {
//!         Diagnostics::new()
//!     }
//!
//!     async fn import(&self, _: &(), id: &str) -> Result<Value, Diagnostics> {
//!         Ok(Value::object([("name", Value::from(id))])) // the rest null; read fills it
//!     }
//! }
//! ```

pub mod diag;
pub mod json;
pub mod msgpack;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod server;
pub mod value;
mod wire;

#[cfg(test)]
mod proptests;

pub use diag::{AttrPath, Diagnostic, Diagnostics, Severity};
pub use plan::PlanContext;
pub use resource::{ApplyRequest, ApplyResult, DataSource, Provider, Resource};
pub use schema::{validators, Attribute, Block, Nesting, Schema};
pub use server::ProviderService;
pub use value::{Type, Value};
