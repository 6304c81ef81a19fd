//! Starting the configured surfaces, each on its own port, and stopping them.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use anyhow::{bail, Context, Result};
use dropshot::{ApiDescription, ConfigDropshot, HandlerTaskMode, ServerBuilder};
use slog::Logger;

use crate::config::{ServeConfig, SERVED_SURFACES};

type Closer = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send>;

/// The running servers.
pub struct Running {
    /// `(surface, address)` of every server, in start order.
    pub addresses: Vec<(String, SocketAddr)>,
    closers: Vec<Closer>,
}

impl Running {
    /// Stops every server, letting in-flight requests finish.
    pub async fn close(self) -> Result<()> {
        for close in self.closers {
            close().await.map_err(|e| anyhow::anyhow!(e))?;
        }
        Ok(())
    }
}

/// Opens the database and starts every configured surface.
pub async fn start(config: &ServeConfig, log: &Logger) -> Result<Running> {
    for s in &config.surfaces {
        if !SERVED_SURFACES.contains(&s.as_str()) {
            bail!(
                "surface {s:?} is not served by this build (served: {})",
                SERVED_SURFACES.join(", ")
            );
        }
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let pool = crate::db::open(&config.data_dir, &crate::migrations())
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;

    let mut running = Running {
        addresses: Vec::new(),
        closers: Vec::new(),
    };
    if config.surfaces.iter().any(|s| s == "brookmimir") {
        let log = log.new(slog::o!("surface" => "brookmimir"));
        let ctx = crate::brookmimir::Brookmimir::new(
            pool.clone(),
            config.brookmimir.clone(),
            log.clone(),
        )
        .await?;
        launch(
            &mut running,
            "brookmimir",
            config,
            config.brookmimir.port,
            crate::brookmimir::api(),
            ctx,
            log,
        )?;
    }
    if config.surfaces.iter().any(|s| s == "bitmind") {
        let log = log.new(slog::o!("surface" => "bitmind"));
        let c = &config.bitmind;
        let tokens =
            crate::oauth::TokenService::new(pool.clone(), c.issuer.clone(), c.audience.clone())
                .await?;
        let ctx = crate::bitmind::Bitmind::new(pool.clone(), tokens, c.clone(), log.clone());
        launch(
            &mut running,
            "bitmind",
            config,
            c.port,
            crate::bitmind::api(),
            ctx,
            log,
        )?;
    }
    Ok(running)
}

fn launch<C: dropshot::ServerContext>(
    running: &mut Running,
    name: &str,
    config: &ServeConfig,
    port: u16,
    api: ApiDescription<C>,
    ctx: C,
    log: Logger,
) -> Result<()> {
    let dropshot_config = ConfigDropshot {
        bind_address: SocketAddr::new(config.bind, port),
        // Operations that take larger bodies raise this with `request_body_max_bytes`.
        default_request_body_max_bytes: 64 * 1024,
        // Let a handler finish even if its client goes away: nothing is lost half-way.
        default_handler_task_mode: HandlerTaskMode::Detached,
        ..Default::default()
    };
    let server = ServerBuilder::new(api, ctx, log)
        .config(dropshot_config)
        .start()
        .with_context(|| format!("starting {name} on {}:{port}", config.bind))?;
    running
        .addresses
        .push((name.to_owned(), server.local_addr()));
    running
        .closers
        .push(Box::new(move || Box::pin(server.close())));
    Ok(())
}
