//! The `dbre_roles` data source: roles filtered by a name pattern (`like` or `regex`), with
//! their attributes; built-in `pg_*` roles only on request.

mod support;

use anyhow::Result;
use dbre_e2e::{quote_ident, PgServer};
use serde_json::{json, Value};
use support::*;

const DATA: &str = r#"
data "dbre_roles" "apps" {
  like       = "app%"
  depends_on = [dbre_role.managed]
}

data "dbre_roles" "exact" {
  regex      = "^app_[ab]$"
  depends_on = [dbre_role.managed]
}

data "dbre_roles" "builtin" {
  like            = "pg\\_read\\_all\\_%"
  include_builtin = true
}

data "dbre_roles" "no_builtin" {
  like = "pg\\_%"
}

output "apps" {
  value = data.dbre_roles.apps.names
}

output "exact" {
  value = data.dbre_roles.exact.names
}

output "builtin" {
  value = data.dbre_roles.builtin.names
}

output "no_builtin" {
  value = data.dbre_roles.no_builtin.names
}

output "managed" {
  value = [for r in data.dbre_roles.apps.roles : r if r.name == "app_tf"][0]
}
"#;

#[test]
fn filters_by_pattern_and_returns_attributes() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    for name in ["app_a", "app_b", "app@contoso.com", "other_c", "apple"] {
        admin.execute(&format!("CREATE ROLE {}", quote_ident(name)))?;
    }
    let managed = role_hcl(
        "managed",
        "app_tf",
        &[
            ("login", "true"),
            ("connection_limit", "3"),
            ("comment", "\"made by terraform\""),
        ],
    );
    let tf = workspace(&admin, &config(&admin, &format!("{managed}\n{DATA}")))?;
    tf.apply(&[])?;
    let out = tf.output_json()?;
    let names = |key: &str| out[key]["value"].clone();

    assert_eq!(
        names("apps"),
        json!(["app@contoso.com", "app_a", "app_b", "app_tf", "apple"]),
        "sorted by name (C collation), built-ins and others left out"
    );
    assert_eq!(names("exact"), json!(["app_a", "app_b"]));
    assert_eq!(
        names("builtin"),
        json!([
            "pg_read_all_data",
            "pg_read_all_settings",
            "pg_read_all_stats"
        ])
    );
    assert_eq!(names("no_builtin"), json!([]));

    let role: Value = names("managed");
    let oid = existing_role(&pg.superuser(), "app_tf")?.oid;
    assert_eq!(role["oid"].to_string(), oid, "{role}");
    assert_eq!(role["login"], true, "{role}");
    assert_eq!(role["inherit"], true, "{role}");
    assert_eq!(role["superuser"], false, "{role}");
    assert_eq!(role["connection_limit"], 3, "{role}");
    assert_eq!(role["comment"], "made by terraform", "{role}");
    assert!(
        role.get("password").is_none(),
        "no password attribute: {role}"
    );

    // A data source re-reads every plan: a role created outside shows up.
    admin.execute("CREATE ROLE app_c")?;
    tf.apply(&[])?;
    let out = tf.output_json()?;
    assert_eq!(out["exact"]["value"], json!(["app_a", "app_b"]));
    assert!(out["apps"]["value"]
        .as_array()
        .unwrap()
        .contains(&json!("app_c")));
    Ok(())
}

#[test]
fn like_and_regex_together_are_refused() -> Result<()> {
    let pg = PgServer::start()?;
    let su = pg.superuser();
    let body = "data \"dbre_roles\" \"both\" {\n  like  = \"a%\"\n  regex = \"^a\"\n}\n";
    let tf = workspace(&su, &config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert!(
        out.stderr.contains("like") && out.stderr.contains("regex"),
        "{out}"
    );

    let body = "data \"dbre_roles\" \"bad\" {\n  regex = \"(unclosed\"\n}\n";
    tf.write_config(&config(&su, body))?;
    let out = tf.plan_expect_failure(&[])?;
    assert_eq!(error_count(&out.stderr), 1, "{out}");
    assert!(out.stderr.contains("regex"), "{out}");
    Ok(())
}
