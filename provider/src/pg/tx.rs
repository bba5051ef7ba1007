//! Running work atomically in one database, and running it again when PostgreSQL says a
//! concurrent writer got in the way (serialization failure, deadlock, `tuple concurrently
//! updated` from parallel GRANT/REVOKE on one object).

use std::future::Future;
use std::time::Duration;

use tokio_postgres::Transaction;

use super::error::PgError;
use super::server::Server;

/// How often [`retry`] tries in total.
pub const MAX_ATTEMPTS: u32 = 8;

/// Runs `op` until it succeeds, fails with an error that is not [`PgError::is_retryable`], or
/// has been tried [`MAX_ATTEMPTS`] times. Waits a growing, jittered pause between attempts so
/// that colliding writers spread out.
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

impl Server {
    /// Runs `statements` in one transaction in `database`, retried as a whole on a concurrent
    /// update. The statements are built with [`super::quote_ident`] / [`super::quote_literal`];
    /// errors name `context`, never the statement text (it may hold a password).
    pub async fn atomic(
        &self,
        database: &str,
        context: &str,
        statements: &[String],
    ) -> Result<(), PgError> {
        self.transaction(database, context, async |tx: &Transaction<'_>| {
            for statement in statements {
                tx.batch_execute(statement)
                    .await
                    .map_err(|e| PgError::query(context, &e))?;
            }
            Ok(())
        })
        .await
    }

    /// Runs `work` inside a transaction in `database`, committing when it returns `Ok`, rolling
    /// back otherwise; retried as a whole (new transaction) on a concurrent update. `work` may
    /// run more than once, so it must only touch the database through the transaction it gets.
    pub async fn transaction<T, F>(
        &self,
        database: &str,
        context: &str,
        mut work: F,
    ) -> Result<T, PgError>
    where
        F: AsyncFnMut(&Transaction<'_>) -> Result<T, PgError>,
    {
        let mut attempt = 1;
        loop {
            let result: Result<T, PgError> = async {
                let mut client = self.client(database).await?;
                let tx = client
                    .transaction()
                    .await
                    .map_err(|e| PgError::query(context, &e))?;
                let value = work(&tx).await?;
                tx.commit().await.map_err(|e| PgError::query(context, &e))?;
                Ok(value)
            }
            .await;
            match result {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
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
