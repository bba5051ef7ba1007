//! Table and column grants of the same role on the same table, with the real terraform.
//!
//! PostgreSQL's `REVOKE p ON TABLE t FROM r` also revokes r's column-level `p` on every column
//! of t (SQL spec). A `dbre_grant` on the table that stops granting SELECT (or is destroyed)
//! must not take the column privileges another resource manages: they are still in the catalog
//! right after the apply and the next plan says "No changes" — in one apply, whichever of the
//! two resources Terraform applies first, or both at once. The same holds inside one
//! `dbre_role_privileges` with a table block and a column block. Every check reads the catalog
//! as the superuser (`aclexplode(attacl)`, `has_column_privilege`), not through our code.

mod grant_support;
mod support;

use anyhow::Result;
use dbre_e2e::{ConnInfo, PgServer, TfWorkspace};
use grant_support::*;

fn setup(pg: &PgServer) -> Result<()> {
    pg.create_database("app")?;
    pg.superuser().with_database("app").execute(
        "CREATE ROLE analyst; CREATE ROLE auditor; CREATE ROLE owner_r; CREATE ROLE third;
         CREATE SCHEMA sales AUTHORIZATION owner_r;
         SET ROLE owner_r;
         CREATE TABLE sales.orders (id int, total int, note text, region text);
         RESET ROLE;
         -- A column grant by a third grantor, which no resource here manages.
         GRANT USAGE ON SCHEMA sales TO third;
         GRANT SELECT ON sales.orders TO third WITH GRANT OPTION;
         SET ROLE third; GRANT SELECT (note) ON sales.orders TO analyst; RESET ROLE;",
    )
}

/// What `role` holds on the columns of `rel` as the catalog has them, one entry per column and
/// grantor: `id:SELECT*` (`*`: WITH GRANT OPTION), sorted.
fn col_privs(su: &ConnInfo, role: &str, rel: &str) -> Result<String> {
    Ok(su
        .scalar(&format!(
            "SELECT coalesce(string_agg(e, ',' ORDER BY e COLLATE \"C\"), '') FROM ( \
               SELECT x.attname || ':' || a.privilege_type \
                 || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS e \
               FROM pg_attribute x, aclexplode(x.attacl) a \
             WHERE x.attrelid = {}::regclass AND x.attnum > 0 \
               AND a.grantee = {}::regrole) entries",
            dbre_e2e::quote_literal(rel),
            dbre_e2e::quote_literal(&dbre_e2e::quote_ident(role))
        ))?
        .unwrap_or_default())
}

/// `dbre_grant.table`: analyst's table privileges on sales.orders, with extra HCL lines.
fn table_grant(privileges: &[&str], extra: &[(&str, String)]) -> String {
    let mut attrs = vec![
        ("database", s("app")),
        ("role", s("analyst")),
        ("schema", s("sales")),
        ("object_type", s("table")),
        ("objects", l(&["orders"])),
        ("privileges", l(privileges)),
    ];
    attrs.extend(extra.iter().cloned());
    grant_hcl("table", &attrs)
}

/// `dbre_grant.cols`: analyst's SELECT WITH GRANT OPTION on `columns` of sales.orders, and
/// `dbre_grant.upd`: UPDATE (region). (Each owns every privilege of analyst on its columns, so
/// they name different ones; note carries a third grantor's SELECT that neither names.)
fn column_grants(columns: &[&str], extra: &[(&str, String)]) -> String {
    let mut attrs = vec![
        ("database", s("app")),
        ("role", s("analyst")),
        ("schema", s("sales")),
        ("object_type", s("column")),
        ("objects", l(&["orders"])),
        ("columns", l(columns)),
        ("privileges", l(&["SELECT"])),
        ("with_grant_option", "true".into()),
    ];
    attrs.extend(extra.iter().cloned());
    let mut out = grant_hcl("cols", &attrs);
    out.push_str(&grant_hcl(
        "upd",
        &[
            ("database", s("app")),
            ("role", s("analyst")),
            ("schema", s("sales")),
            ("object_type", s("column")),
            ("objects", l(&["orders"])),
            ("columns", l(&["region"])),
            ("privileges", l(&["UPDATE"])),
        ],
    ));
    out
}

/// Extra attribute lines for a resource: (attribute, HCL value).
type Hcl = Vec<(&'static str, String)>;

fn rewrite(tf: &TfWorkspace, login: &ConnInfo, body: &str) -> Result<()> {
    tf.write_config(&config(login, body))
}

/// The column privileges a configuration with `columns` leaves, the third grantor's included.
fn expected_columns(columns: &[&str]) -> String {
    let mut out: Vec<String> = columns.iter().map(|c| format!("{c}:SELECT*")).collect();
    out.push("note:SELECT".into());
    out.push("region:UPDATE".into());
    out.sort();
    out.join(",")
}

fn table_then_columns(pg: &PgServer, login: &ConnInfo) -> Result<()> {
    let su = pg.superuser().with_database("app");
    let both =
        |table: &[&str]| format!("{}{}", table_grant(table, &[]), column_grants(&["id"], &[]));
    let tf = workspace(login, &config(login, &both(&["SELECT", "INSERT"])))?;
    tf.apply(&[])?;
    assert_eq!(rel_privs(&su, "analyst", "sales.orders")?, "INSERT,SELECT");
    assert_eq!(
        col_privs(&su, "analyst", "sales.orders")?,
        expected_columns(&["id"])
    );
    tf.assert_no_changes()?;

    // The table grant stops granting SELECT: the column grants stay, in one apply.
    rewrite(&tf, login, &both(&["INSERT"]))?;
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("1 changed"), "{apply}");
    assert_eq!(rel_privs(&su, "analyst", "sales.orders")?, "INSERT");
    assert_eq!(
        col_privs(&su, "analyst", "sales.orders")?,
        expected_columns(&["id"])
    );
    assert_eq!(
        ask(
            &su,
            "has_column_privilege('analyst', 'sales.orders', 'id', 'SELECT')::text \
             || has_column_privilege('analyst', 'sales.orders', 'total', 'SELECT')::text \
             || has_column_privilege('analyst', 'sales.orders', 'region', 'UPDATE')::text"
        )?,
        "truefalsetrue"
    );
    tf.assert_no_changes()?;

    // Back, then the table grant is destroyed: the columns stay again.
    rewrite(&tf, login, &both(&["SELECT", "UPDATE"]))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    rewrite(&tf, login, &column_grants(&["id"], &[]))?;
    let apply = tf.apply(&[])?;
    assert!(apply.stdout.contains("1 destroyed"), "{apply}");
    assert_eq!(rel_privs(&su, "analyst", "sales.orders")?, "");
    assert_eq!(
        col_privs(&su, "analyst", "sales.orders")?,
        expected_columns(&["id"])
    );
    tf.assert_no_changes()?;

    // Both change in one apply, in either order and at once: the table loses SELECT while the
    // column grant gains a column (a replacement: its old columns are revoked, the new granted).
    let orders: [(&str, Hcl, Hcl, &[&str]); 3] = [
        (
            "columns after the table",
            vec![],
            vec![("depends_on", "[dbre_grant.table]".into())],
            &[],
        ),
        (
            "table after the columns",
            vec![("depends_on", "[dbre_grant.cols, dbre_grant.upd]".into())],
            vec![],
            &[],
        ),
        ("all at once", vec![], vec![], &["-parallelism=10"]),
    ];
    for (what, table_extra, cols_extra, args) in orders {
        let start = format!(
            "{}{}",
            table_grant(&["SELECT", "INSERT"], &table_extra),
            column_grants(&["id"], &cols_extra)
        );
        rewrite(&tf, login, &start)?;
        tf.apply(args)?;
        assert_eq!(
            col_privs(&su, "analyst", "sales.orders")?,
            expected_columns(&["id"]),
            "{what}"
        );
        let next = format!(
            "{}{}",
            table_grant(&["INSERT"], &table_extra),
            column_grants(&["id", "total"], &cols_extra)
        );
        rewrite(&tf, login, &next)?;
        tf.apply(args)?;
        assert_eq!(
            rel_privs(&su, "analyst", "sales.orders")?,
            "INSERT",
            "{what}"
        );
        assert_eq!(
            col_privs(&su, "analyst", "sales.orders")?,
            expected_columns(&["id", "total"]),
            "{what}"
        );
        tf.assert_no_changes()?;
        // The next round starts from one column again.
        let back = format!(
            "{}{}",
            table_grant(&["INSERT"], &table_extra),
            column_grants(&["id"], &cols_extra)
        );
        rewrite(&tf, login, &back)?;
        tf.apply(args)?;
    }

    tf.destroy(&[])?;
    // The third grantor's grant was never ours to take.
    assert_eq!(col_privs(&su, "analyst", "sales.orders")?, "note:SELECT");
    assert_eq!(rel_privs(&su, "analyst", "sales.orders")?, "");
    Ok(())
}

fn role_privileges_with_table_and_column_blocks(pg: &PgServer, login: &ConnInfo) -> Result<()> {
    let su = pg.superuser().with_database("app");
    let body = |table: &str| {
        format!(
            r#"
resource "dbre_role_privileges" "auditor" {{
  database = "app"
  role     = "auditor"
  grant {{
    object_type = "table"
    schema      = "sales"
    objects     = ["orders"]
    privileges  = {table}
  }}
  grant {{
    object_type = "column"
    schema      = "sales"
    objects     = ["orders"]
    columns     = ["id", "total"]
    privileges  = ["SELECT", "UPDATE"]
  }}
}}
"#
        )
    };
    let tf = workspace(login, &config(login, &body(r#"["SELECT", "INSERT"]"#)))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    tf.write_config(&config(login, &body(r#"["INSERT"]"#)))?;
    tf.apply(&[])?;
    assert_eq!(rel_privs(&su, "auditor", "sales.orders")?, "INSERT");
    assert_eq!(
        col_privs(&su, "auditor", "sales.orders")?,
        "id:SELECT,id:UPDATE,total:SELECT,total:UPDATE"
    );
    tf.assert_no_changes()?;
    tf.destroy(&[])?;
    assert_eq!(col_privs(&su, "auditor", "sales.orders")?, "");
    assert_eq!(rel_privs(&su, "auditor", "sales.orders")?, "");
    Ok(())
}

#[test]
fn table_revokes_keep_column_grants_as_superuser() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg)?;
    let su = pg.superuser();
    table_then_columns(&pg, &su)?;
    role_privileges_with_table_and_column_blocks(&pg, &su)
}

#[test]
fn table_revokes_keep_column_grants_as_managed_admin() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg)?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    table_then_columns(&pg, &admin)?;
    role_privileges_with_table_and_column_blocks(&pg, &admin)?;
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 0);
    Ok(())
}

/// A NOINHERIT admin that is a member of the owner has the owner's rights only through SET
/// ROLE (a GRANT as itself is "permission denied"): everything above works, the grants are
/// recorded as the owner's, its default privileges can be managed, and its own membership is
/// left as it was.
#[test]
fn a_noinherit_admin_member_of_the_owner_acts_as_the_owner() -> Result<()> {
    let pg = PgServer::start()?;
    setup(&pg)?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    pg.execute("ALTER ROLE dbadmin NOINHERIT; GRANT owner_r TO dbadmin")?;
    table_then_columns(&pg, &admin)?;
    role_privileges_with_table_and_column_blocks(&pg, &admin)?;

    let su = pg.superuser().with_database("app");
    let body = format!(
        "{}{}",
        table_grant(&["SELECT"], &[]),
        r#"
resource "dbre_default_privileges" "later" {
  database    = "app"
  owner       = "owner_r"
  schema      = "sales"
  role        = "analyst"
  object_type = "table"
  privileges  = ["SELECT"]
}
"#
    );
    let tf = workspace(&admin, &config(&admin, &body))?;
    tf.apply(&[])?;
    tf.assert_no_changes()?;
    su.execute("SET ROLE owner_r; CREATE TABLE sales.later (id int); RESET ROLE")?;
    assert_eq!(
        ask(
            &su,
            "(SELECT string_agg(a.privilege_type || '/' || a.grantor::regrole::text, ',' \
               ORDER BY 1) FROM pg_class c, aclexplode(c.relacl) a \
              WHERE c.oid IN ('sales.orders'::regclass, 'sales.later'::regclass) \
                AND a.grantee = 'analyst'::regrole)"
        )?,
        "SELECT/owner_r,SELECT/owner_r"
    );
    tf.destroy(&[])?;
    assert_eq!(rel_privs(&su, "analyst", "sales.orders")?, "");
    assert_eq!(
        ask(
            &su,
            "(SELECT count(*) FROM pg_default_acl d WHERE d.defaclrole = 'owner_r'::regrole)::text"
        )?,
        "0"
    );
    // Its own membership stays; nothing borrowed is left.
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 1);
    Ok(())
}
