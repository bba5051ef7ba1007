//! Borrowing role membership as a non-superuser admin: what is lent is given back, and a
//! membership the login already had — even a NOINHERIT one — is never taken away.

mod harness;

use dbre_provider::pg::{Pools, Server};
use harness::psql_super;

#[tokio::test]
async fn borrowing_gives_back_what_it_lent_and_keeps_what_was_there() {
    let pg = harness::start();
    psql_super(
        &pg,
        "postgres",
        &format!(
            "CREATE ROLE lent_owner; CREATE ROLE kept_owner; \
             ALTER ROLE {admin} NOINHERIT; GRANT kept_owner TO {admin};",
            admin = harness::ADMIN
        ),
    );
    let server = Server::new(&Pools::new(), harness::admin(&pg));
    let member_of = |role: &str| {
        psql_super(
            &pg,
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_auth_members m \
                 JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member \
                 WHERE r.rolname = '{role}' AND u.rolname = '{}'",
                harness::ADMIN
            ),
        )
    };

    let lent = server.borrow_role("lent_owner").await.unwrap();
    assert!(lent.is_some(), "not a member: membership is lent");
    assert_eq!(member_of("lent_owner"), "1");
    lent.unwrap().release().await;
    assert_eq!(member_of("lent_owner"), "0", "and given back");

    let kept = server.borrow_role("kept_owner").await.unwrap();
    assert!(
        kept.is_none(),
        "already a (NOINHERIT) member: nothing to lend"
    );
    assert_eq!(
        member_of("kept_owner"),
        "1",
        "the login's own membership stays"
    );
}

/// Schema `public` belongs to `pg_database_owner`, which cannot have members: the admin acts
/// for the database's owner instead — and says so when it may not.
#[tokio::test]
async fn schema_public_is_granted_as_the_database_owner() {
    use dbre_provider::pg::{DesiredGrant, Mode, ObjectType, Privilege, Target};
    let pg = harness::start();
    psql_super(
        &pg,
        "postgres",
        "CREATE ROLE reader; CREATE ROLE app_owner;",
    );
    psql_super(
        &pg,
        "postgres",
        "CREATE DATABASE owned_by_app OWNER app_owner",
    );
    let server = Server::new(&Pools::new(), harness::admin(&pg));
    let info = server.check().await.unwrap();
    let usage_on_public = [DesiredGrant {
        target: Target::Objects {
            object_type: ObjectType::Schema,
            schema: None,
            names: vec!["public".into()],
            columns: vec![],
        },
        privileges: [Privilege::Usage].into(),
        with_grant_option: false,
    }];

    server
        .apply_grants(
            "owned_by_app",
            &info,
            "reader",
            &usage_on_public,
            Mode::Named,
        )
        .await
        .unwrap();
    assert_eq!(
        psql_super(
            &pg,
            "owned_by_app",
            "SELECT has_schema_privilege('reader', 'public', 'USAGE')"
        ),
        "t"
    );
    let borrowed_left = psql_super(
        &pg,
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member \
             WHERE u.rolname = '{}'",
            harness::ADMIN
        ),
    );
    assert_eq!(borrowed_left, "0", "the owner's membership was given back");

    // The postgres database belongs to the superuser, whom the admin may not act for.
    let err = server
        .apply_grants("postgres", &info, "reader", &usage_on_public, Mode::Named)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("pg_database_owner"), "{err}");
    assert!(err.contains("owner of database \"postgres\""), "{err}");
}
