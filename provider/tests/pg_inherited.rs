//! The membership closure against the server's own answer: for every role of a small web
//! (chains, NOINHERIT members, a cycle-free diamond, the database owner), the roles
//! `read_membership` returns are exactly those `pg_has_role(role, x, 'USAGE')` — PostgreSQL's
//! "has the privileges of" — says yes to; and `closure_from_snapshots` (no query, from the
//! server's role, membership and ACL snapshots) agrees with it for every role.

mod harness;

use std::collections::BTreeSet;

use dbre_provider::pg::inherited::{closure_from_snapshots, read_membership};
use dbre_provider::pg::{ObjectType, Pools, Server, PUBLIC};
use harness::Settings;

#[tokio::test]
async fn closure_equals_pg_has_role_usage() {
    let pg = harness::start();
    let su = pg.superuser();
    su.execute(
        "CREATE ROLE top; CREATE ROLE mid; CREATE ROLE mid_noinherit NOINHERIT; \
         CREATE ROLE leaf; CREATE ROLE leaf_noinherit NOINHERIT; CREATE ROLE side; \
         CREATE ROLE dbowner; CREATE ROLE \"odd \"\"r\"\"/@\"; CREATE ROLE su_role SUPERUSER; \
         GRANT top TO mid; GRANT top TO mid_noinherit; GRANT mid TO leaf; \
         GRANT mid_noinherit TO leaf; GRANT mid TO leaf_noinherit; GRANT side TO leaf; \
         GRANT top TO side; GRANT leaf TO \"odd \"\"r\"\"/@\"; GRANT pg_read_all_data TO mid",
    )
    .unwrap();
    su.execute("CREATE DATABASE app OWNER dbowner").unwrap();
    let app = su.with_database("app");
    let server = Server::new(&Pools::new(), app.settings());
    let client = server.client("app").await.unwrap();

    let roles = [
        "top",
        "mid",
        "mid_noinherit",
        "leaf",
        "leaf_noinherit",
        "side",
        "dbowner",
        "odd \"r\"/@",
        "su_role",
    ];
    for role in roles {
        let got = read_membership(&*client, role, 15)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{role} exists"));
        let want: BTreeSet<u32> = app
            .query(
                "SELECT oid FROM pg_roles WHERE pg_has_role($1::text, oid, 'USAGE')",
                &[&role],
            )
            .unwrap()
            .iter()
            .map(|r| r.get::<_, u32>(0))
            .collect();
        assert_eq!(got.superuser, role == "su_role", "role {role:?}");
        if got.superuser {
            // A superuser "has the privileges of" every role; `superuser` says so instead.
            assert!(want.len() > got.roles.len());
            continue;
        }
        assert_eq!(got.roles, want, "role {role:?}");
        let reads_all = got.predefined.contains("pg_read_all_data");
        assert_eq!(
            reads_all,
            ["mid", "leaf", "odd \"r\"/@"].contains(&role),
            "role {role:?}: {:?}",
            got.predefined
        );
    }
    let dbowner = read_membership(&*client, "dbowner", 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dbowner.roles.len(), 2, "itself and pg_database_owner");

    let public = read_membership(&*client, "public", 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.role, PUBLIC);
    assert!(public.roles.is_empty());
    assert!(read_membership(&*client, "nobody", 15)
        .await
        .unwrap()
        .is_none());
    // The same answers from the snapshots, for every role (and PUBLIC, and a missing role).
    let role_catalog = server.role_catalog().await.unwrap();
    let memberships = server.membership_catalog(15).await.unwrap();
    let acls = server.database_acls("app", 15).await.unwrap();
    let owner = acls
        .find(ObjectType::Database, None, "app", None)
        .map(|d| d.owner);
    assert!(owner.is_some(), "the ACL snapshot has the database's owner");
    for role in roles.iter().copied().chain(["public", "nobody"]) {
        let queried = read_membership(&*client, role, 15).await.unwrap();
        let computed = closure_from_snapshots(role, &role_catalog, &memberships, owner, 15);
        assert_eq!(computed, queried, "role {role:?}");
    }
}
