//! Default privileges (`ALTER DEFAULT PRIVILEGES`): what objects a role creates in future get.
//!
//! One managed unit is the entry of one grantee in one `pg_default_acl` row, the row being
//! named by (owner, schema or none, catalog object type). Catalog rules this module follows:
//! - A database-wide row (no schema) REPLACES the built-in defaults for that owner and type.
//!   No row means the built-in: the owner holds everything (with grant option), PUBLIC holds
//!   EXECUTE on functions and USAGE on types, nobody else anything. [`DefaultPrivilegesKey::builtin`]
//!   spells that out, so a missing global row reads as what PostgreSQL will really do.
//!   PostgreSQL deletes the row again when it becomes equal to the built-in.
//! - A per-schema row only ADDS to the database-wide defaults: revoking in a schema what the
//!   database-wide default grants is a silent no-op in PostgreSQL. [`DatabaseAcls::global_default_privileges`]
//!   lets callers warn about it.
//! - `routine` and `function` are the same catalog type (`f`): both cover functions and
//!   procedures. `IN SCHEMA` is not allowed for schemas.
//! - The grantor of every default-ACL entry is the owner itself, so there is one grantor to
//!   reason about (unlike object ACLs).
//!
//! Reads answer from [`Server::database_acls`]; writes lock `defacl:<db>:<owner>:<schema>:<type>`,
//! read the one row fresh, run the exact GRANT/REVOKE difference, commit, invalidate.

use std::collections::BTreeSet;

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::acl::{grantee_sql, is_public, DatabaseAcls, Held, PUBLIC};
use super::error::PgError;
use super::privileges::{ObjectType, Privilege};
use super::quote::quote_ident;
use super::server::Server;
use super::tx::{lock_in_order, retry};

/// The object types `ALTER DEFAULT PRIVILEGES` covers, as configured.
pub const OBJECT_TYPES: [ObjectType; 6] = [
    ObjectType::Table,
    ObjectType::Sequence,
    ObjectType::Function,
    ObjectType::Routine,
    ObjectType::Type,
    ObjectType::Schema,
];

/// The catalog type a configured object type is stored as (`routine` is `function`), or `None`
/// when default privileges do not exist for it.
pub fn catalog_type(object_type: ObjectType) -> Option<ObjectType> {
    match object_type {
        ObjectType::Routine => Some(ObjectType::Function),
        t if OBJECT_TYPES.contains(&t) => Some(t),
        _ => None,
    }
}

/// The plural keyword after `ON` in `ALTER DEFAULT PRIVILEGES … ON`.
fn plural_keyword(object_type: ObjectType) -> Result<&'static str, PgError> {
    Ok(match object_type {
        ObjectType::Table => "TABLES",
        ObjectType::Sequence => "SEQUENCES",
        ObjectType::Function => "FUNCTIONS",
        ObjectType::Routine => "ROUTINES",
        ObjectType::Type => "TYPES",
        ObjectType::Schema => "SCHEMAS",
        other => {
            return Err(PgError::invalid(format!(
                "default privileges do not exist for {}",
                other.plural()
            )))
        }
    })
}

/// Whose default privileges, where, for what, and for which grantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultPrivilegesKey {
    pub database: String,
    /// The role whose future objects are covered (`FOR ROLE`).
    pub owner: String,
    /// `None`: database-wide. Must be `None` for `Schema`.
    pub schema: Option<String>,
    /// As configured: `Routine` is kept for the SQL keyword, stored as `Function`.
    pub object_type: ObjectType,
    /// The grantee; `"PUBLIC"` (any case) is PUBLIC.
    pub role: String,
}

impl DefaultPrivilegesKey {
    pub fn is_public(&self) -> bool {
        is_public(&self.role)
    }

    fn catalog_type(&self) -> Result<ObjectType, PgError> {
        catalog_type(self.object_type).ok_or_else(|| {
            PgError::invalid(format!(
                "default privileges do not exist for {}",
                self.object_type.plural()
            ))
        })
    }

    /// Checks what the server would refuse, before any SQL.
    pub fn validate(&self) -> Result<(), PgError> {
        self.catalog_type()?;
        if self.object_type == ObjectType::Schema && self.schema.is_some() {
            return Err(PgError::invalid(
                "default privileges on schemas are database-wide: IN SCHEMA cannot be used \
                 with object type schema",
            ));
        }
        if self.schema.as_deref() == Some("") {
            return Err(PgError::invalid(
                "an empty schema name means database-wide: pass None",
            ));
        }
        Ok(())
    }

    /// The advisory lock key of the catalog row this entry lives in (`routine` and `function`
    /// share it, as they share the row).
    pub fn lock_key(&self) -> Result<String, PgError> {
        Ok(format!(
            "defacl:{}:{}:{}:{}",
            self.database,
            self.owner,
            self.schema.as_deref().unwrap_or(""),
            self.catalog_type()?.name()
        ))
    }

    /// What the grantee holds when there is no row: for a database-wide row the built-in
    /// defaults (the owner everything WITH GRANT OPTION, PUBLIC EXECUTE on functions and
    /// USAGE on types), for a per-schema row nothing.
    pub fn builtin(&self, major: i32) -> Held {
        let mut held = Held::default();
        if self.schema.is_some() {
            return held;
        }
        let Ok(t) = self.catalog_type() else {
            return held;
        };
        if self.is_public() {
            held.privileges = t.public_defaults().into_iter().collect();
        } else if self.role == self.owner {
            held.privileges = t.privileges(Some(major)).into_iter().collect();
            held.grantable = held.privileges.clone();
        }
        held
    }

    fn describe(&self) -> String {
        let place = match &self.schema {
            Some(s) => format!("in schema \"{s}\""),
            None => "database-wide".to_owned(),
        };
        format!(
            "default privileges of \"{}\" on {} of \"{}\" {place} in database \"{}\"",
            self.role,
            self.object_type.plural(),
            self.owner,
            self.database
        )
    }
}

/// What the grantee should hold: `privileges`, of which `grantable` WITH GRANT OPTION.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub privileges: BTreeSet<Privilege>,
    pub grantable: BTreeSet<Privilege>,
}

impl Target {
    /// `privileges`, all WITH GRANT OPTION or none.
    pub fn new(privileges: BTreeSet<Privilege>, with_grant_option: bool) -> Target {
        let grantable = if with_grant_option {
            privileges.clone()
        } else {
            BTreeSet::new()
        };
        Target {
            privileges,
            grantable,
        }
    }

    fn from_held(held: &Held) -> Target {
        Target {
            privileges: held.privileges.clone(),
            grantable: held.grantable.clone(),
        }
    }
}

impl DatabaseAcls {
    /// What `key.role` holds in the default-privileges row `key` names, from this snapshot
    /// (the built-in when there is no database-wide row). `None` when the owner, the grantee or
    /// the schema does not exist (the resource is gone).
    pub fn default_privileges(&self, key: &DefaultPrivilegesKey) -> Option<Held> {
        let owner = self.role_oid(&key.owner)?;
        let grantee = self.role_oid(&key.role)?;
        if let Some(schema) = &key.schema {
            self.find(ObjectType::Schema, None, schema, None)?;
        }
        let t = catalog_type(key.object_type)?;
        Some(match self.default_acl(owner, key.schema.as_deref(), t) {
            Some(row) => held_in(
                row.entries
                    .iter()
                    .map(|e| (e.grantee, e.privilege, e.grantable)),
                grantee,
            ),
            None => key.builtin(self.major),
        })
    }

    /// What the database-wide default (row or built-in) gives `key.role` on objects `key.owner`
    /// creates: what a per-schema row cannot take away. `None` when owner or grantee is unknown.
    pub fn global_default_privileges(&self, key: &DefaultPrivilegesKey) -> Option<Held> {
        let global = DefaultPrivilegesKey {
            schema: None,
            ..key.clone()
        };
        self.default_privileges(&global)
    }
}

fn held_in(entries: impl Iterator<Item = (u32, Privilege, bool)>, grantee: u32) -> Held {
    let mut held = Held::default();
    for (g, p, grantable) in entries {
        if g == grantee {
            held.privileges.insert(p);
            if grantable {
                held.grantable.insert(p);
            }
        }
    }
    held
}

/// The statements that take `held` to `target`, in the row `key` names. Empty when they match.
pub fn statements(
    key: &DefaultPrivilegesKey,
    held: &Held,
    target: &Target,
) -> Result<Vec<String>, PgError> {
    key.validate()?;
    let mut prefix = format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {}",
        quote_ident(&key.owner)?
    );
    if let Some(schema) = &key.schema {
        prefix.push_str(" IN SCHEMA ");
        prefix.push_str(&quote_ident(schema)?);
    }
    let on = plural_keyword(key.object_type)?;
    let grantee = grantee_sql(&key.role)?;
    if key.is_public() && !target.grantable.is_empty() {
        return Err(PgError::invalid(
            "grant options can only be given to roles, not to PUBLIC",
        ));
    }
    let list =
        |set: &BTreeSet<Privilege>| set.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
    let mut out = Vec::new();
    // Revoking a privilege also revokes its grant option.
    let revoke: BTreeSet<Privilege> = held
        .privileges
        .difference(&target.privileges)
        .copied()
        .collect();
    if !revoke.is_empty() {
        out.push(format!(
            "{prefix} REVOKE {} ON {on} FROM {grantee}",
            list(&revoke)
        ));
    }
    let revoke_option: BTreeSet<Privilege> = held
        .grantable
        .intersection(&target.privileges)
        .filter(|p| !target.grantable.contains(p))
        .copied()
        .collect();
    if !revoke_option.is_empty() {
        out.push(format!(
            "{prefix} REVOKE GRANT OPTION FOR {} ON {on} FROM {grantee}",
            list(&revoke_option)
        ));
    }
    let (grant_with_option, grant) = held.to_grant(&target.privileges, &target.grantable);
    if !grant_with_option.is_empty() {
        out.push(format!(
            "{prefix} GRANT {} ON {on} TO {grantee} WITH GRANT OPTION",
            list(&grant_with_option)
        ));
    }
    if !grant.is_empty() {
        out.push(format!(
            "{prefix} GRANT {} ON {on} TO {grantee}",
            list(&grant)
        ));
    }
    Ok(out)
}

/// Looks up the owner, the grantee and the schema, and whether we may act for the owner.
const RESOLVE_SQL: &str = "\
SELECT (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1),
       (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $2),
       (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $3),
       (SELECT pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
        FROM pg_catalog.pg_roles r WHERE r.rolname = $1),
       current_user::text";

/// One default-ACL row's entries: no rows = no catalog row; one row of NULLs = an empty ACL.
const ROW_SQL: &str = "\
SELECT a.grantee, a.privilege_type, a.is_grantable
FROM pg_catalog.pg_default_acl d
LEFT JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a ON true
WHERE d.defaclrole = $1 AND d.defaclnamespace = $2 AND d.defaclobjtype::text = $3";

/// `pg_default_acl.defaclobjtype` of a catalog object type.
fn objtype_char(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Sequence => "S",
        ObjectType::Function | ObjectType::Routine => "f",
        ObjectType::Type => "T",
        ObjectType::Schema => "n",
        _ => "r",
    }
}

/// The row's current entries for the grantee, read fresh on `client` (inside the writer's
/// transaction, after its lock). Errors name what does not exist.
async fn read_fresh<C: GenericClient + Sync>(
    client: &C,
    key: &DefaultPrivilegesKey,
    major: i32,
) -> Result<Held, PgError> {
    let context = || format!("reading the {}", key.describe());
    let row = client
        .query_typed_one(
            RESOLVE_SQL,
            &[
                (&key.owner, Type::TEXT),
                (&key.role, Type::TEXT),
                (&key.schema, Type::TEXT),
            ],
        )
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    let owner: Option<u32> = row.get(0);
    let Some(owner) = owner else {
        return Err(PgError::invalid(format!(
            "role \"{}\" (owner) does not exist",
            key.owner
        )));
    };
    let grantee: Option<u32> = if key.is_public() {
        Some(PUBLIC)
    } else {
        row.get(1)
    };
    let Some(grantee) = grantee else {
        return Err(PgError::invalid(format!(
            "role \"{}\" does not exist",
            key.role
        )));
    };
    let namespace: Option<u32> = row.get(2);
    let namespace = match (&key.schema, namespace) {
        (None, _) => 0,
        (Some(_), Some(oid)) => oid,
        (Some(s), None) => {
            return Err(PgError::invalid(format!(
                "schema \"{s}\" does not exist in database \"{}\"",
                key.database
            )))
        }
    };
    let member: bool = row.get::<_, Option<bool>>(3).unwrap_or(false);
    if !member {
        // The writer borrowed membership before starting; losing it meanwhile is an error.
        let me: String = row.get(4);
        return Err(PgError::invalid(format!(
            "the provider's login \"{me}\" is neither a superuser nor a member of role \"{}\", \
             and only those may change the owner's default privileges",
            key.owner
        )));
    }
    let t = key.catalog_type()?;
    let rows = client
        .query_typed(
            ROW_SQL,
            &[
                (&owner, Type::OID),
                (&namespace, Type::OID),
                (&objtype_char(t), Type::TEXT),
            ],
        )
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    if rows.is_empty() {
        return Ok(key.builtin(major));
    }
    let entries = rows.iter().filter_map(|r| {
        let grantee: Option<u32> = r.get(0);
        let privilege: Option<String> = r.get(1);
        let grantable: Option<bool> = r.get(2);
        Some((grantee?, Privilege::parse(&privilege?)?, grantable?))
    });
    Ok(held_in(entries, grantee))
}

impl Server {
    /// What `key.role` holds in the default-privileges row `key` names, from the database's
    /// cached ACL snapshot. `None` when the database, the owner, the grantee or the schema is
    /// gone.
    pub async fn read_default_privileges(
        &self,
        key: &DefaultPrivilegesKey,
        major: i32,
    ) -> Result<Option<Held>, PgError> {
        // A database that is gone took its default privileges with it.
        Ok(self
            .database_acls_unless_gone(&key.database, major)
            .await?
            .and_then(|acls| acls.default_privileges(key)))
    }

    /// Brings the grantee's entry to `target`: under the row's lock, reads it fresh, runs the
    /// exact difference, commits, and returns what the grantee holds now.
    pub async fn set_default_privileges(
        &self,
        key: &DefaultPrivilegesKey,
        target: &Target,
        major: i32,
    ) -> Result<Held, PgError> {
        key.validate()?;
        let lock = key.lock_key()?;
        let context = format!("changing the {}", key.describe());
        // Only the owner and its members may change its default privileges: a non-member
        // admin (managed services) borrows membership for the write, shared with parallel
        // writers in this process and given back by the last one. Membership is all FOR ROLE
        // asks for (the login could SET ROLE to the owner anyway): a NOINHERIT member needs
        // no SET ROLE here, unlike for GRANT on the owner's objects.
        let borrowed = self.borrow_role(&key.owner).await.map_err(|e| match e {
            PgError::Invalid(m) if m.contains("does not exist") => {
                PgError::invalid(format!("role \"{}\" (owner) does not exist", key.owner))
            }
            e => e,
        })?;
        let result = retry(|| async {
            let tx = self.begin(&key.database).await?;
            let held = match async {
                lock_in_order(&*tx, std::slice::from_ref(&lock)).await?;
                read_fresh(&*tx, key, major).await
            }
            .await
            {
                Ok(held) => held,
                Err(e) => {
                    tx.rollback().await;
                    return Err(e);
                }
            };
            let sql = match statements(key, &held, target) {
                Ok(sql) => sql,
                Err(e) => {
                    tx.rollback().await;
                    return Err(e);
                }
            };
            if sql.is_empty() {
                tx.rollback().await;
                return Ok(held);
            }
            let tx = tx.execute_all(&context, &sql).await?;
            let now = match read_fresh(&*tx, key, major).await {
                Ok(now) => now,
                Err(e) => {
                    tx.rollback().await;
                    return Err(e);
                }
            };
            tx.commit().await?;
            Ok(now)
        })
        .await;
        if let Some(borrowed) = borrowed {
            borrowed.release().await;
        }
        // Even a failed attempt may have raced a commit of ours; forget the snapshot anyway.
        self.invalidate_acls(&key.database);
        result
    }

    /// Gives the grantee's entry back to PostgreSQL's built-in behaviour (what destroy does):
    /// database-wide, the built-in defaults ([`DefaultPrivilegesKey::builtin`]); in a schema,
    /// nothing added.
    pub async fn reset_default_privileges(
        &self,
        key: &DefaultPrivilegesKey,
        major: i32,
    ) -> Result<(), PgError> {
        let target = Target::from_held(&key.builtin(major));
        self.set_default_privileges(key, &target, major).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    fn key(role: &str, schema: Option<&str>, t: ObjectType) -> DefaultPrivilegesKey {
        DefaultPrivilegesKey {
            database: "app".into(),
            owner: "own er".into(),
            schema: schema.map(Into::into),
            object_type: t,
            role: role.into(),
        }
    }

    fn set(ps: &[Privilege]) -> BTreeSet<Privilege> {
        ps.iter().copied().collect()
    }

    fn held(ps: &[Privilege], grantable: &[Privilege]) -> Held {
        Held {
            privileges: set(ps),
            grantable: set(grantable),
            grantors: BTreeSet::new(),
        }
    }

    #[test]
    fn grants_and_revokes_exactly_the_difference() {
        let k = key("read\"er", Some("s p"), ObjectType::Table);
        let sql = statements(
            &k,
            &held(&[Select, Delete], &[]),
            &Target::new(set(&[Select, Insert]), false),
        )
        .unwrap();
        assert_eq!(
            sql,
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" IN SCHEMA \"s p\" REVOKE DELETE ON TABLES FROM \"read\"\"er\"",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" IN SCHEMA \"s p\" GRANT INSERT ON TABLES TO \"read\"\"er\"",
            ]
        );
        assert!(statements(
            &k,
            &held(&[Select], &[]),
            &Target::new(set(&[Select]), false)
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn grant_options_are_added_and_taken_away() {
        let k = key("r", None, ObjectType::Sequence);
        let sql = statements(
            &k,
            &held(&[Usage, Select], &[Usage]),
            &Target::new(set(&[Usage, Select]), true),
        )
        .unwrap();
        assert_eq!(
            sql,
            ["ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" GRANT SELECT ON SEQUENCES TO \"r\" WITH GRANT OPTION"]
        );
        let sql = statements(
            &k,
            &held(&[Usage, Select], &[Usage, Select]),
            &Target::new(set(&[Usage]), false),
        )
        .unwrap();
        assert_eq!(
            sql,
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" REVOKE SELECT ON SEQUENCES FROM \"r\"",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" REVOKE GRANT OPTION FOR USAGE ON SEQUENCES FROM \"r\"",
            ]
        );
    }

    #[test]
    fn public_is_a_keyword_and_routines_keep_their_keyword() {
        let k = key("public", None, ObjectType::Routine);
        let sql = statements(&k, &k.builtin(15), &Target::default()).unwrap();
        assert_eq!(
            sql,
            ["ALTER DEFAULT PRIVILEGES FOR ROLE \"own er\" REVOKE EXECUTE ON ROUTINES FROM PUBLIC"]
        );
        assert!(statements(&k, &Held::default(), &Target::new(set(&[Execute]), true)).is_err());
        assert_eq!(k.lock_key().unwrap(), "defacl:app:own er::function");
        assert_eq!(
            key("x", None, ObjectType::Function).lock_key().unwrap(),
            k.lock_key().unwrap(),
            "function and routine share the catalog row and so the lock"
        );
    }

    #[test]
    fn the_built_in_defaults_apply_to_database_wide_rows_only() {
        assert_eq!(
            key("PUBLIC", None, ObjectType::Type).builtin(15).privileges,
            set(&[Usage])
        );
        assert!(key("PUBLIC", None, ObjectType::Table)
            .builtin(15)
            .privileges
            .is_empty());
        assert!(key("PUBLIC", Some("s"), ObjectType::Function)
            .builtin(15)
            .privileges
            .is_empty());
        let owner = key("own er", None, ObjectType::Table).builtin(15);
        assert_eq!(owner.privileges.len(), 7);
        assert_eq!(owner.grantable, owner.privileges);
        assert_eq!(
            key("own er", None, ObjectType::Table)
                .builtin(17)
                .privileges
                .len(),
            8
        );
        assert!(key("other", None, ObjectType::Table)
            .builtin(15)
            .privileges
            .is_empty());
    }

    #[test]
    fn schemas_cannot_be_scoped_to_a_schema() {
        let k = key("r", Some("s"), ObjectType::Schema);
        let err = statements(&k, &Held::default(), &Target::new(set(&[Usage]), false)).unwrap_err();
        assert!(err.to_string().contains("IN SCHEMA"), "{err}");
        assert!(key("r", None, ObjectType::Column).validate().is_err());
    }
}
