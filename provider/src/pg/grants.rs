//! The grant write engine: bring what ONE grantee holds on a set of objects of ONE database to
//! exactly what is desired, in one transaction.
//!
//! # API
//!
//! ```text
//! Server::apply_grants(database, &ServerInfo, grantee, &[DesiredGrant], Mode) -> Result<Applied, PgError>
//!     grantee: a role name or "PUBLIC" (any case).
//!     DesiredGrant { target: Target, privileges: BTreeSet<Privilege>, with_grant_option: bool }
//!     Target::Objects { object_type, schema, names, columns }   named objects (columns: one table)
//!     Target::AllInSchema { object_type, schema }               every such object there now
//!     Mode::Named          objects no entry names are left alone                 (dbre_grant)
//!     Mode::Authoritative  every other object the grantee holds anything on in the database
//!                          is stripped of it (system schemas, objects the grantee owns
//!                          and, for PUBLIC, types no entry covers excepted)
//!                                                                       (dbre_role_privileges)
//!     Mode::Revoke         the entries' privileges are taken away, the rest kept (destroy)
//! Server::routine_signatures(&DatabaseAcls, &[(object_type, schema, name)]) -> Result<Signatures, PgError>
//!     what users wrote (`add`, `add(int, int)`) → the signatures the snapshot uses,
//!     `add(integer, integer)`; names that match no routine (or several) are left out.
//! held_on(&DatabaseAcls, grantee_oid, &Target) -> Vec<(ObjectKey, Held)>
//!     what the grantee holds on each object a target names (named objects that are missing
//!     hold nothing), answered from a snapshot; routine names must already be signatures.
//! ```
//!
//! Several entries naming the same object add up (union of privileges; a privilege is held
//! WITH GRANT OPTION when any entry asks for it). `privileges = {}` revokes everything.
//!
//! # How a write goes
//! One transaction, retried as a whole on serialization failures, deadlocks and `tuple
//! concurrently updated` ([`retry`]): read the ACLs fresh, take advisory locks on every object
//! touched (`acl:<db>:<type>:<schema>.<name>`; `…<schema>.*` for a whole schema; sorted, see
//! [`lock_in_order`]), read again under the locks, diff per object against what the grantee
//! holds from ALL grantors, run the GRANT/REVOKE statements (objects with the same diff share
//! one statement), read again and check the result, commit, invalidate the ACL snapshot.
//!
//! - Grants made by the object's owner (or by a superuser, which PostgreSQL records as the
//!   owner) are revoked directly; grants made by a third role G are revoked as G (`SET LOCAL
//!   ROLE`), which needs membership in G.
//! - A non-superuser admin borrows membership in the owners and grantors it lacks
//!   ([`Server::borrow_role`]) for the duration, outside the transaction, and gives it back.
//!   An owner whose rights it does not inherit (a NOINHERIT login, a membership without
//!   INHERIT — borrowed ones of a NOINHERIT login included) it acts as with `SET LOCAL ROLE`,
//!   like a third grantor; PostgreSQL records the owner as grantor either way.
//! - A table-level REVOKE also revokes the grantee's column privileges granted by the same
//!   grantor (SQL spec). What the write did not mean to take is granted back as that grantor
//!   in the same transaction and checked afterwards (see `column_fallout.rs`).
//! - Revoking a privilege (or its grant option) that the grantee passed on to others is refused
//!   with the list of who depends on it — never a silent CASCADE.
//!
//! Every identifier goes through [`quote_ident`], except routines: statements name them by the
//! server's own `regprocedure` text for their oid, read in the same transaction with every name
//! schema-qualified (see [`routine_refs`] for why that is safe).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::acl::{
    grantee_sql, is_public, read_database_acls, Acl, AclEntry, DatabaseAcls, Held, ObjectAcl,
    PUBLIC,
};
use super::borrow::{self, release_all, Borrowed};
use super::column_fallout::{columns_by_table, fallout, Fallout, TableRevoke};
use super::error::PgError;
use super::privileges::{ObjectType, Privilege};
use super::quote::quote_ident;
use super::server::{Server, ServerInfo};
use super::tx::{lock_in_order, retry, Tx};

/// What an entry covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Named objects. `schema` for types that live in one (tables, sequences, routines,
    /// columns, types), `None` otherwise. Routines may be named bare (`add`, when not
    /// overloaded) or by signature in any spelling (`add(int, int)`). For `Column`: `names` is
    /// exactly one table and `columns` its columns; `columns` is empty otherwise.
    Objects {
        object_type: ObjectType,
        schema: Option<String>,
        names: Vec<String>,
        columns: Vec<String>,
    },
    /// Every object of `object_type` in `schema` at the time of the write.
    AllInSchema {
        object_type: ObjectType,
        schema: String,
    },
}

impl Target {
    pub fn object_type(&self) -> ObjectType {
        match self {
            Target::Objects { object_type, .. } | Target::AllInSchema { object_type, .. } => {
                *object_type
            }
        }
    }

    pub fn schema(&self) -> Option<&str> {
        match self {
            Target::Objects { schema, .. } => schema.as_deref(),
            Target::AllInSchema { schema, .. } => Some(schema),
        }
    }

    /// Refuses shapes no statement can express, before anything reaches the server.
    pub fn check(&self) -> Result<(), PgError> {
        let t = self.object_type();
        match self {
            Target::Objects {
                schema,
                names,
                columns,
                ..
            } => {
                if t.in_schema() && schema.as_deref().is_none_or(str::is_empty) {
                    return Err(PgError::invalid(format!("{} need a schema", t.plural())));
                }
                if !t.in_schema() && schema.is_some() {
                    return Err(PgError::invalid(format!(
                        "{} do not live in a schema",
                        t.plural()
                    )));
                }
                if t == ObjectType::Column {
                    if names.len() != 1 || columns.is_empty() {
                        return Err(PgError::invalid(
                            "column privileges name exactly one table and at least one column",
                        ));
                    }
                } else if !columns.is_empty() {
                    return Err(PgError::invalid(
                        "columns are only for object type \"column\"",
                    ));
                }
                if let Some(empty) = names.iter().chain(columns).find(|n| n.is_empty()) {
                    return Err(PgError::invalid(format!("object name {empty:?} is empty")));
                }
            }
            Target::AllInSchema { schema, .. } => {
                if !t.in_schema() || t == ObjectType::Column {
                    return Err(PgError::invalid(format!(
                        "\"every object in a schema\" does not apply to {}",
                        t.plural()
                    )));
                }
                if schema.is_empty() {
                    return Err(PgError::invalid(format!("{} need a schema", t.plural())));
                }
            }
        }
        Ok(())
    }
}

/// One entry: what the grantee should hold on what `target` covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredGrant {
    pub target: Target,
    /// The exact set (already resolved: no `ALL`); empty means "nothing".
    pub privileges: BTreeSet<Privilege>,
    pub with_grant_option: bool,
}

/// What happens to objects no entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Left alone (`dbre_grant`).
    Named,
    /// Stripped of everything the grantee holds on them, anywhere in the database outside the
    /// system schemas (`dbre_role_privileges`).
    Authoritative,
    /// The entries' privileges are what to TAKE AWAY (with their grant options) from what they
    /// cover; everything else the grantee holds stays (`dbre_grant`'s destroy: revoke exactly
    /// what the resource held). `with_grant_option` is ignored.
    Revoke,
}

/// What a write did (for messages and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// GRANT/REVOKE statements run (0: nothing to change).
    pub statements: usize,
    /// Objects whose privileges changed.
    pub objects_changed: usize,
}

/// An object as the ACL snapshot names it: (type as found, schema, name, column).
pub type ObjectKey = (ObjectType, Option<String>, String, Option<String>);

/// The key of `column` of `table`.
fn column_key_of(table: &ObjectAcl, column: &str) -> ObjectKey {
    (
        ObjectType::Column,
        table.schema.clone(),
        table.name.clone(),
        Some(column.to_owned()),
    )
}

fn key_of(o: &ObjectAcl) -> ObjectKey {
    (
        o.object_type,
        o.schema.clone(),
        o.name.clone(),
        o.column.clone(),
    )
}

/// Names one object for messages, e.g. `table "public"."orders"`.
pub fn describe(key: &ObjectKey) -> String {
    let (t, schema, name, column) = key;
    let mut s = format!("{t} ");
    if let Some(schema) = schema {
        s.push_str(&format!("{schema:?}."));
    }
    s.push_str(&format!("{name:?}"));
    if let Some(c) = column {
        s.push_str(&format!(" column {c:?}"));
    }
    s
}

/// What `grantee` holds on each object `target` names, from a snapshot. Named objects missing
/// from it hold nothing (columns without a column ACL of their own are such); routine names must
/// be signatures as the snapshot spells them (see [`Server::routine_signatures`]).
pub fn held_on(acls: &DatabaseAcls, grantee: u32, target: &Target) -> Vec<(ObjectKey, Held)> {
    covered(acls, target)
        .into_iter()
        .map(|c| match c {
            Covered::Found(o) => (key_of(o), o.held_by(grantee, Some(acls.major))),
            Covered::BareColumn(table, column) => (
                (
                    ObjectType::Column,
                    table.schema.clone(),
                    table.name.clone(),
                    Some(column.to_owned()),
                ),
                Held::default(),
            ),
            Covered::Missing(key) => (key, Held::default()),
        })
        .collect()
}

/// One object a target covers, as a snapshot has it.
enum Covered<'a> {
    Found(&'a ObjectAcl),
    /// A column with no ACL of its own (so not in the snapshot) of this table.
    BareColumn(&'a ObjectAcl, &'a str),
    /// Named by the target but not in the snapshot; for columns, one per column of the missing
    /// table.
    Missing(ObjectKey),
}

/// What `target` covers in `acls`, in its order: the one walk behind reads ([`held_on`]) and
/// writes (`plan_objects`). Routine names must already be signatures as the snapshot spells
/// them.
fn covered<'a>(acls: &'a DatabaseAcls, target: &'a Target) -> Vec<Covered<'a>> {
    let (object_type, schema, names, columns) = match target {
        Target::AllInSchema {
            object_type,
            schema,
        } => {
            return acls
                .objects_of(*object_type, Some(schema))
                .map(Covered::Found)
                .collect()
        }
        Target::Objects {
            object_type,
            schema,
            names,
            columns,
        } => (*object_type, schema, names, columns),
    };
    let mut out = Vec::new();
    for name in names {
        if object_type != ObjectType::Column {
            out.push(
                match acls.find(object_type, schema.as_deref(), name, None) {
                    Some(o) => Covered::Found(o),
                    None => Covered::Missing((object_type, schema.clone(), name.clone(), None)),
                },
            );
            continue;
        }
        let table = acls.find(ObjectType::Table, schema.as_deref(), name, None);
        for column in columns {
            let own = acls.find(ObjectType::Column, schema.as_deref(), name, Some(column));
            out.push(match (own, table) {
                (Some(o), _) => Covered::Found(o),
                (None, Some(table)) => Covered::BareColumn(table, column),
                (None, None) => Covered::Missing((
                    ObjectType::Column,
                    schema.clone(),
                    name.clone(),
                    Some(column.clone()),
                )),
            });
        }
    }
    out
}

/// The desired state of one object: privileges, and the subset WITH GRANT OPTION.
#[derive(Debug, Clone, Default)]
struct Want {
    privileges: BTreeSet<Privilege>,
    grantable: BTreeSet<Privilege>,
}

/// What a statement does; the order is the order statements run in. Each runs as a grantor
/// (`None`: the natural grantor — the owner, which is what PostgreSQL acts as for superusers
/// and members of the owner).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    RevokeGrantOption,
    Revoke,
    Grant,
    GrantWithOption,
}

/// How statements are batched: same action, same grantor, same keyword, same privileges.
type BatchKey = (Action, Option<u32>, &'static str, Vec<Privilege>);

/// Column statements are built per (action, grantor, table): privilege → columns.
type ColumnKey = (Action, Option<u32>, String);

/// The role to act as for objects owned by `oid`. `pg_database_owner` (the owner of schema
/// `public` since PostgreSQL 15) cannot be granted to anyone: its one member is the owner of
/// the current database, so acting for it means acting for that owner.
fn acting_role(acls: &DatabaseAcls, database: &str, oid: u32) -> String {
    let name = acls.role_name(oid);
    if name == "pg_database_owner" {
        if let Some(db) = acls.find(ObjectType::Database, None, database, None) {
            return acls.role_name(db.owner);
        }
    }
    name
}

/// Says, after a failed borrow, which objects needed it — a bare "acting for role postgres"
/// does not tell a user that schema `public` belongs to the database's owner.
fn explain_borrow_failure(
    err: PgError,
    role: &str,
    database: &str,
    entries: &[DesiredGrant],
) -> PgError {
    let names_public_schema = entries.iter().any(|e| match &e.target {
        Target::Objects {
            object_type: ObjectType::Schema,
            names,
            ..
        } => names.iter().any(|n| n == "public"),
        _ => false,
    });
    if !names_public_schema {
        return err;
    }
    PgError::invalid(format!(
        "{err}. Schema \"public\" is owned by pg_database_owner, that is by the owner of \
         database \"{database}\" (\"{role}\"): connect as that owner, or give the database \
         to a role the provider's login may act for (ALTER DATABASE … OWNER TO …)"
    ))
}

/// Result of one attempt: done, or roles to borrow before trying again.
enum Attempt {
    Done(Applied),
    Borrow(Vec<String>),
}

impl Server {
    /// Brings what `grantee` holds in `database` to `entries` (see the module docs). Checks
    /// every entry first; nothing is changed when one is refused.
    pub async fn apply_grants(
        &self,
        database: &str,
        info: &ServerInfo,
        grantee: &str,
        entries: &[DesiredGrant],
        mode: Mode,
    ) -> Result<Applied, PgError> {
        let major = info.major();
        check_entries(grantee, entries, major, mode)?;
        if entries.is_empty() && mode != Mode::Authoritative {
            return Ok(Applied::default());
        }
        let mut borrowed: Vec<Borrowed> = Vec::new();
        // Roles whose rights this call has made sure of (borrowed, or held for real). Never
        // trust a membership seen in the catalog without holding a reference on it: it may be
        // another task's borrow, given back in the middle of our statements.
        let mut secured: BTreeSet<String> = BTreeSet::new();
        let result = async {
            // Borrowing changes what we may do, so the attempt starts over after each
            // borrow; owners and grantors are few, so this settles in a round or two.
            for _ in 0..4 {
                let attempt = retry(|| async {
                    let tx = self.begin(database).await?;
                    match self
                        .attempt(&tx, database, info, grantee, entries, mode, &secured)
                        .await
                    {
                        Ok(Attempt::Done(applied)) => {
                            tx.commit().await?;
                            Ok(Attempt::Done(applied))
                        }
                        Ok(borrow) => {
                            tx.rollback().await;
                            Ok(borrow)
                        }
                        Err(e) => {
                            tx.rollback().await;
                            Err(e)
                        }
                    }
                })
                .await;
                // Whatever happened, our own writes (maybe committed) make the snapshot stale.
                self.invalidate_acls(database);
                match attempt? {
                    Attempt::Done(applied) => return Ok(applied),
                    Attempt::Borrow(roles) => {
                        for role in roles {
                            let lent = self
                                .borrow_role(&role)
                                .await
                                .map_err(|e| explain_borrow_failure(e, &role, database, entries))?;
                            if let Some(b) = lent {
                                borrowed.push(b);
                            }
                            secured.insert(role);
                        }
                    }
                }
            }
            Err(PgError::invalid(format!(
                "could not obtain the rights needed to change privileges of \"{grantee}\" in \
                 database \"{database}\" (the owners or grantors kept changing)"
            )))
        }
        .await;
        release_all(borrowed).await;
        result
    }

    /// One transaction's worth of work, up to (not including) the commit.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        tx: &Tx,
        database: &str,
        info: &ServerInfo,
        grantee: &str,
        entries: &[DesiredGrant],
        mode: Mode,
        secured: &BTreeSet<String>,
    ) -> Result<Attempt, PgError> {
        let major = info.major();
        let client: &tokio_postgres::Client = tx;
        let entries = resolve_routines(client, entries, mode == Mode::Revoke).await?;
        let filter = schema_filter(&entries, mode);
        let lock_prefix = format!("acl:{database}:");

        // Named objects only: the locks are known before reading. Otherwise read to learn
        // which objects there are, lock them, and read again under the locks.
        let mut keys: BTreeSet<String> = named_lock_keys(&lock_prefix, &entries);
        let needs_discovery =
            mode == Mode::Authoritative || entries.iter().any(|e| !is_named(&e.target));
        if needs_discovery {
            let first = read_database_acls(client, database, major, filter.as_deref()).await?;
            let Some(gid) = grantee_oid(&first, grantee, mode)? else {
                return Ok(Attempt::Done(Applied::default()));
            };
            let plan = plan_objects(&first, gid, &entries, mode)?;
            keys.extend(plan.keys().map(|k| lock_key(&lock_prefix, k)));
            for e in &entries {
                if let Target::AllInSchema {
                    object_type,
                    schema,
                } = &e.target
                {
                    keys.insert(format!(
                        "{lock_prefix}{}:{schema}.*",
                        lock_type(*object_type).name()
                    ));
                }
            }
        }
        let keys: Vec<String> = keys.into_iter().collect();
        lock_in_order(client, &keys).await?;

        let acls = read_database_acls(client, database, major, filter.as_deref()).await?;
        let Some(gid) = grantee_oid(&acls, grantee, mode)? else {
            return Ok(Attempt::Done(Applied::default()));
        };
        let plan = plan_objects(&acls, gid, &entries, mode)?;
        // Objects created between the two reads: lock them too (a deadlock this may cause is
        // detected by the server and retried).
        let late: Vec<String> = plan
            .keys()
            .map(|k| lock_key(&lock_prefix, k))
            .filter(|k| keys.binary_search(k).is_err())
            .collect();
        lock_in_order(client, &late).await?;

        // Compute what to run; note whose rights we need.
        let mut work: Vec<Work> = Vec::new();
        let mut needed_roles: BTreeSet<u32> = BTreeSet::new();
        for (key, (obj, want)) in &plan {
            let actions = diff(obj, gid, want, major);
            if actions.is_empty() {
                continue;
            }
            refuse_dependent_revokes(&acls, obj, gid, want, major, grantee)?;
            needed_roles.insert(obj.owner);
            needed_roles.extend(actions.iter().filter_map(|(_, g, _)| *g));
            work.push((key, obj, actions));
        }
        if work.is_empty() {
            return Ok(Attempt::Done(Applied::default()));
        }
        let changed = work.len();
        let fallout = table_fallout(&acls, gid, grantee, &plan, &work)?;

        // A non-superuser must act for the owners (and any third grantor) of what changes:
        // make sure of each (borrowing what it lacks) outside this transaction, then retry.
        // Owners whose rights it holds without inheriting them (a NOINHERIT member) it acts
        // for through SET ROLE, like a third grantor.
        let mut set_role_for: BTreeSet<u32> = BTreeSet::new();
        if !info.superuser {
            let unsecured: Vec<String> = needed_roles
                .iter()
                .filter(|oid| **oid != PUBLIC)
                .map(|oid| acting_role(&acls, database, *oid))
                .filter(|name| !secured.contains(name))
                .collect();
            if !unsecured.is_empty() {
                return Ok(Attempt::Borrow(unsecured));
            }
            set_role_for = not_inherited(client, &acls, database, &needed_roles).await?;
        }
        // The role a statement runs as: a third grantor, or the owner when its rights are not
        // inherited; `None`: the login itself, which PostgreSQL records as the owner.
        let run_as = |grantor: Option<u32>, owner: u32| match grantor {
            Some(g) if g != owner => Some(g),
            _ => set_role_for.contains(&owner).then_some(owner),
        };

        let mut batches: BTreeMap<BatchKey, Vec<String>> = BTreeMap::new();
        let mut column_work: BTreeMap<ColumnKey, BTreeMap<Privilege, Vec<String>>> =
            BTreeMap::new();
        let refs = object_refs(client, &acls, &plan).await?;
        let mut add_column =
            |action: Action, as_role: Option<u32>, table: &str, p: Privilege, col: String| {
                let cols = column_work
                    .entry((action, as_role, table.to_owned()))
                    .or_default()
                    .entry(p)
                    .or_default();
                if !cols.contains(&col) {
                    cols.push(col);
                }
            };
        for (key, obj, actions) in work {
            let target_sql = refs.get(key).cloned().unwrap_or_default();
            for (action, grantor, privileges) in actions {
                let as_role = run_as(grantor, obj.owner);
                if obj.object_type == ObjectType::Column {
                    let col = quote_ident(obj.column.as_deref().unwrap_or_default())?;
                    for p in privileges {
                        add_column(action.clone(), as_role, &target_sql, p, col.clone());
                    }
                } else {
                    batches
                        .entry((action, as_role, obj.object_type.sql_keyword(), privileges))
                        .or_default()
                        .push(target_sql.clone());
                }
            }
        }
        // Column privileges the table revokes take along but the write means to keep: granted
        // back as their grantor, after every revoke.
        for (table_key, table, f) in &fallout {
            let table_sql = refs.get(*table_key).cloned().unwrap_or_default();
            for r in &f.restores {
                let action = if r.grant_option {
                    Action::GrantWithOption
                } else {
                    Action::Grant
                };
                let as_role = run_as(Some(r.grantor), table.owner);
                add_column(
                    action,
                    as_role,
                    &table_sql,
                    r.privilege,
                    quote_ident(&r.column)?,
                );
            }
        }

        // One statement per batch, revokes first (grant options, then privileges), then grants.
        let mut statements: Vec<(Action, Option<u32>, String)> = Vec::new();
        for ((action, grantor, kw, privileges), objects) in batches {
            let privs: Vec<&str> = privileges.iter().map(|p| p.name()).collect();
            let body = format!("{} ON {kw} {}", privs.join(", "), objects.join(", "));
            statements.push((action, grantor, body));
        }
        for ((action, grantor, table), per) in column_work {
            let spec: Vec<String> = per
                .into_iter()
                .map(|(p, cols)| format!("{} ({})", p.name(), cols.join(", ")))
                .collect();
            let body = format!("{} ON TABLE {table}", spec.join(", "));
            statements.push((action, grantor, body));
        }
        statements.sort_by(|a, b| a.0.cmp(&b.0));
        let grantee_sql = grantee_sql(grantee)?;
        let statements: Vec<(Option<u32>, String)> = statements
            .into_iter()
            .map(|(action, grantor, body)| (grantor, statement(&action, &body, &grantee_sql)))
            .collect();
        let count = statements.len();
        let context = format!("changing privileges of \"{grantee}\" in database \"{database}\"");
        for (grantor, sql) in statements {
            let sql = match grantor {
                None => sql,
                Some(g) => format!(
                    "SET LOCAL ROLE {}; {sql}; RESET ROLE",
                    quote_ident(&acting_role(&acls, database, g))?
                ),
            };
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| PgError::query(context.clone(), &e))?;
        }

        // Check the outcome under the same locks: anything PostgreSQL did not do as asked
        // (a grant recorded under another grantor, a grant we could not reach) is an error
        // and the transaction is rolled back, rather than a state that drifts forever.
        let after = read_database_acls(client, database, major, filter.as_deref()).await?;
        let replan = plan_objects(&after, gid, &entries, mode)?;
        for (key, (obj, want)) in &replan {
            if !diff(obj, gid, want, major).is_empty() {
                let held = obj.held_by(gid, Some(major));
                let grantors: Vec<String> =
                    held.grantors.iter().map(|g| after.role_name(*g)).collect();
                return Err(PgError::invalid(format!(
                    "privileges of \"{grantee}\" on {} could not be brought to {}: it still \
                     holds {} (granted by {}); nothing was changed",
                    describe(key),
                    list(&want.privileges),
                    list(&held.privileges),
                    grantors.join(", ")
                )));
            }
        }
        // Columns the write does not cover still hold everything they held before (a grant
        // someone else added meanwhile is not ours to judge).
        for (_, table, f) in &fallout {
            for (column, before) in &f.kept {
                let now: BTreeSet<AclEntry> = after
                    .find(
                        ObjectType::Column,
                        table.schema.as_deref(),
                        &table.name,
                        Some(column),
                    )
                    .map(|c| c.entries(Some(major)))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| e.grantee == gid)
                    .collect();
                if !before.is_subset(&now) {
                    let key = column_key_of(table, column);
                    return Err(PgError::invalid(format!(
                        "changing the table privileges of \"{grantee}\" would change its \
                         privileges on {} (PostgreSQL revokes column privileges with table ones), \
                         and they could not be granted back; nothing was changed",
                        describe(&key)
                    )));
                }
            }
        }
        Ok(Attempt::Done(Applied {
            statements: count,
            objects_changed: changed,
        }))
    }

    /// The signatures `acls` spells (`add(integer, integer)`) for routines as users wrote them
    /// (`add`, `add(int, int)`), keyed by (object type, schema, name as written), over one
    /// connection. Names the snapshot already spells so, and names that match no routine or
    /// several (an overloaded bare name), are left out: a reader treats them as missing, and
    /// the write that follows says why.
    pub async fn routine_signatures(
        &self,
        acls: &DatabaseAcls,
        routines: &[(ObjectType, String, String)],
    ) -> Result<Signatures, PgError> {
        let mut out = Signatures::new();
        let mut client = None;
        for (object_type, schema, name) in routines {
            let (object_type, schema, name) = (*object_type, schema.as_str(), name.as_str());
            if !is_routine(object_type)
                || acls.find(object_type, Some(schema), name, None).is_some()
            {
                continue;
            }
            if client.is_none() {
                client = Some(self.client(&acls.database).await?);
            }
            let c = client.as_ref().expect("just connected");
            match routine_signature(&**c, object_type, schema, name).await {
                Ok(Some(sig)) => {
                    out.insert((object_type, schema.to_owned(), name.to_owned()), sig);
                }
                Ok(None) | Err(PgError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// (object type, schema, routine name as written) → the signature an ACL snapshot spells.
pub type Signatures = BTreeMap<(ObjectType, String, String), String>;

fn is_routine(t: ObjectType) -> bool {
    matches!(
        t,
        ObjectType::Function | ObjectType::Procedure | ObjectType::Routine
    )
}

/// The signatures (as ACL snapshots spell them, `add(integer, integer)`) of the routines named
/// `$2` in schema `$1` whose kind (`prokind`) is one of the letters in `$3`.
macro_rules! routines_named {
    () => {
        "SELECT p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = $1::text AND p.proname = $2::text \
           AND strpos($3::text, p.prokind::text) > 0"
    };
}

/// The signature the ACL snapshot uses (`add(integer, integer)`) for a routine as a user
/// wrote it: bare (`add`, which must not be overloaded) or with argument types in any
/// spelling PostgreSQL accepts (`add(int4,int)`). `Ok(None)`: no such routine (of that kind:
/// functions, procedures, or either for `Routine`).
pub async fn routine_signature<C: GenericClient + Sync>(
    client: &C,
    object_type: ObjectType,
    schema: &str,
    name: &str,
) -> Result<Option<String>, PgError> {
    let kinds = match object_type {
        ObjectType::Procedure => "p",
        ObjectType::Function => "fwa",
        _ => "fwap",
    };
    let context = || format!("looking up routine {schema:?}.{name:?}");
    // A signature: the server parses each argument type (any spelling it accepts, given to
    // to_regtype as a VALUE, never part of a statement) and we match the routines of that name
    // by their argument type oids. Reading the catalog needs no privilege on the schema
    // (to_regprocedure would need USAGE, which a managed-service admin may lack).
    if let Some((bare, args)) = split_signature(name) {
        let args = split_args(args);
        let row = client
            .query_typed(
                concat!(
                    routines_named!(),
                    " AND pg_catalog.array_to_string(p.proargtypes::pg_catalog.oid[], ',') \
                         = pg_catalog.array_to_string(ARRAY(\
                           SELECT pg_catalog.to_regtype(u.t)::pg_catalog.oid \
                           FROM unnest($4::text[]) WITH ORDINALITY AS u(t, i) ORDER BY u.i), \
                           ',', '?')"
                ),
                &[
                    (&schema, Type::TEXT),
                    (&bare, Type::TEXT),
                    (&kinds, Type::TEXT),
                    (&args, Type::TEXT_ARRAY),
                ],
            )
            .await
            .map_err(|e| PgError::query(context(), &e))?;
        if let Some(row) = row.first() {
            return Ok(Some(row.get(0)));
        }
    }
    // Bare name (or a name that merely contains parentheses).
    let rows = client
        .query_typed(
            concat!(routines_named!(), " ORDER BY 1"),
            &[
                (&schema, Type::TEXT),
                (&name, Type::TEXT),
                (&kinds, Type::TEXT),
            ],
        )
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    match rows.len() {
        0 => Ok(None),
        1 => Ok(Some(rows[0].get(0))),
        _ => {
            let all: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
            Err(PgError::invalid(format!(
                "{schema:?}.{name:?} is overloaded ({}); name one by its signature",
                all.join(", ")
            )))
        }
    }
}

/// `add(int, int)` → (`add`, `int, int`); None for names without a trailing argument list.
fn split_signature(name: &str) -> Option<(&str, &str)> {
    let open = name.find('(')?;
    let inner = name.strip_suffix(')')?.get(open + 1..)?;
    let bare = name[..open].trim_end();
    (!bare.is_empty()).then_some((bare, inner))
}

/// `int, numeric(10,2)` → [`int`, `numeric(10,2)`]: commas inside parentheses or double
/// quotes stay with their type; blank → no arguments.
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut current) = (0i32, false, String::new());
    for c in args.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() || !out.is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

fn check_entries(
    grantee: &str,
    entries: &[DesiredGrant],
    major: i32,
    mode: Mode,
) -> Result<(), PgError> {
    if grantee.is_empty() {
        return Err(PgError::invalid("the grantee must not be empty"));
    }
    let public = is_public(grantee);
    for e in entries {
        e.target.check()?;
        let t = e.target.object_type();
        let allowed = t.privileges(Some(major));
        if let Some(p) = e.privileges.iter().find(|p| !allowed.contains(p)) {
            return Err(PgError::invalid(format!(
                "{p} is not a privilege on {} on PostgreSQL {major}",
                t.plural()
            )));
        }
        if public && e.with_grant_option && !e.privileges.is_empty() && mode != Mode::Revoke {
            return Err(PgError::invalid(
                "grant options can only be granted to roles, not to PUBLIC",
            ));
        }
    }
    Ok(())
}

fn is_named(t: &Target) -> bool {
    matches!(t, Target::Objects { .. })
}

/// Routine names turned into the snapshot's signatures; a routine that does not exist is an
/// error naming it.
/// With `skip_missing` (taking away), a routine that is gone is simply left out.
async fn resolve_routines(
    client: &tokio_postgres::Client,
    entries: &[DesiredGrant],
    skip_missing: bool,
) -> Result<Vec<DesiredGrant>, PgError> {
    let mut out = entries.to_vec();
    for e in &mut out {
        if let Target::Objects {
            object_type: t @ (ObjectType::Function | ObjectType::Procedure | ObjectType::Routine),
            schema: Some(schema),
            names,
            ..
        } = &mut e.target
        {
            let mut resolved = Vec::with_capacity(names.len());
            for name in names.iter() {
                match routine_signature(client, *t, schema, name).await? {
                    Some(sig) => resolved.push(sig),
                    None if skip_missing => {}
                    None => {
                        return Err(PgError::invalid(format!(
                            "{} {schema:?}.{name:?} does not exist",
                            t.name()
                        )))
                    }
                }
            }
            *names = resolved;
        }
    }
    Ok(out)
}

/// One schema when every entry stays in it (a narrower read), else the whole database.
fn schema_filter(entries: &[DesiredGrant], mode: Mode) -> Option<String> {
    if mode == Mode::Authoritative {
        return None;
    }
    let mut schemas = BTreeSet::new();
    for e in entries {
        let t = e.target.object_type();
        match &e.target {
            _ if t.in_schema() => {
                schemas.insert(e.target.schema().unwrap_or_default().to_owned());
            }
            Target::Objects { names, .. } if t == ObjectType::Schema => {
                schemas.extend(names.iter().cloned());
            }
            // Databases, wrappers and servers are read whatever the filter says.
            _ => {}
        }
    }
    match schemas.len() {
        1 => schemas.pop_first(),
        0 if !entries.is_empty() => Some(String::new()),
        _ => None,
    }
}

/// The type objects are locked under: columns under their table (a table REVOKE also revokes
/// column privileges), functions and procedures alike.
fn lock_type(t: ObjectType) -> ObjectType {
    match t {
        ObjectType::Column => ObjectType::Table,
        ObjectType::Function | ObjectType::Procedure => ObjectType::Routine,
        t => t,
    }
}

fn lock_key(prefix: &str, (t, schema, name, _): &ObjectKey) -> String {
    match schema {
        Some(s) => format!("{prefix}{}:{s}.{name}", lock_type(*t).name()),
        None => format!("{prefix}{}:{name}", lock_type(*t).name()),
    }
}

fn named_lock_keys(prefix: &str, entries: &[DesiredGrant]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for e in entries {
        if let Target::Objects {
            object_type,
            schema,
            names,
            ..
        } = &e.target
        {
            for name in names {
                keys.insert(lock_key(
                    prefix,
                    &(*object_type, schema.clone(), name.clone(), None),
                ));
            }
        }
    }
    keys
}

/// The grantee's oid; a role that does not exist is an error, except when taking away (it
/// holds nothing any more): `None`.
fn grantee_oid(acls: &DatabaseAcls, grantee: &str, mode: Mode) -> Result<Option<u32>, PgError> {
    match acls.role_oid(grantee) {
        Some(oid) => Ok(Some(oid)),
        None if mode == Mode::Revoke => Ok(None),
        None => Err(PgError::invalid(format!(
            "role \"{grantee}\" does not exist"
        ))),
    }
}

/// Every object the write covers, with what the grantee should hold on it.
fn plan_objects(
    acls: &DatabaseAcls,
    grantee: u32,
    entries: &[DesiredGrant],
    mode: Mode,
) -> Result<BTreeMap<ObjectKey, (ObjectAcl, Want)>, PgError> {
    let mut plan: BTreeMap<ObjectKey, (ObjectAcl, Want)> = BTreeMap::new();
    for e in entries {
        let mut objects: Vec<ObjectAcl> = Vec::new();
        for c in covered(acls, &e.target) {
            match c {
                Covered::Found(o) => objects.push(o.clone()),
                Covered::BareColumn(table, column) => objects.push(ObjectAcl {
                    object_type: ObjectType::Column,
                    column: Some(column.to_owned()),
                    acl: Acl::Default,
                    ..table.clone()
                }),
                // Gone: nothing left to take away.
                Covered::Missing(_) if mode == Mode::Revoke => {}
                Covered::Missing((t, schema, name, column)) => {
                    let t = if column.is_some() {
                        ObjectType::Table
                    } else {
                        t
                    };
                    return Err(missing(t, &schema, &name));
                }
            }
        }
        if mode == Mode::Authoritative && !is_named(&e.target) {
            // Every object in a schema: the grantee's own objects are its own, not grants.
            objects.retain(|o| o.owner != grantee);
        }
        for o in objects {
            let want = &mut plan
                .entry(key_of(&o))
                .or_insert_with(|| (o.clone(), Want::default()))
                .1;
            want.privileges.extend(e.privileges.iter().copied());
            if e.with_grant_option && mode != Mode::Revoke {
                want.grantable.extend(e.privileges.iter().copied());
            }
        }
    }
    if mode == Mode::Revoke {
        for (obj, want) in plan.values_mut() {
            let held = obj.held_by(grantee, Some(acls.major));
            let take = std::mem::take(&mut want.privileges);
            want.privileges = held.privileges.difference(&take).copied().collect();
            want.grantable = held.grantable.difference(&take).copied().collect();
        }
    }
    if mode == Mode::Authoritative {
        for o in &acls.objects {
            if o.object_type == ObjectType::Type
                && grantee == PUBLIC
                && !plan.contains_key(&key_of(o))
            {
                // PUBLIC holds USAGE on every type by default: stripping it from the types it
                // does not name would break every user of them. Leave those alone.
                continue;
            }
            if o.owner == grantee && !plan.contains_key(&key_of(o)) {
                // An owner's privileges on its own objects are its own, not grants: leave
                // them alone (dbre_role_privileges reads them the same way).
                continue;
            }
            if !o.held_by(grantee, Some(acls.major)).privileges.is_empty() {
                plan.entry(key_of(o))
                    .or_insert_with(|| (o.clone(), Want::default()));
            }
        }
    }
    Ok(plan)
}

/// An object's planned statements: (action, grantor — `Some` for revokes —, privileges).
type Work<'a> = (
    &'a ObjectKey,
    &'a ObjectAcl,
    Vec<(Action, Option<u32>, Vec<Privilege>)>,
);

/// The column fallout (see [`super::column_fallout`]) of every table-level revoke in `work`:
/// per table, the column privileges to grant back and the columns to check afterwards.
fn table_fallout<'a>(
    acls: &DatabaseAcls,
    gid: u32,
    grantee: &str,
    plan: &'a BTreeMap<ObjectKey, (ObjectAcl, Want)>,
    work: &[Work<'a>],
) -> Result<Vec<(&'a ObjectKey, &'a ObjectAcl, Fallout)>, PgError> {
    let mut index = None;
    let mut out = Vec::new();
    for (key, obj, actions) in work {
        if obj.object_type != ObjectType::Table {
            continue;
        }
        let revokes: Vec<TableRevoke> = actions
            .iter()
            .filter_map(|(action, grantor, privileges)| {
                let option_only = match action {
                    Action::Revoke => false,
                    Action::RevokeGrantOption => true,
                    Action::Grant | Action::GrantWithOption => return None,
                };
                Some(TableRevoke {
                    option_only,
                    grantor: grantor.unwrap_or(obj.owner),
                    privileges: privileges.clone(),
                })
            })
            .collect();
        if revokes.is_empty() {
            continue;
        }
        let index = index.get_or_insert_with(|| columns_by_table(acls, gid));
        let Some(columns) = index.get(&(obj.schema.as_deref(), obj.name.as_str())) else {
            continue;
        };
        let f = fallout(acls, obj, columns, gid, grantee, &revokes, |column| {
            plan.get(&column_key_of(obj, column))
                .map(|(_, w)| (&w.privileges, &w.grantable))
        })?;
        if !f.restores.is_empty() || !f.kept.is_empty() {
            out.push((*key, *obj, f));
        }
    }
    Ok(out)
}

/// Of `roles` (owners and grantors, by oid), those the login is a member of without
/// inheriting their rights — a NOINHERIT login on PostgreSQL 15 (a membership it borrowed
/// included), a membership `WITH INHERIT FALSE` on 16+. It may act for them only through
/// `SET ROLE`; a GRANT as itself would be refused.
async fn not_inherited(
    client: &tokio_postgres::Client,
    acls: &DatabaseAcls,
    database: &str,
    roles: &BTreeSet<u32>,
) -> Result<BTreeSet<u32>, PgError> {
    let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for oid in roles.iter().filter(|oid| **oid != PUBLIC) {
        by_name
            .entry(acting_role(acls, database, *oid))
            .or_default()
            .push(*oid);
    }
    if by_name.is_empty() {
        return Ok(BTreeSet::new());
    }
    let names: Vec<&str> = by_name.keys().map(String::as_str).collect();
    Ok(borrow::not_inherited(client, &names)
        .await?
        .iter()
        .filter_map(|name| by_name.get(name))
        .flatten()
        .copied()
        .collect())
}

fn missing(t: ObjectType, schema: &Option<String>, name: &str) -> PgError {
    let key = (t, schema.clone(), name.to_owned(), None);
    PgError::invalid(format!("{} does not exist", describe(&key)))
}

/// The statements one object needs: (action, grantor to act as — `None` or the owner for the
/// natural grantor —, privileges).
fn diff(
    obj: &ObjectAcl,
    grantee: u32,
    want: &Want,
    major: i32,
) -> Vec<(Action, Option<u32>, Vec<Privilege>)> {
    let held = obj.held_by(grantee, Some(major));
    let mut revokes: BTreeMap<(Action, Option<u32>), BTreeSet<Privilege>> = BTreeMap::new();
    for e in obj
        .entries(Some(major))
        .iter()
        .filter(|e| e.grantee == grantee)
    {
        if !want.privileges.contains(&e.privilege) {
            revokes
                .entry((Action::Revoke, Some(e.grantor)))
                .or_default()
                .insert(e.privilege);
        } else if e.grantable && !want.grantable.contains(&e.privilege) {
            revokes
                .entry((Action::RevokeGrantOption, Some(e.grantor)))
                .or_default()
                .insert(e.privilege);
        }
    }
    let mut out: Vec<(Action, Option<u32>, Vec<Privilege>)> = revokes
        .into_iter()
        .map(|((a, g), ps)| (a, g, ps.into_iter().collect()))
        .collect();
    let (with_option, plain) = held.to_grant(&want.privileges, &want.grantable);
    if !with_option.is_empty() {
        out.push((
            Action::GrantWithOption,
            None,
            with_option.into_iter().collect(),
        ));
    }
    if !plain.is_empty() {
        out.push((Action::Grant, None, plain.into_iter().collect()));
    }
    out
}

/// Refuses to take a privilege or its grant option from a grantee who passed it on: that
/// REVOKE would need CASCADE, which would silently take it from others too.
fn refuse_dependent_revokes(
    acls: &DatabaseAcls,
    obj: &ObjectAcl,
    grantee: u32,
    want: &Want,
    major: i32,
    grantee_name: &str,
) -> Result<(), PgError> {
    if grantee == PUBLIC {
        return Ok(());
    }
    let held = obj.held_by(grantee, Some(major));
    let losing: BTreeSet<Privilege> = held
        .grantable
        .iter()
        .filter(|p| !want.grantable.contains(p))
        .copied()
        .collect();
    let dependents = acls.passed_on(&obj.entries(Some(major)), grantee, &losing);
    if dependents.is_empty() {
        return Ok(());
    }
    Err(PgError::invalid(format!(
        "cannot take {} from \"{grantee_name}\" on {}: it granted {} onward ({}). Revoke \
         those first (or keep with_grant_option); dbre does not revoke them in cascade",
        list(&losing),
        describe(&key_of(obj)),
        if dependents.len() == 1 { "it" } else { "them" },
        dependents.join(", ")
    )))
}

fn list(set: &BTreeSet<Privilege>) -> String {
    if set.is_empty() {
        return "no privileges".to_owned();
    }
    set.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

fn statement(action: &Action, body: &str, grantee: &str) -> String {
    match action {
        Action::RevokeGrantOption => format!("REVOKE GRANT OPTION FOR {body} FROM {grantee}"),
        Action::Revoke => format!("REVOKE {body} FROM {grantee}"),
        Action::Grant => format!("GRANT {body} TO {grantee}"),
        Action::GrantWithOption => format!("GRANT {body} TO {grantee} WITH GRANT OPTION"),
    }
}

/// How each planned object is written in a statement: quoted names; routines as the server
/// prints them (see [`routine_refs`]); columns as their table.
async fn object_refs(
    client: &tokio_postgres::Client,
    acls: &DatabaseAcls,
    plan: &BTreeMap<ObjectKey, (ObjectAcl, Want)>,
) -> Result<HashMap<ObjectKey, String>, PgError> {
    let routine_oids: Vec<u32> = plan
        .values()
        .filter(|(o, _)| matches!(o.object_type, ObjectType::Function | ObjectType::Procedure))
        .map(|(o, _)| o.oid)
        .collect();
    let routines = routine_refs(client, &acls.database, &routine_oids).await?;
    let mut out = HashMap::new();
    for (key, (o, _)) in plan {
        let sql = match o.object_type {
            ObjectType::Function | ObjectType::Procedure => {
                routines.get(&o.oid).cloned().ok_or_else(|| {
                    PgError::invalid(format!("{} was dropped meanwhile", describe(key)))
                })?
            }
            _ => match &o.schema {
                Some(s) => format!("{}.{}", quote_ident(s)?, quote_ident(&o.name)?),
                None => quote_ident(&o.name)?,
            },
        };
        out.insert(key.clone(), sql);
    }
    Ok(out)
}

/// Each routine as `schema.name(argtype, ...)`, the text of its oid cast to `regprocedure`.
///
/// Why splicing the server's text is safe: `regprocedure` output is the server's own rendering
/// of one catalog row, made to be parsed back (its input function is the inverse): every name
/// quoted by the server where needed. It leaves out the schema of what is visible in the search
/// path, though, and the statements may run under `SET LOCAL ROLE` (revoking as a third
/// grantor), which changes what `"$user"` in the path means. So it is read with the path pinned
/// to `pg_catalog`: every name outside it comes out schema-qualified and means the same object
/// whoever parses it. The path is put back afterwards: the transaction's other reads (routine
/// signatures in the ACL snapshot) must spell names as every other session does.
async fn routine_refs(
    client: &tokio_postgres::Client,
    database: &str,
    oids: &[u32],
) -> Result<HashMap<u32, String>, PgError> {
    if oids.is_empty() {
        return Ok(HashMap::new());
    }
    let context = || format!("reading routine signatures in database \"{database}\"");
    let saved: String = client
        .query_typed(
            "SELECT pg_catalog.current_setting('search_path'), \
                    pg_catalog.set_config('search_path', 'pg_catalog', true)",
            &[],
        )
        .await
        .map_err(|e| PgError::query(context(), &e))?[0]
        .get(0);
    let rows = client
        .query_typed(
            "SELECT p.oid, p.oid::pg_catalog.regprocedure::pg_catalog.text \
             FROM pg_catalog.pg_proc p WHERE p.oid = ANY($1::pg_catalog.oid[])",
            &[(&oids, Type::OID_ARRAY)],
        )
        .await;
    client
        .query_typed(
            "SELECT pg_catalog.set_config('search_path', $1::pg_catalog.text, true)",
            &[(&saved, Type::TEXT)],
        )
        .await
        .map_err(|e| PgError::query(context(), &e))?;
    let rows = rows.map_err(|e| PgError::query(context(), &e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::acl::AclEntry;

    fn table(acl: Acl) -> ObjectAcl {
        ObjectAcl {
            object_type: ObjectType::Table,
            schema: Some("public".into()),
            name: "t".into(),
            column: None,
            oid: 100,
            owner: 10,
            acl,
        }
    }

    fn entry(grantee: u32, grantor: u32, privilege: Privilege, grantable: bool) -> AclEntry {
        AclEntry {
            grantee,
            grantor,
            privilege,
            grantable,
        }
    }

    fn want(ps: &[Privilege], grantable: &[Privilege]) -> Want {
        Want {
            privileges: ps.iter().copied().collect(),
            grantable: grantable.iter().copied().collect(),
        }
    }

    #[test]
    fn grants_what_is_missing_and_revokes_extras_from_every_grantor() {
        use Privilege::*;
        let t = table(Acl::Explicit(vec![
            entry(20, 10, Select, false),
            entry(20, 10, Delete, false),
            entry(20, 30, Delete, true),
        ]));
        let d = diff(&t, 20, &want(&[Select, Insert], &[]), 15);
        assert_eq!(
            d,
            vec![
                (Action::Revoke, Some(10), vec![Delete]),
                (Action::Revoke, Some(30), vec![Delete]),
                (Action::Grant, None, vec![Insert]),
            ]
        );
        assert!(diff(&t, 20, &want(&[Select, Delete], &[]), 15)
            .iter()
            .all(|(a, g, _)| *a == Action::RevokeGrantOption && *g == Some(30)));
    }

    #[test]
    fn grant_option_is_added_and_taken() {
        use Privilege::*;
        let t = table(Acl::Explicit(vec![entry(20, 10, Select, false)]));
        assert_eq!(
            diff(&t, 20, &want(&[Select], &[Select]), 15),
            vec![(Action::GrantWithOption, None, vec![Select])]
        );
        assert!(diff(&t, 20, &want(&[Select], &[]), 15).is_empty());
    }

    #[test]
    fn dependent_grants_are_refused_not_cascaded() {
        use Privilege::*;
        let t = table(Acl::Explicit(vec![
            entry(20, 10, Select, true),
            entry(21, 20, Select, false),
        ]));
        let acls = DatabaseAcls::new(
            "app".into(),
            15,
            vec![t.clone()],
            Vec::new(),
            HashMap::from([(20, "mid".to_string()), (21, "leaf".to_string())]),
        );
        let err = refuse_dependent_revokes(&acls, &t, 20, &want(&[Select], &[]), 15, "mid")
            .unwrap_err()
            .to_string();
        assert!(err.contains("SELECT to leaf"), "{err}");
        assert!(
            refuse_dependent_revokes(&acls, &t, 20, &want(&[Select], &[Select]), 15, "mid").is_ok()
        );
    }

    /// Authoritative mode strips a role's grants on types no entry names, but never PUBLIC's
    /// default USAGE (every type has it: stripping it would break every user of the type).
    #[test]
    fn authoritative_mode_leaves_publics_types_alone_not_a_roles() {
        let ty = |name: &str, acl: Acl| ObjectAcl {
            object_type: ObjectType::Type,
            name: name.into(),
            ..table(acl)
        };
        let acls = DatabaseAcls::new(
            "app".into(),
            15,
            vec![
                ty("by_default", Acl::Default),
                ty(
                    "granted",
                    Acl::Explicit(vec![
                        entry(10, 10, Privilege::Usage, false),
                        entry(PUBLIC, 10, Privilege::Usage, false),
                        entry(20, 10, Privilege::Usage, false),
                    ]),
                ),
            ],
            Vec::new(),
            HashMap::from([(10, "owner".to_string()), (20, "r".to_string())]),
        );
        let planned = |grantee| {
            plan_objects(&acls, grantee, &[], Mode::Authoritative)
                .unwrap()
                .into_keys()
                .map(|(_, _, name, _)| name)
                .collect::<Vec<_>>()
        };
        assert_eq!(planned(20), ["granted"]);
        assert!(planned(PUBLIC).is_empty());
    }

    #[test]
    fn signatures_split_at_the_argument_list() {
        assert_eq!(split_signature("add(int, int)"), Some(("add", "int, int")));
        assert_eq!(split_signature("f()"), Some(("f", "")));
        assert_eq!(split_signature("add"), None);
        assert_eq!(split_signature("(x)"), None);
        assert_eq!(split_args(" int , numeric(10,2)"), ["int", "numeric(10,2)"]);
        assert_eq!(split_args("\"a,b\"[], text"), ["\"a,b\"[]", "text"]);
        assert!(split_args(" ").is_empty());
    }

    #[test]
    fn targets_are_checked() {
        let cols = Target::Objects {
            object_type: ObjectType::Column,
            schema: Some("s".into()),
            names: vec!["a".into(), "b".into()],
            columns: vec!["c".into()],
        };
        assert!(cols.check().is_err());
        let no_schema = Target::Objects {
            object_type: ObjectType::Table,
            schema: None,
            names: vec!["a".into()],
            columns: vec![],
        };
        assert!(no_schema.check().is_err());
        let all_db = Target::AllInSchema {
            object_type: ObjectType::Database,
            schema: "s".into(),
        };
        assert!(all_db.check().is_err());
    }

    fn assert_send<T: Send>(_: &T) {}

    /// The plugin runs engine calls in spawned tasks: the futures must be `Send`.
    #[allow(dead_code)]
    fn futures_are_send(server: Server, info: ServerInfo, acls: DatabaseAcls) {
        assert_send(&server.apply_grants("db", &info, "r", &[], Mode::Named));
        assert_send(&server.routine_signatures(&acls, &[]));
        assert_send(&server.borrow_role("r"));
    }

    #[test]
    fn lock_keys_put_columns_under_their_table() {
        let k = lock_key(
            "acl:app:",
            &(
                ObjectType::Column,
                Some("s".into()),
                "t".into(),
                Some("c".into()),
            ),
        );
        assert_eq!(k, "acl:app:table:s.t");
        let k = lock_key(
            "acl:app:",
            &(ObjectType::Database, None, "app".into(), None),
        );
        assert_eq!(k, "acl:app:database:app");
    }
}
