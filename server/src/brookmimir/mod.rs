//! The Brookmimir surface: credit-metered search over the corpus.
//!
//! Handlers are thin: authenticate the key ([`auth`]), validate the request, take
//! the credit, do the work ([`query`], [`faces`]). Storage is [`store::Store`],
//! the index is [`search::SearchIndex`], outbound calls are in [`upstream`].

pub mod admin;
mod auth;
pub mod config;
pub mod corpus;
mod faces;
mod handlers;
mod query;
pub mod search;
pub mod store;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use quartet_api::brookmimir::{messages, StatusMessage};
use slog::Logger;

use crate::platform::http::Server;
use crate::platform::{Fault, Platform};
use config::Config;
use search::SearchIndex;
use store::Store;

/// Everything a Brookmimir handler needs.
pub struct Brookmimir {
    store: Store,
    index: SearchIndex,
    /// Serialises index rebuilds.
    rebuild: tokio::sync::Mutex<()>,
    http: reqwest::Client,
    config: Config,
    log: Logger,
}

/// Brookmimir in the surface registry.
pub enum Service {}

impl crate::surfaces::LiveSurface for Service {
    type Config = Config;
    type Admin = admin::Command;

    async fn start(platform: Platform, config: Config, addr: SocketAddr) -> anyhow::Result<Server> {
        let log = platform.log.new(slog::o!("surface" => "brookmimir"));
        let context = Brookmimir::new(Store::new(platform.db.clone()), config, log.clone()).await?;
        crate::platform::http::serve(handlers::api(), context, addr, log).map_err(Into::into)
    }

    async fn admin(platform: Platform, command: admin::Command) -> anyhow::Result<()> {
        admin::run(Store::new(platform.db), command).await
    }
}

impl Brookmimir {
    /// Sets up the surface: loads the demo corpus into an empty corpus (unless told
    /// not to) and builds the search index. With the database down, both wait for
    /// the first query after it is back.
    pub async fn new(store: Store, config: Config, log: Logger) -> anyhow::Result<Arc<Self>> {
        let surface = Arc::new(Self {
            store,
            index: SearchIndex::new()?,
            rebuild: tokio::sync::Mutex::new(()),
            http: upstream::http_client(),
            config,
            log,
        });
        match surface.prepare_corpus().await {
            Ok(()) => {}
            Err(Fault::Unavailable(e)) => {
                slog::warn!(surface.log, "database unavailable; the index is built when it is back"; "error" => e)
            }
            Err(Fault::Internal(e)) => anyhow::bail!("building the search index: {e}"),
        }
        Ok(surface)
    }

    /// Loads the demo corpus into an empty corpus (when configured) and builds the index.
    async fn prepare_corpus(&self) -> Result<(), Fault> {
        if !self.config.no_demo_corpus && self.store.count_documents().await? == 0 {
            let demo: Vec<_> = corpus::parse_jsonl(corpus::DEMO_CORPUS.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(Fault::internal)?;
            self.store.upsert_documents(&demo).await?;
            slog::info!(self.log, "loaded the demo corpus"; "documents" => demo.len());
        }
        self.sync_index().await
    }

    /// Rebuilds the search index if an import changed the corpus since it was built.
    async fn sync_index(&self) -> Result<(), Fault> {
        let current = self.store.corpus_version().await?;
        if self.index.version() == Some(current) {
            return Ok(());
        }
        let _guard = self.rebuild.lock().await;
        if self.index.version() == Some(current) {
            return Ok(());
        }
        let (version, docs) = self.store.snapshot().await?;
        self.index
            .rebuild(version, &docs)
            .map_err(Fault::internal)?;
        slog::info!(self.log, "search index rebuilt"; "documents" => docs.len(), "corpus_version" => version);
        Ok(())
    }
}

/// A storage outage is the documented 503; any other fault an opaque 500.
impl From<Fault> for StatusMessage {
    fn from(f: Fault) -> Self {
        if f.is_unavailable() {
            StatusMessage::new(503, messages::UNAVAILABLE)
        } else {
            StatusMessage::new(500, messages::INTERNAL)
        }
    }
}

impl From<crate::platform::DbError> for StatusMessage {
    fn from(e: crate::platform::DbError) -> Self {
        Fault::from(e).into()
    }
}
