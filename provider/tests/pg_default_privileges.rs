//! The default-privileges engine against a real PostgreSQL: built-in defaults read as the
//! server applies them, exact writes, reset to the built-in, clear errors for missing names,
//! and many concurrent writers on one catalog row as a non-member admin.

mod harness;

use std::collections::BTreeSet;

use dbre_e2e::PgServer;
use dbre_provider::pg::default_privileges::{DefaultPrivilegesKey, Target};
use dbre_provider::pg::{ObjectType, Pools, Privilege, Server};
use harness::{psql_super, Settings};

fn setup(pg: &PgServer) {
    pg.create_database("app").unwrap();
    psql_super(
        pg,
        "postgres",
        "CREATE ROLE \"own er\"; CREATE ROLE reader;",
    );
    psql_super(pg, "app", "CREATE SCHEMA \"s/1\" AUTHORIZATION \"own er\"");
}

fn key(role: &str, schema: Option<&str>, t: ObjectType) -> DefaultPrivilegesKey {
    DefaultPrivilegesKey {
        database: "app".into(),
        owner: "own er".into(),
        schema: schema.map(Into::into),
        object_type: t,
        role: role.into(),
    }
}

fn set(ps: &[Privilege]) -> BTreeSet<Privilege> {
    ps.iter().copied().collect()
}

fn rows(pg: &PgServer) -> String {
    psql_super(
        pg,
        "app",
        "SELECT count(*) FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole \
         WHERE r.rolname = 'own er'",
    )
}

#[tokio::test]
async fn built_in_defaults_writes_and_reset() {
    let pg = harness::start();
    setup(&pg);
    let server = Server::new(&Pools::new(), pg.superuser().settings());

    // No row: PUBLIC's built-in EXECUTE database-wide, nothing in a schema.
    let public_fn = key("PUBLIC", None, ObjectType::Routine);
    let held = server
        .read_default_privileges(&public_fn, 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.privileges, set(&[Privilege::Execute]));
    let in_schema = key("public", Some("s/1"), ObjectType::Function);
    let held = server
        .read_default_privileges(&in_schema, 15)
        .await
        .unwrap()
        .unwrap();
    assert!(held.privileges.is_empty());

    // Revoke from PUBLIC database-wide: a row appears, holding only the owner.
    let now = server
        .set_default_privileges(&public_fn, &Target::default(), 15)
        .await
        .unwrap();
    assert!(now.privileges.is_empty());
    assert_eq!(rows(&pg), "1");
    let entries = psql_super(
        &pg,
        "app",
        "SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END \
                           || ':' || a.privilege_type, ',') \
         FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE d.defaclobjtype = 'f'",
    );
    assert_eq!(entries, "\"own er\":EXECUTE");

    // Reader gets SELECT WITH GRANT OPTION on tables in the schema.
    let reader = key("reader", Some("s/1"), ObjectType::Table);
    let target = Target::new(set(&[Privilege::Select]), true);
    let now = server
        .set_default_privileges(&reader, &target, 15)
        .await
        .unwrap();
    assert_eq!(now.grantable, set(&[Privilege::Select]));
    let read = server.read_default_privileges(&reader, 15).await.unwrap();
    assert_eq!(read.unwrap().grantable, set(&[Privilege::Select]));

    // Reset both: the rows are gone (back to the built-in).
    server
        .reset_default_privileges(&public_fn, 15)
        .await
        .unwrap();
    server.reset_default_privileges(&reader, 15).await.unwrap();
    assert_eq!(rows(&pg), "0");
}

#[tokio::test]
async fn missing_names_are_errors_that_say_which() {
    let pg = harness::start();
    setup(&pg);
    let server = Server::new(&Pools::new(), pg.superuser().settings());
    let target = Target::new(set(&[Privilege::Select]), false);
    let mut k = key("reader", Some("nope"), ObjectType::Table);
    let err = server
        .set_default_privileges(&k, &target, 15)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("schema \"nope\" does not exist"),
        "{err}"
    );
    k.schema = None;
    k.owner = "ghost".into();
    let err = server
        .set_default_privileges(&k, &target, 15)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("\"ghost\" (owner) does not exist"),
        "{err}"
    );
    assert_eq!(server.read_default_privileges(&k, 15).await.unwrap(), None);
    k.database = "dropped".into();
    assert_eq!(
        server.read_default_privileges(&k, 15).await.unwrap(),
        None,
        "a database that is gone took its default privileges with it"
    );
}

/// 40 writers on ONE catalog row at once, as an admin that is not a member of the owner: the
/// row lock and the shared borrowed membership make every one land, and none is lost.
#[tokio::test]
async fn concurrent_writers_on_one_row_as_a_non_member_admin() {
    let pg = harness::start();
    setup(&pg);
    let roles: String = (0..40).map(|i| format!("CREATE ROLE g{i};")).collect();
    psql_super(&pg, "postgres", &roles);
    let server = Server::new(&Pools::new(), harness::admin(&pg));
    let keys: Vec<DefaultPrivilegesKey> = (0..40)
        .map(|i| key(&format!("g{i}"), None, ObjectType::Table))
        .collect();
    let target = Target::new(set(&[Privilege::Select, Privilege::Insert]), false);
    let results = futures::future::join_all(
        keys.iter()
            .map(|k| server.set_default_privileges(k, &target, 15)),
    )
    .await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let acl = psql_super(
        &pg,
        "app",
        "SELECT defaclacl::text FROM pg_default_acl WHERE defaclobjtype = 'r'",
    );
    assert_eq!(acl.matches("=ar/").count(), 40, "{acl}");
    for k in &keys {
        let held = server
            .read_default_privileges(k, 15)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.privileges, target.privileges);
    }
    let results =
        futures::future::join_all(keys.iter().map(|k| server.reset_default_privileges(k, 15)))
            .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(rows(&pg), "0");
    assert_eq!(
        psql_super(
            &pg,
            "postgres",
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member \
             WHERE r.rolname = 'dbre_admin'"
        ),
        "0",
        "the borrowed membership was given back"
    );
}
