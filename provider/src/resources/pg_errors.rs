//! Turning [`PgError`]s into diagnostics a person can act on. The errors never hold a password
//! or statement text (the pg layer guarantees that), so their text is safe to show.

use crate::pg::error::sqlstate;
use crate::pg::PgError;
use crate::tf::{AttrPath, Diagnostic, Diagnostics};

/// [`diagnostic`] for an error about no one attribute, as the `Diagnostics` resources return.
pub fn pg_diag(err: PgError) -> Diagnostics {
    diagnostic(&err, None).into()
}

/// A diagnostic for `err`, at `path` when the error is about one attribute's value.
pub fn diagnostic(err: &PgError, path: Option<AttrPath>) -> Diagnostic {
    let (summary, hint) = match err {
        PgError::Connect { .. } => ("Cannot connect to PostgreSQL", ""),
        PgError::RoleHasDependents { .. } => (
            "Role still owns objects or holds privileges",
            "\n\nSet on_delete_reassign_to to a role that should take them over (the provider \
             then runs REASSIGN OWNED and DROP OWNED in every database listed, and drops the \
             role), apply, and destroy again — or remove them yourself first.",
        ),
        PgError::Invalid(_) => ("Invalid value", ""),
        PgError::Query { code, .. } => match code.as_deref() {
            Some(sqlstate::INSUFFICIENT_PRIVILEGE) => (
                "Permission denied",
                "\n\nThe role the provider connects as lacks a privilege this change needs. A \
                 CREATEROLE admin (as managed services hand out) cannot set superuser, \
                 replication or bypass_row_level_security, nor change a superuser role.",
            ),
            Some(sqlstate::DUPLICATE_OBJECT) => (
                "Already exists",
                "\n\nIt was created outside this configuration. Import it to manage it here \
                 (an import block with its name as the id), or choose another name.",
            ),
            _ => ("PostgreSQL error", ""),
        },
    };
    let d = Diagnostic::error(summary, format!("{err}{hint}"));
    match path {
        Some(path) => d.at(path),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_keep_the_target_and_the_reason() {
        let err = PgError::Connect {
            host: "db.internal".into(),
            port: 6432,
            user: "dbadmin".into(),
            database: "postgres".into(),
            message: "password authentication failed for user \"dbadmin\"".into(),
        };
        let d = diagnostic(&err, None);
        assert_eq!(d.summary, "Cannot connect to PostgreSQL");
        for part in [
            "db.internal:6432",
            "dbadmin",
            "password authentication failed",
        ] {
            assert!(d.detail.contains(part), "{}", d.detail);
        }
    }

    #[test]
    fn duplicates_suggest_import() {
        let err = PgError::Query {
            context: "creating role \"app\"".into(),
            code: Some(sqlstate::DUPLICATE_OBJECT.into()),
            message: "ERROR: role \"app\" already exists".into(),
        };
        let d = diagnostic(&err, Some(AttrPath::attr("name")));
        assert!(d.detail.contains("import"), "{}", d.detail);
        assert_eq!(d.path, Some(AttrPath::attr("name")));
    }
}
