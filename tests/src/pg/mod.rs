//! A throwaway PostgreSQL 15 server per test.
//!
//! A copy of a once-per-machine `initdb` template (see `template.rs`) in a temp dir on tmpfs,
//! SCRAM password auth on 127.0.0.1 and on a unix socket inside the temp dir, a free port, a
//! fresh superuser password, `log_connections = on` so tests can count the connections a provider
//! opens, and `pg_ctl stop -m immediate` on drop. When the tests run as root (CI, containers),
//! the server binaries run as the `postgres` account, since PostgreSQL refuses to run as root.
//! Start-up takes about half a second.

use std::fmt;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::process::{self, env_secs};
use crate::sql::{quote_ident, quote_literal};
use crate::tls::TlsFiles;

mod conn;
mod log;
mod template;

pub use conn::{sqlstate, ConnInfo};
pub use log::{Connection, LogMark};

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
    tls: Option<TlsFiles>,
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
    /// Starts a fresh server with the default settings. Fails with a clear message when the
    /// PostgreSQL 15 binaries are missing (override their directory with `DBRE_PG_BIN_DIR`).
    pub fn start() -> Result<Self> {
        PgServer::builder().start()
    }

    /// Options beyond the defaults: TLS, extra `postgresql.conf` settings.
    pub fn builder() -> PgBuilder {
        PgBuilder::default()
    }

    fn start_with(options: PgBuilder) -> Result<Self> {
        let bin_dir = pg_bin_dir()?;
        let account = server_account()?;
        let base = scratch_base(account);
        let template = template::ensure(&base, &bin_dir, account)?;
        let dir = tempfile::Builder::new()
            .prefix("dbre-pg-")
            .tempdir_in(&base)
            .with_context(|| format!("creating a temp dir in {}", base.display()))?;
        let root = dir.path().to_path_buf();
        let mut server = PgServer {
            bin_dir,
            data_dir: root.join("data"),
            socket_dir: root.join("sock"),
            log_file: root.join("server.log"),
            port: 0,
            password: template.password.clone(),
            account,
            tls: None,
            stopped: true,
            _dir: dir,
        };
        fs::create_dir(&server.socket_dir)?;
        chown_to(&root, account)?;
        chown_to(&server.socket_dir, account)?;
        let mut copy = Command::new("cp");
        copy.arg("-a").arg(&template.data_dir).arg(&server.data_dir);
        process::run(copy, env_secs("DBRE_E2E_PG_TIMEOUT_SECS", 120))?
            .ok()
            .context("copying the PostgreSQL template")?;
        server.configure(&root, &options)?;
        server.start_on_free_port()?;
        // Every server shares the template's password until here; give this one its own.
        let fresh = random_hex(16)?;
        // Over the socket, which also works when TCP requires TLS.
        server.socket_superuser().execute(&format!(
            "ALTER ROLE {} PASSWORD {}",
            quote_ident(SUPERUSER),
            quote_literal(&fresh)
        ))?;
        server.password = fresh;
        Ok(server)
    }

    /// Appends the harness settings (and the caller's) to `postgresql.conf`; sets up TLS.
    fn configure(&mut self, root: &Path, options: &PgBuilder) -> Result<()> {
        let mut conf = format!(
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
        if options.tls {
            let (cert, key) = match &options.own_cert {
                Some((cert_pem, key_pem)) => {
                    let (cert, key) = (root.join("server.crt"), root.join("server.key"));
                    fs::write(&cert, cert_pem)?;
                    fs::write(&key, key_pem)?;
                    (cert, key)
                }
                None => {
                    let tls = crate::tls::make_server_certs(root)?;
                    let files = (tls.server_cert.clone(), tls.server_key.clone());
                    self.tls = Some(tls);
                    files
                }
            };
            // PostgreSQL refuses a key file others can read; it must belong to the server account.
            fs::set_permissions(&key, fs::Permissions::from_mode(0o600))?;
            self.give_to_server_account(&key)?;
            self.give_to_server_account(&cert)?;
            conf.push_str(&format!(
                "ssl = on\nssl_cert_file = {}\nssl_key_file = {}\n",
                quote_literal(&cert.to_string_lossy()),
                quote_literal(&key.to_string_lossy()),
            ));
        }
        if let Some(ca_pem) = &options.client_ca {
            let ca = root.join("client_ca.crt");
            fs::write(&ca, ca_pem)?;
            self.give_to_server_account(&ca)?;
            conf.push_str(&format!(
                "ssl_ca_file = {}\n",
                quote_literal(&ca.to_string_lossy())
            ));
        }
        for (name, value) in &options.settings {
            conf.push_str(&format!("{name} = {value}\n"));
        }
        append(&self.data_dir.join("postgresql.conf"), &conf)?;
        if options.require_tls {
            // TCP clients must use TLS: `host` lines become `hostssl` (the socket stays `local`).
            let hba_path = self.data_dir.join("pg_hba.conf");
            let hba: String = fs::read_to_string(&hba_path)?
                .lines()
                .map(|line| match line.strip_prefix("host ") {
                    Some(rest) => format!("hostssl {rest}\n"),
                    None => format!("{line}\n"),
                })
                .collect();
            fs::write(&hba_path, hba)?;
        }
        if !options.hba_first.is_empty() {
            let hba_path = self.data_dir.join("pg_hba.conf");
            let defaults = fs::read_to_string(&hba_path)?;
            fs::write(
                &hba_path,
                format!("{}\n{defaults}", options.hba_first.join("\n")),
            )?;
        }
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
        let root = self.data_dir.parent().expect("data dir has a parent");
        let mut cmd = server_command(&self.bin_dir, tool, self.account, root);
        args(&mut cmd);
        process::run(cmd, env_secs("DBRE_E2E_PG_TIMEOUT_SECS", 120))
    }

    fn give_to_server_account(&self, path: &Path) -> Result<()> {
        chown_to(path, self.account)
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

    /// The CA certificate that signed the server's certificate, when started with
    /// [`PgBuilder::tls`] (for `sslrootcert` with `sslmode = "verify-full"`).
    pub fn ca_cert(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_cert.as_path())
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

    /// The bootstrap superuser on `postgres` over the unix socket (works even when TCP
    /// requires TLS, see [`PgBuilder::require_tls`]).
    pub fn socket_superuser(&self) -> ConnInfo {
        ConnInfo {
            host: self.socket_dir.to_string_lossy().into_owned(),
            ..self.superuser()
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

    /// [`create_admin`](Self::create_admin) with NOINHERIT: a login that gets the rights of the
    /// roles it is a member of only through SET ROLE (some managed services hand these out).
    pub fn create_noinherit_admin(&self, name: &str, password: &str) -> Result<ConnInfo> {
        let admin = self.create_admin(name, password)?;
        self.execute(&format!("ALTER ROLE {} NOINHERIT", quote_ident(name)))?;
        Ok(admin)
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

/// Options for [`PgServer::builder`].
#[derive(Clone, Debug, Default)]
pub struct PgBuilder {
    tls: bool,
    require_tls: bool,
    /// The server's certificate and key (PEM) instead of ones from the throwaway CA.
    own_cert: Option<(String, String)>,
    client_ca: Option<String>,
    hba_first: Vec<String>,
    settings: Vec<(String, String)>,
}

impl PgBuilder {
    /// `ssl = on` with a certificate for `localhost`/`127.0.0.1` from a throwaway CA
    /// ([`PgServer::ca_cert`]). Plain TCP connections are still accepted.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Like [`PgBuilder::tls`], and TCP connections without TLS are refused.
    pub fn require_tls(mut self) -> Self {
        self.tls = true;
        self.require_tls = true;
        self
    }

    /// `ssl = on` with this certificate and key (PEM) instead of ones from the throwaway CA, for
    /// tests that need a particular certificate; [`PgServer::ca_cert`] is then `None`.
    pub fn tls_with_cert(mut self, cert_pem: &str, key_pem: &str) -> Self {
        self.tls = true;
        self.own_cert = Some((cert_pem.to_string(), key_pem.to_string()));
        self
    }

    /// Client certificates signed by this CA (PEM) are accepted (`ssl_ca_file`), for
    /// [`PgBuilder::hba_first`] lines with the `cert` method.
    pub fn client_ca(mut self, ca_pem: &str) -> Self {
        self.client_ca = Some(ca_pem.to_string());
        self
    }

    /// A `pg_hba.conf` line matched before the harness's own (e.g.
    /// `hostssl all certuser 127.0.0.1/32 cert`).
    pub fn hba_first(mut self, line: &str) -> Self {
        self.hba_first.push(line.to_string());
        self
    }

    /// An extra `postgresql.conf` line; `value` is written as is (quote strings: `"'x'"`).
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_string(), value.to_string()));
        self
    }

    pub fn start(self) -> Result<PgServer> {
        PgServer::start_with(self)
    }
}

/// A command for one of the server binaries, run as the server account when we are root, in a
/// directory that account can enter.
fn server_command(bin_dir: &Path, tool: &str, account: Option<Account>, cwd: &Path) -> Command {
    let mut cmd = Command::new(bin_dir.join(tool));
    cmd.current_dir(cwd).env("LC_ALL", "C.UTF-8");
    if let Some(account) = account {
        cmd.uid(account.uid).gid(account.gid).env("HOME", cwd);
    }
    cmd
}

fn chown_to(path: &Path, account: Option<Account>) -> Result<()> {
    if let Some(account) = account {
        std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid))
            .with_context(|| format!("chown {} to the postgres account", path.display()))?;
    }
    Ok(())
}

/// Where servers (and the template) live: `DBRE_E2E_PG_TMPDIR` if set, else /dev/shm (tmpfs:
/// initdb and copies are several times faster than on disk, and fsync is off anyway), else /tmp.
/// As root, the server account must be able to reach it, which rules out a private `$TMPDIR`.
fn scratch_base(account: Option<Account>) -> PathBuf {
    if let Some(dir) = std::env::var_os("DBRE_E2E_PG_TMPDIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    let writable = shm.is_dir()
        && tempfile::Builder::new()
            .prefix(".dbre-e2e-probe-")
            .tempdir_in(shm)
            .is_ok();
    if writable {
        shm.to_path_buf()
    } else if account.is_some() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    }
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

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("appending to {}", path.display()))
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
