//! Shared helpers for the `dbre_role` / `dbre_roles` end-to-end tests: the catalog as a user
//! would inspect it with psql, and HCL for role resources.
//!
//! Each test file includes this with `mod support;` and uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};
use dbre_e2e::{hcl_string, quote_literal, required_providers_hcl, ConnInfo, TfWorkspace};
use serde_json::Value;

/// One row of `pg_roles` (plus the comment), as text the way psql prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRole {
    pub oid: String,
    pub login: bool,
    pub superuser: bool,
    pub create_database: bool,
    pub create_role: bool,
    pub inherit: bool,
    pub replication: bool,
    pub bypass_row_level_security: bool,
    pub connection_limit: i32,
    /// `rolvaliduntil` in UTC as the server prints it, e.g. `2030-01-01 00:00:00+00`.
    pub valid_until: Option<String>,
    pub comment: Option<String>,
}

/// The role called `name` as the catalog has it, or `None`. Runs as `conn` (a superuser
/// connection is the usual choice: it sees everything).
pub fn catalog_role(conn: &ConnInfo, name: &str) -> Result<Option<CatalogRole>> {
    let rows = conn.psql(&format!(
        "SET TIME ZONE 'UTC'; \
         SELECT r.oid, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit, \
                r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil, \
                shobj_description(r.oid, 'pg_authid') \
         FROM pg_roles r WHERE r.rolname = {}",
        quote_literal(name)
    ))?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let text = |i: usize| row[i].clone().unwrap_or_default();
    let flag = |i: usize| text(i) == "t";
    Ok(Some(CatalogRole {
        oid: text(0),
        login: flag(1),
        superuser: flag(2),
        create_database: flag(3),
        create_role: flag(4),
        inherit: flag(5),
        replication: flag(6),
        bypass_row_level_security: flag(7),
        connection_limit: text(8).parse().context("rolconnlimit")?,
        valid_until: row[9].clone(),
        comment: row[10].clone(),
    }))
}

/// Like [`catalog_role`] but fails when the role does not exist.
pub fn existing_role(conn: &ConnInfo, name: &str) -> Result<CatalogRole> {
    catalog_role(conn, name)?.with_context(|| format!("role {name:?} is not in pg_roles"))
}

/// How many roles whose names start with `prefix` exist.
pub fn count_roles_with_prefix(conn: &ConnInfo, prefix: &str) -> Result<usize> {
    let n = conn
        .scalar(&format!(
            "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, {})",
            quote_literal(prefix)
        ))?
        .unwrap_or_default();
    Ok(n.parse()?)
}

/// The connection `base` would make, but as `user` with `password` (to check a role can log in).
pub fn as_user(base: &ConnInfo, user: &str, password: &str) -> ConnInfo {
    ConnInfo {
        user: user.to_string(),
        password: password.to_string(),
        ..base.clone()
    }
}

/// `required_providers` plus a provider block for `conn`, then `body`.
pub fn config(conn: &ConnInfo, body: &str) -> String {
    format!(
        "{}\n{}\n{body}",
        required_providers_hcl(),
        conn.provider_hcl()
    )
}

/// `required_providers` and an empty provider block: every connection detail from `PG*`.
pub fn config_from_env(body: &str) -> String {
    format!(
        "{}\nprovider \"dbre\" {{}}\n\n{body}",
        required_providers_hcl()
    )
}

/// `resource "dbre_role" "<label>" { name = <name> <extra lines> }`.
pub fn role_hcl(label: &str, name: &str, extra: &[(&str, &str)]) -> String {
    let mut out = format!(
        "resource \"dbre_role\" \"{label}\" {{\n  name = {}\n",
        hcl_string(name)
    );
    for (key, value) in extra {
        out.push_str(&format!("  {key} = {value}\n"));
    }
    out.push_str("}\n");
    out
}

/// A workspace wired to `conn` through the `PG*` variables and initialised with `hcl`.
pub fn workspace(conn: &ConnInfo, hcl: &str) -> Result<TfWorkspace> {
    let mut tf = TfWorkspace::with_provider()?;
    tf.set_pg_env(conn);
    tf.write_config(hcl)?;
    tf.init()?;
    Ok(tf)
}

/// The state's attribute values of the resource at `address` (from `terraform show -json`).
pub fn state_values(tf: &TfWorkspace, address: &str) -> Result<Value> {
    let state = tf.show_json()?;
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match resources.into_iter().find(|r| r["address"] == address) {
        Some(r) => Ok(r["values"].clone()),
        None => bail!("{address} is not in the state: {state:#}"),
    }
}

/// The `oid` Terraform keeps in state for `address`, as text (the way psql prints oids).
pub fn state_oid(tf: &TfWorkspace, address: &str) -> Result<String> {
    let values = state_values(tf, address)?;
    match &values["oid"] {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        other => bail!("{address}.oid in state is {other}, not a number"),
    }
}

/// The raw state file (what `terraform.tfstate` holds on disk), for "the secret is not in it".
pub fn raw_state(tf: &TfWorkspace) -> Result<String> {
    std::fs::read_to_string(tf.dir().join("terraform.tfstate")).context("reading terraform.tfstate")
}

/// Fails unless `plan` (plan output) shows `address` updated in place, with no replacement.
pub fn assert_updated_in_place(plan: &str, address: &str) {
    assert!(
        plan.contains(&format!("# {address} will be updated in-place")),
        "expected {address} to be updated in place:\n{plan}"
    );
    assert!(
        !plan.contains("must be replaced") && !plan.contains("will be destroyed"),
        "expected no replacement:\n{plan}"
    );
}

/// How many diagnostics of severity error Terraform printed (`Error: ` headings, `-no-color`).
pub fn error_count(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| {
            l.trim_start_matches(|c: char| c.is_whitespace() || c == '│')
                .starts_with("Error: ")
        })
        .count()
}

/// Every row `sql` returns on `conn`, its columns joined with `|` (NULL as empty): catalog facts
/// compared as sets.
pub fn rows(conn: &ConnInfo, sql: &str) -> Result<BTreeSet<String>> {
    Ok(conn
        .psql(sql)?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect())
}

/// How many roles `member` is a member of (`pg_auth_members` rows, asked as `su`): a login
/// that borrowed memberships to act for owners must have given every one back.
pub fn memberships_of(su: &ConnInfo, member: &str) -> Result<usize> {
    let n = su
        .scalar(&format!(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member \
             WHERE r.rolname = {}",
            quote_literal(member)
        ))?
        .unwrap_or_default();
    Ok(n.parse()?)
}

/// The state file's entries (as Terraform writes them, pretty JSON) of every resource of
/// `type_name`: how much state those resources cost.
pub fn resources_json(tf: &TfWorkspace, type_name: &str) -> Result<String> {
    let raw: serde_json::Value = serde_json::from_str(&raw_state(tf)?)?;
    let entries: Vec<serde_json::Value> = raw["resources"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|r| r["type"] == type_name)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(serde_json::to_string_pretty(&entries)?)
}
