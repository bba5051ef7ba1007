//! `dbre_default_privileges` with the real terraform: objects created afterwards by the owner
//! really get the privileges (checked with `has_*_privilege` as the superuser, independent of
//! the provider), "No changes" after apply, drift made with `ALTER DEFAULT PRIVILEGES` shown and
//! repaired, import round trips with odd names, destroy, the PUBLIC-functions idiom, per-schema
//! vs database-wide, a non-superuser admin, and 50 resources on one owner at -parallelism=20.

mod support;

use anyhow::{Context, Result};
use dbre_e2e::{hcl_string, quote_ident, quote_literal, ConnInfo, PgServer, TfWorkspace};
use support::*;

/// Database, owner, grantee and schema names that break naive SQL, HCL or id building.
const DB: &str = "app";
const ODD_OWNER: &str = "odd \"own\"er/x";
const ODD_ROLE: &str = "ré@d,er 50%";
const ODD_SCHEMA: &str = "s p.ace/1";

/// `resource "dbre_default_privileges" "<label>" { … }` from `(attribute, HCL value)` pairs.
fn dp_hcl(label: &str, attrs: &[(&str, String)]) -> String {
    let mut out = format!("resource \"dbre_default_privileges\" \"{label}\" {{\n");
    for (k, v) in attrs {
        out.push_str(&format!("  {k} = {v}\n"));
    }
    out.push_str("}\n");
    out
}

fn s(v: &str) -> String {
    hcl_string(v)
}

/// The roles and schemas every test uses, created by the superuser: `owner` owns `schema`
/// and `other` (so it can create objects there), `reader` and `nobody` are plain roles.
fn setup(pg: &PgServer, owner: &str, reader: &str, schema: &str) -> Result<ConnInfo> {
    let app = pg.create_database(DB)?;
    pg.execute(&format!(
        "CREATE ROLE {o}; CREATE ROLE {r}; CREATE ROLE nobody;",
        o = quote_ident(owner),
        r = quote_ident(reader)
    ))?;
    app.execute(&format!(
        "CREATE SCHEMA {s} AUTHORIZATION {o}; CREATE SCHEMA other AUTHORIZATION {o};",
        s = quote_ident(schema),
        o = quote_ident(owner)
    ))?;
    Ok(app)
}

/// Creates `kind name` (table, sequence, function, type) in `schema` as `owner`, the way the
/// owner's own migrations would.
fn create_as(app: &ConnInfo, owner: &str, schema: &str, kind: &str, name: &str) -> Result<()> {
    let qualified = format!("{}.{}", quote_ident(schema), quote_ident(name));
    let ddl = match kind {
        "table" => format!("CREATE TABLE {qualified} (id int)"),
        "sequence" => format!("CREATE SEQUENCE {qualified}"),
        "function" => {
            format!("CREATE FUNCTION {qualified}() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        }
        "type" => format!("CREATE TYPE {qualified} AS ENUM ('a')"),
        other => anyhow::bail!("no DDL for {other}"),
    };
    app.execute(&format!(
        "SET ROLE {}; {ddl}; RESET ROLE",
        quote_ident(owner)
    ))
}

/// `has_<kind>_privilege(role, object, privilege)` as the superuser.
fn has(
    app: &ConnInfo,
    role: &str,
    kind: &str,
    schema: &str,
    name: &str,
    privilege: &str,
) -> Result<bool> {
    let mut object = format!("{}.{}", quote_ident(schema), quote_ident(name));
    if kind == "function" {
        object.push_str("()");
    }
    let who = if role == "PUBLIC" {
        "'public'".to_owned()
    } else {
        quote_literal(role)
    };
    let v = app.scalar(&format!(
        "SELECT has_{kind}_privilege({who}, {}, {})",
        quote_literal(&object),
        quote_literal(privilege)
    ))?;
    Ok(v.as_deref() == Some("t"))
}

/// The `pg_default_acl` row (as text) for owner / schema (None: database-wide) / objtype char.
fn defacl(
    app: &ConnInfo,
    owner: &str,
    schema: Option<&str>,
    objtype: &str,
) -> Result<Option<String>> {
    let nsp = match schema {
        Some(s) => format!(
            "(SELECT oid FROM pg_namespace WHERE nspname = {})",
            quote_literal(s)
        ),
        None => "0".to_owned(),
    };
    let rows = app.psql(&format!(
        "SELECT d.defaclacl::text FROM pg_default_acl d \
         WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = {}) \
           AND d.defaclnamespace = {nsp} AND d.defaclobjtype = {}",
        quote_literal(owner),
        quote_literal(objtype)
    ))?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

fn plan_text(out: &dbre_e2e::Output) -> String {
    out.combined()
}

/// The flow every admin must be able to run: create → effect on new tables → converge →
/// drift both ways → update to ALL WITH GRANT OPTION → import → destroy.
fn lifecycle(pg: &PgServer, admin: &ConnInfo) -> Result<()> {
    let app = pg.superuser().with_database(DB);
    let addr = "dbre_default_privileges.read";
    let base = |privileges: &str, wgo: bool| {
        dp_hcl(
            "read",
            &[
                ("database", s(DB)),
                ("owner", s(ODD_OWNER)),
                ("role", s(ODD_ROLE)),
                ("object_type", s("table")),
                ("privileges", privileges.to_owned()),
                ("with_grant_option", wgo.to_string()),
            ],
        )
    };
    let tf = workspace(admin, &config(admin, &base("[\"SELECT\"]", false)))?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout.contains(&format!("# {addr} will be created")),
        "{plan}"
    );
    tf.apply(&[])?;

    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "t1")?;
    assert!(has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t1", "SELECT")?);
    assert!(!has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t1", "INSERT")?);
    assert!(!has(&app, "nobody", "table", ODD_SCHEMA, "t1", "SELECT")?);
    // The owner keeps its own privileges: the global row holds the built-in ones plus ours.
    assert!(has(&app, ODD_OWNER, "table", ODD_SCHEMA, "t1", "DELETE")?);
    let id = state_values(&tf, addr)?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(id, "app/odd \"own\"er%2Fx/ré@d%2Cer 50%25/table/");
    tf.assert_no_changes()?;

    // Drift: a privilege added outside Terraform is shown and revoked.
    app.execute(&format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT INSERT, DELETE ON TABLES TO {}",
        quote_ident(ODD_OWNER),
        quote_ident(ODD_ROLE)
    ))?;
    let plan = tf.assert_changes()?;
    assert_updated_in_place(&plan.stdout, addr);
    assert!(plan.stdout.contains("\"INSERT\""), "{plan}");
    tf.apply(&[])?;
    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "t2")?;
    assert!(has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t2", "SELECT")?);
    assert!(!has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t2", "INSERT")?);
    assert!(!has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t2", "DELETE")?);
    tf.assert_no_changes()?;

    // Drift: the privilege revoked outside Terraform is granted again.
    app.execute(&format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} REVOKE SELECT ON TABLES FROM {}",
        quote_ident(ODD_OWNER),
        quote_ident(ODD_ROLE)
    ))?;
    tf.assert_changes()?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "t3")?;
    assert!(has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t3", "SELECT")?);

    // ALL WITH GRANT OPTION, kept spelled "ALL" (no phantom diff).
    tf.write_config(&config(admin, &base("[\"ALL\"]", true)))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, addr);
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "t4")?;
    assert!(has(
        &app,
        ODD_ROLE,
        "table",
        ODD_SCHEMA,
        "t4",
        "TRUNCATE WITH GRANT OPTION"
    )?);
    // Same set spelled differently: still no changes.
    tf.write_config(&config(
        admin,
        &base(
            "[\"trigger\", \"SELECT\", \"insert\", \"UPDATE\", \"DELETE\", \"TRUNCATE\", \"REFERENCES\", \"SELECT\"]",
            true,
        ),
    ))?;
    tf.assert_no_changes()?;

    // Grant option taken away outside Terraform: drift.
    app.execute(&format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} REVOKE GRANT OPTION FOR SELECT ON TABLES FROM {}",
        quote_ident(ODD_OWNER),
        quote_ident(ODD_ROLE)
    ))?;
    let plan = tf.assert_changes()?;
    assert!(plan.stdout.contains("with_grant_option"), "{plan}");
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    // Import round trip: forget it, import it by id, nothing to change.
    tf.run_ok(&["state", "rm", "-no-color", addr])?;
    tf.import(addr, &id)?;
    tf.assert_no_changes()?;

    // Destroy: the role's entry is gone, the owner's own defaults stay (row back to built-in,
    // which PostgreSQL stores as no row).
    tf.destroy(&[])?;
    assert_eq!(defacl(&app, ODD_OWNER, None, "r")?, None);
    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "t5")?;
    assert!(!has(&app, ODD_ROLE, "table", ODD_SCHEMA, "t5", "SELECT")?);
    assert!(has(&app, ODD_OWNER, "table", ODD_SCHEMA, "t5", "SELECT")?);
    Ok(())
}

#[test]
fn lifecycle_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg, ODD_OWNER, ODD_ROLE, ODD_SCHEMA)?;
    lifecycle(&pg, &pg.superuser())
}

#[test]
fn lifecycle_as_managed_style_admin_member_of_the_owner() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg, ODD_OWNER, ODD_ROLE, ODD_SCHEMA)?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    pg.execute(&format!("GRANT {} TO dbadmin", quote_ident(ODD_OWNER)))?;
    lifecycle(&pg, &admin)
}

/// A CREATEROLE admin that is NOT a member of the owner (managed services): it borrows the
/// membership for each change and gives it back.
#[test]
fn lifecycle_as_managed_style_admin_not_member() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg, ODD_OWNER, ODD_ROLE, ODD_SCHEMA)?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    lifecycle(&pg, &admin)?;
    assert_eq!(
        memberships_of(&pg.superuser(), "dbadmin")?,
        0,
        "membership given back"
    );
    Ok(())
}

/// The classic hardening: no EXECUTE for PUBLIC on future functions, database-wide.
/// Destroy gives PUBLIC its built-in EXECUTE back.
#[test]
fn public_functions_idiom() -> Result<()> {
    let pg = PgServer::start()?;
    let app = setup(&pg, "app_owner", "reader", "api")?;
    let addr = "dbre_default_privileges.no_public_execute";
    let hcl = dp_hcl(
        "no_public_execute",
        &[
            ("database", s(DB)),
            ("owner", s("app_owner")),
            ("role", s("PUBLIC")),
            ("object_type", s("function")),
            ("privileges", "[]".into()),
        ],
    );
    let su = pg.superuser();
    let tf = workspace(&su, &config(&su, &hcl))?;
    // Before: PostgreSQL's built-in gives PUBLIC EXECUTE.
    create_as(&app, "app_owner", "api", "function", "before")?;
    assert!(has(&app, "nobody", "function", "api", "before", "EXECUTE")?);
    tf.apply(&[])?;
    create_as(&app, "app_owner", "api", "function", "after")?;
    assert!(!has(&app, "nobody", "function", "api", "after", "EXECUTE")?);
    assert!(has(
        &app,
        "app_owner",
        "function",
        "api",
        "after",
        "EXECUTE"
    )?);
    tf.assert_no_changes()?;

    // Drift: someone grants it back database-wide.
    app.execute(
        "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC",
    )?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, addr);
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    // Import round trip of the database-wide PUBLIC entry.
    tf.run_ok(&["state", "rm", "-no-color", addr])?;
    tf.import(addr, "app/app_owner/PUBLIC/function/")?;
    tf.assert_no_changes()?;

    tf.destroy(&[])?;
    assert_eq!(
        defacl(&app, "app_owner", None, "f")?,
        None,
        "back to the built-in"
    );
    create_as(&app, "app_owner", "api", "function", "restored")?;
    assert!(has(
        &app, "nobody", "function", "api", "restored", "EXECUTE"
    )?);
    Ok(())
}

/// A per-schema entry adds to the database-wide one; revoking in a schema what the
/// database-wide default grants is explained by a warning, not silently accepted.
#[test]
fn per_schema_adds_to_database_wide() -> Result<()> {
    let pg = PgServer::start()?;
    let app = setup(&pg, ODD_OWNER, ODD_ROLE, ODD_SCHEMA)?;
    let su = pg.superuser();
    let entry = |label: &str, schema: Option<&str>, object_type: &str, privileges: &str| {
        let mut attrs = vec![
            ("database", s(DB)),
            ("owner", s(ODD_OWNER)),
            ("role", s(ODD_ROLE)),
            ("object_type", s(object_type)),
            ("privileges", privileges.to_owned()),
        ];
        if let Some(schema) = schema {
            attrs.push(("schema", s(schema)));
        }
        dp_hcl(label, &attrs)
    };
    let body = [
        entry("global", None, "table", "[\"SELECT\"]"),
        entry("in_schema", Some(ODD_SCHEMA), "table", "[\"INSERT\"]"),
        entry("seq_in_schema", Some(ODD_SCHEMA), "sequence", "[\"USAGE\"]"),
        entry("types", None, "type", "[]"),
        entry("schemas", None, "schema", "[\"USAGE\"]"),
    ]
    .concat();
    let tf = workspace(&su, &config(&su, &body))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    create_as(&app, ODD_OWNER, ODD_SCHEMA, "table", "in_s")?;
    create_as(&app, ODD_OWNER, "other", "table", "elsewhere")?;
    assert!(has(&app, ODD_ROLE, "table", ODD_SCHEMA, "in_s", "SELECT")?);
    assert!(has(&app, ODD_ROLE, "table", ODD_SCHEMA, "in_s", "INSERT")?);
    assert!(has(
        &app,
        ODD_ROLE,
        "table",
        "other",
        "elsewhere",
        "SELECT"
    )?);
    assert!(!has(
        &app,
        ODD_ROLE,
        "table",
        "other",
        "elsewhere",
        "INSERT"
    )?);
    create_as(&app, ODD_OWNER, ODD_SCHEMA, "sequence", "sq")?;
    assert!(has(&app, ODD_ROLE, "sequence", ODD_SCHEMA, "sq", "USAGE")?);
    app.execute(&format!(
        "GRANT CREATE ON DATABASE app TO {o}; SET ROLE {o}; CREATE SCHEMA newer; RESET ROLE",
        o = quote_ident(ODD_OWNER)
    ))?;
    assert_eq!(
        app.scalar(&format!(
            "SELECT has_schema_privilege({}, 'newer', 'USAGE')",
            quote_literal(ODD_ROLE)
        ))?
        .as_deref(),
        Some("t")
    );
    assert!(defacl(&app, ODD_OWNER, Some(ODD_SCHEMA), "r")?.is_some());

    // Import of the per-schema entry, odd names and all.
    let addr = "dbre_default_privileges.in_schema";
    let id = state_values(&tf, addr)?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        id,
        "app/odd \"own\"er%2Fx/ré@d%2Cer 50%25/table/s p.ace%2F1"
    );
    tf.run_ok(&["state", "rm", "-no-color", addr])?;
    tf.import(addr, &id)?;
    tf.assert_no_changes()?;

    // Trying to take away in the schema what the database-wide entry grants: warned.
    let shadowed = [
        entry("global", None, "table", "[\"SELECT\"]"),
        entry("in_schema", Some(ODD_SCHEMA), "table", "[]"),
    ]
    .concat();
    tf.write_config(&config(&su, &shadowed))?;
    let plan = tf.plan(&[])?;
    let text = plan_text(&plan);
    assert!(
        text.contains("Database-wide default privileges still apply"),
        "{text}"
    );
    assert!(text.contains("SELECT"), "{text}");

    // IN SCHEMA with object_type schema is refused at plan time, at the attribute.
    let bad = entry("bad", Some(ODD_SCHEMA), "schema", "[\"USAGE\"]");
    tf.write_config(&config(&su, &bad))?;
    let out = tf.plan_expect_failure(&[])?;
    let text = plan_text(&out);
    assert!(
        text.contains("Schemas are not created in schemas"),
        "{text}"
    );
    assert!(text.contains("schema"), "{text}");
    // A privilege the object type lacks: pointed at the privileges line.
    let bad = entry("bad", None, "sequence", "[\"USAGE\", \"EXECUTE\"]");
    let hcl = config(&su, &bad);
    tf.write_config(&hcl)?;
    let text = plan_text(&tf.plan_expect_failure(&[])?);
    assert!(
        text.contains("EXECUTE is not a privilege on sequences"),
        "{text}"
    );
    let line = 1 + hcl
        .lines()
        .position(|l| l.trim_start().starts_with("privileges"))
        .context("privileges line")?;
    assert!(text.contains(&format!("main.tf line {line},")), "{text}");

    // Back to the converged configuration; destroy removes the per-schema row entirely.
    tf.write_config(&config(&su, &body))?;
    tf.apply(&[])?;
    tf.destroy(&[])?;
    assert_eq!(defacl(&app, ODD_OWNER, Some(ODD_SCHEMA), "r")?, None);
    assert_eq!(defacl(&app, ODD_OWNER, None, "r")?, None);
    assert_eq!(
        defacl(&app, ODD_OWNER, None, "T")?,
        None,
        "types back to built-in"
    );
    Ok(())
}

/// A database-wide entry whose schema is written "" instead of left out: the same thing, no
/// replacement, no diff.
#[test]
fn empty_schema_is_database_wide() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg, "app_owner", "reader", "api")?;
    let su = pg.superuser();
    let with = |schema: Option<&str>| {
        let mut attrs = vec![
            ("database", s(DB)),
            ("owner", s("app_owner")),
            ("role", s("reader")),
            ("object_type", s("sequence")),
            ("privileges", "[\"usage\"]".to_owned()),
        ];
        if let Some(schema) = schema {
            attrs.push(("schema", s(schema)));
        }
        dp_hcl("seq", &attrs)
    };
    let tf = workspace(&su, &config(&su, &with(None)))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    tf.write_config(&config(&su, &with(Some(""))))?;
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    Ok(())
}

/// 50 entries in ONE catalog row (owner's database-wide table defaults, 50 grantees) applied
/// 20 at a time by an admin that is not a member of the owner: the row lock serialises them,
/// the borrowed membership is shared, zero errors, all 50 present, then all gone.
#[test]
fn fifty_for_one_owner_with_parallelism_20() -> Result<()> {
    let pg = PgServer::start()?;
    let app = setup(&pg, "app_owner", "reader", "api")?;
    // Not a member of app_owner: 50 parallel writers share one borrowed membership.
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let roles: String = (0..50)
        .map(|i| format!("CREATE ROLE grantee_{i};"))
        .collect();
    pg.execute(&roles)?;
    let hcl = "resource \"dbre_default_privileges\" \"many\" {\n  count = 50\n  database = \"app\"\n  \
               owner = \"app_owner\"\n  role = \"grantee_${count.index}\"\n  object_type = \"table\"\n  \
               privileges = count.index % 2 == 0 ? [\"SELECT\"] : [\"SELECT\", \"INSERT\"]\n}\n";
    let mut tf: TfWorkspace = workspace(&admin, &config(&admin, hcl))?;
    tf.set_parallelism(20);
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("Resources: 50 added"), "{apply}");
    assert_eq!(error_count(&apply.stderr), 0, "{apply}");
    create_as(&app, "app_owner", "api", "table", "t")?;
    for i in [0, 1, 25, 49] {
        let role = format!("grantee_{i}");
        assert!(has(&app, &role, "table", "api", "t", "SELECT")?, "{role}");
        assert_eq!(
            has(&app, &role, "table", "api", "t", "INSERT")?,
            i % 2 == 1,
            "{role}"
        );
    }
    let acl = defacl(&app, "app_owner", None, "r")?.context("the row exists")?;
    assert_eq!(acl.matches("grantee_").count(), 50, "{acl}");
    tf.assert_no_changes()?;
    let destroy = tf.destroy(&[])?;
    assert_eq!(error_count(&destroy.stderr), 0, "{destroy}");
    assert_eq!(defacl(&app, "app_owner", None, "r")?, None);
    assert_eq!(
        memberships_of(&pg.superuser(), "dbadmin")?,
        0,
        "membership given back"
    );
    Ok(())
}
