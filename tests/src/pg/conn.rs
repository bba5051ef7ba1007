//! Connecting to a throwaway server as some user, from sync and async tests alike.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, SimpleQueryMessage};

use super::HARNESS_APPLICATION_NAME;
use crate::sql::hcl_string;

/// How to reach the server as one user on one database. Helpers open a fresh connection per
/// call (tagged with [`HARNESS_APPLICATION_NAME`]) and work from sync and async tests alike.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnInfo {
    /// An IP address or host name, or a unix socket directory (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConnInfo({}@{}:{}/{})",
            self.user, self.host, self.port, self.database
        )
    }
}

impl ConnInfo {
    /// The same user on another database.
    pub fn with_database(&self, database: &str) -> ConnInfo {
        ConnInfo {
            database: database.to_string(),
            ..self.clone()
        }
    }

    /// The standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
    /// `PGSSLMODE=disable`), which the provider reads as defaults.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGHOST", self.host.clone()),
            ("PGPORT", self.port.to_string()),
            ("PGUSER", self.user.clone()),
            ("PGPASSWORD", self.password.clone()),
            ("PGDATABASE", self.database.clone()),
            ("PGSSLMODE", "disable".to_string()),
        ]
    }

    /// A libpq keyword/value connection string.
    pub fn connection_string(&self) -> String {
        let q = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        format!(
            "host={} port={} user={} password={} dbname={} sslmode=disable",
            q(&self.host),
            self.port,
            q(&self.user),
            q(&self.password),
            q(&self.database)
        )
    }

    /// A `provider "dbre"` block pointing at this server as this user.
    pub fn provider_hcl(&self) -> String {
        format!(
            "provider \"dbre\" {{\n  postgres {{\n    host     = {}\n    port     = {}\n    \
             username = {}\n    password = {}\n    database = {}\n    sslmode  = \"disable\"\n  }}\n}}\n",
            hcl_string(&self.host),
            self.port,
            hcl_string(&self.user),
            hcl_string(&self.password),
            hcl_string(&self.database)
        )
    }

    /// Opens an async connection; its driver task runs on the caller's tokio runtime.
    pub async fn connect(&self) -> Result<Client> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .password(&self.password)
            .dbname(&self.database)
            .application_name(HARNESS_APPLICATION_NAME)
            .connect_timeout(Duration::from_secs(10));
        let (client, connection) = config
            .connect(NoTls)
            .await
            .with_context(|| format!("connecting to {self:?}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Logs in and out; fails when the credentials are refused.
    pub fn check_login(&self) -> Result<()> {
        block_on(async { self.connect().await.map(drop) })
    }

    /// Runs SQL (one or more statements, no parameters).
    pub fn execute(&self, sql: &str) -> Result<()> {
        block_on(async {
            let client = self.connect().await?;
            client
                .batch_execute(sql)
                .await
                .with_context(|| format!("as {self:?}: {sql}"))
        })
    }

    /// Runs one parameterised statement and returns its rows.
    pub fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        block_on(async {
            let client = self.connect().await?;
            client
                .query(sql, params)
                .await
                .with_context(|| format!("as {self:?}: {sql}"))
        })
    }

    /// Runs SQL through the simple protocol and returns every row as text, as psql shows it.
    pub fn psql(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        block_on(async {
            let client = self.connect().await?;
            let messages = client
                .simple_query(sql)
                .await
                .with_context(|| format!("as {self:?}: {sql}"))?;
            Ok(messages
                .into_iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect())
        })
    }

    /// The first column of the first row as text (`None` for no row or NULL).
    pub fn scalar(&self, sql: &str) -> Result<Option<String>> {
        Ok(self
            .psql(sql)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten()))
    }
}

/// The SQLSTATE of a failed harness call, if the server sent one (e.g. `42501`,
/// insufficient privilege).
pub fn sqlstate(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .filter_map(|e| e.downcast_ref::<tokio_postgres::Error>())
        .find_map(|e| e.code().map(|c| c.code().to_string()))
}

/// Runs a future to completion on a private runtime in a scoped thread, so the blocking helpers
/// work both from plain `#[test]`s and from inside `#[tokio::test]`.
fn block_on<F>(fut: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("building a tokio runtime")
                    .block_on(fut)
            })
            .join()
            .expect("harness query thread panicked")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let conn = ConnInfo {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "u".into(),
            password: "hunter2".into(),
            database: "d".into(),
        };
        assert!(!format!("{conn:?}").contains("hunter2"));
        assert!(conn.provider_hcl().contains("password = \"hunter2\""));
    }
}
