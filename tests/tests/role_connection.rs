//! How `dbre_role` reaches the server: provider settings from libpq's `PG*` variables, and ONE
//! clear diagnostic (host, port, user, the server's reason; never the password) when the
//! connection fails, however many roles the configuration has.

mod support;

use anyhow::Result;
use dbre_e2e::{required_providers_hcl, PgServer, TfWorkspace};
use support::*;

fn twenty_roles() -> String {
    "resource \"dbre_role\" \"r\" {\n  count = 20\n  name  = \"conn_${count.index}\"\n}\n".into()
}

#[test]
fn provider_settings_come_from_pg_environment() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("env_admin", "env-admin-pw")?;
    let su = pg.superuser();

    // No provider block at all: host, port, user, password, database, sslmode from PG*.
    let tf = workspace(
        &admin,
        &format!(
            "{}\n{}",
            required_providers_hcl(),
            role_hcl("app", "from_env", &[])
        ),
    )?;
    tf.apply(&[])?;
    assert!(catalog_role(&su, "from_env")?.is_some());
    tf.assert_no_changes()?;

    // An empty provider block and an empty postgres block mean the same.
    for provider in [
        "provider \"dbre\" {}\n",
        "provider \"dbre\" {\n  postgres {}\n}\n",
    ] {
        tf.write_config(&format!(
            "{}\n{provider}\n{}",
            required_providers_hcl(),
            role_hcl("app", "from_env", &[])
        ))?;
        tf.assert_no_changes()?;
    }

    // The configuration wins over the environment.
    let mut tf2 = TfWorkspace::with_provider()?;
    tf2.set_pg_env(&admin);
    tf2.set_env("PGPASSWORD", "this-is-not-it");
    tf2.write_config(&config(&admin, &role_hcl("app", "from_config", &[])))?;
    tf2.init()?;
    tf2.apply(&[])?;
    assert!(catalog_role(&su, "from_config")?.is_some());
    tf.destroy(&[])?;
    tf2.destroy(&[])?;
    Ok(())
}

#[test]
fn wrong_password_is_one_clear_diagnostic() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbre_admin", "right-admin-pw")?;
    let mut tf = workspace(&admin, &config_from_env(&twenty_roles()))?;
    tf.set_parallelism(10);
    tf.apply(&[])?;
    assert_eq!(count_roles_with_prefix(&pg.superuser(), "conn_")?, 20);

    let wrong = "wrong-admin-pw-2718";
    tf.set_env("PGPASSWORD", wrong);
    let out = tf.plan_expect_failure(&[])?;
    println!("{}", out.stderr);
    assert_eq!(
        error_count(&out.stderr),
        1,
        "20 roles, one connection problem, one diagnostic: {out}"
    );
    for expected in ["127.0.0.1", &pg.port().to_string(), "dbre_admin"] {
        assert!(
            out.stderr.contains(expected),
            "diagnostic should name {expected}: {out}"
        );
    }
    assert!(
        out.stderr.contains("password authentication failed"),
        "the server's reason: {out}"
    );
    assert!(!out.combined().contains(wrong), "{out}");
    assert!(!out.combined().contains("right-admin-pw"), "{out}");

    // Apply and destroy behave the same.
    let out = tf.apply_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])?;
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert_eq!(count_roles_with_prefix(&pg.superuser(), "conn_")?, 20);
    Ok(())
}

#[test]
fn unreachable_server_is_one_clear_diagnostic() -> Result<()> {
    let mut pg = PgServer::start()?;
    let admin = pg.create_admin("dbre_admin", "right-admin-pw")?;
    let mut tf = workspace(&admin, &config_from_env(&twenty_roles()))?;
    tf.apply(&[])?;
    pg.stop()?;
    tf.set_env("PGCONNECT_TIMEOUT", "3");
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(
        out.stderr.contains("127.0.0.1") && out.stderr.contains(&pg.port().to_string()),
        "{out}"
    );
    Ok(())
}

#[test]
fn connection_details_unknown_during_plan_are_fine() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbre_admin", "late-bound-pw")?;
    let su = pg.superuser();
    // The admin password comes from a resource, so it is unknown whenever that resource
    // changes: the provider must plan without connecting, and connect at apply.
    let body = |trigger: u32| {
        format!(
            "{}\nresource \"terraform_data\" \"admin_password\" {{\n  input            = \"late-bound-pw\"\n  \
             triggers_replace = {trigger}\n}}\n\nprovider \"dbre\" {{\n  postgres {{\n    \
             host     = \"{}\"\n    port     = {}\n    username = \"dbre_admin\"\n    \
             password = terraform_data.admin_password.output\n    sslmode  = \"disable\"\n  }}\n}}\n\n{}",
            required_providers_hcl(),
            admin.host,
            admin.port,
            role_hcl("app", "late_bound", &[("login", "true")])
        )
    };
    let tf = TfWorkspace::with_provider()?;
    tf.write_config(&body(1))?;
    tf.init()?;
    tf.apply(&[])?;
    assert!(existing_role(&su, "late_bound")?.login);
    tf.assert_no_changes()?;

    // Replacing the password's source makes it unknown during the plan.
    tf.write_config(&body(2))?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("terraform_data.admin_password must be replaced")
            && !plan.stdout.contains("dbre_role.app will")
            && !plan.stdout.contains("dbre_role.app must"),
        "{plan}"
    );
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "late_bound")?, None);
    Ok(())
}
