//! Borrowing a role's rights for a moment: a non-superuser admin (CREATEROLE, as on managed
//! services) may not grant on, revoke on, or reassign objects owned by a role it is not a member
//! of — but it may make itself a member. [`Server::borrow_role`] does that when needed and the
//! returned [`Borrowed`] gives the membership back.
//!
//! Why a refcount: Terraform applies many resources at once, and two of them may need the same
//! owner's rights at the same moment. The membership is granted by the first borrower and
//! revoked by the last one to give it back, so one apply never pulls the rug from under another.
//! The count lives in this process per (server, login, role); the provider is one process per
//! Terraform run.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::error::PgError;
use super::quote::quote_ident;
use super::roles::read_role;
use super::server::Server;

/// (host, port, login, role): whose membership in which role.
type Key = (String, u16, String, String);

/// How many holders each borrowed membership has. The async mutex is held while the membership
/// is granted or revoked, so a borrow never races a give-back of the same role.
fn registry() -> &'static Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Holders>>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Holders>>>>> =
        OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The number of holders, and the member the membership was granted to (`current_user`, which
/// may be spelled differently from the login name on managed services).
#[derive(Default)]
struct Holders {
    count: usize,
    member: String,
}

fn slot(key: &Key) -> Arc<tokio::sync::Mutex<Holders>> {
    registry()
        .lock()
        .expect("borrow registry lock")
        .entry(key.clone())
        .or_default()
        .clone()
}

/// A membership we granted ourselves (or share with another holder in this process). Give it
/// back with [`Borrowed::release`]; if the future driving us is dropped first (Terraform's
/// Stop), `Drop` gives it back in the background so no admin keeps rights it was only lent.
pub struct Borrowed {
    server: Server,
    key: Key,
    released: bool,
}

impl Borrowed {
    /// The role whose rights were borrowed.
    pub fn role(&self) -> &str {
        &self.key.3
    }

    /// Gives the membership back (revoking it when this was the last holder). Errors are
    /// swallowed: a role dropped meanwhile has no membership left to give back.
    pub async fn release(mut self) {
        self.released = true;
        let _ = give_back(&self.server, &self.key).await;
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (server, key) = (self.server.clone(), self.key.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = give_back(&server, &key).await;
            });
        }
    }
}

/// Releases every borrowed membership, in order.
pub async fn release_all(borrowed: Vec<Borrowed>) {
    for b in borrowed {
        b.release().await;
    }
}

impl Server {
    /// Makes sure the login has the rights of `role`. `Ok(None)`: it already has them (member,
    /// or superuser) and nothing was changed. `Ok(Some(_))`: membership was granted (or is
    /// already lent to another holder in this process); release it when done.
    pub async fn borrow_role(&self, role: &str) -> Result<Option<Borrowed>, PgError> {
        let settings = self.settings();
        let key: Key = (
            settings.host.clone(),
            settings.port,
            settings.username.clone(),
            role.to_owned(),
        );
        let slot = slot(&key);
        let mut holders = slot.lock().await;
        if holders.count > 0 {
            holders.count += 1;
            return Ok(Some(Borrowed {
                server: self.clone(),
                key,
                released: false,
            }));
        }
        let client = self.maintenance().await?;
        let row = client
            .query_opt(
                "SELECT pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'), current_user::text \
                 FROM pg_catalog.pg_roles r WHERE r.rolname = $1",
                &[&role],
            )
            .await
            .map_err(|e| PgError::query(format!("checking membership in role \"{role}\""), &e))?
            .ok_or_else(|| PgError::invalid(format!("role \"{role}\" does not exist")))?;
        // MEMBER, not USAGE: a login that is already a (NOINHERIT) member must keep that
        // membership — granting it again is a no-op, and giving it back would revoke what it
        // had before we came. Such a login acts through SET ROLE: callers that need the
        // role's rights and do not inherit them (a membership granted here does not inherit
        // either when the login is NOINHERIT) switch to it, as the grant engine does.
        if row.get::<_, bool>(0) {
            return Ok(None);
        }
        let me: String = row.get(1);
        let granted = client
            .batch_execute(&format!(
                "GRANT {} TO {}",
                quote_ident(role)?,
                quote_ident(&me)?
            ))
            .await;
        // A membership write like any other: refreshes must not see the snapshot from before.
        self.memberships_changed();
        granted.map_err(|e| {
            PgError::query(
                format!(
                    "acting for role \"{role}\" (the login \"{me}\" is not a member and \
                         could not make itself one)"
                ),
                &e,
            )
        })?;
        holders.count = 1;
        holders.member = me;
        Ok(Some(Borrowed {
            server: self.clone(),
            key,
            released: false,
        }))
    }
}

/// One holder gives the membership back; the last one revokes it. A role that is gone
/// meanwhile (we just dropped it) is fine.
async fn give_back(server: &Server, key: &Key) -> Result<(), PgError> {
    let slot = slot(key);
    let mut holders = slot.lock().await;
    holders.count = holders.count.saturating_sub(1);
    if holders.count > 0 || holders.member.is_empty() {
        return Ok(());
    }
    let member = std::mem::take(&mut holders.member);
    let role = &key.3;
    let client = server.maintenance().await?;
    if read_role(&*client, role).await?.is_none() {
        return Ok(());
    }
    let revoked = client
        .batch_execute(&format!(
            "REVOKE {} FROM {}",
            quote_ident(role)?,
            quote_ident(&member)?
        ))
        .await;
    server.memberships_changed();
    revoked.map_err(|e| PgError::query(format!("giving back role \"{role}\""), &e))
}

/// Of `roles` (names), those whose rights the login does not hold without `SET ROLE`: a
/// NOINHERIT login on PostgreSQL 15 (memberships it borrowed included — they do not inherit
/// either), a membership `WITH INHERIT FALSE` on 16+, or no membership at all. Roles that do not
/// exist are left out. The one check behind every "act for the owner" decision (the grant
/// engine's SET LOCAL ROLE, a role delete's REASSIGN OWNED).
pub(super) async fn not_inherited<C: GenericClient + Sync>(
    client: &C,
    roles: &[&str],
) -> Result<BTreeSet<String>, PgError> {
    if roles.is_empty() {
        return Ok(BTreeSet::new());
    }
    let rows = client
        .query_typed(
            "SELECT r.rolname::pg_catalog.text FROM pg_catalog.pg_roles r \
             WHERE r.rolname = ANY($1::pg_catalog.text[]) \
               AND NOT pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')",
            &[(&roles, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(|e| PgError::query("checking which roles the login inherits", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
