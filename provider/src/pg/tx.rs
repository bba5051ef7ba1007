//! Running work atomically in one database, and running it again when PostgreSQL says a
//! concurrent writer got in the way (serialization failure, deadlock, `tuple concurrently
//! updated` from parallel GRANT/REVOKE on one object).
//!
//! [`Tx`] owns its pooled connection (no borrowed closures: the futures stay `Send` and
//! `'static`-friendly for the plugin's spawned tasks). Commit or roll it back explicitly; a
//! `Tx` dropped otherwise — Terraform's Stop dropping the future mid-statement — cancels the
//! statement on the server and closes the connection, which rolls back and frees its locks.

use std::future::Future;
use std::ops::Deref;
use std::time::Duration;

use tokio_postgres::types::Type;
use tokio_postgres::{Client, GenericClient};

use super::error::PgError;
use super::pool::{AbandonGuard, PooledClient};
use super::server::Server;

/// How often [`retry`] tries in total.
pub const MAX_ATTEMPTS: u32 = 8;

/// Runs `op` until it succeeds, fails with an error that is not [`PgError::is_retryable`], or
/// has been tried [`MAX_ATTEMPTS`] times. Waits a growing, jittered pause between attempts so
/// that colliding writers spread out. `op` starts from scratch each time (a new [`Tx`]).
pub async fn retry<T, F, Fut>(mut op: F) -> Result<T, PgError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, PgError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// 10 ms, 20 ms, 40 ms … capped at 640 ms, each scaled by a factor in [0.5, 1.5).
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let jitter = jitter_permille();
    Duration::from_millis(base * (500 + jitter) / 1000)
}

/// A cheap random number in 0..1000 without pulling in a RNG crate: the hasher behind
/// `HashMap` is randomly keyed per process and per instance.
fn jitter_permille() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    RandomState::new().hash_one(std::time::Instant::now()) % 1000
}

/// Takes transaction-scoped advisory locks on `keys` (any strings naming what is about to be
/// changed, e.g. `"acl:app:public.orders"`), always in sorted order, so concurrent writers
/// that touch overlapping objects queue up instead of deadlocking or tripping over each other
/// (`tuple concurrently updated`). Released at commit or rollback. Call it first in a [`Tx`].
pub async fn lock_in_order<C: GenericClient + Sync>(
    tx: &C,
    keys: &[String],
) -> Result<(), PgError> {
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    // unnest yields the array in order and the locks are taken row by row in that order.
    tx.query_typed(
        "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(k, 0)) \
         FROM unnest($1::text[]) AS k",
        &[(&keys, Type::TEXT_ARRAY)],
    )
    .await
    .map_err(|e| PgError::query("taking locks", &e))?;
    Ok(())
}

/// An open transaction on a pooled connection; derefs to [`tokio_postgres::Client`], whose
/// statements all run inside it.
pub struct Tx {
    // Field order matters: the guard must drop (and flag the connection) before the client
    // decides whether to go back to the pool.
    guard: Option<AbandonGuard>,
    client: PooledClient,
}

impl Tx {
    pub async fn commit(mut self) -> Result<(), PgError> {
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| PgError::query("committing", &e))?;
        if let Some(guard) = self.guard.take() {
            guard.disarm();
        }
        Ok(())
    }

    /// Rolls back and returns the connection to the pool (use on error paths, so an error
    /// does not cost a reconnect).
    pub async fn rollback(mut self) {
        if self.client.batch_execute("ROLLBACK").await.is_ok() {
            if let Some(guard) = self.guard.take() {
                guard.disarm();
            }
        }
    }

    /// Runs each statement; on the first failure rolls back and returns the error (with
    /// `context`, never the statement text).
    pub async fn execute_all(self, context: &str, statements: &[String]) -> Result<Tx, PgError> {
        for statement in statements {
            if let Err(e) = self.client.batch_execute(statement).await {
                let err = PgError::query(context, &e);
                self.rollback().await;
                return Err(err);
            }
        }
        Ok(self)
    }
}

impl Deref for Tx {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Server {
    /// Starts a transaction on a pooled connection to `database`.
    pub async fn begin(&self, database: &str) -> Result<Tx, PgError> {
        let client = self.client(database).await?;
        let tx = Tx {
            guard: Some(client.abandon_guard()),
            client,
        };
        tx.client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| PgError::query("starting a transaction", &e))?;
        Ok(tx)
    }

    /// Runs `statements` in one transaction in `database`, retried as a whole on a concurrent
    /// update. Build them with [`super::quote_ident`] / [`super::quote_literal`]; errors name
    /// `context`, never the statement text (it may hold a password hash).
    pub async fn atomic(
        &self,
        database: &str,
        context: &str,
        statements: &[String],
    ) -> Result<(), PgError> {
        retry(|| async {
            self.begin(database)
                .await?
                .execute_all(context, statements)
                .await?
                .commit()
                .await
                .map_err(|e| with_context(e, context))
        })
        .await
    }
}

fn with_context(err: PgError, context: &str) -> PgError {
    match err {
        PgError::Query { code, message, .. } => PgError::Query {
            context: context.to_string(),
            code,
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn conflict() -> PgError {
        PgError::Query {
            context: "grant".into(),
            code: Some("XX000".into()),
            message: "ERROR: tuple concurrently updated (SQLSTATE XX000)".into(),
        }
    }

    #[tokio::test]
    async fn retries_concurrent_updates_then_succeeds() {
        let calls = AtomicU32::new(0);
        let out = retry(|| async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(conflict())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_and_never_retries_other_errors() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = retry(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(conflict())
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);

        let calls = AtomicU32::new(0);
        let out: Result<(), _> = retry(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(PgError::invalid("bad"))
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) < Duration::from_millis(31));
        assert!(backoff(20) <= Duration::from_millis(960));
    }
}
