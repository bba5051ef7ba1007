//! Roles against a real PostgreSQL, as the superuser and as a non-superuser admin
//! (CREATEROLE CREATEDB, like managed services): odd names round-trip through the quoting
//! functions, CRUD, rename, passwords, listing, and dropping roles that own things in several
//! databases.

mod harness;

use dbre_e2e::PgServer;
use dbre_provider::pg::roles::{self, NamePattern, RoleSpec};
use dbre_provider::pg::{ConnSettings, DependencyKind, PgError, Pools, Server};
use harness::{psql_super, Settings};

const ODD_NAMES: &[&str] = &[
    "plain",
    "MixedCase",
    "with space",
    "dot.ted",
    "app@contoso.com",
    r#"quo"te"#,
    "it's",
    r"back\slash",
    "rôle-日本-ñ",
    "select",
    "x\"; DROP ROLE postgres; --",
    "  padded  ",
];

fn as_who(pg: &PgServer) -> [(&'static str, ConnSettings); 2] {
    [
        ("superuser", pg.superuser().settings()),
        ("admin", harness::admin(pg)),
    ]
}

#[tokio::test]
async fn odd_names_round_trip_through_create_read_comment_rename_drop() {
    let pg = harness::start();
    let pools = Pools::new();
    for (who, settings) in as_who(&pg) {
        let server = Server::new(&pools, settings);
        for (i, name) in ODD_NAMES.iter().enumerate() {
            let name = format!("{name}{who}{i}");
            let comment = format!("comment for {name}: it's \\ \"odd\"");
            let spec = RoleSpec {
                name: name.clone(),
                login: true,
                comment: Some(comment.clone()),
                ..RoleSpec::default()
            };
            let client = server.maintenance().await.unwrap();
            let created = server.create_role(&spec, Some("pw'\\\"x")).await.unwrap();
            assert_eq!(created.spec, spec, "{who}: {name}");
            // The catalog, read independently, has exactly this name and comment.
            let listed = psql_super(
                &pg,
                "postgres",
                &format!(
                    "SELECT rolname || '|' || coalesce(shobj_description(oid, 'pg_authid'), '') \
                     FROM pg_roles WHERE oid = {}",
                    created.oid
                ),
            );
            assert_eq!(listed, format!("{name}|{comment}"));

            let by_oid = roles::read_role_by_oid(&*client, created.oid)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(by_oid, created);

            let renamed = format!("{name} renamed");
            server.rename_role(&name, &renamed).await.unwrap();
            assert!(roles::read_role(&*client, &name).await.unwrap().is_none());
            let after = roles::read_role(&*client, &renamed).await.unwrap().unwrap();
            assert_eq!(after.oid, created.oid);
            drop(client);

            server.drop_role(&renamed, None).await.unwrap();
            let client = server.maintenance().await.unwrap();
            assert!(roles::read_role_by_oid(&*client, created.oid)
                .await
                .unwrap()
                .is_none());
        }
    }
}

#[tokio::test]
async fn alter_changes_only_what_changed_and_reads_back_the_state() {
    let pg = harness::start();
    let pools = Pools::new();
    for (who, settings) in as_who(&pg) {
        let server = Server::new(&pools, settings);
        let client = server.maintenance().await.unwrap();
        let name = format!("alter_{who}");
        let spec = RoleSpec {
            name: name.clone(),
            ..RoleSpec::default()
        };
        let created = server.create_role(&spec, None).await.unwrap();
        assert_eq!(created.spec.valid_until, None);

        let desired = RoleSpec {
            name: format!("{name} v2"),
            login: true,
            create_database: true,
            create_role: true,
            inherit: false,
            connection_limit: 7,
            valid_until: Some("2031-02-03 04:05:06+00".into()),
            comment: Some("now with a comment".into()),
            ..spec.clone()
        };
        let after = server.alter_role(&spec, &desired).await.unwrap();
        assert_eq!(after.oid, created.oid, "{who}: rename in place");
        assert_eq!(after.spec, desired, "{who}");

        // 'infinity' and no expiry are the same thing.
        let back = RoleSpec {
            valid_until: None,
            comment: None,
            ..desired.clone()
        };
        let after = server.alter_role(&desired, &back).await.unwrap();
        assert_eq!(after.spec, back);
        let stored = psql_super(
            &pg,
            "postgres",
            &format!(
                "SELECT rolvaliduntil FROM pg_roles WHERE oid = {}",
                created.oid
            ),
        );
        assert_eq!(stored, "infinity");
        // A timestamp given in another zone reads back in UTC.
        let tz = RoleSpec {
            valid_until: Some("2031-02-03 06:05:06+02".into()),
            ..back.clone()
        };
        let after = server.alter_role(&back, &tz).await.unwrap();
        assert_eq!(
            after.spec.valid_until.as_deref(),
            Some("2031-02-03 04:05:06+00")
        );
        // What a plan can use to see that two spellings are the same instant.
        let c = server.maintenance().await.unwrap();
        let same = roles::normalize_valid_until(&*c, "2031-02-03 06:05:06+02")
            .await
            .unwrap();
        assert_eq!(same, after.spec.valid_until);
        assert_eq!(
            roles::normalize_valid_until(&*c, "infinity").await.unwrap(),
            None
        );
        let err = roles::normalize_valid_until(&*c, "next tuesday")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a timestamp"), "{err}");
        drop(c);
        drop(client);
        server.drop_role(&back.name, None).await.unwrap();
    }
}

#[tokio::test]
async fn non_superuser_admin_cannot_create_superusers_and_says_why() {
    let pg = harness::start();
    let pools = Pools::new();
    let server = Server::new(&pools, harness::admin(&pg));
    let spec = RoleSpec {
        name: "wants_super".into(),
        superuser: true,
        ..RoleSpec::default()
    };
    let err = server
        .create_role(&spec, Some("hunter2-secret"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("creating role \"wants_super\""), "{text}");
    assert!(text.contains("superuser"), "{text}");
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert_eq!(err.code(), Some("42501"));
}

#[tokio::test]
async fn passwords_work_for_login_and_never_travel_in_clear() {
    let pg = harness::start();
    let pools = Pools::new();
    for (who, settings) in as_who(&pg) {
        let server = Server::new(&pools, settings);
        let client = server.maintenance().await.unwrap();
        let name = format!("app@{who}.example");
        let password = format!("first-'pw'-{who}");
        let spec = RoleSpec {
            name: name.clone(),
            login: true,
            ..RoleSpec::default()
        };
        server.create_role(&spec, Some(&password)).await.unwrap();
        // The role can log in with it.
        let login = Server::new(&pools, harness::user(&pg, &name, &password));
        assert_eq!(login.check().await.unwrap().current_user, name);
        // Stored as SCRAM (hashed by us: the clear text never reached the server's log).
        let stored = psql_super(
            &pg,
            "postgres",
            &format!(
                "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '{}'",
                name.replace('\'', "''")
            ),
        );
        assert_eq!(stored, "SCRAM-SHA-256$");
        assert!(!pg.log().contains(&password));

        let rotated = format!("second-pw-{who}");
        server
            .set_role_password(&name, Some(&rotated))
            .await
            .unwrap();
        let login = Server::new(&pools, harness::user(&pg, &name, &rotated));
        login.check().await.unwrap();
        // (A fresh registry: the shared one would hand back the connection opened above.)
        let old = Server::new(&Pools::new(), harness::user(&pg, &name, &password));
        assert!(old.check().await.is_err());
        drop(client);
        server.drop_role(&name, None).await.unwrap();
    }
}

#[tokio::test]
async fn list_roles_by_like_and_regex_patterns() {
    let pg = harness::start();
    let pools = Pools::new();
    let server = Server::new(&pools, harness::admin(&pg));
    let client = server.maintenance().await.unwrap();
    for name in ["team_a_read", "team_a_write", "team_b_read", "team%odd"] {
        let spec = RoleSpec {
            name: name.into(),
            connection_limit: 5,
            ..RoleSpec::default()
        };
        server.create_role(&spec, None).await.unwrap();
    }
    let names = |v: Vec<roles::RoleState>| v.into_iter().map(|r| r.spec.name).collect::<Vec<_>>();
    let like = roles::list_roles(&*client, &NamePattern::Like("team_a%".into()), false)
        .await
        .unwrap();
    assert_eq!(names(like.clone()), ["team_a_read", "team_a_write"]);
    assert!(like.iter().all(|r| r.spec.connection_limit == 5));
    let regex = roles::list_roles(&*client, &NamePattern::Regex("^team_._read$".into()), false)
        .await
        .unwrap();
    assert_eq!(names(regex), ["team_a_read", "team_b_read"]);
    // The pattern is data, not SQL.
    let nasty = roles::list_roles(&*client, &NamePattern::Like("x' OR '1'='1".into()), false)
        .await
        .unwrap();
    assert!(nasty.is_empty());
    let escaped = roles::list_roles(&*client, &NamePattern::Like(r"team\%%".into()), false)
        .await
        .unwrap();
    assert_eq!(names(escaped), ["team%odd"]);
    let bulk = roles::read_roles(
        &*client,
        &[
            "team_b_read".to_string(),
            "missing".to_string(),
            "team%odd".to_string(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(names(bulk), ["team%odd", "team_b_read"]);
    let all = roles::list_roles(&*client, &NamePattern::All, false)
        .await
        .unwrap();
    assert!(all.iter().all(|r| !r.spec.name.starts_with("pg_")));
    let with_builtin = roles::list_roles(&*client, &NamePattern::All, true)
        .await
        .unwrap();
    assert!(with_builtin
        .iter()
        .any(|r| r.spec.name == "pg_read_all_data"));
}

/// Two databases where `owner_role` owns a table and holds privileges on another one, made the
/// way it happens on a managed service: the admin creates the databases, the role creates its
/// own table.
async fn role_with_objects_in_two_databases(
    pg: &PgServer,
    server: &Server,
    who: &str,
) -> (String, [String; 2]) {
    let role = format!("leaver@{who}");
    let dbs = [format!("db one {who}"), format!("db.two.{who}")];
    let client = server.maintenance().await.unwrap();
    let spec = RoleSpec {
        name: role.clone(),
        login: true,
        ..RoleSpec::default()
    };
    server.create_role(&spec, Some("leaver-pw")).await.unwrap();
    for db in &dbs {
        client
            .batch_execute(&format!(
                "CREATE DATABASE {}",
                dbre_provider::pg::quote_ident(db).unwrap()
            ))
            .await
            .unwrap();
    }
    drop(client);
    for db in &dbs {
        let c = server.client(db).await.unwrap();
        c.batch_execute(&format!(
            "CREATE TABLE shared_t (id int); GRANT SELECT, INSERT ON shared_t TO {r}; GRANT CREATE ON SCHEMA public TO {r}",
            r = dbre_provider::pg::quote_ident(&role).unwrap()
        ))
        .await
        .unwrap();
    }
    // The role creates its own objects.
    let as_role = Server::new(&Pools::new(), harness::user(pg, &role, "leaver-pw"));
    for db in &dbs {
        let c = as_role.client(db).await.unwrap();
        c.batch_execute("CREATE TABLE owned_t (id int); CREATE SEQUENCE owned_s")
            .await
            .unwrap();
    }
    // And it owns the second database itself (a shared object, listed cluster-wide).
    psql_super(
        pg,
        "postgres",
        &format!(
            "ALTER DATABASE {} OWNER TO {}",
            dbre_provider::pg::quote_ident(&dbs[1]).unwrap(),
            dbre_provider::pg::quote_ident(&role).unwrap()
        ),
    );
    (role, dbs)
}

#[tokio::test]
async fn dropping_a_role_with_objects_elsewhere_lists_them_or_reassigns_everywhere() {
    let pg = harness::start();
    let pools = Pools::new();
    for (who, settings) in as_who(&pg) {
        let server = Server::new(&pools, settings);
        let (role, dbs) = role_with_objects_in_two_databases(&pg, &server, who).await;

        // What it owns and holds, per database, described by each database.
        let deps = server.dependents(&role).await.unwrap();
        for db in &dbs {
            let d = deps
                .iter()
                .find(|d| d.database.as_deref() == Some(db.as_str()));
            let d = d.unwrap_or_else(|| panic!("{who}: no dependents listed for {db}: {deps:?}"));
            let has = |kind, what: &str| {
                d.objects
                    .iter()
                    .any(|o| o.kind == kind && o.description == what)
            };
            assert!(has(DependencyKind::Owner, "table owned_t"), "{who}: {d:?}");
            assert!(
                has(DependencyKind::Owner, "sequence owned_s"),
                "{who}: {d:?}"
            );
            assert!(
                has(DependencyKind::Privileges, "table shared_t"),
                "{who}: {d:?}"
            );
            assert!(
                has(DependencyKind::Privileges, "schema public"),
                "{who}: {d:?}"
            );
        }

        let shared = deps
            .iter()
            .find(|d| d.database.is_none())
            .expect("cluster-wide entry");
        assert_eq!(shared.objects.len(), 1, "{shared:?}");
        assert_eq!(
            shared.objects[0].to_string(),
            format!("owner of database {}", dbs[1])
        );

        // Without a role to reassign to: refused, untouched, and the error says where.
        let err = server.drop_role(&role, None).await.unwrap_err();
        let text = err.to_string();
        println!("{text}");
        assert!(matches!(err, PgError::RoleHasDependents { .. }));
        for db in &dbs {
            assert!(text.contains(&format!("database \"{db}\": ")), "{text}");
        }
        assert!(text.contains("owner of table owned_t"), "{text}");
        assert!(text.contains("privileges on table shared_t"), "{text}");
        let c = server.maintenance().await.unwrap();
        assert!(roles::read_role(&*c, &role).await.unwrap().is_some());
        drop(c);

        // With one: REASSIGN + DROP OWNED in both databases, then the role is gone.
        let heir = format!("heir {who}");
        server
            .create_role(
                &RoleSpec {
                    name: heir.clone(),
                    ..RoleSpec::default()
                },
                None,
            )
            .await
            .unwrap();
        server.drop_role(&role, Some(&heir)).await.unwrap();
        let c = server.maintenance().await.unwrap();
        assert!(
            roles::read_role(&*c, &role).await.unwrap().is_none(),
            "{who}"
        );
        drop(c);
        for db in &dbs {
            let owners = psql_super(&pg, db,
                "SELECT string_agg(c.relname || '=' || pg_get_userbyid(c.relowner), ',' ORDER BY c.relname) \
                 FROM pg_class c WHERE c.relname IN ('owned_t', 'owned_s')",
            );
            assert_eq!(
                owners,
                format!("owned_s={heir},owned_t={heir}"),
                "{who} {db}"
            );
        }
        let db_owner = psql_super(
            &pg,
            "postgres",
            &format!(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{}'",
                dbs[1]
            ),
        );
        assert_eq!(db_owner, heir, "{who}");
        // The admin gave back what it borrowed.
        let me = server.check().await.unwrap().current_user;
        let still_member = psql_super(&pg, "postgres",
            &format!(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid \
                 WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = '{me}') AND r.rolname = '{}'",
                heir.replace('\'', "''")
            ),
        );
        assert_eq!(still_member, "0", "{who} kept membership in the heir");
        server.drop_role(&heir, Some(&me)).await.unwrap();
    }
}

#[tokio::test]
async fn dropping_a_missing_role_is_not_an_error() {
    let pg = harness::start();
    let server = Server::new(&Pools::new(), harness::admin(&pg));
    server.drop_role("never existed", None).await.unwrap();
    server
        .drop_role("never existed", Some("postgres"))
        .await
        .unwrap();
}

/// A NOINHERIT admin (PostgreSQL 15: `rolinherit = false`) holds the rights of the roles it is a
/// member of — its own memberships and those it borrows alike — only through SET ROLE. But
/// `REASSIGN OWNED` and `DROP OWNED` ask for the privileges of the dropped role AND of the heir
/// at once (`has_privs_of_role`, not mere membership), which no single SET ROLE gives: before
/// the fix this failed with "permission denied to reassign objects". The role owns a table and
/// holds grants on a table of an owner the admin is a NOINHERIT member of and on the admin's own
/// schema; afterwards it is gone, its table belongs to the heir, no grant is left behind, and the
/// admin is as it was (NOINHERIT, only its own membership).
#[tokio::test]
async fn a_noinherit_admin_reassigns_and_drops_a_role_with_objects_and_grants() {
    let pg = harness::start();
    psql_super(
        &pg,
        "postgres",
        "CREATE ROLE noinh LOGIN CREATEROLE CREATEDB NOINHERIT PASSWORD 'noinh-pw-42'; \
         CREATE ROLE app_owner; GRANT app_owner TO noinh; \
         CREATE ROLE \"leaver it's\" LOGIN; CREATE ROLE \"heir.x\";",
    );
    let server = Server::new(&Pools::new(), harness::user(&pg, "noinh", "noinh-pw-42"));
    let info = server.check().await.unwrap();
    assert!(!info.superuser);
    // The admin makes the database and a schema, as on a managed service.
    let c = server.maintenance().await.unwrap();
    c.batch_execute("CREATE DATABASE \"noinh db\"")
        .await
        .unwrap();
    drop(c);
    let c = server.client("noinh db").await.unwrap();
    c.batch_execute(
        "CREATE SCHEMA s; GRANT USAGE, CREATE ON SCHEMA s TO \"leaver it's\", app_owner",
    )
    .await
    .unwrap();
    drop(c);
    psql_super(
        &pg,
        "noinh db",
        "SET ROLE app_owner; CREATE TABLE s.app_t (id int); \
         GRANT SELECT, INSERT ON s.app_t TO \"leaver it's\"; RESET ROLE; \
         SET ROLE \"leaver it's\"; CREATE TABLE s.owned_t (id int); CREATE SEQUENCE s.owned_s; \
         RESET ROLE;",
    );

    server
        .drop_role("leaver it's", Some("heir.x"))
        .await
        .unwrap_or_else(|e| panic!("a NOINHERIT admin could not drop the role: {e}"));

    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT count(*) FROM pg_roles WHERE rolname = 'leaver it''s'"
        ),
        "0",
        "the role is gone"
    );
    assert_eq!(
        psql_super(
            &pg,
            "noinh db",
            "SELECT string_agg(c.relname || '=' || pg_get_userbyid(c.relowner), ',' ORDER BY c.relname) \
             FROM pg_class c WHERE c.relname IN ('owned_t', 'owned_s', 'app_t')"
        ),
        "app_t=app_owner,owned_s=heir.x,owned_t=heir.x"
    );
    assert_eq!(
        psql_super(
            &pg,
            "noinh db",
            "SELECT coalesce(string_agg(c.relname || ':' || a.privilege_type, ','), 'none') \
             FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.relname = 'app_t' AND a.grantee <> c.relowner"
        ),
        "none",
        "the grants it held are revoked with it"
    );
    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT r.rolinherit::text || ' ' || coalesce((SELECT string_agg(m.roleid::regrole::text, ',') \
               FROM pg_auth_members m WHERE m.member = r.oid), '') \
             FROM pg_roles r WHERE r.rolname = 'noinh'"
        ),
        "false app_owner",
        "the admin is left NOINHERIT with only its own membership"
    );
}

/// Parallel deletes by one NOINHERIT admin (Terraform destroys with parallelism): each flips the
/// login to INHERIT inside its own transactions, so they take turns rather than fail on the
/// login's catalog row; every role goes, and the admin ends as it began.
#[tokio::test]
async fn a_noinherit_admin_drops_roles_in_parallel() {
    let pg = harness::start();
    let mut setup = String::from(
        "CREATE ROLE noinh LOGIN CREATEROLE CREATEDB NOINHERIT PASSWORD 'noinh-pw-42'; \
         CREATE ROLE heir; CREATE SCHEMA s AUTHORIZATION noinh; ",
    );
    for i in 0..6 {
        setup.push_str(&format!(
            "CREATE ROLE leaver{i}; GRANT USAGE, CREATE ON SCHEMA s TO leaver{i}; \
             SET ROLE leaver{i}; CREATE TABLE s.t{i} (id int); RESET ROLE; "
        ));
    }
    psql_super(&pg, "postgres", &setup);
    let server = Server::new(&Pools::new(), harness::user(&pg, "noinh", "noinh-pw-42"));
    let names: Vec<String> = (0..6).map(|i| format!("leaver{i}")).collect();
    let drops = names.iter().map(|n| server.drop_role(n, Some("heir")));
    for (name, result) in names.iter().zip(futures::future::join_all(drops).await) {
        result.unwrap_or_else(|e| panic!("dropping {name}: {e}"));
    }
    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'leaver%'"
        ),
        "0"
    );
    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT count(*) FROM pg_class WHERE relname LIKE 't_' \
             AND relowner = 'heir'::regrole"
        ),
        "6"
    );
    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT r.rolinherit::text || ' ' || (SELECT count(*) FROM pg_auth_members m \
               WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = 'noinh'"
        ),
        "false 0"
    );
}
