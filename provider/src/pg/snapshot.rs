//! A keyed, single-flight cache of catalog snapshots (all ACLs of a database, all roles, …).
//!
//! Why: Terraform refreshes every resource with its own call, often 10–20 at a time. Reading
//! the catalog once per key and answering every resource from that one read turns 1,000 round
//! trips into one. Rules that keep it correct:
//! - Single flight: callers that arrive while a read is running wait for that read instead of
//!   starting their own.
//! - Our own writes invalidate: after [`SnapshotCache::invalidate`] no caller is handed a
//!   snapshot whose read started before it (a read in flight at that moment finishes for the
//!   callers already waiting on it, and is then forgotten).
//! - A snapshot older than `max_age` is read again: the cache serves one burst of calls (one
//!   Terraform walk), not the life of a long-running process.
//! - Failures are not cached: the next caller tries again.
//!
//! Writers never use snapshots to decide what to change: they read fresh, under their locks.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

struct Slot<V> {
    cell: Arc<OnceCell<(Arc<V>, Instant)>>,
}

pub struct SnapshotCache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
    max_age: Duration,
}

impl<K: Eq + Hash + Clone, V> SnapshotCache<K, V> {
    pub fn new(max_age: Duration) -> Self {
        SnapshotCache {
            slots: Mutex::new(HashMap::new()),
            max_age,
        }
    }

    /// The snapshot for `key`, reading it with `load` when there is none (or it is too old).
    pub async fn get_or_load<E, F, Fut>(&self, key: &K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut slots = self.slots.lock().expect("snapshot cache lock");
            let stale = slots.get(key).is_some_and(|slot| {
                slot.cell
                    .get()
                    .is_some_and(|(_, at)| at.elapsed() > self.max_age)
            });
            if stale {
                slots.remove(key);
            }
            slots
                .entry(key.clone())
                .or_insert_with(|| Slot {
                    cell: Arc::new(OnceCell::new()),
                })
                .cell
                .clone()
        };
        let (value, _) = cell
            .get_or_try_init(|| async { Ok((Arc::new(load().await?), Instant::now())) })
            .await?;
        Ok(value.clone())
    }

    /// Forgets the snapshot for `key`: call after every write that changes what it holds.
    pub fn invalidate(&self, key: &K) {
        self.slots.lock().expect("snapshot cache lock").remove(key);
    }

    /// Forgets every snapshot (a write whose reach is not one key, e.g. a role rename).
    pub fn invalidate_all(&self) {
        self.slots.lock().expect("snapshot cache lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn count_loads(
        cache: &SnapshotCache<&'static str, u32>,
        loads: &AtomicU32,
    ) -> Result<Arc<u32>, String> {
        cache
            .get_or_load(&"db", || async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_read() {
        let cache = SnapshotCache::new(Duration::from_secs(60));
        let loads = AtomicU32::new(0);
        let results = futures::future::join_all((0..20).map(|_| count_loads(&cache, &loads))).await;
        assert!(results.iter().all(|r| **r.as_ref().unwrap() == 1));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidation_forces_a_new_read() {
        let cache = SnapshotCache::new(Duration::from_secs(60));
        let loads = AtomicU32::new(0);
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 1);
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 1);
        cache.invalidate(&"db");
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn old_snapshots_and_failures_are_not_served() {
        let cache = SnapshotCache::new(Duration::from_millis(0));
        let loads = AtomicU32::new(0);
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 2);

        let cache: SnapshotCache<&str, u32> = SnapshotCache::new(Duration::from_secs(60));
        let failed: Result<_, String> = cache
            .get_or_load(&"db", || async { Err("down".to_string()) })
            .await;
        assert!(failed.is_err());
        let ok: Result<_, String> = cache.get_or_load(&"db", || async { Ok(5) }).await;
        assert_eq!(*ok.unwrap(), 5);
    }
    #[tokio::test]
    async fn a_read_in_flight_at_invalidation_is_not_served_after_it() {
        let cache = Arc::new(SnapshotCache::<&str, u32>::new(Duration::from_secs(60)));
        let loads = Arc::new(AtomicU32::new(0));
        let early = {
            let (cache, loads) = (cache.clone(), loads.clone());
            tokio::spawn(async move { *count_loads(&cache, &loads).await.unwrap() })
        };
        // The read has begun; one of our writes commits meanwhile.
        tokio::time::sleep(Duration::from_millis(5)).await;
        cache.invalidate(&"db");
        assert_eq!(*count_loads(&cache, &loads).await.unwrap(), 2);
        assert_eq!(
            early.await.unwrap(),
            1,
            "the caller before the write keeps its read"
        );
    }

    #[tokio::test]
    async fn a_cancelled_reader_hands_the_read_to_a_waiter() {
        let cache = Arc::new(SnapshotCache::<&str, u32>::new(Duration::from_secs(60)));
        let first = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let _: Result<_, String> = cache
                    .get_or_load(&"db", || async {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Ok(1)
                    })
                    .await;
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let second = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let got: Result<_, String> = cache.get_or_load(&"db", || async { Ok(2) }).await;
                *got.unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort(); // Terraform's Stop drops the first reader mid-read.
        let got = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the waiter must not hang")
            .unwrap();
        assert_eq!(got, 2);
    }
}
