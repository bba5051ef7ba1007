//! Shared helpers for the `dbre_grant` end-to-end tests: privileges as the catalog shows them
//! (plain SQL as the superuser, independent of the provider's code) and HCL for grants.
//! Include it after `mod support;`, whose workspace and config helpers it re-exports.
#![allow(dead_code)]

use anyhow::Result;
use dbre_e2e::{hcl_string, quote_literal, ConnInfo};

// The role tests' helpers that grant tests use as they are.
#[allow(unused_imports)] // each test file uses a part
pub use super::support::{config, error_count, memberships_of, workspace};

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
