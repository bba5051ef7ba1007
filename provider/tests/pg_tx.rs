//! Transactions against a real PostgreSQL: atomic batches, retry of concurrent catalog updates
//! (the peer provider's `tuple concurrently updated`), ordered locks, and what happens when
//! Terraform's Stop drops a future mid-statement.

mod support;

use std::time::{Duration, Instant};

use dbre_provider::pg::{lock_in_order, quote_ident, PgError, Pools, Server};
use support::TestPg;

fn setup_roles(pg: &TestPg, n: usize) {
    let mut sql = String::from("CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);");
    for i in 0..n {
        sql.push_str(&format!("CREATE ROLE grantee_{i};"));
    }
    pg.psql_super("postgres", &sql);
}

fn acl_entries(pg: &TestPg, table: &str) -> usize {
    pg.psql_super(
        "postgres",
        &format!("SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a WHERE c.relname = '{table}' AND a.grantee <> c.relowner"),
    )
    .parse()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_grants_on_one_table_all_succeed() {
    let pg = TestPg::start();
    let n = 60;
    setup_roles(&pg, n);
    let pools = Pools::new();
    let mut settings = pg.admin();
    pg.psql_super(
        "postgres",
        &format!(
            "ALTER TABLE t1 OWNER TO {}; ALTER TABLE t2 OWNER TO {}",
            support::ADMIN,
            support::ADMIN
        ),
    );
    settings.max_connections = 10;
    let server = Server::new(&pools, settings);

    // Baseline in the same run: the same grants without our retry, to show the problem exists.
    let mut raw = Vec::new();
    for i in 0..n {
        let server = server.clone();
        raw.push(tokio::spawn(async move {
            let c = server.maintenance().await?;
            c.batch_execute(&format!(
                "GRANT SELECT ON t2 TO {}",
                quote_ident(&format!("grantee_{i}"))?
            ))
            .await
            .map_err(|e| PgError::query("grant", &e))
        }));
    }
    let mut raw_failures = 0;
    for t in raw {
        if let Err(e) = t.await.unwrap() {
            assert!(e.is_retryable(), "unexpected failure: {e}");
            raw_failures += 1;
        }
    }

    let mut tasks = Vec::new();
    for i in 0..n {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let role = quote_ident(&format!("grantee_{i}"))?;
            server
                .atomic(
                    "postgres",
                    "granting",
                    &[
                        format!("GRANT SELECT, INSERT ON t1 TO {role}"),
                        format!("REVOKE INSERT ON t1 FROM {role}"),
                    ],
                )
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every grant succeeds");
    }
    println!("{n} parallel GRANTs on one table: {raw_failures} failed without retry, 0 with Server::atomic");
    assert_eq!(acl_entries(&pg, "t1"), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ordered_locks_keep_crossing_writers_from_deadlocking() {
    let pg = TestPg::start();
    let n = 30;
    setup_roles(&pg, n);
    let pools = Pools::new();
    let mut settings = pg.superuser();
    settings.max_connections = 10;
    let server = Server::new(&pools, settings);
    let mut tasks = Vec::new();
    for i in 0..n {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            // Half the writers touch t1 then t2, the other half t2 then t1.
            let (first, second) = if i % 2 == 0 {
                ("t1", "t2")
            } else {
                ("t2", "t1")
            };
            let role = quote_ident(&format!("grantee_{i}"))?;
            dbre_provider::pg::retry(|| async {
                let tx = server.begin("postgres").await?;
                lock_in_order(&*tx, &[format!("acl:{first}"), format!("acl:{second}")]).await?;
                let mut tx = tx;
                for table in [first, second] {
                    tx = tx
                        .execute_all(
                            "crossing grants",
                            &[format!("GRANT SELECT ON {table} TO {role}")],
                        )
                        .await?;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                tx.commit().await
            })
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no deadlock, no conflict");
    }
    assert_eq!(acl_entries(&pg, "t1"), n);
    assert_eq!(acl_entries(&pg, "t2"), n);
}

#[tokio::test]
async fn a_failing_batch_leaves_nothing_behind() {
    let pg = TestPg::start();
    let server = Server::new(&Pools::new(), pg.superuser());
    let err = server
        .atomic(
            "postgres",
            "creating two roles",
            &[
                "CREATE ROLE half_done".to_string(),
                "CREATE ROLE \"pg_reserved\"".to_string(),
            ],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("creating two roles: "), "{err}");
    assert_eq!(
        pg.psql_super(
            "postgres",
            "SELECT count(*) FROM pg_roles WHERE rolname = 'half_done'"
        ),
        "0"
    );
}

#[tokio::test]
async fn stopping_mid_statement_cancels_it_and_releases_locks() {
    let pg = TestPg::start();
    pg.psql_super("postgres", "CREATE TABLE locked (id int)");
    let server = Server::new(&Pools::new(), pg.superuser());
    let work = async {
        let tx = server.begin("postgres").await?;
        let tx = tx
            .execute_all(
                "slow work",
                &["LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)".to_string()],
            )
            .await?;
        tx.commit().await
    };
    // Terraform's Stop: the future is dropped.
    assert!(tokio::time::timeout(Duration::from_millis(500), work)
        .await
        .is_err());

    let started = Instant::now();
    loop {
        let busy = pg.psql_super(
            "postgres",
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'locked'",
        );
        if busy == "0" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "lock still held after Stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The abandoned connection is not handed out again; the next caller gets a fresh one at once.
    let started = Instant::now();
    let c = server.maintenance().await.unwrap();
    c.batch_execute("SELECT 1").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.pool_stats("postgres").opened, 2);
}
