//! The real `terraform` loads the real provider binary from an offline filesystem mirror, with
//! AutoMTLS on (Terraform's default): `init`, `validate` and `plan` succeed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-dbre");
const TERRAFORM: &str = "/usr/local/bin/terraform";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(main_tf: &str) -> Workspace {
        assert!(
            Path::new(TERRAFORM).exists(),
            "terraform is missing: install Terraform 1.11 at {TERRAFORM} to run this test"
        );
        let dir = tempfile::tempdir().unwrap();
        let mirror = dir.path().join("mirror");
        let platform = mirror.join("registry.terraform.io/dbre/dbre/0.1.0/linux_amd64");
        std::fs::create_dir_all(&platform).unwrap();
        std::fs::copy(BIN, platform.join("terraform-provider-dbre_v0.1.0")).unwrap();
        std::fs::write(
            dir.path().join("cli.tfrc"),
            format!(
                r#"provider_installation {{
  filesystem_mirror {{
    path    = "{}"
    include = ["registry.terraform.io/dbre/*"]
  }}
  direct {{ exclude = ["registry.terraform.io/dbre/*"] }}
}}
"#,
                mirror.display()
            ),
        )
        .unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("main.tf"), main_tf).unwrap();
        Workspace { dir }
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn terraform(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(TERRAFORM);
        cmd.args(args)
            .current_dir(self.work_dir())
            // This machine points TF_CLI_CONFIG_FILE at a missing file; set it per command.
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_PLUGIN_CACHE_DIR", "")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_DISABLE_PLUGIN_TLS")
            .env_remove("TF_REATTACH_PROVIDERS");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().expect("run terraform")
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    dbre = { source = "dbre/dbre" }
  }
}

provider "dbre" {}

resource "terraform_data" "marker" {
  input = "hello"
}
"#;

#[test]
fn terraform_inits_validates_and_plans_with_the_provider_over_mtls() {
    let ws = Workspace::new(MAIN_TF);

    let init = ws.terraform(&["init", "-input=false", "-no-color"], &[]);
    assert!(init.status.success(), "init failed: {}", describe(&init));
    let init_out = String::from_utf8_lossy(&init.stdout);
    assert!(
        init_out.contains("dbre/dbre v0.1.0"),
        "init output: {init_out}"
    );

    let validate = ws.terraform(&["validate", "-no-color"], &[]);
    assert!(
        validate.status.success(),
        "validate failed: {}",
        describe(&validate)
    );

    // TF_LOG_PROVIDER relays our stderr: proves Terraform ran the plugin with mutual TLS.
    let plan = ws.terraform(
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
        &[("TF_LOG_PROVIDER", "INFO")],
    );
    assert_eq!(
        plan.status.code(),
        Some(2),
        "plan should show one add: {}",
        describe(&plan)
    );
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert!(
        stdout.contains("terraform_data.marker will be created"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&plan.stderr);
    assert!(
        stderr.contains("mutual TLS, client certificate pinned"),
        "provider log should show mTLS: {}",
        describe(&plan)
    );
    assert!(!stderr.contains("plaintext"), "{}", describe(&plan));
}

#[test]
fn provider_config_errors_point_at_the_attribute() {
    let ws = Workspace::new(
        r#"
terraform {
  required_providers {
    dbre = { source = "dbre/dbre" }
  }
}

provider "dbre" {
  postgres {
    port    = 70000
    sslmode = "sometimes"
  }
}

resource "terraform_data" "marker" {}
"#,
    );
    let init = ws.terraform(&["init", "-input=false", "-no-color"], &[]);
    assert!(init.status.success(), "init failed: {}", describe(&init));
    let validate = ws.terraform(&["validate", "-no-color"], &[]);
    assert!(
        !validate.status.success(),
        "validate should fail: {}",
        describe(&validate)
    );
    let stderr = String::from_utf8_lossy(&validate.stderr);
    assert!(
        stderr.contains("must be a whole number from 1 to 65535"),
        "{}",
        describe(&validate)
    );
    assert!(
        stderr.contains("\"sometimes\" is not allowed"),
        "{}",
        describe(&validate)
    );
    // Terraform prints the offending line of configuration.
    assert!(
        stderr.contains("port    = 70000"),
        "{}",
        describe(&validate)
    );
}
