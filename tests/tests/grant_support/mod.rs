//! Shared helpers for the `dbre_grant` end-to-end tests: privileges as the catalog shows them
//! (plain SQL as the superuser, independent of the provider's code) and HCL for grants.
#![allow(dead_code)]

use anyhow::Result;
use dbre_e2e::{hcl_string, quote_literal, required_providers_hcl, ConnInfo, TfWorkspace};

/// What `role` holds on relation `rel` (a regclass literal such as `sales.orders`), one entry
/// per grantor as `aclexplode` lists it: `INSERT,SELECT*` (`*`: WITH GRANT OPTION).
pub fn rel_privs(su: &ConnInfo, role: &str, rel: &str) -> Result<String> {
    Ok(su
        .scalar(&format!(
            "SELECT coalesce(string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN '*' \
             ELSE '' END, ',' ORDER BY a.privilege_type, a.grantor), '') \
             FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.oid = {}::regclass \
               AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = {})",
            quote_literal(rel),
            quote_literal(role)
        ))?
        .unwrap_or_default())
}

/// `SELECT <expr>` as text, e.g. `has_database_privilege('r', 'app', 'CONNECT')` → "t"/"f".
pub fn ask(su: &ConnInfo, expr: &str) -> Result<String> {
    Ok(su.scalar(&format!("SELECT {expr}"))?.unwrap_or_default())
}

/// `resource "dbre_grant" "<label>" { … }` with the given attribute lines (values as HCL).
pub fn grant_hcl(label: &str, attrs: &[(&str, String)]) -> String {
    let mut out = format!("resource \"dbre_grant\" \"{label}\" {{\n");
    for (key, value) in attrs {
        out.push_str(&format!("  {key} = {value}\n"));
    }
    out.push_str("}\n");
    out
}

/// An HCL string.
pub fn s(value: &str) -> String {
    hcl_string(value)
}

/// An HCL list of strings.
pub fn l(values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(|v| hcl_string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// `required_providers` plus a provider block for `conn`, then `body`.
pub fn config(conn: &ConnInfo, body: &str) -> String {
    format!(
        "{}\n{}\n{body}",
        required_providers_hcl(),
        conn.provider_hcl()
    )
}

/// A workspace wired to `conn` and initialised with `hcl`.
pub fn workspace(conn: &ConnInfo, hcl: &str) -> Result<TfWorkspace> {
    let mut tf = TfWorkspace::with_provider()?;
    tf.set_pg_env(conn);
    tf.write_config(hcl)?;
    tf.init()?;
    Ok(tf)
}

/// How many diagnostics of severity error Terraform printed (`-no-color`).
pub fn error_count(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| {
            l.trim_start_matches(|c: char| c.is_whitespace() || c == '│')
                .starts_with("Error: ")
        })
        .count()
}
