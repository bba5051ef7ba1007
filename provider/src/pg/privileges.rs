//! What can be granted on what: object types, privileges, and the list `ALL` stands for on a
//! given server version. One table of facts shared by grants, default privileges and the
//! privilege data sources — so a privilege the server does not have is refused at plan time
//! and `ALL` never plans a phantom diff.

use std::collections::BTreeSet;
use std::fmt;

/// A kind of object privileges are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectType {
    Database,
    Schema,
    /// Tables, views, materialized views, foreign tables and partitioned tables: what
    /// `GRANT … ON TABLE` reaches.
    Table,
    Sequence,
    /// Functions, aggregates and window functions (`prokind` f, a, w).
    Function,
    Procedure,
    /// Functions and procedures alike.
    Routine,
    ForeignDataWrapper,
    ForeignServer,
    /// Columns of one table.
    Column,
    /// Types and domains.
    Type,
}

impl ObjectType {
    pub const ALL: [ObjectType; 11] = [
        ObjectType::Database,
        ObjectType::Schema,
        ObjectType::Table,
        ObjectType::Sequence,
        ObjectType::Function,
        ObjectType::Procedure,
        ObjectType::Routine,
        ObjectType::ForeignDataWrapper,
        ObjectType::ForeignServer,
        ObjectType::Column,
        ObjectType::Type,
    ];

    /// The name used in configuration, e.g. `"foreign_data_wrapper"`.
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::Database => "database",
            ObjectType::Schema => "schema",
            ObjectType::Table => "table",
            ObjectType::Sequence => "sequence",
            ObjectType::Function => "function",
            ObjectType::Procedure => "procedure",
            ObjectType::Routine => "routine",
            ObjectType::ForeignDataWrapper => "foreign_data_wrapper",
            ObjectType::ForeignServer => "foreign_server",
            ObjectType::Column => "column",
            ObjectType::Type => "type",
        }
    }

    pub fn parse(name: &str) -> Option<ObjectType> {
        ObjectType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The keyword after `GRANT … ON` for one named object (columns are granted `ON TABLE`).
    pub fn sql_keyword(self) -> &'static str {
        match self {
            ObjectType::Database => "DATABASE",
            ObjectType::Schema => "SCHEMA",
            ObjectType::Table | ObjectType::Column => "TABLE",
            ObjectType::Sequence => "SEQUENCE",
            ObjectType::Function => "FUNCTION",
            ObjectType::Procedure => "PROCEDURE",
            ObjectType::Routine => "ROUTINE",
            ObjectType::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            ObjectType::ForeignServer => "FOREIGN SERVER",
            ObjectType::Type => "TYPE",
        }
    }

    /// Whether objects of this type live in a schema (and so need `schema`).
    pub fn in_schema(self) -> bool {
        !matches!(
            self,
            ObjectType::Database
                | ObjectType::Schema
                | ObjectType::ForeignDataWrapper
                | ObjectType::ForeignServer
        )
    }

    /// The plural used in messages, e.g. "foreign data wrappers".
    pub fn plural(self) -> &'static str {
        match self {
            ObjectType::Database => "databases",
            ObjectType::Schema => "schemas",
            ObjectType::Table => "tables",
            ObjectType::Sequence => "sequences",
            ObjectType::Function => "functions",
            ObjectType::Procedure => "procedures",
            ObjectType::Routine => "routines",
            ObjectType::ForeignDataWrapper => "foreign data wrappers",
            ObjectType::ForeignServer => "foreign servers",
            ObjectType::Column => "columns",
            ObjectType::Type => "types",
        }
    }

    /// Every privilege this object type has on a server of `major` version — what `ALL`
    /// means there. `None`: version not known yet (plan without a connection); then the
    /// newest list, checked again at apply.
    pub fn privileges(self, major: Option<i32>) -> Vec<Privilege> {
        use Privilege::*;
        let mut list = match self {
            ObjectType::Database => vec![Create, Connect, Temporary],
            ObjectType::Schema => vec![Usage, Create],
            ObjectType::Table => vec![
                Select, Insert, Update, Delete, Truncate, References, Trigger,
            ],
            ObjectType::Sequence => vec![Usage, Select, Update],
            ObjectType::Function | ObjectType::Procedure | ObjectType::Routine => vec![Execute],
            ObjectType::ForeignDataWrapper | ObjectType::ForeignServer | ObjectType::Type => {
                vec![Usage]
            }
            ObjectType::Column => vec![Select, Insert, Update, References],
        };
        if self == ObjectType::Table && major.is_none_or(|m| m >= 17) {
            list.push(Maintain);
        }
        list.sort();
        list
    }

    /// What a role that is not the owner gets without any GRANT (the built-in default ACL,
    /// granted to PUBLIC): `CONNECT, TEMPORARY` on databases, `EXECUTE` on routines, `USAGE`
    /// on types.
    pub fn public_defaults(self) -> Vec<Privilege> {
        match self {
            ObjectType::Database => vec![Privilege::Connect, Privilege::Temporary],
            ObjectType::Function | ObjectType::Procedure | ObjectType::Routine => {
                vec![Privilege::Execute]
            }
            ObjectType::Type => vec![Privilege::Usage],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One privilege, named as `GRANT` and `aclexplode()` spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Maintain,
    Usage,
    Create,
    Connect,
    Temporary,
    Execute,
}

impl Privilege {
    pub const ALL: [Privilege; 13] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Maintain,
        Privilege::Usage,
        Privilege::Create,
        Privilege::Connect,
        Privilege::Temporary,
        Privilege::Execute,
    ];

    /// The keyword, e.g. `"SELECT"` (also what `aclexplode()` returns).
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Maintain => "MAINTAIN",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Connect => "CONNECT",
            Privilege::Temporary => "TEMPORARY",
            Privilege::Execute => "EXECUTE",
        }
    }

    /// A keyword in any case; `TEMP` is `TEMPORARY`.
    pub fn parse(name: &str) -> Option<Privilege> {
        let upper = name.trim().to_ascii_uppercase();
        if upper == "TEMP" {
            return Some(Privilege::Temporary);
        }
        Privilege::ALL.into_iter().find(|p| p.name() == upper)
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `name` is `ALL` or `ALL PRIVILEGES` (any case, any spacing).
pub fn is_all(name: &str) -> bool {
    let words: Vec<String> = name
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    words == ["ALL"] || words == ["ALL", "PRIVILEGES"]
}

/// Turns configured privilege names into the exact set they mean for `object_type` on a server
/// of `major` version (`None`: not known yet). `ALL` expands to the server's real list. The
/// error names the offending entry (its index in `names`) and says what is allowed.
pub fn resolve(
    names: &[&str],
    object_type: ObjectType,
    major: Option<i32>,
) -> Result<BTreeSet<Privilege>, (usize, String)> {
    let allowed = object_type.privileges(major);
    let mut out = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if is_all(name) {
            out.extend(allowed.iter().copied());
            continue;
        }
        let explain = || {
            let list: Vec<&str> = allowed.iter().map(|p| p.name()).collect();
            format!(
                "{} have the privileges {} (or \"ALL\").",
                capitalise(object_type.plural()),
                list.join(", ")
            )
        };
        match Privilege::parse(name) {
            Some(p) if allowed.contains(&p) => {
                out.insert(p);
            }
            Some(Privilege::Maintain) if object_type == ObjectType::Table => {
                return Err((
                    i,
                    format!(
                        "MAINTAIN exists from PostgreSQL 17 on; this server is PostgreSQL {}. {}",
                        major.unwrap_or_default(),
                        explain()
                    ),
                ))
            }
            Some(p) => {
                return Err((
                    i,
                    format!(
                        "{p} is not a privilege on {}. {}",
                        object_type.plural(),
                        explain()
                    ),
                ))
            }
            None => return Err((i, format!("{name:?} is not a privilege. {}", explain()))),
        }
    }
    Ok(out)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_expands_to_the_servers_real_list() {
        let pg15 = resolve(&["ALL"], ObjectType::Table, Some(15)).unwrap();
        assert_eq!(pg15.len(), 7);
        assert!(!pg15.contains(&Privilege::Maintain));
        let pg17 = resolve(&["all privileges"], ObjectType::Table, Some(17)).unwrap();
        assert!(pg17.contains(&Privilege::Maintain));
        let db = resolve(&["ALL"], ObjectType::Database, Some(15)).unwrap();
        assert_eq!(
            db.into_iter().collect::<Vec<_>>(),
            [Privilege::Create, Privilege::Connect, Privilege::Temporary]
        );
    }

    #[test]
    fn names_are_case_insensitive_and_temp_is_temporary() {
        let set = resolve(
            &["select", " Insert", "SELECT"],
            ObjectType::Table,
            Some(15),
        )
        .unwrap();
        assert_eq!(set.len(), 2);
        let set = resolve(&["temp"], ObjectType::Database, Some(15)).unwrap();
        assert!(set.contains(&Privilege::Temporary));
    }

    #[test]
    fn privileges_the_object_type_lacks_are_explained() {
        let (i, msg) = resolve(&["SELECT", "EXECUTE"], ObjectType::Table, Some(15)).unwrap_err();
        assert_eq!(i, 1);
        assert!(
            msg.contains("EXECUTE is not a privilege on tables"),
            "{msg}"
        );
        assert!(msg.contains("SELECT, INSERT"), "{msg}");
        let (_, msg) = resolve(&["MAINTAIN"], ObjectType::Table, Some(15)).unwrap_err();
        assert!(msg.contains("PostgreSQL 17"), "{msg}");
        let (_, msg) = resolve(&["SELEKT"], ObjectType::Sequence, Some(15)).unwrap_err();
        assert!(msg.contains("\"SELEKT\" is not a privilege"), "{msg}");
        // Version not known yet: MAINTAIN passes now and is checked again at apply.
        assert!(resolve(&["MAINTAIN"], ObjectType::Table, None).is_ok());
    }

    #[test]
    fn object_type_names_round_trip() {
        for t in ObjectType::ALL {
            assert_eq!(ObjectType::parse(t.name()), Some(t));
        }
        for p in Privilege::ALL {
            assert_eq!(Privilege::parse(p.name()), Some(p));
        }
    }
}
