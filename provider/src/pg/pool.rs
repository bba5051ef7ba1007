//! Connection pools: one per (server settings, database), shared by every resource and kept for
//! the life of the process. At most `max_connections` connections per database, opened lazily,
//! reused, replaced when broken. A failed connect is remembered for a moment, so two hundred
//! resources waiting on a dead server get the first answer instead of two hundred timeouts.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls};

use super::connect::connect;
use super::error::PgError;
use super::settings::ConnSettings;
use super::tls::{self, RustlsConnect};

/// How long a failed connect is handed out again without trying.
pub const FAILURE_MEMORY: Duration = Duration::from_secs(5);

/// The registry of pools. Cheap to clone; clones share the pools. The provider keeps one for the
/// whole process ([`Pools::global`]); tests may make their own.
#[derive(Clone, Default)]
pub struct Pools {
    pools: Arc<Mutex<HashMap<PoolKey, Arc<Pool>>>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    /// The settings with `database` blanked: the maintenance database does not change where a
    /// connection to `database` goes.
    server: ConnSettings,
    database: String,
}

impl Pools {
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry.
    pub fn global() -> &'static Pools {
        static GLOBAL: OnceLock<Pools> = OnceLock::new();
        GLOBAL.get_or_init(Pools::new)
    }

    /// A connection to `database` on the server `settings` describe, from that pool. Waits while
    /// all `max_connections` connections are in use. Dropping the returned future is safe at any
    /// point.
    pub async fn get(
        &self,
        settings: &ConnSettings,
        database: &str,
    ) -> Result<PooledClient, PgError> {
        self.pool(settings, database).get().await
    }

    /// Connection counts of one pool (for tests and benchmarks).
    pub fn stats(&self, settings: &ConnSettings, database: &str) -> PoolStats {
        self.pool(settings, database).stats()
    }

    fn pool(&self, settings: &ConnSettings, database: &str) -> Arc<Pool> {
        let mut server = settings.clone();
        server.database = String::new();
        let key = PoolKey {
            server,
            database: database.to_string(),
        };
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        pools
            .entry(key)
            .or_insert_with(|| Arc::new(Pool::new(settings, database)))
            .clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections opened since the pool was made (replacements included).
    pub opened: u64,
    /// Connections currently open and idle in the pool.
    pub idle: usize,
    /// The pool's bound.
    pub max: usize,
}

struct Pool {
    settings: ConnSettings,
    database: String,
    max: usize,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Client>>,
    tls: OnceLock<Result<Option<Arc<ClientConfig>>, String>>,
    last_failure: Mutex<Option<(Instant, PgError)>>,
    opened: AtomicU64,
}

impl Pool {
    fn new(settings: &ConnSettings, database: &str) -> Self {
        let max = settings.max_connections.max(1);
        Pool {
            settings: settings.clone(),
            database: database.to_string(),
            max,
            permits: Arc::new(Semaphore::new(max)),
            idle: Mutex::new(Vec::new()),
            tls: OnceLock::new(),
            last_failure: Mutex::new(None),
            opened: AtomicU64::new(0),
        }
    }

    async fn get(self: Arc<Self>) -> Result<PooledClient, PgError> {
        self.recent_failure()?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("pool semaphore is never closed");
        // Whoever held the permit before us may have just failed to connect.
        self.recent_failure()?;
        while let Some(client) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            if !client.is_closed() {
                return Ok(PooledClient::new(client, self.clone(), permit));
            }
        }
        match self.open().await {
            Ok(client) => {
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Ok(PooledClient::new(client, self.clone(), permit))
            }
            Err(err) => {
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((Instant::now(), err.clone()));
                Err(err)
            }
        }
    }

    async fn open(&self) -> Result<Client, PgError> {
        let tls = self
            .tls
            .get_or_init(|| tls::client_config(&self.settings))
            .as_ref()
            .map_err(|message| PgError::Connect {
                host: self.settings.host.clone(),
                port: self.settings.port,
                user: self.settings.username.clone(),
                database: self.database.clone(),
                message: message.clone(),
            })?;
        let client = connect(&self.settings, &self.database, tls.as_ref()).await?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(client)
    }

    fn recent_failure(&self) -> Result<(), PgError> {
        let guard = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
        match &*guard {
            Some((at, err)) if at.elapsed() < FAILURE_MEMORY => Err(err.clone()),
            _ => Ok(()),
        }
    }

    fn give_back(&self, client: Client) {
        if !client.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(client);
        }
    }

    fn stats(&self) -> PoolStats {
        PoolStats {
            opened: self.opened.load(Ordering::Relaxed),
            idle: self.idle.lock().unwrap_or_else(|e| e.into_inner()).len(),
            max: self.max,
        }
    }
}

/// A connection borrowed from a pool; derefs to [`tokio_postgres::Client`]. Goes back to the
/// pool when dropped (unless the connection has died). A transaction left open by a dropped
/// `Transaction` is rolled back by the driver before the next statement runs.
pub struct PooledClient {
    client: Option<Client>,
    pool: Arc<Pool>,
    /// Set when work on this connection was abandoned mid-statement: the connection is then
    /// closed instead of being handed to the next caller, who would wait behind it.
    abandoned: Arc<AtomicBool>,
    _permit: OwnedSemaphorePermit,
}

impl PooledClient {
    fn new(client: Client, pool: Arc<Pool>, permit: OwnedSemaphorePermit) -> Self {
        PooledClient {
            client: Some(client),
            pool,
            abandoned: Arc::new(AtomicBool::new(false)),
            _permit: permit,
        }
    }

    /// A guard for work about to run on this connection. Disarm it when the work is done; if
    /// it is dropped armed (the future running the work was dropped — Terraform's Stop), the
    /// server is asked to cancel the running statement, which also ends an open transaction
    /// and releases its locks, and the connection is closed rather than reused.
    pub fn abandon_guard(&self) -> AbandonGuard {
        AbandonGuard {
            abandoned: self.abandoned.clone(),
            cancel: self.cancel_token(),
            tls: self
                .pool
                .tls
                .get()
                .and_then(|t| t.as_ref().ok().cloned().flatten()),
            armed: true,
        }
    }

    /// The database this connection is attached to.
    pub fn database(&self) -> &str {
        &self.pool.database
    }
}

impl Deref for PooledClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("client present until drop")
    }
}

impl DerefMut for PooledClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("client present until drop")
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if !self.abandoned.load(Ordering::Acquire) {
                self.pool.give_back(client);
            }
        }
    }
}

/// See [`PooledClient::abandon_guard`].
pub struct AbandonGuard {
    abandoned: Arc<AtomicBool>,
    cancel: tokio_postgres::CancelToken,
    tls: Option<Arc<ClientConfig>>,
    armed: bool,
}

impl AbandonGuard {
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.abandoned.store(true, Ordering::Release);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (cancel, tls) = (self.cancel.clone(), self.tls.clone());
        runtime.spawn(async move {
            // Best effort: if it fails, closing the connection still ends the session once
            // the statement finishes.
            let _ = match tls {
                Some(tls) => cancel.cancel_query(RustlsConnect(tls)).await,
                None => cancel.cancel_query(NoTls).await,
            };
        });
    }
}
