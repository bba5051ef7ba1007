//! `dbre_role_privileges` end to end: one authoritative resource per (database, role).
//! Create → catalog → no changes → an outside GRANT on an unlisted table shows and is revoked →
//! an outside REVOKE is re-granted → a table created later is covered → import (odd names
//! included) → destroy revokes everything the role holds in the database, and nothing else.
//! Then scale: 300 objects, 3 schemas, 6 blocks refresh with ONE ACL query and a small state.

mod support;

use std::collections::BTreeSet;

use anyhow::Result;
use dbre_e2e::{hcl_string, quote_literal, ConnInfo, PgServer, TfWorkspace};
use support::*;

const ODD: &str = "odd \"role\"/@x";

/// Every privilege `role` holds directly in the database `conn` is on, as
/// `type|schema|name|column|PRIVILEGE|grantable`, read by the superuser with aclexplode
/// (independent of the provider), system schemas left out.
fn held(conn: &ConnInfo, role: &str) -> Result<BTreeSet<String>> {
    let who = quote_literal(role);
    let sql = format!(
        "WITH nsp AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN \
           ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'),
         objs AS (
           SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind, n.nspname AS s,
                  c.relname::text AS name, '' AS col, c.relacl AS acl
             FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r','v','m','f','p','S')
           UNION ALL
           SELECT 'column', n.nspname, c.relname, a.attname, a.attacl FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid JOIN nsp n ON n.oid = c.relnamespace
             WHERE a.attacl IS NOT NULL AND a.attnum > 0
           UNION ALL
           SELECT 'function', n.nspname, p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
                  '', p.proacl FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
           UNION ALL
           SELECT 'schema', '', n.nspname, '', x.nspacl FROM nsp n JOIN pg_namespace x ON x.oid = n.oid
           UNION ALL
           SELECT 'database', '', datname, '', datacl FROM pg_database WHERE datname = current_database())
         SELECT o.kind, o.s, o.name, o.col, a.privilege_type, a.is_grantable::text
         FROM objs o, aclexplode(o.acl) a JOIN pg_roles r ON r.oid = a.grantee
         WHERE r.rolname = {who}"
    );
    rows(conn, &sql)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn setup(pg: &PgServer) -> Result<ConnInfo> {
    let su = pg.superuser();
    su.execute(&format!(
        "CREATE ROLE app_rw; CREATE ROLE other; CREATE ROLE {}",
        dbre_e2e::quote_ident(ODD)
    ))?;
    let app = pg.create_database("app")?;
    app.execute(
        "CREATE SCHEMA s1; CREATE SCHEMA s2; CREATE SCHEMA s3;
         CREATE TABLE s1.a (id int); CREATE TABLE s1.b (id int);
         CREATE TABLE s2.c (id int); CREATE TABLE s2.d (x int, y int);
         CREATE TABLE s3.z (id int);
         CREATE SEQUENCE s1.seq;
         CREATE FUNCTION s1.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
         CREATE TABLE s1.mine (id int); ALTER TABLE s1.mine OWNER TO app_rw;
         GRANT SELECT ON s1.a TO other;
         GRANT DELETE ON s3.z TO app_rw;",
    )?;
    Ok(app)
}

const BLOCKS: &str = r#"
resource "dbre_role_privileges" "app" {
  database = "app"
  role     = "app_rw"
  grant {
    object_type = "database"
    privileges  = ["CONNECT"]
  }
  grant {
    object_type = "schema"
    objects     = ["s1", "s2"]
    privileges  = ["USAGE"]
  }
  grant {
    object_type = "table"
    schema      = "s1"
    privileges  = ["select", "INSERT"]
  }
  grant {
    object_type       = "table"
    schema            = "s2"
    objects           = ["c"]
    privileges        = ["ALL"]
    with_grant_option = true
  }
  grant {
    object_type = "column"
    schema      = "s2"
    objects     = ["d"]
    columns     = ["x"]
    privileges  = ["UPDATE"]
  }
  grant {
    object_type = "function"
    schema      = "s1"
    objects     = ["f(int)"]
    privileges  = ["EXECUTE"]
  }
  grant {
    object_type = "sequence"
    schema      = "s1"
    privileges  = ["USAGE"]
  }
}
"#;

fn odd_hcl() -> String {
    format!(
        "resource \"dbre_role_privileges\" \"odd\" {{\n  database = \"app\"\n  role = {}\n  \
         grant {{\n    object_type = \"table\"\n    schema = \"s1\"\n    objects = [\"a\"]\n    \
         privileges = [\"SELECT\"]\n  }}\n}}\n",
        hcl_string(ODD)
    )
}

fn expected_app_rw() -> BTreeSet<String> {
    let mut want = set(&[
        "database||app||CONNECT|false",
        "schema||s1||USAGE|false",
        "schema||s2||USAGE|false",
        "table|s1|a||SELECT|false",
        "table|s1|a||INSERT|false",
        "table|s1|b||SELECT|false",
        "table|s1|b||INSERT|false",
        "column|s2|d|x|UPDATE|false",
        "function|s1|f(integer)||EXECUTE|false",
        "sequence|s1|seq||USAGE|false",
    ]);
    for p in [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
    ] {
        want.insert(format!("table|s2|c||{p}|true"));
    }
    want
}

#[test]
fn authoritative_lifecycle() -> Result<()> {
    let pg = PgServer::start()?;
    let app = setup(&pg)?;
    let su = pg.superuser();
    let hcl = config(&su, &format!("{BLOCKS}\n{}", odd_hcl()));
    let tf = workspace(&su, &hcl)?;

    // Create: exactly the blocks; the DELETE granted before on an unlisted table is gone.
    tf.apply(&[])?;
    assert_eq!(held(&app, "app_rw")?, expected_app_rw());
    assert_eq!(held(&app, ODD)?, set(&["table|s1|a||SELECT|false"]));
    assert_eq!(held(&app, "other")?, set(&["table|s1|a||SELECT|false"]));
    let owner_keeps = || {
        app.scalar("SELECT has_table_privilege('app_rw', 's1.mine', 'SELECT, TRUNCATE, TRIGGER')")
    };
    assert_eq!(
        owner_keeps()?.as_deref(),
        Some("t"),
        "a table the role owns keeps the owner's privileges, though \"every table in s1\" covers it"
    );
    tf.assert_no_changes()?;

    // An outside GRANT on a table no block lists shows as an extra block, and is revoked.
    app.execute("GRANT SELECT, UPDATE ON s3.z TO app_rw")?;
    let plan = tf.assert_changes()?;
    println!("plan after an outside GRANT:\n{}", plan.stdout);
    assert_updated_in_place(&plan.stdout, "dbre_role_privileges.app");
    assert!(
        plan.stdout.contains("- grant {") && plan.stdout.contains("\"z\""),
        "the extra grant is shown as a block being removed:\n{}",
        plan.stdout
    );
    tf.apply(&[])?;
    assert_eq!(held(&app, "app_rw")?, expected_app_rw());
    tf.assert_no_changes()?;

    // An outside REVOKE is shown and re-granted.
    app.execute(
        "REVOKE INSERT ON s1.b FROM app_rw; REVOKE GRANT OPTION FOR TRUNCATE ON s2.c FROM app_rw",
    )?;
    let plan = tf.assert_changes()?;
    println!("plan after an outside REVOKE:\n{}", plan.stdout);
    assert!(plan.stdout.contains("\"INSERT\""), "{}", plan.stdout);
    tf.apply(&[])?;
    assert_eq!(held(&app, "app_rw")?, expected_app_rw());
    tf.assert_no_changes()?;

    // A table created later in s1 is covered by the "every table" block.
    app.execute("CREATE TABLE s1.later (id int)")?;
    tf.assert_changes()?;
    tf.apply(&[])?;
    let mut want = expected_app_rw();
    want.insert("table|s1|later||SELECT|false".into());
    want.insert("table|s1|later||INSERT|false".into());
    assert_eq!(held(&app, "app_rw")?, want);
    tf.assert_no_changes()?;

    // Import, odd names included: the state is rebuilt from the catalog; after an apply that
    // changes nothing in the database, the plan is clean.
    for address in ["dbre_role_privileges.app", "dbre_role_privileges.odd"] {
        tf.run_ok(&["state", "rm", address])?;
    }
    tf.import("dbre_role_privileges.app", "app/app_rw")?;
    tf.import("dbre_role_privileges.odd", "app/odd \"role\"%2F@x")?;
    let imported = state_values(&tf, "dbre_role_privileges.odd")?;
    assert_eq!(imported["role"], ODD, "{imported}");
    assert_eq!(imported["grant"][0]["objects"], serde_json::json!(["a"]));
    let imported = state_values(&tf, "dbre_role_privileges.app")?;
    let blocks = imported["grant"].as_array().cloned().unwrap_or_default();
    assert!(
        blocks
            .iter()
            .any(|b| b["objects"] == serde_json::json!(["a", "b", "later"])
                && b["privileges"] == serde_json::json!(["SELECT", "INSERT"])),
        "imported blocks group objects with the same privileges: {imported:#}"
    );
    tf.apply(&[])?;
    assert_eq!(held(&app, "app_rw")?, want);
    tf.assert_no_changes()?;

    // Destroy: app_rw holds nothing in the database; other roles keep theirs.
    tf.destroy(&[])?;
    assert_eq!(held(&app, "app_rw")?, BTreeSet::new());
    assert_eq!(held(&app, ODD)?, BTreeSet::new());
    assert_eq!(held(&app, "other")?, set(&["table|s1|a||SELECT|false"]));
    assert_eq!(owner_keeps()?.as_deref(), Some("t"));
    Ok(())
}

#[test]
fn blocks_are_checked_at_plan_time_at_their_path() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg)?;
    let su = pg.superuser();
    let body = r#"
resource "dbre_role_privileges" "bad" {
  database = "app"
  role     = "app_rw"
  grant {
    object_type = "table"
    schema      = "s1"
    privileges  = ["SELECT"]
  }
  grant {
    object_type = "table"
    privileges  = ["SELECT"]
  }
  grant {
    object_type = "sequence"
    schema      = "s1"
    privileges  = ["USAGE", "EXECUTE"]
  }
}
"#;
    let tf = workspace(&su, &config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 2, "{out}");
    assert!(out.stderr.contains("Missing schema"), "{out}");
    assert!(
        out.stderr
            .contains("EXECUTE is not a privilege on sequences"),
        "{out}"
    );
    // Nothing was touched.
    assert!(pg
        .superuser()
        .with_database("app")
        .scalar("SELECT has_table_privilege('app_rw', 's3.z', 'DELETE')")?
        .is_some_and(|v| v == "t"));
    Ok(())
}

/// 300 tables across 3 schemas, 6 blocks: a refresh reads the ACLs with ONE query — shared
/// with three dbre_privileges audits of the same database — and the state stays one resource,
/// measured against the same privileges as 303 per-object dbre_grant resources.
#[test]
fn three_hundred_objects_refresh_with_one_acl_query() -> Result<()> {
    let pg = PgServer::builder()
        .setting("log_statement", "all")
        .start()?;
    let su = pg.superuser();
    su.execute("CREATE ROLE big")?;
    let app = pg.create_database("app")?;
    let mut setup = String::new();
    for s in ["a", "b", "c"] {
        setup.push_str(&format!("CREATE SCHEMA {s};"));
        for i in 0..100 {
            setup.push_str(&format!("CREATE TABLE {s}.t{i} (id int);"));
        }
    }
    app.execute(&setup)?;
    let mut body = String::from(
        "resource \"dbre_role_privileges\" \"big\" {\n  database = \"app\"\n  role = \"big\"\n",
    );
    for s in ["a", "b", "c"] {
        body.push_str(&format!(
            "  grant {{\n    object_type = \"schema\"\n    objects = [\"{s}\"]\n    privileges = [\"USAGE\"]\n  }}\n  \
             grant {{\n    object_type = \"table\"\n    schema = \"{s}\"\n    privileges = [\"SELECT\"]\n  }}\n"
        ));
    }
    body.push_str("}\n");
    // Audits of the same database in the same walk share the resource's ACL snapshot.
    for s in ["a", "b", "c"] {
        body.push_str(&format!(
            "data \"dbre_privileges\" \"{s}\" {{\n  database = \"app\"\n  role = \"big\"\n  \
             schemas = [\"{s}\"]\n  depends_on = [dbre_role_privileges.big]\n}}\n\
             output \"{s}\" {{\n  value = length(data.dbre_privileges.{s}.objects)\n}}\n"
        ));
    }
    let tf: TfWorkspace = workspace(&su, &config(&su, &body))?;
    tf.apply(&[])?;
    assert_eq!(
        app.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('a','b','c') AND has_table_privilege('big', c.oid, 'SELECT')"
        )?
        .as_deref(),
        Some("300")
    );

    let outputs = tf.output_json()?;
    for s in ["a", "b", "c"] {
        assert_eq!(outputs[s]["value"], 101, "100 tables and the schema");
    }

    let mark = pg.log_mark();
    tf.assert_no_changes()?;
    let log = pg.log_since(mark);
    let acl_queries = log
        .matches("LEFT JOIN LATERAL pg_catalog.aclexplode(o.acl)")
        .count();
    let connections = pg.client_connections_since(mark).len();
    let state = resources_json(&tf, "dbre_role_privileges")?;
    println!(
        "refresh of dbre_role_privileges with 300 tables, 3 schemas, 6 blocks, plus 3 \
         dbre_privileges of the same role: {acl_queries} ACL queries, {connections} connections; \
         the resource's state {} bytes",
        state.len(),
    );
    // log_statement logs the extended protocol's parse, bind and execute of one statement as
    // "execute <unnamed>: ..." once; count executions.
    assert_eq!(acl_queries, 1, "one ACL query per refresh:\n{log}");

    // The same privileges as 300 + 3 dbre_grant resources (one per object), for comparison.
    su.execute("CREATE ROLE big2")?;
    let mut grants = String::new();
    for s in ["a", "b", "c"] {
        grants.push_str(&format!(
            "resource \"dbre_grant\" \"usage_{s}\" {{\n  database = \"app\"\n  role = \"big2\"\n  \
             object_type = \"schema\"\n  objects = [\"{s}\"]\n  privileges = [\"USAGE\"]\n}}\n\
             resource \"dbre_grant\" \"select_{s}\" {{\n  for_each = toset([for i in range(100) : \"t${{i}}\"])\n  \
             database = \"app\"\n  role = \"big2\"\n  object_type = \"table\"\n  schema = \"{s}\"\n  \
             objects = [each.key]\n  privileges = [\"SELECT\"]\n}}\n"
        ));
    }
    let mut per_object = workspace(&su, &config(&su, &grants))?;
    per_object.set_parallelism(20);
    per_object.apply(&[])?;
    let baseline = resources_json(&per_object, "dbre_grant")?;
    println!(
        "state: dbre_role_privileges (1 resource) {} bytes vs 303 dbre_grant resources {} bytes \
         ({:.0}x smaller)",
        state.len(),
        baseline.len(),
        baseline.len() as f64 / state.len() as f64
    );
    assert!(
        state.len() * 20 < baseline.len(),
        "one resource's state is much smaller than 303 resources': {} vs {} bytes",
        state.len(),
        baseline.len()
    );
    Ok(())
}

#[test]
fn public_is_managed_like_a_role_and_system_schemas_are_left_alone() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let app = pg.create_database("app")?;
    app.execute(
        "CREATE SCHEMA s1;
         CREATE FUNCTION s1.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
         CREATE FUNCTION s1.g() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    )?;
    let body = r#"
resource "dbre_role_privileges" "public" {
  database = "app"
  role     = "PUBLIC"
  grant {
    object_type = "database"
    privileges  = ["CONNECT"]
  }
  grant {
    object_type = "function"
    schema      = "s1"
    objects     = ["g"]
    privileges  = ["EXECUTE"]
  }
}
"#;
    let tf = workspace(&su, &config(&su, body))?;
    tf.apply(&[])?;
    let check = |sql: &str| -> Result<String> { Ok(app.scalar(sql)?.unwrap_or_default()) };
    assert_eq!(
        check("SELECT has_database_privilege('public', 'app', 'CONNECT')")?,
        "t"
    );
    assert_eq!(
        check("SELECT has_database_privilege('public', 'app', 'TEMP')")?,
        "f"
    );
    assert_eq!(
        check("SELECT has_function_privilege('public', 's1.f(int)', 'EXECUTE')")?,
        "f"
    );
    assert_eq!(
        check("SELECT has_function_privilege('public', 's1.g()', 'EXECUTE')")?,
        "t"
    );
    assert_eq!(
        check("SELECT has_function_privilege('public', 'pg_catalog.now()', 'EXECUTE')")?,
        "t",
        "PostgreSQL's own functions are not touched"
    );
    tf.assert_no_changes()?;

    // A grant option for PUBLIC is refused at plan time, at the block.
    tf.write_config(&config(
        &su,
        &body.replace(
            "privileges  = [\"EXECUTE\"]",
            "privileges  = [\"EXECUTE\"]\n    with_grant_option = true",
        ),
    ))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(out.stderr.contains("No grant option for PUBLIC"), "{out}");
    Ok(())
}

#[test]
fn non_superuser_admin_manages_objects_owned_by_another_role() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    su.execute("CREATE ROLE owner_r; CREATE ROLE app_ro")?;
    let app = pg.create_database("app")?;
    app.execute(
        "CREATE SCHEMA s1 AUTHORIZATION owner_r;
         CREATE TABLE s1.a (id int); CREATE TABLE s1.b (id int);
         ALTER TABLE s1.a OWNER TO owner_r; ALTER TABLE s1.b OWNER TO owner_r;",
    )?;
    let body = r#"
resource "dbre_role_privileges" "ro" {
  database = "app"
  role     = "app_ro"
  grant {
    object_type = "schema"
    objects     = ["s1"]
    privileges  = ["USAGE"]
  }
  grant {
    object_type = "table"
    schema      = "s1"
    privileges  = ["SELECT"]
  }
}
"#;
    let tf = workspace(&admin, &config(&admin, body))?;
    tf.apply(&[])?;
    assert_eq!(
        held(&app, "app_ro")?,
        set(&[
            "schema||s1||USAGE|false",
            "table|s1|a||SELECT|false",
            "table|s1|b||SELECT|false",
        ])
    );
    let borrowed = || {
        su.scalar(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
             JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = 'owner_r' AND u.rolname = 'dbadmin'",
        )
    };
    assert_eq!(
        borrowed()?.as_deref(),
        Some("0"),
        "the borrowed membership was given back"
    );
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(held(&app, "app_ro")?, BTreeSet::new());
    assert_eq!(borrowed()?.as_deref(), Some("0"));

    // A dropped database took the privileges with it: the plan re-creates, destroy succeeds.
    tf.apply(&[])?;
    su.execute("DROP DATABASE app")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("dbre_role_privileges.ro will be created"),
        "{plan}"
    );
    tf.destroy(&[])?;
    Ok(())
}

/// Twenty roles, each with its own authoritative resource over the same 50 tables, applied and
/// destroyed at -parallelism=20: no error (every write locks the objects it touches in one
/// stable order and is retried on concurrent updates), and every role ends with exactly its own.
#[test]
fn twenty_roles_on_the_same_tables_in_parallel() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let app = pg.create_database("app")?;
    let mut sql = String::from("CREATE SCHEMA s;");
    for i in 0..50 {
        sql.push_str(&format!("CREATE TABLE s.t{i} (id int);"));
    }
    for r in 0..20 {
        sql.push_str(&format!("CREATE ROLE r{r};"));
    }
    app.execute(&sql)?;
    let body = r#"
resource "dbre_role_privileges" "r" {
  count    = 20
  database = "app"
  role     = "r${count.index}"
  grant {
    object_type = "schema"
    objects     = ["s"]
    privileges  = ["USAGE"]
  }
  grant {
    object_type = "table"
    schema      = "s"
    privileges  = count.index % 2 == 0 ? ["SELECT"] : ["SELECT", "UPDATE"]
  }
}
"#;
    let mut tf = workspace(&su, &config(&su, body))?;
    tf.set_parallelism(20);
    let apply = tf.apply(&[])?;
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    let count = |sql: &str| -> Result<String> { Ok(app.scalar(sql)?.unwrap_or_default()) };
    assert_eq!(
        count(
            "SELECT count(*) FROM pg_class c, generate_series(0, 19) r \
             WHERE c.relnamespace = 's'::regnamespace AND c.relkind = 'r' \
               AND has_table_privilege('r' || r, c.oid, 'SELECT') \
               AND has_table_privilege('r' || r, c.oid, 'UPDATE') = (r % 2 = 1) \
               AND NOT has_table_privilege('r' || r, c.oid, 'INSERT')"
        )?,
        "1000"
    );
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(
        count(
            "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.relnamespace = 's'::regnamespace AND a.grantee <> c.relowner"
        )?,
        "0"
    );
    Ok(())
}
