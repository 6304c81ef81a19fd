//! The gateway's limits, per instance: requests per minute per credential
//! (a fixed one-minute window) and requests in flight per deployment
//! (`concurrency_limit`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counters of one instance.
pub struct Limits {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    in_flight: Arc<Mutex<HashMap<String, i64>>>,
}

/// A request counted against its deployment's concurrency; released when dropped.
pub struct Slot {
    deployment: String,
    in_flight: Arc<Mutex<HashMap<String, i64>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.in_flight.lock().expect("limits lock");
        if let Some(n) = map.get_mut(&self.deployment) {
            *n -= 1;
            if *n <= 0 {
                map.remove(&self.deployment);
            }
        }
    }
}

impl Limits {
    /// `per_minute` requests per credential per minute.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts a request of `credential`; `Err(seconds)` until the window ends when over.
    pub fn admit(&self, credential: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.windows.lock().expect("limits lock");
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(credential.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = Duration::from_secs(60).saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// A slot of `deployment`, unless `limit` requests are in flight already.
    pub fn slot(&self, deployment: &str, limit: i64) -> Option<Slot> {
        let mut map = self.in_flight.lock().expect("limits lock");
        let n = map.entry(deployment.to_owned()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot {
            deployment: deployment.to_owned(),
            in_flight: self.in_flight.clone(),
        })
    }
}
