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
