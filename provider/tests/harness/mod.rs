//! The pg layer's tests run on the shared end-to-end harness's throwaway PostgreSQL
//! ([`dbre_e2e::PgServer`]); this turns its connections into the provider's [`ConnSettings`]
//! and gives every server the non-superuser admin the tests compare against.

#![allow(dead_code)] // each test file uses its own part

use std::time::Duration;

use dbre_e2e::{ConnInfo, PgServer};
use dbre_provider::pg::{ConnSettings, SslMode};

/// A non-superuser admin like managed services hand out (CREATEROLE CREATEDB).
pub const ADMIN: &str = "dbre_admin";
const ADMIN_PASSWORD: &str = "admin-secret-pw";

/// A fresh server with [`ADMIN`]. A missing PostgreSQL fails the test with the harness's message.
pub fn start() -> PgServer {
    with_admin(PgServer::start())
}

/// [`start`] for a server built with options.
pub fn with_admin(started: anyhow::Result<PgServer>) -> PgServer {
    let pg = started.unwrap_or_else(|e| panic!("starting a throwaway PostgreSQL: {e:#}"));
    pg.create_admin(ADMIN, ADMIN_PASSWORD)
        .unwrap_or_else(|e| panic!("creating {ADMIN}: {e:#}"));
    pg
}

/// Settings for [`ADMIN`].
pub fn admin(pg: &PgServer) -> ConnSettings {
    user(pg, ADMIN, ADMIN_PASSWORD)
}

/// Settings for another user of `pg`.
pub fn user(pg: &PgServer, name: &str, password: &str) -> ConnSettings {
    pg.superuser().with_user(name, password).settings()
}

pub trait Settings {
    /// The provider's settings for this connection: no TLS, 10 s connect timeout, a pool of 4.
    fn settings(&self) -> ConnSettings;
}

impl Settings for ConnInfo {
    fn settings(&self) -> ConnSettings {
        ConnSettings {
            host: self.host.clone(),
            port: self.port,
            username: self.user.clone(),
            password: Some(self.password.clone()),
            database: self.database.clone(),
            sslmode: SslMode::Disable,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
            connect_timeout: Duration::from_secs(10),
            max_connections: 4,
        }
    }
}

/// Runs SQL as the superuser on `database`, apart from the code under test; returns the first
/// column of the first row as text ("" for none or NULL), as `psql -At` prints it.
pub fn psql_super(pg: &PgServer, database: &str, sql: &str) -> String {
    pg.superuser()
        .with_database(database)
        .scalar(sql)
        .unwrap_or_else(|e| panic!("{sql:?} failed: {e:#}"))
        .unwrap_or_default()
}
