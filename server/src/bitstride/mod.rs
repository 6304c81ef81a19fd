//! The Bitstride surface: the control plane of an ML platform (accounts,
//! sessions, MFA, OAuth sign-in, API keys, organizations, projects, models,
//! datasets, training jobs, deployments, usage, invoices) and its inference
//! gateway.
//!
//! Handlers ([`handlers`]) are thin: they authenticate ([`auth`]), check that
//! the route is served in this mode, and call an area module. Every row belongs
//! to an organization and every query filters on the caller's; jobs run in a
//! persisted queue ([`jobs`]); the gateway ([`gateway`]) forwards chat requests
//! to deployments' backends and records usage ([`billing`]).

pub mod accounts;
pub mod admin;
pub mod auth;
mod auth_proxy;
pub mod billing;
pub mod config;
pub mod datasets;
pub mod deployments;
pub mod gateway;
mod handlers;
pub mod jobs;
mod keys;
mod metrics;
mod mfa;
mod models;
pub mod oidc;
mod orgs;
mod projects;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use quartet_api::bitstride::{messages, ErrorCode, ErrorEnvelope};
use slog::Logger;

use crate::platform::credentials::CredentialStore;
use crate::platform::http::Server;
use crate::platform::oauth::TokenService;
use crate::platform::outbound::{Outbound, Policy};
use crate::platform::{Db, DbError, Fault, Platform};
use config::{Config, Mode};

/// The audience of Bitstride session tokens, and the only one it accepts.
pub const AUDIENCE: &str = "bitstride";

/// Everything a Bitstride handler needs.
pub struct Bitstride {
    db: Db,
    /// Seals TOTP secrets at rest.
    sealer: crate::platform::Sealer,
    tokens: Arc<TokenService>,
    keys: CredentialStore,
    config: Config,
    log: Logger,
    /// Services the operator configured (OIDC providers, the auth service).
    http: reqwest::Client,
    /// Deployment backends: URLs API callers chose, under the address policy.
    backends: Outbound,
    started: Instant,
    metrics: metrics::Metrics,
    gateway: gateway::Limits,
    oidc: oidc::Providers,
    jobs: jobs::Queue,
    /// Base URL clients reach this server at (OAuth redirect URIs, links in mail).
    public_url: String,
    /// Outgoing mail (verification and reset links).
    mail: Arc<crate::platform::mail::Mailer>,
}

/// Bitstride in the surface registry.
pub enum Service {}

impl crate::surfaces::LiveSurface for Service {
    type Config = Config;
    type Admin = admin::Command;
    const SEALED: &'static [crate::platform::sealing::SealedColumn] = &store::SEALED;

    async fn start(platform: Platform, config: Config, addr: SocketAddr) -> anyhow::Result<Server> {
        let log = platform.log.new(slog::o!("surface" => "bitstride"));
        let oidc = oidc::Providers::load(config.bitstride_oauth_config.as_deref())?;
        if config.bitstride_trainer == config::TrainerKind::Command
            && config.bitstride_trainer_command.is_none()
        {
            anyhow::bail!("--bitstride-trainer command needs --bitstride-trainer-command");
        }
        // Bind first, so the redirect URI can name the real port when it was 0.
        let listener = std::net::TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        drop(listener);
        let public_url = config
            .bitstride_public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"))
            .trim_end_matches('/')
            .to_owned();
        let context = Arc::new(Bitstride {
            db: platform.db.clone(),
            sealer: platform.sealer.clone(),
            tokens: platform.tokens.clone(),
            keys: CredentialStore::new(platform.db.clone(), store::KEY_KIND),
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            backends: Outbound::new(
                policy(&config),
                reqwest::Client::builder().pool_max_idle_per_host(64),
            )?,
            started: Instant::now(),
            metrics: metrics::Metrics::default(),
            gateway: gateway::Limits::new(config.bitstride_rate_limit_per_minute),
            jobs: jobs::Queue::new(platform.db.clone()),
            oidc,
            public_url,
            mail: platform.mail.clone(),
            config,
            log: log.clone(),
        });
        if context.config.bitstride_mode == Mode::Full {
            jobs::executor::start(context.clone(), platform.changes.clone());
        }
        deployments::probe::start(context.clone());
        gateway::usage::sweeper::start(context.clone());
        crate::platform::http::serve(handlers::api(), context, local, log).map_err(Into::into)
    }

    async fn admin(platform: Platform, command: admin::Command) -> anyhow::Result<()> {
        admin::run(platform, command).await
    }
}

impl Bitstride {
    /// 404 in the envelope for a control-plane route on a gateway-mode server.
    fn control_plane(&self) -> Result<(), ErrorEnvelope> {
        match self.config.bitstride_mode {
            Mode::Full => Ok(()),
            Mode::Gateway => Err(err(ErrorCode::NotFound, messages::GATEWAY_MODE)),
        }
    }

    /// The runtime mode as the wire reports it.
    fn mode(&self) -> quartet_api::bitstride::RuntimeMode {
        match self.config.bitstride_mode {
            Mode::Full => quartet_api::bitstride::RuntimeMode::Full,
            Mode::Gateway => quartet_api::bitstride::RuntimeMode::Gateway,
        }
    }
}

/// The address policy for backends, from the flags.
fn policy(config: &Config) -> Policy {
    if config.bitstride_loopback_backends_only {
        Policy::LoopbackOnly
    } else if config.bitstride_allow_private_backends {
        Policy::Any
    } else {
        Policy::Public
    }
}

/// An error envelope.
pub fn err(code: ErrorCode, message: impl Into<String>) -> ErrorEnvelope {
    ErrorEnvelope::new(code, message)
}

/// A storage outage is 503 `not_ready`; any other fault an opaque 500.
impl From<Fault> for ErrorEnvelope {
    fn from(f: Fault) -> Self {
        if f.is_unavailable() {
            err(ErrorCode::NotReady, messages::STORAGE_UNAVAILABLE)
        } else {
            err(ErrorCode::InternalError, messages::INTERNAL_ERROR)
        }
    }
}

impl From<DbError> for ErrorEnvelope {
    fn from(e: DbError) -> Self {
        Fault::from(e).into()
    }
}
