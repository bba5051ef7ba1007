//! `dbre_role_privileges`: everything one role (or PUBLIC) holds in one database, as one
//! resource with a list of `grant` blocks — the answer to the state explosion of one resource
//! per (schema, object type, role).
//!
//! Authoritative: after apply, the role's privileges in the database (outside the system
//! schemas; types and the objects the role owns left alone, also by blocks that cover every
//! object of a schema) are exactly the union of the blocks.
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

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::import_id;
use super::pg_errors::diagnostic;
use super::Ctx;
use crate::pg::acl::DatabaseAcls;
use crate::pg::grants::{self, held_on, DesiredGrant, Mode, Target};
use crate::pg::privileges::{self, ObjectType, Privilege};
use crate::pg::{Held, PgError, Server, ServerInfo};
use crate::tf::{
    validators, ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics,
    Nesting, PlanContext, Resource, Schema, Type, Value,
};

#[derive(Debug, Default)]
pub struct RolePrivilegesResource;

/// The object types a block may name (types are not managed by dbre).
const OBJECT_TYPES: &[&str] = &[
    "database",
    "schema",
    "table",
    "sequence",
    "function",
    "procedure",
    "routine",
    "foreign_data_wrapper",
    "foreign_server",
    "column",
];

pub fn schema() -> Schema {
    let names = || Type::list(Type::String);
    Schema::new(
        0,
        Block::new()
            .description(
                "Every privilege one role (or PUBLIC) holds in one database, as a list of grant \
                 blocks. Authoritative: privileges the role holds that no block lists are \
                 revoked (outside the system schemas; types and the objects the role owns are \
                 left alone). Import id: \"<database>/<role>\" (write %2F for a \"/\" and %25 \
                 for a \"%\" inside a name).",
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
                                 routine, foreign_data_wrapper, foreign_server or column.",
                            ),
                    )
                    .attribute(Attribute::string("schema").optional().description(
                        "The schema, for object types that live in one (table, sequence, \
                         function, procedure, routine, column).",
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

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Null => Some(Vec::new()),
        v => v
            .as_elements()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect(),
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
    if let Some(names) = block
        .attr("privileges")
        .is_wholly_known()
        .then(|| strings(block.attr("privileges")))
        .flatten()
    {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        match privileges::resolve(&refs, object_type, major) {
            Ok(set) => privileges = Some(set),
            Err((i, message)) => diags.error_at(
                path.then_attr("privileges").then_index(i),
                "Invalid privilege",
                message,
            ),
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
    let public = value
        .attr("role")
        .as_str()
        .is_some_and(|r| r.eq_ignore_ascii_case("public"));
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
        let info = server_info(meta)?;
        let (Some(database), Some(role)) =
            (state.attr("database").as_str(), state.attr("role").as_str())
        else {
            return Ok(None);
        };
        let acls = server
            .database_acls(database, info.major())
            .await
            .map_err(pg_diag)?;
        let Some(grantee) = acls.role_oid(role) else {
            return Ok(None); // the role is gone, and with it everything it held
        };
        let blocks = state.attr("grant").as_elements().unwrap_or_default();
        let signatures = routine_signatures(server, database, &acls, blocks)
            .await
            .map_err(pg_diag)?;
        let grant = read_blocks(&acls, grantee, database, blocks, &signatures);
        let mut out = state.clone();
        out.set_attr("id", Value::from(id_of(database, role)));
        out.set_attr("grant", Value::List(grant));
        Ok(Some(schema().block.complete(out)))
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        write(meta, &request.planned).await
    }

    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        match write(meta, &request.planned).await {
            r if r.diagnostics.has_errors() => {
                // Nothing was committed (one transaction): the prior state still stands.
                ApplyResult::partial(request.prior, r.diagnostics)
            }
            r => r,
        }
    }

    /// Revokes everything the role holds in the database (but what it owns).
    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        let prior = &request.prior;
        let (Some(database), Some(role)) =
            (prior.attr("database").as_str(), prior.attr("role").as_str())
        else {
            return Diagnostics::new();
        };
        let (server, info) = match meta.server().and_then(|s| Ok((s, server_info(meta)?))) {
            Ok(v) => v,
            Err(d) => return d,
        };
        // A role that is gone holds nothing (asked fresh: the snapshot may predate a DROP).
        server.invalidate_acls(database);
        match server.database_acls(database, info.major()).await {
            Ok(acls) if acls.role_oid(role).is_none() => return Diagnostics::new(),
            Err(e) => return pg_diag(e),
            Ok(_) => {}
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
        let info = server_info(meta)?;
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

fn server_info(meta: &Ctx) -> Result<&ServerInfo, Diagnostics> {
    meta.server_info.as_ref().ok_or_else(|| {
        Diagnostic::error(
            "PostgreSQL not configured",
            "The provider has not connected to PostgreSQL yet.",
        )
        .into()
    })
}

fn pg_diag(err: PgError) -> Diagnostics {
    diagnostic(&err, None).into()
}

/// Create and update: bring the role's privileges to the planned blocks in one transaction.
async fn write(meta: &Ctx, planned: &Value) -> ApplyResult {
    let (server, info) = match meta.server().and_then(|s| Ok((s, server_info(meta)?))) {
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
        Err(e) => ApplyResult::failed(diagnostic(&e, None)),
    }
}

/// (object type, schema, name as written) → the snapshot's signature, for routine names the
/// snapshot does not spell the same way (`add`, `add(int, int)`); one lookup per such name.
type Signatures = BTreeMap<(ObjectType, String, String), String>;

async fn routine_signatures(
    server: &Server,
    database: &str,
    acls: &DatabaseAcls,
    blocks: &[Value],
) -> Result<Signatures, PgError> {
    let mut out = Signatures::new();
    let mut client = None;
    for block in blocks {
        let Some(t) = block
            .attr("object_type")
            .as_str()
            .and_then(ObjectType::parse)
        else {
            continue;
        };
        if !matches!(
            t,
            ObjectType::Function | ObjectType::Procedure | ObjectType::Routine
        ) {
            continue;
        }
        let Some(schema) = block.attr("schema").as_str() else {
            continue;
        };
        for name in strings(block.attr("objects")).unwrap_or_default() {
            if acls.find(t, Some(schema), &name, None).is_some() {
                continue;
            }
            if client.is_none() {
                client = Some(server.client(database).await?);
            }
            let c = client.as_ref().expect("just connected");
            // A name that matches nothing (or several) reads as missing: the plan then shows it.
            if let Ok(Some(sig)) = grants::routine_signature(&**c, t, schema, &name).await {
                out.insert((t, schema.to_owned(), name), sig);
            }
        }
    }
    Ok(out)
}

/// The `grant` blocks as the database has them, given the blocks in state (see the module
/// docs): each block kept as it is while everything it asks for is held; otherwise read with
/// what is held (privileges held on every object it covers; objects that still exist); then
/// one extra block per group of privileges held beyond all blocks.
pub fn read_blocks(
    acls: &DatabaseAcls,
    grantee: u32,
    database: &str,
    blocks: &[Value],
    signatures: &Signatures,
) -> Vec<Value> {
    let major = Some(acls.major);
    // What the blocks claim, per object.
    let mut claimed: BTreeMap<grants::ObjectKey, Held> = BTreeMap::new();
    let mut out = Vec::new();
    for block in blocks {
        let mut ignored = Diagnostics::new();
        let Some(entry) = check_block(
            block,
            &AttrPath::root(),
            Some(database),
            grantee == crate::pg::PUBLIC,
            major,
            &mut ignored,
        ) else {
            out.push(block.clone()); // not ours to judge here; plan reports it
            continue;
        };
        let schema = entry.schema.clone().unwrap_or_default();
        // Routine names as the snapshot spells them; named objects that do not exist.
        let mut present = Vec::new();
        let mut missing = false;
        for name in &entry.objects {
            let lookup = match entry.object_type {
                ObjectType::Column => ObjectType::Table,
                t => t,
            };
            let spelled = signatures
                .get(&(entry.object_type, schema.clone(), name.clone()))
                .unwrap_or(name);
            if acls
                .find(lookup, entry.schema.as_deref(), spelled, None)
                .is_some()
            {
                present.push((name.clone(), spelled.clone()));
            } else {
                missing = true;
            }
        }
        let mut resolved = entry.clone();
        if !entry.objects.is_empty() {
            resolved.objects = present.iter().map(|(_, s)| s.clone()).collect();
        }
        let mut held = if entry.objects.is_empty() || !present.is_empty() {
            held_on(acls, grantee, &resolved.target(database))
        } else {
            Vec::new()
        };
        if entry.objects.is_empty() {
            // As the engine: "every object in the schema" leaves out the role's own objects.
            held.retain(|((t, schema, name, column), _)| {
                acls.find(*t, schema.as_deref(), name, column.as_deref())
                    .is_none_or(|o| o.owner != grantee)
            });
        }
        for (key, _) in &held {
            let c = claimed.entry(key.clone()).or_default();
            c.privileges.extend(entry.privileges.iter().copied());
            if entry.with_grant_option {
                c.grantable.extend(entry.privileges.iter().copied());
            }
        }
        let holds_all = |h: &Held| {
            entry.privileges.is_subset(&h.privileges)
                && (!entry.with_grant_option || entry.privileges.is_subset(&h.grantable))
        };
        if !missing && held.iter().all(|(_, h)| holds_all(h)) {
            out.push(block.clone());
            continue;
        }
        // Drift: what is held on every object the block covers, of what it asks for.
        let mut common = entry.privileges.clone();
        let mut common_grantable = entry.privileges.clone();
        for (_, h) in &held {
            common.retain(|p| h.privileges.contains(p));
            common_grantable.retain(|p| h.grantable.contains(p));
        }
        if held.is_empty() && !entry.objects.is_empty() {
            common.clear();
        }
        let mut read = block.clone();
        if missing {
            let kept: Vec<Value> = present
                .iter()
                .map(|(as_written, _)| Value::from(as_written.clone()))
                .collect();
            read.set_attr("objects", Value::List(kept));
        }
        if common != entry.privileges {
            let written = strings(block.attr("privileges")).unwrap_or_default();
            read.set_attr(
                "privileges",
                spelled_as_written(&written, &common, entry.object_type, major),
            );
        } else if entry.with_grant_option && common_grantable != entry.privileges {
            read.set_attr("with_grant_option", Value::Bool(false));
        }
        out.push(read);
    }
    out.extend(extra_blocks(acls, grantee, &claimed));
    out
}

/// Privileges held beyond what the blocks claim, as blocks: one per (object type, schema,
/// table for columns, privileges, grant option), objects sorted by bytes.
fn extra_blocks(
    acls: &DatabaseAcls,
    grantee: u32,
    claimed: &BTreeMap<grants::ObjectKey, Held>,
) -> Vec<Value> {
    type GroupKey = (
        ObjectType,
        Option<String>,
        Option<String>,
        Vec<Privilege>,
        bool,
    );
    let mut groups: BTreeMap<GroupKey, Vec<String>> = BTreeMap::new();
    let none = Held::default();
    for o in &acls.objects {
        if o.object_type == ObjectType::Type || o.owner == grantee {
            continue; // as the engine: types and the role's own objects are left alone
        }
        let held = o.held_by(grantee, Some(acls.major));
        if held.privileges.is_empty() {
            continue;
        }
        let key = (
            o.object_type,
            o.schema.clone(),
            o.name.clone(),
            o.column.clone(),
        );
        let c = claimed.get(&key).unwrap_or(&none);
        let grantable: Vec<Privilege> = held.grantable.difference(&c.grantable).copied().collect();
        let plain: Vec<Privilege> = held
            .privileges
            .iter()
            .filter(|p| !held.grantable.contains(p) && !c.privileges.contains(p))
            .copied()
            .collect();
        let (table, item) = match &o.column {
            Some(col) => (Some(o.name.clone()), col.clone()),
            None => (None, o.name.clone()),
        };
        for (privileges, wgo) in [(plain, false), (grantable, true)] {
            if !privileges.is_empty() {
                groups
                    .entry((
                        o.object_type,
                        o.schema.clone(),
                        table.clone(),
                        privileges,
                        wgo,
                    ))
                    .or_default()
                    .push(item.clone());
            }
        }
    }
    groups
        .into_iter()
        .map(|((t, schema, table, privileges, wgo), mut items)| {
            items.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            let list = |v: Vec<String>| Value::List(v.into_iter().map(Value::from).collect());
            let (objects, columns) = match table {
                Some(table) => (list(vec![table]), list(items)),
                None => (list(items), Value::Null),
            };
            Value::object([
                ("object_type", Value::from(t.name())),
                ("schema", schema.into()),
                ("objects", objects),
                ("columns", columns),
                ("privileges", names_value(&privileges.into_iter().collect())),
                ("with_grant_option", Value::Bool(wgo)),
            ])
        })
        .collect()
}

/// `held` as a privilege list that keeps the block's own spelling where it can (`"select"`
/// stays `"select"`; an `"ALL"` that no longer holds becomes the names still held), so the plan
/// shows only what is missing.
fn spelled_as_written(
    written: &[String],
    held: &BTreeSet<Privilege>,
    object_type: ObjectType,
    major: Option<i32>,
) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut covered = BTreeSet::new();
    for name in written {
        let Ok(set) = privileges::resolve(&[name.as_str()], object_type, major) else {
            continue;
        };
        if set.is_subset(held) {
            out.push(Value::from(name.clone()));
            covered.extend(set);
        } else if set.len() > 1 {
            for p in set.intersection(held) {
                if covered.insert(*p) {
                    out.push(Value::from(p.name()));
                }
            }
        }
    }
    Value::List(out)
}

fn names_value(set: &BTreeSet<Privilege>) -> Value {
    Value::List(set.iter().map(|p| Value::from(p.name())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::acl::{Acl, AclEntry, ObjectAcl};
    use std::collections::HashMap;

    const APP: u32 = 20;
    const OWNER: u32 = 10;

    fn table(name: &str, grants: &[(Privilege, bool)]) -> ObjectAcl {
        ObjectAcl {
            object_type: ObjectType::Table,
            schema: Some("s".into()),
            name: name.into(),
            column: None,
            oid: 1,
            owner: OWNER,
            acl: Acl::Explicit(
                grants
                    .iter()
                    .map(|&(privilege, grantable)| AclEntry {
                        grantee: APP,
                        grantor: OWNER,
                        privilege,
                        grantable,
                    })
                    .collect(),
            ),
        }
    }

    fn acls(objects: Vec<ObjectAcl>) -> DatabaseAcls {
        DatabaseAcls::new(
            "db".into(),
            15,
            objects,
            Vec::new(),
            HashMap::from([(OWNER, "owner".into()), (APP, "app".into())]),
        )
    }

    fn block(objects: &[&str], privileges: &[&str], wgo: bool) -> Value {
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

    fn read(acls: &DatabaseAcls, blocks: &[Value]) -> Vec<Value> {
        read_blocks(acls, APP, "db", blocks, &Signatures::new())
    }

    use Privilege::{Insert, Select};

    #[test]
    fn blocks_that_hold_read_back_as_written() {
        let a = acls(vec![
            table("t1", &[(Select, false), (Insert, false)]),
            table("t2", &[(Select, false)]),
        ]);
        let blocks = [
            block(&[], &["select"], false),
            block(&["t1"], &["INSERT"], false),
        ];
        assert_eq!(read(&a, &blocks), blocks);
    }

    #[test]
    fn drifted_privileges_keep_the_blocks_spelling() {
        let a = acls(vec![table("t1", &[(Select, false)])]);
        let got = read(&a, &[block(&["t1"], &["select", "INSERT"], false)]);
        assert_eq!(got, [block(&["t1"], &["select"], false)]);
        let a = acls(vec![table(
            "t1",
            &[(Select, false), (Privilege::Update, false)],
        )]);
        let got = read(&a, &[block(&["t1"], &["ALL"], false)]);
        assert_eq!(got, [block(&["t1"], &["SELECT", "UPDATE"], false)]);
    }

    #[test]
    fn a_missing_privilege_reads_as_what_is_held() {
        let a = acls(vec![
            table("t1", &[(Select, false), (Insert, false)]),
            table("t2", &[(Select, false)]),
        ]);
        let got = read(&a, &[block(&[], &["SELECT", "INSERT"], false)]);
        assert_eq!(got, [block(&[], &["SELECT"], false)]);
    }

    #[test]
    fn extra_grants_read_as_added_blocks_grouped() {
        let a = acls(vec![
            table("t1", &[(Select, false)]),
            table("t2", &[(Select, false), (Insert, true)]),
            table("t3", &[(Insert, true)]),
        ]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], false)]);
        assert_eq!(
            got,
            [
                block(&["t1"], &["SELECT"], false),
                block(&["t2"], &["SELECT"], false),
                block(&["t2", "t3"], &["INSERT"], true),
            ]
        );
    }

    #[test]
    fn a_grant_option_beyond_the_block_is_an_extra_and_a_lost_one_is_drift() {
        let a = acls(vec![table("t1", &[(Select, true)])]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], false)]);
        assert_eq!(
            got,
            [
                block(&["t1"], &["SELECT"], false),
                block(&["t1"], &["SELECT"], true)
            ]
        );
        let a = acls(vec![table("t1", &[(Select, false)])]);
        let got = read(&a, &[block(&["t1"], &["SELECT"], true)]);
        assert_eq!(got, [block(&["t1"], &["SELECT"], false)]);
    }

    #[test]
    fn gone_objects_drop_out_and_owned_objects_are_left_alone() {
        let mut owned = table("mine", &[(Select, false)]);
        owned.owner = APP;
        owned.acl = Acl::Default;
        let a = acls(vec![table("t1", &[(Select, false)]), owned]);
        let got = read(&a, &[block(&["t1", "gone"], &["SELECT"], false)]);
        assert_eq!(got, [block(&["t1"], &["SELECT"], false)]);
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
}
