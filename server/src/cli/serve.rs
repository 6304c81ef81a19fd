//! `quartet serve`: every chosen surface on its own port, until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Result};
use clap::{ArgMatches, Args, ValueEnum};
use quartet_server::platform::fault;
use quartet_server::surfaces::{self, SURFACES};
use tokio::task::JoinSet;

use super::PlatformArgs;

/// How much is logged.
#[derive(Clone, Copy, ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// Flags of `quartet serve` that are not any one surface's.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to bind every surface to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Surface to run (repeatable; default: every surface).
    #[arg(long = "surface")]
    surfaces: Vec<String>,
    /// Port of a surface, as NAME=PORT (repeatable; 0 picks a free port).
    #[arg(long = "port", value_name = "NAME=PORT", value_parser = parse_port)]
    ports: Vec<(String, u16)>,
    /// Log level (logs go to standard error).
    #[arg(long, value_enum, default_value = "info")]
    log_level: LogLevel,
}

fn parse_port(s: &str) -> Result<(String, u16), String> {
    let (name, port) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=PORT, got {s:?}"))?;
    if surfaces::find(name).is_none() {
        return Err(format!(
            "unknown surface {name:?} (served: {})",
            surfaces::names()
        ));
    }
    let port = port.parse().map_err(|e| format!("port of {name}: {e}"))?;
    Ok((name.to_owned(), port))
}

/// Terminal-formatted records on standard error, written by a log thread. The
/// level is checked before the hand-off, so a record below it (dropshot's
/// per-request lines at `--log-level warn`, say) costs one comparison on the
/// request's thread instead of a copy sent to the log thread.
fn logger(level: LogLevel) -> slog::Logger {
    use slog::Drain as _;
    let level = match level {
        LogLevel::Error => slog::Level::Error,
        LogLevel::Warn => slog::Level::Warning,
        LogLevel::Info => slog::Level::Info,
        LogLevel::Debug => slog::Level::Debug,
    };
    let decorator = slog_term::TermDecorator::new().stderr().build();
    let drain = slog_term::FullFormat::new(decorator).build().fuse();
    let drain = slog_async::Async::new(drain).chan_size(1024).build().fuse();
    slog::Logger::root(slog::LevelFilter::new(drain, level).fuse(), slog::o!())
}

/// Starts the chosen surfaces, each as soon as it is ready, and serves until told to stop.
pub async fn serve(platform: PlatformArgs, args: ServeArgs, matches: ArgMatches) -> Result<()> {
    let log = logger(args.log_level);
    fault::set_logger(log.clone());
    for name in &args.surfaces {
        if surfaces::find(name).is_none() {
            bail!(
                "surface {name:?} is not served by this build (served: {})",
                surfaces::names()
            );
        }
    }
    let chosen: Vec<_> = SURFACES
        .iter()
        .filter(|s| args.surfaces.is_empty() || args.surfaces.iter().any(|n| n == s.name))
        .collect();
    let mut platform = super::platform(&platform, log.clone()).await?;
    platform.follow_changes(log.new(slog::o!("component" => "changes")));
    match platform.db.ping().await {
        Ok(()) => {}
        Err(e) if e.is_unavailable() => {
            slog::warn!(log, "the database is not reachable yet; requests get 503 until it is"; "error" => %e);
        }
        // A database sealed under another key, or a migration that fails: do not serve.
        Err(e) => return Err(anyhow::Error::new(e).context("preparing the database")),
    }

    let mut starting = JoinSet::new();
    for surface in chosen {
        let port = args
            .ports
            .iter()
            .rev()
            .find(|(n, _)| n == surface.name)
            .map_or(surface.default_port, |(_, p)| *p);
        let addr = SocketAddr::new(args.bind, port);
        let start = (surface.start)(platform.clone(), &matches, addr);
        starting.spawn(async move { (surface.name, start.await) });
    }
    let mut servers = Vec::new();
    while let Some(started) = starting.join_next().await {
        let (name, server) = started?;
        let server = server.map_err(|e| e.context(format!("starting {name}")))?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "quartet: {name} listening on http://{}",
            server.local_addr
        )?;
        out.flush()?;
        servers.push(server);
    }

    shutdown_signal().await;
    slog::info!(log, "shutting down");
    for server in servers {
        server.close().await.map_err(anyhow::Error::msg)?;
    }
    platform.db.close().await;
    Ok(())
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
