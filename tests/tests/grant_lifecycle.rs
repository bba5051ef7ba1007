//! `dbre_grant` through its whole life with the real terraform, as the bootstrap superuser and
//! as a managed-service style admin (CREATEROLE CREATEDB, not a member of the objects' owner):
//! create → catalog → "No changes" → outside drift shown and repaired → a table created later is
//! drift until the next apply → import → destroy revokes exactly what the resources held.

mod grant_support;
mod support;

use anyhow::Result;
use dbre_e2e::{ConnInfo, PgServer};
use grant_support::*;

fn setup(pg: &PgServer) -> Result<()> {
    pg.create_database("app")?;
    pg.superuser().with_database("app").execute(
        "CREATE ROLE app_read; CREATE ROLE app_write; CREATE ROLE owner_r; CREATE ROLE other;
         CREATE SCHEMA sales AUTHORIZATION owner_r;
         SET ROLE owner_r;
         CREATE TABLE sales.orders (id int, total int);
         CREATE TABLE sales.items (id int, name text, price int);
         CREATE FUNCTION sales.add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b';
         RESET ROLE;
         -- Grants this configuration does not own: destroy must leave them.
         GRANT SELECT ON sales.orders TO other;
         GRANT DELETE ON sales.items TO app_write;",
    )
}

fn body() -> String {
    let common = |role: &str| {
        vec![
            ("database", s("app")),
            ("role", s(role)),
            ("schema", s("sales")),
        ]
    };
    let mut out = String::new();
    let mut read = common("app_read");
    read.extend([
        ("object_type", s("table")),
        ("objects", l(&[])),
        ("privileges", l(&["SELECT"])),
    ]);
    out.push_str(&grant_hcl("read", &read));
    let mut write = common("app_write");
    write.extend([
        ("object_type", s("table")),
        ("objects", l(&["orders"])),
        ("privileges", l(&["ALL"])),
        ("with_grant_option", "true".into()),
    ]);
    out.push_str(&grant_hcl("write", &write));
    let mut usage = common("app_read");
    usage.extend([("object_type", s("schema")), ("privileges", l(&["USAGE"]))]);
    out.push_str(&grant_hcl("usage", &usage));
    let mut cols = common("app_write");
    cols.extend([
        ("object_type", s("column")),
        ("objects", l(&["items"])),
        ("columns", l(&["id", "name"])),
        ("privileges", l(&["UPDATE"])),
    ]);
    out.push_str(&grant_hcl("cols", &cols));
    let mut func = common("app_read");
    func.extend([
        ("object_type", s("function")),
        ("objects", l(&["add(int, int)"])),
        ("privileges", l(&["EXECUTE"])),
    ]);
    out.push_str(&grant_hcl("func", &func));
    out
}

fn lifecycle(pg: &PgServer, login: &ConnInfo) -> Result<()> {
    setup(pg)?;
    let su = pg.superuser().with_database("app");
    let tf = workspace(login, &config(login, &body()))?;

    // Create.
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("5 added"), "{apply}");
    assert_eq!(rel_privs(&su, "app_read", "sales.orders")?, "SELECT");
    assert_eq!(rel_privs(&su, "app_read", "sales.items")?, "SELECT");
    assert_eq!(
        rel_privs(&su, "app_write", "sales.orders")?,
        "DELETE*,INSERT*,REFERENCES*,SELECT*,TRIGGER*,TRUNCATE*,UPDATE*"
    );
    assert_eq!(
        ask(
            &su,
            "has_column_privilege('app_write', 'sales.items', 'name', 'UPDATE')::text \
             || has_column_privilege('app_write', 'sales.items', 'price', 'UPDATE')::text \
             || has_schema_privilege('app_read', 'sales', 'USAGE')::text \
             || has_function_privilege('app_read', 'sales.add(int,int)', 'EXECUTE')::text"
        )?,
        "truefalsetruetrue"
    );
    // Converged: ["ALL"] and "add(int, int)" keep their spelling, no phantom diff.
    tf.assert_no_changes()?;

    // Outside drift: an extra privilege on one table, a missing one on another.
    su.execute(
        "GRANT INSERT ON sales.orders TO app_read; REVOKE SELECT ON sales.items FROM app_read; \
         REVOKE GRANT OPTION FOR TRUNCATE ON sales.orders FROM app_write",
    )?;
    let plan = tf.assert_changes()?;
    for address in ["dbre_grant.read", "dbre_grant.write"] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be updated in-place")),
            "{address} drift not shown: {plan}"
        );
    }
    tf.apply(&[])?;
    assert_eq!(rel_privs(&su, "app_read", "sales.orders")?, "SELECT");
    assert_eq!(rel_privs(&su, "app_read", "sales.items")?, "SELECT");
    assert!(rel_privs(&su, "app_write", "sales.orders")?.contains("TRUNCATE*"));
    tf.assert_no_changes()?;

    // A table created later, without the grant: drift for objects = [], granted next apply.
    su.execute("SET ROLE owner_r; CREATE TABLE sales.later (id int); RESET ROLE")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("# dbre_grant.read will be updated in-place"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(rel_privs(&su, "app_read", "sales.later")?, "SELECT");
    tf.assert_no_changes()?;

    // Import: forget two grants, import them by id, and nothing is planned.
    tf.run_ok(&["state", "rm", "dbre_grant.write", "dbre_grant.cols"])?;
    tf.import("dbre_grant.write", "app/app_write/table/sales/orders")?;
    tf.import(
        "dbre_grant.cols",
        "app/app_write/column/sales/items/id,name",
    )?;
    tf.assert_no_changes()?;

    // Destroy: exactly what the resources held goes; other grants stay.
    tf.destroy(&[])?;
    for rel in ["sales.orders", "sales.items", "sales.later"] {
        assert_eq!(rel_privs(&su, "app_read", rel)?, "", "{rel}");
    }
    assert_eq!(rel_privs(&su, "app_write", "sales.orders")?, "");
    assert_eq!(rel_privs(&su, "app_write", "sales.items")?, "DELETE");
    assert_eq!(rel_privs(&su, "other", "sales.orders")?, "SELECT");
    assert_eq!(
        ask(
            &su,
            "has_column_privilege('app_write', 'sales.items', 'name', 'UPDATE')::text \
             || has_schema_privilege('app_read', 'sales', 'USAGE')::text"
        )?,
        "falsefalse"
    );
    // The function's EXECUTE came back to app_read through PUBLIC's default only.
    assert_eq!(
        ask(
            &su,
            "(SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a \
              WHERE p.proname = 'add' AND a.grantee = 'app_read'::regrole)::text"
        )?,
        "0"
    );

    // A dropped database took the grants with it: the plan creates them again (a refresh
    // error before), and destroy succeeds.
    tf.apply(&[])?;
    pg.superuser().execute("DROP DATABASE app")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout.contains("5 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    tf.destroy(&[])?;
    Ok(())
}

#[test]
fn lifecycle_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    lifecycle(&pg, &pg.superuser())
}

#[test]
fn lifecycle_as_managed_admin_on_objects_of_another_role() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    lifecycle(&pg, &admin)?;
    // Nothing borrowed is kept.
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 0);
    Ok(())
}

/// A NOINHERIT admin: the memberships it borrows do not inherit either, so it acts for the
/// owners through SET ROLE (a GRANT as itself is "permission denied").
#[test]
fn lifecycle_as_noinherit_managed_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_noinherit_admin("dbadmin", "admin-pw-42")?;
    lifecycle(&pg, &admin)?;
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 0);
    Ok(())
}

/// PUBLIC: `privileges = []` revokes its defaults on a database and on every function of a
/// schema; a role keeps CONNECT through its own grant.
#[test]
fn public_defaults_revoked() -> Result<()> {
    let pg = PgServer::start()?;
    pg.create_database("pubdb")?;
    let su = pg.superuser().with_database("pubdb");
    su.execute(
        "CREATE ROLE app_read; CREATE ROLE nobody;
         CREATE FUNCTION public.f1() RETURNS int LANGUAGE sql AS 'SELECT 1';
         CREATE FUNCTION public.f2(x text) RETURNS int LANGUAGE sql AS 'SELECT 2';",
    )?;
    let body = [
        grant_hcl(
            "no_public_db",
            &[
                ("database", s("pubdb")),
                ("role", s("PUBLIC")),
                ("object_type", s("database")),
                ("privileges", l(&[])),
            ],
        ),
        grant_hcl(
            "no_public_fn",
            &[
                ("database", s("pubdb")),
                ("role", s("public")),
                ("object_type", s("function")),
                ("schema", s("public")),
                ("privileges", l(&[])),
            ],
        ),
        grant_hcl(
            "connect",
            &[
                ("database", s("pubdb")),
                ("role", s("app_read")),
                ("object_type", s("database")),
                ("privileges", l(&["CONNECT"])),
            ],
        ),
    ]
    .concat();
    let login = pg.superuser();
    let tf = workspace(&login, &config(&login, &body))?;
    tf.apply(&[])?;
    let check = "has_database_privilege('nobody', 'pubdb', 'CONNECT')::text \
                 || has_database_privilege('nobody', 'pubdb', 'TEMPORARY')::text \
                 || has_database_privilege('app_read', 'pubdb', 'CONNECT')::text \
                 || has_function_privilege('nobody', 'public.f1()', 'EXECUTE')::text \
                 || has_function_privilege('nobody', 'public.f2(text)', 'EXECUTE')::text";
    assert_eq!(ask(&su, check)?, "falsefalsetruefalsefalse");
    tf.assert_no_changes()?;

    // PUBLIC's CONNECT granted back outside Terraform is drift, and repaired.
    su.execute("GRANT CONNECT ON DATABASE pubdb TO PUBLIC")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("# dbre_grant.no_public_db will be updated in-place"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(ask(&su, check)?, "falsefalsetruefalsefalse");

    // Import of a PUBLIC grant.
    tf.run_ok(&["state", "rm", "dbre_grant.no_public_fn"])?;
    tf.import("dbre_grant.no_public_fn", "pubdb/public/function/public")?;
    tf.assert_no_changes()?;

    // Destroy takes away what was granted (app_read's CONNECT); PUBLIC had nothing to take.
    tf.destroy(&[])?;
    assert_eq!(ask(&su, check)?, "falsefalsefalsefalsefalse");
    Ok(())
}

/// The other object types: sequences, a procedure by bare name, every routine of a schema,
/// schemas listed in objects, a foreign-data wrapper and a foreign server.
#[test]
fn other_object_types() -> Result<()> {
    let pg = PgServer::start()?;
    pg.create_database("app")?;
    let su = pg.superuser().with_database("app");
    su.execute(
        "CREATE ROLE r; CREATE SCHEMA s1; CREATE SCHEMA s2;
         CREATE SEQUENCE s1.seq;
         CREATE PROCEDURE s1.tidy(x int) LANGUAGE sql AS 'SELECT 1';
         CREATE FUNCTION s2.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
         CREATE PROCEDURE s2.p() LANGUAGE sql AS 'SELECT 1';
         CREATE FOREIGN DATA WRAPPER w; CREATE SERVER srv FOREIGN DATA WRAPPER w;",
    )?;
    let g = |label: &str, object_type: &str, extra: Vec<(&'static str, String)>| {
        let mut attrs = vec![
            ("database", s("app")),
            ("role", s("r")),
            ("object_type", s(object_type)),
        ];
        attrs.extend(extra);
        grant_hcl(label, &attrs)
    };
    let body = [
        g(
            "seq",
            "sequence",
            vec![("schema", s("s1")), ("privileges", l(&["USAGE", "SELECT"]))],
        ),
        g(
            "proc",
            "procedure",
            vec![
                ("schema", s("s1")),
                ("objects", l(&["tidy"])),
                ("privileges", l(&["EXECUTE"])),
            ],
        ),
        g(
            "routines",
            "routine",
            vec![("schema", s("s2")), ("privileges", l(&["ALL"]))],
        ),
        g(
            "schemas",
            "schema",
            vec![("objects", l(&["s1", "s2"])), ("privileges", l(&["USAGE"]))],
        ),
        g(
            "fdw",
            "foreign_data_wrapper",
            vec![("objects", l(&["w"])), ("privileges", l(&["USAGE"]))],
        ),
        g(
            "srv",
            "foreign_server",
            vec![("objects", l(&["srv"])), ("privileges", l(&["USAGE"]))],
        ),
    ]
    .concat();
    let login = pg.superuser();
    let tf = workspace(&login, &config(&login, &body))?;
    tf.apply(&[])?;
    let check = "has_sequence_privilege('r', 's1.seq', 'USAGE')::text \
                 || has_sequence_privilege('r', 's1.seq', 'UPDATE')::text \
                 || (SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a \
                     WHERE a.grantee = 'r'::regrole)::text \
                 || has_schema_privilege('r', 's2', 'USAGE')::text \
                 || has_foreign_data_wrapper_privilege('r', 'w', 'USAGE')::text \
                 || has_server_privilege('r', 'srv', 'USAGE')::text";
    assert_eq!(ask(&su, check)?, "truefalse3truetruetrue");
    tf.assert_no_changes()?;
    tf.run_ok(&["state", "rm", "dbre_grant.srv", "dbre_grant.proc"])?;
    tf.import("dbre_grant.srv", "app/r/foreign_server//srv")?;
    tf.import("dbre_grant.proc", "app/r/procedure/s1/tidy")?;
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(ask(&su, check)?, "falsefalse0falsefalsefalse");
    Ok(())
}
