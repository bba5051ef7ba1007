//! Reading ACLs in bulk: every grantable object of a database with its access control list,
//! plus the database's default privileges, in ONE query (and one for role names). Grants,
//! default privileges and the privilege data sources are all answered from such a snapshot;
//! [`Server::database_acls`] caches it per database for the burst of reads of one Terraform
//! walk (see [`super::snapshot`]), and writers call [`Server::invalidate_acls`].
//!
//! A NULL ACL in the catalog means "the built-in default" (owner has everything, PUBLIC has
//! [`ObjectType::public_defaults`]); [`ObjectAcl::entries`] spells that out, so callers never
//! special-case it. System schemas (`pg_catalog`, `information_schema`, `pg_toast…`,
//! `pg_temp…`) are left out: dbre does not manage grants on PostgreSQL's own objects.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::error::PgError;
use super::privileges::{ObjectType, Privilege};
use super::quote::quote_ident;
use super::server::Server;

/// The grantee oid that stands for PUBLIC.
pub const PUBLIC: u32 = 0;

/// Whether a grantee name means PUBLIC: the keyword, in any case, as `GRANT … TO public` reads
/// it. (A role really named `PUBLIC` cannot be granted to by name in PostgreSQL either.)
pub fn is_public(name: &str) -> bool {
    name.eq_ignore_ascii_case("public")
}

/// A grantee for `GRANT`/`REVOKE`: the keyword `PUBLIC`, or the role name through
/// [`quote_ident`].
pub fn grantee_sql(name: &str) -> Result<String, PgError> {
    if is_public(name) {
        Ok("PUBLIC".to_owned())
    } else {
        quote_ident(name)
    }
}

/// One line of an ACL: `grantee` holds `privilege` on the object, granted by `grantor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclEntry {
    /// Role oid, or [`PUBLIC`].
    pub grantee: u32,
    pub grantor: u32,
    pub privilege: Privilege,
    /// Held WITH GRANT OPTION.
    pub grantable: bool,
}

/// An object's ACL: the built-in default (catalog NULL) or an explicit list (maybe empty:
/// everything revoked, even from the owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acl {
    Default,
    Explicit(Vec<AclEntry>),
}

/// One grantable object and its ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAcl {
    /// `Table`, `Sequence`, `Function`, `Procedure`, `Column`, `Schema`, `Database`,
    /// `ForeignDataWrapper`, `ForeignServer` or `Type` (never `Routine`: a routine is a
    /// function or a procedure).
    pub object_type: ObjectType,
    /// The schema of objects that live in one.
    pub schema: Option<String>,
    /// The name; for functions and procedures the signature `name(argtype, …)` as
    /// `oidvectortypes` prints the argument types, e.g. `add(integer, integer)`.
    pub name: String,
    /// For `Column`: the column; `name` is then its table.
    pub column: Option<String>,
    pub oid: u32,
    pub owner: u32,
    pub acl: Acl,
}

/// What one grantee holds on one object, over all grantors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub privileges: BTreeSet<Privilege>,
    /// The subset held WITH GRANT OPTION (from at least one grantor).
    pub grantable: BTreeSet<Privilege>,
    /// Everyone who granted any of them (the owner for built-in defaults).
    pub grantors: BTreeSet<u32>,
}

impl Held {
    /// What to GRANT so that this covers `privileges`, the subset `grantable` WITH GRANT OPTION:
    /// (to grant WITH GRANT OPTION, to grant plainly). A privilege held without the option but
    /// wanted with it is granted again WITH GRANT OPTION. (Revokes depend on who granted what,
    /// so each writer computes them itself.)
    pub fn to_grant(
        &self,
        privileges: &BTreeSet<Privilege>,
        grantable: &BTreeSet<Privilege>,
    ) -> (BTreeSet<Privilege>, BTreeSet<Privilege>) {
        let with_option = grantable.difference(&self.grantable).copied().collect();
        let plain = privileges
            .iter()
            .filter(|p| !grantable.contains(p) && !self.privileges.contains(p))
            .copied()
            .collect();
        (with_option, plain)
    }
}

impl ObjectAcl {
    /// The ACL's entries, with the built-in default spelled out.
    pub fn entries(&self, major: Option<i32>) -> Vec<AclEntry> {
        match &self.acl {
            Acl::Explicit(entries) => entries.clone(),
            Acl::Default => {
                // Columns have no privileges of their own by default; the table's count.
                if self.object_type == ObjectType::Column {
                    return Vec::new();
                }
                let owner = self
                    .object_type
                    .privileges(major)
                    .into_iter()
                    .map(|p| AclEntry {
                        grantee: self.owner,
                        grantor: self.owner,
                        privilege: p,
                        grantable: true,
                    });
                let public = self
                    .object_type
                    .public_defaults()
                    .into_iter()
                    .map(|p| AclEntry {
                        grantee: PUBLIC,
                        grantor: self.owner,
                        privilege: p,
                        grantable: false,
                    });
                owner.chain(public).collect()
            }
        }
    }

    /// What `grantee` holds directly (not through membership or PUBLIC).
    pub fn held_by(&self, grantee: u32, major: Option<i32>) -> Held {
        let mut held = Held::default();
        for e in self
            .entries(major)
            .into_iter()
            .filter(|e| e.grantee == grantee)
        {
            held.privileges.insert(e.privilege);
            if e.grantable {
                held.grantable.insert(e.privilege);
            }
            held.grantors.insert(e.grantor);
        }
        held
    }
}

/// A default-privileges row (`ALTER DEFAULT PRIVILEGES`): what objects `owner` creates (in
/// `schema`, or anywhere when `None`) get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultAcl {
    pub owner: u32,
    pub schema: Option<String>,
    /// `Table`, `Sequence`, `Function` (functions and procedures), `Type` or `Schema`.
    pub object_type: ObjectType,
    pub entries: Vec<AclEntry>,
}

/// Every grantable object of one database (outside system schemas) and its default
/// privileges, read at one moment.
#[derive(Debug, Clone)]
pub struct DatabaseAcls {
    pub database: String,
    pub objects: Vec<ObjectAcl>,
    pub defaults: Vec<DefaultAcl>,
    /// Role oid → name, for every role at the time of the read.
    pub role_names: HashMap<u32, String>,
    /// The server's major version, which says what the built-in defaults hold.
    pub major: i32,
    by_key: HashMap<(ObjectType, Option<String>, String, Option<String>), usize>,
}

impl DatabaseAcls {
    pub fn new(
        database: String,
        major: i32,
        objects: Vec<ObjectAcl>,
        defaults: Vec<DefaultAcl>,
        role_names: HashMap<u32, String>,
    ) -> Self {
        let by_key = objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    (
                        o.object_type,
                        o.schema.clone(),
                        o.name.clone(),
                        o.column.clone(),
                    ),
                    i,
                )
            })
            .collect();
        DatabaseAcls {
            database,
            objects,
            defaults,
            role_names,
            major,
            by_key,
        }
    }

    /// The oid of role `name`; `"PUBLIC"` (any case) is [`PUBLIC`].
    pub fn role_oid(&self, name: &str) -> Option<u32> {
        if is_public(name) {
            return Some(PUBLIC);
        }
        self.role_names
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(oid, _)| *oid)
    }

    /// The name of role `oid`; [`PUBLIC`] is `"PUBLIC"`; a role dropped since is `"oid 1234"`.
    pub fn role_name(&self, oid: u32) -> String {
        if oid == PUBLIC {
            return "PUBLIC".to_owned();
        }
        self.role_names
            .get(&oid)
            .cloned()
            .unwrap_or_else(|| format!("oid {oid}"))
    }

    /// What `grantor` passed on of `privileges` among `entries`, as "PRIVILEGE to role": the
    /// grants a REVOKE of those privileges (or of their grant option) from `grantor` could only
    /// take with CASCADE, which dbre never does silently.
    pub fn passed_on(
        &self,
        entries: &[AclEntry],
        grantor: u32,
        privileges: &BTreeSet<Privilege>,
    ) -> Vec<String> {
        entries
            .iter()
            .filter(|e| {
                e.grantor == grantor && e.grantee != grantor && privileges.contains(&e.privilege)
            })
            .map(|e| format!("{} to {}", e.privilege, self.role_name(e.grantee)))
            .collect()
    }

    /// One object; `object_type` `Routine` finds a function or a procedure.
    pub fn find(
        &self,
        object_type: ObjectType,
        schema: Option<&str>,
        name: &str,
        column: Option<&str>,
    ) -> Option<&ObjectAcl> {
        let lookup = |t: ObjectType| {
            self.by_key
                .get(&(
                    t,
                    schema.map(str::to_owned),
                    name.to_owned(),
                    column.map(str::to_owned),
                ))
                .map(|&i| &self.objects[i])
        };
        match object_type {
            ObjectType::Routine => {
                lookup(ObjectType::Function).or_else(|| lookup(ObjectType::Procedure))
            }
            t => lookup(t),
        }
    }

    /// Every object of `object_type` (in `schema`, when given), in catalog order by name;
    /// `Routine` lists functions and procedures.
    pub fn objects_of<'a>(
        &'a self,
        object_type: ObjectType,
        schema: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ObjectAcl> + 'a {
        self.objects.iter().filter(move |o| {
            let type_matches = match object_type {
                ObjectType::Routine => {
                    matches!(o.object_type, ObjectType::Function | ObjectType::Procedure)
                }
                t => o.object_type == t,
            };
            type_matches && (schema.is_none() || o.schema.as_deref() == schema)
        })
    }

    /// The default-privileges row for (owner, schema, object type), if there is one.
    pub fn default_acl(
        &self,
        owner: u32,
        schema: Option<&str>,
        object_type: ObjectType,
    ) -> Option<&DefaultAcl> {
        self.defaults.iter().find(|d| {
            d.owner == owner && d.schema.as_deref() == schema && d.object_type == object_type
        })
    }
}

/// The one catalog query behind [`read_database_acls`]. `$1`: a schema name to restrict
/// schema-bound objects to (NULL: every non-system schema).
const OBJECT_ACLS_SQL: &str = "\
WITH nsp AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
      AND ($1::text IS NULL OR n.nspname = $1::text)
), objs AS (
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind,
           n.nspname::text AS schema, c.relname::text AS name, NULL::text AS col,
           c.oid, c.relowner AS owner, c.relacl AS acl
    FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S')
  UNION ALL
    SELECT 'column', n.nspname, c.relname, a.attname, c.oid, c.relowner, a.attacl
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN nsp n ON n.oid = c.relnamespace
    WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
    SELECT CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, n.nspname,
           p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')', NULL,
           p.oid, p.proowner, p.proacl
    FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace
  UNION ALL
    SELECT 'type', n.nspname, t.typname, NULL, t.oid, t.typowner, t.typacl
    FROM pg_catalog.pg_type t JOIN nsp n ON n.oid = t.typnamespace
    WHERE (t.typtype IN ('b', 'd', 'e', 'r', 'm')
           OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c
                                    WHERE c.oid = t.typrelid) = 'c'))
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
  UNION ALL
    SELECT 'schema', NULL, n.nspname, NULL, n.oid, n.nspowner, n.nspacl FROM nsp n
  UNION ALL
    SELECT 'database', NULL, d.datname, NULL, d.oid, d.datdba, d.datacl
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
  UNION ALL
    SELECT 'foreign_data_wrapper', NULL, w.fdwname, NULL, w.oid, w.fdwowner, w.fdwacl
    FROM pg_catalog.pg_foreign_data_wrapper w
  UNION ALL
    SELECT 'foreign_server', NULL, s.srvname, NULL, s.oid, s.srvowner, s.srvacl
    FROM pg_catalog.pg_foreign_server s
)
SELECT o.kind, o.schema, o.name, o.col, o.oid, o.owner, o.acl IS NULL,
       a.grantor, a.grantee, a.privilege_type, a.is_grantable
FROM objs o LEFT JOIN LATERAL pg_catalog.aclexplode(o.acl) a ON true
ORDER BY o.kind, o.schema, o.name, o.col, o.oid";

const DEFAULT_ACLS_SQL: &str = "\
SELECT d.defaclrole, n.nspname::text, d.defaclobjtype::text,
       a.grantor, a.grantee, a.privilege_type, a.is_grantable
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
LEFT JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a ON true
ORDER BY 1, 2, 3";

const ROLE_NAMES_SQL: &str = "SELECT oid, rolname::text FROM pg_catalog.pg_roles";

/// Reads every object ACL (restricted to `schema` when given), the default privileges and
/// the role names of the database `client` is connected to. Three statements; run them in one
/// transaction (or accept that they are three moments).
pub async fn read_database_acls<C: GenericClient + Sync>(
    client: &C,
    database: &str,
    major: i32,
    schema: Option<&str>,
) -> Result<DatabaseAcls, PgError> {
    let context = || format!("reading privileges in database \"{database}\"");
    let rows = client
        .query_typed(OBJECT_ACLS_SQL, &[(&schema, Type::TEXT)])
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    let mut objects: Vec<ObjectAcl> = Vec::new();
    for row in rows {
        let kind: String = row.get(0);
        let Some(object_type) = ObjectType::parse(&kind) else {
            continue;
        };
        let oid: u32 = row.get(4);
        let column: Option<String> = row.get(3);
        let entry = explode(row.get(7), row.get(8), row.get(9), row.get(10));
        let same = objects
            .last()
            .is_some_and(|o| o.oid == oid && o.object_type == object_type && o.column == column);
        if !same {
            let acl_is_null: bool = row.get(6);
            objects.push(ObjectAcl {
                object_type,
                schema: row.get(1),
                name: row.get(2),
                column,
                oid,
                owner: row.get(5),
                acl: if acl_is_null {
                    Acl::Default
                } else {
                    Acl::Explicit(Vec::new())
                },
            });
        }
        if let (
            Some(entry),
            Some(ObjectAcl {
                acl: Acl::Explicit(entries),
                ..
            }),
        ) = (entry, objects.last_mut())
        {
            entries.push(entry);
        }
    }

    let rows = client
        .query(DEFAULT_ACLS_SQL, &[])
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    let mut defaults: Vec<DefaultAcl> = Vec::new();
    for row in rows {
        let owner: u32 = row.get(0);
        let schema: Option<String> = row.get(1);
        let objtype: String = row.get(2);
        let Some(object_type) = default_object_type(&objtype) else {
            continue;
        };
        let same = defaults.last().is_some_and(|d| {
            d.owner == owner && d.schema == schema && d.object_type == object_type
        });
        if !same {
            defaults.push(DefaultAcl {
                owner,
                schema,
                object_type,
                entries: Vec::new(),
            });
        }
        if let (Some(entry), Some(last)) = (
            explode(row.get(3), row.get(4), row.get(5), row.get(6)),
            defaults.last_mut(),
        ) {
            last.entries.push(entry);
        }
    }

    let role_names = client
        .query(ROLE_NAMES_SQL, &[])
        .await
        .map_err(|e| PgError::query(context(), &e))?
        .into_iter()
        .map(|row| (row.get::<_, u32>(0), row.get::<_, String>(1)))
        .collect();

    Ok(DatabaseAcls::new(
        database.to_owned(),
        major,
        objects,
        defaults,
        role_names,
    ))
}

/// `pg_default_acl.defaclobjtype` → the object type it covers.
pub fn default_object_type(objtype: &str) -> Option<ObjectType> {
    match objtype {
        "r" => Some(ObjectType::Table),
        "S" => Some(ObjectType::Sequence),
        "f" => Some(ObjectType::Function),
        "T" => Some(ObjectType::Type),
        "n" => Some(ObjectType::Schema),
        _ => None,
    }
}

fn explode(
    grantor: Option<u32>,
    grantee: Option<u32>,
    privilege: Option<String>,
    grantable: Option<bool>,
) -> Option<AclEntry> {
    Some(AclEntry {
        grantor: grantor?,
        grantee: grantee?,
        // A privilege this build does not know (a newer server's) is left out rather than
        // failing every read; it cannot be managed until it is known.
        privilege: Privilege::parse(&privilege?)?,
        grantable: grantable?,
    })
}

impl Server {
    /// Every ACL of `database` as of a moment ago: read once and shared by all callers until
    /// one of our writes invalidates it (see [`super::snapshot`]). For plans and reads only;
    /// writers read fresh under their locks with [`read_database_acls`].
    pub async fn database_acls(
        &self,
        database: &str,
        major: i32,
    ) -> Result<Arc<DatabaseAcls>, PgError> {
        self.acl_cache()
            .get_or_load(&database.to_owned(), || async {
                let client = self.client(database).await?;
                read_database_acls(&*client, database, major, None).await
            })
            .await
    }

    /// [`Server::database_acls`], or `None` when the database does not exist (any more): every
    /// privilege in it went with it, so resources read as gone and destroy has nothing to do.
    pub async fn database_acls_unless_gone(
        &self,
        database: &str,
        major: i32,
    ) -> Result<Option<Arc<DatabaseAcls>>, PgError> {
        match self.database_acls(database, major).await {
            Ok(acls) => Ok(Some(acls)),
            Err(PgError::Connect { message, .. })
                if message.contains(&format!("database \"{database}\" does not exist")) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Forgets the cached ACLs of `database`: call after every change to its privileges.
    pub fn invalidate_acls(&self, database: &str) {
        self.acl_cache().invalidate(&database.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(owner: u32, acl: Acl) -> ObjectAcl {
        ObjectAcl {
            object_type: ObjectType::Table,
            schema: Some("public".into()),
            name: "t".into(),
            column: None,
            oid: 100,
            owner,
            acl,
        }
    }

    #[test]
    fn public_is_the_keyword_in_any_case_and_every_other_grantee_is_quoted() {
        assert_eq!(grantee_sql("Public").unwrap(), "PUBLIC");
        assert_eq!(grantee_sql("public x").unwrap(), "\"public x\"");
        assert_eq!(grantee_sql("app").unwrap(), "\"app\"");
        assert!(is_public("PUBLIC") && !is_public("publicity"));
    }

    #[test]
    fn a_null_acl_means_the_owner_holds_everything_with_grant_option() {
        let t = table(10, Acl::Default);
        let held = t.held_by(10, Some(15));
        assert_eq!(held.privileges.len(), 7);
        assert_eq!(held.grantable, held.privileges);
        assert!(t.held_by(PUBLIC, Some(15)).privileges.is_empty());
        assert!(t.held_by(11, Some(15)).privileges.is_empty());
    }

    #[test]
    fn routines_and_databases_grant_public_by_default() {
        let mut f = table(10, Acl::Default);
        f.object_type = ObjectType::Function;
        assert_eq!(
            f.held_by(PUBLIC, Some(15))
                .privileges
                .into_iter()
                .collect::<Vec<_>>(),
            [Privilege::Execute]
        );
        let mut d = table(10, Acl::Default);
        d.object_type = ObjectType::Database;
        assert_eq!(d.held_by(PUBLIC, Some(15)).privileges.len(), 2);
    }

    #[test]
    fn held_privileges_are_the_union_over_grantors() {
        let e = |grantor, privilege, grantable| AclEntry {
            grantee: 20,
            grantor,
            privilege,
            grantable,
        };
        let t = table(
            10,
            Acl::Explicit(vec![
                e(10, Privilege::Select, false),
                e(30, Privilege::Select, true),
                e(10, Privilege::Insert, false),
            ]),
        );
        let held = t.held_by(20, Some(15));
        assert_eq!(held.privileges.len(), 2);
        assert_eq!(
            held.grantable.into_iter().collect::<Vec<_>>(),
            [Privilege::Select]
        );
        assert_eq!(held.grantors.into_iter().collect::<Vec<_>>(), [10, 30]);
    }

    #[test]
    fn lookups_by_name_type_and_schema() {
        let mut f = table(10, Acl::Default);
        f.object_type = ObjectType::Procedure;
        f.name = "p(integer)".into();
        let acls = DatabaseAcls::new(
            "app".into(),
            15,
            vec![table(10, Acl::Default), f],
            Vec::new(),
            HashMap::from([(10, "owner".to_string())]),
        );
        assert!(acls
            .find(ObjectType::Table, Some("public"), "t", None)
            .is_some());
        assert!(acls
            .find(ObjectType::Routine, Some("public"), "p(integer)", None)
            .is_some());
        assert!(acls
            .find(ObjectType::Function, Some("public"), "p(integer)", None)
            .is_none());
        assert_eq!(
            acls.objects_of(ObjectType::Routine, Some("public")).count(),
            1
        );
        assert_eq!(acls.role_oid("public"), Some(PUBLIC));
        assert_eq!(acls.role_oid("owner"), Some(10));
        assert_eq!(acls.role_name(99), "oid 99");
    }
}
