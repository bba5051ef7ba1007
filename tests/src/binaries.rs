//! Finding the freshly built workspace binaries (the provider and the `dbre` CLI).
//!
//! `scripts/test.sh` runs `cargo build --workspace --bins` before the tests, so normally the
//! binaries are there and fresh. When one is missing or older than its sources (someone ran
//! `cargo test` alone after an edit), the harness runs that same `cargo build` itself, once per
//! test process, and checks again; a test never silently exercises yesterday's provider.
//!
//! Why this is sound: `cargo test` and `cargo nextest` compile everything first and release the
//! build-directory lock before they run test binaries (checked with cargo 1.95: a nested build
//! from inside a test proceeds without "Blocking waiting for file lock"). The nested build uses
//! `--workspace --bins` and the test binary's own target dir and profile, so it selects the same
//! features as `scripts/test.sh` and is a no-op after it. Parallel test processes serialize on
//! cargo's lock. `DBRE_E2E_NO_BUILD=1` turns the nested build off (then a stale binary is an error
//! that says what to run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use crate::process::{self, env_secs};

/// Name of the provider binary, as cargo builds it.
pub const PROVIDER_BIN: &str = "terraform-provider-dbre";
/// Name of the policy CLI binary.
pub const DBRE_BIN: &str = "dbre";

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The directory cargo puts binaries of the current profile in (`target/debug`).
///
/// Order: `DBRE_E2E_BIN_DIR` if set; else derived from the running executable (test binaries
/// live in `<target>/<profile>/deps/`, our own bins in `<target>/<profile>/`), which follows
/// `CARGO_TARGET_DIR`, `--release` and `--target` without guessing; else
/// `$CARGO_TARGET_DIR/debug` or `<workspace>/target/debug`.
pub fn target_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DBRE_E2E_BIN_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|exe| {
        let parent = exe.parent()?;
        if parent.file_name()? == "deps" {
            parent.parent().map(Path::to_path_buf)
        } else {
            Some(parent.to_path_buf())
        }
    }) {
        if dir.join(".fingerprint").is_dir() {
            return dir;
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug")
}

/// The provider binary, checked to exist and to be newer than everything under `provider/src`,
/// `provider/proto` and `provider/build.rs` (built first if it is not; see the module docs).
///
/// `DBRE_E2E_PROVIDER=<path>` names the binary exactly (e.g. `target/release/terraform-provider-dbre`
/// for the benchmarks, while the harness itself is a debug build); it is checked for freshness
/// the same way but never built by the harness: build it yourself.
pub fn provider_binary() -> Result<PathBuf> {
    let root = workspace_root().join("provider");
    let sources = [root.join("src"), root.join("proto"), root.join("build.rs")];
    if let Some(path) = std::env::var_os(PROVIDER_ENV) {
        let path = PathBuf::from(path);
        check_fresh(&path, &sources).with_context(|| format!("{PROVIDER_ENV} is set"))?;
        return Ok(path);
    }
    fresh_binary(PROVIDER_BIN, &sources)
}

/// Names the provider binary to use instead of the one in [`target_bin_dir`].
pub const PROVIDER_ENV: &str = "DBRE_E2E_PROVIDER";

/// The `dbre` policy CLI binary, checked to be newer than everything under `policy/src`.
pub fn dbre_binary() -> Result<PathBuf> {
    let root = workspace_root().join("policy");
    fresh_binary(DBRE_BIN, &[root.join("src")])
}

fn fresh_binary(name: &str, sources: &[PathBuf]) -> Result<PathBuf> {
    let bin_dir = target_bin_dir();
    let path = bin_dir.join(name);
    if check_fresh(&path, sources).is_ok() {
        return Ok(path);
    }
    // After a successful `cargo build`, cargo's own fingerprints are the authority: a file under
    // src/ that is not part of the build (notes, backups) must not make the binary "stale".
    if std::env::var_os("DBRE_E2E_NO_BUILD").is_none()
        && build_workspace_bins(&bin_dir)?
        && path.is_file()
    {
        return Ok(path);
    }
    check_fresh(&path, sources)?;
    Ok(path)
}

/// Outcome of this process's nested build: `None` before it ran, else whether it ran cargo
/// successfully. Once per process is enough: a second run would see the same sources.
static BUILT: Mutex<Option<bool>> = Mutex::new(None);

/// Runs `cargo build --workspace --bins` into the target dir and profile `bin_dir` belongs to,
/// returning whether it succeeded. Returns `false` without building when `bin_dir` is not a
/// plain `<target>/<profile>` directory (e.g. a `--target` triple build): then the freshness
/// error explains what to run.
fn build_workspace_bins(bin_dir: &Path) -> Result<bool> {
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(done) = *built {
        return Ok(done);
    }
    *built = Some(false);
    let (Some(target_dir), Some(profile)) = (bin_dir.parent(), bin_dir.file_name()) else {
        return Ok(false);
    };
    if !target_dir.join("CACHEDIR.TAG").is_file() {
        return Ok(false);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--workspace", "--bins", "--target-dir"])
        .arg(target_dir)
        .current_dir(workspace_root());
    match profile.to_str() {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        _ => {
            cmd.arg("--profile").arg(profile);
        }
    }
    eprintln!(
        "dbre-e2e: workspace binaries missing or stale, running `cargo build --workspace --bins`"
    );
    let out = process::run(cmd, env_secs("DBRE_E2E_BUILD_TIMEOUT_SECS", 1200))?;
    out.ok()
        .context("building the workspace binaries for the end-to-end tests")?;
    *built = Some(true);
    Ok(true)
}

const BUILD_HINT: &str = "build the workspace binaries first: `cargo build --workspace --bins` \
     (scripts/test.sh does this before running the tests; the harness does it itself unless \
     DBRE_E2E_NO_BUILD is set)";

/// Fails when `binary` is missing or older than the newest file among `sources` (files or
/// directories, searched recursively; missing ones are ignored).
pub fn check_fresh(binary: &Path, sources: &[PathBuf]) -> Result<()> {
    let built = match std::fs::metadata(binary) {
        Ok(meta) => meta.modified()?,
        Err(_) => bail!("{} is missing; {BUILD_HINT}", binary.display()),
    };
    if let Some((newest, changed)) = newest_file(sources)? {
        if newest > built {
            bail!(
                "{} is stale: {} changed after it was built; {BUILD_HINT}",
                binary.display(),
                changed.display()
            );
        }
    }
    Ok(())
}

fn newest_file(paths: &[PathBuf]) -> Result<Option<(SystemTime, PathBuf)>> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let mut pending: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            for entry in
                std::fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))?
            {
                pending.push(entry?.path());
            }
        } else {
            let modified = meta.modified()?;
            if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                newest = Some((modified, path));
            }
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{File, FileTimes};
    use std::time::Duration;

    fn touch(path: &Path, age_secs: u64) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let file = File::create(path).unwrap();
        let when = SystemTime::now() - Duration::from_secs(age_secs);
        file.set_times(FileTimes::new().set_modified(when)).unwrap();
    }

    #[test]
    fn missing_binary_says_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_fresh(&dir.path().join("nope"), &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("is missing"), "{msg}");
        assert!(msg.contains("cargo build --workspace --bins"), "{msg}");
    }

    #[test]
    fn binary_older_than_a_nested_source_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        touch(&bin, 100);
        touch(&dir.path().join("src/a.rs"), 200);
        touch(&dir.path().join("src/deep/b.rs"), 10);
        let err = check_fresh(&bin, &[dir.path().join("src")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("is stale"), "{msg}");
        assert!(msg.contains("b.rs"), "{msg}");
    }

    #[test]
    fn binary_newer_than_all_sources_is_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        touch(&bin, 10);
        touch(&dir.path().join("src/a.rs"), 200);
        touch(&dir.path().join("build.rs"), 100);
        let sources = [
            dir.path().join("src"),
            dir.path().join("build.rs"),
            dir.path().join("proto"), // missing: ignored
        ];
        check_fresh(&bin, &sources).unwrap();
    }
}
