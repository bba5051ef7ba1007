//! `dbre_role_privileges`: everything one role (or PUBLIC) holds in one database, as one
//! resource with a list of `grant` blocks — the answer to the state explosion of one resource
//! per (schema, object type, role).
//!
//! Authoritative: after apply, the role's privileges in the database (outside the system
//! schemas; the objects the role owns left alone, also by blocks that cover every object of a
//! schema) are exactly the union of the blocks. One exception for PUBLIC: it holds USAGE on
//! every type by default, so its resource manages only the types a `type` block covers — one
//! that stripped every type it does not name would break every user of them.
//! Reads answer from the database's ACL snapshot (one catalog query for every resource
//! refreshed in the same walk) and show drift in the plan as Terraform already shows lists:
//! - a block whose privileges are no longer all held on every object it covers reads with the
//!   privileges that are (so the plan shows the missing ones being added), and a named object
//!   that no longer exists drops out of `objects`;
//! - privileges held beyond the blocks read as EXTRA blocks at the end of the list, grouped by
//!   object type, schema, privileges and grant option — the plan shows them being removed.
//!
//! Writes go through the grant engine (`Server::apply_grants`, `Mode::Authoritative`): one
//! transaction for the whole role, locks in a stable order, exact sets over all grantors.

mod drift;

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::grant_attrs::{self, is_public, resolve_at, OBJECT_TYPES};
use super::import_id;
use super::pg_errors::{diagnostic, pg_diag};
use super::Ctx;
use crate::pg::grants::{self, DesiredGrant, Mode, Target};
use crate::pg::privileges::{ObjectType, Privilege};
use crate::pg::{PgError, ServerInfo};
use crate::tf::{
    validators, ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics,
    Nesting, PlanContext, Resource, Schema, Type, Value,
};

#[derive(Debug, Default)]
pub struct RolePrivilegesResource;

pub fn schema() -> Schema {
    let names = || Type::list(Type::String);
    Schema::new(
        0,
        Block::new()
            .description(
                "Every privilege one role (or PUBLIC) holds in one database, as a list of grant \
                 blocks. Authoritative: privileges the role holds that no block lists are \
                 revoked (outside the system schemas; the objects the role owns, and for \
                 PUBLIC the types no block covers, are left alone). Import id: \"<database>/<role>\" (write %2F for a \"/\", %2C for \
                 a \",\" and %25 for a \"%\" inside a name, as every dbre import id).",
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("\"<database>/<role>\", as the import id."),
            )
            .attribute(
                Attribute::string("database")
                    .required()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description("The database."),
            )
            .attribute(
                Attribute::string("role")
                    .required()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description("The role, exactly as named, or \"PUBLIC\"."),
            )
            .block(
                "grant",
                Nesting::List,
                Block::new()
                    .description("Privileges on objects of one type.")
                    .attribute(
                        Attribute::string("object_type")
                            .required()
                            .validate(validators::one_of(OBJECT_TYPES))
                            .description(
                                "database, schema, table, sequence, function, procedure, \
                                 routine, foreign_data_wrapper, foreign_server, column or type \
                                 (also domains).",
                            ),
                    )
                    .attribute(Attribute::string("schema").optional().description(
                        "The schema, for object types that live in one (table, sequence, \
                         function, procedure, routine, column, type).",
                    ))
                    .attribute(Attribute::new("objects", names()).optional().description(
                        "The objects' names; empty or left out: every object of the type in \
                         the schema, now and whenever read later (the database itself for \
                         object_type database). Routines by name when not overloaded, or by \
                         signature, e.g. \"add(int, int)\". Column: exactly one table.",
                    ))
                    .attribute(
                        Attribute::new("columns", names())
                            .optional()
                            .description("For object_type column: the table's columns."),
                    )
                    .attribute(
                        Attribute::new("privileges", names())
                            .required()
                            .description(
                                "The privileges, e.g. [\"SELECT\", \"INSERT\"]; \"ALL\" is every \
                         privilege of the type on this server.",
                            ),
                    )
                    .attribute(
                        Attribute::bool("with_grant_option")
                            .default(false)
                            .description("Held WITH GRANT OPTION. Default false."),
                    ),
            ),
    )
}

/// One grant block, checked and resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub object_type: ObjectType,
    pub schema: Option<String>,
    /// As written; empty: every object of the type in the schema.
    pub objects: Vec<String>,
    pub columns: Vec<String>,
    pub privileges: BTreeSet<Privilege>,
    pub with_grant_option: bool,
}

impl Entry {
    /// The engine's target for this entry in `database`.
    pub fn target(&self, database: &str) -> Target {
        match (self.object_type, self.objects.is_empty()) {
            (ObjectType::Database, true) => Target::Objects {
                object_type: ObjectType::Database,
                schema: None,
                names: vec![database.to_owned()],
                columns: Vec::new(),
            },
            (t, true) => Target::AllInSchema {
                object_type: t,
                schema: self.schema.clone().unwrap_or_default(),
            },
            (t, false) => Target::Objects {
                object_type: t,
                schema: self.schema.clone(),
                names: self.objects.clone(),
                columns: self.columns.clone(),
            },
        }
    }

    fn desired(&self, database: &str) -> DesiredGrant {
        DesiredGrant {
            target: self.target(database),
            privileges: self.privileges.clone(),
            with_grant_option: self.with_grant_option,
        }
    }
}

/// An optional list of names (null: none); `None` when not wholly known.
pub(crate) fn strings(v: &Value) -> Option<Vec<String>> {
    if v.is_null() {
        Some(Vec::new())
    } else {
        grant_attrs::names(v)
    }
}

/// Checks one block (which may hold unknowns: what is unknown is checked at apply) and, when it
/// is wholly known and valid, resolves it. `major`: the server's version, `None` when unknown.
pub fn check_block(
    block: &Value,
    path: &AttrPath,
    database: Option<&str>,
    public: bool,
    major: Option<i32>,
    diags: &mut Diagnostics,
) -> Option<Entry> {
    let errors_before = diags.0.len();
    let mut error = |attr: &str, summary: &str, detail: String| {
        diags.error_at(path.then_attr(attr), summary, detail);
    };
    let object_type = block
        .attr("object_type")
        .as_str()
        .and_then(ObjectType::parse)
        .filter(|t| OBJECT_TYPES.contains(&t.name()))?;
    let schema = block.attr("schema");
    let objects = block.attr("objects");
    let columns = block.attr("columns");
    if !schema.is_unknown() {
        match (object_type.in_schema(), schema.as_str()) {
            (true, None) => error(
                "schema",
                "Missing schema",
                format!("{} live in a schema; set schema.", object_type.plural()),
            ),
            (true, Some("")) => error("schema", "Empty schema", "schema must not be empty.".into()),
            (false, Some(_)) => error(
                "schema",
                "Schema not applicable",
                format!(
                    "{} do not live in a schema; leave schema out.",
                    object_type.plural()
                ),
            ),
            _ => {}
        }
    }
    let object_names = if objects.is_wholly_known() {
        strings(objects)
    } else {
        None
    };
    if let Some(names) = &object_names {
        if let Some(i) = names.iter().position(String::is_empty) {
            diags.error_at(
                path.then_attr("objects").then_index(i),
                "Empty object name",
                "Object names must not be empty.",
            );
        }
        match object_type {
            ObjectType::Column if names.len() != 1 => diags.error_at(
                path.then_attr("objects"),
                "One table for column privileges",
                "object_type column names exactly one table in objects, and its columns in \
                 columns.",
            ),
            ObjectType::Schema | ObjectType::ForeignDataWrapper | ObjectType::ForeignServer
                if names.is_empty() =>
            {
                diags.error_at(
                    path.then_attr("objects"),
                    "Objects required",
                    format!("Name the {} in objects.", object_type.plural()),
                )
            }
            ObjectType::Database => {
                if let (Some(db), Some(other)) = (
                    database,
                    names.iter().find(|n| Some(n.as_str()) != database),
                ) {
                    diags.error_at(
                        path.then_attr("objects"),
                        "Another database",
                        format!(
                            "This resource manages privileges in database {db:?}; {other:?} \
                             is another database. Leave objects empty for this one."
                        ),
                    )
                }
            }
            _ => {}
        }
    }
    let column_names = if columns.is_wholly_known() {
        strings(columns)
    } else {
        None
    };
    if let Some(cols) = &column_names {
        match (object_type == ObjectType::Column, cols.is_empty()) {
            (true, true) => diags.error_at(
                path.then_attr("columns"),
                "Columns required",
                "object_type column needs the columns in columns.",
            ),
            (false, false) => diags.error_at(
                path.then_attr("columns"),
                "Columns not applicable",
                "columns is only for object_type column.",
            ),
            _ => {}
        }
        if let Some(i) = cols.iter().position(String::is_empty) {
            diags.error_at(
                path.then_attr("columns").then_index(i),
                "Empty column name",
                "Column names must not be empty.",
            );
        }
    }
    let mut privileges = None;
    let list = block.attr("privileges");
    if list.is_wholly_known() && !list.is_null() {
        match resolve_at(list, object_type, major, &path.then_attr("privileges")) {
            Ok(set) => privileges = Some(set),
            Err(d) => diags.push(d),
        }
    }
    let with_grant_option = block.attr("with_grant_option").as_bool().unwrap_or(false);
    if public && with_grant_option && privileges.as_ref().is_some_and(|p| !p.is_empty()) {
        diags.error_at(
            path.then_attr("with_grant_option"),
            "No grant option for PUBLIC",
            "PostgreSQL grants grant options only to roles, not to PUBLIC.",
        );
    }
    if diags.0.len() > errors_before {
        return None;
    }
    Some(Entry {
        object_type,
        schema: schema.as_str().map(str::to_owned),
        objects: object_names?,
        columns: column_names?,
        privileges: privileges?,
        with_grant_option,
    })
}

/// Every block of `value`, checked; `None` when any is invalid or not wholly known.
fn entries_of(value: &Value, major: Option<i32>, diags: &mut Diagnostics) -> Option<Vec<Entry>> {
    let database = value.attr("database").as_str();
    let public = is_public(value.attr("role"));
    let blocks = value.attr("grant").as_elements().unwrap_or_default();
    let mut out = Vec::new();
    let mut complete = true;
    for (i, block) in blocks.iter().enumerate() {
        let path = AttrPath::attr("grant").then_index(i);
        match check_block(block, &path, database, public, major, diags) {
            Some(e) => out.push(e),
            None => complete = false,
        }
    }
    complete.then_some(out)
}

/// `"<database>/<role>"`.
fn id_of(database: &str, role: &str) -> String {
    import_id::encode(&[import_id::escape(database), import_id::escape(role)])
}

#[async_trait]
impl Resource<Ctx> for RolePrivilegesResource {
    fn type_name(&self) -> &'static str {
        "dbre_role_privileges"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        entries_of(config, None, &mut diags);
        diags
    }

    /// Checks every block again with the server's version (MAINTAIN, `ALL`), at its path.
    async fn plan(&self, meta: &Ctx, plan: &mut PlanContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if plan.planned.is_null() {
            return diags;
        }
        let major = meta.server_info.as_ref().map(ServerInfo::major);
        entries_of(&plan.config, major, &mut diags);
        if plan.is_create() {
            if let (Some(db), Some(role)) = (
                plan.config.attr("database").as_str(),
                plan.config.attr("role").as_str(),
            ) {
                plan.planned.set_attr("id", Value::from(id_of(db, role)));
            }
        }
        diags
    }

    async fn read(&self, meta: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Ok(server) = meta.server() else {
            return Ok(Some(state.clone()));
        };
        let info = meta.info()?;
        let (Some(database), Some(role)) =
            (state.attr("database").as_str(), state.attr("role").as_str())
        else {
            return Ok(None);
        };
        let Some(acls) = server
            .database_acls_unless_gone(database, info.major())
            .await
            .map_err(pg_diag)?
        else {
            return Ok(None); // the database is gone, and with it every privilege in it
        };
        let Some(grantee) = acls.role_oid(role) else {
            return Ok(None); // the role is gone, and with it everything it held
        };
        let blocks = state.attr("grant").as_elements().unwrap_or_default();
        let signatures = drift::routine_signatures(server, &acls, blocks)
            .await
            .map_err(pg_diag)?;
        let grant = drift::read_blocks(&acls, grantee, database, blocks, &signatures);
        let mut out = state.clone();
        out.set_attr("id", Value::from(id_of(database, role)));
        out.set_attr("grant", Value::List(grant));
        Ok(Some(schema().block.complete(out)))
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        write(meta, &request.planned).await
    }

    /// One transaction: a failure commits nothing, and the framework keeps the prior state.
    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        write(meta, &request.planned).await
    }

    /// Revokes everything the role holds in the database (but what it owns).
    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        let prior = &request.prior;
        let (Some(database), Some(role)) =
            (prior.attr("database").as_str(), prior.attr("role").as_str())
        else {
            return Diagnostics::new();
        };
        let (server, info) = match meta.server().and_then(|s| Ok((s, meta.info()?))) {
            Ok(v) => v,
            Err(d) => return d,
        };
        // A role that is gone holds nothing (asked fresh: the snapshot may predate a DROP).
        server.invalidate_acls(database);
        match server
            .database_acls_unless_gone(database, info.major())
            .await
        {
            Ok(None) => return Diagnostics::new(), // the database is gone
            Ok(Some(acls)) if acls.role_oid(role).is_none() => return Diagnostics::new(),
            Err(e) => return pg_diag(e),
            Ok(Some(_)) => {}
        }
        match server
            .apply_grants(database, info, role, &[], Mode::Authoritative)
            .await
        {
            Ok(_) => Diagnostics::new(),
            Err(e) => pg_diag(e),
        }
    }

    async fn import(&self, meta: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let fields = import_id::decode(id, 2, 2, "<database>/<role>")
            .map_err(|m| Diagnostics::from(Diagnostic::error("Invalid import id", m)))?;
        let field = |i: usize| {
            fields
                .name(i)
                .map_err(|m| Diagnostics::from(Diagnostic::error("Invalid import id", m)))
        };
        let (database, role) = (field(0)?, field(1)?);
        let server = meta.server()?;
        let info = meta.info()?;
        let acls = server
            .database_acls(&database, info.major())
            .await
            .map_err(pg_diag)?;
        if acls.role_oid(&role).is_none() {
            return Err(Diagnostic::error(
                "Role not found",
                format!("There is no role named {role:?} (names are exact, case included)."),
            )
            .into());
        }
        Ok(schema().block.complete(Value::object([
            ("id", Value::from(id_of(&database, &role))),
            ("database", Value::from(database)),
            ("role", Value::from(role)),
        ])))
    }
}

/// Create and update: bring the role's privileges to the planned blocks in one transaction.
async fn write(meta: &Ctx, planned: &Value) -> ApplyResult {
    let (server, info) = match meta.server().and_then(|s| Ok((s, meta.info()?))) {
        Ok(v) => v,
        Err(d) => return ApplyResult::failed(d),
    };
    let mut diags = Diagnostics::new();
    let Some(entries) = entries_of(planned, Some(info.major()), &mut diags) else {
        return ApplyResult::failed(diags);
    };
    let (database, role) = (
        planned.attr("database").as_str().unwrap_or_default(),
        planned.attr("role").as_str().unwrap_or_default(),
    );
    let desired: Vec<DesiredGrant> = entries.iter().map(|e| e.desired(database)).collect();
    match server
        .apply_grants(database, info, role, &desired, Mode::Authoritative)
        .await
    {
        Ok(_) => {
            let mut state = planned.clone();
            state.set_attr("id", Value::from(id_of(database, role)));
            ApplyResult::ok(state)
        }
        Err(e) => ApplyResult::failed(diagnostic(&e, apply_path(&e, &entries))),
    }
}

/// The attribute an apply-time error is about, when it names one: the role, or the `objects`
/// of the first block naming an object that does not exist (the engine's message names it as
/// [`grants::describe`] does).
fn apply_path(err: &PgError, entries: &[Entry]) -> Option<AttrPath> {
    let PgError::Invalid(message) = err else {
        return None;
    };
    let what = message.strip_suffix(" does not exist")?;
    if what.starts_with("role \"") {
        return Some(AttrPath::attr("role"));
    }
    let names_it = |e: &Entry| {
        let t = match e.object_type {
            ObjectType::Column => ObjectType::Table,
            t => t,
        };
        e.objects
            .iter()
            .any(|name| what == grants::describe(&(t, e.schema.clone(), name.clone(), None)))
    };
    let i = entries.iter().position(names_it)?;
    Some(AttrPath::attr("grant").then_index(i).then_attr("objects"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table block in schema `s` (the drift tests use it too).
    pub(super) fn block(objects: &[&str], privileges: &[&str], wgo: bool) -> Value {
        let list = |v: &[&str]| Value::List(v.iter().map(|s| Value::from(*s)).collect());
        Value::object([
            ("object_type", Value::from("table")),
            ("schema", Value::from("s")),
            ("objects", list(objects)),
            ("columns", Value::Null),
            ("privileges", list(privileges)),
            ("with_grant_option", Value::Bool(wgo)),
        ])
    }

    #[test]
    fn ids_round_trip_odd_names() {
        for (db, role) in [
            ("app", "app_rw"),
            ("a/b", "odd \"role\"/@x,y%z"),
            ("日本", "PUBLIC"),
        ] {
            let id = id_of(db, role);
            let f = import_id::decode(&id, 2, 2, "database/role").unwrap();
            assert_eq!(
                (f.name(0).unwrap(), f.name(1).unwrap()),
                (db.into(), role.into())
            );
        }
    }

    #[test]
    fn blocks_are_checked_at_their_paths() {
        let mut diags = Diagnostics::new();
        let mut b = block(&["t1"], &["SELECT", "EXECUTE"], false);
        b.set_attr("schema", Value::Null);
        let path = AttrPath::attr("grant").then_index(2);
        assert!(check_block(&b, &path, Some("db"), false, Some(15), &mut diags).is_none());
        let paths: Vec<String> = diags
            .0
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["grant[2].schema", "grant[2].privileges[1]"]);

        let mut diags = Diagnostics::new();
        let mut c = block(&["t1", "t2"], &["SELECT"], false);
        c.set_attr("object_type", Value::from("column"));
        assert!(check_block(&c, &path, Some("db"), false, Some(15), &mut diags).is_none());
        let paths: Vec<String> = diags
            .0
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["grant[2].objects", "grant[2].columns"]);
    }

    #[test]
    fn apply_errors_point_at_the_block_naming_the_missing_object() {
        let mut diags = Diagnostics::new();
        let path = AttrPath::root();
        let entries: Vec<Entry> = [
            block(&["t1"], &["SELECT"], false),
            block(&["t/2"], &["SELECT"], false),
        ]
        .iter()
        .map(|b| check_block(b, &path, Some("db"), false, Some(15), &mut diags).unwrap())
        .collect();
        let at = |m: &str| apply_path(&PgError::invalid(m), &entries).map(|p| p.to_string());
        assert_eq!(
            at("table \"s\".\"t/2\" does not exist").as_deref(),
            Some("grant[1].objects")
        );
        assert_eq!(at("role \"r\" does not exist").as_deref(), Some("role"));
        assert_eq!(at("table \"s\".\"t3\" does not exist"), None);
    }
}
