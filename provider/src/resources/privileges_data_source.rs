//! `dbre_privileges`: what a role (or PUBLIC) holds in one database, object by object — the
//! grants made to it directly, and what it can actually use: direct grants, PUBLIC's, those of
//! the roles it inherits through membership, an owner's, and what superuser status and the
//! predefined `pg_read_all_data` / `pg_write_all_data` / `pg_maintain` roles add. For audits,
//! and for modules that must know before they grant.
//!
//! Answered from snapshots shared with every resource refreshed in the same walk: the
//! database's ACLs (one catalog read per database), every role and every membership (one read
//! each per server); the membership closure is computed from them, not queried per role.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::pg_errors::diagnostic;
use super::Ctx;
use crate::pg::acl::DatabaseAcls;
use crate::pg::inherited::{closure_from_snapshots, Membership};
use crate::pg::{ObjectAcl, ObjectType, PgError, Privilege};
use crate::tf::{
    validators, AttrPath, Attribute, Block, DataSource, Diagnostic, Diagnostics, Schema, Type,
    Value,
};

#[derive(Debug, Default)]
pub struct PrivilegesDataSource;

/// The attributes of one entry of `objects`.
fn object_type() -> Type {
    Type::object([
        ("object_type", Type::String),
        ("schema", Type::String),
        ("name", Type::String),
        ("column", Type::String),
        ("owner", Type::String),
        ("privileges", Type::list(Type::String)),
        ("grantable", Type::list(Type::String)),
        ("effective_privileges", Type::list(Type::String)),
    ])
}

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .description(
                "The privileges a role (or PUBLIC) holds in one database, object by object: \
                 granted to it directly, and effective (what it can actually use). Objects in \
                 PostgreSQL's own schemas are left out.",
            )
            .attribute(
                Attribute::string("database")
                    .required()
                    .validate(validators::not_empty)
                    .description("The database to look in."),
            )
            .attribute(
                Attribute::string("role")
                    .required()
                    .validate(validators::not_empty)
                    .description("The role, exactly as named (case included), or \"PUBLIC\"."),
            )
            .attribute(
                Attribute::new("schemas", Type::list(Type::String))
                    .optional()
                    .description(
                        "Only objects in these schemas, and these schemas themselves (the \
                         database, foreign data wrappers and servers are then left out). \
                         Default: every schema.",
                    ),
            )
            .attribute(
                Attribute::new("object_types", Type::list(Type::String))
                    .optional()
                    .description(
                        "Only these object types: database, schema, table (tables, views, \
                         materialized views, foreign tables), sequence, function, procedure, \
                         routine (functions and procedures), foreign_data_wrapper, \
                         foreign_server, column, type. Default: all.",
                    ),
            )
            .attribute(
                Attribute::new("objects", Type::list(object_type()))
                    .computed()
                    .description(
                        "Every object on which the role holds or can use a privilege, sorted by \
                         object_type, schema, name, column (byte order). privileges: granted to \
                         the role itself (from any grantor); grantable: those of them held WITH \
                         GRANT OPTION; effective_privileges: what the role can use, as \
                         has_*_privilege answers (direct, PUBLIC's, inherited through \
                         memberships that inherit, the owner's, superuser, predefined roles). \
                         column is set for column-level grants (name is then the table); \
                         functions are named by signature, e.g. \"add(integer, integer)\".",
                    ),
            ),
    )
}

#[async_trait]
impl DataSource<Ctx> for PrivilegesDataSource {
    fn type_name(&self) -> &'static str {
        "dbre_privileges"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(types) = config.attr("object_types").as_elements() {
            for (i, t) in types.iter().enumerate() {
                if let Some(name) = t.as_str() {
                    if ObjectType::parse(name).is_none() {
                        let names: Vec<&str> = ObjectType::ALL.iter().map(|t| t.name()).collect();
                        diags.error_at(
                            AttrPath::attr("object_types").then_index(i),
                            "Unknown object type",
                            format!("{name:?} is not an object type; expected one of: {}.", {
                                names.join(", ")
                            }),
                        );
                    }
                }
            }
        }
        diags
    }

    async fn read(&self, meta: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let database = config.attr("database").as_str().unwrap_or_default();
        let role = config.attr("role").as_str().unwrap_or_default();
        let server = meta.server()?;
        let major = meta.server_info.as_ref().map_or(15, |i| i.major());
        let at_database = |e: PgError| {
            let path = matches!(e, PgError::Connect { .. }).then(|| AttrPath::attr("database"));
            Diagnostics::from(diagnostic(&e, path))
        };
        let acls = server
            .database_acls(database, major)
            .await
            .map_err(at_database)?;
        let roles = server.role_catalog().await.map_err(at_database)?;
        let memberships = server
            .membership_catalog(major)
            .await
            .map_err(at_database)?;
        let owner = acls
            .find(ObjectType::Database, None, database, None)
            .map(|d| d.owner);
        let membership = closure_from_snapshots(role, &roles, &memberships, owner, major);
        let Some(membership) = membership else {
            return Err(Diagnostic::error(
                "Role not found",
                format!("There is no role named {role:?} (names are exact, case included)."),
            )
            .at(AttrPath::attr("role"))
            .into());
        };
        let filter = Filter::from_config(config);
        let objects = privileges_of(&acls, &membership, &filter)
            .into_iter()
            .map(|o| o.to_value())
            .collect();
        let mut result = config.clone();
        result.set_attr("objects", Value::List(objects));
        Ok(result)
    }
}

/// Which objects the configuration asks about.
#[derive(Debug, Default)]
pub struct Filter {
    /// `None`: every schema.
    pub schemas: Option<BTreeSet<String>>,
    /// `None`: every type. `Routine` is expanded to functions and procedures.
    pub object_types: Option<BTreeSet<ObjectType>>,
}

impl Filter {
    fn from_config(config: &Value) -> Filter {
        let strings = |name: &str| {
            config.attr(name).as_elements().map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
        };
        let object_types = strings("object_types").map(|names| {
            names
                .iter()
                .filter_map(|n| ObjectType::parse(n))
                .flat_map(|t| match t {
                    ObjectType::Routine => vec![ObjectType::Function, ObjectType::Procedure],
                    t => vec![t],
                })
                .collect()
        });
        Filter {
            schemas: strings("schemas").map(|s| s.into_iter().collect()),
            object_types,
        }
    }

    fn admits(&self, object: &ObjectAcl) -> bool {
        if let Some(types) = &self.object_types {
            if !types.contains(&object.object_type) {
                return false;
            }
        }
        match (&self.schemas, object.object_type) {
            (None, _) => true,
            (Some(schemas), ObjectType::Schema) => schemas.contains(&object.name),
            (Some(schemas), _) => object.schema.as_ref().is_some_and(|s| schemas.contains(s)),
        }
    }
}

/// One entry of `objects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPrivileges {
    pub object_type: ObjectType,
    pub schema: Option<String>,
    pub name: String,
    pub column: Option<String>,
    pub owner: String,
    pub privileges: BTreeSet<Privilege>,
    pub grantable: BTreeSet<Privilege>,
    pub effective: BTreeSet<Privilege>,
}

impl ObjectPrivileges {
    fn to_value(&self) -> Value {
        let names = |set: &BTreeSet<Privilege>| {
            Value::List(set.iter().map(|p| Value::from(p.name())).collect())
        };
        Value::object([
            ("object_type", Value::from(self.object_type.name())),
            ("schema", self.schema.clone().into()),
            ("name", Value::from(self.name.clone())),
            ("column", self.column.clone().into()),
            ("owner", Value::from(self.owner.clone())),
            ("privileges", names(&self.privileges)),
            ("grantable", names(&self.grantable)),
            ("effective_privileges", names(&self.effective)),
        ])
    }
}

/// Every object `filter` admits on which the role holds or can use anything, sorted by
/// (object type, schema, name, column) in byte order — the same whatever the collation.
pub fn privileges_of(
    acls: &DatabaseAcls,
    membership: &Membership,
    filter: &Filter,
) -> Vec<ObjectPrivileges> {
    let major = acls.major;
    let mut out: Vec<ObjectPrivileges> = acls
        .objects
        .iter()
        .filter(|o| filter.admits(o))
        .filter_map(|o| {
            let held = o.held_by(membership.role, Some(major));
            let effective = if o.object_type == ObjectType::Column {
                let table = acls.find(ObjectType::Table, o.schema.as_deref(), &o.name, None);
                membership.effective_on_column(o, table, major)
            } else {
                membership.effective(o, major)
            };
            if held.privileges.is_empty() && effective.is_empty() {
                return None;
            }
            Some(ObjectPrivileges {
                object_type: o.object_type,
                schema: o.schema.clone(),
                name: o.name.clone(),
                column: o.column.clone(),
                owner: acls.role_name(o.owner),
                privileges: held.privileges,
                grantable: held.grantable,
                effective,
            })
        })
        .collect();
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out
}

fn sort_key(o: &ObjectPrivileges) -> (&str, &[u8], &[u8], &[u8]) {
    (
        o.object_type.name(),
        o.schema.as_deref().unwrap_or("").as_bytes(),
        o.name.as_bytes(),
        o.column.as_deref().unwrap_or("").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::acl::{Acl, AclEntry};
    use std::collections::HashMap;

    fn object(t: ObjectType, schema: Option<&str>, name: &str, acl: Acl) -> ObjectAcl {
        ObjectAcl {
            object_type: t,
            schema: schema.map(str::to_owned),
            name: name.into(),
            column: None,
            oid: 1,
            owner: 10,
            acl,
        }
    }

    fn select_for(grantee: u32, grantable: bool) -> Acl {
        Acl::Explicit(vec![AclEntry {
            grantee,
            grantor: 10,
            privilege: Privilege::Select,
            grantable,
        }])
    }

    fn acls() -> DatabaseAcls {
        DatabaseAcls::new(
            "app".into(),
            15,
            vec![
                object(ObjectType::Table, Some("b"), "t", select_for(20, true)),
                object(ObjectType::Table, Some("a"), "u", select_for(30, false)),
                object(ObjectType::Table, Some("a"), "nothing", Acl::Default),
                object(ObjectType::Schema, None, "a", Acl::Default),
                object(ObjectType::Function, Some("a"), "f()", Acl::Default),
            ],
            Vec::new(),
            HashMap::from([
                (10, "owner".into()),
                (20, "app".into()),
                (30, "group".into()),
            ]),
        )
    }

    fn membership() -> Membership {
        Membership {
            role: 20,
            superuser: false,
            roles: [20, 30].into(),
            predefined: BTreeSet::new(),
        }
    }

    #[test]
    fn direct_inherited_and_public_in_byte_order() {
        let got = privileges_of(&acls(), &membership(), &Filter::default());
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|o| (o.object_type.name(), o.name.as_str()))
            .collect();
        assert_eq!(names, [("function", "f()"), ("table", "u"), ("table", "t")]);
        let t = &got[2];
        assert_eq!(t.privileges, [Privilege::Select].into());
        assert_eq!(t.grantable, [Privilege::Select].into());
        let u = &got[1];
        assert!(u.privileges.is_empty(), "inherited, not direct");
        assert_eq!(u.effective, [Privilege::Select].into());
        assert_eq!(got[0].effective, [Privilege::Execute].into(), "PUBLIC's");
        assert_eq!(got[0].owner, "owner");
    }

    #[test]
    fn filters_by_schema_and_type() {
        let filter = Filter {
            schemas: Some(["a".to_string()].into()),
            object_types: Some([ObjectType::Table, ObjectType::Schema].into()),
        };
        let got = privileges_of(&acls(), &membership(), &filter);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "u");
    }
}
