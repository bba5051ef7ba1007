//! A throwaway PostgreSQL 15 for the `pg` layer's tests: initdb into a temp dir, a free TCP port
//! on 127.0.0.1 with SCRAM password auth, its socket in the temp dir, stopped on drop. When the
//! tests run as root, the server runs as the `postgres` user. Missing binaries fail the test
//! with a message saying what to install; nothing is skipped.
//!
//! Deliberately small and self-contained: the shared end-to-end harness lives in `tests/`.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dbre_provider::pg::{ConnSettings, SslMode};

pub const SUPERUSER: &str = "postgres";
pub const SUPERUSER_PASSWORD: &str = "super-secret-pw";
/// A non-superuser admin like managed services hand out.
pub const ADMIN: &str = "dbre_admin";
pub const ADMIN_PASSWORD: &str = "admin-secret-pw";

const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

#[derive(Default)]
pub struct Options {
    /// Turn on TLS with this server certificate and key (PEM), and optionally a CA for client
    /// certificates.
    pub tls: Option<TlsFiles>,
    /// Lines put in front of the generated pg_hba.conf.
    pub hba_first: Vec<String>,
}

pub struct TlsFiles {
    pub cert_pem: String,
    pub key_pem: String,
    pub client_ca_pem: Option<String>,
}

pub struct TestPg {
    _dir: tempfile::TempDir,
    root: PathBuf,
    pub port: u16,
}

impl TestPg {
    pub fn start() -> TestPg {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> TestPg {
        let bin = Path::new(BIN_DIR);
        for tool in ["initdb", "pg_ctl", "postgres"] {
            assert!(
                bin.join(tool).exists(),
                "PostgreSQL 15 binaries not found: {}/{tool} is missing. Install postgresql-15 \
                 (Debian: apt-get install postgresql-15) to run these tests.",
                BIN_DIR
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("dbre-pg-test-")
            .tempdir()
            .expect("create temp dir");
        let root = dir.path().to_path_buf();
        let data = root.join("data");
        let sock = root.join("sock");
        fs::create_dir(&sock).unwrap();
        let pwfile = root.join("pwfile");
        fs::write(&pwfile, SUPERUSER_PASSWORD).unwrap();
        if is_root() {
            run(Command::new("chown").arg("-R").arg("postgres:").arg(&root));
        }

        let mut initdb = as_postgres(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--no-locale", "--no-sync"]);
        run(&mut initdb);

        let port = free_port();
        let mut conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             log_connections = on\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             max_connections = 60\nshared_buffers = 16MB\npassword_encryption = 'scram-sha-256'\n",
            sock.display()
        );
        if let Some(tls) = &options.tls {
            write_private(&data.join("server.crt"), &tls.cert_pem);
            write_private(&data.join("server.key"), &tls.key_pem);
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
            if let Some(ca) = &tls.client_ca_pem {
                write_private(&data.join("client_ca.crt"), ca);
                conf.push_str("ssl_ca_file = 'client_ca.crt'\n");
            }
        }
        append(&data.join("postgresql.conf"), &conf);
        if !options.hba_first.is_empty() {
            let hba = data.join("pg_hba.conf");
            let old = fs::read_to_string(&hba).unwrap();
            let new = format!("{}\n{old}", options.hba_first.join("\n"));
            fs::write(&hba, new).unwrap();
        }
        if is_root() {
            run(Command::new("chown").arg("-R").arg("postgres:").arg(&root));
        }

        let mut start = as_postgres(bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(root.join("server.log"))
            .args(["-w", "-t", "60", "start"]);
        let pg = TestPg {
            _dir: dir,
            root,
            port,
        };
        run(&mut start);
        pg.psql_super(
            "postgres",
            &format!("CREATE ROLE {ADMIN} LOGIN CREATEROLE CREATEDB PASSWORD '{ADMIN_PASSWORD}'"),
        );
        pg
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Settings for the superuser, sslmode disable, pool size 4.
    pub fn superuser(&self) -> ConnSettings {
        self.settings(SUPERUSER, SUPERUSER_PASSWORD)
    }

    /// Settings for the non-superuser admin (CREATEROLE CREATEDB).
    pub fn admin(&self) -> ConnSettings {
        self.settings(ADMIN, ADMIN_PASSWORD)
    }

    pub fn settings(&self, user: &str, password: &str) -> ConnSettings {
        ConnSettings {
            host: "127.0.0.1".to_string(),
            port: self.port,
            username: user.to_string(),
            password: Some(password.to_string()),
            database: "postgres".to_string(),
            sslmode: SslMode::Disable,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
            connect_timeout: Duration::from_secs(10),
            max_connections: 4,
        }
    }

    /// Runs SQL as the superuser over the unix socket with psql (test setup and checks, kept
    /// apart from the code under test). Returns unaligned, tuples-only output.
    pub fn psql_super(&self, database: &str, sql: &str) -> String {
        let mut cmd = as_postgres(Path::new(BIN_DIR).join("psql"));
        cmd.arg("-h")
            .arg(self.root.join("sock"))
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                database,
            ])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        let out = cmd.output().expect("run psql");
        assert!(
            out.status.success(),
            "psql failed for {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .to_string()
    }

    /// The server log so far (log_connections is on).
    pub fn log(&self) -> String {
        fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let mut stop = as_postgres(Path::new(BIN_DIR).join("pg_ctl"));
        stop.arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.output();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn as_postgres(program: PathBuf) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}
