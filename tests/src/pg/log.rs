//! Reading the server log: connection counts from `log_connections`.

use std::fs;
use std::io::{Read, Seek, SeekFrom};

use super::{PgServer, HARNESS_APPLICATION_NAME};

impl PgServer {
    /// The whole server log so far.
    pub fn log(&self) -> String {
        fs::read(&self.log_file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// A position in the server log; pair with [`PgServer::log_since`] or
    /// [`PgServer::connections_since`] to look only at what happened after it.
    pub fn log_mark(&self) -> LogMark {
        LogMark(fs::metadata(&self.log_file).map(|m| m.len()).unwrap_or(0))
    }

    /// The server log written after `mark`.
    pub fn log_since(&self, mark: LogMark) -> String {
        let mut text = Vec::new();
        if let Ok(mut file) = fs::File::open(&self.log_file) {
            if file.seek(SeekFrom::Start(mark.0)).is_ok() {
                let _ = file.read_to_end(&mut text);
            }
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Every connection authorized after `mark` (from `log_connections`), the harness's own
    /// included; filter on [`Connection::application_name`] or [`Connection::user`].
    pub fn connections_since(&self, mark: LogMark) -> Vec<Connection> {
        self.log_since(mark)
            .lines()
            .filter_map(Connection::parse)
            .collect()
    }

    /// Connections after `mark` that are not the harness's own.
    pub fn client_connections_since(&self, mark: LogMark) -> Vec<Connection> {
        self.connections_since(mark)
            .into_iter()
            .filter(|c| c.application_name != HARNESS_APPLICATION_NAME)
            .collect()
    }
}

/// A byte offset into the server log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogMark(u64);

/// One `connection authorized` line of the server log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub user: String,
    pub database: String,
    pub application_name: String,
}

impl Connection {
    /// Parses `... connection authorized: user=U database=D application_name=A`. Names are
    /// printed unquoted, so a name containing ` database=` would confuse this; tests count
    /// connections of ordinary names.
    fn parse(line: &str) -> Option<Connection> {
        let rest = line.split_once("connection authorized: user=")?.1;
        let (user, rest) = rest.split_once(" database=")?;
        let (database, app) = match rest.split_once(" application_name=") {
            Some((db, app)) => (db, app.split(" SSL ").next().unwrap_or(app)),
            None => (rest, ""),
        };
        Some(Connection {
            user: user.to_string(),
            database: database.trim().to_string(),
            application_name: app.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connection_authorized_lines() {
        let line = "2026-11-22 01:02:03.456 UTC [123] LOG:  connection authorized: user=app \
                    database=postgres application_name=terraform-provider-dbre";
        assert_eq!(
            Connection::parse(line),
            Some(Connection {
                user: "app".into(),
                database: "postgres".into(),
                application_name: "terraform-provider-dbre".into(),
            })
        );
        assert_eq!(
            Connection::parse("LOG:  connection received: host=127.0.0.1"),
            None
        );
    }
}
