//! Deleting a role that owns objects or holds privileges in several databases — the classic
//! failure of the peer provider. With `on_delete_reassign_to` the provider reassigns and drops
//! what the role owns in every database, then drops the role; without it, destroy fails with
//! ONE diagnostic listing where the role still owns or holds things, and nothing is damaged.

mod support;

use anyhow::Result;
use dbre_e2e::{ConnInfo, PgServer};
use support::*;

const ADDR: &str = "dbre_role.owner";

/// Two databases; in each the role owns a table, and in `sales` it also holds a privilege on a
/// table it does not own, granted by `grantor` (the table's owner). Set up outside Terraform,
/// the way applications and migrations leave things behind. On a managed service the grantor
/// is the admin (there is no superuser), so that is what the admin variants use.
fn give_the_role_things(pg: &PgServer, grantor: &str) -> Result<(ConnInfo, ConnInfo)> {
    let billing = pg.create_database("billing")?;
    let sales = pg.create_database("sales")?;
    billing.execute(
        "CREATE TABLE invoices (id int); ALTER TABLE invoices OWNER TO app_owner; \
         CREATE SEQUENCE invoice_numbers; ALTER SEQUENCE invoice_numbers OWNER TO app_owner",
    )?;
    sales.execute(&format!(
        "CREATE TABLE orders (id int); ALTER TABLE orders OWNER TO app_owner; \
         CREATE TABLE prices (id int); ALTER TABLE prices OWNER TO {grantor}; \
         SET ROLE {grantor}; GRANT SELECT ON prices TO app_owner; RESET ROLE"
    ))?;
    Ok((billing, sales))
}

fn owner_of(db: &ConnInfo, relation: &str) -> Result<Option<String>> {
    db.scalar(&format!(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = '{relation}'"
    ))
}

fn reassigns_across_databases(pg: &PgServer, admin: &ConnInfo) -> Result<()> {
    let su = pg.superuser();
    admin.execute("CREATE ROLE app_heir")?;
    let body = role_hcl(
        "owner",
        "app_owner",
        &[("login", "true"), ("on_delete_reassign_to", "\"app_heir\"")],
    );
    let tf = workspace(admin, &config(admin, &body))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    let (billing, sales) = give_the_role_things(pg, &admin.user)?;

    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "app_owner")?, None);
    assert_eq!(owner_of(&billing, "invoices")?.as_deref(), Some("app_heir"));
    assert_eq!(
        owner_of(&billing, "invoice_numbers")?.as_deref(),
        Some("app_heir")
    );
    assert_eq!(owner_of(&sales, "orders")?.as_deref(), Some("app_heir"));
    // DROP OWNED revoked the privilege in the other database too (or the drop would have failed).
    assert_eq!(
        sales.scalar("SELECT count(*) FROM pg_class WHERE relname = 'prices' AND relacl::text LIKE '%app_owner%'")?
            .as_deref(),
        Some("0")
    );
    Ok(())
}

#[test]
fn reassign_to_drops_everywhere_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    reassigns_across_databases(&pg, &pg.superuser())
}

#[test]
fn reassign_to_drops_everywhere_as_managed_style_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    reassigns_across_databases(&pg, &admin)
}

/// A NOINHERIT admin (PostgreSQL 15) holds the roles' privileges only through SET ROLE, and
/// REASSIGN/DROP OWNED want both roles' privileges at once: it is made INHERIT inside each
/// database's transaction only ("permission denied to reassign objects" before). Afterwards it
/// is NOINHERIT again and keeps no membership.
#[test]
fn reassign_to_drops_everywhere_as_noinherit_managed_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_noinherit_admin("dbadmin", "admin-pw-42")?;
    reassigns_across_databases(&pg, &admin)?;
    let su = pg.superuser();
    assert!(!existing_role(&su, "dbadmin")?.inherit, "NOINHERIT again");
    assert_eq!(
        memberships_of(&su, "dbadmin")?,
        0,
        "nothing borrowed is kept"
    );
    Ok(())
}

#[test]
fn without_reassign_destroy_lists_what_is_left_and_damages_nothing() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let body = role_hcl("owner", "app_owner", &[("login", "true")]);
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    let oid = existing_role(&su, "app_owner")?.oid;
    let (billing, sales) = give_the_role_things(&pg, "dbadmin")?;

    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])?;
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(error_count(&out.stderr), 1, "one diagnostic: {out}");
    for expected in [
        "app_owner",
        "billing",
        "sales",
        "invoices",
        "orders",
        "prices",
        "on_delete_reassign_to",
    ] {
        assert!(
            out.stderr.contains(expected),
            "diagnostic should mention {expected}: {out}"
        );
    }

    // No partial damage: the role, its objects and its privileges are all still there.
    assert_eq!(existing_role(&su, "app_owner")?.oid, oid);
    assert_eq!(
        owner_of(&billing, "invoices")?.as_deref(),
        Some("app_owner")
    );
    assert_eq!(owner_of(&sales, "orders")?.as_deref(), Some("app_owner"));
    assert_eq!(
        sales
            .scalar("SELECT has_table_privilege('app_owner', 'prices', 'SELECT')::text")?
            .as_deref(),
        Some("true")
    );
    assert_eq!(tf.state_list()?, vec![ADDR.to_string()]);

    // The way out the diagnostic suggests: set on_delete_reassign_to (an in-place update that
    // touches nothing in the database), then destroy.
    let body = role_hcl(
        "owner",
        "app_owner",
        &[("login", "true"), ("on_delete_reassign_to", "\"dbadmin\"")],
    );
    tf.write_config(&config(&admin, &body))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, ADDR);
    tf.apply(&[])?;
    assert_eq!(existing_role(&su, "app_owner")?.oid, oid);
    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "app_owner")?, None);
    assert_eq!(owner_of(&billing, "invoices")?.as_deref(), Some("dbadmin"));
    assert_eq!(owner_of(&sales, "orders")?.as_deref(), Some("dbadmin"));
    Ok(())
}

#[test]
fn reassign_target_that_does_not_exist_is_refused_before_any_change() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let body = role_hcl(
        "owner",
        "app_owner",
        &[("on_delete_reassign_to", "\"nobody_here\"")],
    );
    let tf = workspace(&su, &config(&su, &body))?;
    tf.apply(&[])?;
    let (billing, _sales) = give_the_role_things(&pg, "postgres")?;
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])?;
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("nobody_here"), "{out}");
    assert!(catalog_role(&su, "app_owner")?.is_some());
    assert_eq!(
        owner_of(&billing, "invoices")?.as_deref(),
        Some("app_owner")
    );
    Ok(())
}

#[test]
fn privileges_a_superuser_granted_are_named_when_a_managed_admin_cannot_revoke_them() -> Result<()>
{
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let body = role_hcl(
        "owner",
        "app_owner",
        &[("on_delete_reassign_to", "\"dbadmin\"")],
    );
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    // The superuser grants: the CREATEROLE admin may not revoke what it did not grant.
    let (_billing, sales) = give_the_role_things(&pg, "postgres")?;
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])?;
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    for expected in ["sales", "prices", "app_owner"] {
        assert!(
            out.stderr.contains(expected),
            "should name {expected}: {out}"
        );
    }
    assert!(catalog_role(&su, "app_owner")?.is_some(), "not dropped");
    assert_eq!(owner_of(&sales, "orders")?.as_deref(), Some("dbadmin"));

    // Once that grant is gone, destroy finishes.
    sales.execute("REVOKE SELECT ON prices FROM app_owner")?;
    tf.destroy(&[])?;
    assert_eq!(catalog_role(&su, "app_owner")?, None);
    Ok(())
}
