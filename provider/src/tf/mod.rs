//! Our small Terraform framework, modelled on terraform-plugin-framework: cty values and their
//! msgpack/JSON encodings, schemas with declarative plan rules and validators, diagnostics with
//! attribute paths, and the tfplugin5 `Provider` service that runs resources declared with them.
//!
//! A resource implements [`Resource`]: it declares a [`Schema`] and reads, plans, creates,
//! updates, deletes and imports [`Value`]s of that schema. Everything protocol-shaped
//! (encodings, unknowns, write-only attributes, private bytes, `Stop`) is handled here.

pub mod diag;
pub mod json;
pub mod msgpack;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod server;
pub mod value;

#[cfg(test)]
mod proptests;

pub use diag::{AttrPath, Diagnostic, Diagnostics, Severity};
pub use plan::PlanContext;
pub use resource::{ApplyRequest, ApplyResult, DataSource, Provider, Resource};
pub use schema::{validators, Attribute, Block, Nesting, Schema};
pub use server::ProviderService;
pub use value::{Type, Value};
