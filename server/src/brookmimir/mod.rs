//! The Brookmimir surface: credit-metered search over the corpus.
//!
//! Handlers are thin: authenticate the key ([`auth`]), validate the request, take
//! the credit ([`charges`]), do the work ([`query`], [`faces`]). Storage is
//! [`store::Store`]; the search index is [`index::SearchIndex`], on disk under the
//! data directory and kept caught up with the database by [`sync`]; queries are
//! compiled by [`search`]; outbound calls are in [`upstream`].

pub mod admin;
mod auth;
pub mod charges;
pub mod config;
pub mod corpus;
mod date_filter;
mod faces;
pub mod generate;
mod handlers;
pub mod index;
mod query;
pub mod search;
pub mod store;
mod sync;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use quartet_api::brookmimir::{messages, StatusMessage};
use slog::Logger;

use crate::platform::cached_credentials::CachedCredentials;
use crate::platform::http::Server;
use crate::platform::{Fault, Platform};
use charges::Charges;
use config::Config;
use index::SearchIndex;
use store::Store;

/// Everything a Brookmimir handler needs.
pub struct Brookmimir {
    store: Store,
    /// Presented keys, answered from memory while the change feed keeps them current.
    keys: CachedCredentials,
    charges: Charges,
    index: Arc<SearchIndex>,
    /// One catch-up of the index at a time.
    syncing: tokio::sync::Mutex<()>,
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
        let context = Brookmimir::new(&platform, config, log.clone()).await?;
        crate::platform::http::serve(handlers::api(), context, addr, log).map_err(Into::into)
    }

    async fn admin(platform: Platform, command: admin::Command) -> anyhow::Result<()> {
        admin::run(Store::new(platform.db), command).await
    }
}

/// Where the index of an instance lives, under its data directory.
pub const INDEX_DIR: &str = "brookmimir-index";

impl Brookmimir {
    /// Sets up the surface: opens the search index, loads the demo corpus into an
    /// empty corpus (unless told not to), brings the index up to date, and follows
    /// imports from then on. With the database down, the index is brought up to
    /// date once it is back.
    pub async fn new(
        platform: &Platform,
        config: Config,
        log: Logger,
    ) -> anyhow::Result<Arc<Self>> {
        let dir = platform.data_dir.join(INDEX_DIR);
        let (index, owned) = tokio::task::spawn_blocking(move || SearchIndex::open(&dir)).await??;
        if !owned {
            slog::warn!(log, "another process uses this data directory's search index; keeping one in memory";
                "dir" => %platform.data_dir.join(INDEX_DIR).display());
        }
        let store = Store::new(platform.db.clone());
        let surface = Arc::new(Self {
            keys: CachedCredentials::new(store.keys().clone(), platform.changes.as_ref()),
            charges: Charges::new(store.clone()),
            store,
            index: Arc::new(index),
            syncing: tokio::sync::Mutex::new(()),
            http: upstream::http_client(),
            config,
            log,
        });
        match surface.prepare_corpus().await {
            Ok(()) => {}
            Err(Fault::Unavailable(e)) => {
                slog::warn!(surface.log, "database unavailable; the index is brought up to date when it is back"; "error" => e)
            }
            Err(Fault::Internal(e)) => anyhow::bail!("preparing the search index: {e}"),
        }
        surface.follow_corpus(platform.changes.as_ref());
        Ok(surface)
    }

    /// Loads the demo corpus into an empty corpus (when configured) and catches the index up.
    async fn prepare_corpus(&self) -> Result<(), Fault> {
        if !self.config.no_demo_corpus && self.store.is_empty().await? {
            let demo: Vec<_> = corpus::parse_jsonl(corpus::DEMO_CORPUS.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(Fault::internal)?;
            self.store.upsert_documents(&demo).await?;
            slog::info!(self.log, "loaded the demo corpus"; "documents" => demo.len());
        }
        self.catch_up().await
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
