//! `dbre_grant` input: plan-time errors at the attribute (a privilege the object type lacks,
//! MAINTAIN on PostgreSQL 15, missing schema, columns on a table grant), and odd names —
//! quotes, dots, `@`, `/`, comma, space, non-ASCII — in schema, table, column and role, through
//! create, "No changes", import by an escaped id, and destroy.

mod grant_support;
mod support;

use anyhow::Result;
use dbre_e2e::{quote_ident, PgServer};
use grant_support::*;

#[test]
fn plan_time_errors_name_the_attribute() -> Result<()> {
    let pg = PgServer::start()?;
    pg.create_database("app")?;
    pg.superuser()
        .with_database("app")
        .execute("CREATE ROLE r; CREATE TABLE public.t (id int)")?;
    let login = pg.superuser();
    let base = |extra: &[(&str, String)]| {
        let mut attrs = vec![
            ("database", s("app")),
            ("role", s("r")),
            ("object_type", s("table")),
            ("schema", s("public")),
        ];
        for (k, v) in extra {
            attrs.retain(|(name, _)| name != k);
            attrs.push((k, v.clone()));
        }
        grant_hcl("bad", &attrs)
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base(&[("privileges", l(&["SELECT", "EXECUTE"]))]),
            "EXECUTE is not a privilege on tables",
            r#"privileges  = ["SELECT", "EXECUTE"]"#,
        ),
        (
            base(&[("privileges", l(&["MAINTAIN"]))]),
            "MAINTAIN exists from PostgreSQL 17 on; this server is PostgreSQL 15",
            r#"privileges  = ["MAINTAIN"]"#,
        ),
        (
            base(&[("schema", "null".into()), ("privileges", l(&["SELECT"]))]),
            "needs the schema",
            "",
        ),
        (
            base(&[
                ("objects", l(&["t"])),
                ("columns", l(&["id"])),
                ("privileges", l(&["SELECT"])),
            ]),
            "columns are only for object_type \"column\"",
            r#"columns     = ["id"]"#,
        ),
        (
            base(&[
                ("role", s("PUBLIC")),
                ("privileges", l(&["SELECT"])),
                ("with_grant_option", "true".into()),
            ]),
            "grants options only to roles",
            "with_grant_option = true",
        ),
    ];
    let tf = workspace(&login, &config(&login, &cases[0].0))?;
    for (hcl, message, line) in &cases {
        tf.write_config(&config(&login, hcl))?;
        let out = tf.plan_expect_failure(&[])?;
        assert_eq!(error_count(&out.stderr), 1, "{out}");
        let flat = out
            .stderr
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(message), "expected {message:?}: {out}");
        assert!(out.stderr.contains("with dbre_grant.bad"), "{out}");
        if !line.is_empty() {
            // Terraform quotes the attribute's source line when the diagnostic has its path.
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&line), "expected the line {line:?}: {out}");
        }
    }
    // Nothing reached the server.
    assert_eq!(
        rel_privs(&pg.superuser().with_database("app"), "r", "public.t")?,
        ""
    );

    // What only the server can tell (the same apply could have created it) is reported at
    // apply, at the attribute too.
    let missing = base(&[
        ("objects", l(&["t", "nope"])),
        ("privileges", l(&["SELECT"])),
    ]);
    tf.write_config(&config(&login, &missing))?;
    let out = tf.apply_expect_failure(&[])?;
    let flat = out
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(r#"table "public"."nope" does not exist"#),
        "{out}"
    );
    assert!(flat.contains(r#"objects = ["t", "nope"]"#), "{out}");
    Ok(())
}

#[test]
fn odd_names_round_trip_through_create_import_and_destroy() -> Result<()> {
    let pg = PgServer::start()?;
    let database = "d/b, ü.1";
    pg.create_database(database)?;
    let su = pg.superuser().with_database(database);
    let schema = "we\"ird.s/p,ace @ü";
    let table = "t@1 ü, x/y.\"z\"";
    let column = "c,ol/ü \"q\"";
    let role = "r\"o.l@e/ü, x %2F";
    su.execute(&format!(
        "CREATE ROLE {r}; CREATE SCHEMA {s}; CREATE TABLE {s}.{t} ({c} int, other int); \
         GRANT USAGE ON SCHEMA {s} TO {r}",
        r = quote_ident(role),
        s = quote_ident(schema),
        t = quote_ident(table),
        c = quote_ident(column),
    ))?;
    let rel = format!("{}.{}", quote_ident(schema), quote_ident(table));
    let body = [
        grant_hcl(
            "tables",
            &[
                ("database", s(database)),
                ("role", s(role)),
                ("object_type", s("table")),
                ("schema", s(schema)),
                ("objects", l(&[table])),
                ("privileges", l(&["select", "Insert"])),
            ],
        ),
        grant_hcl(
            "cols",
            &[
                ("database", s(database)),
                ("role", s(role)),
                ("object_type", s("column")),
                ("schema", s(schema)),
                ("objects", l(&[table])),
                ("columns", l(&[column])),
                ("privileges", l(&["UPDATE"])),
            ],
        ),
    ]
    .concat();
    let login = pg.superuser();
    let tf = workspace(&login, &config(&login, &body))?;
    tf.apply(&[])?;
    assert_eq!(rel_privs(&su, role, &rel)?, "INSERT,SELECT");
    let col_ok = format!(
        "has_column_privilege({}, {}, {}, 'UPDATE')::text",
        dbre_e2e::quote_literal(role),
        dbre_e2e::quote_literal(&rel),
        dbre_e2e::quote_literal(column)
    );
    assert_eq!(ask(&su, &col_ok)?, "true");
    tf.assert_no_changes()?;

    // The ids the provider computed, and imports by them.
    let state = tf.show_json()?;
    let ids: Vec<String> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let expected_table_id =
        "d%2Fb%2C ü.1/r\"o.l@e%2Fü%2C x %252F/table/we\"ird.s%2Fp%2Cace @ü/t@1 ü%2C x%2Fy.\"z\"";
    assert!(ids.iter().any(|i| i == expected_table_id), "{ids:?}");
    let col_id = expected_table_id.replace("/table/", "/column/") + "/c%2Col%2Fü \"q\"";
    assert!(ids.contains(&col_id), "{ids:?}");
    tf.run_ok(&["state", "rm", "dbre_grant.tables", "dbre_grant.cols"])?;
    tf.import("dbre_grant.tables", expected_table_id)?;
    tf.import("dbre_grant.cols", &col_id)?;
    tf.assert_no_changes()?;

    tf.destroy(&[])?;
    assert_eq!(rel_privs(&su, role, &rel)?, "");
    assert_eq!(ask(&su, &col_ok)?, "false");
    Ok(())
}
