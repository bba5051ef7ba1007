//! `object_type = "type"` (types and domains, as `GRANT … ON TYPE` reaches them) with the real
//! terraform, for `dbre_grant` and a `dbre_role_privileges` block, on types owned by another
//! role: create → catalog (`has_type_privilege` and `aclexplode` as the superuser) → "No
//! changes" → outside REVOKE/GRANT shown and repaired → import round-trips (an odd type name
//! included) → destroy revokes exactly what the resources held. PUBLIC: `privileges = []` takes
//! its default USAGE from every type of the schema — not from the row types of tables or array
//! types — and, as for functions, destroy has nothing to take back. Once as the superuser, once
//! as a NOINHERIT managed-service admin that is not a member of the types' owner.

mod grant_support;
mod support;

use std::collections::BTreeSet;

use anyhow::Result;
use dbre_e2e::{quote_literal, ConnInfo, PgServer};
use grant_support::*;

/// The odd one: a `/` that the import id writes as `%2F`.
const MOOD: &str = "Mood/1";

fn setup(pg: &PgServer) -> Result<ConnInfo> {
    let app = pg.create_database("app")?;
    app.execute(
        r#"CREATE ROLE reader; CREATE ROLE rp; CREATE ROLE owner_t; CREATE ROLE other;
           CREATE ROLE nobody;
           CREATE SCHEMA ty AUTHORIZATION owner_t;
           SET ROLE owner_t;
           CREATE TYPE ty."Mood/1" AS ENUM ('happy', 'sad');
           CREATE DOMAIN ty.posint AS int CHECK (VALUE > 0);
           CREATE TYPE ty.pair AS (a int, b int);
           CREATE TYPE ty.span AS RANGE (subtype = int4);
           CREATE TABLE ty.t (id int);
           RESET ROLE;
           -- Not this configuration's: destroy must leave them.
           GRANT USAGE ON TYPE ty.pair TO other;
           CREATE TYPE public.elsewhere AS ENUM ('x');
           ALTER TYPE public.elsewhere OWNER TO owner_t;"#,
    )?;
    Ok(app)
}

/// `role`'s own entries on the types of schema `ty` (and `public.elsewhere`), arrays left
/// out, as
/// `name:PRIVILEGE/grantor` (`*`: with grant option), sorted; PUBLIC as `-`. Read by the
/// superuser with aclexplode, independent of the provider.
fn type_grants(su: &ConnInfo, role: &str) -> Result<BTreeSet<String>> {
    let grantee = if role == "PUBLIC" {
        "0".to_owned()
    } else {
        format!(
            "(SELECT oid FROM pg_roles WHERE rolname = {})",
            quote_literal(role)
        )
    };
    let text = su
        .scalar(&format!(
            "SELECT coalesce(string_agg(t.typname || ':' || a.privilege_type || '/' \
                 || pg_get_userbyid(a.grantor) || CASE WHEN a.is_grantable THEN '*' ELSE '' END, \
                 '|' ORDER BY 1), '') \
             FROM pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a \
             WHERE (t.typnamespace = 'ty'::regnamespace OR t.oid = 'public.elsewhere'::regtype) \
               AND t.typcategory <> 'A' AND a.grantee = {grantee}"
        ))?
        .unwrap_or_default();
    Ok(text
        .split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// USAGE of `role` on each of the schema's types (and on the table's row type and an array type,
/// which the resources never touch), as `t`/`f` joined by commas.
fn usage(su: &ConnInfo, role: &str) -> Result<String> {
    let r = quote_literal(role);
    ask(
        su,
        &format!(
            "concat_ws(',', has_type_privilege({r}, 'ty.\"Mood/1\"', 'USAGE'), \
                 has_type_privilege({r}, 'ty.posint', 'USAGE'), \
                 has_type_privilege({r}, 'ty.pair', 'USAGE'), \
                 has_type_privilege({r}, 'ty.span', 'USAGE'), \
                 has_type_privilege({r}, 'ty.t', 'USAGE'), \
                 has_type_privilege({r}, 'ty.pair[]', 'USAGE'))"
        ),
    )
}

fn body() -> String {
    let mut out = grant_hcl(
        "types",
        &[
            ("database", s("app")),
            ("role", s("reader")),
            ("object_type", s("type")),
            ("schema", s("ty")),
            ("objects", l(&[MOOD, "posint"])),
            ("privileges", l(&["USAGE"])),
        ],
    );
    out.push_str(&grant_hcl(
        "no_public",
        &[
            ("database", s("app")),
            ("role", s("PUBLIC")),
            ("object_type", s("type")),
            ("schema", s("ty")),
            ("privileges", l(&[])),
        ],
    ));
    out.push_str(
        r#"
resource "dbre_role_privileges" "rp" {
  database = "app"
  role     = "rp"
  grant {
    object_type = "type"
    schema      = "ty"
    privileges  = ["ALL"]
  }
}
"#,
    );
    out
}

/// Every type of schema `ty` GRANT ON TYPE reaches: not `t` (a table's row type) nor arrays.
const ALL_TY: &[&str] = &["Mood/1", "pair", "posint", "span", "span_multirange"];

fn lifecycle(pg: &PgServer, login: &ConnInfo) -> Result<()> {
    let su = setup(pg)?;
    let tf = workspace(login, &config(login, &body()))?;
    let reader_holds = set(&["Mood/1:USAGE/owner_t", "posint:USAGE/owner_t"]);
    let rp_holds: BTreeSet<String> = ALL_TY
        .iter()
        .map(|t| format!("{t}:USAGE/owner_t"))
        .collect();

    // Create.
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("3 added"), "{apply}");
    assert_eq!(type_grants(&su, "reader")?, reader_holds);
    assert_eq!(type_grants(&su, "rp")?, rp_holds);
    assert_eq!(
        type_grants(&su, "PUBLIC")?,
        set(&["elsewhere:USAGE/owner_t", "t:USAGE/owner_t"]),
        "PUBLIC keeps USAGE on the table's row type and on other schemas' types only"
    );
    assert_eq!(usage(&su, "reader")?, "t,t,f,f,t,f");
    assert_eq!(usage(&su, "nobody")?, "f,f,f,f,t,f");
    assert_eq!(type_grants(&su, "other")?, set(&["pair:USAGE/owner_t"]));
    assert_eq!(
        ask(
            &su,
            "(SELECT count(*) FROM pg_type WHERE typnamespace = 'ty'::regnamespace \
               AND typacl IS NOT NULL AND (typname = 't' OR typcategory = 'A'))::text"
        )?,
        "0",
        "row types of tables and array types are never granted on"
    );
    tf.assert_no_changes()?;

    // Outside drift: a REVOKE from each role, PUBLIC's USAGE granted back on one type.
    su.execute(
        "REVOKE USAGE ON TYPE ty.posint FROM reader; REVOKE USAGE ON DOMAIN ty.posint FROM rp; \
         GRANT USAGE ON TYPE ty.span TO PUBLIC",
    )?;
    let plan = tf.assert_changes()?;
    for address in [
        "dbre_grant.types",
        "dbre_grant.no_public",
        "dbre_role_privileges.rp",
    ] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be updated in-place")),
            "{address} drift not shown: {plan}"
        );
    }
    tf.apply(&[])?;
    assert_eq!(type_grants(&su, "reader")?, reader_holds);
    assert_eq!(type_grants(&su, "rp")?, rp_holds);
    assert_eq!(usage(&su, "nobody")?, "f,f,f,f,t,f");
    tf.assert_no_changes()?;

    // dbre_role_privileges is authoritative for a role's types too: an outside grant on a type
    // no block covers is drift and revoked; PUBLIC's USAGE on that type is not its business.
    su.execute("GRANT USAGE ON TYPE public.elsewhere TO rp")?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("# dbre_role_privileges.rp will be updated in-place"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert_eq!(type_grants(&su, "rp")?, rp_holds);
    tf.assert_no_changes()?;

    // Import: the odd name by its escaped id; PUBLIC; the role's resource from the catalog.
    tf.run_ok(&[
        "state",
        "rm",
        "dbre_grant.types",
        "dbre_grant.no_public",
        "dbre_role_privileges.rp",
    ])?;
    tf.import("dbre_grant.types", "app/reader/type/ty/Mood%2F1,posint")?;
    tf.import("dbre_grant.no_public", "app/PUBLIC/type/ty")?;
    tf.import("dbre_role_privileges.rp", "app/rp")?;
    let imported = support::state_values(&tf, "dbre_grant.types")?;
    assert_eq!(imported["objects"], serde_json::json!([MOOD, "posint"]));
    assert_eq!(imported["privileges"], serde_json::json!(["USAGE"]));
    let imported = support::state_values(&tf, "dbre_role_privileges.rp")?;
    assert_eq!(
        imported["grant"][0]["objects"],
        serde_json::json!(ALL_TY),
        "{imported:#}"
    );
    // The imported dbre_role_privileges lists the types its block covers by name: an apply
    // that changes nothing in the database, then the plan is clean.
    tf.apply(&[])?;
    assert_eq!(type_grants(&su, "reader")?, reader_holds);
    assert_eq!(type_grants(&su, "rp")?, rp_holds);
    assert_eq!(usage(&su, "nobody")?, "f,f,f,f,t,f");
    tf.assert_no_changes()?;

    // Destroy: exactly what the resources held goes; other grants stay. PUBLIC held nothing to
    // take away (as with functions): its USAGE stays revoked.
    tf.destroy(&[])?;
    assert_eq!(type_grants(&su, "reader")?, BTreeSet::new());
    assert_eq!(type_grants(&su, "rp")?, BTreeSet::new());
    assert_eq!(type_grants(&su, "other")?, set(&["pair:USAGE/owner_t"]));
    assert_eq!(usage(&su, "nobody")?, "f,f,f,f,t,f");
    Ok(())
}

#[test]
fn type_grants_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    lifecycle(&pg, &pg.superuser())
}

#[test]
fn type_grants_as_noinherit_managed_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_noinherit_admin("dbadmin", "admin-pw-42")?;
    lifecycle(&pg, &admin)?;
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 0);
    Ok(())
}

/// Plan-time validation: a privilege types do not have, and a type grant without a schema, are
/// errors naming the resource.
#[test]
fn type_grants_are_checked_at_plan() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg)?;
    let login = pg.superuser();
    let bad = grant_hcl(
        "bad",
        &[
            ("database", s("app")),
            ("role", s("reader")),
            ("object_type", s("type")),
            ("schema", s("ty")),
            ("privileges", l(&["USAGE", "SELECT"])),
        ],
    );
    let no_schema = grant_hcl(
        "bad",
        &[
            ("database", s("app")),
            ("role", s("reader")),
            ("object_type", s("type")),
            ("objects", l(&["posint"])),
            ("privileges", l(&["USAGE"])),
        ],
    );
    let tf = workspace(&login, &config(&login, &bad))?;
    for (body, message) in [
        (bad, "SELECT is not a privilege on types"),
        (
            no_schema,
            "object_type \"type\" needs the schema the objects are in",
        ),
    ] {
        tf.write_config(&config(&login, &body))?;
        let plan = tf.plan_expect_failure(&[])?;
        assert_eq!(error_count(&plan.stderr), 1, "{plan}");
        let flat = plan
            .stderr
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(message), "expected {message:?}: {plan}");
        assert!(flat.contains("with dbre_grant.bad"), "{plan}");
    }
    Ok(())
}
