use std::fmt;

/// Why a file cannot be checked as a plan. Every variant is "unusable input" (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    NotAPlan {
        path: String,
        why: String,
    },
    UnsupportedFormat {
        path: String,
        version: String,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Json {
                path,
                line,
                column,
                message,
            } => write!(f, "{path}:{line}:{column}: not valid JSON: {message}"),
            PlanError::NotAPlan { path, why } => {
                write!(f, "{path}: not a Terraform plan: {why}")
            }
            PlanError::UnsupportedFormat { path, version } => write!(
                f,
                "{path}: unsupported plan format_version \"{version}\": dbre reads 0.x \
                 (Terraform 0.12-0.15) and 1.x (Terraform 1.0 and later)"
            ),
        }
    }
}

impl std::error::Error for PlanError {}
