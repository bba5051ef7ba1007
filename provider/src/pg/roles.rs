//! Roles: read (by name, by oid, by pattern), create, alter what changed, rename, password,
//! comment. Dropping lives in [`super::dependents`] because it spans databases.
//!
//! Refreshes read every role at once into a [`RoleCatalog`] shared through the server's snapshot
//! ([`Server::role_catalog`]); every role write here invalidates it once it committed.
//!
//! Reads use `pg_roles` and `pg_shdescription` only: a non-superuser admin cannot read
//! `pg_authid`, and we never want the password hash anyway. They go out as typed, unnamed
//! statements (`query_typed`): one round trip each instead of prepare + execute.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

use super::error::PgError;
use super::quote::{quote_ident, quote_literal};
use super::server::Server;
use super::tx::retry;

/// The longest role name the server keeps (NAMEDATALEN - 1 bytes); longer names would be
/// silently truncated and drift forever.
pub const MAX_NAME_BYTES: usize = 63;

/// What a role should look like. `Default` is what `CREATE ROLE name` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub name: String,
    pub login: bool,
    pub superuser: bool,
    pub create_database: bool,
    pub create_role: bool,
    pub inherit: bool,
    pub replication: bool,
    pub bypass_row_level_security: bool,
    /// -1 = no limit.
    pub connection_limit: i32,
    /// `None` = never expires. Otherwise any timestamp PostgreSQL accepts; read back as the
    /// server prints it in UTC (e.g. `2030-01-01 00:00:00+00`).
    pub valid_until: Option<String>,
    pub comment: Option<String>,
}

impl Default for RoleSpec {
    fn default() -> Self {
        RoleSpec {
            name: String::new(),
            login: false,
            superuser: false,
            create_database: false,
            create_role: false,
            inherit: true,
            replication: false,
            bypass_row_level_security: false,
            connection_limit: -1,
            valid_until: None,
            comment: None,
        }
    }
}

/// A role as the server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleState {
    pub oid: u32,
    /// Everything but the oid, in the shape a spec has. `valid_until` is `None` both for NULL and
    /// for 'infinity' (the two mean the same); otherwise the server's text form in UTC.
    pub spec: RoleSpec,
}

/// How [`list_roles`] filters names. The pattern is a bind parameter, never SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    /// Every role.
    All,
    /// SQL `LIKE` (`%` and `_` wildcards, `\` escapes).
    Like(String),
    /// POSIX regular expression (`~`).
    Regex(String),
}

/// Rejects names the server would refuse or silently change.
pub fn validate_role_name(name: &str) -> Result<(), PgError> {
    if name.is_empty() {
        return Err(PgError::invalid("a role name must not be empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(PgError::invalid(format!(
            "role name {name:?} is {} bytes long; PostgreSQL keeps at most {MAX_NAME_BYTES} \
             bytes of a role name and would silently cut the rest",
            name.len()
        )));
    }
    if name.contains('\0') {
        return Err(PgError::invalid(
            "a role name must not contain a NUL character",
        ));
    }
    Ok(())
}

const SELECT_ROLES: &str = "SELECT r.oid, r.rolname::text, r.rolcanlogin, r.rolsuper, \
        r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolreplication, r.rolbypassrls, \
        r.rolconnlimit, \
        CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL \
             ELSE r.rolvaliduntil::text END, \
        d.description \
    FROM pg_catalog.pg_roles r \
    LEFT JOIN pg_catalog.pg_shdescription d \
        ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_authid'::pg_catalog.regclass";

fn role_from_row(row: &Row) -> RoleState {
    RoleState {
        oid: row.get(0),
        spec: RoleSpec {
            name: row.get(1),
            login: row.get(2),
            superuser: row.get(3),
            create_database: row.get(4),
            create_role: row.get(5),
            inherit: row.get(6),
            replication: row.get(7),
            bypass_row_level_security: row.get(8),
            connection_limit: row.get(9),
            valid_until: row.get(10),
            comment: row.get(11),
        },
    }
}

/// Every role of the cluster, found by oid or by name: what one bulk read of `pg_roles` saw.
#[derive(Debug, Default)]
pub struct RoleCatalog {
    by_oid: HashMap<u32, RoleState>,
    oid_by_name: HashMap<String, u32>,
}

impl RoleCatalog {
    pub fn from_roles(roles: impl IntoIterator<Item = RoleState>) -> Self {
        let mut catalog = RoleCatalog::default();
        for role in roles {
            catalog.oid_by_name.insert(role.spec.name.clone(), role.oid);
            catalog.by_oid.insert(role.oid, role);
        }
        catalog
    }

    pub fn by_oid(&self, oid: u32) -> Option<&RoleState> {
        self.by_oid.get(&oid)
    }

    pub fn by_name(&self, name: &str) -> Option<&RoleState> {
        self.oid_by_name.get(name).and_then(|oid| self.by_oid(*oid))
    }

    pub fn len(&self) -> usize {
        self.by_oid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_oid.is_empty()
    }
}

/// Every role, in one query.
pub async fn read_role_catalog<C: GenericClient + Sync>(
    client: &C,
) -> Result<RoleCatalog, PgError> {
    let rows = client
        .query_typed(SELECT_ROLES, &[])
        .await
        .map_err(|e| PgError::query("reading all roles", &e))?;
    Ok(RoleCatalog::from_roles(rows.iter().map(role_from_row)))
}

/// The role called `name`, or `None` if there is none.
pub async fn read_role<C: GenericClient + Sync>(
    client: &C,
    name: &str,
) -> Result<Option<RoleState>, PgError> {
    let row = client
        .query_typed_opt(
            &format!("{SELECT_ROLES} WHERE r.rolname = $1"),
            &[(&name, Type::TEXT)],
        )
        .await
        .map_err(|e| PgError::query(format!("reading role \"{name}\""), &e))?;
    Ok(row.as_ref().map(role_from_row))
}

/// The roles called `names` that exist, in one query (for refreshing many roles at once),
/// ordered by name.
pub async fn read_roles<C: GenericClient + Sync>(
    client: &C,
    names: &[String],
) -> Result<Vec<RoleState>, PgError> {
    let rows = client
        .query_typed(
            &format!("{SELECT_ROLES} WHERE r.rolname = ANY($1) ORDER BY r.rolname"),
            &[(&names, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(|e| PgError::query(format!("reading {} roles", names.len()), &e))?;
    Ok(rows.iter().map(role_from_row).collect())
}

/// The role with `oid` (whatever it is called now), or `None`.
pub async fn read_role_by_oid<C: GenericClient + Sync>(
    client: &C,
    oid: u32,
) -> Result<Option<RoleState>, PgError> {
    let row = client
        .query_typed_opt(
            &format!("{SELECT_ROLES} WHERE r.oid = $1"),
            &[(&oid, Type::OID)],
        )
        .await
        .map_err(|e| PgError::query(format!("reading role with oid {oid}"), &e))?;
    Ok(row.as_ref().map(role_from_row))
}

/// Roles whose names match, ordered by name. Built-in `pg_*` roles are left out unless
/// `include_builtin`.
pub async fn list_roles<C: GenericClient + Sync>(
    client: &C,
    pattern: &NamePattern,
    include_builtin: bool,
) -> Result<Vec<RoleState>, PgError> {
    // $1 is the pattern (NULL = everything), $2 whether built-in roles are wanted.
    let (condition, value) = match pattern {
        NamePattern::All => ("true", None),
        NamePattern::Like(p) => ("r.rolname LIKE $1", Some(p.as_str())),
        NamePattern::Regex(p) => ("r.rolname ~ $1", Some(p.as_str())),
    };
    let rows = client
        .query_typed(
            &format!(
                "{SELECT_ROLES} WHERE ($2 OR r.rolname !~ '^pg_') AND ($1::text IS NULL OR {condition}) \
                 ORDER BY r.rolname"
            ),
            &[(&value, Type::TEXT), (&include_builtin, Type::BOOL)],
        )
        .await
        .map_err(|e| PgError::query("listing roles", &e))?;
    Ok(rows.iter().map(role_from_row).collect())
}

/// How the server would store and print `value` as a `valid_until` (UTC, ISO), `None` for
/// 'infinity' — so a plan can tell "2030-01-01" and "2030-01-01 00:00:00+00" are the same.
/// Errors with the server's message when the value is not a timestamp.
pub async fn normalize_valid_until<C: GenericClient + Sync>(
    client: &C,
    value: &str,
) -> Result<Option<String>, PgError> {
    let row = client
        .query_typed_one(
            "SELECT CASE WHEN t = 'infinity' THEN NULL ELSE t::text END \
             FROM (SELECT $1::timestamptz AS t) v",
            &[(&value, Type::TEXT)],
        )
        .await
        .map_err(|e| PgError::query(format!("valid_until {value:?} is not a timestamp"), &e))?;
    Ok(row.get(0))
}

impl Server {
    /// The role called `name` (read on the maintenance database).
    pub async fn read_role(&self, name: &str) -> Result<Option<RoleState>, PgError> {
        read_role(&*self.maintenance().await?, name).await
    }

    /// Every role, from this server's snapshot: one `pg_roles` query shared by all readers for a
    /// few seconds, and never one that began before this provider's last role write (see
    /// [`super::snapshot`]). For refreshes; writes read the live catalog.
    pub async fn role_catalog(&self) -> Result<Arc<RoleCatalog>, PgError> {
        self.role_cache()
            .get_or_load(&(), || async {
                read_role_catalog(&*self.maintenance().await?).await
            })
            .await
    }

    /// Called after every role write (committed or not: a failed statement may still have run):
    /// the next [`Server::role_catalog`] reads again, and so does every ACL and membership
    /// snapshot — they name roles (a rename), and dropping a role revokes what it held and
    /// every membership it had.
    pub(crate) fn roles_changed(&self) {
        self.role_cache().invalidate(&());
        self.acl_cache().invalidate_all();
        self.memberships_changed();
    }

    /// Creates the role (with its comment) in one transaction and reads it back.
    /// The password, if any, is hashed here (SCRAM-SHA-256) so the clear text never reaches
    /// the server, its logs or `pg_stat_statements`.
    pub async fn create_role(
        &self,
        spec: &RoleSpec,
        password: Option<&str>,
    ) -> Result<RoleState, PgError> {
        validate_role_name(&spec.name)?;
        let mut sql = format!("CREATE ROLE {}", quote_ident(&spec.name)?);
        let options = attribute_options(&RoleSpec::default(), spec)?;
        if !options.is_empty() || password.is_some() {
            sql.push_str(" WITH");
            for option in options {
                sql.push(' ');
                sql.push_str(&option);
            }
            if let Some(password) = password {
                sql.push_str(" PASSWORD ");
                sql.push_str(&quote_literal(&password_verifier(password))?);
            }
        }
        let mut statements = vec![sql];
        if let Some(comment) = &spec.comment {
            statements.push(comment_sql(&spec.name, Some(comment))?);
        }
        let context = format!("creating role \"{}\"", spec.name);
        self.write_and_read(&context, &statements, &spec.name).await
    }

    /// Brings the role named `current.name` to `desired`: renames it if the name differs
    /// (`ALTER ROLE … RENAME TO`, in place), then alters only the attributes that changed (a
    /// non-superuser admin may not even mention SUPERUSER, REPLICATION or BYPASSRLS), then the
    /// comment — in one transaction. Returns the role as it is afterwards.
    pub async fn alter_role(
        &self,
        current: &RoleSpec,
        desired: &RoleSpec,
    ) -> Result<RoleState, PgError> {
        validate_role_name(&desired.name)?;
        let mut statements = Vec::new();
        if current.name != desired.name {
            statements.push(rename_sql(&current.name, &desired.name)?);
        }
        let options = attribute_options(current, desired)?;
        if !options.is_empty() {
            statements.push(format!(
                "ALTER ROLE {} WITH {}",
                quote_ident(&desired.name)?,
                options.join(" ")
            ));
        }
        if current.comment != desired.comment {
            statements.push(comment_sql(&desired.name, desired.comment.as_deref())?);
        }
        let context = format!("altering role \"{}\"", current.name);
        self.write_and_read(&context, &statements, &desired.name)
            .await
    }

    /// `ALTER ROLE old RENAME TO new`. PostgreSQL clears an MD5 password on rename (the hash
    /// is salted with the name); SCRAM passwords, which we always set, survive.
    pub async fn rename_role(&self, old: &str, new: &str) -> Result<(), PgError> {
        validate_role_name(new)?;
        let context = format!("renaming role \"{old}\" to \"{new}\"");
        let result = self
            .atomic(
                self.maintenance_database(),
                &context,
                &[rename_sql(old, new)?],
            )
            .await;
        self.roles_changed();
        result
    }

    /// Sets (or with `None` removes) the role's password. The clear text is hashed here and
    /// never appears in an error.
    pub async fn set_role_password(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> Result<(), PgError> {
        let value = match password {
            Some(p) => quote_literal(&password_verifier(p))?,
            None => "NULL".to_string(),
        };
        let sql = format!("ALTER ROLE {} WITH PASSWORD {value}", quote_ident(name)?);
        let context = format!("setting the password of role \"{name}\"");
        let result = self
            .atomic(self.maintenance_database(), &context, &[sql])
            .await;
        self.roles_changed();
        result
    }

    /// `COMMENT ON ROLE` (`None` removes the comment).
    pub async fn set_role_comment(&self, name: &str, comment: Option<&str>) -> Result<(), PgError> {
        let context = format!("commenting on role \"{name}\"");
        let result = self
            .atomic(
                self.maintenance_database(),
                &context,
                &[comment_sql(name, comment)?],
            )
            .await;
        self.roles_changed();
        result
    }

    /// Runs `statements` and reads role `name` back inside the same transaction, retried as a
    /// whole on a concurrent update.
    async fn write_and_read(
        &self,
        context: &str,
        statements: &[String],
        name: &str,
    ) -> Result<RoleState, PgError> {
        let result = retry(|| async {
            let tx = self
                .begin(self.maintenance_database())
                .await?
                .execute_all(context, statements)
                .await?;
            let state = match read_role(&*tx, name).await {
                Ok(state) => state,
                Err(e) => {
                    tx.rollback().await;
                    return Err(e);
                }
            };
            tx.commit().await?;
            state.ok_or_else(|| {
                PgError::invalid(format!("{context}: role \"{name}\" does not exist"))
            })
        })
        .await;
        self.roles_changed();
        result
    }
}

fn rename_sql(old: &str, new: &str) -> Result<String, PgError> {
    Ok(format!(
        "ALTER ROLE {} RENAME TO {}",
        quote_ident(old)?,
        quote_ident(new)?
    ))
}

fn comment_sql(name: &str, comment: Option<&str>) -> Result<String, PgError> {
    let value = match comment {
        Some(c) => quote_literal(c)?,
        None => "NULL".to_string(),
    };
    Ok(format!("COMMENT ON ROLE {} IS {value}", quote_ident(name)?))
}

/// The `CREATE/ALTER ROLE … WITH` options that turn `from` into `to` (name and comment aside).
fn attribute_options(from: &RoleSpec, to: &RoleSpec) -> Result<Vec<String>, PgError> {
    let mut out = Vec::new();
    let mut flag = |was: bool, is: bool, yes: &str, no: &str| {
        if was != is {
            out.push(if is { yes } else { no }.to_string());
        }
    };
    flag(from.login, to.login, "LOGIN", "NOLOGIN");
    flag(from.superuser, to.superuser, "SUPERUSER", "NOSUPERUSER");
    flag(
        from.create_database,
        to.create_database,
        "CREATEDB",
        "NOCREATEDB",
    );
    flag(
        from.create_role,
        to.create_role,
        "CREATEROLE",
        "NOCREATEROLE",
    );
    flag(from.inherit, to.inherit, "INHERIT", "NOINHERIT");
    flag(
        from.replication,
        to.replication,
        "REPLICATION",
        "NOREPLICATION",
    );
    flag(
        from.bypass_row_level_security,
        to.bypass_row_level_security,
        "BYPASSRLS",
        "NOBYPASSRLS",
    );
    if from.connection_limit != to.connection_limit {
        if to.connection_limit < -1 {
            return Err(PgError::invalid(format!(
                "connection_limit must be -1 (no limit) or more, not {}",
                to.connection_limit
            )));
        }
        out.push(format!("CONNECTION LIMIT {}", to.connection_limit));
    }
    if from.valid_until != to.valid_until {
        let value = to.valid_until.as_deref().unwrap_or("infinity");
        out.push(format!("VALID UNTIL {}", quote_literal(value)?));
    }
    Ok(out)
}

/// What goes after `PASSWORD`: a SCRAM-SHA-256 verifier computed here, so the clear text never
/// leaves the process. A value that already is a SCRAM verifier or an MD5 hash is passed
/// through, as the server itself would store it as given.
fn password_verifier(password: &str) -> String {
    if is_prehashed(password) {
        return password.to_string();
    }
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

fn is_prehashed(password: &str) -> bool {
    let md5 = password.len() == 35
        && password.starts_with("md5")
        && password[3..].bytes().all(|b| b.is_ascii_hexdigit());
    md5 || (password.starts_with("SCRAM-SHA-256$")
        && password.contains(':')
        && password.matches('$').count() == 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_options_mention_only_non_defaults() {
        let spec = RoleSpec {
            name: "r".into(),
            login: true,
            connection_limit: 3,
            ..RoleSpec::default()
        };
        assert_eq!(
            attribute_options(&RoleSpec::default(), &spec).unwrap(),
            vec!["LOGIN", "CONNECTION LIMIT 3"]
        );
        assert!(attribute_options(&spec, &spec).unwrap().is_empty());
    }

    #[test]
    fn valid_until_none_becomes_infinity_and_values_are_literals() {
        let a = RoleSpec {
            valid_until: Some("2030-01-01 00:00:00+00".into()),
            ..RoleSpec::default()
        };
        let b = RoleSpec::default();
        assert_eq!(
            attribute_options(&a, &b).unwrap(),
            vec!["VALID UNTIL 'infinity'"]
        );
        assert_eq!(
            attribute_options(&b, &a).unwrap(),
            vec!["VALID UNTIL '2030-01-01 00:00:00+00'"]
        );
    }

    #[test]
    fn passwords_are_hashed_before_they_leave() {
        let v = password_verifier("s3cret'pw");
        assert!(v.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        assert!(!v.contains("s3cret"));
        assert!(is_prehashed(&v));
        let md5 = "md5".to_string() + &"a".repeat(32);
        assert_eq!(password_verifier(&md5), md5);
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_role_name("").is_err());
        assert!(validate_role_name(&"x".repeat(64)).is_err());
        assert!(validate_role_name(&"é".repeat(31)).is_ok());
        assert!(validate_role_name(&"é".repeat(32)).is_err());
    }
}
