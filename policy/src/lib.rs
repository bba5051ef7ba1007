//! dbre policy check.

pub mod azure_policy;
