//! The Brookmimir surface: credit-metered search over the corpus.
//!
//! Handlers are thin: authenticate the key, validate the request, take the
//! credit, do the work. Storage is [`store::Store`], search is
//! [`search::SearchIndex`], outbound calls are in [`upstream`].

pub mod corpus;
mod handlers;
pub mod search;
pub mod store;
pub mod upstream;

use std::sync::Arc;

use quartet_api::brookmimir::{messages, StatusMessage};
use slog::Logger;

use crate::config::BrookmimirConfig;
use crate::db::Pool;
use search::SearchIndex;
use store::Store;

pub use handlers::api;

/// Everything a Brookmimir handler needs.
pub struct Brookmimir {
    store: Store,
    index: SearchIndex,
    /// Serialises index rebuilds.
    rebuild: tokio::sync::Mutex<()>,
    http: reqwest::Client,
    config: BrookmimirConfig,
    log: Logger,
}

impl Brookmimir {
    /// Sets up the surface over `pool`: loads the demo corpus into an empty corpus
    /// (when configured) and builds the search index.
    pub async fn new(
        pool: Pool,
        config: BrookmimirConfig,
        log: Logger,
    ) -> anyhow::Result<Arc<Self>> {
        let store = Store::new(pool);
        if config.load_demo_corpus {
            let pool = store.pool().clone();
            let demo: Vec<_> =
                corpus::parse_jsonl(corpus::DEMO_CORPUS.as_bytes()).collect::<Result<_, _>>()?;
            let loaded = crate::db::blocking(&pool, move |c| {
                if Store::count_documents(c)? > 0 {
                    return Ok(0);
                }
                Store::upsert_documents(c, &demo)?;
                Ok(demo.len())
            })
            .await?;
            if loaded > 0 {
                slog::info!(log, "loaded the demo corpus"; "documents" => loaded);
            }
        }
        let surface = Arc::new(Self {
            store,
            index: SearchIndex::new()?,
            rebuild: tokio::sync::Mutex::new(()),
            http: upstream::http_client(),
            config,
            log,
        });
        surface
            .sync_index()
            .await
            .map_err(|e| anyhow::anyhow!("building the search index: {e}"))?;
        Ok(surface)
    }

    /// Rebuilds the search index if an import changed the corpus since it was built.
    async fn sync_index(&self) -> Result<(), StatusMessage> {
        let current = self
            .store
            .corpus_version()
            .await
            .map_err(|e| self.internal(e))?;
        if self.index.version() == Some(current) {
            return Ok(());
        }
        let _guard = self.rebuild.lock().await;
        if self.index.version() == Some(current) {
            return Ok(());
        }
        let (version, docs) = self.store.snapshot().await.map_err(|e| self.internal(e))?;
        self.index
            .rebuild(version, &docs)
            .map_err(|e| self.internal(e))?;
        slog::info!(self.log, "search index rebuilt"; "documents" => docs.len(), "corpus_version" => version);
        Ok(())
    }

    /// Logs an unexpected failure and turns it into an opaque 500.
    fn internal(&self, e: impl std::fmt::Display) -> StatusMessage {
        slog::error!(self.log, "internal error"; "error" => %e);
        StatusMessage::new(500, messages::INTERNAL)
    }
}
