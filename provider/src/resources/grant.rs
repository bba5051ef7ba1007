//! `dbre_grant`: the privileges of one role (or PUBLIC) on some objects of one database.
//!
//! - The resource owns exactly the privileges of `role` on the objects it names, whoever
//!   granted them: extras show as drift and are revoked, missing ones are granted.
//!   `privileges = []` revokes everything (how PUBLIC's defaults are revoked).
//! - `objects = []` covers every object of the type in the schema, including ones created
//!   later: those show as drift until the next apply grants them.
//! - Reads answer from the per-database ACL snapshot (one catalog read per database per
//!   Terraform walk); writes go through the engine ([`crate::pg::grants`]), which reads fresh
//!   under locks. Objects that differ from each other read as a value guaranteed to differ
//!   from the state, so the plan shows a change and apply fixes every object.
//! - Destroy takes away exactly the privileges in the state (other grants stay).

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::grant_attrs::{
    self, is_public, keep_prior_spelling, read_grant_option, resolve_at, spelled_like, string_list,
    OBJECT_TYPES,
};
use super::import_id;
use super::pg_errors::{diagnostic, pg_diag};
use super::Ctx;
use crate::pg::error::sqlstate;
use crate::pg::grants::held_on;
use crate::pg::{
    DatabaseAcls, DesiredGrant, Mode, ObjectType, PgError, Privilege, Server, ServerInfo, Target,
};
use crate::tf::{
    validators, ApplyRequest, ApplyResult, AttrPath, Attribute, Block, Diagnostic, Diagnostics,
    PlanContext, Resource, Schema, Type, Value,
};

#[derive(Debug, Default)]
pub struct GrantResource;

const IMPORT_FIELDS: &str = "database/role/object_type/schema/objects/columns";

pub fn schema() -> Schema {
    let names = |name: &str| Attribute::new(name, Type::list(Type::String));
    Schema::new(
        0,
        Block::new()
            .description(
                "The privileges of one role (or PUBLIC) on objects of one database. The \
                 resource owns exactly these privileges of the role on the objects it names, \
                 whoever granted them: others show as drift and are revoked. Import id: \
                 database/role/object_type/schema/objects/columns (lists joined with \",\"; \
                 \"%2F\", \"%2C\", \"%25\" for \"/\", \",\", \"%\" inside a name; trailing \
                 empty fields may be left out), e.g. app/app_read/table/public/orders,items.",
            )
            .attribute(
                Attribute::string("database")
                    .required()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description("The database the objects are in."),
            )
            .attribute(
                Attribute::string("role")
                    .required()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description("The role granted to, exactly as named, or \"PUBLIC\"."),
            )
            .attribute(
                Attribute::string("object_type")
                    .required()
                    .requires_replace()
                    .validate(validators::one_of(OBJECT_TYPES))
                    .description(
                        "database, schema, table (also views, materialized views, foreign \
                         tables), sequence, function, procedure, routine, \
                         foreign_data_wrapper, foreign_server, column or type (also domains; \
                         USAGE only).",
                    ),
            )
            .attribute(
                Attribute::string("schema")
                    .optional()
                    .requires_replace()
                    .validate(validators::not_empty)
                    .description(
                        "The schema of tables, sequences, routines, columns and types \
                         (required for them). For object_type \"schema\": the schema granted \
                         on (or list them in objects).",
                    ),
            )
            .attribute(
                names("objects")
                    .default(Value::List(Vec::new()))
                    .requires_replace()
                    .description(
                        "The objects. Empty (the default): every object of the type in the \
                         schema, including ones created later (they show as drift until the \
                         next apply). Routines by name when not overloaded, or by signature \
                         (\"add(int, int)\"). For object_type \"column\": exactly one table. \
                         For \"database\": empty (the database itself). For \"type\": types \
                         and domains by name; empty covers the base, enum, range, multirange \
                         and composite types and the domains of the schema (not the row types \
                         of tables, nor array types, which GRANT refuses).",
                    ),
            )
            .attribute(
                names("columns")
                    .default(Value::List(Vec::new()))
                    .requires_replace()
                    .description(
                        "For object_type \"column\": the columns of the one table. A table \
                         grant of the same role that revokes a privilege leaves them as they are \
                         (PostgreSQL's table REVOKE also revokes column privileges; the provider \
                         grants those back in the same transaction).",
                    ),
            )
            .attribute(names("privileges").required().description(
                "The exact set, e.g. [\"SELECT\", \"INSERT\"]; \"ALL\" means every \
                     privilege of the type on this server version. [] revokes everything.",
            ))
            .attribute(
                Attribute::bool("with_grant_option")
                    .default(false)
                    .description("Whether the role may grant them on. Default false."),
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("The import id of this grant."),
            ),
    )
}

#[async_trait]
impl Resource<Ctx> for GrantResource {
    fn type_name(&self) -> &'static str {
        "dbre_grant"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for (path, message) in shape_problems(config) {
            diags.error_at(path, "Invalid grant", message);
        }
        diags
    }

    /// Checks the privileges against the object type and the server's version (at the list
    /// index), and keeps the state's spelling when it means the same set (`["ALL"]` vs the
    /// list it stands for).
    async fn plan(&self, meta: &Ctx, plan: &mut PlanContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let major = meta.server_info.as_ref().map(ServerInfo::major);
        let planned = &plan.planned;
        let Some(object_type) = planned
            .attr("object_type")
            .as_str()
            .and_then(ObjectType::parse)
        else {
            return diags;
        };
        if !planned.attr("privileges").is_wholly_known() {
            return diags;
        }
        if let Err(d) = resolve(planned.attr("privileges"), object_type, major) {
            return d;
        }
        if is_public(planned.attr("role"))
            && planned.attr("with_grant_option").as_bool() == Some(true)
        {
            diags.error_at(
                AttrPath::attr("with_grant_option"),
                "No grant option for PUBLIC",
                "PostgreSQL grants options only to roles; set with_grant_option = false for \
                 PUBLIC.",
            );
        }
        keep_prior_spelling(plan, object_type, major);
        diags
    }

    async fn read(&self, meta: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Ok(server) = meta.server() else {
            return Ok(Some(state.clone()));
        };
        let info = meta.info()?;
        let grant = Grant::from_value(state).map_err(|(path, m)| invalid(path, m))?;
        let Some(acls) = server
            .database_acls_unless_gone(&grant.database, info.major())
            .await
            .map_err(pg_diag)?
        else {
            return Ok(None); // the database is gone, and its privileges with it
        };
        let Some(grantee) = acls.role_oid(&grant.role) else {
            return Ok(None); // the role is gone, and its privileges with it
        };
        let target = signatures(server, &acls, grant.target.clone())
            .await
            .map_err(pg_diag)?;
        let held = held_on(&acls, grantee, &target);
        let major = Some(info.major());
        let prior = state.attr("privileges");
        let prior_set = resolve(prior, grant.object_type, major).ok();
        let sets: Vec<&BTreeSet<Privilege>> = held.iter().map(|(_, h)| &h.privileges).collect();
        let mut out = state.clone();
        match read_privileges(&sets, prior_set.as_ref()) {
            // No object to read: the state stands.
            None if !prior.is_null() => {}
            set => out.set_attr(
                "privileges",
                spelled_like(prior, &set.unwrap_or_default(), grant.object_type, major),
            ),
        }
        let prior_wgo = state.attr("with_grant_option").as_bool().unwrap_or(false);
        let wgo = read_grant_option(
            held.iter().map(|(_, h)| (&h.privileges, &h.grantable)),
            prior_wgo,
        );
        out.set_attr("with_grant_option", wgo.into());
        out.set_attr("id", grant.id().into());
        Ok(Some(out))
    }

    async fn create(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, request.planned).await
    }

    /// Everything naming the objects forces a replacement; what changes here is the set.
    async fn update(&self, meta: &Ctx, request: ApplyRequest) -> ApplyResult {
        converge(meta, request.planned).await
    }

    async fn delete(&self, meta: &Ctx, request: ApplyRequest) -> Diagnostics {
        // A database that is gone holds nothing to take away.
        if let (Ok(server), Ok(info), Some(database)) = (
            meta.server(),
            meta.info(),
            request.prior.attr("database").as_str(),
        ) {
            if let Ok(None) = server
                .database_acls_unless_gone(database, info.major())
                .await
            {
                return Diagnostics::new();
            }
        }
        match write(meta, &request.prior, Mode::Revoke).await {
            Ok(_) => Diagnostics::new(),
            Err(d) => d,
        }
    }

    async fn import(&self, _meta: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let bad = |m: String| -> Diagnostics {
            Diagnostic::error(
                "Invalid import id",
                format!("{m} (import id: {IMPORT_FIELDS})"),
            )
            .into()
        };
        let fields = import_id::decode(id, 3, 6, IMPORT_FIELDS).map_err(bad)?;
        let object_type = fields.name(2).map_err(bad)?;
        if !OBJECT_TYPES.contains(&object_type.as_str()) {
            return Err(bad(format!(
                "{object_type:?} is not an object type; expected one of {}",
                OBJECT_TYPES.join(", ")
            )));
        }
        let schema = fields.name(3).map_err(bad)?;
        let value = Value::object([
            ("database", Value::from(fields.name(0).map_err(bad)?)),
            ("role", Value::from(fields.name(1).map_err(bad)?)),
            ("object_type", Value::from(object_type)),
            (
                "schema",
                if schema.is_empty() {
                    Value::Null
                } else {
                    Value::from(schema)
                },
            ),
            ("objects", string_list(&fields.list(4).map_err(bad)?)),
            ("columns", string_list(&fields.list(5).map_err(bad)?)),
            ("privileges", Value::Null),
            ("with_grant_option", Value::Null),
            ("id", Value::from(id)),
        ]);
        if let Some((_, message)) = shape_problems(&value).into_iter().next() {
            return Err(bad(message));
        }
        Ok(value)
    }
}

/// A grant as a state or plan describes it.
#[derive(Debug, Clone)]
struct Grant {
    database: String,
    role: String,
    object_type: ObjectType,
    schema: Option<String>,
    objects: Vec<String>,
    columns: Vec<String>,
    target: Target,
}

impl Grant {
    fn from_value(v: &Value) -> Result<Grant, (AttrPath, String)> {
        if let Some(problem) = shape_problems(v).into_iter().next() {
            return Err(problem);
        }
        let text = |name: &str| v.attr(name).as_str().unwrap_or_default().to_owned();
        let object_type = ObjectType::parse(&text("object_type")).ok_or_else(|| {
            (
                AttrPath::attr("object_type"),
                "object_type is not known".to_owned(),
            )
        })?;
        let schema = v.attr("schema").as_str().map(str::to_owned);
        let objects = grant_attrs::names(v.attr("objects")).unwrap_or_default();
        let columns = grant_attrs::names(v.attr("columns")).unwrap_or_default();
        let database = text("database");
        let target = match object_type {
            ObjectType::Database => Target::Objects {
                object_type,
                schema: None,
                names: vec![database.clone()],
                columns: Vec::new(),
            },
            ObjectType::Schema => Target::Objects {
                object_type,
                schema: None,
                names: match &schema {
                    Some(s) => vec![s.clone()],
                    None => objects.clone(),
                },
                columns: Vec::new(),
            },
            ObjectType::ForeignDataWrapper | ObjectType::ForeignServer => Target::Objects {
                object_type,
                schema: None,
                names: objects.clone(),
                columns: Vec::new(),
            },
            _ if objects.is_empty() => Target::AllInSchema {
                object_type,
                schema: schema.clone().unwrap_or_default(),
            },
            _ => Target::Objects {
                object_type,
                schema: schema.clone(),
                names: objects.clone(),
                columns: columns.clone(),
            },
        };
        Ok(Grant {
            database,
            role: text("role"),
            object_type,
            schema,
            objects,
            columns,
            target,
        })
    }

    /// `database/role/object_type/schema/objects/columns`, trailing empty fields left out.
    fn id(&self) -> String {
        let mut fields = vec![
            import_id::escape(&self.database),
            import_id::escape(&self.role),
            self.object_type.name().to_owned(),
            import_id::escape(self.schema.as_deref().unwrap_or_default()),
            import_id::join_list(&self.objects),
            import_id::join_list(&self.columns),
        ];
        while fields.len() > 3 && fields.last().is_some_and(String::is_empty) {
            fields.pop();
        }
        import_id::encode(&fields)
    }
}

/// What no statement can express, at the attribute that says it; unknown values pass.
fn shape_problems(v: &Value) -> Vec<(AttrPath, String)> {
    let mut out = Vec::new();
    let Some(object_type) = v.attr("object_type").as_str().and_then(ObjectType::parse) else {
        return out;
    };
    let schema = v.attr("schema");
    let objects = v.attr("objects");
    let columns = v.attr("columns");
    let n_objects = objects.as_elements().map(<[Value]>::len);
    let schema_set = !schema.is_null();
    let t = object_type.name();
    let mut problem = |attr: &str, message: String| out.push((AttrPath::attr(attr), message));
    match object_type {
        ObjectType::Database => {
            if schema_set {
                problem("schema", "object_type \"database\" takes no schema.".into());
            }
            if n_objects.is_some_and(|n| n > 0) {
                problem(
                    "objects",
                    "object_type \"database\" grants on the database named in database; leave \
                     objects empty."
                        .into(),
                );
            }
        }
        ObjectType::Schema => {
            if schema_set && n_objects.is_some_and(|n| n > 0) {
                problem(
                    "objects",
                    "For object_type \"schema\", name the schema in schema or the schemas in \
                     objects, not both."
                        .into(),
                );
            }
            if !schema.is_unknown() && !schema_set && n_objects == Some(0) {
                problem(
                    "objects",
                    "For object_type \"schema\", name the schema in schema (or the schemas in \
                     objects)."
                        .into(),
                );
            }
        }
        ObjectType::ForeignDataWrapper | ObjectType::ForeignServer => {
            if schema_set {
                problem("schema", format!("object_type \"{t}\" takes no schema."));
            }
            if n_objects == Some(0) {
                problem("objects", format!("object_type \"{t}\" needs objects."));
            }
        }
        _ => {
            if !schema.is_unknown() && !schema_set {
                problem(
                    "schema",
                    format!("object_type \"{t}\" needs the schema the objects are in."),
                );
            }
        }
    }
    if object_type == ObjectType::Column {
        if n_objects.is_some_and(|n| n != 1) {
            problem(
                "objects",
                "object_type \"column\" needs exactly one table in objects.".into(),
            );
        }
        if columns.as_elements().is_some_and(<[Value]>::is_empty) {
            problem("columns", "object_type \"column\" needs columns.".into());
        }
    } else if columns.as_elements().is_some_and(|c| !c.is_empty()) {
        problem(
            "columns",
            format!("columns are only for object_type \"column\", not \"{t}\"."),
        );
    }
    for attr in ["objects", "columns"] {
        if let Some(items) = v.attr(attr).as_elements() {
            for (i, item) in items.iter().enumerate() {
                if item.as_str() == Some("") {
                    out.push((
                        AttrPath::attr(attr).then_index(i),
                        "Names must not be empty.".into(),
                    ));
                }
            }
        }
    }
    out
}

/// The configured list as the set it means here; errors at `privileges[i]`.
fn resolve(
    list: &Value,
    object_type: ObjectType,
    major: Option<i32>,
) -> Result<BTreeSet<Privilege>, Diagnostics> {
    resolve_at(list, object_type, major, &AttrPath::attr("privileges")).map_err(Diagnostics::from)
}

/// The read rule for privileges. `None`: no object to read (keep the state). One set when
/// every object holds the same; otherwise a set guaranteed to differ from `prior`: the union,
/// or the intersection when the union is what the state says.
fn read_privileges(
    sets: &[&BTreeSet<Privilege>],
    prior: Option<&BTreeSet<Privilege>>,
) -> Option<BTreeSet<Privilege>> {
    let first = sets.first()?;
    if sets.iter().all(|s| s == first) {
        return Some((*first).clone());
    }
    let union: BTreeSet<Privilege> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    if Some(&union) != prior {
        return Some(union);
    }
    Some(sets.iter().skip(1).fold((*first).clone(), |acc, s| {
        acc.intersection(s).copied().collect()
    }))
}

/// Routine names as the user wrote them → the snapshot's signatures (kept as written when
/// they match already, or when no one routine matches: then they read as missing).
async fn signatures(
    server: &Server,
    acls: &DatabaseAcls,
    target: Target,
) -> Result<Target, PgError> {
    let Target::Objects {
        object_type,
        schema: Some(schema),
        names,
        columns,
    } = target
    else {
        return Ok(target);
    };
    let wanted: Vec<(ObjectType, String, String)> = names
        .iter()
        .map(|n| (object_type, schema.clone(), n.clone()))
        .collect();
    let found = server.routine_signatures(acls, &wanted).await?;
    let names = names
        .into_iter()
        .map(|n| {
            found
                .get(&(object_type, schema.clone(), n.clone()))
                .cloned()
                .unwrap_or(n)
        })
        .collect();
    Ok(Target::Objects {
        object_type,
        schema: Some(schema),
        names,
        columns,
    })
}

/// Create and update: bring the objects to the planned grant (a failed update keeps the
/// prior state: the framework puts it back).
async fn converge(meta: &Ctx, planned: Value) -> ApplyResult {
    match write(meta, &planned, Mode::Named).await {
        Ok(grant) => {
            let mut state = planned;
            state.set_attr("id", grant.id().into());
            ApplyResult::ok(state)
        }
        Err(d) => ApplyResult::failed(d),
    }
}

/// Runs the engine for the grant `v` describes.
async fn write(meta: &Ctx, v: &Value, mode: Mode) -> Result<Grant, Diagnostics> {
    let server = meta.server()?;
    let info = meta.info()?;
    let grant = Grant::from_value(v).map_err(|(path, m)| invalid(path, m))?;
    let privileges = resolve(v.attr("privileges"), grant.object_type, Some(info.major()))?;
    let entry = DesiredGrant {
        target: grant.target.clone(),
        privileges,
        with_grant_option: v.attr("with_grant_option").as_bool().unwrap_or(false),
    };
    server
        .apply_grants(&grant.database, info, &grant.role, &[entry], mode)
        .await
        .map_err(|e| Diagnostics::from(diagnostic(&e, apply_path(&e, &grant))))?;
    Ok(grant)
}

/// The attribute an apply-time error is about, when it names one: the grantee, the database,
/// or an object the grant names that does not exist (none can be checked at plan: the same
/// apply may create them).
fn apply_path(err: &PgError, grant: &Grant) -> Option<AttrPath> {
    let attr = match err {
        PgError::Invalid(m) if m.starts_with("role \"") && m.ends_with(" does not exist") => "role",
        PgError::Invalid(m) if m.ends_with(" does not exist") => {
            match (grant.object_type, grant.objects.is_empty()) {
                (ObjectType::Schema, true) => "schema",
                _ => "objects",
            }
        }
        PgError::Connect {
            database, message, ..
        } if *database == grant.database && message.contains("does not exist") => "database",
        PgError::Query {
            code: Some(code), ..
        } if code == sqlstate::UNDEFINED_COLUMN => "columns",
        _ => return None,
    };
    Some(AttrPath::attr(attr))
}

fn invalid(path: AttrPath, message: String) -> Diagnostics {
    Diagnostic::error("Invalid grant", message).at(path).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Privilege::*;

    fn s(ps: &[Privilege]) -> BTreeSet<Privilege> {
        ps.iter().copied().collect()
    }

    #[test]
    fn uniform_objects_read_their_set() {
        let a = s(&[Select]);
        assert_eq!(read_privileges(&[&a, &a], None), Some(a.clone()));
        assert_eq!(read_privileges(&[], Some(&a)), None);
    }

    #[test]
    fn differing_objects_read_something_other_than_the_state() {
        let (sel, both) = (s(&[Select]), s(&[Select, Insert]));
        // State says SELECT: the union differs from it.
        assert_eq!(
            read_privileges(&[&sel, &both], Some(&sel)),
            Some(both.clone())
        );
        // State says SELECT, INSERT (= the union): the intersection differs from it.
        assert_eq!(
            read_privileges(&[&sel, &both], Some(&both)),
            Some(sel.clone())
        );
    }

    fn grant(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())));
        for (k, d) in [
            ("objects", Value::List(vec![])),
            ("columns", Value::List(vec![])),
        ] {
            if v.attr(k).is_null() {
                v.set_attr(k, d);
            }
        }
        v
    }

    #[test]
    fn shapes_are_checked_at_the_attribute() {
        let v = grant(&[
            ("database", "app".into()),
            ("role", "r".into()),
            ("object_type", "table".into()),
        ]);
        assert_eq!(shape_problems(&v)[0].0, AttrPath::attr("schema"));
        let v = grant(&[
            ("database", "app".into()),
            ("role", "r".into()),
            ("object_type", "column".into()),
            ("schema", "s".into()),
            ("objects", string_list(&["a".into(), "b".into()])),
        ]);
        let paths: Vec<AttrPath> = shape_problems(&v).into_iter().map(|p| p.0).collect();
        assert_eq!(
            paths,
            [AttrPath::attr("objects"), AttrPath::attr("columns")]
        );
        let v = grant(&[
            ("database", "app".into()),
            ("role", "r".into()),
            ("object_type", "table".into()),
            ("schema", Value::unknown()),
        ]);
        assert!(shape_problems(&v).is_empty(), "unknowns pass");
    }

    #[test]
    fn ids_round_trip_odd_names_and_drop_trailing_empties() {
        let v = grant(&[
            ("database", "app/1".into()),
            ("role", "o\"dd, r@le".into()),
            ("object_type", "table".into()),
            ("schema", "s.p ü".into()),
            ("objects", string_list(&["a,b".into(), "c%d".into()])),
        ]);
        let g = Grant::from_value(&v).unwrap();
        assert_eq!(g.id(), "app%2F1/o\"dd%2C r@le/table/s.p ü/a%2Cb,c%25d");
        let db = grant(&[
            ("database", "app".into()),
            ("role", "PUBLIC".into()),
            ("object_type", "database".into()),
        ]);
        assert_eq!(Grant::from_value(&db).unwrap().id(), "app/PUBLIC/database");
    }

    #[test]
    fn privileges_errors_name_the_index() {
        let err = resolve(
            &string_list(&["SELECT".into(), "EXECUTE".into()]),
            ObjectType::Table,
            Some(15),
        )
        .unwrap_err();
        assert_eq!(
            err.0[0].path,
            Some(AttrPath::attr("privileges").then_index(1))
        );
    }

    #[test]
    fn apply_errors_point_at_the_attribute_they_are_about() {
        let v = grant(&[
            ("database", "app".into()),
            ("role", "r".into()),
            ("object_type", "table".into()),
            ("schema", "s".into()),
            ("objects", string_list(&["t".into()])),
        ]);
        let g = Grant::from_value(&v).unwrap();
        let path = |e: PgError| apply_path(&e, &g);
        assert_eq!(
            path(PgError::invalid("role \"r\" does not exist")),
            Some(AttrPath::attr("role"))
        );
        assert_eq!(
            path(PgError::invalid("table \"s\".\"t\" does not exist")),
            Some(AttrPath::attr("objects"))
        );
        assert_eq!(
            path(PgError::Query {
                context: "changing privileges".into(),
                code: Some(sqlstate::UNDEFINED_COLUMN.into()),
                message: "column \"x\" does not exist".into(),
            }),
            Some(AttrPath::attr("columns"))
        );
        assert_eq!(path(PgError::invalid("something else")), None);
    }
}
