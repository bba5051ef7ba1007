//! `dbre_roles`: the roles whose names match a pattern, with their attributes — to look up roles
//! this configuration does not manage (made by hand, by other stacks, by the platform).

use async_trait::async_trait;

use super::pg_errors::diagnostic;
use super::Ctx;
use crate::pg::roles::{self, NamePattern};
use crate::pg::RoleState;
use crate::tf::{AttrPath, Attribute, Block, DataSource, Diagnostics, Schema, Type, Value};

#[derive(Debug, Default)]
pub struct RolesDataSource;

/// The attributes of one role in `roles`.
fn role_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("oid", Type::Number),
        ("login", Type::Bool),
        ("superuser", Type::Bool),
        ("create_database", Type::Bool),
        ("create_role", Type::Bool),
        ("inherit", Type::Bool),
        ("replication", Type::Bool),
        ("bypass_row_level_security", Type::Bool),
        ("connection_limit", Type::Number),
        ("valid_until", Type::String),
        ("comment", Type::String),
    ])
}

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .description("Roles whose names match a pattern, sorted by name.")
            .attribute(Attribute::string("like").optional().description(
                "SQL LIKE pattern on the name (`%` any run, `_` one character, `\\` escapes). \
                 Without like and regex: every role.",
            ))
            .attribute(
                Attribute::string("regex")
                    .optional()
                    .description("POSIX regular expression on the name (PostgreSQL's `~`)."),
            )
            .attribute(
                Attribute::bool("include_builtin")
                    .optional()
                    .description("Also list the built-in pg_* roles. Default false."),
            )
            .attribute(
                Attribute::new("names", Type::list(Type::String))
                    .computed()
                    .description("The names of the matching roles, sorted (byte order)."),
            )
            .attribute(
                Attribute::new("roles", Type::list(role_type()))
                    .computed()
                    .description(
                        "The matching roles with their attributes (as dbre_role names them), \
                         in the order of names.",
                    ),
            ),
    )
}

#[async_trait]
impl DataSource<Ctx> for RolesDataSource {
    fn type_name(&self) -> &'static str {
        "dbre_roles"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if !config.attr("like").is_null() && !config.attr("regex").is_null() {
            diags.error_at(
                AttrPath::attr("regex"),
                "Conflicting patterns",
                "Set like or regex, not both.",
            );
        }
        diags
    }

    async fn read(&self, meta: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let (pattern, path) = match (config.attr("like").as_str(), config.attr("regex").as_str()) {
            (Some(like), _) => (NamePattern::Like(like.to_owned()), Some("like")),
            (None, Some(regex)) => (NamePattern::Regex(regex.to_owned()), Some("regex")),
            (None, None) => (NamePattern::All, None),
        };
        let include_builtin = config.attr("include_builtin").as_bool().unwrap_or(false);
        let server = meta.server()?;
        let listed = async {
            let client = server.maintenance().await?;
            roles::list_roles(&*client, &pattern, include_builtin).await
        }
        .await;
        let mut found = listed.map_err(|e| {
            // A bad pattern is the likely cause of a failed list; point at it.
            let at = match &e {
                crate::pg::PgError::Query { .. } => path.map(AttrPath::attr),
                _ => None,
            };
            Diagnostics::from(diagnostic(&e, at))
        })?;
        // Byte order, whatever the database's collation: stable across servers.
        found.sort_by(|a, b| a.spec.name.as_bytes().cmp(b.spec.name.as_bytes()));

        let names = found
            .iter()
            .map(|r| Value::from(r.spec.name.clone()))
            .collect();
        let roles = found.iter().map(role_value).collect();
        let mut result = config.clone();
        result.set_attr("names", Value::List(names));
        result.set_attr("roles", Value::List(roles));
        Ok(result)
    }
}

fn role_value(role: &RoleState) -> Value {
    let spec = &role.spec;
    Value::object([
        ("name", Value::from(spec.name.clone())),
        ("oid", i64::from(role.oid).into()),
        ("login", spec.login.into()),
        ("superuser", spec.superuser.into()),
        ("create_database", spec.create_database.into()),
        ("create_role", spec.create_role.into()),
        ("inherit", spec.inherit.into()),
        ("replication", spec.replication.into()),
        (
            "bypass_row_level_security",
            spec.bypass_row_level_security.into(),
        ),
        ("connection_limit", i64::from(spec.connection_limit).into()),
        ("valid_until", spec.valid_until.clone().into()),
        ("comment", spec.comment.clone().into()),
    ])
}
