//! A Terraform working directory wired to the freshly built provider, offline.
//!
//! Each [`TfWorkspace`] is a temp dir holding a filesystem mirror with the provider binary
//! (hard-linked from `target/`), a CLI config that installs `dbre/*` only from that mirror, and
//! the working directory Terraform runs in. Every command gets a clean environment: no inherited
//! `TF_*` or `PG*` variables, no plugin cache, no checkpoint calls, `TF_IN_AUTOMATION=1`.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::binaries;
use crate::pg::ConnInfo;
use crate::process::{self, env_secs, Output};

/// The provider's source address as configurations write it.
pub const PROVIDER_SOURCE: &str = "dbre/dbre";
/// The version the mirror offers (the workspace version).
pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the harness expects Terraform when it is not on `PATH`.
pub const DEFAULT_TERRAFORM: &str = "/usr/local/bin/terraform";

/// `terraform { required_providers { dbre = ... } }` for configurations that use the provider.
pub fn required_providers_hcl() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    dbre = {{\n      source  = \"{PROVIDER_SOURCE}\"\n      \
         version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n"
    )
}

/// The terraform binary: `DBRE_TERRAFORM` if set, else `terraform` on `PATH`, else
/// `/usr/local/bin/terraform`; a clear error if none exists.
pub fn terraform_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("DBRE_TERRAFORM") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "DBRE_TERRAFORM points at {}, which does not exist",
            path.display()
        );
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("terraform"))
        .find(|p| p.is_file());
    if let Some(path) = on_path {
        return Ok(path);
    }
    let default = PathBuf::from(DEFAULT_TERRAFORM);
    if default.is_file() {
        return Ok(default);
    }
    bail!(
        "terraform not found (not on PATH, not at {DEFAULT_TERRAFORM}); the end-to-end tests \
         need Terraform 1.11.x — install it or set DBRE_TERRAFORM to its path"
    )
}

/// A temporary Terraform working directory; deleted on drop.
pub struct TfWorkspace {
    dir: tempfile::TempDir,
    work_dir: PathBuf,
    cli_config: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
    parallelism: Option<u32>,
    timeout: Duration,
}

impl TfWorkspace {
    /// A workspace without the provider: for configurations that use only Terraform built-ins
    /// (`terraform_data`), e.g. baselines.
    pub fn new() -> Result<Self> {
        Self::build(None)
    }

    /// A workspace whose mirror offers the freshly built provider (see
    /// [`binaries::provider_binary`] for the freshness check).
    pub fn with_provider() -> Result<Self> {
        let binary = binaries::provider_binary()?;
        Self::build(Some(&binary))
    }

    /// A workspace whose mirror offers the given provider binary.
    pub fn with_provider_binary(binary: &Path) -> Result<Self> {
        Self::build(Some(binary))
    }

    fn build(provider: Option<&Path>) -> Result<Self> {
        let terraform = terraform_binary()?;
        let dir = tempfile::Builder::new().prefix("dbre-tf-").tempdir()?;
        let mirror = dir.path().join("mirror");
        let platform_dir = mirror
            .join("registry.terraform.io")
            .join(PROVIDER_SOURCE)
            .join(PROVIDER_VERSION)
            .join(platform());
        fs::create_dir_all(&platform_dir)?;
        if let Some(binary) = provider {
            let target = platform_dir.join(format!("terraform-provider-dbre_v{PROVIDER_VERSION}"));
            // A hard link costs nothing and keeps the bytes cargo built even if cargo replaces
            // the file later; copy when target/ is on another filesystem.
            if fs::hard_link(binary, &target).is_err() {
                fs::copy(binary, &target)
                    .with_context(|| format!("copying {} into the mirror", binary.display()))?;
            }
        }
        let cli_config = dir.path().join("terraform.tfrc");
        fs::write(&cli_config, cli_config_text(&mirror))?;
        let work_dir = dir.path().join("work");
        fs::create_dir(&work_dir)?;
        Ok(TfWorkspace {
            dir,
            work_dir,
            cli_config,
            terraform,
            env: Vec::new(),
            parallelism: None,
            timeout: env_secs("DBRE_E2E_TF_TIMEOUT_SECS", 300),
        })
    }

    /// The working directory Terraform runs in (holds `main.tf`, state, `.terraform/`).
    pub fn dir(&self) -> &Path {
        &self.work_dir
    }

    /// The temp dir holding the mirror, the CLI config and the working directory.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Adds an environment variable for every later command (`TF_LOG`, `PGPASSWORD`, ...).
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Removes a variable added with [`TfWorkspace::set_env`].
    pub fn unset_env(&mut self, key: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Sets `PGHOST`, `PGPORT`, ... for the provider from a connection.
    pub fn set_pg_env(&mut self, conn: &ConnInfo) -> &mut Self {
        for (key, value) in conn.env() {
            self.set_env(key, &value);
        }
        self
    }

    /// Passes `-parallelism=N` to plan, apply and destroy.
    pub fn set_parallelism(&mut self, n: u32) -> &mut Self {
        self.parallelism = Some(n);
        self
    }

    /// Deadline for each command (default 300 s, or `DBRE_E2E_TF_TIMEOUT_SECS`).
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Writes `main.tf`, replacing the previous configuration.
    pub fn write_config(&self, hcl: &str) -> Result<()> {
        self.write_file("main.tf", hcl)
    }

    /// Writes any file relative to the working directory.
    pub fn write_file(&self, name: &str, content: &str) -> Result<()> {
        let path = self.work_dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, content).with_context(|| format!("writing {}", path.display()))
    }

    /// Runs `terraform <args>` in the working directory and returns whatever happened; errs
    /// only when terraform cannot be started.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        self.run_via::<&str, S>(&[], args)
    }

    /// Like [`TfWorkspace::run`], but starts `wrapper... terraform <args>` — e.g. a profiler
    /// (`perf record -g -o FILE --`) — with the environment terraform would have had.
    pub fn run_via<W: AsRef<OsStr>, S: AsRef<OsStr>>(
        &self,
        wrapper: &[W],
        args: &[S],
    ) -> Result<Output> {
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg(&self.terraform);
                cmd
            }
            None => Command::new(&self.terraform),
        };
        cmd.args(args).current_dir(&self.work_dir);
        for (key, _) in std::env::vars_os() {
            if is_scrubbed(&key) {
                cmd.env_remove(&key);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1");
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        process::run(cmd, self.timeout)
    }

    /// Like [`TfWorkspace::run`] but fails, with the full output, unless terraform exits 0.
    pub fn run_ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        self.run(args)?.ok()
    }

    /// Like [`TfWorkspace::run`] but fails when terraform exits 0 (for "this must be refused").
    pub fn expect_failure<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Output> {
        let out = self.run(args)?;
        if out.success() {
            bail!("expected failure, but {out}");
        }
        Ok(out)
    }

    /// `terraform init` (offline, from the mirror).
    pub fn init(&self) -> Result<Output> {
        self.run_ok(&["init", "-input=false", "-no-color"])
    }

    /// `terraform plan <args>`; fails unless it exits 0.
    pub fn plan(&self, args: &[&str]) -> Result<Output> {
        self.run_ok(&self.with_common("plan", &[], args))
    }

    /// `terraform plan -detailed-exitcode <args>`, whatever the exit code (0 no changes,
    /// 1 error, 2 changes; see [`Output::code`]).
    pub fn plan_detailed(&self, args: &[&str]) -> Result<Output> {
        self.run(&self.with_common("plan", &["-detailed-exitcode"], args))
    }

    /// [`TfWorkspace::plan_detailed`] started through `wrapper` (see [`TfWorkspace::run_via`]).
    pub fn plan_detailed_via(&self, wrapper: &[&str], args: &[&str]) -> Result<Output> {
        self.run_via(
            wrapper,
            &self.with_common("plan", &["-detailed-exitcode"], args),
        )
    }

    /// The exit code of `terraform plan -detailed-exitcode <args>`: 0, 1 or 2.
    pub fn plan_detailed_exitcode(&self, args: &[&str]) -> Result<i32> {
        let out = self.plan_detailed(args)?;
        match out.code {
            0..=2 if !out.timed_out => Ok(out.code),
            _ => bail!("unexpected plan result: {out}"),
        }
    }

    /// Fails, showing the plan, unless `terraform plan` reports no changes.
    pub fn assert_no_changes(&self) -> Result<Output> {
        let out = self.plan_detailed(&[])?;
        if out.code != 0 {
            bail!("expected a plan with no changes, got {out}");
        }
        Ok(out)
    }

    /// Fails, showing the plan, unless `terraform plan` reports changes.
    pub fn assert_changes(&self) -> Result<Output> {
        let out = self.plan_detailed(&[])?;
        if out.code != 2 {
            bail!("expected a plan with changes, got {out}");
        }
        Ok(out)
    }

    /// `terraform plan` that must fail; returns its output for checking the diagnostics.
    pub fn plan_expect_failure(&self, args: &[&str]) -> Result<Output> {
        self.expect_failure(&self.with_common("plan", &[], args))
    }

    /// `terraform plan -out=<file> <args>`; the file is relative to the working directory.
    pub fn plan_out(&self, file: &str, args: &[&str]) -> Result<Output> {
        let out_arg = format!("-out={file}");
        self.run_ok(&self.with_common("plan", &[&out_arg], args))
    }

    /// `terraform apply -auto-approve <args>`; fails unless it exits 0.
    pub fn apply(&self, args: &[&str]) -> Result<Output> {
        self.run_ok(&self.with_common("apply", &["-auto-approve"], args))
    }

    /// `terraform apply -auto-approve` that must fail.
    pub fn apply_expect_failure(&self, args: &[&str]) -> Result<Output> {
        self.expect_failure(&self.with_common("apply", &["-auto-approve"], args))
    }

    /// `terraform destroy -auto-approve <args>`; fails unless it exits 0.
    pub fn destroy(&self, args: &[&str]) -> Result<Output> {
        self.run_ok(&self.with_common("destroy", &["-auto-approve"], args))
    }

    /// `terraform import <address> <id>`.
    pub fn import(&self, address: &str, id: &str) -> Result<Output> {
        // import takes no -parallelism.
        self.run_ok(&["import", "-input=false", "-no-color", address, id])
    }

    /// `terraform show -json` of the current state.
    pub fn show_json(&self) -> Result<Value> {
        self.json(&["show", "-json", "-no-color"])
    }

    /// `terraform show -json <planfile>`.
    pub fn show_plan_json(&self, plan_file: &str) -> Result<Value> {
        self.json(&["show", "-json", "-no-color", plan_file])
    }

    /// `terraform output -json`.
    pub fn output_json(&self) -> Result<Value> {
        self.json(&["output", "-json", "-no-color"])
    }

    /// `terraform state list`: the resource addresses in state.
    pub fn state_list(&self) -> Result<Vec<String>> {
        let out = self.run_ok(&["state", "list", "-no-color"])?;
        Ok(out.stdout.lines().map(str::to_string).collect())
    }

    /// Deletes `.terraform.lock.hcl`, needed after the provider binary changed.
    pub fn remove_lock_file(&self) -> Result<()> {
        match fs::remove_file(self.work_dir.join(".terraform.lock.hcl")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn json(&self, args: &[&str]) -> Result<Value> {
        let out = self.run_ok(args)?;
        serde_json::from_str(&out.stdout)
            .with_context(|| format!("`{}` did not print JSON: {out}", out.command))
    }

    /// `<command> -input=false -no-color [-parallelism=N] <fixed> <args>`.
    fn with_common(&self, command: &str, fixed: &[&str], args: &[&str]) -> Vec<String> {
        let mut all = vec![
            command.to_string(),
            "-input=false".into(),
            "-no-color".into(),
        ];
        if let Some(n) = self.parallelism {
            all.push(format!("-parallelism={n}"));
        }
        all.extend(fixed.iter().chain(args).map(|a| a.to_string()));
        all
    }
}

impl std::fmt::Debug for TfWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TfWorkspace")
            .field("dir", &self.work_dir)
            .finish_non_exhaustive()
    }
}

fn cli_config_text(mirror: &Path) -> String {
    let mirror = crate::sql::hcl_string(&mirror.to_string_lossy());
    format!(
        "# Written by the dbre-e2e harness: dbre/* only from the local mirror, nothing cached.\n\
         disable_checkpoint = true\n\
         provider_installation {{\n  filesystem_mirror {{\n    path    = {mirror}\n    \
         include = [\"registry.terraform.io/dbre/*\"]\n  }}\n  direct {{\n    \
         exclude = [\"registry.terraform.io/dbre/*\"]\n  }}\n}}\n"
    )
}

/// Variables from the caller's environment that would make runs depend on the machine.
fn is_scrubbed(key: &OsString) -> bool {
    let key = key.to_string_lossy();
    key.starts_with("TF_") || key.starts_with("PG") || key == "CHECKPOINT_DISABLE"
}

/// Terraform's name for this platform (`linux_amd64`).
pub fn platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_restricts_dbre_to_the_mirror() {
        let text = cli_config_text(Path::new("/tmp/x/mirror"));
        assert!(text.contains("path    = \"/tmp/x/mirror\""));
        assert!(text.contains("exclude = [\"registry.terraform.io/dbre/*\"]"));
    }

    #[test]
    fn scrubs_terraform_and_libpq_variables() {
        assert!(is_scrubbed(&"TF_PLUGIN_CACHE_DIR".into()));
        assert!(is_scrubbed(&"PGPASSWORD".into()));
        assert!(!is_scrubbed(&"PATH".into()));
        assert!(!is_scrubbed(&"HOME".into()));
    }
}
