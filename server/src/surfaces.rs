//! The registry: every live surface, with its name, default port, migrations,
//! configuration, admin commands and start function. `quartet serve`,
//! `quartet admin`, the migrations and `quartet surfaces` (which the
//! conformance runner reads) all come from [`SURFACES`].
//!
//! Adding a surface is one folder under `src/`, an implementation of
//! [`LiveSurface`] in it, and one line here.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

use crate::platform::http::Server;
use crate::platform::sealing::SealedColumn;
use crate::platform::{Migration, Platform};

/// What a surface provides to be served.
pub trait LiveSurface {
    /// Its `quartet serve` flags (names must not clash with other surfaces').
    type Config: Args + Send + 'static;
    /// Its `quartet admin <surface> …` subcommands.
    type Admin: Subcommand + Send + 'static;

    /// The columns of its tables that hold sealed secrets (sealed in place at
    /// start-up when found in clear, re-sealed by `quartet admin secrets rotate`).
    const SEALED: &'static [SealedColumn] = &[];

    /// Builds the surface over the platform and serves it on `addr`.
    fn start(
        platform: Platform,
        config: Self::Config,
        addr: SocketAddr,
    ) -> impl Future<Output = anyhow::Result<Server>> + Send + 'static;

    /// Runs one admin command.
    fn admin(
        platform: Platform,
        command: Self::Admin,
    ) -> impl Future<Output = anyhow::Result<()>> + Send + 'static;
}

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One entry of the registry.
pub struct Surface {
    /// Name on the command line, in logs and in the start-up lines.
    pub name: &'static str,
    /// Port `quartet serve` binds unless `--port NAME=PORT` says otherwise.
    pub default_port: u16,
    /// Its schema migrations, applied after the platform's.
    pub migrations: &'static [Migration],
    /// Its columns of sealed secrets ([`LiveSurface::SEALED`]).
    pub sealed: &'static [SealedColumn],
    /// Adds its flags to `quartet serve`.
    pub serve_args: fn(Command) -> Command,
    /// Adds its subcommands to `quartet admin <name>`.
    pub admin_args: fn(Command) -> Command,
    /// Starts it, reading its flags from the `serve` matches.
    pub start: fn(Platform, &ArgMatches, SocketAddr) -> BoxFuture<anyhow::Result<Server>>,
    /// Runs an admin command from the `admin <name>` matches.
    pub admin: fn(Platform, &ArgMatches) -> BoxFuture<anyhow::Result<()>>,
}

impl Surface {
    /// The entry of surface `S`.
    pub const fn of<S: LiveSurface>(
        name: &'static str,
        default_port: u16,
        migrations: &'static [Migration],
    ) -> Self {
        Self {
            name,
            default_port,
            migrations,
            sealed: S::SEALED,
            serve_args: |c| S::Config::augment_args(c),
            admin_args: |c| S::Admin::augment_subcommands(c),
            start: |platform, matches, addr| match S::Config::from_arg_matches(matches) {
                Ok(config) => Box::pin(S::start(platform, config, addr)),
                Err(e) => Box::pin(async move { Err(e.into()) }),
            },
            admin: |platform, matches| match S::Admin::from_arg_matches(matches) {
                Ok(command) => Box::pin(S::admin(platform, command)),
                Err(e) => Box::pin(async move { Err(e.into()) }),
            },
        }
    }
}

/// Every live surface, in start order.
pub static SURFACES: [Surface; 4] = [
    Surface::of::<crate::brookmimir::Service>(
        "brookmimir",
        3771,
        &crate::brookmimir::store::MIGRATIONS,
    ),
    Surface::of::<crate::bitmind::Service>("bitmind", 3772, &crate::bitmind::store::MIGRATIONS),
    Surface::of::<crate::bindu::Service>("bindu", 3773, &crate::bindu::store::MIGRATIONS),
    Surface::of::<crate::bitstride::Service>(
        "bitstride",
        3774,
        &crate::bitstride::store::MIGRATIONS,
    ),
];

/// The surface called `name`.
pub fn find(name: &str) -> Option<&'static Surface> {
    SURFACES.iter().find(|s| s.name == name)
}

/// The names of every live surface, comma-separated (for messages).
pub fn names() -> String {
    SURFACES
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every migration: the platform's, then each surface's.
pub fn migrations() -> Vec<Migration> {
    let mut all = crate::platform::migrations();
    for s in &SURFACES {
        all.extend_from_slice(s.migrations);
    }
    all
}

/// Every column of sealed secrets: the platform's, then each surface's.
pub fn sealed_columns() -> Vec<SealedColumn> {
    let mut all = crate::platform::sealing::PLATFORM_COLUMNS.to_vec();
    for s in &SURFACES {
        all.extend_from_slice(s.sealed);
    }
    all
}
