//! Catalog snapshots shared by every resource of one provider process: one bulk query answers
//! many reads.
//!
//! Terraform refreshes resources one RPC at a time; a plan of 1,000 roles would otherwise send
//! 1,000 catalog queries. A [`Snapshots`] keeps, per key (a database, a catalog), the result of
//! one bulk read and hands it to every reader for a short while:
//!
//! - **single-flight**: readers arriving while a read is running wait for it instead of sending
//!   their own; if that read fails (or its caller is cancelled), the next waiter reads itself;
//! - **never older than our own writes**: [`Snapshots::invalidate`] (called after every write
//!   that can change what the snapshot holds, once it committed) drops the key's snapshot and
//!   any read in flight for it, so a reader arriving after a write gets a read that started
//!   after it. Readers that joined a flight before the write may get its result: they were
//!   concurrent with the write, and either answer is a correct one;
//! - **short-lived**: a snapshot older than `max_age` (counted from when its read began) is read
//!   again, so a long-running process does not serve an old view of changes made outside.
//!
//! Each provider configuration (one per Terraform command) makes its own, so drift made outside
//! between two commands is always seen.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// A keyed set of single-flight, write-invalidated snapshots of type `V`.
pub struct Snapshots<K, V> {
    max_age: Duration,
    flights: Mutex<HashMap<K, Flight<V>>>,
}

/// One read of one key: its result once it is in, and when it began.
struct Flight<V> {
    began: Instant,
    result: Arc<OnceCell<Arc<V>>>,
}

impl<K: Eq + Hash + Clone, V> Snapshots<K, V> {
    pub fn new(max_age: Duration) -> Self {
        Snapshots {
            max_age,
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// The snapshot of `key`: the current one if it is young enough, else the result of the read
    /// in flight, else a fresh one from `read` (which only this caller runs; the others wait).
    pub async fn get<E, F, Fut>(&self, key: &K, read: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let result = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            match flights.get(key) {
                Some(flight) if flight.began.elapsed() < self.max_age => flight.result.clone(),
                _ => {
                    let result = Arc::new(OnceCell::new());
                    let flight = Flight {
                        began: Instant::now(),
                        result: result.clone(),
                    };
                    flights.insert(key.clone(), flight);
                    result
                }
            }
        };
        result
            .get_or_try_init(|| async { read().await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Forgets `key`'s snapshot and any read of it in flight: call after a committed write that
    /// may change what it holds.
    pub fn invalidate(&self, key: &K) {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        flights.remove(key);
    }

    /// Forgets every snapshot.
    pub fn invalidate_all(&self) {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        flights.clear();
    }
}

impl<K, V> std::fmt::Debug for Snapshots<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshots")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter() -> Arc<AtomicUsize> {
        Arc::new(AtomicUsize::new(0))
    }

    /// A read that counts itself and returns its own number, after a pause so that others pile
    /// up behind it.
    async fn counted(reads: &AtomicUsize, pause: Duration) -> Result<usize, String> {
        let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(pause).await;
        Ok(n)
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_read() {
        let snaps = Arc::new(Snapshots::<&str, usize>::new(Duration::from_secs(60)));
        let reads = counter();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (snaps, reads) = (snaps.clone(), reads.clone());
            tasks.push(tokio::spawn(async move {
                *snaps
                    .get(&"roles", || counted(&reads, Duration::from_millis(20)))
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Later readers reuse it too.
        let again = snaps
            .get(&"roles", || counted(&reads, Duration::ZERO))
            .await;
        assert_eq!(*again.unwrap(), 1);
    }

    #[tokio::test]
    async fn keys_are_independent() {
        let snaps = Snapshots::<&str, usize>::new(Duration::from_secs(60));
        let reads = counter();
        let a = snaps.get(&"a", || counted(&reads, Duration::ZERO)).await;
        let b = snaps.get(&"b", || counted(&reads, Duration::ZERO)).await;
        assert_eq!((*a.unwrap(), *b.unwrap()), (1, 2));
        snaps.invalidate(&"a");
        let b = snaps.get(&"b", || counted(&reads, Duration::ZERO)).await;
        assert_eq!(*b.unwrap(), 2, "invalidating a leaves b alone");
    }

    #[tokio::test]
    async fn a_write_forces_the_next_reader_to_read_again() {
        let snaps = Snapshots::<(), usize>::new(Duration::from_secs(60));
        let reads = counter();
        let first = snaps.get(&(), || counted(&reads, Duration::ZERO)).await;
        assert_eq!(*first.unwrap(), 1);
        snaps.invalidate(&());
        let second = snaps.get(&(), || counted(&reads, Duration::ZERO)).await;
        assert_eq!(*second.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_read_in_flight_during_a_write_is_not_served_after_it() {
        let snaps = Arc::new(Snapshots::<(), usize>::new(Duration::from_secs(60)));
        let reads = counter();
        let early = {
            let (snaps, reads) = (snaps.clone(), reads.clone());
            tokio::spawn(async move {
                *snaps
                    .get(&(), || counted(&reads, Duration::from_millis(100)))
                    .await
                    .unwrap()
            })
        };
        // The slow read has begun; a write commits meanwhile.
        tokio::time::sleep(Duration::from_millis(20)).await;
        snaps.invalidate(&());
        let late = snaps.get(&(), || counted(&reads, Duration::ZERO)).await;
        assert_eq!(
            *late.unwrap(),
            2,
            "a reader after the write gets a new read"
        );
        assert_eq!(
            early.await.unwrap(),
            1,
            "the reader before it keeps its own"
        );
    }

    #[tokio::test]
    async fn old_snapshots_are_read_again() {
        let snaps = Snapshots::<(), usize>::new(Duration::from_millis(30));
        let reads = counter();
        let first = snaps.get(&(), || counted(&reads, Duration::ZERO)).await;
        assert_eq!(*first.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = snaps.get(&(), || counted(&reads, Duration::ZERO)).await;
        assert_eq!(*second.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept_and_the_next_reader_tries_again() {
        let snaps = Snapshots::<(), usize>::new(Duration::from_secs(60));
        let failed: Result<Arc<usize>, String> =
            snaps.get(&(), || async { Err("down".to_string()) }).await;
        assert_eq!(failed.unwrap_err(), "down");
        let ok: Result<Arc<usize>, String> = snaps.get(&(), || async { Ok(7) }).await;
        assert_eq!(*ok.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_cancelled_reader_hands_the_read_to_a_waiter() {
        let snaps = Arc::new(Snapshots::<(), usize>::new(Duration::from_secs(60)));
        let reads = counter();
        let first = {
            let (snaps, reads) = (snaps.clone(), reads.clone());
            tokio::spawn(async move {
                let _ = snaps
                    .get(&(), || counted(&reads, Duration::from_secs(60)))
                    .await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = {
            let (snaps, reads) = (snaps.clone(), reads.clone());
            tokio::spawn(async move {
                *snaps
                    .get(&(), || counted(&reads, Duration::ZERO))
                    .await
                    .unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        first.abort(); // Terraform's Stop drops the first reader mid-read.
        let got = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the waiter must not hang")
            .unwrap();
        assert_eq!(got, 2);
    }
}
