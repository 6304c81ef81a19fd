//! Credential checks without a database round trip per request: what a
//! presented secret turned out to be is kept in memory (keyed by its SHA-256),
//! and dropped when the change feed announces a revocation or an update of that
//! credential or of its owner (see [`super::cache`] for the bound).
//!
//! Unknown secrets are never kept (anyone can present new ones); every entry is
//! read again after [`LAST_USED_RESOLUTION_SECS`], which also records its last use.

use std::sync::Arc;
use std::time::Duration;

use super::cache::Cache;
use super::changes::Changes;
use super::credentials::{CredentialStore, Lookup, LAST_USED_RESOLUTION_SECS};
use super::secrets::sha256;
use super::storage::{now, DbError};

/// How many presented secrets are kept.
const CAPACITY: usize = 10_000;

/// A [`CredentialStore`] whose `authenticate` answers from memory when it can.
#[derive(Clone)]
pub struct CachedCredentials {
    store: CredentialStore,
    cache: Arc<Cache<[u8; 32], Arc<Lookup>>>,
}

impl CachedCredentials {
    /// Checks secrets of `store`; with `changes` (a serving process), results are
    /// kept until a change concerns them. Without, every check reads the database.
    pub fn new(store: CredentialStore, changes: Option<&Arc<Changes>>) -> Self {
        let cache = Arc::new(Cache::of_database(
            Duration::from_secs(LAST_USED_RESOLUTION_SECS as u64),
            CAPACITY,
        ));
        if let Some(changes) = changes {
            let channel = store.channel();
            // The payload is a credential id, or an owner whose credentials all changed.
            cache.follow(changes, move |cache, change| {
                if change.channel == channel {
                    cache.invalidate(|_, lookup: &Arc<Lookup>| match &**lookup {
                        Lookup::Valid(c) | Lookup::Revoked(c) | Lookup::Expired(c) => {
                            c.id == change.payload || c.owner.as_deref() == Some(&change.payload)
                        }
                        Lookup::Unknown => true,
                    });
                }
            });
        }
        Self { store, cache }
    }

    /// The underlying store.
    pub fn store(&self) -> &CredentialStore {
        &self.store
    }

    /// Checks a presented secret, as [`CredentialStore::authenticate`] does.
    pub async fn authenticate(&self, secret: &str) -> Result<Arc<Lookup>, DbError> {
        let digest = sha256(secret.as_bytes());
        if let Some(found) = self.cache.get(&digest) {
            if let Lookup::Valid(c) = &*found {
                if c.expires_at.is_some_and(|at| at <= now()) {
                    return Ok(Arc::new(Lookup::Expired(c.clone())));
                }
            }
            return Ok(found);
        }
        let ticket = self.cache.ticket();
        let found = Arc::new(self.store.authenticate(secret).await?);
        if !matches!(*found, Lookup::Unknown) {
            self.cache.insert(ticket, digest, found.clone());
        }
        Ok(found)
    }
}
