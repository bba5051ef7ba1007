//! 200 `dbre_grant` resources on the same schema and tables — 20 roles × 10 grants, every
//! table named by 20 grants of different roles at once — applied with `-parallelism=20` by the
//! managed-service style admin (so every write also borrows the tables' owner): zero errors on
//! apply, destroy and apply again, the exact catalog at the end, and a refresh of the 200 that
//! opens no more connections than the pool allows.

mod grant_support;
mod support;

use anyhow::Result;
use dbre_e2e::{required_providers_hcl, PgServer};
use grant_support::*;

const ROLES: usize = 20;
const GRANTS_PER_ROLE: usize = 10;
const TABLES: usize = 20;
const MAX_CONNECTIONS: usize = 4;

fn hcl() -> String {
    format!(
        "{}\nprovider \"dbre\" {{\n  postgres {{\n    max_connections = {MAX_CONNECTIONS}\n  }}\n}}\n\n\
         resource \"dbre_grant\" \"many\" {{\n\
           count       = {total}\n\
           database    = \"app\"\n\
           role        = \"cr${{floor(count.index / {GRANTS_PER_ROLE})}}\"\n\
           object_type = \"table\"\n\
           schema      = \"bulk\"\n\
           objects     = [\"t${{(count.index % {GRANTS_PER_ROLE}) * 2}}\", \"t${{(count.index % {GRANTS_PER_ROLE}) * 2 + 1}}\"]\n\
           privileges  = count.index % 2 == 0 ? [\"SELECT\"] : [\"SELECT\", \"INSERT\"]\n\
         }}\n",
        required_providers_hcl(),
        total = ROLES * GRANTS_PER_ROLE,
    )
}

/// (role, table, privilege) triples granted in schema `bulk`, as the catalog has them.
fn granted(su: &dbre_e2e::ConnInfo) -> Result<Vec<(String, String, String)>> {
    let rows = su.psql(
        "SELECT r.rolname, c.relname, a.privilege_type \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, \
              aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee \
         WHERE n.nspname = 'bulk' AND r.rolname LIKE 'cr%' ORDER BY 1, 2, 3",
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = |i: usize| r[i].clone().unwrap_or_default();
            (t(0), t(1), t(2))
        })
        .collect())
}

fn expected() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for r in 0..ROLES {
        for g in 0..GRANTS_PER_ROLE {
            let i = r * GRANTS_PER_ROLE + g;
            for t in [g * 2, g * 2 + 1] {
                out.push((format!("cr{r}"), format!("t{t}"), "SELECT".to_string()));
                if i % 2 == 1 {
                    out.push((format!("cr{r}"), format!("t{t}"), "INSERT".to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn two_hundred_grants_on_the_same_tables_with_parallelism_20() -> Result<()> {
    let pg = PgServer::start()?;
    let admin = pg.create_admin("dbadmin", "admin-pw-42")?;
    pg.create_database("app")?;
    let su = pg.superuser().with_database("app");
    let mut setup = String::from(
        "CREATE ROLE bulk_owner; CREATE SCHEMA bulk AUTHORIZATION bulk_owner; SET ROLE bulk_owner;",
    );
    for t in 0..TABLES {
        setup.push_str(&format!("CREATE TABLE bulk.t{t} (id int);"));
    }
    setup.push_str("RESET ROLE;");
    for r in 0..ROLES {
        setup.push_str(&format!("CREATE ROLE cr{r};"));
    }
    su.execute(&setup)?;

    let mut tf = workspace(&admin, &hcl())?;
    tf.set_parallelism(20);
    let total = ROLES * GRANTS_PER_ROLE;

    for round in ["apply", "destroy", "apply again"] {
        let out = if round == "destroy" {
            tf.destroy(&[])?
        } else {
            tf.apply(&[])?
        };
        assert_eq!(error_count(&out.stderr), 0, "{round}: {out}");
        let summary = if round == "destroy" {
            format!("Destroy complete! Resources: {total} destroyed")
        } else {
            format!("Apply complete! Resources: {total} added")
        };
        assert!(out.stdout.contains(&summary), "{round}: {out}");
        let now = granted(&su)?;
        if round == "destroy" {
            assert!(now.is_empty(), "left after destroy: {now:?}");
        } else {
            assert_eq!(now, expected(), "{round}");
        }
    }
    // Nothing borrowed is kept.
    assert_eq!(memberships_of(&pg.superuser(), "dbadmin")?, 0);

    // A refresh of the 200 (20 at a time) answers from one ACL read, within the pool.
    let mark = pg.log_mark();
    let plan = tf.plan_detailed(&[])?;
    assert_eq!(plan.code, 0, "{plan}");
    let opened = pg.client_connections_since(mark);
    println!(
        "terraform plan of {total} dbre_grant (-parallelism=20, max_connections={MAX_CONNECTIONS}): \
         {} connections opened: {opened:?}",
        opened.len()
    );
    assert!(!opened.is_empty(), "the plan did not connect at all");
    // The pool of the grants' database, plus the maintenance connection of configure.
    assert!(
        opened.len() <= MAX_CONNECTIONS + 1,
        "{} connections for one plan (pool size {MAX_CONNECTIONS}): {opened:?}",
        opened.len()
    );
    Ok(())
}
