//! `modules/postgres-schema-access` with the real terraform: applied as a non-superuser admin
//! to a schema whose objects belong to other roles, then checked as the superuser, independently
//! of the provider (`has_*_privilege`, `pg_auth_members`, `aclexplode`, and statements actually
//! run as the members):
//! - existing tables, sequences, functions: readers read and cannot write, writers write;
//! - an object an owner creates AFTER apply is usable at once (default privileges) and the next
//!   plan says "No changes"; one made by a role outside `owners` shows in the plan and the next
//!   apply grants it;
//! - destroy leaves no grant, default privilege, membership or group role behind.
//!
//! Also: `terraform fmt -check` and `terraform validate` for the module and
//! `examples/schema-access`, and the module's input validation messages.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use dbre_e2e::{quote_ident, quote_literal, sqlstate, workspace_root, ConnInfo, PgServer};
use dbre_e2e::{required_providers_hcl, TfWorkspace};
use support::{memberships_of, resources_json, rows};

const MODULE: &str = "modules/postgres-schema-access";
const EXAMPLE: &str = "examples/schema-access";

/// Copies the repository directory `rel` (its `.tf` files and README) to the same relative path
/// in the workspace, so relative module sources resolve as in the repository.
fn copy_into(tf: &TfWorkspace, rel: &str) -> Result<()> {
    let dir = workspace_root().join(rel);
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".tf") || name == "README.md" {
            let text = std::fs::read_to_string(&path)?;
            tf.write_file(&Path::new(rel).join(&*name).to_string_lossy(), &text)?;
        }
    }
    Ok(())
}

/// A root configuration calling the module (copied to `./modules/...`) with `inputs` (HCL lines).
fn root_config(admin: &ConnInfo, inputs: &str) -> String {
    format!(
        "{}\n{}\nmodule \"sales\" {{\n  source = \"./{MODULE}\"\n{inputs}}}\n\n\
         output \"read_role\" {{ value = module.sales.read_role }}\n\
         output \"write_role\" {{ value = module.sales.write_role }}\n\
         output \"granted\" {{ value = module.sales.granted }}\n",
        required_providers_hcl(),
        admin.provider_hcl()
    )
}

/// Creates `kind schema.name` as `owner`, the way the owner's migrations would.
fn create_as(app: &ConnInfo, owner: &str, ddl: &str) -> Result<()> {
    app.execute(&format!(
        "SET ROLE {}; {ddl}; RESET ROLE",
        quote_ident(owner)
    ))
}

/// `has_<kind>_privilege(role, object, privilege)` as the superuser.
fn has(app: &ConnInfo, role: &str, kind: &str, object: &str, privilege: &str) -> Result<bool> {
    let v = app.scalar(&format!(
        "SELECT has_{kind}_privilege({}, {}, {})",
        quote_literal(role),
        quote_literal(object),
        quote_literal(privilege)
    ))?;
    Ok(v.as_deref() == Some("t"))
}

/// Whether `sql` succeeds when run as `role` (SET ROLE in a superuser session); a refusal for
/// lack of privilege (42501) is `false`, any other error fails the test.
fn can_run_as(app: &ConnInfo, role: &str, sql: &str) -> Result<bool> {
    match app.execute(&format!("SET ROLE {}; {sql}", quote_ident(role))) {
        Ok(()) => Ok(true),
        Err(e) if sqlstate(&e).as_deref() == Some("42501") => Ok(false),
        Err(e) => Err(e),
    }
}

/// `role=privileges` entries granted explicitly on the routine (not PUBLIC's built-in EXECUTE,
/// which `has_function_privilege` would also count).
fn routine_grantees(app: &ConnInfo, signature: &str) -> Result<Vec<String>> {
    Ok(rows(
        app,
        &format!(
            "SELECT a.grantee::regrole::text FROM pg_proc p, aclexplode(p.proacl) a \
             WHERE p.oid = {}::regprocedure AND a.grantee <> 0 AND a.grantee <> p.proowner \
               AND a.privilege_type = 'EXECUTE'",
            quote_literal(signature)
        ),
    )?
    .into_iter()
    .collect())
}

/// Every ACL entry in schema `sales` (the schema itself, relations, routines) granted to a role
/// other than the object's owner (and, on the schema, the test's own grants to etl and
/// stranger), and every `pg_default_acl` row: empty after destroy.
fn leftovers(app: &ConnInfo) -> Result<Vec<String>> {
    Ok(rows(
        app,
        "SELECT 'schema ' || a.grantee::regrole::text FROM pg_namespace n, aclexplode(n.nspacl) a \
           WHERE n.nspname = 'sales' \
             AND a.grantee NOT IN (n.nspowner, 'etl'::regrole, 'stranger'::regrole) \
         UNION ALL \
         SELECT 'relation ' || c.relname || ' ' || a.grantee::regrole::text \
           FROM pg_class c, aclexplode(c.relacl) a \
           WHERE c.relnamespace = 'sales'::regnamespace AND a.grantee <> c.relowner \
         UNION ALL \
         SELECT 'routine ' || p.proname || ' ' || a.grantee::regrole::text \
           FROM pg_proc p, aclexplode(p.proacl) a \
           WHERE p.pronamespace = 'sales'::regnamespace AND a.grantee NOT IN (0::oid, p.proowner) \
         UNION ALL \
         SELECT 'database ' || a.grantee::regrole::text FROM pg_database d, aclexplode(d.datacl) a \
           WHERE d.datname = 'app' AND a.grantee NOT IN (0::oid, d.datdba) \
         UNION ALL \
         SELECT 'default acl ' || defaclrole::regrole::text || ' ' || defaclobjtype::text \
           FROM pg_default_acl",
    )?
    .into_iter()
    .collect())
}

/// Database `app` with schema `sales` owned by app_owner, in which etl and stranger may create
/// too; existing objects owned by app_owner (table with a serial, function, procedure) and by
/// etl; login roles alice, bob, carol; and a `CREATEROLE CREATEDB` admin that is a member of none
/// of them, so it must borrow the owners' rights for every grant. Returns the superuser's
/// connection to `app` and the admin's.
fn setup(pg: &PgServer) -> Result<(ConnInfo, ConnInfo)> {
    let app = pg.create_database("app")?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    pg.execute(
        "CREATE ROLE app_owner; CREATE ROLE etl; CREATE ROLE stranger; \
         CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN",
    )?;
    // Schema and existing objects belong to app_owner (tables also to etl): the admin owns
    // nothing here and must borrow the owners' rights for every grant.
    app.execute(
        "ALTER DATABASE app OWNER TO app_owner; \
         CREATE SCHEMA sales AUTHORIZATION app_owner; \
         GRANT CREATE, USAGE ON SCHEMA sales TO etl, stranger",
    )?;
    create_as(
        &app,
        "app_owner",
        "CREATE TABLE sales.orders (id serial PRIMARY KEY, total int); \
         INSERT INTO sales.orders (total) VALUES (1); \
         CREATE FUNCTION sales.total(int) RETURNS int LANGUAGE sql AS 'SELECT $1'; \
         CREATE PROCEDURE sales.purge() LANGUAGE sql AS 'SELECT 1'",
    )?;
    create_as(&app, "etl", "CREATE TABLE sales.loads (id int)")?;
    Ok((app, admin))
}

/// The whole promise, as a `CREATEROLE CREATEDB` admin that is member of none of the owners.
#[test]
fn schema_access_lifecycle_as_managed_style_admin() -> Result<()> {
    let pg = PgServer::start()?;
    let (app, admin) = setup(&pg)?;

    let inputs = "  database      = \"app\"\n  schema        = \"sales\"\n  \
                  owners        = [\"app_owner\", \"etl\"]\n  readers       = [\"alice\", \"carol\"]\n  \
                  writers       = [\"bob\"]\n  grant_connect = true\n";
    let mut tf = TfWorkspace::with_provider()?;
    tf.set_pg_env(&admin);
    copy_into(&tf, MODULE)?;
    tf.write_config(&root_config(&admin, inputs))?;
    tf.init()?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    // The group roles exist and nobody logs in as them.
    assert_eq!(
        rows(
            &app,
            "SELECT rolname || ' ' || rolcanlogin FROM pg_roles WHERE rolname LIKE 'sales\\_%'"
        )?,
        BTreeSet::from(["sales_read false", "sales_write false"].map(String::from))
    );
    // Memberships, from pg_auth_members.
    assert_eq!(
        rows(
            &app,
            "SELECT g.rolname || ' ' || m.rolname FROM pg_auth_members am \
             JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member \
             WHERE g.rolname LIKE 'sales\\_%'"
        )?,
        BTreeSet::from(
            ["sales_read alice", "sales_read carol", "sales_write bob"].map(String::from)
        )
    );

    // CONNECT on the database (grant_connect), as an ACL entry of its own: PUBLIC has it too.
    assert_eq!(
        rows(
            &app,
            "SELECT a.grantee::regrole::text || ' ' || a.privilege_type \
             FROM pg_database d, aclexplode(d.datacl) a \
             WHERE d.datname = 'app' AND a.grantee::regrole::text LIKE 'sales\\_%'"
        )?,
        BTreeSet::from(["sales_read CONNECT", "sales_write CONNECT"].map(String::from))
    );

    // Existing objects. Readers: usage, select; no write, no sequence usage.
    assert!(has(&app, "alice", "schema", "sales", "USAGE")?);
    assert!(!has(&app, "alice", "schema", "sales", "CREATE")?);
    for table in ["sales.orders", "sales.loads"] {
        assert!(has(&app, "alice", "table", table, "SELECT")?, "{table}");
        for p in ["INSERT", "UPDATE", "DELETE", "TRUNCATE"] {
            assert!(!has(&app, "alice", "table", table, p)?, "alice {p} {table}");
        }
        for p in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            assert!(has(&app, "bob", "table", table, p)?, "bob {p} {table}");
        }
        assert!(!has(&app, "bob", "table", table, "TRUNCATE")?, "{table}");
    }
    let seq = "sales.orders_id_seq";
    assert!(has(&app, "alice", "sequence", seq, "SELECT")?);
    assert!(!has(&app, "alice", "sequence", seq, "USAGE")?);
    assert!(!has(&app, "alice", "sequence", seq, "UPDATE")?);
    for p in ["USAGE", "SELECT", "UPDATE"] {
        assert!(has(&app, "bob", "sequence", seq, p)?, "bob {p}");
    }
    assert_eq!(routine_grantees(&app, "sales.total(int)")?, ["sales_write"]);
    assert_eq!(routine_grantees(&app, "sales.purge()")?, ["sales_write"]);
    // What the members observe.
    assert!(can_run_as(&app, "alice", "SELECT * FROM sales.orders")?);
    assert!(!can_run_as(
        &app,
        "alice",
        "INSERT INTO sales.orders (total) VALUES (2)"
    )?);
    assert!(can_run_as(
        &app,
        "bob",
        "INSERT INTO sales.orders (total) VALUES (2)"
    )?);
    assert!(!can_run_as(&app, "dbadmin", "SELECT * FROM sales.orders")?);

    // The group roles are the module's: privileges granted to them by hand — in this schema or
    // elsewhere in the database — are drift, and the next apply revokes them.
    create_as(
        &app,
        "app_owner",
        "CREATE SCHEMA other; CREATE TABLE other.t (id int); \
         GRANT USAGE ON SCHEMA other TO sales_read; GRANT SELECT ON other.t TO sales_read; \
         GRANT INSERT ON sales.orders TO sales_read",
    )?;
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("module.sales.dbre_role_privileges.group[\"read\"] will be updated in-place"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert!(!has(&app, "alice", "table", "sales.orders", "INSERT")?);
    assert!(!has(&app, "alice", "table", "other.t", "SELECT")?);
    assert!(has(&app, "alice", "table", "sales.orders", "SELECT")?);
    tf.assert_no_changes()?;

    let out = tf.output_json()?;
    assert_eq!(out["read_role"]["value"], "sales_read");
    assert_eq!(out["write_role"]["value"], "sales_write");
    let granted = &out["granted"]["value"];
    assert_eq!(
        granted["write"]["privileges"]["table"],
        serde_json::json!(["SELECT", "INSERT", "UPDATE", "DELETE"])
    );
    assert_eq!(
        granted["read"]["default_privileges_for"],
        serde_json::json!(["app_owner", "etl"])
    );
    assert_eq!(
        granted["read"]["members"],
        serde_json::json!(["alice", "carol"])
    );

    // Objects the owners create AFTER apply: usable at once, and nothing to plan.
    create_as(
        &app,
        "app_owner",
        "CREATE TABLE sales.invoices (id bigserial, n int); \
         CREATE FUNCTION sales.late() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    )?;
    create_as(&app, "etl", "CREATE TABLE sales.staging (id int)")?;
    for table in ["sales.invoices", "sales.staging"] {
        assert!(has(&app, "alice", "table", table, "SELECT")?, "{table}");
        assert!(!has(&app, "alice", "table", table, "INSERT")?, "{table}");
        assert!(has(&app, "bob", "table", table, "DELETE")?, "{table}");
    }
    assert!(has(
        &app,
        "alice",
        "sequence",
        "sales.invoices_id_seq",
        "SELECT"
    )?);
    assert!(has(
        &app,
        "bob",
        "sequence",
        "sales.invoices_id_seq",
        "USAGE"
    )?);
    assert_eq!(routine_grantees(&app, "sales.late()")?, ["sales_write"]);
    assert!(can_run_as(&app, "alice", "SELECT * FROM sales.invoices")?);
    assert!(can_run_as(
        &app,
        "bob",
        "INSERT INTO sales.invoices (n) VALUES (1)"
    )?);
    tf.assert_no_changes()
        .context("a table an owner created after apply must not show in the plan")?;

    // A table made by a role outside `owners` is not covered by default privileges: the plan
    // shows it, the next apply grants it, and then the plan is empty again.
    create_as(&app, "stranger", "CREATE TABLE sales.adhoc (id int)")?;
    assert!(!has(&app, "alice", "table", "sales.adhoc", "SELECT")?);
    let plan = tf.assert_changes()?;
    assert!(
        plan.stdout
            .contains("module.sales.dbre_role_privileges.group[\"read\"] will be updated in-place"),
        "{plan}"
    );
    tf.apply(&[])?;
    assert!(has(&app, "alice", "table", "sales.adhoc", "SELECT")?);
    tf.assert_no_changes()?;

    // Destroy: no group roles, grants, default privileges or memberships left; the admin gave
    // back every membership it borrowed; the members and the data stay.
    tf.destroy(&[])?;
    assert_eq!(
        rows(
            &app,
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'sales\\_%'"
        )?,
        BTreeSet::new()
    );
    assert_eq!(leftovers(&app)?, Vec::<String>::new());
    assert_eq!(memberships_of(&app, "alice")?, 0);
    assert_eq!(memberships_of(&app, "bob")?, 0);
    assert_eq!(memberships_of(&app, "dbadmin")?, 0);
    assert_eq!(
        app.scalar("SELECT count(*) FROM sales.orders")?.as_deref(),
        Some("2")
    );
    Ok(())
}

/// `terraform fmt -check` and `terraform validate` for the module and the example, offline
/// through the harness's mirror; and bad inputs refused with the module's own messages.
#[test]
fn module_and_example_are_formatted_and_valid() -> Result<()> {
    let tf = TfWorkspace::with_provider()?;
    copy_into(&tf, MODULE)?;
    copy_into(&tf, EXAMPLE)?;
    tf.run_ok(&["fmt", "-check", "-recursive", "-diff", "-no-color"])?;
    for dir in [MODULE, EXAMPLE] {
        let chdir = format!("-chdir={dir}");
        tf.run_ok(&[
            &chdir,
            "init",
            "-backend=false",
            "-input=false",
            "-no-color",
        ])?;
        tf.run_ok(&[&chdir, "validate", "-no-color"])?;
    }

    // Bad inputs: refused with a message naming the input, before anything is touched.
    let cases = [
        ("owners = []", "owners must name at least one role"),
        ("owners = [\"a\", \"a\"]", "owners lists a role twice"),
        ("readers = [\"PUBLIC\"]", "readers must be role names"),
        ("writers = [\"\"]", "writers must be role names"),
        ("role_prefix = \"\"", "role_prefix must not be empty"),
        (
            "role_prefix = \"a_very_long_prefix_that_nobody_should_ever_write_for_a_role_\"",
            "must be at most 63 characters",
        ),
        ("execute_functions = \"all\"", "execute_functions must be"),
        ("schema = \"pg_catalog\"", "must not be a system schema"),
    ];
    for (input, message) in cases {
        let mut inputs = vec![
            ("database", "\"app\""),
            ("schema", "\"sales\""),
            ("owners", "[\"app_owner\"]"),
        ];
        let (key, value) = input.split_once(" = ").context("case")?;
        inputs.retain(|(k, _)| *k != key);
        inputs.push((key, value));
        let body: String = inputs
            .iter()
            .map(|(k, v)| format!("  {k} = {v}\n"))
            .collect();
        tf.write_config(&format!(
            "{}\nmodule \"sales\" {{\n  source = \"./{MODULE}\"\n{body}}}\n",
            required_providers_hcl()
        ))?;
        tf.init()?;
        let out = tf.expect_failure(&["validate", "-no-color"])?;
        let text = out
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(message),
            "{input}: expected {message:?} in {out}"
        );
        assert!(text.contains(&format!("var.{key}")), "{input}: {out}");
    }
    Ok(())
}

/// Why the module holds existing objects' privileges in one `dbre_role_privileges` per group
/// role rather than one `dbre_grant` (`objects = []`) per group role and object type: both stay
/// "No changes" when an owner creates a table after apply (the default privileges give the new
/// table exactly what the grant asks for, so the grant reads every table alike), and the
/// module's state is the smaller. Both designs side by side in one workspace, on one schema.
#[test]
fn per_type_grants_would_converge_too_but_cost_more_state() -> Result<()> {
    let pg = PgServer::start()?;
    let (app, admin) = setup(&pg)?;
    // The per-type design for roles alt_read / alt_write: the module's privileges written as
    // dbre_grant resources, with the same default privileges.
    let read: &[(&str, &str)] = &[
        ("schema", r#"["USAGE"]"#),
        ("table", r#"["SELECT"]"#),
        ("sequence", r#"["SELECT"]"#),
    ];
    let write: &[(&str, &str)] = &[
        ("schema", r#"["USAGE"]"#),
        ("table", r#"["SELECT", "INSERT", "UPDATE", "DELETE"]"#),
        ("sequence", r#"["USAGE", "SELECT", "UPDATE"]"#),
        ("routine", r#"["EXECUTE"]"#),
    ];
    let mut alt = String::new();
    let mut grants = 0;
    for (kind, types) in [("read", read), ("write", write)] {
        alt.push_str(&format!(
            "resource \"dbre_role\" \"alt_{kind}\" {{\n  name = \"alt_{kind}\"\n}}\n"
        ));
        for &(object_type, privileges) in types {
            let on = if object_type == "schema" {
                r#"objects = ["sales"]"#
            } else {
                r#"schema = "sales""#
            };
            alt.push_str(&format!(
                "resource \"dbre_grant\" \"alt_{kind}_{object_type}\" {{\n  database = \"app\"\n  \
                 role = dbre_role.alt_{kind}.name\n  object_type = \"{object_type}\"\n  {on}\n  \
                 privileges = {privileges}\n}}\n"
            ));
            grants += 1;
            if object_type == "schema" {
                continue;
            }
            let dp_type = if object_type == "routine" {
                "function"
            } else {
                object_type
            };
            for owner in ["app_owner", "etl"] {
                alt.push_str(&format!(
                    "resource \"dbre_default_privileges\" \"alt_{kind}_{object_type}_{owner}\" {{\n  \
                     database = \"app\"\n  owner = \"{owner}\"\n  role = dbre_role.alt_{kind}.name\n  \
                     schema = \"sales\"\n  object_type = \"{dp_type}\"\n  privileges = {privileges}\n}}\n"
                ));
            }
        }
    }
    let inputs =
        "  database = \"app\"\n  schema   = \"sales\"\n  owners   = [\"app_owner\", \"etl\"]\n";
    let mut tf = TfWorkspace::with_provider()?;
    tf.set_pg_env(&admin);
    copy_into(&tf, MODULE)?;
    tf.write_config(&format!("{}\n{alt}", root_config(&admin, inputs)))?;
    tf.init()?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;

    create_as(
        &app,
        "app_owner",
        "CREATE TABLE sales.invoices (id bigserial)",
    )?;
    for role in ["sales_read", "alt_read"] {
        assert!(
            has(&app, role, "table", "sales.invoices", "SELECT")?,
            "{role}"
        );
        assert!(
            has(&app, role, "sequence", "sales.invoices_id_seq", "SELECT")?,
            "{role}"
        );
    }
    tf.assert_no_changes()
        .context("neither design may plan anything for a table an owner created after apply")?;

    let module_state = resources_json(&tf, "dbre_role_privileges")?.len();
    let grants_state = resources_json(&tf, "dbre_grant")?.len();
    println!(
        "existing objects' privileges in the state: the module's 2 dbre_role_privileges \
         {module_state} bytes, the per-type design's {grants} dbre_grant {grants_state} bytes"
    );
    assert!(
        module_state < grants_state,
        "{module_state} vs {grants_state} bytes"
    );
    tf.destroy(&[])?;
    assert_eq!(leftovers(&app)?, Vec::<String>::new());
    Ok(())
}

/// `create_roles = false`: the module uses group roles made elsewhere (here by hand, with a
/// prefix of our choosing), manages their privileges and memberships, and leaves the roles
/// themselves on destroy — with nothing granted. Also the toggles `write_truncate` and
/// `execute_functions = "read_and_write"`.
#[test]
fn existing_group_roles_are_used_and_kept() -> Result<()> {
    let pg = PgServer::start()?;
    let (app, admin) = setup(&pg)?;
    pg.execute("CREATE ROLE team_read; CREATE ROLE team_write")?;
    let inputs = "  database          = \"app\"\n  schema            = \"sales\"\n  \
                  owners            = [\"app_owner\"]\n  readers           = [\"alice\"]\n  \
                  writers           = [\"bob\"]\n  role_prefix       = \"team_\"\n  \
                  create_roles      = false\n  write_truncate    = true\n  \
                  execute_functions = \"read_and_write\"\n";
    let mut tf = TfWorkspace::with_provider()?;
    tf.set_pg_env(&admin);
    copy_into(&tf, MODULE)?;
    tf.write_config(&root_config(&admin, inputs))?;
    tf.init()?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    assert!(!tf.state_list()?.iter().any(|r| r.contains("dbre_role.")));
    assert_eq!(tf.output_json()?["read_role"]["value"], "team_read");

    assert!(has(&app, "alice", "table", "sales.orders", "SELECT")?);
    assert!(!has(&app, "alice", "table", "sales.orders", "TRUNCATE")?);
    assert!(has(&app, "bob", "table", "sales.orders", "TRUNCATE")?);
    assert_eq!(
        routine_grantees(&app, "sales.total(int)")?,
        ["team_read", "team_write"]
    );
    create_as(
        &app,
        "app_owner",
        "CREATE TABLE sales.later (id int); \
         CREATE FUNCTION sales.later_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    )?;
    assert!(has(&app, "bob", "table", "sales.later", "TRUNCATE")?);
    assert!(has(&app, "alice", "table", "sales.later", "SELECT")?);
    assert_eq!(
        routine_grantees(&app, "sales.later_fn()")?,
        ["team_read", "team_write"]
    );
    tf.assert_no_changes()?;

    tf.destroy(&[])?;
    assert_eq!(
        rows(
            &app,
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'team\\_%'"
        )?,
        BTreeSet::from(["team_read", "team_write"].map(String::from))
    );
    assert_eq!(leftovers(&app)?, Vec::<String>::new());
    assert_eq!(memberships_of(&app, "alice")?, 0);
    assert_eq!(memberships_of(&app, "dbadmin")?, 0);
    Ok(())
}
