//! Whose privileges a role can use: itself, the roles it inherits from through membership, and
//! what PostgreSQL's predefined roles and superuser status add — so the privilege data source
//! can answer "what can this role actually do" from an ACL snapshot. Two ways to the same
//! answer: [`read_membership`] (ONE recursive query, on a connection to the database) and
//! [`closure_from_snapshots`] (no query: the server's role, membership and ACL snapshots, which
//! every refresh of the same Terraform command shares).
//!
//! The rules follow the server's own `has_privs_of_role`:
//! - PostgreSQL 15: a membership edge is followed when the MEMBER has `rolinherit`;
//! - PostgreSQL 16+: when the grant's `inherit_option` is set (one row per grantor; any one
//!   inheriting row is enough);
//! - the owner of the current database is implicitly a member of `pg_database_owner` (which
//!   owns the `public` schema of databases created from a PG15+ template); on PG15 that edge,
//!   like any other, needs the owner's `rolinherit`.
//!
//! Superuser status is never inherited (`rolsuper` of the role itself only).

use std::collections::{BTreeSet, HashMap};

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::acl::{is_public, ObjectAcl, PUBLIC};
use super::error::PgError;
use super::membership_catalog::MembershipCatalog;
use super::privileges::{ObjectType, Privilege};
use super::roles::RoleCatalog;

/// The closure of a role's privilege-granting memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The role itself; [`PUBLIC`] for PUBLIC.
    pub role: u32,
    /// `rolsuper` of the role itself: a superuser passes every privilege check.
    pub superuser: bool,
    /// Every role whose privileges the role can use, the role itself included (never PUBLIC,
    /// which everyone holds; see [`Membership::grantees`]).
    pub roles: BTreeSet<u32>,
    /// The names of the predefined roles in `roles` that grant privileges on every object
    /// (`pg_read_all_data`, `pg_write_all_data`, `pg_maintain`).
    pub predefined: BTreeSet<String>,
}

impl Membership {
    /// The membership of PUBLIC: no role but PUBLIC itself.
    pub fn public() -> Membership {
        Membership {
            role: PUBLIC,
            superuser: false,
            roles: BTreeSet::new(),
            predefined: BTreeSet::new(),
        }
    }

    /// Every grantee whose ACL entries count for this role: its roles and PUBLIC.
    pub fn grantees(&self) -> impl Iterator<Item = u32> + '_ {
        self.roles.iter().copied().chain(std::iter::once(PUBLIC))
    }

    /// What the role can use on `object` (columns: on that column's own ACL only; add the
    /// table's with [`Membership::effective_on_column`]).
    pub fn effective(&self, object: &ObjectAcl, major: i32) -> BTreeSet<Privilege> {
        let all = object.object_type.privileges(Some(major));
        if self.superuser {
            return all.into_iter().collect();
        }
        let mut out = BTreeSet::new();
        let entries = object.entries(Some(major));
        for grantee in self.grantees() {
            out.extend(
                entries
                    .iter()
                    .filter(|e| e.grantee == grantee)
                    .map(|e| e.privilege),
            );
        }
        out.extend(self.granted_by_predefined(object.object_type, major));
        out
    }

    /// What the role can use on a column: the column's own grants plus the table's, as
    /// `has_column_privilege` counts them.
    pub fn effective_on_column(
        &self,
        column: &ObjectAcl,
        table: Option<&ObjectAcl>,
        major: i32,
    ) -> BTreeSet<Privilege> {
        let mut out = self.effective(column, major);
        if let Some(table) = table {
            let column_privileges = ObjectType::Column.privileges(Some(major));
            out.extend(
                self.effective(table, major)
                    .into_iter()
                    .filter(|p| column_privileges.contains(p)),
            );
        }
        out
    }

    /// What the predefined roles the role inherits grant on every object of `object_type`.
    fn granted_by_predefined(&self, object_type: ObjectType, major: i32) -> Vec<Privilege> {
        use Privilege::*;
        let has = |name: &str| self.predefined.contains(name);
        let mut out = Vec::new();
        match object_type {
            ObjectType::Table | ObjectType::Sequence => {
                if has("pg_read_all_data") {
                    out.push(Select);
                }
                if has("pg_write_all_data") {
                    out.extend([Insert, Update, Delete]);
                }
                if has("pg_maintain") && object_type == ObjectType::Table && major >= 17 {
                    out.push(Maintain);
                }
            }
            ObjectType::Schema if has("pg_read_all_data") || has("pg_write_all_data") => {
                out.push(Usage)
            }
            _ => {}
        }
        let allowed = object_type.privileges(Some(major));
        out.retain(|p| allowed.contains(p));
        out
    }
}

/// The predefined roles that grant privileges on objects without any ACL entry.
const PREDEFINED: [&str; 3] = ["pg_read_all_data", "pg_write_all_data", "pg_maintain"];

/// The closure query around a version's `edges(member, granted)` rows: the roles `$1` reaches
/// through them, whether it is superuser, and which of the roles `$2` the closure holds.
macro_rules! closure_sql {
    ($edges:literal) => {
        concat!(
            "WITH RECURSIVE edges(member, granted) AS (",
            $edges,
            "), closure(oid) AS (
    SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1
  UNION
    SELECT e.granted FROM closure c JOIN edges e ON e.member = c.oid
)
SELECT r.oid, r.rolsuper,
       ARRAY(SELECT c.oid FROM closure c ORDER BY 1),
       ARRAY(SELECT g.rolname::text FROM closure c JOIN pg_catalog.pg_roles g ON g.oid = c.oid
             WHERE g.rolname = ANY($2::text[]) ORDER BY 1)
FROM pg_catalog.pg_roles r WHERE r.rolname = $1"
        )
    };
}

/// PG15: an edge counts when the member has `rolinherit` (the database owner is a member of
/// `pg_database_owner` on the same terms).
const CLOSURE_SQL_15: &str = closure_sql!(
    "
    SELECT m.member, m.roleid FROM pg_catalog.pg_auth_members m
    JOIN pg_catalog.pg_roles r ON r.oid = m.member WHERE r.rolinherit
  UNION ALL
    SELECT d.datdba, 'pg_database_owner'::regrole::oid FROM pg_catalog.pg_database d
    JOIN pg_catalog.pg_roles r ON r.oid = d.datdba
    WHERE d.datname = pg_catalog.current_database() AND r.rolinherit
"
);

/// PG16+: an edge counts when that grant's `inherit_option` is set.
const CLOSURE_SQL_16: &str = closure_sql!(
    "
    SELECT m.member, m.roleid FROM pg_catalog.pg_auth_members m WHERE m.inherit_option
  UNION ALL
    SELECT d.datdba, 'pg_database_owner'::regrole::oid FROM pg_catalog.pg_database d
    WHERE d.datname = pg_catalog.current_database()
"
);

/// The membership closure of role `name` as seen from the database `client` is connected to
/// (which matters for `pg_database_owner`). `"PUBLIC"` (any case) is [`Membership::public`]
/// without a query; `Ok(None)`: no such role.
pub async fn read_membership<C: GenericClient + Sync>(
    client: &C,
    name: &str,
    major: i32,
) -> Result<Option<Membership>, PgError> {
    if is_public(name) {
        return Ok(Some(Membership::public()));
    }
    let sql = if major >= 16 {
        CLOSURE_SQL_16
    } else {
        CLOSURE_SQL_15
    };
    let predefined: Vec<&str> = PREDEFINED.to_vec();
    let row = client
        .query_typed(sql, &[(&name, Type::TEXT), (&predefined, Type::TEXT_ARRAY)])
        .await
        .map_err(|e| PgError::query(format!("reading the memberships of role \"{name}\""), &e))?
        .into_iter()
        .next();
    Ok(row.map(|row| Membership {
        role: row.get(0),
        superuser: row.get(1),
        roles: row.get::<_, Vec<u32>>(2).into_iter().collect(),
        predefined: row.get::<_, Vec<String>>(3).into_iter().collect(),
    }))
}

/// What [`read_membership`] reads for role `name` in a database owned by `database_owner`,
/// computed from snapshots: `roles` (names, `rolsuper`, `rolinherit`), `memberships` (the
/// edges) and the owner (from the database's ACL snapshot; `None` leaves out the implicit
/// `pg_database_owner` edge). Same rules, same result; `None`: no such role in `roles`.
pub fn closure_from_snapshots(
    name: &str,
    roles: &RoleCatalog,
    memberships: &MembershipCatalog,
    database_owner: Option<u32>,
    major: i32,
) -> Option<Membership> {
    if is_public(name) {
        return Some(Membership::public());
    }
    let role = roles.by_name(name)?;
    let member_inherits = |oid: u32| roles.by_oid(oid).is_some_and(|r| r.spec.inherit);
    // member → the roles whose privileges it uses directly.
    let mut granted: HashMap<u32, Vec<u32>> = HashMap::new();
    for edge in memberships.edges() {
        let inherits = if major >= 16 {
            edge.inherit_option == Some(true)
        } else {
            member_inherits(edge.member)
        };
        if inherits {
            granted.entry(edge.member).or_default().push(edge.role);
        }
    }
    if let (Some(owner), Some(owners_role)) = (database_owner, roles.by_name("pg_database_owner")) {
        if major >= 16 || member_inherits(owner) {
            granted.entry(owner).or_default().push(owners_role.oid);
        }
    }
    let mut closure = BTreeSet::from([role.oid]);
    let mut queue = vec![role.oid];
    while let Some(oid) = queue.pop() {
        for &next in granted.get(&oid).into_iter().flatten() {
            if closure.insert(next) {
                queue.push(next);
            }
        }
    }
    let predefined = closure
        .iter()
        .filter_map(|oid| roles.by_oid(*oid))
        .map(|r| r.spec.name.clone())
        .filter(|n| PREDEFINED.contains(&n.as_str()))
        .collect();
    Some(Membership {
        role: role.oid,
        superuser: role.spec.superuser,
        roles: closure,
        predefined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::acl::{Acl, AclEntry};
    use crate::pg::MembershipEdge;

    fn table(owner: u32, acl: Acl) -> ObjectAcl {
        ObjectAcl {
            object_type: ObjectType::Table,
            schema: Some("s".into()),
            name: "t".into(),
            column: None,
            oid: 100,
            owner,
            acl,
        }
    }

    fn member_of(roles: &[u32]) -> Membership {
        Membership {
            role: roles[0],
            superuser: false,
            roles: roles.iter().copied().collect(),
            predefined: BTreeSet::new(),
        }
    }

    fn grant(grantee: u32, privilege: Privilege) -> AclEntry {
        AclEntry {
            grantee,
            grantor: 10,
            privilege,
            grantable: false,
        }
    }

    #[test]
    fn inherited_and_public_grants_count() {
        let t = table(
            10,
            Acl::Explicit(vec![
                grant(20, Privilege::Select),
                grant(PUBLIC, Privilege::Insert),
                grant(30, Privilege::Delete),
            ]),
        );
        let got: Vec<_> = member_of(&[21, 20]).effective(&t, 15).into_iter().collect();
        assert_eq!(got, [Privilege::Select, Privilege::Insert]);
        let public: Vec<_> = Membership::public().effective(&t, 15).into_iter().collect();
        assert_eq!(public, [Privilege::Insert]);
    }

    #[test]
    fn owners_hold_the_default_and_superusers_everything() {
        let t = table(10, Acl::Default);
        assert_eq!(member_of(&[11, 10]).effective(&t, 15).len(), 7);
        assert!(member_of(&[11]).effective(&t, 15).is_empty());
        let mut su = member_of(&[11]);
        su.superuser = true;
        assert_eq!(su.effective(&t, 17).len(), 8, "MAINTAIN on 17");
    }

    #[test]
    fn predefined_roles_reach_every_table_and_schema() {
        let mut reader = member_of(&[11, 4200]);
        reader.predefined.insert("pg_read_all_data".into());
        let t = table(10, Acl::Default);
        assert_eq!(
            reader.effective(&t, 15).into_iter().collect::<Vec<_>>(),
            [Privilege::Select]
        );
        let mut nsp = table(10, Acl::Default);
        nsp.object_type = ObjectType::Schema;
        assert_eq!(
            reader.effective(&nsp, 15).into_iter().collect::<Vec<_>>(),
            [Privilege::Usage]
        );
    }

    #[test]
    fn columns_add_the_tables_grants() {
        let t = table(10, Acl::Explicit(vec![grant(20, Privilege::Select)]));
        let mut c = table(10, Acl::Explicit(vec![grant(20, Privilege::Update)]));
        c.object_type = ObjectType::Column;
        c.column = Some("x".into());
        let got: Vec<_> = member_of(&[20])
            .effective_on_column(&c, Some(&t), 15)
            .into_iter()
            .collect();
        assert_eq!(got, [Privilege::Select, Privilege::Update]);
    }

    fn catalog_of(roles: &[(u32, &str, bool)]) -> RoleCatalog {
        RoleCatalog::from_roles(
            roles
                .iter()
                .map(|&(oid, name, inherit)| crate::pg::RoleState {
                    oid,
                    spec: crate::pg::RoleSpec {
                        name: name.into(),
                        inherit,
                        superuser: name == "su",
                        ..Default::default()
                    },
                }),
        )
    }

    fn edge(role: u32, member: u32, inherit_option: Option<bool>) -> MembershipEdge {
        MembershipEdge {
            role,
            member,
            inherit_option,
        }
    }

    #[test]
    fn snapshot_closure_follows_each_versions_inheritance_rule() {
        // 1 top <- 2 mid <- 3 leaf (NOINHERIT) ; 4 reader -> pg_read_all_data (5) ;
        // 6 owner NOINHERIT ; 7 pg_database_owner ; 8 su.
        let roles = catalog_of(&[
            (1, "top", true),
            (2, "mid", true),
            (3, "leaf", false),
            (4, "reader", true),
            (5, "pg_read_all_data", true),
            (6, "owner", false),
            (7, "pg_database_owner", true),
            (8, "su", true),
        ]);
        // PG15: the member's rolinherit decides (leaf does not inherit; the PG16 column is NULL).
        let pg15 = MembershipCatalog::with_edges(vec![
            edge(1, 2, None),
            edge(2, 3, None),
            edge(5, 4, None),
        ]);
        let closure = |name: &str, memberships: &MembershipCatalog, major: i32| {
            closure_from_snapshots(name, &roles, memberships, Some(6), major)
                .unwrap()
                .roles
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(closure("mid", &pg15, 15), [1, 2]);
        assert_eq!(closure("leaf", &pg15, 15), [3]);
        assert_eq!(closure("owner", &pg15, 15), [6], "NOINHERIT owner on 15");
        let reader = closure_from_snapshots("reader", &roles, &pg15, None, 15).unwrap();
        assert!(reader.predefined.contains("pg_read_all_data"));
        assert!(
            closure_from_snapshots("su", &roles, &pg15, None, 15)
                .unwrap()
                .superuser
        );

        // PG16+: each row's inherit_option decides, whatever the member's attribute; one
        // inheriting row of several grantors is enough.
        let pg16 = MembershipCatalog::with_edges(vec![
            edge(1, 2, Some(false)),
            edge(1, 2, Some(true)),
            edge(2, 3, Some(true)),
            edge(5, 4, Some(false)),
        ]);
        assert_eq!(closure("leaf", &pg16, 16), [1, 2, 3]);
        assert_eq!(
            closure("owner", &pg16, 16),
            [6, 7],
            "the owner's edge on 16"
        );
        assert!(closure_from_snapshots("reader", &roles, &pg16, None, 16)
            .unwrap()
            .predefined
            .is_empty());

        assert_eq!(
            closure_from_snapshots("PUBLIC", &roles, &pg16, None, 16),
            Some(Membership::public())
        );
        assert!(closure_from_snapshots("nobody", &roles, &pg16, None, 16).is_none());
    }
}
