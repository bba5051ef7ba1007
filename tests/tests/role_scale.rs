//! Many roles at once: 100 with `-parallelism=20`, and the connection and query budget of a
//! `terraform plan` of 200 roles (one pool per server and database, shared across RPCs; one bulk
//! catalog read shared by all role reads).

mod support;

use anyhow::Result;
use dbre_e2e::PgServer;
use support::*;

fn many_roles_hcl(prefix: &str, count: usize) -> String {
    format!(
        "resource \"dbre_role\" \"many\" {{\n  count = {count}\n  name  = \"{prefix}${{count.index}}\"\n  \
         login = count.index % 2 == 0\n  connection_limit = count.index % 7\n}}\n"
    )
}

#[test]
fn hundred_roles_with_parallelism_20() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let mut tf = workspace(&admin, &config(&admin, &many_roles_hcl("bulk_", 100)))?;
    tf.set_parallelism(20);

    let apply = tf.apply(&[])?;
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 100 added"),
        "{apply}"
    );
    assert_eq!(count_roles_with_prefix(&su, "bulk_")?, 100);
    let r42 = existing_role(&su, "bulk_42")?;
    assert!(r42.login);
    assert_eq!(r42.connection_limit, 0);
    tf.assert_no_changes()?;

    // One attribute changed on all of them: 100 in-place updates in one apply.
    tf.write_config(&config(
        &admin,
        &many_roles_hcl("bulk_", 100).replace("% 7", "% 5"),
    ))?;
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("changed"), "{apply}");
    assert_eq!(existing_role(&su, "bulk_42")?.connection_limit, 2);
    tf.assert_no_changes()?;

    tf.destroy(&[])?;
    assert_eq!(count_roles_with_prefix(&su, "bulk_")?, 0);
    Ok(())
}

#[test]
fn plan_of_200_roles_stays_within_the_pool() -> Result<()> {
    const MAX_CONNECTIONS: usize = 4;
    // Every statement in the server log, to count the provider's catalog reads.
    let pg = PgServer::builder()
        .setting("log_statement", "'all'")
        .start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let hcl = format!(
        "{}\nprovider \"dbre\" {{\n  postgres {{\n    max_connections = {MAX_CONNECTIONS}\n  }}\n}}\n\n{}",
        dbre_e2e::required_providers_hcl(),
        many_roles_hcl("pool_", 200)
    );
    let mut tf = workspace(&admin, &hcl)?;
    tf.set_parallelism(20);
    tf.apply(&[])?;
    assert_eq!(count_roles_with_prefix(&pg.superuser(), "pool_")?, 200);

    // A plan refreshes all 200 roles (20 at a time) in one provider process.
    let mark = pg.log_mark();
    let plan = tf.plan_detailed(&[])?;
    assert_eq!(plan.code, 0, "{plan}");
    let opened = pg.client_connections_since(mark);
    println!(
        "terraform plan of 200 dbre_role (-parallelism=20, max_connections={MAX_CONNECTIONS}): \
         {} connections opened: {opened:?}",
        opened.len()
    );
    assert!(
        !opened.is_empty(),
        "the plan did not connect at all: did it refresh?"
    );
    // The pool size, plus at most one maintenance connection.
    assert!(
        opened.len() <= MAX_CONNECTIONS + 1,
        "{} connections for one plan (pool size {MAX_CONNECTIONS}): {opened:?}",
        opened.len()
    );
    // Refreshing 200 roles reads pg_roles in bulk, shared by every read of the plan (a new one
    // only after a few seconds), not once per role. Role reads are the ones joining
    // pg_shdescription for the comment.
    let role_reads = pg
        .log_since(mark)
        .lines()
        .filter(|l| l.contains("statement:") || l.contains("execute"))
        .filter(|l| l.contains("pg_shdescription"))
        .count();
    println!("role catalog queries during the plan: {role_reads}");
    assert!(
        (1..=5).contains(&role_reads),
        "{role_reads} role catalog queries for a plan of 200 roles"
    );
    Ok(())
}
