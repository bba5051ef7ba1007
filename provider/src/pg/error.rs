//! Errors of the PostgreSQL layer. All of them are plain text (and `Clone`, so a failed connect
//! can be remembered and handed to every caller that asks again). None of them ever carries a
//! password or the text of a statement that held one.

use std::fmt;

/// SQLSTATE codes the layer looks at.
pub mod sqlstate {
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const DEADLOCK_DETECTED: &str = "40P01";
    pub const INTERNAL_ERROR: &str = "XX000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgError {
    /// Could not open a connection (network, TLS, authentication, unknown database, timeout).
    #[error(
        "could not connect to PostgreSQL at {host}:{port} as user \"{user}\" to database \"{database}\": {message}"
    )]
    Connect {
        host: String,
        port: u16,
        user: String,
        database: String,
        message: String,
    },
    /// A statement failed. `context` says what we were doing (never the statement text).
    #[error("{context}: {message}")]
    Query {
        context: String,
        /// SQLSTATE when the server sent one.
        code: Option<String>,
        message: String,
    },
    /// A role cannot be dropped: it still owns objects or holds privileges.
    #[error("{}", RoleDependentsMessage(.role, .dependents))]
    RoleHasDependents {
        role: String,
        dependents: Vec<super::dependents::DatabaseDependents>,
    },
    /// Input the layer refuses before it reaches the server.
    #[error("{0}")]
    Invalid(String),
}

impl PgError {
    pub fn invalid(message: impl Into<String>) -> Self {
        PgError::Invalid(message.into())
    }

    /// Wraps a driver error from a statement. `context` must not contain secrets.
    pub fn query(context: impl Into<String>, err: &tokio_postgres::Error) -> Self {
        PgError::Query {
            context: context.into(),
            code: err.code().map(|c| c.code().to_string()),
            message: describe_driver_error(err),
        }
    }

    /// The SQLSTATE of a failed statement, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            PgError::Query { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether running the same work again may succeed: serialization failures, deadlocks and
    /// the catalog's `tuple concurrently updated` (concurrent GRANT/REVOKE on one object).
    pub fn is_retryable(&self) -> bool {
        match self {
            PgError::Query { code, message, .. } => match code.as_deref() {
                Some(sqlstate::SERIALIZATION_FAILURE) | Some(sqlstate::DEADLOCK_DETECTED) => true,
                Some(sqlstate::INTERNAL_ERROR) => message.contains("tuple concurrently updated"),
                _ => false,
            },
            _ => false,
        }
    }
}

/// The server's error with its detail and hint, or the driver's own message (I/O, TLS, …).
pub(crate) fn describe_driver_error(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            s.push_str("; detail: ");
            s.push_str(detail);
        }
        if let Some(hint) = db.hint() {
            s.push_str("; hint: ");
            s.push_str(hint);
        }
        return s;
    }
    // The driver's Display is terse ("error performing TLS handshake"); the source says why.
    let mut s = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}

struct RoleDependentsMessage<'a>(&'a String, &'a Vec<super::dependents::DatabaseDependents>);

impl fmt::Display for RoleDependentsMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "role \"{}\" cannot be dropped because it still owns objects or holds privileges \
             (set a role to reassign them to, or remove them first):",
            self.0
        )?;
        for db in self.1 {
            write!(f, "\n  {}: ", db.location())?;
            for (i, obj) in db.objects.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{obj}")?;
            }
        }
        Ok(())
    }
}
