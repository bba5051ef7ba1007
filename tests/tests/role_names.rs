//! Any legal role name works: quotes, spaces, dots, `@` (Entra principals), non-ASCII, SQL
//! punctuation — created, converged, renamed, imported and dropped exactly as written.

mod support;

use anyhow::Result;
use dbre_e2e::{hcl_string, quote_ident, PgServer};
use support::*;

/// Names that break naive string-built SQL or HCL.
const ODD_NAMES: &[&str] = &[
    "app@contoso.com",
    "with space",
    "dot.ted.name",
    "quote\"inside",
    "it's",
    "MixedCase",
    "semi;colon -- DROP ROLE dbadmin",
    "Ünïcødé-ロール",
    "${not_a_template}",
    "back\\slash",
    "trailing space ",
];

fn for_each_hcl(names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| hcl_string(n)).collect();
    format!(
        "resource \"dbre_role\" \"odd\" {{\n  for_each = toset([{}])\n  name     = each.value\n  \
         login    = true\n  comment  = \"name: ${{each.value}}\"\n}}\n",
        list.join(", ")
    )
}

#[test]
fn odd_names_are_created_exactly_and_converge() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let tf = workspace(&admin, &config(&admin, &for_each_hcl(ODD_NAMES)))?;
    tf.apply(&[])?;
    for name in ODD_NAMES {
        let role = existing_role(&su, name)?;
        assert!(role.login, "{name}");
        assert_eq!(
            role.comment.as_deref(),
            Some(format!("name: {name}").as_str())
        );
    }
    assert!(
        catalog_role(&su, "dbadmin")?.is_some(),
        "SQL in a name was executed"
    );
    tf.assert_no_changes()?;

    // Renaming an odd name to another odd name keeps the oid.
    let oid = existing_role(&su, "app@contoso.com")?.oid;
    let mut renamed: Vec<&str> = ODD_NAMES.to_vec();
    renamed.retain(|n| *n != "app@contoso.com");
    let single = format!(
        "{}\n{}",
        for_each_hcl(&renamed),
        role_hcl("entra", "app@contoso.com", &[("login", "true")])
    );
    // Move the Entra principal out of the for_each so it can be renamed by address.
    let moved = format!(
        "{single}\nmoved {{\n  from = dbre_role.odd[\"app@contoso.com\"]\n  to   = dbre_role.entra\n}}\n"
    );
    tf.write_config(&config(&admin, &moved))?;
    tf.apply(&[])?;
    let renamed_cfg = moved.replace(
        "name = \"app@contoso.com\"",
        "name = \"svc.app@contoso.onmicrosoft.com\"",
    );
    tf.write_config(&config(&admin, &renamed_cfg))?;
    assert_updated_in_place(&tf.assert_changes()?.stdout, "dbre_role.entra");
    tf.apply(&[])?;
    assert_eq!(
        existing_role(&su, "svc.app@contoso.onmicrosoft.com")?.oid,
        oid
    );
    assert_eq!(catalog_role(&su, "app@contoso.com")?, None);
    tf.assert_no_changes()?;

    tf.destroy(&[])?;
    for name in ODD_NAMES {
        assert_eq!(catalog_role(&su, name)?, None, "{name} still exists");
    }
    assert_eq!(catalog_role(&su, "svc.app@contoso.onmicrosoft.com")?, None);
    Ok(())
}

#[test]
fn odd_names_import_by_name() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    let su = pg.superuser();
    let names = ["user@contoso.com", "quote\"d. name", "Ünïcødé"];
    for name in names {
        admin.execute(&format!("CREATE ROLE {} LOGIN", quote_ident(name)))?;
    }

    // Import blocks: the id is the role name, exactly.
    let mut body = String::new();
    for (i, name) in names.iter().enumerate() {
        body.push_str(&format!(
            "import {{\n  to = dbre_role.r{i}\n  id = {}\n}}\n{}\n",
            hcl_string(name),
            role_hcl(&format!("r{i}"), name, &[("login", "true")])
        ));
    }
    let tf = workspace(&admin, &config(&admin, &body))?;
    let plan = tf.plan(&[])?;
    assert!(
        plan.stdout
            .contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    tf.apply(&[])?;
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            state_oid(&tf, &format!("dbre_role.r{i}"))?,
            existing_role(&su, name)?.oid
        );
    }
    tf.assert_no_changes()?;

    // The `terraform import` command takes the same id.
    let cli_name = "cli import@contoso.com";
    admin.execute(&format!("CREATE ROLE {}", quote_ident(cli_name)))?;
    let body = format!("{body}\n{}", role_hcl("cli", cli_name, &[]));
    tf.write_config(&config(&admin, &body))?;
    tf.import("dbre_role.cli", cli_name)?;
    assert_eq!(
        state_oid(&tf, "dbre_role.cli")?,
        existing_role(&su, cli_name)?.oid
    );
    tf.assert_no_changes()?;
    Ok(())
}
