//! `dbre policy`: guardrails on Terraform plans.
//!
//! Layers, each knowing only the ones below it:
//! - [`plan`]: the `terraform show -json` document, parsed once per plan.
//! - [`rego`] (regorus, conftest conventions) and [`azure_policy`] (Azure Policy JSON rules,
//!   reached through [`azure_bridge`]) turn a plan into [`finding::Finding`]s.
//! - [`waiver`] and [`check`] combine them into a [`check::Report`].
//! - [`report`] renders a report; [`cli`] is the command line.

pub mod azure_bridge;
pub mod azure_policy;
pub mod builtin;
pub mod check;
pub mod cli;
pub mod error;
pub mod finding;
pub mod plan;
pub mod rego;
pub mod report;
pub mod util;
pub mod waiver;
