//! The bulk ACL read against a real PostgreSQL: every object kind, grant options, several
//! grantors, default privileges, odd names, and the snapshot cache's one-read-per-burst.

mod harness;

use dbre_e2e::PgServer;
use dbre_provider::pg::acl::read_database_acls;
use dbre_provider::pg::{Acl, ObjectType, Pools, Privilege, Server, PUBLIC};
use harness::{psql_super, Settings};

fn setup(pg: &PgServer) {
    pg.create_database("app").unwrap();
    let sql = r#"
        CREATE ROLE reader; CREATE ROLE "odd ""role"".@x"; CREATE ROLE owner_r; CREATE ROLE middle;
        CREATE SCHEMA "s p.ace" AUTHORIZATION owner_r;
        CREATE TABLE "s p.ace"."T/1" (id int, secret text);
        ALTER TABLE "s p.ace"."T/1" OWNER TO owner_r;
        CREATE TABLE "s p.ace".untouched (id int);
        CREATE SEQUENCE "s p.ace".seq;
        CREATE VIEW "s p.ace".v AS SELECT 1 AS one;
        CREATE FUNCTION "s p.ace".add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b';
        CREATE PROCEDURE "s p.ace".proc(x text) LANGUAGE sql AS 'SELECT 1';
        CREATE TYPE "s p.ace".mood AS ENUM ('ok');
        CREATE DOMAIN "s p.ace".posint AS int CHECK (VALUE > 0);
        GRANT SELECT, INSERT ON "s p.ace"."T/1" TO reader;
        GRANT UPDATE (secret) ON "s p.ace"."T/1" TO reader;
        GRANT SELECT ON "s p.ace"."T/1" TO middle WITH GRANT OPTION;
        GRANT USAGE ON SCHEMA "s p.ace" TO middle;
        SET ROLE middle; GRANT SELECT ON "s p.ace"."T/1" TO reader WITH GRANT OPTION; RESET ROLE;
        GRANT USAGE ON SCHEMA "s p.ace" TO "odd ""role"".@x";
        GRANT USAGE ON SEQUENCE "s p.ace".seq TO reader;
        REVOKE EXECUTE ON FUNCTION "s p.ace".add(int, int) FROM PUBLIC;
        GRANT CONNECT ON DATABASE app TO reader;
        ALTER DEFAULT PRIVILEGES FOR ROLE owner_r IN SCHEMA "s p.ace" GRANT SELECT ON TABLES TO reader;
        ALTER DEFAULT PRIVILEGES FOR ROLE owner_r REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    "#;
    psql_super(pg, "app", sql);
}

#[tokio::test]
async fn one_read_holds_every_objects_acl_and_the_default_privileges() {
    let pg = harness::start();
    setup(&pg);
    let server = Server::new(
        &Pools::new(),
        pg.superuser().with_database("app").settings(),
    );
    let client = server.client("app").await.unwrap();
    let acls = read_database_acls(&*client, "app", 15, None).await.unwrap();
    let reader = acls.role_oid("reader").unwrap();
    let odd = acls.role_oid("odd \"role\".@x").unwrap();
    let owner = acls.role_oid("owner_r").unwrap();
    let schema = Some("s p.ace");

    let table = acls.find(ObjectType::Table, schema, "T/1", None).unwrap();
    assert_eq!(table.owner, owner);
    let held = table.held_by(reader, Some(15));
    assert_eq!(
        held.privileges.iter().copied().collect::<Vec<_>>(),
        [Privilege::Select, Privilege::Insert]
    );
    // SELECT from two grantors (the owner, and `middle` WITH GRANT OPTION): both are seen.
    assert_eq!(
        held.grantable.iter().copied().collect::<Vec<_>>(),
        [Privilege::Select]
    );
    assert_eq!(held.grantors.len(), 2);

    let column = acls
        .find(ObjectType::Column, schema, "T/1", Some("secret"))
        .unwrap();
    assert_eq!(
        column
            .held_by(reader, Some(15))
            .privileges
            .into_iter()
            .collect::<Vec<_>>(),
        [Privilege::Update]
    );
    assert!(acls
        .find(ObjectType::Column, schema, "T/1", Some("id"))
        .is_none());

    let untouched = acls
        .find(ObjectType::Table, schema, "untouched", None)
        .unwrap();
    assert_eq!(untouched.acl, Acl::Default);
    assert!(untouched.held_by(reader, Some(15)).privileges.is_empty());

    let tables: Vec<&str> = acls
        .objects_of(ObjectType::Table, schema)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(tables, ["T/1", "untouched", "v"]);
    assert_eq!(acls.objects_of(ObjectType::Sequence, schema).count(), 1);

    let add = acls
        .find(ObjectType::Function, schema, "add(integer, integer)", None)
        .unwrap();
    assert!(add.held_by(PUBLIC, Some(15)).privileges.is_empty());
    let proc = acls
        .find(ObjectType::Routine, schema, "proc(text)", None)
        .unwrap();
    assert_eq!(proc.object_type, ObjectType::Procedure);
    assert!(proc
        .held_by(PUBLIC, Some(15))
        .privileges
        .contains(&Privilege::Execute));

    let types: Vec<&str> = acls
        .objects_of(ObjectType::Type, schema)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(types, ["mood", "posint"]);

    let nsp = acls
        .find(ObjectType::Schema, None, "s p.ace", None)
        .unwrap();
    assert_eq!(
        nsp.held_by(odd, Some(15))
            .privileges
            .into_iter()
            .collect::<Vec<_>>(),
        [Privilege::Usage]
    );
    let db = acls.find(ObjectType::Database, None, "app", None).unwrap();
    assert!(db
        .held_by(reader, Some(15))
        .privileges
        .contains(&Privilege::Connect));
    assert!(db
        .held_by(PUBLIC, Some(15))
        .privileges
        .contains(&Privilege::Connect));
    // System schemas are not read.
    assert!(acls
        .find(ObjectType::Schema, None, "pg_catalog", None)
        .is_none());
    assert!(acls
        .objects
        .iter()
        .all(|o| o.schema.as_deref() != Some("pg_catalog")));

    let in_schema = acls.default_acl(owner, schema, ObjectType::Table).unwrap();
    assert!(in_schema
        .entries
        .iter()
        .any(|e| e.grantee == reader && e.privilege == Privilege::Select));
    let global = acls.default_acl(owner, None, ObjectType::Function).unwrap();
    // The global row replaces the built-in default: PUBLIC's EXECUTE is gone, the owner's stays.
    assert!(global.entries.iter().all(|e| e.grantee != PUBLIC));
    assert!(global.entries.iter().any(|e| e.grantee == owner));

    // Restricting to one schema leaves the others' objects out.
    let only_public = read_database_acls(&*client, "app", 15, Some("public"))
        .await
        .unwrap();
    assert!(only_public
        .find(ObjectType::Table, schema, "T/1", None)
        .is_none());
    assert!(only_public
        .find(ObjectType::Schema, None, "public", None)
        .is_some());
}

#[tokio::test]
async fn a_burst_of_readers_shares_one_snapshot_until_a_write_invalidates_it() {
    let pg = harness::start();
    setup(&pg);
    let server = Server::new(
        &Pools::new(),
        pg.superuser().with_database("app").settings(),
    );
    let reads = futures::future::join_all((0..50).map(|_| server.database_acls("app", 15))).await;
    let first = reads[0].as_ref().unwrap().clone();
    assert!(reads
        .iter()
        .all(|r| std::sync::Arc::ptr_eq(r.as_ref().unwrap(), &first)));

    psql_super(
        &pg,
        "app",
        "GRANT DELETE ON \"s p.ace\".untouched TO reader",
    );
    let cached = server.database_acls("app", 15).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&cached, &first),
        "served from the snapshot"
    );
    server.invalidate_acls("app");
    let fresh = server.database_acls("app", 15).await.unwrap();
    let reader = fresh.role_oid("reader").unwrap();
    let t = fresh
        .find(ObjectType::Table, Some("s p.ace"), "untouched", None)
        .unwrap();
    assert!(t
        .held_by(reader, Some(15))
        .privileges
        .contains(&Privilege::Delete));
}
