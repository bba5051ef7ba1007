//! Pools against a real PostgreSQL: the bound holds under load, broken connections are
//! replaced, connection failures are one clear (password-free) error, remembered briefly.

mod support;

use std::time::{Duration, Instant};

use dbre_provider::pg::{roles, PgError, Pools, Server, APPLICATION_NAME};
use support::TestPg;

/// Connections the server has authorised for our application name, from the server log
/// (`log_connections = on`).
fn our_connections_in_log(pg: &TestPg) -> usize {
    pg.log()
        .lines()
        .filter(|l| {
            l.contains("connection authorized")
                && l.contains(&format!("application_name={APPLICATION_NAME}"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_reads_never_exceed_the_pool_size() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let server = Server::new(&pools, pg.superuser()); // max_connections = 4
    let before = our_connections_in_log(&pg);

    let mut tasks = Vec::new();
    for i in 0..200 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let client = server.maintenance().await?;
            // A catalog read, plus a peek at how many of our sessions exist right now.
            let role = roles::read_role(&*client, "postgres").await?;
            assert!(role.is_some(), "read {i}");
            let row = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                    &[&APPLICATION_NAME],
                )
                .await
                .map_err(|e| PgError::query("counting sessions", &e))?;
            Ok::<i64, PgError>(row.get(0))
        }));
    }
    let mut max_seen = 0;
    for t in tasks {
        max_seen = max_seen.max(t.await.unwrap().unwrap());
    }

    let stats = server.pool_stats("postgres");
    // Give the log a moment to be flushed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let opened = our_connections_in_log(&pg) - before;
    println!(
        "200 concurrent reads: {opened} connections in the server log, pool opened {}, at most {max_seen} sessions seen",
        stats.opened
    );
    assert!(
        opened <= 4,
        "server log shows {opened} connections for a pool of 4"
    );
    assert!(stats.opened <= 4, "pool opened {}", stats.opened);
    assert!(max_seen <= 4, "pg_stat_activity showed {max_seen} sessions");
    assert!(opened >= 1);
}

#[tokio::test]
async fn pools_are_shared_per_server_and_database_and_reused() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let a = Server::new(&pools, pg.superuser());
    let b = Server::new(&pools, pg.superuser());
    for _ in 0..10 {
        let c = a.maintenance().await.unwrap();
        drop(c);
        let c = b.maintenance().await.unwrap();
        drop(c);
    }
    assert_eq!(
        a.pool_stats("postgres").opened,
        1,
        "one connection reused by both"
    );
    // Another database is another pool.
    pg.psql_super("postgres", "CREATE DATABASE other");
    let _c = a.client("other").await.unwrap();
    assert_eq!(a.pool_stats("other").opened, 1);
    assert_eq!(a.pool_stats("postgres").opened, 1);
}

#[tokio::test]
async fn broken_connections_are_replaced() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let server = Server::new(&pools, pg.superuser());
    {
        let c = server.maintenance().await.unwrap();
        c.batch_execute("SELECT 1").await.unwrap();
    }
    pg.psql_super(
        "postgres",
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{APPLICATION_NAME}'"
        ),
    );
    // The driver notices the closed socket on its own; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = server.maintenance().await.unwrap();
    c.batch_execute("SELECT 1")
        .await
        .expect("a fresh connection");
    assert_eq!(server.pool_stats("postgres").opened, 2);
}

#[tokio::test]
async fn wrong_password_is_one_clear_error_without_the_password() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let password = "Wr0ng-Pa55word-xyz";
    let server = Server::new(&pools, pg.settings("postgres", password));
    let err = server.check().await.unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, PgError::Connect { .. }));
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(text.contains(&pg.port.to_string()), "{text}");
    assert!(text.contains("\"postgres\""), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(!text.contains(password), "password leaked: {text}");
    assert!(
        !format!("{err:?}").contains(password),
        "password leaked in Debug"
    );
    assert!(!format!("{:?}", server.settings()).contains(password));

    // Remembered: the next 200 callers get the same answer without trying again.
    let started = Instant::now();
    for _ in 0..200 {
        let again = server.maintenance().await.err().unwrap();
        assert_eq!(again, err);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn unreachable_server_fails_within_connect_timeout() {
    let pools = Pools::new();
    let mut settings = TestPg::start().superuser(); // the server stops when dropped here
    settings.connect_timeout = Duration::from_secs(2);
    let server = Server::new(&pools, settings);
    let started = Instant::now();
    let err = server.check().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = err.to_string();
    assert!(
        text.starts_with("could not connect to PostgreSQL at 127.0.0.1:"),
        "{text}"
    );
}

#[tokio::test]
async fn check_reports_version_and_privileges() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let info = Server::new(&pools, pg.superuser()).check().await.unwrap();
    assert_eq!(info.major(), 15);
    assert!(info.superuser);
    let info = Server::new(&pools, pg.admin()).check().await.unwrap();
    assert_eq!(info.current_user, support::ADMIN);
    assert!(!info.superuser && info.create_role && info.create_database);
}

#[tokio::test]
async fn dropping_a_get_while_waiting_does_not_leak_a_slot() {
    let pg = TestPg::start();
    let pools = Pools::new();
    let mut settings = pg.superuser();
    settings.max_connections = 1;
    let server = Server::new(&pools, settings);
    let held = server.maintenance().await.unwrap();
    // Waits for the only slot; Terraform's Stop drops it.
    let waiting = tokio::time::timeout(Duration::from_millis(100), server.maintenance()).await;
    assert!(
        waiting.is_err(),
        "must wait while the only connection is in use"
    );
    drop(held);
    let again = tokio::time::timeout(Duration::from_secs(5), server.maintenance()).await;
    assert!(again.unwrap().is_ok());
    assert_eq!(server.pool_stats("postgres").opened, 1);
}
