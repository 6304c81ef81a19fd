//! Keeping the search index caught up with the corpus in the database.
//!
//! Every import commits under a new corpus version and announces it on the
//! change feed ([`CORPUS_CHANNEL`]), whichever process or instance made it. A
//! follower task wakes on each announcement (and every [`RECHECK`] as a safety
//! net), reads the documents written since the index's own version, page by
//! page, and feeds them to an index writer on a blocking thread; queries keep
//! searching the previous state until the commit, then the next query sees the
//! new one. An index of another database, or ahead of this one, is rebuilt.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use quartet_api::brookmimir::Document;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, Notify};

use super::index::{IndexError, Position};
use super::store::CORPUS_CHANNEL;
use super::Brookmimir;
use crate::platform::changes::Changes;
use crate::platform::{DbError, Fault};

/// Documents read from the database per page.
const PAGE: i64 = 2_000;

/// A catch-up of more documents than this uses a bulk writer (more threads and
/// memory, merged into one segment).
const BULK: i64 = 20_000;

/// How often the corpus version is read when no announcement arrives.
pub const RECHECK: Duration = Duration::from_secs(30);

/// How long to wait before trying again when the database is unavailable.
const RETRY: Duration = Duration::from_secs(1);

/// What the reading side sends the writing side.
enum Batch {
    Documents(Vec<Document>),
    /// Everything was read: commit.
    Done,
}

impl Brookmimir {
    /// Brings the index to the database's corpus position (one catch-up at a time).
    pub(super) async fn catch_up(&self) -> Result<(), Fault> {
        let _one_at_a_time = self.syncing.lock().await;
        let target = self.store.corpus_position().await?;
        let current = self.index.position();
        if current == Some(target) {
            return Ok(());
        }
        let rebuild =
            !current.is_some_and(|p| p.corpus == target.corpus && p.version <= target.version);
        let after = match current {
            Some(p) if !rebuild => p.version,
            _ => -1,
        };
        let started = Instant::now();
        let pending = self.store.count_changed(after).await?;
        let (pages, receiver) = mpsc::channel(2);
        let index = self.index.clone();
        let bulk = rebuild || pending > BULK;
        let writing =
            tokio::task::spawn_blocking(move || write(&index, bulk, rebuild, target, receiver));
        let read = self.read_changes(after, target, &pages).await;
        if read.is_ok() {
            let _ = pages.send(Batch::Done).await;
        }
        drop(pages);
        let written = writing.await?.map_err(Fault::internal)?;
        read?;
        slog::info!(self.log, "search index caught up";
            "documents" => written,
            "rebuilt" => rebuild,
            "corpus_version" => target.version,
            "segments" => self.index.segments(),
            "took_ms" => started.elapsed().as_millis() as u64);
        Ok(())
    }

    /// Sends the documents written after version `after`, up to `target`, page by page.
    async fn read_changes(
        &self,
        after: i64,
        target: Position,
        pages: &mpsc::Sender<Batch>,
    ) -> Result<(), DbError> {
        let mut last_id = String::new();
        loop {
            let page = self
                .store
                .changed_documents(after, target.version, &last_id, PAGE)
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            last_id = last.id.clone();
            let full = page.len() as i64 == PAGE;
            if pages.send(Batch::Documents(page)).await.is_err() || !full {
                // The writer failed (it says why), or that was the last page.
                return Ok(());
            }
        }
    }

    /// Starts the follower: a catch-up after every announced import (imports
    /// announced while one runs are taken by the next), retried while the
    /// database is unavailable.
    pub(super) fn follow_corpus(self: &Arc<Self>, changes: Option<&Arc<Changes>>) {
        let wake = Arc::new(Notify::new());
        if let Some(changes) = changes {
            let mut rx = changes.subscribe();
            let wake = wake.clone();
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(c) if c.channel == CORPUS_CHANNEL => wake.notify_one(),
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => wake.notify_one(),
                        Err(RecvError::Closed) => break,
                    }
                }
            });
        }
        let surface: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(RECHECK, wake.notified()).await;
                let Some(surface) = surface.upgrade() else {
                    break;
                };
                while let Err(e) = surface.catch_up().await {
                    if !e.is_unavailable() {
                        slog::warn!(surface.log, "updating the search index failed"; "error" => %e);
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
        });
    }
}

/// The writing side of a catch-up: commits at `target` once told everything was sent.
fn write(
    index: &super::index::SearchIndex,
    bulk: bool,
    rebuild: bool,
    target: Position,
    mut pages: mpsc::Receiver<Batch>,
) -> Result<usize, IndexError> {
    let mut writer = index.writer(bulk)?;
    if rebuild {
        writer.clear()?;
    }
    let mut written = 0;
    while let Some(batch) = pages.blocking_recv() {
        match batch {
            Batch::Documents(docs) => {
                for d in &docs {
                    writer.upsert(d)?;
                }
                written += docs.len();
            }
            Batch::Done => {
                writer.commit(target)?;
                return Ok(written);
            }
        }
    }
    // The reading side failed: drop what was written, commit nothing.
    Ok(0)
}
