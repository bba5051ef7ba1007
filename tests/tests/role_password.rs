//! Passwords on `dbre_role`: `password` is drift-free although the server only keeps a SCRAM
//! verifier; `password_wo` + `password_wo_version` rotate in place and never reach the state;
//! no password reaches plan output or `TF_LOG=trace` logs.

mod support;

use anyhow::Result;
use dbre_e2e::{hcl_string, quote_literal, PgServer};
use support::*;

const ADDR: &str = "dbre_role.app";

fn rolpassword(pg: &PgServer, name: &str) -> Result<Option<String>> {
    // pg_authid needs a superuser; the provider itself never reads it.
    pg.scalar(&format!(
        "SELECT rolpassword FROM pg_authid WHERE rolname = {}",
        quote_literal(name)
    ))
}

#[test]
fn password_logs_in_and_causes_no_diff() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let first = "first 'secret' \"pw\" ${not_a_template}";
    let body = |pw: &str| {
        role_hcl(
            "app",
            "app_login",
            &[("login", "true"), ("password", &hcl_string(pw))],
        )
    };
    let tf = workspace(&admin, &config(&admin, &body(first)))?;
    let plan = tf.assert_changes()?;
    assert!(plan.stdout.contains("(sensitive value)"), "{plan}");
    assert!(!plan.combined().contains("first 'secret'"), "{plan}");
    tf.apply(&[])?;

    // The server stores a SCRAM verifier, never the clear text...
    let stored = rolpassword(&pg, "app_login")?.unwrap_or_default();
    assert!(stored.starts_with("SCRAM-SHA-256$"), "stored: {stored}");
    // ...which the provider cannot compare with the configuration, yet there is no diff.
    tf.assert_no_changes()?;
    as_user(&admin, "app_login", first).check_login()?;

    // Changing it is an in-place update; the new one works, the old one does not.
    let second = "second-pw-2";
    tf.write_config(&config(&admin, &body(second)))?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    assert!(!plan.combined().contains(second), "{plan}");
    let oid = state_oid(&tf, ADDR)?;
    tf.apply(&[])?;
    assert_eq!(state_oid(&tf, ADDR)?, oid);
    as_user(&admin, "app_login", second).check_login()?;
    assert!(as_user(&admin, "app_login", first).check_login().is_err());
    tf.assert_no_changes()?;

    // Removing `password` from the configuration removes the password (login refused).
    tf.write_config(&config(
        &admin,
        &role_hcl("app", "app_login", &[("login", "true")]),
    ))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, ADDR);
    tf.apply(&[])?;
    assert_eq!(rolpassword(&pg, "app_login")?, None);
    assert!(as_user(&admin, "app_login", second).check_login().is_err());
    tf.assert_no_changes()?;
    Ok(())
}

#[test]
fn password_wo_rotates_in_place_by_version_and_stays_out_of_state() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let body = |pw: &str, version: u32| {
        role_hcl(
            "app",
            "app_wo",
            &[
                ("login", "true"),
                ("password_wo", &hcl_string(pw)),
                ("password_wo_version", &version.to_string()),
            ],
        )
    };
    let v1 = "wo-password-one";
    let tf = workspace(&admin, &config(&admin, &body(v1, 1)))?;
    tf.apply(&[])?;
    as_user(&admin, "app_wo", v1).check_login()?;
    let oid = existing_role(&pg.superuser(), "app_wo")?.oid;
    tf.assert_no_changes()?;

    let state = raw_state(&tf)?;
    assert!(
        !state.contains(v1),
        "write-only password in state:\n{state}"
    );
    let values = state_values(&tf, ADDR)?;
    assert!(values["password_wo"].is_null(), "{values}");
    assert_eq!(values["password_wo_version"], 1, "{values}");

    // A new value without a new version is not a change: write-only values are not compared.
    let v2 = "wo-password-two";
    tf.write_config(&config(&admin, &body(v2, 1)))?;
    tf.assert_no_changes()?;

    // Bumping the version rotates it in place: same oid, new works, old does not.
    tf.write_config(&config(&admin, &body(v2, 2)))?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    assert!(plan.stdout.contains("password_wo_version"), "{plan}");
    assert!(!plan.combined().contains(v2), "{plan}");
    tf.apply(&[])?;
    assert_eq!(existing_role(&pg.superuser(), "app_wo")?.oid, oid);
    as_user(&admin, "app_wo", v2).check_login()?;
    assert!(as_user(&admin, "app_wo", v1).check_login().is_err());
    tf.assert_no_changes()?;

    let state = raw_state(&tf)?;
    assert!(
        !state.contains(v2) && !state.contains(v1),
        "write-only password in state:\n{state}"
    );
    Ok(())
}

#[test]
fn trace_logs_never_contain_a_password() -> Result<()> {
    let pg = PgServer::start()?;
    let admin_pw = "admin-pw-in-env-7731";
    let admin = pg.create_admin("dbadmin", admin_pw)?;
    let role_pw = "role-pw-in-config-5512";
    let wo_pw = "role-pw-write-only-9087";
    let body = format!(
        "{}\n{}",
        role_hcl(
            "app",
            "traced",
            &[("login", "true"), ("password", &hcl_string(role_pw))]
        ),
        role_hcl(
            "wo",
            "traced_wo",
            &[
                ("login", "true"),
                ("password_wo", &hcl_string(wo_pw)),
                ("password_wo_version", "1"),
            ],
        )
    );
    let mut tf = workspace(&admin, &config_from_env(&body))?;
    tf.set_env("TF_LOG", "trace");
    let secrets = [admin_pw, role_pw, wo_pw];
    let check = |what: &str, text: &str| {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{what} contains a password ({secret})"
            );
        }
    };

    let plan = tf.plan(&[])?;
    assert!(
        plan.stderr.contains("[TRACE]"),
        "TF_LOG=trace produced no trace output"
    );
    check("plan trace", &plan.combined());
    let apply = tf.apply(&[])?;
    check("apply trace", &apply.combined());
    as_user(&admin, "traced", role_pw).check_login()?;
    as_user(&admin, "traced_wo", wo_pw).check_login()?;

    let refresh = tf.plan_detailed(&[])?;
    assert_eq!(refresh.code, 0, "{refresh}");
    check("refresh trace", &refresh.combined());

    // A refused login attempt must not echo the password either.
    tf.set_env("PGPASSWORD", "wrong-admin-pw-3141");
    let refused = tf.plan_expect_failure(&[])?;
    check("failed plan trace", &refused.combined());
    assert!(!refused.combined().contains("wrong-admin-pw-3141"));

    tf.set_env("PGPASSWORD", admin_pw);
    let destroy = tf.destroy(&[])?;
    check("destroy trace", &destroy.combined());
    Ok(())
}
