//! Scenarios per surface: how to reach each documented example, and what a
//! spawned server needs first (fixtures, mock upstreams, server variants).

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};
use quartet_contract::document::Document;

use crate::scenario::Scenario;

pub mod bindu;
pub mod bitmind;
pub mod bitstride;
pub mod brookmimir;

/// Why storage-outage scenarios only run against a spawned server.
pub const NEEDS_STORAGE_DOWN: &str = "needs a server whose database is down";

/// The `storage-down` server variant: a PostgreSQL URL nothing listens on, so
/// every route that needs the database answers 503.
pub fn storage_down_variant() -> (&'static str, Vec<String>) {
    (
        "storage-down",
        vec![
            "--database-url".into(),
            format!(
                "postgres://quartet@127.0.0.1:{}/quartet",
                crate::server::closed_port()
            ),
        ],
    )
}

/// What a spawned server needs before the scenarios run.
#[derive(Default)]
pub struct LocalSetup {
    /// Named values (keys, tokens) the scenarios refer to.
    pub fixtures: HashMap<String, String>,
    /// Server variants: name and the extra `quartet serve` arguments. `default` comes first.
    pub variants: Vec<(&'static str, Vec<String>)>,
    /// Variants that get a data directory (and so a database) of their own.
    pub isolated: Vec<&'static str>,
    /// Things that must stay alive while the servers run (mock upstreams).
    pub guards: Vec<Box<dyn Any + Send>>,
}

/// The scenarios of `surface`, if it has any.
pub fn for_surface(surface: &str) -> Option<Vec<Scenario>> {
    match surface {
        "brookmimir" => Some(brookmimir::scenarios()),
        "bitmind" => Some(bitmind::scenarios()),
        "bindu" => Some(bindu::scenarios()),
        "bitstride" => Some(bitstride::scenarios()),
        _ => None,
    }
}

/// Prepares fixtures and variants for a spawned server of `surface`.
pub async fn local_setup(
    surface: &str,
    bin: &Path,
    data_dir: &Path,
    doc: &Document,
) -> Result<LocalSetup> {
    match surface {
        "brookmimir" => brookmimir::local_setup(bin, data_dir).await,
        "bitmind" => bitmind::local_setup(bin, data_dir, doc).await,
        "bindu" => bindu::local_setup(bin, data_dir).await,
        "bitstride" => bitstride::local_setup(bin, data_dir, doc).await,
        other => bail!("no local setup for {other:?}"),
    }
}
