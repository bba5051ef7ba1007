//! PostgreSQL engine layer: connection settings, pooled connections, identifier and literal
//! quoting, catalog reads and SQL building. Knows nothing of Terraform: plain structs in, plain
//! structs and [`PgError`] out.
//!
//! Entry points: [`Pools::global`] + [`Server::new`] give a [`Server`]; [`Server::check`] at
//! configure time; [`Server::client`] for a pooled connection to any database; the functions in
//! [`roles`] on such a connection; [`Server::drop_role`] / [`Server::dependents`] across
//! databases; [`Server::atomic`], [`Server::transaction`] and [`retry`] for concurrent writers.

pub mod acl;
pub mod borrow;
mod column_fallout;
mod connect;
pub mod default_privileges;
pub mod dependents;
pub mod error;
pub mod grants;
pub mod inherited;
pub mod membership_catalog;
pub mod memberships;
pub mod pool;
pub mod privileges;
pub mod quote;
pub mod roles;
pub mod server;
pub mod settings;
pub mod snapshot;
pub mod tls;
pub mod tx;

pub use acl::{Acl, AclEntry, DatabaseAcls, Held, ObjectAcl, PUBLIC};
pub use connect::APPLICATION_NAME;
pub use dependents::{DatabaseDependents, DependencyKind, DependentObject};
pub use error::PgError;
pub use grants::{DesiredGrant, Mode, Target};
pub use inherited::Membership;
pub use membership_catalog::{MembershipCatalog, MembershipEdge};
pub use pool::{AbandonGuard, PoolStats, PooledClient, Pools};
pub use privileges::{ObjectType, Privilege};
pub use quote::{quote_ident, quote_literal};
pub use roles::{NamePattern, RoleCatalog, RoleSpec, RoleState};
pub use server::{Server, ServerInfo};
pub use settings::{ConnSettings, SslMode};
pub use tx::{lock_in_order, retry, Tx};
