//! Rego policies through regorus, with conftest's conventions: rule families, namespaces,
//! `exception` rules, `data` documents; plus dbre's built-in guardrails and `data.dbre.plan`.
//!
//! Policies are parsed once into a base engine; each plan gets a clone of it (regorus's
//! `Engine` is `Clone`), with the plan JSON unchanged as `input` and the precomputed
//! `data.dbre.plan`. All rules of interest are evaluated in ONE query per plan through a
//! generated collector module, so rules shared between them are computed once.

mod data;
mod diagnostic;
mod eval;
mod load;
mod results;
mod rules;
mod scan;
mod testing;
#[cfg(test)]
mod tests;

pub use data::load_data_documents;
pub use diagnostic::format_regorus_error;
pub use load::{LoadOptions, RegoPolicies, RegoSource};
pub use rules::{family, Family};
pub use scan::{missing_builtins, MissingBuiltin};
pub use testing::{run_tests, TestOutcome, TestResult};

/// Metadata every built-in guardrail declares (`metadata := {...}` in its package).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct BuiltinRule {
    pub id: String,
    pub severity: crate::finding::Severity,
    pub title: String,
    pub description: String,
    pub resource_types: Vec<String>,
    /// The Rego package, e.g. `dbre.builtin.no_superuser`.
    pub package: String,
    /// The embedded file, e.g. `builtin:pg/no_superuser.rego`.
    pub file: String,
}
