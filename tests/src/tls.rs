//! Throwaway certificates for PostgreSQL's TLS, made with the `openssl` CLI: a CA, and a server
//! certificate for `localhost` and `127.0.0.1` signed by it, so tests can exercise
//! `sslmode=require`, `verify-ca` and `verify-full` (with `sslrootcert` = [`TlsFiles::ca_cert`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::process;

/// The certificate files of one server.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM CA certificate that signed the server certificate (for `sslrootcert`).
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

/// Writes a CA and a server certificate (SAN `DNS:localhost`, `IP:127.0.0.1`) into `dir`.
pub fn make_server_certs(dir: &Path) -> Result<TlsFiles> {
    let files = TlsFiles {
        ca_cert: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
    };
    let ca_key = dir.join("ca.key");
    let csr = dir.join("server.csr");
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName = DNS:localhost, IP:127.0.0.1\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n",
    )?;
    let p = |path: &Path| path.to_string_lossy().into_owned();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p(&ca_key),
        "-out",
        &p(&files.ca_cert),
        "-days",
        "7",
        "-subj",
        "/CN=dbre-e2e throwaway CA",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p(&files.server_key),
        "-out",
        &p(&csr),
        "-subj",
        "/CN=localhost",
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p(&csr),
        "-CA",
        &p(&files.ca_cert),
        "-CAkey",
        &p(&ca_key),
        "-CAcreateserial",
        "-out",
        &p(&files.server_cert),
        "-days",
        "7",
        "-extfile",
        &p(&ext),
    ])?;
    Ok(files)
}

fn openssl(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    process::run(cmd, Duration::from_secs(60))
        .context("running openssl (install the `openssl` package for TLS tests)")?
        .ok()
        .map(drop)
}
