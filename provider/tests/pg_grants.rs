//! The grant write engine against a real PostgreSQL, as the superuser and as the non-superuser
//! admin: exact sets (extras revoked from every grantor), batching, grant options, dependents
//! refused, whole schemas, columns, routines by any spelling, PUBLIC, authoritative mode,
//! borrowed ownership given back, and many concurrent writers on the same tables.
//! Every check reads the catalog with plain SQL as the superuser, not through our code.

mod harness;

use std::collections::BTreeSet;

use dbre_e2e::PgServer;
use dbre_provider::pg::grants::Applied;
use dbre_provider::pg::{DesiredGrant, Mode, ObjectType, Pools, Privilege, Server, Target};
use harness::{psql_super, Settings};

fn setup(pg: &PgServer) {
    pg.create_database("app").unwrap();
    psql_super(
        pg,
        "app",
        r#"
        CREATE ROLE reader; CREATE ROLE "odd ""r"".@/,x ü"; CREATE ROLE owner_r; CREATE ROLE middle;
        CREATE ROLE leaf;
        CREATE SCHEMA "s p.ace" AUTHORIZATION owner_r;
        SET ROLE owner_r;
        CREATE TABLE "s p.ace"."T/1" (id int, secret text);
        CREATE TABLE "s p.ace".t2 (id int);
        CREATE TABLE "s p.ace".t3 (id int);
        CREATE SEQUENCE "s p.ace".seq;
        CREATE FUNCTION "s p.ace".add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b';
        CREATE PROCEDURE "s p.ace".proc(x text) LANGUAGE sql AS 'SELECT 1';
        RESET ROLE;
        GRANT USAGE ON SCHEMA "s p.ace" TO middle;
    "#,
    );
}

/// What `role` holds on relation `rel` as `aclexplode` lists it: `SELECT,UPDATE*` (`*`: with
/// grant option), one entry per grantor.
fn rel_privs(pg: &PgServer, role: &str, rel: &str) -> String {
    psql_super(
        pg,
        "app",
        &format!(
            "SELECT coalesce(string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN '*' \
             ELSE '' END, ',' ORDER BY a.privilege_type, a.grantor), '') \
             FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.oid = '{rel}'::regclass AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = '{role}')"
        ),
    )
}

fn set(ps: &[Privilege]) -> BTreeSet<Privilege> {
    ps.iter().copied().collect()
}

fn tables(names: &[&str]) -> Target {
    Target::Objects {
        object_type: ObjectType::Table,
        schema: Some("s p.ace".into()),
        names: names.iter().map(|s| s.to_string()).collect(),
        columns: vec![],
    }
}

fn grant(target: Target, ps: &[Privilege], wgo: bool) -> DesiredGrant {
    DesiredGrant {
        target,
        privileges: set(ps),
        with_grant_option: wgo,
    }
}

/// One `Mode::Named` write in database `app`, which must succeed.
async fn named(
    server: &Server,
    info: &dbre_provider::pg::ServerInfo,
    grantee: &str,
    entries: &[DesiredGrant],
) -> Applied {
    server
        .apply_grants("app", info, grantee, entries, Mode::Named)
        .await
        .unwrap()
}

async fn connect(
    settings: dbre_provider::pg::ConnSettings,
) -> (Server, dbre_provider::pg::ServerInfo) {
    let server = Server::new(&Pools::new(), settings);
    let info = server.check().await.unwrap();
    (server, info)
}

fn admin_on_app(pg: &PgServer) -> dbre_provider::pg::ConnSettings {
    let mut settings = harness::admin(pg);
    settings.database = "app".into();
    settings
}

const T1: &str = r#""s p.ace"."T/1""#;

#[tokio::test]
async fn exact_sets_batched_idempotent_and_repairing_drift() {
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    let (server, info) = connect(pg.superuser().with_database("app").settings()).await;
    let entries = [grant(tables(&["T/1", "t2"]), &[Select, Insert], false)];
    let applied = named(&server, &info, "reader", &entries).await;
    // Both tables in one statement.
    assert_eq!(
        applied,
        Applied {
            statements: 1,
            objects_changed: 2
        }
    );
    assert_eq!(rel_privs(&pg, "reader", T1), "INSERT,SELECT");
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t2"#), "INSERT,SELECT");
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t3"#), "");
    // Again: nothing to do.
    let again = named(&server, &info, "reader", &entries).await;
    assert_eq!(again, Applied::default());

    // Outside drift: an extra privilege from the owner and one from a third grantor.
    psql_super(
        &pg,
        "app",
        r#"GRANT DELETE ON "s p.ace"."T/1" TO reader;
           GRANT TRUNCATE ON "s p.ace"."T/1" TO middle WITH GRANT OPTION;
           SET ROLE middle; GRANT TRUNCATE ON "s p.ace"."T/1" TO reader; RESET ROLE;
           REVOKE INSERT ON "s p.ace".t2 FROM reader;"#,
    );
    named(&server, &info, "reader", &entries).await;
    assert_eq!(rel_privs(&pg, "reader", T1), "INSERT,SELECT");
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t2"#), "INSERT,SELECT");
    // The third grantor's own privilege is untouched.
    assert_eq!(rel_privs(&pg, "middle", T1), "TRUNCATE*");

    // Taking away exactly what was held: other privileges stay; gone tables are no error.
    psql_super(&pg, "app", r#"GRANT UPDATE ON "s p.ace".t2 TO reader"#);
    server
        .apply_grants(
            "app",
            &info,
            "reader",
            &[grant(
                tables(&["t2", "no such table"]),
                &[Select, Insert],
                false,
            )],
            Mode::Revoke,
        )
        .await
        .unwrap();
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t2"#), "UPDATE");
    server
        .apply_grants("app", &info, "gone role", &entries, Mode::Revoke)
        .await
        .unwrap();

    // Grant option on, then off; then everything revoked.
    let wgo = [grant(tables(&["T/1"]), &[Select], true)];
    named(&server, &info, "reader", &wgo).await;
    assert_eq!(rel_privs(&pg, "reader", T1), "SELECT*");
    let none = [grant(tables(&["T/1", "t2"]), &[], false)];
    named(&server, &info, "reader", &none).await;
    assert_eq!(rel_privs(&pg, "reader", T1), "");
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t2"#), "");
}

#[tokio::test]
async fn dependents_schemas_columns_routines_public_and_authoritative() {
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    let (server, info) = connect(pg.superuser().with_database("app").settings()).await;

    // A grant option passed on is not taken silently.
    psql_super(
        &pg,
        "app",
        r#"GRANT SELECT ON "s p.ace".t3 TO middle WITH GRANT OPTION;
           SET ROLE middle; GRANT SELECT ON "s p.ace".t3 TO leaf; RESET ROLE;"#,
    );
    let err = server
        .apply_grants(
            "app",
            &info,
            "middle",
            &[grant(tables(&["t3"]), &[Select], false)],
            Mode::Named,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("SELECT to leaf"), "{err}");
    assert_eq!(rel_privs(&pg, "leaf", r#""s p.ace".t3"#), "SELECT");

    // Every table of the schema, with an odd grantee name.
    let odd = "odd \"r\".@/,x ü";
    let all = Target::AllInSchema {
        object_type: ObjectType::Table,
        schema: "s p.ace".into(),
    };
    named(&server, &info, odd, &[grant(all, &[Select], false)]).await;
    for t in [T1, r#""s p.ace".t2"#, r#""s p.ace".t3"#] {
        assert_eq!(rel_privs(&pg, odd, t), "SELECT", "{t}");
    }

    // Columns.
    let cols = Target::Objects {
        object_type: ObjectType::Column,
        schema: Some("s p.ace".into()),
        names: vec!["T/1".into()],
        columns: vec!["id".into(), "secret".into()],
    };
    named(
        &server,
        &info,
        "reader",
        &[grant(cols, &[Select, Update], false)],
    )
    .await;
    assert_eq!(
        psql_super(
            &pg,
            "app",
            r#"SELECT has_column_privilege('reader', '"s p.ace"."T/1"', 'secret', 'UPDATE')::text
               || has_column_privilege('reader', '"s p.ace"."T/1"', 'id', 'SELECT')::text"#
        ),
        "truetrue"
    );

    // Routines by the user's spelling; PUBLIC loses its default EXECUTE.
    let add = Target::Objects {
        object_type: ObjectType::Function,
        schema: Some("s p.ace".into()),
        names: vec!["add(int, int4)".into()],
        columns: vec![],
    };
    named(&server, &info, "PUBLIC", &[grant(add.clone(), &[], false)]).await;
    named(&server, &info, "reader", &[grant(add, &[Execute], false)]).await;
    let proc = Target::Objects {
        object_type: ObjectType::Procedure,
        schema: Some("s p.ace".into()),
        names: vec!["proc".into()],
        columns: vec![],
    };
    named(&server, &info, "public", &[grant(proc, &[], false)]).await;
    assert_eq!(
        psql_super(
            &pg,
            "app",
            r#"SELECT has_function_privilege('leaf', '"s p.ace".add(int, int)', 'EXECUTE')::text
               || has_function_privilege('reader', '"s p.ace".add(int, int)', 'EXECUTE')::text
               || has_function_privilege('leaf', '"s p.ace".proc(text)', 'EXECUTE')::text"#
        ),
        "falsetruefalse"
    );

    // Database: PUBLIC's default CONNECT, TEMPORARY revoked, CONNECT granted to reader.
    let db = Target::Objects {
        object_type: ObjectType::Database,
        schema: None,
        names: vec!["app".into()],
        columns: vec![],
    };
    named(&server, &info, "PUBLIC", &[grant(db.clone(), &[], false)]).await;
    named(&server, &info, "reader", &[grant(db, &[Connect], false)]).await;
    assert_eq!(
        psql_super(
            &pg,
            "app",
            "SELECT has_database_privilege('leaf', 'app', 'CONNECT')::text \
             || has_database_privilege('reader', 'app', 'CONNECT')::text"
        ),
        "falsetrue"
    );

    // Authoritative: only what the entries say; reader's column and routine grants go.
    let seq = Target::Objects {
        object_type: ObjectType::Sequence,
        schema: Some("s p.ace".into()),
        names: vec!["seq".into()],
        columns: vec![],
    };
    server
        .apply_grants(
            "app",
            &info,
            "reader",
            &[
                grant(seq, &[Usage], false),
                grant(tables(&["t2"]), &[Select], false),
            ],
            Mode::Authoritative,
        )
        .await
        .unwrap();
    assert_eq!(
        psql_super(
            &pg,
            "app",
            r#"SELECT has_column_privilege('reader', '"s p.ace"."T/1"', 'secret', 'UPDATE')::text
               || has_function_privilege('reader', '"s p.ace".add(int, int)', 'EXECUTE')::text
               || has_sequence_privilege('reader', '"s p.ace".seq', 'USAGE')::text
               || has_table_privilege('reader', '"s p.ace".t2', 'SELECT')::text
               || has_database_privilege('reader', 'app', 'CONNECT')::text"#
        ),
        "falsefalsetruetruefalse"
    );
}

#[tokio::test]
async fn a_non_superuser_admin_borrows_the_owner_and_gives_it_back() {
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    let (server, info) = connect(admin_on_app(&pg)).await;
    assert!(!info.superuser);
    let entries = [grant(tables(&["T/1", "t2"]), &[Select], true)];
    named(&server, &info, "reader", &entries).await;
    assert_eq!(rel_privs(&pg, "reader", T1), "SELECT*");
    // A third grantor's grant is revoked as that grantor.
    psql_super(
        &pg,
        "app",
        r#"GRANT DELETE ON "s p.ace".t2 TO middle WITH GRANT OPTION;
           SET ROLE middle; GRANT DELETE ON "s p.ace".t2 TO reader; RESET ROLE;"#,
    );
    named(&server, &info, "reader", &entries).await;
    assert_eq!(rel_privs(&pg, "reader", r#""s p.ace".t2"#), "SELECT*");
    // Nothing borrowed is kept.
    assert_eq!(
        psql_super(
            &pg,
            "app",
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member \
             WHERE r.rolname = 'dbre_admin'"
        ),
        "0"
    );
}

#[tokio::test]
async fn many_concurrent_writers_on_the_same_tables_all_succeed() {
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    psql_super(
        &pg,
        "app",
        "CREATE ROLE c0; CREATE ROLE c1; CREATE ROLE c2; CREATE ROLE c3",
    );
    for settings in [
        pg.superuser().with_database("app").settings(),
        admin_on_app(&pg),
    ] {
        let (server, info) = connect(settings).await;
        let jobs = (0..40).map(|i| {
            let (server, info) = (server.clone(), info.clone());
            async move {
                let role = format!("c{}", i % 4);
                let target = match i % 3 {
                    0 => tables(&["T/1", "t2"]),
                    1 => tables(&["t2", "t3"]),
                    _ => Target::AllInSchema {
                        object_type: ObjectType::Table,
                        schema: "s p.ace".into(),
                    },
                };
                let ps: &[Privilege] = if i % 2 == 0 {
                    &[Select]
                } else {
                    &[Select, Insert]
                };
                server
                    .apply_grants(
                        "app",
                        &info,
                        &role,
                        &[grant(target, ps, false)],
                        Mode::Named,
                    )
                    .await
            }
        });
        let results = futures::future::join_all(jobs).await;
        let errors: Vec<String> = results
            .into_iter()
            .filter_map(|r| r.err().map(|e| e.to_string()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(rel_privs(&pg, "c0", r#""s p.ace".t2"#).contains("SELECT"));
    }
}

/// A routine's argument types are spelled for whoever runs the statement: a third grantor's
/// grant is revoked under `SET LOCAL ROLE`, which changes what `"$user"` in the search path
/// means. A type found through the login's own `"$user"` schema must still resolve then.
#[tokio::test]
async fn routine_argument_types_resolve_under_a_third_grantor() {
    let pg = harness::start();
    setup(&pg);
    let login = psql_super(&pg, "app", "SELECT current_user");
    psql_super(
        &pg,
        "app",
        &format!(
            r#"CREATE SCHEMA AUTHORIZATION CURRENT_USER;
               CREATE TYPE "{login}".mood AS ENUM ('ok');
               CREATE FUNCTION "s p.ace".feel(m "{login}".mood) RETURNS int LANGUAGE sql
                 AS 'SELECT 1';
               GRANT USAGE ON SCHEMA "{login}" TO middle;
               GRANT EXECUTE ON FUNCTION "s p.ace".feel("{login}".mood) TO middle
                 WITH GRANT OPTION;
               SET ROLE middle;
               GRANT EXECUTE ON FUNCTION "s p.ace".feel("{login}".mood) TO reader;
               RESET ROLE;"#
        ),
    );
    let (server, info) = connect(pg.superuser().with_database("app").settings()).await;
    let feel = Target::Objects {
        object_type: ObjectType::Function,
        schema: Some("s p.ace".into()),
        names: vec!["feel".into()],
        columns: vec![],
    };
    named(&server, &info, "reader", &[grant(feel, &[], false)]).await;
    assert_eq!(
        psql_super(
            &pg,
            "app",
            "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a \
             WHERE p.proname = 'feel' AND a.grantee = 'reader'::regrole"
        ),
        "0",
        "the grant middle made is revoked"
    );
}

/// `grantee`'s entries on relation `rel` with their grantor: `SELECT/owner_r`, sorted.
fn rel_grants(pg: &PgServer, role: &str, rel: &str) -> String {
    psql_super(
        pg,
        "app",
        &format!(
            "SELECT coalesce(string_agg(a.privilege_type || '/' || a.grantor::regrole::text, ',' \
               ORDER BY 1), '') \
             FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.oid = '{rel}'::regclass AND a.grantee = '{role}'::regrole"
        ),
    )
}

/// A NOINHERIT admin that is a member of the owner holds the owner's rights only through SET
/// ROLE: a GRANT as itself is "permission denied". The engine acts as the owner (recorded as
/// the grantor, as when inheriting), for borrowed memberships too (they do not inherit either),
/// and for the column grants a table revoke takes along; default privileges need membership
/// only. Nothing borrowed is kept, and the admin's own membership is left as it was.
#[tokio::test]
async fn a_noinherit_admin_acts_for_the_owner_through_set_role() {
    use dbre_provider::pg::default_privileges::{DefaultPrivilegesKey, Target as Defaults};
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    psql_super(
        &pg,
        "app",
        r#"CREATE ROLE noinh LOGIN CREATEROLE NOINHERIT PASSWORD 'noinh-pw-42';
           GRANT owner_r TO noinh;
           CREATE ROLE other_owner; GRANT USAGE ON SCHEMA "s p.ace" TO other_owner;
           CREATE TABLE "s p.ace".theirs (id int, note text);
           ALTER TABLE "s p.ace".theirs OWNER TO other_owner;"#,
    );
    let mut settings = harness::user(&pg, "noinh", "noinh-pw-42");
    settings.database = "app".into();
    let (server, info) = connect(settings).await;
    assert!(!info.superuser);

    // Objects of the owner it is a member of, and of one it borrows.
    named(
        &server,
        &info,
        "reader",
        &[grant(tables(&["T/1", "theirs"]), &[Select, Insert], false)],
    )
    .await;
    assert_eq!(
        rel_grants(&pg, "reader", T1),
        "INSERT/owner_r,SELECT/owner_r"
    );
    assert_eq!(
        rel_grants(&pg, "reader", r#""s p.ace".theirs"#),
        "INSERT/other_owner,SELECT/other_owner"
    );

    // A column grant, then the table's SELECT revoked: the column grant stays.
    let cols = Target::Objects {
        object_type: ObjectType::Column,
        schema: Some("s p.ace".into()),
        names: vec!["theirs".into()],
        columns: vec!["note".into()],
    };
    named(&server, &info, "reader", &[grant(cols, &[Select], true)]).await;
    named(
        &server,
        &info,
        "reader",
        &[grant(tables(&["T/1", "theirs"]), &[Insert], false)],
    )
    .await;
    assert_eq!(
        rel_grants(&pg, "reader", r#""s p.ace".theirs"#),
        "INSERT/other_owner"
    );
    assert_eq!(
        psql_super(
            &pg,
            "app",
            r#"SELECT string_agg(x.attname || ':' || a.privilege_type || '/' || a.grantor::regrole::text
                 || CASE WHEN a.is_grantable THEN '*' ELSE '' END, ',')
               FROM pg_attribute x, aclexplode(x.attacl) a
               WHERE x.attrelid = '"s p.ace".theirs'::regclass AND a.grantee = 'reader'::regrole"#
        ),
        "note:SELECT/other_owner*"
    );

    // Default privileges of the owner it is a member of.
    let key = DefaultPrivilegesKey {
        database: "app".into(),
        owner: "owner_r".into(),
        schema: Some("s p.ace".into()),
        object_type: ObjectType::Table,
        role: "reader".into(),
    };
    let held = server
        .set_default_privileges(&key, &Defaults::new(set(&[Select]), false), info.major())
        .await
        .unwrap();
    assert_eq!(held.privileges, set(&[Select]));
    psql_super(
        &pg,
        "app",
        r#"SET ROLE owner_r; CREATE TABLE "s p.ace".later (id int); RESET ROLE"#,
    );
    assert_eq!(
        rel_grants(&pg, "reader", r#""s p.ace".later"#),
        "SELECT/owner_r"
    );

    // Only its own membership is left.
    assert_eq!(
        psql_super(
            &pg,
            "app",
            "SELECT string_agg(m.roleid::regrole::text, ',') FROM pg_auth_members m \
             WHERE m.member = 'noinh'::regrole"
        ),
        "owner_r"
    );
}

/// `role`'s column entries on `rel`: `column:PRIVILEGE/grantor` (`*`: with grant option),
/// sorted.
fn col_grants(pg: &PgServer, role: &str, rel: &str) -> String {
    psql_super(
        pg,
        "app",
        &format!(
            "SELECT coalesce(string_agg(e, ',' ORDER BY e COLLATE \"C\"), '') FROM ( \
               SELECT x.attname || ':' || a.privilege_type || '/' || a.grantor::regrole::text \
                 || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS e \
               FROM pg_attribute x, aclexplode(x.attacl) a \
               WHERE x.attrelid = '{rel}'::regclass AND x.attnum > 0 \
                 AND a.grantee = '{role}'::regrole) entries"
        ),
    )
}

/// A table-level REVOKE takes the column privileges of the same grantor along (PostgreSQL,
/// per SQL spec); the engine grants back what it did not mean to take, as that grantor — the
/// owner's and a third grantor's, plain and WITH GRANT OPTION, grant-option-only revokes too —
/// refuses (naming who) when a column grant option was passed on, and in authoritative mode
/// keeps exactly what the column entries say.
async fn table_revokes_keep_column_grants(login: fn(&PgServer) -> dbre_provider::pg::ConnSettings) {
    use Privilege::*;
    let pg = harness::start();
    setup(&pg);
    psql_super(
        &pg,
        "app",
        r#"GRANT USAGE ON SCHEMA "s p.ace" TO reader;
           GRANT SELECT, INSERT ON "s p.ace"."T/1" TO reader WITH GRANT OPTION;
           GRANT SELECT (id) ON "s p.ace"."T/1" TO reader WITH GRANT OPTION;
           GRANT UPDATE (secret) ON "s p.ace"."T/1" TO reader;
           GRANT SELECT ON "s p.ace"."T/1" TO middle WITH GRANT OPTION;
           SET ROLE middle;
           GRANT SELECT ON "s p.ace"."T/1" TO reader;
           GRANT SELECT (secret) ON "s p.ace"."T/1" TO reader;
           RESET ROLE;"#,
    );
    let mut settings = login(&pg);
    settings.database = "app".into();
    let (server, info) = connect(settings).await;
    let before = col_grants(&pg, "reader", T1);
    assert_eq!(
        before,
        "id:SELECT/owner_r*,secret:SELECT/middle,secret:UPDATE/owner_r"
    );

    // SELECT goes from both grantors, INSERT keeps the privilege but loses its option.
    let applied = named(
        &server,
        &info,
        "reader",
        &[grant(tables(&["T/1"]), &[Insert], false)],
    )
    .await;
    assert_eq!(applied.objects_changed, 1);
    assert_eq!(rel_grants(&pg, "reader", T1), "INSERT/owner_r");
    assert_eq!(col_grants(&pg, "reader", T1), before);

    // A column grant option passed on: the table revoke would need CASCADE; refused by name.
    psql_super(
        &pg,
        "app",
        r#"GRANT SELECT ON "s p.ace"."T/1" TO reader;
           SET ROLE reader; GRANT SELECT (id) ON "s p.ace"."T/1" TO leaf; RESET ROLE;"#,
    );
    let err = server
        .apply_grants(
            "app",
            &info,
            "reader",
            &[grant(tables(&["T/1"]), &[Insert], false)],
            Mode::Named,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SELECT to leaf") && err.contains("\"id\""),
        "{err}"
    );
    assert_eq!(col_grants(&pg, "leaf", T1), "id:SELECT/reader");
    assert_eq!(
        rel_grants(&pg, "reader", T1),
        "INSERT/owner_r,SELECT/owner_r"
    );
    psql_super(
        &pg,
        "app",
        r#"SET ROLE reader; REVOKE SELECT (id) ON "s p.ace"."T/1" FROM leaf; RESET ROLE;"#,
    );

    // Authoritative, a table entry and a column entry: the column keeps what its entry says
    // (SELECT, no longer grantable), everything else on the columns goes.
    let id = Target::Objects {
        object_type: ObjectType::Column,
        schema: Some("s p.ace".into()),
        names: vec!["T/1".into()],
        columns: vec!["id".into()],
    };
    server
        .apply_grants(
            "app",
            &info,
            "reader",
            &[
                grant(tables(&["T/1"]), &[Insert], false),
                grant(id, &[Select], false),
            ],
            Mode::Authoritative,
        )
        .await
        .unwrap();
    assert_eq!(rel_grants(&pg, "reader", T1), "INSERT/owner_r");
    assert_eq!(col_grants(&pg, "reader", T1), "id:SELECT/owner_r");
}

#[tokio::test]
async fn table_revokes_keep_column_grants_as_superuser() {
    table_revokes_keep_column_grants(|pg| pg.superuser().settings()).await;
}

#[tokio::test]
async fn table_revokes_keep_column_grants_as_admin() {
    table_revokes_keep_column_grants(harness::admin).await;
}
