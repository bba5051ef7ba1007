//! Dropping a role that owns objects or holds privileges — in any database of the cluster.
//!
//! `DROP ROLE` fails while `pg_shdepend` has rows for the role, and `REASSIGN OWNED` /
//! `DROP OWNED` only act on the database they run in (plus shared objects). So we find every
//! database with rows for the role and run them there, then drop the role. A non-superuser
//! admin (`CREATEROLE`) needs the privileges of the roles involved for that: it is granted them
//! for the duration and gives them back.

use std::fmt;

use super::borrow::{not_inherited, release_all};
use super::error::PgError;
use super::quote::quote_ident;
use super::roles::read_role;
use super::server::Server;

/// What a role owns or holds in one database, or in the cluster-wide catalogs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDependents {
    /// `None` for shared objects (databases, tablespaces, …), which no one database holds.
    pub database: Option<String>,
    pub objects: Vec<DependentObject>,
}

impl DatabaseDependents {
    /// "database \"app\"" or "cluster-wide".
    pub fn location(&self) -> String {
        match &self.database {
            Some(db) => format!("database \"{db}\""),
            None => "cluster-wide".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentObject {
    pub kind: DependencyKind,
    /// `pg_describe_object` text, e.g. `table public.orders`, or why it could not be described.
    pub description: String,
}

/// `pg_shdepend.deptype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    /// 'o': the role owns the object.
    Owner,
    /// 'a': the role appears in the object's ACL.
    Privileges,
    /// 'r': the role is named in a row-level security policy.
    Policy,
    /// 'i': the role appears in an extension's initial privileges.
    InitialPrivileges,
    /// 't' or anything newer.
    Other,
}

impl DependencyKind {
    fn from_deptype(c: i8) -> Self {
        match c as u8 {
            b'o' => DependencyKind::Owner,
            b'a' => DependencyKind::Privileges,
            b'r' => DependencyKind::Policy,
            b'i' => DependencyKind::InitialPrivileges,
            _ => DependencyKind::Other,
        }
    }
}

impl fmt::Display for DependentObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            DependencyKind::Owner => "owner of",
            DependencyKind::Privileges => "privileges on",
            DependencyKind::Policy => "named in",
            DependencyKind::InitialPrivileges => "initial privileges on",
            DependencyKind::Other => "depended on by",
        };
        write!(f, "{prefix} {}", self.description)
    }
}

const ROLE_CLASS: &str = "'pg_catalog.pg_authid'::pg_catalog.regclass";

impl Server {
    /// Everything `role` owns or holds privileges on, per database (and cluster-wide), described
    /// by each database itself. Empty when the role can be dropped as it is.
    pub async fn dependents(&self, role: &str) -> Result<Vec<DatabaseDependents>, PgError> {
        let Some((oid, databases)) = self.dependent_databases(role).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let shared = self
            .describe_dependents(self.maintenance_database(), oid, true)
            .await?;
        if !shared.is_empty() {
            out.push(DatabaseDependents {
                database: None,
                objects: shared,
            });
        }
        for db in databases {
            let objects = if db.connectable {
                self.describe_dependents(&db.name, oid, false).await?
            } else {
                vec![DependentObject {
                    kind: DependencyKind::Other,
                    description: format!(
                        "{} object(s) (the database does not allow connections)",
                        db.count
                    ),
                }]
            };
            out.push(DatabaseDependents {
                database: Some(db.name),
                objects,
            });
        }
        Ok(out)
    }

    /// Drops `role`. With `reassign_to`, first runs `REASSIGN OWNED BY role TO reassign_to` and
    /// `DROP OWNED BY role` in every database where the role owns or holds something (and in
    /// the maintenance database, which covers shared objects). Without it, a role that still
    /// owns or holds anything is not touched and the error lists where. A role that does not
    /// exist is not an error (it is already gone).
    pub async fn drop_role(&self, role: &str, reassign_to: Option<&str>) -> Result<(), PgError> {
        let result = self.drop_role_now(role, reassign_to).await;
        self.roles_changed();
        result
    }

    async fn drop_role_now(&self, role: &str, reassign_to: Option<&str>) -> Result<(), PgError> {
        let Some((_, databases)) = self.dependent_databases(role).await? else {
            return Ok(());
        };
        match reassign_to {
            None => {
                let dependents = self.dependents(role).await?;
                if !dependents.is_empty() {
                    return Err(PgError::RoleHasDependents {
                        role: role.to_string(),
                        dependents,
                    });
                }
            }
            Some(heir) if heir == role => {
                return Err(PgError::invalid(format!(
                    "role \"{role}\" cannot inherit its own objects; name another role to reassign them to"
                )));
            }
            Some(heir) => {
                if let Some(db) = databases.iter().find(|d| !d.connectable) {
                    return Err(PgError::invalid(format!(
                        "role \"{role}\" has {} object(s) in database \"{}\", which does not allow \
                         connections, so they cannot be reassigned; allow connections to it first",
                        db.count, db.name
                    )));
                }
                let mut names: Vec<String> = databases.into_iter().map(|d| d.name).collect();
                if !names.iter().any(|n| n == self.maintenance_database()) {
                    names.insert(0, self.maintenance_database().to_string());
                }
                self.reassign_and_drop_owned(role, heir, &names).await?;
            }
        }
        let client = self.maintenance().await?;
        client
            .batch_execute(&format!("DROP ROLE {}", quote_ident(role)?))
            .await
            .map_err(|e| PgError::query(format!("dropping role \"{role}\""), &e))
    }

    /// `REASSIGN OWNED BY role TO heir; DROP OWNED BY role` in each of `databases`, one
    /// transaction per database, holding (temporarily, if we lacked them) the privileges of both
    /// roles, as PostgreSQL requires of non-superusers.
    async fn reassign_and_drop_owned(
        &self,
        role: &str,
        heir: &str,
        databases: &[String],
    ) -> Result<(), PgError> {
        let reassign = format!(
            "REASSIGN OWNED BY {role_q} TO {heir_q}; DROP OWNED BY {role_q}",
            role_q = quote_ident(role)?,
            heir_q = quote_ident(heir)?
        );
        let context = format!("reassigning what role \"{role}\" owns to \"{heir}\"");
        let mut borrowed = Vec::new();
        for target in [role, heir] {
            match self.borrow_role(target).await {
                Ok(Some(grant)) => borrowed.push(grant),
                Ok(None) => {}
                Err(e) => {
                    release_all(borrowed).await;
                    return Err(e);
                }
            }
        }
        let result = async {
            let statements = if self.inherits_only_for_a_moment(role, heir).await? {
                vec![
                    "ALTER ROLE CURRENT_USER INHERIT".to_owned(),
                    reassign,
                    "ALTER ROLE CURRENT_USER NOINHERIT".to_owned(),
                ]
            } else {
                vec![reassign]
            };
            // Parallel deletes by this process would only collide on the login's own catalog
            // row (retried, but each wait is a whole transaction): take turns instead.
            let _turn = if statements.len() > 1 {
                Some(inherit_turns().lock().await)
            } else {
                None
            };
            for db in databases {
                self.atomic(db, &format!("{context} in database \"{db}\""), &statements)
                    .await?;
            }
            Ok(())
        }
        .await;
        release_all(borrowed).await;
        result
    }

    /// Whether `REASSIGN OWNED` / `DROP OWNED` must run with the login made INHERIT for the
    /// transaction (see the module docs): it is a NOINHERIT member of `role` or `heir` on
    /// PostgreSQL 15 or older. From 16 on, inheritance belongs to each membership and the
    /// login's flag would change nothing: the statement's own error is reported then.
    async fn inherits_only_for_a_moment(&self, role: &str, heir: &str) -> Result<bool, PgError> {
        let client = self.maintenance().await?;
        if not_inherited(&*client, &[role, heir]).await?.is_empty() {
            return Ok(false);
        }
        let row = client
            .query_one(
                "SELECT NOT r.rolinherit AND NOT r.rolsuper \
                        AND pg_catalog.current_setting('server_version_num')::int < 160000 \
                 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                &[],
            )
            .await
            .map_err(|e| PgError::query("checking whether the login inherits", &e))?;
        Ok(row.get(0))
    }

    /// The role's oid and the databases where `pg_shdepend` has rows for it; `None` if the role
    /// does not exist.
    async fn dependent_databases(
        &self,
        role: &str,
    ) -> Result<Option<(u32, Vec<DependentDatabase>)>, PgError> {
        let client = self.maintenance().await?;
        let Some(state) = read_role(&*client, role).await? else {
            return Ok(None);
        };
        let rows = client
            .query(
                &format!(
                    "SELECT d.datname::text, d.datallowconn, count(*) \
                     FROM pg_catalog.pg_shdepend s \
                     JOIN pg_catalog.pg_database d ON d.oid = s.dbid \
                     WHERE s.refclassid = {ROLE_CLASS} AND s.refobjid = $1 \
                     GROUP BY d.datname, d.datallowconn ORDER BY d.datname"
                ),
                &[&state.oid],
            )
            .await
            .map_err(|e| {
                PgError::query(format!("finding where role \"{role}\" owns objects"), &e)
            })?;
        let databases = rows
            .iter()
            .map(|r| DependentDatabase {
                name: r.get(0),
                connectable: r.get(1),
                count: r.get(2),
            })
            .collect();
        Ok(Some((state.oid, databases)))
    }

    /// Describes the role's `pg_shdepend` rows of one database (or, with `shared`, those of
    /// shared objects) from inside that database, where `pg_describe_object` can see them.
    async fn describe_dependents(
        &self,
        database: &str,
        oid: u32,
        shared: bool,
    ) -> Result<Vec<DependentObject>, PgError> {
        let client = self.client(database).await?;
        let dbid = if shared {
            "0"
        } else {
            "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"
        };
        let rows = client
            .query(
                &format!(
                    "SELECT s.deptype::\"char\", \
                            coalesce(pg_catalog.pg_describe_object(s.classid, s.objid, s.objsubid), \
                                     'object ' || s.objid::text) AS what \
                     FROM pg_catalog.pg_shdepend s \
                     WHERE s.dbid = {dbid} AND s.refclassid = {ROLE_CLASS} AND s.refobjid = $1 \
                     ORDER BY s.deptype, what"
                ),
                &[&oid],
            )
            .await
            .map_err(|e| PgError::query(format!("describing dependents in database \"{database}\""), &e))?;
        Ok(rows
            .iter()
            .map(|r| DependentObject {
                kind: DependencyKind::from_deptype(r.get(0)),
                description: r.get(1),
            })
            .collect())
    }
}

/// One NOINHERIT reassignment at a time in this process (see `reassign_and_drop_owned`).
fn inherit_turns() -> &'static tokio::sync::Mutex<()> {
    static TURNS: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    TURNS.get_or_init(Default::default)
}

struct DependentDatabase {
    name: String,
    connectable: bool,
    count: i64,
}
