//! `dbre_role_membership` with the real terraform against PostgreSQL 15: create, converge,
//! outside drift (revoked, admin option changed) repaired, import with odd names, destroy that
//! revokes exactly the membership, the PostgreSQL 16 options refused at plan, a non-superuser
//! admin, 60 memberships into one role applied 20 at a time, a member renamed outside
//! Terraform, and the catalog budget of a `terraform plan` of 200 memberships (one bulk
//! `pg_auth_members` read per command).
//!
//! The roles themselves are made with SQL outside Terraform, so "destroy leaves the roles" is
//! something to check rather than a given.

mod support;

use anyhow::{Context, Result};
use dbre_e2e::{hcl_string, quote_ident, quote_literal, ConnInfo, PgServer};
use support::*;

/// `resource "dbre_role_membership" "<label>" { role = … member = … <extra> }`.
fn membership_hcl(label: &str, role: &str, member: &str, extra: &[(&str, &str)]) -> String {
    let mut out = format!(
        "resource \"dbre_role_membership\" \"{label}\" {{\n  role   = {}\n  member = {}\n",
        hcl_string(role),
        hcl_string(member)
    );
    for (key, value) in extra {
        out.push_str(&format!("  {key} = {value}\n"));
    }
    out.push_str("}\n");
    out
}

/// The `admin_option` of every `pg_auth_members` row for (`role`, `member`), as psql shows
/// them: empty when there is no membership.
fn catalog_rows(conn: &ConnInfo, role: &str, member: &str) -> Result<Vec<bool>> {
    let rows = conn.psql(&format!(
        "SELECT m.admin_option FROM pg_auth_members m \
         JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member \
         WHERE r.rolname = {} AND u.rolname = {} ORDER BY m.grantor",
        quote_literal(role),
        quote_literal(member)
    ))?;
    Ok(rows
        .into_iter()
        .map(|row| row[0].as_deref() == Some("t"))
        .collect())
}

/// `(admin, inherit, set)` of every row for (`role`, `member`), ordered by grantor name, and
/// the grantor's name (PostgreSQL 16+ only: one row per grantor).
fn catalog_grants(conn: &ConnInfo, role: &str, member: &str) -> Result<Vec<(String, [bool; 3])>> {
    let rows = conn.psql(&format!(
        "SELECT g.rolname, m.admin_option, m.inherit_option, m.set_option \
         FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
         JOIN pg_roles u ON u.oid = m.member JOIN pg_roles g ON g.oid = m.grantor \
         WHERE r.rolname = {} AND u.rolname = {} ORDER BY g.rolname",
        quote_literal(role),
        quote_literal(member)
    ))?;
    let flag = |v: &Option<String>| v.as_deref() == Some("t");
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                [flag(&r[1]), flag(&r[2]), flag(&r[3])],
            )
        })
        .collect())
}

/// How many members `role` has, not counting `except` (on PostgreSQL 16+ a non-superuser
/// admin that creates a role is made a member of it, with ADMIN OPTION).
fn member_count(conn: &ConnInfo, role: &str, except: &str) -> Result<usize> {
    let n = conn
        .scalar(&format!(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
             JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = {} AND u.rolname <> {}",
            quote_literal(role),
            quote_literal(except)
        ))?
        .unwrap_or_default();
    n.parse().context("count")
}

/// The server's major version (15, 16, …). The harness runs PostgreSQL 15 unless
/// `DBRE_PG_BIN_DIR` points at another version's binaries; these tests check both behaviours.
fn server_major(conn: &ConnInfo) -> Result<i32> {
    let num: i32 = conn
        .scalar("SHOW server_version_num")?
        .unwrap_or_default()
        .parse()
        .context("server_version_num")?;
    Ok(num / 10000)
}

/// Whether one line of `text` holds every one of `parts`.
fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

fn create_roles(conn: &ConnInfo, names: &[&str]) -> Result<()> {
    let sql: String = names
        .iter()
        .map(|n| format!("CREATE ROLE {};", quote_ident(n)))
        .collect();
    conn.execute(&sql)
}

/// The import id as the README documents it, written independently of the provider's code:
/// `role/member`, with `%`, `/` and `,` inside a name written `%25`, `%2F`, `%2C`.
fn documented_id(role: &str, member: &str) -> String {
    let escape = |n: &str| {
        n.replace('%', "%25")
            .replace('/', "%2F")
            .replace(',', "%2C")
    };
    format!("{}/{}", escape(role), escape(member))
}

/// The whole flow, as `admin`. Roles: readers, writers (groups); alice, bob (members).
fn full_flow(pg: &PgServer, admin: &ConnInfo) -> Result<()> {
    let su = pg.superuser();
    create_roles(admin, &["readers", "writers", "alice", "bob"])?;
    // A membership Terraform does not manage: destroy must leave it alone.
    admin.execute("GRANT readers TO bob")?;

    let body = |readers_admin: &str| {
        format!(
            "{}{}",
            membership_hcl(
                "alice_reads",
                "readers",
                "alice",
                &[("admin_option", readers_admin)]
            ),
            membership_hcl(
                "alice_writes",
                "writers",
                "alice",
                &[("admin_option", "true")]
            )
        )
    };
    let tf = workspace(admin, &config(admin, &body("false")))?;

    // Create.
    let plan = tf.assert_changes()?;
    for address in [
        "dbre_role_membership.alice_reads",
        "dbre_role_membership.alice_writes",
    ] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be created")),
            "{plan}"
        );
    }
    assert!(
        has_line(&plan.stdout, &["id ", "= \"readers/alice\""]),
        "the id is known at plan: {plan}"
    );
    tf.apply(&[])?;
    assert_eq!(catalog_rows(&su, "readers", "alice")?, [false]);
    assert_eq!(catalog_rows(&su, "writers", "alice")?, [true]);
    let values = state_values(&tf, "dbre_role_membership.alice_writes")?;
    assert_eq!(values["id"], "writers/alice", "{values}");
    assert_eq!(values["admin_option"], true, "{values}");
    if server_major(&su)? < 16 {
        assert!(
            values["inherit_option"].is_null() && values["set_option"].is_null(),
            "PostgreSQL 15 has no per-grant options: {values}"
        );
    } else {
        // Not configured: not managed, and state shows the server's defaults.
        assert!(
            values["inherit_option"] == true && values["set_option"] == true,
            "{values}"
        );
    }
    tf.assert_no_changes()?;

    // Revoked outside Terraform: planned for creation, and granted again.
    admin.execute("REVOKE readers FROM alice")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("# dbre_role_membership.alice_reads will be created"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(catalog_rows(&su, "readers", "alice")?, [false]);
    tf.assert_no_changes()?;

    // Admin option given and taken outside Terraform: repaired in place, both ways.
    admin.execute(
        "GRANT readers TO alice WITH ADMIN OPTION; REVOKE ADMIN OPTION FOR writers FROM alice",
    )?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, "dbre_role_membership.alice_reads");
    assert_updated_in_place(&plan.stdout, "dbre_role_membership.alice_writes");
    assert!(
        has_line(&plan.stdout, &["admin_option", "true -> false"])
            && has_line(&plan.stdout, &["admin_option", "false -> true"]),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(catalog_rows(&su, "readers", "alice")?, [false]);
    assert_eq!(catalog_rows(&su, "writers", "alice")?, [true]);
    tf.assert_no_changes()?;

    // A change in the configuration: in place as well.
    tf.write_config(&config(admin, &body("true")))?;
    assert_updated_in_place(
        &tf.assert_changes()?.stdout,
        "dbre_role_membership.alice_reads",
    );
    tf.apply(&[])?;
    assert_eq!(catalog_rows(&su, "readers", "alice")?, [true]);
    tf.assert_no_changes()?;

    // Destroy: exactly the two memberships go; the roles and bob's membership stay.
    tf.destroy(&[])?;
    assert!(catalog_rows(&su, "readers", "alice")?.is_empty());
    assert!(catalog_rows(&su, "writers", "alice")?.is_empty());
    assert_eq!(catalog_rows(&su, "readers", "bob")?, [false]);
    for role in ["readers", "writers", "alice", "bob"] {
        assert!(catalog_role(&su, role)?.is_some(), "{role} was dropped");
    }
    assert!(tf.state_list()?.is_empty());
    Ok(())
}

#[test]
fn lifecycle_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    full_flow(&pg, &pg.superuser())
}

#[test]
fn lifecycle_as_managed_style_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    full_flow(&pg, &admin)
}

#[test]
fn import_round_trips_odd_names() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let group = "grp \"ops\".team/a,b%c";
    let members = [
        "quote\"d",
        "dot.ted",
        "user@contoso.com",
        "slash/ed",
        "comma,list",
        "50%",
        "with space",
        "Ünïcødé-ロール",
    ];
    let mut all = vec![group];
    all.extend(members);
    create_roles(&admin, &all)?;
    for (i, member) in members.iter().enumerate() {
        let admin_option = if i % 2 == 0 { "" } else { " WITH ADMIN OPTION" };
        admin.execute(&format!(
            "GRANT {} TO {}{admin_option}",
            quote_ident(group),
            quote_ident(member)
        ))?;
    }

    let mut body = String::new();
    for (i, member) in members.iter().enumerate() {
        body.push_str(&format!(
            "import {{\n  to = dbre_role_membership.m{i}\n  id = {}\n}}\n{}\n",
            hcl_string(&documented_id(group, member)),
            membership_hcl(
                &format!("m{i}"),
                group,
                member,
                &[("admin_option", if i % 2 == 0 { "false" } else { "true" })]
            )
        ));
    }
    let tf = workspace(&admin, &config(&admin, &body))?;
    let plan = tf.plan(&[])?;
    assert!(
        plan.stdout.contains(&format!(
            "Plan: {} to import, 0 to add, 0 to change, 0 to destroy.",
            members.len()
        )),
        "{plan}"
    );
    tf.apply(&[])?;
    for (i, member) in members.iter().enumerate() {
        let values = state_values(&tf, &format!("dbre_role_membership.m{i}"))?;
        assert_eq!(values["role"], group, "{values}");
        assert_eq!(values["member"], *member, "{values}");
        assert_eq!(values["id"], documented_id(group, member), "{values}");
    }
    tf.assert_no_changes()?;

    // `terraform import` takes the same id; a hand-written id may escape more than needed.
    admin.execute(&format!(
        "CREATE ROLE late; GRANT {} TO late",
        quote_ident(group)
    ))?;
    let body = format!("{body}\n{}", membership_hcl("late", group, "late", &[]));
    tf.write_config(&config(&admin, &body))?;
    let over_escaped = documented_id(group, "late").replace(' ', "%20");
    tf.import("dbre_role_membership.late", &over_escaped)?;
    tf.assert_no_changes()?;

    // A missing membership and a malformed id are clear errors.
    let body = format!(
        "import {{\n  to = dbre_role_membership.ghost\n  id = \"readers_nope/alice\"\n}}\n{}",
        membership_hcl("ghost", "readers_nope", "alice", &[])
    );
    let other = workspace(&admin, &config(&admin, &body))?;
    let out = other.plan_expect_failure(&[])?;
    assert!(
        out.stderr.contains("not a member of role \"readers_nope\""),
        "{out}"
    );
    let body = body.replace("readers_nope/alice", "just_one_field");
    other.write_config(&config(&admin, &body))?;
    let out = other.plan_expect_failure(&[])?;
    assert!(out.stderr.contains("role/member"), "{out}");
    assert_eq!(member_count(&su, group, "dbadmin")?, members.len() + 1);
    Ok(())
}

/// PostgreSQL 15: `inherit_option` / `set_option` are plan-time errors at the attribute.
/// PostgreSQL 16+: they are granted, read back, and repaired when changed outside.
#[test]
fn pg16_options_work_on_16_and_are_refused_at_plan_on_15() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    create_roles(&admin, &["readers", "alice"])?;
    let body = membership_hcl(
        "m",
        "readers",
        "alice",
        &[("inherit_option", "false"), ("set_option", "false")],
    );
    let tf = workspace(&admin, &config(&admin, &body))?;
    if server_major(&su)? >= 16 {
        tf.apply(&[])?;
        assert_eq!(
            catalog_grants(&su, "readers", "alice")?,
            [("dbadmin".to_string(), [false, false, false])]
        );
        tf.assert_no_changes()?;
        admin.execute("GRANT readers TO alice WITH INHERIT TRUE, SET TRUE")?;
        let plan = tf.assert_changes()?;
        assert_updated_in_place(&plan.stdout, "dbre_role_membership.m");
        tf.apply(&[])?;
        assert_eq!(
            catalog_grants(&su, "readers", "alice")?,
            [("dbadmin".to_string(), [false, false, false])]
        );
        tf.assert_no_changes()?;
        // Left out of the configuration: no longer managed, no change planned.
        tf.write_config(&config(
            &admin,
            &membership_hcl("m", "readers", "alice", &[]),
        ))?;
        tf.assert_no_changes()?;
        tf.destroy(&[])?;
        assert!(catalog_rows(&su, "readers", "alice")?.is_empty());
        return Ok(());
    }
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 2, "{out}");
    assert!(
        out.stderr.contains("with dbre_role_membership.m")
            && out.stderr.contains("on main.tf")
            && out.stderr.contains("PostgreSQL 16"),
        "{out}"
    );
    for attr in ["inherit_option", "set_option"] {
        assert!(
            out.stderr.contains(&format!("{attr} = false")),
            "the diagnostic should point at {attr}: {out}"
        );
    }
    // One of them alone, and nothing was granted by either attempt.
    let body = membership_hcl("m", "readers", "alice", &[("inherit_option", "false")]);
    tf.write_config(&config(&admin, &body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(out.stderr.contains("inherit_option"), "{out}");
    assert!(catalog_rows(&su, "readers", "alice")?.is_empty());

    // A role cannot be a member of itself: refused at validate, at member.
    let body = membership_hcl("m", "readers", "readers", &[]);
    tf.write_config(&config(&admin, &body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(
        out.stderr.contains("member") && out.stderr.contains("itself"),
        "{out}"
    );
    Ok(())
}

/// The same membership granted by two roles: PostgreSQL 16+ keeps two rows, PostgreSQL 15 one.
/// Either way the plan converges (no endless replacement), and a row the admin may not revoke
/// (granted by a superuser) makes destroy fail with the grantor named, changing nothing.
#[test]
fn several_grantors_converge_and_destroy_says_what_it_cannot_revoke() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    create_roles(&admin, &["readers", "alice"])?;
    // The bootstrap superuser grants first, then Terraform (as dbadmin) adopts it.
    su.execute("GRANT readers TO alice")?;
    let body = membership_hcl("m", "readers", "alice", &[("admin_option", "true")]);
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    let values = state_values(&tf, "dbre_role_membership.m")?;
    assert_eq!(values["admin_option"], true, "{values}");

    if server_major(&su)? < 16 {
        // One row per pair, whoever granted it: a CREATEROLE admin revokes it.
        assert_eq!(catalog_rows(&su, "readers", "alice")?, [true]);
        tf.destroy(&[])?;
        assert!(catalog_rows(&su, "readers", "alice")?.is_empty());
        return Ok(());
    }
    let rows = catalog_grants(&su, "readers", "alice")?;
    assert_eq!(
        rows,
        [
            ("dbadmin".to_string(), [true, true, true]),
            (su.user.clone(), [false, true, true]),
        ]
    );
    // The superuser's row gains ADMIN OPTION too: still one membership with admin, no diff.
    su.execute("GRANT readers TO alice WITH ADMIN OPTION")?;
    tf.assert_no_changes()?;
    let rows = catalog_grants(&su, "readers", "alice")?;

    // Terraform text wraps diagnostics; compare with the line breaks taken out.
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let refused_because_of_superuser = |stderr: &str, summary: &str| {
        let stderr = flat(stderr);
        for part in [
            summary,
            &format!("as granted by \"{}\"", su.user),
            "Only the grantor, a role that has the grantor's privileges, or a superuser",
            "Nothing was changed.",
        ] {
            assert!(stderr.contains(part), "{part:?} missing: {stderr}");
        }
    };

    // Turning ADMIN OPTION off needs it off in the superuser's row too, which dbadmin may not
    // touch: refused as a whole.
    let no_admin = membership_hcl("m", "readers", "alice", &[("admin_option", "false")]);
    tf.write_config(&config(&admin, &no_admin))?;
    let out = tf.apply_expect_failure(&[])?;
    refused_because_of_superuser(&out.stderr, "Error: Cannot change the membership");
    assert_eq!(
        catalog_grants(&su, "readers", "alice")?,
        rows,
        "nothing changed"
    );

    // Destroy likewise.
    tf.write_config(&config(&admin, &body))?;
    let out = tf.expect_failure(&["destroy", "-auto-approve", "-no-color"])?;
    refused_because_of_superuser(&out.stderr, "Error: Cannot revoke the membership");
    assert_eq!(
        catalog_grants(&su, "readers", "alice")?,
        rows,
        "nothing changed"
    );

    // As the superuser, both succeed: ADMIN OPTION leaves every row, then every row goes.
    tf.write_config(&config(&su, &no_admin))?;
    tf.apply(&[])?;
    assert_eq!(
        catalog_grants(&su, "readers", "alice")?,
        [
            ("dbadmin".to_string(), [false, true, true]),
            (su.user.clone(), [false, true, true]),
        ]
    );
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert!(catalog_rows(&su, "readers", "alice")?.is_empty());
    assert!(catalog_role(&su, "alice")?.is_some() && catalog_role(&su, "readers")?.is_some());
    Ok(())
}

#[test]
fn sixty_members_into_one_role_with_parallelism_20() -> Result<()> {
    const N: usize = 60;
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let names: Vec<String> = (0..N).map(|i| format!("crowd_member_{i}")).collect();
    let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
    all.push("crowd");
    create_roles(&admin, &all)?;
    let body = format!(
        "resource \"dbre_role_membership\" \"crowd\" {{\n  count        = {N}\n  \
         role         = \"crowd\"\n  member       = \"crowd_member_${{count.index}}\"\n  \
         admin_option = count.index % 3 == 0\n}}\n"
    );
    let mut tf = workspace(&admin, &config(&admin, &body))?;
    tf.set_parallelism(20);

    let apply = tf.apply(&[])?;
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    assert!(
        apply
            .stdout
            .contains(&format!("Apply complete! Resources: {N} added")),
        "{apply}"
    );
    assert_eq!(member_count(&su, "crowd", "dbadmin")?, N);
    assert_eq!(catalog_rows(&su, "crowd", "crowd_member_3")?, [true]);
    assert_eq!(catalog_rows(&su, "crowd", "crowd_member_4")?, [false]);
    tf.assert_no_changes()?;

    // Every option flipped at once: 60 in-place updates on the same role.
    tf.write_config(&config(&admin, &body.replace("% 3 == 0", "% 3 != 0")))?;
    let apply = tf.apply(&[])?;
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    assert!(apply.stdout.contains(&format!("{N} changed")), "{apply}");
    assert_eq!(catalog_rows(&su, "crowd", "crowd_member_3")?, [false]);
    tf.assert_no_changes()?;

    let destroy = tf.destroy(&[])?;
    assert_eq!(error_count(&destroy.stderr), 0, "{destroy}");
    assert_eq!(member_count(&su, "crowd", "dbadmin")?, 0);
    Ok(())
}

/// The connection is not known at plan (the password comes from a resource not created yet):
/// the PostgreSQL 16 options cannot be checked then, so apply checks them, at the attribute,
/// before granting anything.
#[test]
fn pg16_options_are_checked_at_apply_when_the_connection_is_unknown_at_plan() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "late-bound-pw")?;
    let su = pg.superuser();
    create_roles(&admin, &["readers", "alice"])?;
    let body = format!(
        "{}\nresource \"terraform_data\" \"admin_password\" {{\n  input = \"late-bound-pw\"\n}}\n\n\
         provider \"dbre\" {{\n  postgres {{\n    host     = {}\n    port     = {}\n    \
         username = \"dbadmin\"\n    password = terraform_data.admin_password.output\n    \
         sslmode  = \"disable\"\n  }}\n}}\n\n{}",
        dbre_e2e::required_providers_hcl(),
        hcl_string(&admin.host),
        admin.port,
        membership_hcl("m", "readers", "alice", &[("inherit_option", "false")])
    );
    let tf = dbre_e2e::TfWorkspace::with_provider()?;
    tf.write_config(&body)?;
    tf.init()?;
    let plan = tf.plan(&[])?;
    assert!(
        plan.stdout
            .contains("# dbre_role_membership.m will be created"),
        "{plan}"
    );
    if server_major(&su)? >= 16 {
        tf.apply(&[])?;
        assert_eq!(
            catalog_grants(&su, "readers", "alice")?,
            [("dbadmin".to_string(), [false, false, true])]
        );
        tf.assert_no_changes()?;
        return Ok(());
    }
    let out = tf.apply_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(
        out.stderr.contains("with dbre_role_membership.m")
            && out.stderr.contains("inherit_option = false")
            && out.stderr.contains("PostgreSQL 16"),
        "{out}"
    );
    assert!(catalog_rows(&su, "readers", "alice")?.is_empty());
    Ok(())
}

/// A refresh reads every membership in ONE `pg_auth_members` query per command (a snapshot
/// shared by all reads), not one per membership, and stays within the pool's connections.
#[test]
fn plan_of_200_memberships_reads_pg_auth_members_once() -> Result<()> {
    const GROUPS: usize = 10;
    const MEMBERS: usize = 20;
    const N: usize = GROUPS * MEMBERS;
    const MAX_CONNECTIONS: usize = 4;
    // Every statement in the server log, to count the provider's catalog reads.
    let pg = PgServer::builder()
        .setting("log_statement", "'all'")
        .start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let groups: Vec<String> = (0..GROUPS).map(|i| format!("scale_group_{i}")).collect();
    let members: Vec<String> = (0..MEMBERS).map(|i| format!("scale_member_{i}")).collect();
    let all: Vec<&str> = groups.iter().chain(&members).map(String::as_str).collect();
    create_roles(&admin, &all)?;
    let hcl = format!(
        "{}\nprovider \"dbre\" {{\n  postgres {{\n    max_connections = {MAX_CONNECTIONS}\n  }}\n}}\n\n\
         resource \"dbre_role_membership\" \"m\" {{\n  count        = {N}\n  \
         role         = \"scale_group_${{count.index % {GROUPS}}}\"\n  \
         member       = \"scale_member_${{floor(count.index / {GROUPS})}}\"\n  \
         admin_option = count.index % 3 == 0\n}}\n",
        dbre_e2e::required_providers_hcl(),
    );
    let mut tf = workspace(&admin, &hcl)?;
    tf.set_parallelism(20);
    let apply = tf.apply(&[])?;
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    for group in &groups {
        assert_eq!(member_count(&su, group, "dbadmin")?, MEMBERS, "{group}");
    }

    // A plan refreshes all 200 (20 at a time) in one provider process.
    let mark = pg.log_mark();
    let plan = tf.plan_detailed(&[])?;
    assert_eq!(plan.code, 0, "no changes expected: {plan}");
    let log = pg.log_since(mark);
    let membership_reads = log
        .lines()
        .filter(|l| l.contains("statement:") || l.contains("execute"))
        .filter(|l| l.contains("pg_auth_members"))
        .count();
    let opened = pg.client_connections_since(mark);
    println!(
        "terraform plan of {N} dbre_role_membership (-parallelism=20, max_connections=\
         {MAX_CONNECTIONS}) in {:.1?}: {membership_reads} pg_auth_members queries, {} \
         connections opened",
        plan.elapsed,
        opened.len()
    );
    // A snapshot serves one burst of reads for 15 s; a refresh slower than that (a very busy
    // machine) may read once more per 15 s, never once per membership.
    let allowed = 1 + (plan.elapsed.as_secs() / 15) as usize;
    assert!(
        (1..=allowed).contains(&membership_reads),
        "{membership_reads} pg_auth_members queries for a plan of {N} memberships taking \
         {:.1?} (expected 1)",
        plan.elapsed
    );
    assert!(
        !opened.is_empty() && opened.len() <= MAX_CONNECTIONS + 1,
        "{} connections for one plan (pool size {MAX_CONNECTIONS}): {opened:?}",
        opened.len()
    );

    // Still exact: a membership revoked outside Terraform shows in the next plan.
    admin.execute("REVOKE scale_group_3 FROM scale_member_7")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("# dbre_role_membership.m[73] will be created")
            && plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(
        catalog_rows(&su, "scale_group_3", "scale_member_7")?,
        [false]
    );
    tf.assert_no_changes()?;
    Ok(())
}

/// A member role managed by Terraform and renamed outside it: the role is read by oid and
/// renamed back in place; the membership (read by name) reads as gone and is adopted again —
/// the rename kept it — so the apply converges and the next plan is empty.
#[test]
fn member_renamed_outside_terraform_converges() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let body = format!(
        "{}{}{}",
        role_hcl("group", "renamers", &[]),
        role_hcl("member", "rena", &[]),
        "resource \"dbre_role_membership\" \"m\" {\n  role   = dbre_role.group.name\n  \
         member = dbre_role.member.name\n  admin_option = true\n}\n"
    );
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    assert_eq!(catalog_rows(&su, "renamers", "rena")?, [true]);
    tf.assert_no_changes()?;

    admin.execute("ALTER ROLE rena RENAME TO rena_sneaky")?;
    assert_eq!(catalog_rows(&su, "renamers", "rena_sneaky")?, [true]);
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, "dbre_role.member");
    assert!(
        plan.stdout
            .contains("# dbre_role_membership.m will be created"),
        "{plan}"
    );
    let apply = tf.apply(&[])?;
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    assert!(catalog_role(&su, "rena_sneaky")?.is_none());
    assert_eq!(catalog_rows(&su, "renamers", "rena")?, [true]);
    tf.assert_no_changes()?;
    Ok(())
}
