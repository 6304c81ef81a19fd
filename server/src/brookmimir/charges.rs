//! Taking credits: exactly one per billable call, acknowledged only once it is
//! committed, without a lock convoy under concurrency.
//!
//! On PostgreSQL each charge is one conditional `UPDATE … WHERE credits > 0`:
//! row locks order concurrent charges, on one instance or many. On SQLite every
//! write needs the one database-wide write lock, so concurrent charges queued
//! behind it would each sleep in SQLite's busy handler. Instead, the charges of
//! this process go to one writer task, which takes whatever is waiting (up to
//! [`MAX_BATCH`]) and charges it per key — one conditional `UPDATE … SET credits
//! = credits - n WHERE credits >= n`, or, for a balance that runs out, a
//! `BEGIN IMMEDIATE` transaction that gives what is left — then answers every
//! waiter. Under load, batches grow; alone, a charge is a statement of its own.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use super::store::Store;
use crate::platform::storage::Backend;
use crate::platform::Fault;

/// Most charges taken in one transaction.
pub const MAX_BATCH: usize = 512;

/// How often the writer yields to the runtime before it takes a batch.
const GATHER_YIELDS: usize = 3;

/// A charge waiting for the writer.
struct Pending {
    key: String,
    answer: oneshot::Sender<Result<bool, Fault>>,
}

/// Where charges go.
pub struct Charges {
    store: Store,
    /// The writer task's queue (SQLite only).
    queue: Option<mpsc::Sender<Pending>>,
}

impl Charges {
    /// Charges against `store`; on SQLite this starts the writer task.
    pub fn new(store: Store) -> Self {
        let queue = (store.db().backend() == Backend::Sqlite).then(|| {
            let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(writer(store.clone(), receiver));
            sender
        });
        Self { store, queue }
    }

    /// Takes one credit from key `id`: `Ok(false)` when its balance is zero.
    pub async fn charge(&self, id: &str) -> Result<bool, Fault> {
        let Some(queue) = &self.queue else {
            return Ok(self.store.charge(id).await?);
        };
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            key: id.to_owned(),
            answer,
        };
        if queue.send(pending).await.is_err() {
            return Err(Fault::internal("the charge writer has stopped"));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(Fault::internal("the charge writer dropped a charge")))
    }
}

/// Takes batches of charges until every sender is gone.
async fn writer(store: Store, mut queue: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Let the requests that are runnable now reach their charge before this batch
        // goes (a group commit without a timer): fewer, larger batches under load.
        for _ in 0..GATHER_YIELDS {
            tokio::task::yield_now().await;
        }
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // A caller that went away before its charge was taken is not charged.
        batch.retain(|p| !p.answer.is_closed());
        let mut wanted: HashMap<&str, i64> = HashMap::new();
        for p in &batch {
            *wanted.entry(p.key.as_str()).or_default() += 1;
        }
        let wanted: Vec<(String, i64)> =
            wanted.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
        match store.charge_many(&wanted).await {
            Ok(granted) => {
                let mut left: HashMap<&str, i64> = wanted
                    .iter()
                    .zip(granted)
                    .map(|((k, _), g)| (k.as_str(), g))
                    .collect();
                for p in batch.drain(..) {
                    let n = left
                        .get_mut(p.key.as_str())
                        .expect("every key was asked for");
                    let charged = *n > 0;
                    *n -= i64::from(charged);
                    let _ = p.answer.send(Ok(charged));
                }
            }
            Err(e) => {
                let fault = Fault::from(e);
                for p in batch.drain(..) {
                    let _ = p.answer.send(Err(fault.clone()));
                }
            }
        }
    }
}
