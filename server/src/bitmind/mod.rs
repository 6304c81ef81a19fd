//! The BitMind surface: health, status and the OAuth 2.0 token endpoint.
//!
//! `/status` accepts three credentials: an RS256 access token, a
//! certificate-bound access token with its certificate, or a legacy
//! organization key. [`auth`] decides which and checks it; [`token`] issues
//! tokens; the token machinery itself is the platform's shared service.

pub mod admin;
mod auth;
pub mod config;
mod handlers;
mod introspect;
pub mod permissions;
pub mod store;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use quartet_api::bitmind::{messages, OAuthError, OAuthErrorCode};
use slog::Logger;

use crate::platform::http::Server;
use crate::platform::oauth::{ClientStore, TokenService};
use crate::platform::{Fault, Platform};
use config::Config;
use store::OrgKeyStore;

/// Everything a BitMind handler needs.
pub struct Bitmind {
    db: crate::platform::Db,
    tokens: Arc<TokenService>,
    clients: ClientStore,
    org_keys: OrgKeyStore,
    config: Config,
    log: Logger,
}

/// BitMind in the surface registry.
pub enum Service {}

impl crate::surfaces::LiveSurface for Service {
    type Config = Config;
    type Admin = admin::Command;

    async fn start(platform: Platform, config: Config, addr: SocketAddr) -> anyhow::Result<Server> {
        let log = platform.log.new(slog::o!("surface" => "bitmind"));
        let context = Arc::new(Bitmind {
            db: platform.db.clone(),
            tokens: platform.tokens.clone(),
            clients: ClientStore::new(platform.db.clone()),
            org_keys: OrgKeyStore::new(platform.db.clone(), platform.changes.as_ref()),
            config,
            log: log.clone(),
        });
        // No handler changes anything a cancellation could leave half-done: run them
        // in the connection's task.
        crate::platform::http::serve_with_mode(
            handlers::api(),
            context,
            addr,
            log,
            dropshot::HandlerTaskMode::CancelOnDisconnect,
        )
        .map_err(Into::into)
    }

    async fn admin(platform: Platform, command: admin::Command) -> anyhow::Result<()> {
        admin::run(platform, command).await
    }
}

impl Bitmind {
    /// The audience BitMind's tokens carry and the only one it accepts.
    fn audience(&self) -> &str {
        &self.tokens.policy().default_audience
    }
}

/// A storage outage is the documented 503 `temporarily_unavailable`; any other
/// fault an opaque 500 `server_error`.
impl From<Fault> for OAuthError {
    fn from(f: Fault) -> Self {
        if f.is_unavailable() {
            OAuthError::new(
                OAuthErrorCode::TemporarilyUnavailable,
                messages::UNAVAILABLE,
            )
        } else {
            OAuthError::internal()
        }
    }
}

impl From<crate::platform::DbError> for OAuthError {
    fn from(e: crate::platform::DbError) -> Self {
        Fault::from(e).into()
    }
}
