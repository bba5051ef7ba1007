//! Every role membership of the cluster in ONE `pg_auth_members` read, shared by all refreshes
//! of a Terraform walk through the server's snapshot ([`Server::membership_catalog`]).
//!
//! Why: refreshing 1,000 `dbre_role_membership` resources (and every `dbre_privileges` data
//! source, which needs the membership closure) would otherwise cost one round trip each.
//! The snapshot holds the same thing a per-membership read returns — one [`Membership`] per
//! (role, member) with one [`MembershipGrant`] per row (PostgreSQL 16+: per grantor), in the same
//! order — so reading from it aggregates exactly as [`super::memberships::read_membership`] does.
//!
//! Kept exact by invalidation: every membership write ([`super::memberships`], borrowed
//! memberships in [`super::borrow`]) and every role write (create, rename, drop: names change,
//! rows vanish) forgets it. Writers never use it; they read fresh under their locks.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::{GenericClient, Row};

use super::error::PgError;
use super::memberships::{Membership, MembershipGrant, GRANT_OPTIONS_MAJOR};
use super::server::Server;

/// One `pg_auth_members` row by oid, as the membership closure walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipEdge {
    /// The role granted (`roleid`).
    pub role: u32,
    /// The member.
    pub member: u32,
    /// This row's `inherit_option` (`None` before PostgreSQL 16, where the member's
    /// `rolinherit` decides).
    pub inherit_option: Option<bool>,
}

/// Every membership of the cluster, as of one read.
#[derive(Debug, Default)]
pub struct MembershipCatalog {
    /// (role, member) names → the membership with its rows in grantor order.
    by_pair: HashMap<(String, String), Membership>,
    edges: Vec<MembershipEdge>,
}

impl MembershipCatalog {
    /// The membership of `member` in `role`, exactly as
    /// [`super::memberships::read_membership`] would read it; `None` when there is none (or
    /// either role does not exist).
    pub fn get(&self, role: &str, member: &str) -> Option<&Membership> {
        self.by_pair.get(&(role.to_owned(), member.to_owned()))
    }

    /// Every row, by oid.
    pub fn edges(&self) -> &[MembershipEdge] {
        &self.edges
    }

    /// How many memberships (role, member pairs) there are.
    pub fn len(&self) -> usize {
        self.by_pair.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pair.is_empty()
    }

    /// A catalog of bare edges, for tests of what walks them.
    #[cfg(test)]
    pub(crate) fn with_edges(edges: Vec<MembershipEdge>) -> Self {
        MembershipCatalog {
            by_pair: HashMap::new(),
            edges,
        }
    }

    /// Builds the catalog from rows in grantor order (the order each membership keeps).
    fn from_rows(rows: impl IntoIterator<Item = CatalogRow>) -> Self {
        let mut catalog = MembershipCatalog::default();
        for row in rows {
            catalog.edges.push(MembershipEdge {
                role: row.role_oid,
                member: row.member_oid,
                inherit_option: row.grant.inherit_option,
            });
            catalog
                .by_pair
                .entry((row.role.clone(), row.member.clone()))
                .or_insert_with(|| Membership {
                    role: row.role,
                    member: row.member,
                    grants: Vec::new(),
                })
                .grants
                .push(row.grant);
        }
        catalog
    }
}

/// One row of the bulk read.
struct CatalogRow {
    role_oid: u32,
    role: String,
    member_oid: u32,
    member: String,
    grant: MembershipGrant,
}

/// Every row of `pg_auth_members` with the names, ordered as the per-membership read orders a
/// membership's rows (by grantor name, then grantor oid), with a version's option columns.
macro_rules! select_all_grants {
    ($options:literal) => {
        concat!(
            "SELECT r.oid, r.rolname::text, u.oid, u.rolname::text, g.rolname::text, \
             m.admin_option, ",
            $options,
            " FROM pg_catalog.pg_auth_members m \
             JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
             JOIN pg_catalog.pg_roles u ON u.oid = m.member \
             LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.grantor \
             ORDER BY g.rolname, m.grantor"
        )
    };
}

/// PG15 has no per-grant INHERIT and SET options.
const SELECT_ALL_GRANTS_15: &str = select_all_grants!("NULL::bool, NULL::bool");

const SELECT_ALL_GRANTS_16: &str = select_all_grants!("m.inherit_option, m.set_option");

fn row_of(row: &Row) -> CatalogRow {
    CatalogRow {
        role_oid: row.get(0),
        role: row.get(1),
        member_oid: row.get(2),
        member: row.get(3),
        grant: MembershipGrant {
            grantor: row.get(4),
            admin_option: row.get(5),
            inherit_option: row.get(6),
            set_option: row.get(7),
        },
    }
}

/// Every membership, in one query. `pg_auth_members` and `pg_roles` are readable by any role.
pub async fn read_membership_catalog<C: GenericClient + Sync>(
    client: &C,
    major: i32,
) -> Result<MembershipCatalog, PgError> {
    let sql = if major >= GRANT_OPTIONS_MAJOR {
        SELECT_ALL_GRANTS_16
    } else {
        SELECT_ALL_GRANTS_15
    };
    let rows = client
        .query_typed(sql, &[])
        .await
        .map_err(|e| PgError::query("reading all role memberships", &e))?;
    Ok(MembershipCatalog::from_rows(rows.iter().map(row_of)))
}

impl Server {
    /// Every membership, from this server's snapshot: one `pg_auth_members` query shared by all
    /// readers for a few seconds, and never one that began before this provider's last
    /// membership or role write (see [`super::snapshot`]). For refreshes and imports; writes
    /// read the live catalog.
    pub async fn membership_catalog(&self, major: i32) -> Result<Arc<MembershipCatalog>, PgError> {
        self.membership_cache()
            .get_or_load(&major, || async {
                read_membership_catalog(&*self.maintenance().await?, major).await
            })
            .await
    }

    /// Called after every membership write (committed or not: a failed statement may still
    /// have run): the next [`Server::membership_catalog`] reads again.
    pub(crate) fn memberships_changed(&self) {
        self.membership_cache().invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: &str, member: &str, grantor: &str, admin: bool) -> CatalogRow {
        CatalogRow {
            role_oid: role.len() as u32,
            role: role.into(),
            member_oid: 100 + member.len() as u32,
            member: member.into(),
            grant: MembershipGrant {
                grantor: Some(grantor.into()),
                admin_option: admin,
                inherit_option: Some(!admin),
                set_option: Some(true),
            },
        }
    }

    #[test]
    fn rows_group_by_pair_and_keep_grantor_order() {
        let catalog = MembershipCatalog::from_rows([
            row("readers", "alice", "a", false),
            row("writers", "alice", "a", true),
            row("readers", "alice", "b", true),
            row("readers", "bob", "c", false),
        ]);
        assert_eq!(catalog.len(), 3);
        assert_eq!(catalog.edges().len(), 4);
        let m = catalog.get("readers", "alice").unwrap();
        let grantors: Vec<_> = m.grants.iter().map(|g| g.grantor.as_deref()).collect();
        assert_eq!(grantors, [Some("a"), Some("b")]);
        assert!(m.admin_option());
        assert_eq!(m.inherit_option(), Some(true));
        assert!(!catalog.get("readers", "bob").unwrap().admin_option());
        assert!(catalog.get("alice", "readers").is_none());
        assert!(catalog.get("writers", "bob").is_none());
    }

    #[test]
    fn both_versions_read_the_same_columns_in_the_same_order() {
        for sql in [SELECT_ALL_GRANTS_15, SELECT_ALL_GRANTS_16] {
            assert!(sql.contains("FROM pg_catalog.pg_auth_members m"), "{sql}");
            assert!(sql.ends_with("ORDER BY g.rolname, m.grantor"), "{sql}");
            assert!(!sql.contains('$'), "no parameters: {sql}");
        }
        assert!(SELECT_ALL_GRANTS_16.contains("m.inherit_option, m.set_option"));
        assert!(SELECT_ALL_GRANTS_15.contains("NULL::bool, NULL::bool"));
    }
}
