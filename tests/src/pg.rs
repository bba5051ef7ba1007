//! A throwaway PostgreSQL 15 server per test.
//!
//! `initdb` into a temp dir, SCRAM password auth on 127.0.0.1 and on a unix socket inside the
//! temp dir, a free port, `log_connections = on` so tests can count the connections a provider
//! opens, and `pg_ctl stop -m immediate` on drop. When the tests run as root (CI, containers),
//! the server binaries run as the `postgres` account, since PostgreSQL refuses to run as root.

use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, SimpleQueryMessage};

use crate::process::{self, env_secs};
use crate::sql::{hcl_string, quote_ident, quote_literal};

/// Where Debian/Ubuntu's `postgresql-15` package puts the server binaries.
pub const DEFAULT_PG_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";
/// `application_name` of the harness's own connections, so connection counts can leave them out.
pub const HARNESS_APPLICATION_NAME: &str = "dbre-e2e-harness";
/// The bootstrap superuser's name.
pub const SUPERUSER: &str = "postgres";

/// A running throwaway server. Dropping it stops the server and deletes its files.
pub struct PgServer {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    password: String,
    account: Option<Account>,
    stopped: bool,
    // Declared last: removed after `Drop::drop` has stopped the server.
    _dir: tempfile::TempDir,
}

/// The uid/gid the server binaries run as when we are root.
#[derive(Clone, Copy, Debug)]
struct Account {
    uid: u32,
    gid: u32,
}

impl PgServer {
    /// Starts a fresh server. Fails with a clear message when the PostgreSQL 15 binaries are
    /// missing (override their directory with `DBRE_PG_BIN_DIR`).
    pub fn start() -> Result<Self> {
        let bin_dir = pg_bin_dir()?;
        let account = server_account()?;
        // As root, the server account must reach the temp dir: /tmp is traversable by anyone,
        // whereas $TMPDIR might sit under a private home.
        let base = match account {
            Some(_) => PathBuf::from("/tmp"),
            None => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix("dbre-pg-")
            .tempdir_in(&base)
            .with_context(|| format!("creating a temp dir in {}", base.display()))?;
        let root = dir.path().to_path_buf();
        let password = random_hex(16)?;
        let mut server = PgServer {
            bin_dir,
            data_dir: root.join("data"),
            socket_dir: root.join("sock"),
            log_file: root.join("server.log"),
            port: 0,
            password,
            account,
            stopped: true,
            _dir: dir,
        };
        server.init_cluster(&root)?;
        server.start_on_free_port()?;
        Ok(server)
    }

    fn init_cluster(&self, root: &Path) -> Result<()> {
        fs::create_dir(&self.socket_dir)?;
        let pwfile = root.join("pwfile");
        fs::write(&pwfile, format!("{}\n", self.password))?;
        fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600))?;
        for path in [root, &self.socket_dir, &pwfile] {
            self.give_to_server_account(path)?;
        }
        let out = self.run_pg_tool("initdb", |cmd| {
            cmd.arg("-D")
                .arg(&self.data_dir)
                .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C"])
                .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display()))
                .args(["--no-sync", "--no-instructions"]);
        })?;
        fs::remove_file(&pwfile)?;
        out.ok().context("initdb failed")?;
        let conf = format!(
            "\n# dbre-e2e harness settings\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = {socket}\n\
             log_connections = on\n\
             log_line_prefix = '%m [%p] '\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             shared_buffers = '32MB'\n\
             max_connections = 100\n",
            socket = quote_literal(&self.socket_dir.to_string_lossy()),
        );
        let conf_path = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf_path)?;
        text.push_str(&conf);
        fs::write(&conf_path, text)?;
        Ok(())
    }

    /// Picks a free port and starts; if another process grabs the port in between (parallel
    /// tests), tries again with a new one.
    fn start_on_free_port(&mut self) -> Result<()> {
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            let out = self.run_pg_tool("pg_ctl", |cmd| {
                cmd.arg("-D")
                    .arg(&self.data_dir)
                    .arg("-l")
                    .arg(&self.log_file)
                    .args(["-w", "-t", "60", "-o"])
                    .arg(format!("-p {port}"))
                    .arg("start");
            })?;
            if out.success() {
                self.port = port;
                self.stopped = false;
                return Ok(());
            }
            let log = self.log();
            if !log.contains("could not bind") && !log.contains("already in use") {
                bail!("{out}\n--- server log ---\n{}", tail(&log, 40));
            }
            last = Some(out);
        }
        bail!(
            "PostgreSQL could not find a free port: {}",
            last.map(|o| o.to_string()).unwrap_or_default()
        )
    }

    fn run_pg_tool(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Result<process::Output> {
        let mut cmd = Command::new(self.bin_dir.join(tool));
        args(&mut cmd);
        // The server account may not be able to enter the caller's working directory.
        cmd.current_dir(self.data_dir.parent().expect("data dir has a parent"));
        cmd.env("LC_ALL", "C.UTF-8");
        if let Some(account) = self.account {
            cmd.uid(account.uid).gid(account.gid);
            cmd.env(
                "HOME",
                self.data_dir.parent().expect("data dir has a parent"),
            );
        }
        process::run(cmd, env_secs("DBRE_E2E_PG_TIMEOUT_SECS", 120))
    }

    fn give_to_server_account(&self, path: &Path) -> Result<()> {
        if let Some(account) = self.account {
            std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid))
                .with_context(|| format!("chown {} to the postgres account", path.display()))?;
        }
        Ok(())
    }

    /// Stops the server now (`pg_ctl stop -m immediate`); also done on drop.
    pub fn stop(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let out = self.run_pg_tool("pg_ctl", |cmd| {
            cmd.arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "immediate", "-w", "stop"]);
        })?;
        out.ok().map(|_| ())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The directory holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The bootstrap superuser's password (random per server).
    pub fn superuser_password(&self) -> &str {
        &self.password
    }

    /// The bootstrap superuser on the `postgres` database over TCP.
    pub fn superuser(&self) -> ConnInfo {
        ConnInfo {
            host: self.host().to_string(),
            port: self.port,
            user: SUPERUSER.to_string(),
            password: self.password.clone(),
            database: "postgres".to_string(),
        }
    }

    /// Runs SQL (one or more statements) as the superuser on `postgres`.
    pub fn execute(&self, sql: &str) -> Result<()> {
        self.superuser().execute(sql)
    }

    /// Runs a parameterised query as the superuser on `postgres`.
    pub fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        self.superuser().query(sql, params)
    }

    /// Runs SQL as the superuser on `postgres`, rows as text like psql prints them.
    pub fn psql(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        self.superuser().psql(sql)
    }

    /// First column of the first row, as text, as the superuser on `postgres`.
    pub fn scalar(&self, sql: &str) -> Result<Option<String>> {
        self.superuser().scalar(sql)
    }

    /// Creates a database (owned by the superuser) and returns the superuser's connection to it.
    pub fn create_database(&self, name: &str) -> Result<ConnInfo> {
        self.execute(&format!("CREATE DATABASE {}", quote_ident(name)))?;
        Ok(self.superuser().with_database(name))
    }

    /// Creates a NON-superuser admin with `LOGIN CREATEROLE CREATEDB`, the shape of the admin
    /// account managed services hand out, and returns its connection to `postgres`.
    pub fn create_admin(&self, name: &str, password: &str) -> Result<ConnInfo> {
        self.execute(&format!(
            "CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {}",
            quote_ident(name),
            quote_literal(password)
        ))?;
        Ok(ConnInfo {
            user: name.to_string(),
            password: password.to_string(),
            ..self.superuser()
        })
    }

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

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            eprintln!("dbre-e2e: stopping PostgreSQL failed: {err:#}");
        }
    }
}

impl fmt::Debug for PgServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgServer")
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
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

/// How to reach the server as one user on one database. Helpers open a fresh connection per
/// call (tagged with [`HARNESS_APPLICATION_NAME`]) and work from sync and async tests alike.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnInfo {
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

fn pg_bin_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("DBRE_PG_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PG_BIN_DIR));
    let missing: Vec<&str> = ["initdb", "pg_ctl", "postgres"]
        .into_iter()
        .filter(|tool| !dir.join(tool).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "PostgreSQL 15 server binaries not found: {} missing in {}. Install them \
             (Debian/Ubuntu: `apt-get install -y postgresql-15`) or point DBRE_PG_BIN_DIR at \
             the directory holding initdb and pg_ctl.",
            missing.join(", "),
            dir.display()
        );
    }
    Ok(dir)
}

/// `None` when we are not root (the binaries run as us); the `postgres` account otherwise.
fn server_account() -> Result<Option<Account>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    let account = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == SUPERUSER).then(|| {
            Some(Account {
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        })?
    });
    match account {
        Some(account) => Ok(Some(account)),
        None => bail!(
            "running as root, but there is no `postgres` account to run PostgreSQL as \
             (PostgreSQL refuses to run as root); the postgresql-15 package creates it"
        ),
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
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
