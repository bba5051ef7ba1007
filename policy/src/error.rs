//! Unusable input: everything that makes `dbre policy` exit with code 2.

use crate::plan::PlanError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A policy, data or waivers file that does not load; the message starts with
    /// `file:line:col` when the position is known.
    #[error("{0}")]
    Policy(String),
    /// A policy that fails while being evaluated against a plan.
    #[error("{plan}: evaluating policies failed: {message}")]
    Eval { plan: String, message: String },
    /// A command line that asks for something impossible.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
