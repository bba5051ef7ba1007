//! `dbre_role` through its whole life with the real terraform: create, converge, update, drift
//! (changed, dropped and renamed outside Terraform), import, rename in place, destroy — as the
//! bootstrap superuser and as a managed-service style admin (`CREATEROLE CREATEDB`, not superuser).

mod support;

use anyhow::Result;
use dbre_e2e::{quote_ident, ConnInfo, PgServer};
use support::*;

const ADDR: &str = "dbre_role.app";

/// The flow every admin must be able to run. Uses only attributes a `CREATEROLE` admin may set.
fn full_lifecycle(pg: &PgServer, admin: &ConnInfo) -> Result<()> {
    let su = pg.superuser();
    let v1 = role_hcl(
        "app",
        "app_owner",
        &[
            ("login", "true"),
            ("create_database", "true"),
            ("connection_limit", "5"),
            ("valid_until", "\"2030-01-01T00:00:00Z\""),
            ("comment", "\"owned by team a\""),
        ],
    );
    let tf = workspace(admin, &config(admin, &v1))?;

    // Create.
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout.contains(&format!("# {ADDR} will be created")),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("oid") && plan.stdout.contains("(known after apply)"),
        "{plan}"
    );
    tf.apply(&[])?;
    let created = existing_role(&su, "app_owner")?;
    assert_eq!(
        created,
        CatalogRole {
            oid: created.oid.clone(),
            login: true,
            superuser: false,
            create_database: true,
            create_role: false,
            inherit: true,
            replication: false,
            bypass_row_level_security: false,
            connection_limit: 5,
            valid_until: Some("2030-01-01 00:00:00+00".into()),
            comment: Some("owned by team a".into()),
        }
    );
    assert_eq!(state_oid(&tf, ADDR)?, created.oid);
    let values = state_values(&tf, ADDR)?;
    assert_eq!(values["inherit"], true, "default inherit: {values}");
    assert_eq!(values["create_role"], false, "{values}");

    // Converged: the next plan is empty (-detailed-exitcode 0), valid_until written as RFC 3339
    // and read back in the server's format included.
    tf.assert_no_changes()?;

    // Update in place.
    let v2 = role_hcl(
        "app",
        "app_owner",
        &[
            ("login", "false"),
            ("create_role", "true"),
            ("inherit", "false"),
            ("comment", "\"owned by team b\""),
        ],
    );
    tf.write_config(&config(admin, &v2))?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    tf.apply(&[])?;
    let updated = existing_role(&su, "app_owner")?;
    assert_eq!(updated.oid, created.oid);
    assert!(!updated.login && updated.create_role && !updated.inherit);
    assert!(
        !updated.create_database,
        "create_database defaults back to false"
    );
    assert_eq!(updated.connection_limit, -1, "connection_limit default");
    // ALTER ROLE cannot set NULL back; 'infinity' is PostgreSQL's "never expires".
    assert!(
        matches!(updated.valid_until.as_deref(), None | Some("infinity")),
        "valid_until removed: {updated:?}"
    );
    assert_eq!(updated.comment.as_deref(), Some("owned by team b"));
    tf.assert_no_changes()?;

    // Drift made with ALTER ROLE / COMMENT ON outside Terraform shows up and is repaired.
    admin.execute(
        "ALTER ROLE app_owner LOGIN INHERIT CONNECTION LIMIT 3 VALID UNTIL '2031-06-01 12:00:00+00'; \
         COMMENT ON ROLE app_owner IS 'hand edited'",
    )?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    for attr in [
        "login",
        "inherit",
        "connection_limit",
        "valid_until",
        "comment",
    ] {
        assert!(
            plan.stdout
                .lines()
                .any(|l| l.contains(attr) && l.contains("->")),
            "drift of {attr} not shown:\n{plan}"
        );
    }
    tf.apply(&[])?;
    let repaired = existing_role(&su, "app_owner")?;
    assert_eq!(
        repaired,
        CatalogRole {
            comment: Some("owned by team b".into()),
            ..updated.clone()
        }
    );
    tf.assert_no_changes()?;

    // Comment removed outside Terraform: also drift.
    admin.execute("COMMENT ON ROLE app_owner IS NULL")?;
    tf.assert_changes()?;
    tf.apply(&[])?;
    assert_eq!(
        existing_role(&su, "app_owner")?.comment.as_deref(),
        Some("owned by team b")
    );

    // Dropped outside Terraform: planned for re-creation, and re-created.
    admin.execute("DROP ROLE app_owner")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout.contains(&format!("# {ADDR} will be created")),
        "{plan}"
    );
    tf.apply(&[])?;
    let recreated = existing_role(&su, "app_owner")?;
    assert_ne!(recreated.oid, created.oid, "a new role has a new oid");
    assert_eq!(state_oid(&tf, ADDR)?, recreated.oid);
    tf.assert_no_changes()?;

    // Rename in the configuration: ALTER ROLE ... RENAME, same oid, never a replacement.
    let v3 = v2.replace("\"app_owner\"", "\"app_owner_v2\"");
    tf.write_config(&config(admin, &v3))?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    assert!(
        plan.stdout.contains("\"app_owner\" -> \"app_owner_v2\""),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(catalog_role(&su, "app_owner")?, None);
    let renamed = existing_role(&su, "app_owner_v2")?;
    assert_eq!(renamed.oid, recreated.oid, "rename keeps the oid");
    tf.assert_no_changes()?;

    // Renamed outside Terraform: read by oid, so the plan renames it back in place.
    admin.execute("ALTER ROLE app_owner_v2 RENAME TO sneaky")?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, ADDR);
    assert!(
        plan.stdout.contains("\"sneaky\" -> \"app_owner_v2\""),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(existing_role(&su, "app_owner_v2")?.oid, recreated.oid);
    assert_eq!(catalog_role(&su, "sneaky")?, None);
    tf.assert_no_changes()?;

    // Destroy: the catalog row is gone.
    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "app_owner_v2")?, None);
    assert!(tf.state_list()?.is_empty());
    Ok(())
}

#[test]
fn lifecycle_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    full_lifecycle(&pg, &pg.superuser())
}

#[test]
fn lifecycle_as_managed_style_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    full_lifecycle(&pg, &admin)
}

#[test]
fn superuser_only_attributes_round_trip() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let on = role_hcl(
        "app",
        "powerful",
        &[
            ("superuser", "true"),
            ("replication", "true"),
            ("bypass_row_level_security", "true"),
        ],
    );
    let tf = workspace(&su, &config(&su, &on))?;
    tf.apply(&[])?;
    let role = existing_role(&su, "powerful")?;
    assert!(role.superuser && role.replication && role.bypass_row_level_security);
    tf.assert_no_changes()?;

    tf.write_config(&config(&su, &role_hcl("app", "powerful", &[])))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, ADDR);
    tf.apply(&[])?;
    let role = existing_role(&su, "powerful")?;
    assert!(!role.superuser && !role.replication && !role.bypass_row_level_security);
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "powerful")?, None);
    Ok(())
}

#[test]
fn import_block_adopts_an_existing_role() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    admin.execute(
        "CREATE ROLE legacy_app LOGIN CREATEDB CONNECTION LIMIT 7; \
         COMMENT ON ROLE legacy_app IS 'from before terraform'",
    )?;
    let oid = existing_role(&su, "legacy_app")?.oid;

    let body = format!(
        "import {{\n  to = dbre_role.legacy\n  id = \"legacy_app\"\n}}\n\n{}",
        role_hcl(
            "legacy",
            "legacy_app",
            &[
                ("login", "true"),
                ("create_database", "true"),
                ("connection_limit", "7"),
                ("comment", "\"from before terraform\""),
            ],
        )
    );
    let tf = workspace(&admin, &config(&admin, &body))?;
    let plan = tf.plan(&[])?;
    assert!(
        plan.stdout
            .contains("dbre_role.legacy: Preparing import... [id=legacy_app]"),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(state_oid(&tf, "dbre_role.legacy")?, oid);
    tf.assert_no_changes()?;

    // After the import block is gone the role stays managed; a config difference is an update.
    let body = role_hcl("legacy", "legacy_app", &[("login", "true")]);
    tf.write_config(&config(&admin, &body))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, "dbre_role.legacy");
    tf.apply(&[])?;
    let role = existing_role(&su, "legacy_app")?;
    assert_eq!(role.oid, oid);
    assert!(role.login && !role.create_database && role.comment.is_none());
    assert_eq!(role.connection_limit, -1);
    Ok(())
}

#[test]
fn importing_a_missing_role_is_a_clear_error() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let body = format!(
        "import {{\n  to = dbre_role.ghost\n  id = \"no_such_role\"\n}}\n\n{}",
        role_hcl("ghost", "no_such_role", &[])
    );
    let tf = workspace(&su, &config(&su, &body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(out.stderr.contains("no_such_role"), "{out}");
    assert_eq!(catalog_role(&su, "no_such_role")?, None);
    Ok(())
}

#[test]
fn bad_input_is_rejected_with_the_attribute_path() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let too_long = "r".repeat(64);
    let cases: Vec<(String, &str)> = vec![
        (role_hcl("bad", "", &[]), "name"),
        (role_hcl("bad", &too_long, &[]), "name"),
        (
            role_hcl("bad", "ok_name", &[("connection_limit", "-2")]),
            "connection_limit",
        ),
        (
            role_hcl(
                "bad",
                "ok_name",
                &[
                    ("password", "\"one\""),
                    ("password_wo", "\"two\""),
                    ("password_wo_version", "1"),
                ],
            ),
            "password",
        ),
        (
            role_hcl("bad", "ok_name", &[("valid_until", "\"next tuesday\"")]),
            "valid_until",
        ),
    ];
    let tf = workspace(&su, &config(&su, &cases[0].0))?;
    for (body, attr) in &cases {
        tf.write_config(&config(&su, body))?;
        let out = tf.plan_expect_failure(&[])?;
        assert_eq!(out.code, 1, "{out}");
        assert!(
            out.stderr.contains("with dbre_role.bad") && out.stderr.contains(attr),
            "diagnostic should point at {attr}: {out}"
        );
    }
    let leftovers = su.scalar(&format!(
        "SELECT count(*) FROM pg_roles WHERE rolname IN ('ok_name', '', {})",
        dbre_e2e::quote_literal(&too_long[..63])
    ))?;
    assert_eq!(leftovers.as_deref(), Some("0"));
    Ok(())
}

#[test]
fn role_dropped_outside_during_destroy_is_not_an_error() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let tf = workspace(&su, &config(&su, &role_hcl("app", "short_lived", &[])))?;
    tf.apply(&[])?;
    su.execute(&format!("DROP ROLE {}", quote_ident("short_lived")))?;
    tf.destroy(&[])?;
    assert!(tf.state_list()?.is_empty());
    Ok(())
}

#[test]
fn superuser_only_attributes_are_refused_at_plan_for_a_managed_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let body = role_hcl("app", "wants_power", &[("replication", "true")]);
    let tf = workspace(&admin, &config(&admin, &body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(
        out.stderr.contains("with dbre_role.app")
            && out.stderr.contains("replication")
            && out.stderr.contains("dbadmin"),
        "{out}"
    );
    assert_eq!(catalog_role(&pg.superuser(), "wants_power")?, None);
    Ok(())
}
