//! Role memberships against a real PostgreSQL, through the engine layer: grant, options in
//! place, adopt, revoke, odd names, and many writers on one membership at once (the same
//! catalog row updated concurrently, which without the locks fails with `tuple concurrently
//! updated`), and the membership snapshot refreshes read from (exact, shared, and forgotten by
//! every write of ours).

mod harness;

use std::sync::Arc;

use dbre_e2e::PgServer;
use dbre_provider::pg::memberships::MembershipSpec;
use dbre_provider::pg::{Pools, RoleSpec, Server};
use harness::psql_super;

fn spec(role: &str, member: &str, admin: bool) -> MembershipSpec {
    MembershipSpec {
        role: role.into(),
        member: member.into(),
        admin_option: admin,
        inherit_option: None,
        set_option: None,
    }
}

async fn server_and_major(pg: &PgServer) -> (Server, i32) {
    let server = Server::new(&Pools::new(), harness::admin(pg));
    let major = server.check().await.expect("check").major();
    (server, major)
}

/// Created by the admin itself, as on a managed service (on PostgreSQL 16+ that is what gives
/// it ADMIN OPTION on them).
async fn create_roles(server: &Server, names: &[&str]) {
    for name in names {
        let spec = RoleSpec {
            name: name.to_string(),
            ..RoleSpec::default()
        };
        server
            .create_role(&spec, None)
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
    }
}

/// `admin_option` of each row for the pair, as text ("t,f"), ordered by grantor.
fn rows(pg: &PgServer, role: &str, member: &str) -> String {
    psql_super(
        pg,
        "postgres",
        &format!(
            "SELECT coalesce(string_agg(m.admin_option::text, ',' ORDER BY m.grantor), '') \
             FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
             JOIN pg_roles u ON u.oid = m.member \
             WHERE r.rolname = {} AND u.rolname = {}",
            dbre_e2e::quote_literal(role),
            dbre_e2e::quote_literal(member)
        ),
    )
}

#[tokio::test]
async fn grant_change_adopt_and_revoke_with_odd_names() {
    let pg = harness::start();
    let role = "grp \"ops\".a/b,c%";
    let member = "user@contoso.com ünï";
    let (server, major) = server_and_major(&pg).await;
    create_roles(&server, &[role, member]).await;

    assert_eq!(
        server.read_membership(major, role, member).await.unwrap(),
        None
    );
    let m = server
        .set_membership(major, &spec(role, member, false))
        .await
        .unwrap();
    assert!(!m.admin_option());
    assert_eq!(rows(&pg, role, member), "false");

    let m = server
        .set_membership(major, &spec(role, member, true))
        .await
        .unwrap();
    assert!(m.admin_option());
    assert_eq!(rows(&pg, role, member), "true");
    let m = server
        .set_membership(major, &spec(role, member, false))
        .await
        .unwrap();
    assert!(!m.admin_option());
    assert_eq!(rows(&pg, role, member), "false");

    server.revoke_membership(major, role, member).await.unwrap();
    assert_eq!(rows(&pg, role, member), "");
    // Revoking what is not there, or between roles that do not exist, is not an error.
    server.revoke_membership(major, role, member).await.unwrap();
    server
        .revoke_membership(major, "no_such_role", member)
        .await
        .unwrap();
    assert_eq!(
        server
            .read_membership(major, "no_such_role", member)
            .await
            .unwrap(),
        None
    );

    // Made outside by a superuser, with ADMIN OPTION: adopted and brought to the spec — on
    // PostgreSQL 15. On 16+ that row is the superuser's, which the admin may not change: refused
    // as a whole, naming the grantor.
    pg.superuser()
        .execute(&format!(
            "GRANT {} TO {} WITH ADMIN OPTION",
            dbre_e2e::quote_ident(role),
            dbre_e2e::quote_ident(member)
        ))
        .unwrap();
    let result = server
        .set_membership(major, &spec(role, member, false))
        .await;
    if major < 16 {
        result.unwrap();
        assert_eq!(rows(&pg, role, member), "false");
    } else {
        let err = result.unwrap_err().to_string();
        let superuser = pg.superuser().user;
        assert!(
            err.contains(&format!("as granted by \"{superuser}\""))
                && err.contains("Nothing was changed"),
            "{err}"
        );
        assert_eq!(rows(&pg, role, member), "true");
    }
}

#[tokio::test]
async fn refused_grants_change_nothing_and_say_why() {
    let pg = harness::start();
    let (server, major) = server_and_major(&pg).await;
    create_roles(&server, &["member_x"]).await;
    // The bootstrap superuser role: no CREATEROLE admin may grant membership in it.
    let superuser = pg.superuser().user;
    let err = server
        .set_membership(major, &spec(&superuser, "member_x", false))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Nothing was changed"), "{err}");
    assert!(err.contains("member_x"), "{err}");
    assert_eq!(rows(&pg, &superuser, "member_x"), "");
}

/// 24 writers flip ADMIN OPTION of ONE membership (one catalog row) and 24 more grant other
/// members into the same role, all at once on a pool of 4: every call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_one_role_all_succeed() {
    let pg = harness::start();
    let mut names: Vec<String> = (0..24).map(|i| format!("crowd_{i}")).collect();
    names.push("crowd".into());
    names.push("hot".into());
    let (server, major) = server_and_major(&pg).await;
    create_roles(
        &server,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let server = Arc::new(server);
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = server.clone();
        tasks.push(tokio::spawn(async move {
            s.set_membership(major, &spec("crowd", "hot", i % 2 == 0))
                .await
                .map(drop)
        }));
        let s = server.clone();
        tasks.push(tokio::spawn(async move {
            s.set_membership(major, &spec("crowd", &format!("crowd_{i}"), i % 3 == 0))
                .await
                .map(drop)
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.expect("task") {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let count = psql_super(
        &pg,
        "postgres",
        "SELECT count(DISTINCT m.member) FROM pg_auth_members m \
         JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member \
         WHERE r.rolname = 'crowd' AND (u.rolname LIKE 'crowd\\_%' OR u.rolname = 'hot')",
    );
    assert_eq!(count, "25");
}

/// The snapshot reads each membership exactly as the one-membership read does, is shared by
/// readers (one query), and is never served after one of our membership or role writes.
#[tokio::test]
async fn snapshot_matches_single_reads_and_our_writes_refresh_it() {
    let pg = harness::start();
    let (server, major) = server_and_major(&pg).await;
    let group = "snap grp/\"x\"";
    create_roles(&server, &[group, "snap_a", "snap_b", "snap_c"]).await;
    server
        .set_membership(major, &spec(group, "snap_a", true))
        .await
        .unwrap();
    // Made outside Terraform; our next write makes the snapshot read it.
    pg.superuser()
        .execute(&format!(
            "GRANT {} TO snap_b, snap_c",
            dbre_e2e::quote_ident(group)
        ))
        .unwrap();
    server
        .set_membership(major, &spec(group, "snap_c", true))
        .await
        .unwrap();

    let first = server.membership_catalog(major).await.unwrap();
    let again = server.membership_catalog(major).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again), "readers share one read");
    for member in ["snap_a", "snap_b", "snap_c"] {
        let single = server.read_membership(major, group, member).await.unwrap();
        assert!(single.is_some(), "{member}");
        assert_eq!(first.get(group, member), single.as_ref(), "{member}");
    }
    assert!(first.get(group, "snap_a").unwrap().admin_option());
    assert!(!first.get(group, "snap_b").unwrap().admin_option());
    assert!(first.get("snap_a", group).is_none(), "direction matters");

    // A revoke of ours: the next read no longer has it.
    server
        .revoke_membership(major, group, "snap_a")
        .await
        .unwrap();
    let after_revoke = server.membership_catalog(major).await.unwrap();
    assert!(after_revoke.get(group, "snap_a").is_none());
    assert!(after_revoke.get(group, "snap_b").is_some());

    // Role writes change names and drop rows: the snapshot follows.
    server.rename_role("snap_b", "snap_b2").await.unwrap();
    let after_rename = server.membership_catalog(major).await.unwrap();
    assert!(after_rename.get(group, "snap_b").is_none());
    assert!(after_rename.get(group, "snap_b2").is_some());
    server.drop_role("snap_c", None).await.unwrap();
    let after_drop = server.membership_catalog(major).await.unwrap();
    assert!(after_drop.get(group, "snap_c").is_none());
    assert_eq!(
        after_drop.get(group, "snap_b2"),
        server
            .read_membership(major, group, "snap_b2")
            .await
            .unwrap()
            .as_ref()
    );
}
