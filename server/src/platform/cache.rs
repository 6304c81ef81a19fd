//! In-memory views of database rows that hot paths read on every request
//! (credentials, OAuth clients, verified tokens), kept correct by the change
//! feed instead of a database round trip per request.
//!
//! A [`Cache`] that depends on the database's state only stores entries while
//! it follows the change feed ([`Cache::follow`]): every change on its channels
//! invalidates the entries it concerns, and an invalidation that happens while
//! an entry is being read from the database keeps that read out of the cache
//! (each read takes a [`Ticket`] first). So a cached entry is at most one change
//! delivery behind the database: immediately on PostgreSQL (NOTIFY), within the
//! feed's 250 ms polling on SQLite. Entries are also dropped after a maximum
//! age, a safety net should notifications ever be lost.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;

use super::changes::{Change, Changes};

/// How soon a revocation (of a credential, an OAuth client) committed anywhere
/// is honoured by every serving process on the database: one change delivery —
/// at once on PostgreSQL (NOTIFY), within [`super::changes::POLL_INTERVAL`]
/// (250 ms) on SQLite — plus the time to drop the entries, with margin for a
/// loaded machine.
pub const REVOCATION_BOUND: Duration = Duration::from_secs(2);

/// Proof that a database read started when the cache could accept its result.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

/// A bounded map of values read from the database.
pub struct Cache<K, V> {
    entries: RwLock<HashMap<K, (V, Instant)>>,
    /// Bumped by every invalidation.
    epoch: AtomicU64,
    /// `None`: entries do not depend on the change feed. Otherwise the feed, once followed.
    feed: Option<OnceLock<Arc<Changes>>>,
    max_age: Duration,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    /// A cache of values that stay true until they age out (verified tokens, say):
    /// it stores entries at once.
    pub fn standalone(max_age: Duration, capacity: usize) -> Self {
        Self::build(None, max_age, capacity)
    }

    /// A cache of database state: it stores nothing until [`Cache::follow`] is called.
    pub fn of_database(max_age: Duration, capacity: usize) -> Self {
        Self::build(Some(OnceLock::new()), max_age, capacity)
    }

    fn build(feed: Option<OnceLock<Arc<Changes>>>, max_age: Duration, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            feed,
            max_age,
            capacity,
        }
    }

    /// The value of `key`, unless absent or older than the maximum age.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.read().expect("cache lock");
        let (value, at) = entries.get(key)?;
        (at.elapsed() < self.max_age).then(|| value.clone())
    }

    /// Taken before reading what [`Cache::insert`] will store; `None` when the
    /// cache cannot store anything yet (the change feed is not followed, or its
    /// reader has not started).
    pub fn ticket(&self) -> Option<Ticket> {
        let live = match &self.feed {
            None => true,
            Some(feed) => feed.get().is_some_and(|c| c.is_live()),
        };
        live.then(|| Ticket(self.epoch.load(Ordering::Acquire)))
    }

    /// Stores `value` read under `ticket`, unless something was invalidated since.
    pub fn insert(&self, ticket: Option<Ticket>, key: K, value: V) {
        let Some(Ticket(epoch)) = ticket else {
            return;
        };
        let mut entries = self.entries.write().expect("cache lock");
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, at)| at.elapsed() < self.max_age);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Drops the entries `stale` says are, and keeps out reads in flight.
    pub fn invalidate(&self, stale: impl Fn(&K, &V) -> bool) {
        let mut entries = self.entries.write().expect("cache lock");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.retain(|k, (v, _)| !stale(k, v));
    }

    /// Drops the entry of `key`.
    pub fn remove(&self, key: &K) {
        self.invalidate(|k, _| k == key);
    }

    /// Drops every entry.
    pub fn clear(&self) {
        self.invalidate(|_, _| true);
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.read().expect("cache lock").len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Starts storing entries, and calls `on_change` with every change published
    /// from now on (it invalidates what the change concerns); a subscriber that fell
    /// behind clears everything. The follower stops when the cache is dropped.
    pub fn follow(
        self: &Arc<Self>,
        changes: &Arc<Changes>,
        on_change: impl Fn(&Self, &Change) + Send + 'static,
    ) {
        // Subscribe before storing anything, so that no change is missed in between.
        let mut rx = changes.subscribe();
        if let Some(feed) = &self.feed {
            let _ = feed.set(changes.clone());
        }
        let cache = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let received = rx.recv().await;
                let Some(cache) = cache.upgrade() else {
                    break;
                };
                match received {
                    Ok(change) => on_change(&cache, &change),
                    Err(RecvError::Lagged(_)) => cache.clear(),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_overtaken_by_an_invalidation_is_not_stored() {
        let cache: Cache<&str, i32> = Cache::standalone(Duration::from_secs(60), 2);
        let ticket = cache.ticket();
        cache.invalidate(|_, _| false);
        cache.insert(ticket, "a", 1);
        assert_eq!(cache.get(&"a"), None);
        cache.insert(cache.ticket(), "a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.remove(&"a");
        assert_eq!(cache.get(&"a"), None);
    }

    #[test]
    fn a_cache_of_database_state_stores_nothing_until_it_follows_the_feed() {
        let cache: Cache<&str, i32> = Cache::of_database(Duration::from_secs(60), 2);
        assert!(cache.ticket().is_none());
        cache.insert(cache.ticket(), "a", 1);
        assert!(cache.is_empty());
    }

    #[test]
    fn it_stays_within_its_capacity_and_ages_out() {
        let cache: Cache<i32, i32> = Cache::standalone(Duration::from_secs(60), 3);
        for i in 0..10 {
            cache.insert(cache.ticket(), i, i);
            assert!(cache.len() <= 3);
        }
        let aged: Cache<i32, i32> = Cache::standalone(Duration::ZERO, 3);
        aged.insert(aged.ticket(), 1, 1);
        assert_eq!(aged.get(&1), None);
    }
}
