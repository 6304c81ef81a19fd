//! `quartet serve`: the servers, until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};
use quartet_server::config::{BitmindConfig, BrookmimirConfig, ServeConfig, SERVED_SURFACES};

#[derive(Clone, Copy, ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to bind every surface to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Surface to run (repeatable).
    #[arg(long = "surface")]
    surfaces: Vec<String>,
    /// Brookmimir port (0 picks a free one).
    #[arg(long, default_value_t = 3771)]
    brookmimir_port: u16,
    /// URL the Brookmimir face-search proxy forwards to (unset: not configured).
    #[arg(long, env = "QUARTET_FACE_SEARCH_URL")]
    face_search_url: Option<String>,
    /// How long to wait for the face-search service, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    face_search_timeout_ms: u64,
    /// Where Brookmimir's `/nettest` probes.
    #[arg(long, default_value = "https://example.com/")]
    nettest_target: String,
    /// How long `/nettest` waits, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    nettest_timeout_ms: u64,
    /// BitMind port (0 picks a free one).
    #[arg(long, default_value_t = 3772)]
    bitmind_port: u16,
    #[command(flatten)]
    token_service: TokenServiceArgs,
    /// Region BitMind reports.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_REGION)]
    bitmind_region: String,
    /// Do not load the demo corpus into an empty Brookmimir corpus.
    #[arg(long)]
    no_demo_corpus: bool,
    /// Log level (logs go to standard error).
    #[arg(long, value_enum, default_value = "info")]
    log_level: LogLevel,
}

/// Issuer and audience of the token service (shared by serving and minting).
#[derive(Args, Clone)]
pub struct TokenServiceArgs {
    /// `iss` of issued tokens, and the only one accepted.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_ISSUER)]
    pub token_issuer: String,
    /// `aud` of issued tokens, and the only one accepted.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_AUDIENCE)]
    pub token_audience: String,
}

fn logger(level: LogLevel) -> Result<slog::Logger> {
    let level = match level {
        LogLevel::Error => dropshot::ConfigLoggingLevel::Error,
        LogLevel::Warn => dropshot::ConfigLoggingLevel::Warn,
        LogLevel::Info => dropshot::ConfigLoggingLevel::Info,
        LogLevel::Debug => dropshot::ConfigLoggingLevel::Debug,
    };
    dropshot::ConfigLogging::StderrTerminal { level }
        .to_logger("quartet")
        .map_err(|e| anyhow::anyhow!("setting up logging: {e}"))
}

/// Starts the configured surfaces and serves until told to stop.
pub async fn serve(data_dir: PathBuf, args: ServeArgs) -> Result<()> {
    let log = logger(args.log_level)?;
    let surfaces = if args.surfaces.is_empty() {
        SERVED_SURFACES.iter().map(|s| s.to_string()).collect()
    } else {
        args.surfaces
    };
    let config = ServeConfig {
        data_dir,
        bind: args.bind,
        surfaces,
        brookmimir: BrookmimirConfig {
            port: args.brookmimir_port,
            face_search_url: args.face_search_url,
            face_search_timeout: Duration::from_millis(args.face_search_timeout_ms),
            nettest_target: args.nettest_target,
            nettest_timeout: Duration::from_millis(args.nettest_timeout_ms),
            load_demo_corpus: !args.no_demo_corpus,
        },
        bitmind: BitmindConfig {
            port: args.bitmind_port,
            region: args.bitmind_region,
            issuer: args.token_service.token_issuer,
            audience: args.token_service.token_audience,
        },
    };
    let running = quartet_server::serve::start(&config, &log).await?;
    {
        let mut out = std::io::stdout().lock();
        for (name, addr) in &running.addresses {
            writeln!(out, "quartet: {name} listening on http://{addr}")?;
        }
        out.flush()?;
    }
    shutdown_signal().await;
    slog::info!(log, "shutting down");
    running.close().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
