//! The real `terraform` loads the real provider binary from an offline filesystem mirror, with
//! AutoMTLS on (Terraform's default): `init`, `validate` and `plan` succeed.
//!
//! Terraform prunes a provider no resource uses before configuring it, so provider configuration
//! errors are tested over gRPC in `plugin_handshake.rs` until resources exist.

use std::path::Path;

use dbre_e2e::TfWorkspace;

/// The binary cargo built for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-dbre");

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
    let mut ws = TfWorkspace::with_provider_binary(Path::new(BIN)).unwrap();
    ws.write_config(MAIN_TF).unwrap();

    let init = ws.init().unwrap();
    assert!(
        init.stdout.contains("dbre/dbre v0.1.0"),
        "init output: {init}"
    );

    ws.run_ok(&["validate", "-no-color"]).unwrap();

    // TF_LOG_PROVIDER relays our stderr: proves Terraform ran the plugin with mutual TLS.
    ws.set_env("TF_LOG_PROVIDER", "INFO");
    let plan = ws
        .run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
        .unwrap();
    assert_eq!(plan.code, 2, "plan should show one add: {plan}");
    assert!(
        plan.stdout
            .contains("terraform_data.marker will be created"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(
        plan.stderr
            .contains("mutual TLS, client certificate pinned"),
        "provider log should show mTLS: {plan}"
    );
    assert!(!plan.stderr.contains("plaintext"), "{plan}");
}
