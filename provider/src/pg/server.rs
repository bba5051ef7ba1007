//! `Server`: one configured PostgreSQL server — its settings plus the shared pools — which is
//! what resources hold. Everything that spans databases (dependents, REASSIGN OWNED everywhere)
//! starts here.

use std::sync::Arc;
use std::time::Duration;

use super::acl::DatabaseAcls;
use super::error::PgError;
use super::membership_catalog::MembershipCatalog;
use super::pool::{PoolStats, PooledClient, Pools};
use super::roles::RoleCatalog;
use super::settings::ConnSettings;
use super::snapshot::SnapshotCache;

/// How long a catalog snapshot serves reads: one Terraform walk's burst, not a process's life.
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(15);

/// One configured server. Cheap to clone; clones share the pools and the catalog snapshots.
#[derive(Clone)]
pub struct Server {
    pools: Pools,
    settings: Arc<ConnSettings>,
    /// Per-database ACL snapshots (see [`super::acl`]).
    acls: Arc<SnapshotCache<String, DatabaseAcls>>,
    /// Every role of the cluster (see [`Server::role_catalog`]).
    roles: Arc<SnapshotCache<(), RoleCatalog>>,
    /// Every role membership of the cluster, keyed by server major (the query's shape; see
    /// [`Server::membership_catalog`]).
    memberships: Arc<SnapshotCache<i32, MembershipCatalog>>,
}

/// What the provider learns when it first talks to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `server_version_num`, e.g. 150004.
    pub version_num: i32,
    /// `server_version`, e.g. "15.4 (Debian 15.4-1)".
    pub version: String,
    /// The role we are connected as.
    pub current_user: String,
    pub superuser: bool,
    pub create_role: bool,
    pub create_database: bool,
}

impl ServerInfo {
    /// PostgreSQL major version (15, 16, …).
    pub fn major(&self) -> i32 {
        self.version_num / 10000
    }
}

impl Server {
    pub fn new(pools: &Pools, settings: ConnSettings) -> Self {
        Server {
            pools: pools.clone(),
            settings: Arc::new(settings),
            acls: Arc::new(SnapshotCache::new(SNAPSHOT_MAX_AGE)),
            roles: Arc::new(SnapshotCache::new(SNAPSHOT_MAX_AGE)),
            memberships: Arc::new(SnapshotCache::new(SNAPSHOT_MAX_AGE)),
        }
    }

    pub(super) fn acl_cache(&self) -> &SnapshotCache<String, DatabaseAcls> {
        &self.acls
    }

    pub(super) fn role_cache(&self) -> &SnapshotCache<(), RoleCatalog> {
        &self.roles
    }

    pub(super) fn membership_cache(&self) -> &SnapshotCache<i32, MembershipCatalog> {
        &self.memberships
    }

    pub fn settings(&self) -> &ConnSettings {
        &self.settings
    }

    /// The maintenance database (`settings.database`).
    pub fn maintenance_database(&self) -> &str {
        &self.settings.database
    }

    /// A pooled connection to `database`.
    pub async fn client(&self, database: &str) -> Result<PooledClient, PgError> {
        self.pools.get(&self.settings, database).await
    }

    /// A pooled connection to the maintenance database.
    pub async fn maintenance(&self) -> Result<PooledClient, PgError> {
        self.client(&self.settings.database).await
    }

    pub fn pool_stats(&self, database: &str) -> PoolStats {
        self.pools.stats(&self.settings, database)
    }

    /// Connects to the maintenance database and reads who we are. Meant for provider configure
    /// time: a bad host or password becomes one error here (and is remembered for a moment by the
    /// pool, so resources asking right after get the same answer at once).
    pub async fn check(&self) -> Result<ServerInfo, PgError> {
        let client = self.maintenance().await?;
        let row = client
            .query_one(
                "SELECT current_setting('server_version_num')::int4, \
                        current_setting('server_version'), \
                        r.rolname::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb \
                 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                &[],
            )
            .await
            .map_err(|e| PgError::query("reading the server version and the connected role", &e))?;
        Ok(ServerInfo {
            version_num: row.get(0),
            version: row.get(1),
            current_user: row.get(2),
            superuser: row.get(3),
            create_role: row.get(4),
            create_database: row.get(5),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::roles::{NamePattern, RoleSpec};

    fn assert_send<T: Send>(_: &T) {}

    /// The plugin runs engine calls in spawned tasks: every public future must be `Send`.
    /// Compile-time only; nothing here is awaited.
    #[allow(dead_code)]
    fn public_futures_are_send(server: Server, client: &PooledClient) {
        let spec = RoleSpec::default();
        assert_send(&server.check());
        assert_send(&server.client("db"));
        assert_send(&server.begin("db"));
        assert_send(&server.atomic("db", "ctx", &[]));
        assert_send(&server.read_role("r"));
        assert_send(&server.create_role(&spec, Some("pw")));
        assert_send(&server.alter_role(&spec, &spec));
        assert_send(&server.rename_role("a", "b"));
        assert_send(&server.set_role_password("a", None));
        assert_send(&server.set_role_comment("a", None));
        assert_send(&server.dependents("a"));
        assert_send(&server.drop_role("a", Some("b")));
        assert_send(&crate::pg::roles::read_role(&**client, "r"));
        assert_send(&crate::pg::roles::read_roles(&**client, &[]));
        assert_send(&crate::pg::roles::list_roles(
            &**client,
            &NamePattern::All,
            false,
        ));
        assert_send(&crate::pg::lock_in_order(&**client, &[]));
        assert_send(&server.database_acls("db", 15));
        assert_send(&server.membership_catalog(15));
        assert_send(&crate::pg::membership_catalog::read_membership_catalog(
            &**client, 15,
        ));
        assert_send(&crate::pg::acl::read_database_acls(
            &**client, "db", 15, None,
        ));
    }
}
