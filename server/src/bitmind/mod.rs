//! The BitMind surface: health, status and the OAuth 2.0 token service.
//!
//! `/status` accepts three credentials: an RS256 access token, a
//! certificate-bound access token with its certificate, or a legacy
//! organization key. [`auth`] decides which and checks it; the token
//! machinery itself is the shared [`crate::oauth`] service.

mod auth;
mod handlers;
pub mod org_keys;

use std::sync::Arc;

use quartet_api::bitmind::{messages, OAuthError, OAuthErrorCode, Permission};
use slog::Logger;

use crate::config::BitmindConfig;
use crate::db::Pool;
use crate::oauth::{ClientStore, TokenService};
use org_keys::OrgKeyStore;

pub use handlers::api;

/// Scopes a BitMind client or key may hold, in their canonical order.
pub const PERMISSIONS: [(Permission, &str); 3] = [
    (Permission::ImageInference, "image_inference"),
    (Permission::VideoInference, "video_inference"),
    (Permission::BatchProcessing, "batch_processing"),
];

/// The permissions among `scopes`, in canonical order (unknown scopes are dropped).
pub fn permissions(scopes: &[String]) -> Vec<Permission> {
    PERMISSIONS
        .iter()
        .filter(|(_, name)| scopes.iter().any(|s| s == name))
        .map(|(p, _)| *p)
        .collect()
}

/// Parses a comma- or space-separated permission list, rejecting unknown names.
pub fn parse_permissions(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for name in list.split([',', ' ']).filter(|s| !s.is_empty()) {
        if !PERMISSIONS.iter().any(|(_, n)| *n == name) {
            return Err(format!(
                "unknown permission {name:?} (known: {})",
                PERMISSIONS.map(|(_, n)| n).join(", ")
            ));
        }
        if !out.iter().any(|s| s == name) {
            out.push(name.to_owned());
        }
    }
    // Canonical order.
    out.sort_by_key(|n| PERMISSIONS.iter().position(|(_, p)| p == n));
    Ok(out)
}

/// Everything a BitMind handler needs.
pub struct Bitmind {
    tokens: Arc<TokenService>,
    clients: ClientStore,
    org_keys: OrgKeyStore,
    config: BitmindConfig,
    log: Logger,
}

impl Bitmind {
    /// Sets the surface up over `pool` with the shared token service.
    pub fn new(
        pool: Pool,
        tokens: Arc<TokenService>,
        config: BitmindConfig,
        log: Logger,
    ) -> Arc<Self> {
        Arc::new(Self {
            tokens,
            clients: ClientStore::new(pool.clone()),
            org_keys: OrgKeyStore::new(pool),
            config,
            log,
        })
    }

    /// Logs an unexpected failure and turns it into an opaque 500.
    fn internal(&self, e: impl std::fmt::Display) -> OAuthError {
        slog::error!(self.log, "internal error"; "error" => %e);
        OAuthError::new(OAuthErrorCode::ServerError, messages::INTERNAL)
    }
}
