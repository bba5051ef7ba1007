//! `dbre_default_privileges`: what objects `owner` creates in future give `role`
//! (`ALTER DEFAULT PRIVILEGES FOR ROLE owner [IN SCHEMA schema] GRANT … TO role`).
//!
//! - The resource owns exactly `role`'s entry in one `pg_default_acl` row, named by (database,
//!   owner, schema or database-wide, object type): privileges added outside Terraform show as
//!   drift and are revoked, missing ones granted. `privileges = []` revokes everything.
//! - Database-wide (no schema), no catalog row means PostgreSQL's built-in: the owner holds all,
//!   PUBLIC holds EXECUTE on functions and USAGE on types. The read spells that out, so
//!   `role = "PUBLIC", object_type = "function", privileges = []` is the "no EXECUTE for PUBLIC
//!   on future functions" idiom, and it converges.
//! - A per-schema entry only ADDS to the database-wide one; PostgreSQL cannot take away in a
//!   schema what the database-wide default grants. The plan warns, at `privileges`, when the
//!   configured set lacks privileges the database-wide default gives `role`.
//! - `routine` and `function` are one catalog type: both cover functions and procedures, and
//!   two resources differing only in that word manage the same entry (do not do that).
//! - Destroy gives `role`'s entry back to PostgreSQL's built-in behaviour: in a schema it
//!   revokes everything the entry holds; database-wide it revokes everything from an ordinary
//!   role, restores EXECUTE (functions/routines) or USAGE (types) to PUBLIC and nothing else,
//!   and restores the owner's full privileges when `role` is the owner.
//! - Import id: `database/owner/role/object_type/schema` ([`super::import_id`]; `schema` empty
//!   for database-wide, e.g. `app/app_owner/PUBLIC/function/`).

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::grant_attrs::{
    is_public, keep_prior_spelling, read_grant_option, resolve_at, spelled_like,
};
use super::import_id;
use super::pg_errors::diagnostic;
use super::Ctx;
use crate::pg::default_privileges::{DefaultPrivilegesKey, Target, OBJECT_TYPES};
use crate::pg::privileges::{ObjectType, Privilege};
use crate::pg::{roles, Held, PgError, Server};
use crate::tf::{
    validators, ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics,
    PlanContext, Resource, Schema, Type, Value,
};

#[derive(Debug, Default)]
pub struct DefaultPrivilegesResource;

const OBJECT_TYPE_NAMES: &[&str] = &["table", "sequence", "function", "routine", "type", "schema"];

const ID_FORM: &str = "database/owner/role/object_type/schema";

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .description(
                "Default privileges (ALTER DEFAULT PRIVILEGES): what objects owner creates in \
                 future give role, database-wide or in one schema. Owns exactly role's entry. \
                 Import id: \"database/owner/role/object_type/schema\" (schema empty for \
                 database-wide, e.g. \"app/app_owner/PUBLIC/function/\"), each name exactly as \
                 written, with \"%\", \"/\" and \",\" inside a name written \"%25\", \"%2F\" \
                 and \"%2C\".",
            )
            .attribute(
                Attribute::string("database")
                    .required()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description("The database the default privileges live in."),
            )
            .attribute(
                Attribute::string("owner")
                    .required()
                    .requires_replace()
                    .validate(role_name)
                    .description(
                        "The role whose future objects are covered (FOR ROLE). A provider \
                         login that is neither superuser nor a member of it (a CREATEROLE admin \
                         on a managed service) makes itself a member for the change and gives \
                         the membership back right after.",
                    ),
            )
            .attribute(
                Attribute::string("role")
                    .required()
                    .requires_replace()
                    .validate(role_name)
                    .description("The grantee, exactly as named, or \"PUBLIC\"."),
            )
            .attribute(
                Attribute::string("schema")
                    .default("")
                    .requires_replace()
                    .description(
                        "Only objects created in this schema (IN SCHEMA), which then get these \
                         privileges IN ADDITION to the database-wide ones. Empty (the default): \
                         database-wide, replacing PostgreSQL's built-in defaults. Not allowed \
                         with object_type \"schema\".",
                    ),
            )
            .attribute(
                Attribute::string("object_type")
                    .required()
                    .requires_replace()
                    .validate(validators::one_of(OBJECT_TYPE_NAMES))
                    .description(
                        "table, sequence, function, routine, type or schema. function and \
                         routine are the same catalog entry: both cover functions and \
                         procedures.",
                    ),
            )
            .attribute(
                Attribute::new("privileges", Type::list(Type::String))
                    .required()
                    .description(
                        "The exact set role gets, e.g. [\"SELECT\"]; \"ALL\" means every \
                         privilege of the object type on this server. [] revokes everything \
                         (with role = \"PUBLIC\" and object_type = \"function\", database-wide: \
                         no EXECUTE for PUBLIC on future functions).",
                    ),
            )
            .attribute(
                Attribute::bool("with_grant_option")
                    .default(false)
                    .description(
                        "role may grant the privileges on to others. Not for PUBLIC. Default \
                         false.",
                    ),
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("\"database/owner/role/object_type/schema\", the import id."),
            ),
    )
}

fn role_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(name) => roles::validate_role_name(name).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

/// The import id, each name escaped by the shared scheme; `schema` empty for database-wide.
pub fn id_of(key: &DefaultPrivilegesKey) -> String {
    import_id::encode(&[
        import_id::escape(&key.database),
        import_id::escape(&key.owner),
        import_id::escape(&key.role),
        key.object_type.name().to_owned(),
        import_id::escape(key.schema.as_deref().unwrap_or("")),
    ])
}

/// The schema a value names: `""` (the default) is database-wide.
fn schema_of(v: &Value) -> Option<String> {
    v.attr("schema")
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn object_type_of(v: &Value) -> Option<ObjectType> {
    v.attr("object_type")
        .as_str()
        .and_then(ObjectType::parse)
        .filter(|t| OBJECT_TYPES.contains(t))
}

/// The key a (wholly known) value names.
fn key_of(v: &Value) -> Result<DefaultPrivilegesKey, Diagnostics> {
    let name = |attr: &str| {
        v.attr(attr).as_str().map(str::to_owned).ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error("Missing value", format!("{attr} must be set."))
                    .at(AttrPath::attr(attr)),
            )
        })
    };
    let object_type = object_type_of(v).ok_or_else(|| {
        Diagnostics::from(
            Diagnostic::error(
                "Invalid object type",
                format!(
                    "object_type must be one of {}.",
                    OBJECT_TYPE_NAMES.join(", ")
                ),
            )
            .at(AttrPath::attr("object_type")),
        )
    })?;
    Ok(DefaultPrivilegesKey {
        database: name("database")?,
        owner: name("owner")?,
        schema: schema_of(v),
        object_type,
        role: name("role")?,
    })
}

/// The configured privileges for `object_type` on a server of `major` (None: not known yet),
/// or an error at `privileges[i]`.
fn resolve_privileges(
    v: &Value,
    object_type: ObjectType,
    major: Option<i32>,
) -> Result<BTreeSet<Privilege>, Diagnostic> {
    resolve_at(
        v.attr("privileges"),
        object_type,
        major,
        &AttrPath::attr("privileges"),
    )
}

/// Checks that need no server: the object type's privileges, IN SCHEMA with schemas, grant
/// options for PUBLIC.
fn check(config: &Value, major: Option<i32>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let object_type = object_type_of(config);
    if object_type == Some(ObjectType::Schema) && schema_of(config).is_some() {
        diags.error_at(
            AttrPath::attr("schema"),
            "Schemas are not created in schemas",
            "Default privileges on schemas are database-wide (PostgreSQL refuses IN SCHEMA \
             with ON SCHEMAS): leave schema out.",
        );
    }
    if is_public(config.attr("owner")) {
        diags.error_at(
            AttrPath::attr("owner"),
            "PUBLIC owns nothing",
            "owner must name the role that will create the objects; PUBLIC is not a role.",
        );
    }
    if is_public(config.attr("role")) && config.attr("with_grant_option").as_bool() == Some(true) {
        diags.error_at(
            AttrPath::attr("with_grant_option"),
            "No grant option for PUBLIC",
            "PostgreSQL gives grant options to roles only, never to PUBLIC: set \
             with_grant_option = false or name a role.",
        );
    }
    if let Some(t) = object_type {
        if let Err(d) = resolve_privileges(config, t, major) {
            diags.push(d);
        }
    }
    diags
}

fn major_of(meta: &Ctx) -> Option<i32> {
    meta.server_info.as_ref().map(|i| i.major())
}

fn server_and_major(meta: &Ctx) -> Result<(&Server, i32), Diagnostics> {
    Ok((meta.server()?, meta.info()?.major()))
}

fn to_state(prior: &Value, key: &DefaultPrivilegesKey, major: i32, held: &Held) -> Value {
    Value::object([
        ("database", Value::from(key.database.as_str())),
        ("owner", Value::from(key.owner.as_str())),
        ("role", prior.attr("role").clone()),
        ("schema", Value::from(key.schema.as_deref().unwrap_or(""))),
        ("object_type", Value::from(key.object_type.name())),
        (
            "privileges",
            spelled_like(
                prior.attr("privileges"),
                &held.privileges,
                key.object_type,
                Some(major),
            ),
        ),
        (
            "with_grant_option",
            read_grant_option(
                [(&held.privileges, &held.grantable)],
                prior.attr("with_grant_option").as_bool().unwrap_or(false),
            )
            .into(),
        ),
        ("id", id_of(key).into()),
    ])
}

/// The plan-time warning for a per-schema entry that cannot take away what the database-wide
/// default gives (PostgreSQL would silently keep granting it).
fn shadowed_warning(
    key: &DefaultPrivilegesKey,
    desired: &BTreeSet<Privilege>,
    global: &Held,
) -> Option<Diagnostic> {
    let schema = key.schema.as_deref()?;
    let kept: Vec<&str> = global
        .privileges
        .difference(desired)
        .map(|p| p.name())
        .collect();
    if kept.is_empty() {
        return None;
    }
    Some(
        Diagnostic::warning(
            "Database-wide default privileges still apply",
            format!(
                "New {} \"{}\" creates in schema \"{schema}\" will still give \"{}\" {} through \
                 the database-wide default privileges (PostgreSQL's built-in ones when none \
                 were set): a per-schema entry only adds to them and cannot take anything \
                 away. To remove {}, manage the database-wide entry (a dbre_default_privileges \
                 without schema) for role \"{}\".",
                key.object_type.plural(),
                key.owner,
                key.role,
                kept.join(", "),
                if kept.len() == 1 { "it" } else { "them" },
                key.role,
            ),
        )
        .at(AttrPath::attr("privileges")),
    )
}

#[async_trait]
impl Resource<Ctx> for DefaultPrivilegesResource {
    fn type_name(&self) -> &'static str {
        "dbre_default_privileges"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        check(config, None)
    }

    /// Validates against the server's version, keeps "" and null schema and equivalent
    /// privilege spellings diff-free, plans the id, and warns about shadowed per-schema
    /// revokes.
    async fn plan(&self, meta: &Ctx, plan: &mut PlanContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if plan.planned.is_null() {
            return diags;
        }
        let major = major_of(meta);
        diags.extend(check(&plan.config, major));
        if diags.has_errors() {
            return diags;
        }
        if let (false, Some(t)) = (plan.is_create(), object_type_of(&plan.planned)) {
            keep_prior_spelling(plan, t, major);
        }
        if !plan.planned.is_wholly_known() {
            return diags;
        }
        let Ok(key) = key_of(&plan.planned) else {
            return diags;
        };
        plan.planned.set_attr("id", id_of(&key).into());
        // Best effort: the database, roles or schema may not exist until this apply.
        if let (Ok((server, major)), Some(_)) = (server_and_major(meta), &key.schema) {
            if let Ok(desired) = resolve_privileges(&plan.planned, key.object_type, Some(major)) {
                if let Ok(acls) = server.database_acls(&key.database, major).await {
                    if let Some(global) = acls.global_default_privileges(&key) {
                        if let Some(w) = shadowed_warning(&key, &desired, &global) {
                            diags.push(w);
                        }
                    }
                }
            }
        }
        diags
    }

    async fn read(&self, meta: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        // Connection details unknown during this plan: take the state as it is; apply
        // connects once they are known.
        let Ok((server, major)) = server_and_major(meta) else {
            return Ok(Some(state.clone()));
        };
        let key = key_of(state)?;
        match server.read_default_privileges(&key, major).await {
            Ok(Some(held)) => Ok(Some(to_state(state, &key, major, &held))),
            Ok(None) => Ok(None),
            Err(e) => Err(diagnostic(&e, None).into()),
        }
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, &request).await
    }

    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, &request).await
    }

    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        let (server, major) = match server_and_major(meta) {
            Ok(s) => s,
            Err(d) => return d,
        };
        let key = match key_of(&request.prior) {
            Ok(k) => k,
            Err(d) => return d,
        };
        // Owner, grantee or schema gone: the entry went with them.
        match server.read_default_privileges(&key, major).await {
            Ok(None) => return Diagnostics::new(),
            Ok(Some(_)) => {}
            Err(e) => return diagnostic(&e, None).into(),
        }
        match server.reset_default_privileges(&key, major).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => diagnostic(&e, None).into(),
        }
    }

    async fn import(&self, meta: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let bad_id = |message: String| -> Diagnostics {
            Diagnostic::error("Invalid import id", message).into()
        };
        let fields = import_id::decode(id, 4, 5, ID_FORM).map_err(bad_id)?;
        let object_type_name = fields.name(3).map_err(bad_id)?;
        let object_type = ObjectType::parse(&object_type_name)
            .filter(|t| OBJECT_TYPES.contains(t))
            .ok_or_else(|| {
                bad_id(format!(
                    "The import id {id:?} has object type {object_type_name:?}; expected one \
                     of {} (the id is {ID_FORM}).",
                    OBJECT_TYPE_NAMES.join(", ")
                ))
            })?;
        let schema = fields.name(4).map_err(bad_id)?;
        let key = DefaultPrivilegesKey {
            database: fields.name(0).map_err(bad_id)?,
            owner: fields.name(1).map_err(bad_id)?,
            role: fields.name(2).map_err(bad_id)?,
            schema: (!schema.is_empty()).then_some(schema),
            object_type,
        };
        key.validate()
            .map_err(|e| bad_id(format!("The import id {id:?}: {e}.")))?;
        let (server, major) = server_and_major(meta)?;
        match server.read_default_privileges(&key, major).await {
            Ok(Some(held)) => {
                let prior = Value::object([("role", Value::from(key.role.as_str()))]);
                Ok(to_state(&prior, &key, major, &held))
            }
            Ok(None) => Err(Diagnostic::error(
                "Default privileges not found",
                format!(
                    "In database \"{}\", role \"{}\" (owner), role \"{}\"{} does not exist. \
                     The import id is {ID_FORM}, each name exactly as written.",
                    key.database,
                    key.owner,
                    key.role,
                    match &key.schema {
                        Some(s) => format!(" or schema \"{s}\""),
                        None => String::new(),
                    }
                ),
            )
            .into()),
            Err(e) => Err(diagnostic(&e, None).into()),
        }
    }
}

/// Create and update both bring the entry to the plan, from what the server has now.
async fn converge(meta: &Ctx, request: &ApplyRequest) -> ApplyResult {
    let (server, major) = match server_and_major(meta) {
        Ok(s) => s,
        Err(d) => return ApplyResult::failed(d),
    };
    let planned = &request.planned;
    let diags = check(planned, Some(major));
    if diags.has_errors() {
        return ApplyResult::failed(diags);
    }
    let key = match key_of(planned) {
        Ok(k) => k,
        Err(d) => return ApplyResult::failed(d),
    };
    let privileges = match resolve_privileges(planned, key.object_type, Some(major)) {
        Ok(p) => p,
        Err(d) => return ApplyResult::failed(d),
    };
    let wgo = planned.attr("with_grant_option").as_bool().unwrap_or(false);
    let target = Target::new(privileges, wgo);
    match server.set_default_privileges(&key, &target, major).await {
        Ok(_) => {
            let mut state = planned.clone();
            state.set_attr("id", id_of(&key).into());
            ApplyResult::ok(state)
        }
        Err(e) => {
            let path = match &e {
                PgError::Invalid(m) if m.contains("(owner)") => Some(AttrPath::attr("owner")),
                PgError::Invalid(m) if m.starts_with("schema ") => Some(AttrPath::attr("schema")),
                PgError::Invalid(m) if m.starts_with("role ") => Some(AttrPath::attr("role")),
                _ => None,
            };
            // Nothing was committed; on update the framework keeps the prior state.
            ApplyResult::failed(diagnostic(&e, path))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::object([
            ("database", Value::from("app")),
            ("owner", "app_owner".into()),
            ("role", "reader".into()),
            ("schema", Value::Null),
            ("object_type", "table".into()),
            ("privileges", Value::List(vec!["SELECT".into()])),
            ("with_grant_option", false.into()),
            ("id", Value::Null),
        ]);
        for (k, val) in pairs {
            v.set_attr(k, val.clone());
        }
        v
    }

    #[test]
    fn ids_round_trip_odd_names() {
        let key = DefaultPrivilegesKey {
            database: "d/b".into(),
            owner: "ow,ner@x".into(),
            role: "ré \"ader\".%".into(),
            schema: Some("s p.a/ce".into()),
            object_type: ObjectType::Routine,
        };
        let id = id_of(&key);
        let f = import_id::decode(&id, 4, 5, ID_FORM).unwrap();
        assert_eq!(f.name(0).unwrap(), key.database);
        assert_eq!(f.name(1).unwrap(), key.owner);
        assert_eq!(f.name(2).unwrap(), key.role);
        assert_eq!(f.name(3).unwrap(), "routine");
        assert_eq!(f.name(4).unwrap(), "s p.a/ce");
        let global = DefaultPrivilegesKey {
            schema: None,
            database: "app".into(),
            owner: "o".into(),
            role: "PUBLIC".into(),
            object_type: ObjectType::Function,
        };
        assert_eq!(id_of(&global), "app/o/PUBLIC/function/");
    }

    #[test]
    fn plan_time_checks_point_at_the_attribute() {
        let d = check(
            &config(&[(
                "privileges",
                Value::List(vec!["SELECT".into(), "EXECUTE".into()]),
            )]),
            Some(15),
        );
        assert_eq!(d.0.len(), 1);
        assert_eq!(
            d.0[0].path,
            Some(AttrPath::attr("privileges").then_index(1))
        );
        let d = check(
            &config(&[
                ("object_type", "schema".into()),
                ("schema", "s".into()),
                ("privileges", Value::List(vec!["USAGE".into()])),
            ]),
            Some(15),
        );
        assert_eq!(d.0[0].path, Some(AttrPath::attr("schema")));
        let d = check(
            &config(&[
                ("role", "public".into()),
                ("with_grant_option", true.into()),
            ]),
            Some(15),
        );
        assert_eq!(d.0[0].path, Some(AttrPath::attr("with_grant_option")));
        let d = check(&config(&[("owner", "Public".into())]), Some(15));
        assert_eq!(d.0[0].path, Some(AttrPath::attr("owner")));
        let ok = check(
            &config(&[
                ("object_type", "schema".into()),
                ("schema", "".into()),
                ("privileges", Value::List(vec!["ALL".into()])),
            ]),
            Some(15),
        );
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn reads_keep_the_users_spelling_and_flag_mixed_grant_options() {
        let prior = config(&[("privileges", Value::List(vec!["all".into()]))]);
        let key = key_of(&prior).unwrap();
        let all: BTreeSet<Privilege> = ObjectType::Table.privileges(Some(15)).into_iter().collect();
        let held = Held {
            privileges: all.clone(),
            grantable: BTreeSet::new(),
            grantors: BTreeSet::new(),
        };
        let state = to_state(&prior, &key, 15, &held);
        assert_eq!(state.attr("privileges"), prior.attr("privileges"));
        assert_eq!(state.attr("with_grant_option"), &Value::Bool(false));
        // On 17, ALL means MAINTAIN too: what is held is now less, spelled out.
        let state = to_state(&prior, &key, 17, &held);
        assert_eq!(state.attr("privileges").as_elements().unwrap().len(), 7);
        let mixed = Held {
            grantable: [Privilege::Select].into_iter().collect(),
            ..held
        };
        assert_eq!(
            to_state(&prior, &key, 15, &mixed).attr("with_grant_option"),
            &Value::Bool(true),
            "mixed reads as the opposite of the prior false"
        );
    }

    #[test]
    fn a_per_schema_entry_warns_when_the_global_default_keeps_granting() {
        let key = DefaultPrivilegesKey {
            database: "app".into(),
            owner: "o".into(),
            role: "PUBLIC".into(),
            schema: Some("s".into()),
            object_type: ObjectType::Function,
        };
        let global = DefaultPrivilegesKey {
            schema: None,
            ..key.clone()
        }
        .builtin(15);
        let w = shadowed_warning(&key, &BTreeSet::new(), &global).unwrap();
        assert!(w.detail.contains("EXECUTE"), "{}", w.detail);
        assert!(
            shadowed_warning(&key, &[Privilege::Execute].into_iter().collect(), &global).is_none()
        );
    }
}
