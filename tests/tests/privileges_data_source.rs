//! The `dbre_privileges` data source against the server's own answers: for several roles (one
//! inheriting through two levels of groups, one NOINHERIT member, a pg_read_all_data member,
//! the database owner via pg_database_owner, an owner with an odd name, and PUBLIC), every
//! object's `effective_privileges` must be exactly what `has_*_privilege` says for that role,
//! object by object — and no object the role can use may be missing.

mod support;

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use dbre_e2e::{hcl_string, quote_literal, ConnInfo, PgServer};
use serde_json::Value;
use support::*;

const ODD: &str = "odd \"role\".@x/y";

fn setup(pg: &PgServer) -> Result<ConnInfo> {
    let su = pg.superuser();
    su.execute(
        "CREATE ROLE dbowner; CREATE ROLE deep; CREATE ROLE readers; \
         CREATE ROLE app LOGIN INHERIT; CREATE ROLE app2 LOGIN NOINHERIT; CREATE ROLE auditor; \
         CREATE ROLE \"odd \"\"role\"\".@x/y\"; \
         GRANT deep TO readers; GRANT readers TO app; GRANT readers TO app2; \
         GRANT pg_read_all_data TO auditor",
    )?;
    su.execute("CREATE DATABASE app OWNER dbowner")?;
    let app = su.with_database("app");
    app.execute(
        r#"
        CREATE SCHEMA s1; CREATE SCHEMA "S 2";
        CREATE TABLE s1.t1 (id int, c text);
        CREATE TABLE s1.t2 (id int);
        CREATE TABLE s1.pub (id int);
        CREATE VIEW s1.v AS SELECT 1 AS one;
        CREATE SEQUENCE s1.seq;
        CREATE FUNCTION s1.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
        CREATE FUNCTION s1.open() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE PROCEDURE s1.p() LANGUAGE sql AS 'SELECT 1';
        CREATE TABLE "S 2".owned (id int);
        CREATE TABLE "S 2"."odd's" (id int);
        CREATE TABLE public.plain (id int);
        ALTER TABLE "S 2"."odd's" OWNER TO "odd ""role"".@x/y";
        ALTER TABLE "S 2".owned OWNER TO app;
        REVOKE TRUNCATE ON "S 2".owned FROM app;
        GRANT USAGE ON SCHEMA s1 TO readers;
        GRANT SELECT ON s1.t1 TO readers;
        GRANT INSERT, DELETE ON s1.t2 TO deep;
        GRANT UPDATE (c), REFERENCES (c) ON s1.t1 TO app;
        GRANT SELECT ON s1.pub TO PUBLIC;
        GRANT USAGE ON SEQUENCE s1.seq TO app;
        GRANT CREATE ON SCHEMA "S 2" TO app WITH GRANT OPTION;
        REVOKE EXECUTE ON FUNCTION s1.f(int) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION s1.f(int) TO readers;
        REVOKE EXECUTE ON PROCEDURE s1.p() FROM PUBLIC;
        GRANT TEMPORARY ON DATABASE app TO app2;
        REVOKE CONNECT ON DATABASE app FROM PUBLIC;
        GRANT CONNECT ON DATABASE app TO readers;
        "#,
    )?;
    Ok(app)
}

/// Every (object_type, schema, name, column, privilege) the server says `role` can use in the
/// database `app` is connected to, asked through has_*_privilege — types left out.
fn server_answers(app: &ConnInfo, role: &str) -> Result<BTreeSet<String>> {
    let who = quote_literal(if role == "PUBLIC" { "public" } else { role });
    let sql = format!(
        "WITH nsp AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN \
           ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%')
         SELECT 'table', n.nspname, c.relname, '', p FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace,
           unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
           WHERE c.relkind IN ('r','v','m','f','p') AND has_table_privilege({who}, c.oid, p)
         UNION ALL
         SELECT 'sequence', n.nspname, c.relname, '', p FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace,
           unnest(ARRAY['USAGE','SELECT','UPDATE']) p
           WHERE c.relkind = 'S' AND has_sequence_privilege({who}, c.oid, p)
         UNION ALL
         SELECT 'column', n.nspname, c.relname, a.attname, p FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN nsp n ON n.oid = c.relnamespace,
           unnest(ARRAY['SELECT','INSERT','UPDATE','REFERENCES']) p
           WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
             AND has_column_privilege({who}, c.oid, a.attnum, p)
         UNION ALL
         SELECT CASE WHEN f.prokind = 'p' THEN 'procedure' ELSE 'function' END, n.nspname,
           f.proname || '(' || oidvectortypes(f.proargtypes) || ')', '', 'EXECUTE'
           FROM pg_proc f JOIN nsp n ON n.oid = f.pronamespace
           WHERE has_function_privilege({who}, f.oid, 'EXECUTE')
         UNION ALL
         SELECT 'schema', '', n.nspname, '', p FROM nsp n, unnest(ARRAY['USAGE','CREATE']) p
           WHERE has_schema_privilege({who}, n.oid, p)
         UNION ALL
         SELECT 'database', '', d.datname, '', p FROM pg_database d,
           unnest(ARRAY['CREATE','CONNECT','TEMPORARY']) p
           WHERE d.datname = current_database() AND has_database_privilege({who}, d.oid, p)"
    );
    rows(app, &sql)
}

/// The same facts from the data source's `objects`.
fn reported(objects: &Value) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for o in objects.as_array().context("objects is a list")? {
        let text = |k: &str| o[k].as_str().unwrap_or_default().to_string();
        for p in o["effective_privileges"].as_array().context("a list")? {
            out.insert(format!(
                "{}|{}|{}|{}|{}",
                text("object_type"),
                text("schema"),
                text("name"),
                text("column"),
                p.as_str().unwrap_or_default()
            ));
        }
    }
    Ok(out)
}

/// One object of `objects`.
fn find<'a>(objects: &'a Value, object_type: &str, schema: &str, name: &str) -> &'a Value {
    objects
        .as_array()
        .and_then(|all| {
            all.iter().find(|o| {
                o["object_type"] == object_type
                    && o["schema"].as_str().unwrap_or_default() == schema
                    && o["name"] == name
                    && o["column"].is_null()
            })
        })
        .unwrap_or(&Value::Null)
}

#[test]
fn effective_privileges_match_the_servers_own_checks() -> Result<()> {
    let pg = PgServer::start()?;
    let app = setup(&pg)?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    pg.superuser()
        .with_database("app")
        .execute("GRANT CONNECT ON DATABASE app TO dbadmin")?;
    let roles = ["app", "app2", "auditor", "dbowner", "PUBLIC", ODD];
    let role_list: Vec<String> = roles.iter().map(|r| hcl_string(r)).collect();
    let body = format!(
        r#"
locals {{
  roles = [{}]
}}

data "dbre_privileges" "each" {{
  for_each     = toset(local.roles)
  database     = "app"
  role         = each.value
  object_types = ["database", "schema", "table", "sequence", "routine", "column"]
}}

data "dbre_privileges" "filtered" {{
  database     = "app"
  role         = "app"
  schemas      = ["s1"]
  object_types = ["table", "column"]
}}

output "each" {{
  value = {{ for k, v in data.dbre_privileges.each : k => v.objects }}
}}

output "filtered" {{
  value = data.dbre_privileges.filtered.objects
}}
"#,
        role_list.join(", ")
    );
    // The provider logs in as a non-superuser admin, as on managed services.
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    let out = tf.output_json()?;

    for role in roles {
        let objects = &out["each"]["value"][role];
        let want = server_answers(&app, role)?;
        let got = reported(objects)?;
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "role {role:?}: missing {missing:#?}\nextra {extra:#?}"
        );
        assert!(!want.is_empty(), "role {role:?} can use something");
    }

    // Direct grants and grant options, beside the effective ones.
    let objects = &out["each"]["value"]["app"];
    let t1 = find(objects, "table", "s1", "t1");
    assert_eq!(t1["privileges"], serde_json::json!([]), "{t1}");
    assert_eq!(t1["effective_privileges"], serde_json::json!(["SELECT"]));
    let s2 = find(objects, "schema", "", "S 2");
    assert_eq!(s2["privileges"], serde_json::json!(["CREATE"]), "{s2}");
    assert_eq!(s2["grantable"], serde_json::json!(["CREATE"]), "{s2}");
    let owned = find(objects, "table", "S 2", "owned");
    assert_eq!(owned["owner"], "app");
    assert_eq!(
        owned["privileges"].as_array().map(Vec::len),
        Some(6),
        "the owner holds all but the TRUNCATE it revoked from itself: {owned}"
    );
    let public = &out["each"]["value"]["PUBLIC"];
    let pub_table = find(public, "table", "s1", "pub");
    assert_eq!(pub_table["privileges"], serde_json::json!(["SELECT"]));

    // Sorted by type, schema, name, column in byte order.
    let keys: Vec<String> = objects
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}\u{1}{}\u{1}{}\u{1}{}",
                o["object_type"].as_str().unwrap_or_default(),
                o["schema"].as_str().unwrap_or_default(),
                o["name"].as_str().unwrap_or_default(),
                o["column"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // Filters: tables and columns of s1 only.
    let filtered = &out["filtered"]["value"];
    let kinds: BTreeSet<(String, String)> = filtered
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["object_type"].as_str().unwrap_or_default().to_string(),
                o["schema"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("column".to_string(), "s1".to_string()),
            ("table".into(), "s1".into())
        ]
        .into()
    );

    // A data source re-reads every plan: a grant made since shows up.
    app.execute("GRANT TRIGGER ON s1.t2 TO app")?;
    tf.apply(&[])?;
    let out = tf.output_json()?;
    let t2 = find(&out["each"]["value"]["app"], "table", "s1", "t2");
    assert_eq!(
        t2["effective_privileges"],
        serde_json::json!(["INSERT", "DELETE", "TRIGGER"]),
        "{t2}"
    );
    Ok(())
}

#[test]
fn bad_object_types_and_unknown_roles_are_errors_at_the_attribute() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let body =
        "data \"dbre_privileges\" \"x\" {\n  database = \"postgres\"\n  role = \"postgres\"\n  \
                object_types = [\"table\", \"tables\"]\n}\n";
    let tf = workspace(&su, &config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(
        out.stderr
            .contains("object_types = [\"table\", \"tables\"]"),
        "points at object_types: {out}"
    );
    assert!(
        out.stderr.contains("\"tables\" is not an object type"),
        "{out}"
    );

    let body =
        "data \"dbre_privileges\" \"x\" {\n  database = \"postgres\"\n  role = \"nobody\"\n}\n";
    tf.write_config(&config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(out.stderr.contains("Role not found"), "{out}");
    assert!(out.stderr.contains("\"nobody\""), "{out}");

    let body =
        "data \"dbre_privileges\" \"x\" {\n  database = \"nope\"\n  role = \"postgres\"\n}\n";
    tf.write_config(&config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(out.stderr.contains("nope"), "{out}");
    Ok(())
}
