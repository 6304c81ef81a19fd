//! The Bindu surface: an A2A agent over JSON-RPC 2.0 with real tasks.
//!
//! A message becomes a stored task ([`tasks`]), a worker claims it from the
//! queue and runs the agent handler ([`agents`]) on it, and every change is
//! logged as an event that streams ([`stream`]) and webhooks ([`push`]) read.
//! [`rpc`] reads requests and dispatches the methods; [`auth`] checks tokens
//! and DID signatures ([`did`]); the REST routes are the card ([`card`]),
//! skills ([`skills`]), negotiation ([`negotiation`]), payment sessions
//! ([`payment`]), health and [`metrics`].
//!
//! Any [`agents::Agent`] can be served: [`serve_agent`] starts the surface
//! with it, the way `quartet serve --bindu-agent …` does with a built-in one.

pub mod admin;
pub mod agents;
mod auth;
mod card;
pub mod config;
pub mod did;
mod failure;
mod handlers;
mod introspection;
pub mod metrics;
pub mod negotiation;
mod payment;
pub mod push;
mod rpc;
pub mod skills;
pub mod store;
pub mod stream;
pub mod tasks;
pub mod wire;
pub mod x402;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::bail;
use slog::Logger;
use tokio::sync::Notify;

use crate::platform::http::Server;
use crate::platform::oauth::{ClientStore, TokenService};
use crate::platform::{Db, DbError, Platform, Sealer};
use agents::SharedAgent;
use config::{AgentKind, Config};
use did::Identity;
use metrics::Metrics;
use push::Push;
use skills::Manifest;
use tasks::worker::Pool;
use tasks::Tasks;

/// Everything a Bindu handler needs.
pub struct Bindu {
    db: Db,
    /// Seals payment tokens (and, through the tasks, webhooks) at rest.
    sealer: Sealer,
    tokens: Arc<TokenService>,
    clients: ClientStore,
    config: Config,
    manifest: Manifest,
    identity: IdentityCell,
    tasks: Tasks,
    pool: Option<Arc<Pool>>,
    push: Arc<Push>,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    /// The token introspection of `--bindu-auth introspection`.
    introspector: Option<introspection::Introspector>,
    public_url: String,
    started: std::time::Instant,
    log: Logger,
}

/// Bindu in the surface registry.
pub enum Service {}

/// The agent `config` chooses.
fn builtin_agent(config: &Config) -> anyhow::Result<SharedAgent> {
    Ok(match config.bindu_agent {
        AgentKind::Echo => Arc::new(agents::echo::Echo),
        AgentKind::Openai => {
            let Some(url) = &config.bindu_agent_url else {
                bail!("--bindu-agent openai needs --bindu-agent-url");
            };
            Arc::new(agents::openai::OpenAi::new(
                url,
                &config.bindu_agent_model,
                std::env::var("QUARTET_BINDU_AGENT_KEY").ok(),
            ))
        }
        AgentKind::Command => {
            let Some(command) = &config.bindu_agent_command else {
                bail!("--bindu-agent command needs --bindu-agent-command");
            };
            Arc::new(agents::command::Command::new(command))
        }
    })
}

/// The agent's identity once it has been read: at start-up, or (when storage
/// was down then) as soon as storage answers. Until then the routes that need
/// it answer 503 and no task runs.
pub type IdentityCell = Arc<std::sync::OnceLock<Identity>>;

/// Reads (or makes) the identity into `cell`, retrying while storage is down.
async fn load_identity(
    db: Db,
    sealer: Sealer,
    cell: IdentityCell,
    metrics: Arc<Metrics>,
    log: Logger,
) {
    loop {
        match Identity::load_or_create(&db, &sealer).await {
            Ok(id) => {
                metrics.set_agent_id(&id.agent_id);
                let _ = cell.set(id);
                return;
            }
            Err(e) => {
                if !e.is_unavailable() {
                    slog::warn!(log, "the agent identity cannot be read"; "error" => %e);
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Starts the Bindu surface on `addr` with `agent` handling tasks.
pub async fn serve_agent(
    platform: Platform,
    config: Config,
    addr: SocketAddr,
    agent: SharedAgent,
) -> anyhow::Result<Server> {
    let log = platform.log.new(slog::o!("surface" => "bindu"));
    if config.bindu_auth == config::AuthMode::Introspection
        && config.bindu_introspection_url.is_none()
    {
        bail!("--bindu-auth introspection needs --bindu-introspection-url");
    }
    if let Some(price) = &config.bindu_price {
        if payment::atomic_amount(price).is_none_or(|a| a == "0") {
            bail!(
                "--bindu-price must be a positive USDC amount with at most 6 decimals, e.g. 0.01"
            );
        }
        // The payer's authorization is checked here, so its terms must be readable.
        if x402::chain_id(&config.bindu_x402_network).is_none() {
            bail!("--bindu-x402-network must be an EVM network, eip155:<chain id>");
        }
        if x402::address(&config.bindu_x402_asset).is_none() {
            bail!("--bindu-x402-asset must be a token contract address, 0x and 40 hex digits");
        }
        if config
            .bindu_pay_to
            .as_deref()
            .is_none_or(|a| x402::address(a).is_none())
        {
            bail!("--bindu-price needs --bindu-pay-to, an address (0x and 40 hex digits)");
        }
    }
    let manifest = Manifest::load(config.bindu_agent_config.as_deref())?;
    let db = platform.db.clone();
    let hub = stream::Hub::new(platform.changes.clone());
    let wake = Arc::new(Notify::new());
    if let Some(changes) = &platform.changes {
        let mut rx = changes.subscribe();
        let wake = wake.clone();
        tokio::spawn(async move {
            while let Ok(c) = rx.recv().await {
                if c.channel == store::QUEUE_CHANNEL {
                    wake.notify_waiters();
                }
            }
        });
    }
    let metrics = Arc::new(Metrics::new());
    let identity: IdentityCell = Arc::default();
    let loader = tokio::spawn(load_identity(
        db.clone(),
        platform.sealer.clone(),
        identity.clone(),
        metrics.clone(),
        log.clone(),
    ));
    // Usually immediate; a database that is down does not hold the start up.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), loader).await;
    let push = Push::new(
        db.clone(),
        platform.sealer.clone(),
        config.bindu_allow_private_webhooks,
        config.bindu_webhooks_loopback_only,
        identity.clone(),
        log.new(slog::o!("component" => "push")),
    );
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let introspector = match (&config.bindu_auth, &config.bindu_introspection_url) {
        (config::AuthMode::Introspection, Some(url)) => Some(introspection::Introspector::new(
            http.clone(),
            url.clone(),
            config
                .bindu_introspection_client_id
                .clone()
                .map(|id| (id, config.bindu_introspection_client_secret.clone())),
            config.bindu_token_audience.clone(),
        )),
        _ => None,
    };
    let mut bindu = Bindu {
        db: db.clone(),
        sealer: platform.sealer.clone(),
        tokens: platform.tokens.clone(),
        clients: ClientStore::new(db.clone()),
        manifest,
        identity: identity.clone(),
        tasks: Tasks::new(
            db.clone(),
            platform.sealer.clone(),
            hub.clone(),
            wake.clone(),
        ),
        pool: None,
        push: push.clone(),
        metrics: metrics.clone(),
        http,
        introspector,
        public_url: config
            .bindu_public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned(),
        started: std::time::Instant::now(),
        log: log.clone(),
        config,
    };
    if !bindu.config.bindu_no_worker {
        let pool = Pool::new(
            db.clone(),
            hub.clone(),
            agent,
            bindu.identity.clone(),
            wake,
            metrics,
            log.new(slog::o!("component" => "worker")),
        );
        pool.start(bindu.config.bindu_workers).await;
        bindu.pool = Some(pool);
    }
    push.start(&hub);
    let context = Arc::new(bindu);
    crate::platform::http::serve(handlers::api(), context, addr, log).map_err(Into::into)
}

impl crate::surfaces::LiveSurface for Service {
    type Config = Config;
    type Admin = admin::Command;
    const SEALED: &'static [crate::platform::sealing::SealedColumn] = &store::SEALED;

    async fn start(platform: Platform, config: Config, addr: SocketAddr) -> anyhow::Result<Server> {
        let agent = builtin_agent(&config)?;
        serve_agent(platform, config, addr, agent).await
    }

    async fn admin(platform: Platform, command: admin::Command) -> anyhow::Result<()> {
        admin::run(platform, command).await
    }
}

impl Bindu {
    /// The identity, or 503 while storage has not answered since start-up.
    fn identity(&self) -> Result<&Identity, failure::Failure> {
        self.identity.get().ok_or_else(|| {
            crate::platform::Fault::unavailable("the agent identity is not loaded yet").into()
        })
    }
}

impl From<crate::platform::Fault> for quartet_api::bindu::JsonRpcErrorResponse {
    fn from(f: crate::platform::Fault) -> Self {
        failure::Failure::from(f).into()
    }
}

impl From<DbError> for quartet_api::bindu::JsonRpcErrorResponse {
    fn from(e: DbError) -> Self {
        failure::Failure::from(e).into()
    }
}
