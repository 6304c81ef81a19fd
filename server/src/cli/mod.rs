//! The `quartet` command line: `serve`, and `admin` for what has no API.

pub mod bitmind;
pub mod brookmimir;
pub mod serve;

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum AdminSurface {
    /// BitMind OAuth clients, organization keys and signing keys.
    Bitmind {
        #[command(subcommand)]
        command: bitmind::BitmindAdmin,
    },
    /// Brookmimir keys, credits and corpus.
    Brookmimir {
        #[command(subcommand)]
        command: brookmimir::BrookmimirAdmin,
    },
}

/// Opens the database in `data_dir` (creating it) and runs an admin command.
pub fn admin(data_dir: PathBuf, surface: AdminSurface) -> Result<()> {
    std::fs::create_dir_all(&data_dir)?;
    let pool = quartet_server::db::open(&data_dir, &quartet_server::migrations())?;
    let mut conn = pool.get()?;
    match surface {
        AdminSurface::Bitmind { command } => bitmind::run(&mut conn, pool.clone(), command),
        AdminSurface::Brookmimir { command } => brookmimir::run(&mut conn, command),
    }
}
