//! One pristine `initdb` per machine and PostgreSQL version, copied for every server.
//!
//! `initdb` is most of a server's start-up cost (2-5 s here, more under load), while copying its
//! result takes ~0.1 s on tmpfs. The template lives beside the servers (normally /dev/shm) under a
//! name keyed by the format below, our uid and the `postgres --version` output; it is created in
//! a staging dir and renamed into place, so concurrent test processes either find a complete
//! template or build their own and let the first rename win. It is never started.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{chown_to, server_command, Account, SUPERUSER};
use crate::process::{self, env_secs};

/// Bump when the initdb options below change, so old templates are not reused.
const FORMAT: &str = "v1";

pub(super) struct Template {
    pub data_dir: PathBuf,
    /// The bootstrap superuser's password in the template (each server replaces it at start).
    pub password: String,
}

pub(super) fn ensure(base: &Path, bin_dir: &Path, account: Option<Account>) -> Result<Template> {
    let dir = base.join(format!(
        "dbre-e2e-pg-template-{FORMAT}-{}-{:016x}",
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() },
        fnv1a(&server_version(bin_dir)?)
    ));
    if let Some(template) = read(&dir) {
        return Ok(template);
    }
    let staging = tempfile::Builder::new()
        .prefix(".dbre-e2e-pg-template-staging-")
        .tempdir_in(base)
        .with_context(|| format!("creating a staging dir in {}", base.display()))?;
    let password = super::random_hex(16)?;
    let pwfile = staging.path().join("pwfile");
    fs::write(&pwfile, format!("{password}\n"))?;
    fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600))?;
    chown_to(staging.path(), account)?;
    chown_to(&pwfile, account)?;
    let data_dir = staging.path().join("data");
    let mut cmd = server_command(bin_dir, "initdb", account, staging.path());
    cmd.arg("-D")
        .arg(&data_dir)
        .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C"])
        .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["--no-sync", "--no-instructions"]);
    let out = process::run(cmd, env_secs("DBRE_E2E_PG_TIMEOUT_SECS", 120))?;
    fs::remove_file(&pwfile)?;
    out.ok().context("initdb failed")?;
    let password_file = staging.path().join("password");
    fs::write(&password_file, &password)?;
    fs::set_permissions(&password_file, fs::Permissions::from_mode(0o600))?;

    let staged = staging.keep();
    if fs::rename(&staged, &dir).is_err() {
        // Another process renamed its template into place first; use that one.
        let _ = fs::remove_dir_all(&staged);
    }
    read(&dir).with_context(|| format!("PostgreSQL template {} is incomplete", dir.display()))
}

fn read(dir: &Path) -> Option<Template> {
    let data_dir = dir.join("data");
    if !data_dir.join("PG_VERSION").is_file() {
        return None;
    }
    let password = fs::read_to_string(dir.join("password")).ok()?;
    Some(Template { data_dir, password })
}

fn server_version(bin_dir: &Path) -> Result<String> {
    let mut cmd = std::process::Command::new(bin_dir.join("postgres"));
    cmd.arg("--version");
    let out = process::run(cmd, env_secs("DBRE_E2E_PG_TIMEOUT_SECS", 120))?.ok()?;
    Ok(format!("{}{}", bin_dir.display(), out.stdout.trim()))
}

/// A stable 64-bit hash for naming (std's hasher is randomly seeded per process).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
