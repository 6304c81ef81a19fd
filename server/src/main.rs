//! `quartet`: run the servers, or administer what has no API of its own.

mod cli;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// quartet: four API surfaces from four hand-maintained OpenAPI documents.
#[derive(Parser)]
#[command(name = "quartet", version)]
struct Cli {
    /// Directory holding the SQLite database (created if missing).
    #[arg(long, global = true, default_value = "data", env = "QUARTET_DATA_DIR")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the servers (all served surfaces unless `--surface` is given).
    Serve(cli::serve::ServeArgs),
    /// Create keys, credits and documents.
    Admin {
        #[command(subcommand)]
        surface: cli::AdminSurface,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(cli::serve::serve(cli.data_dir, args)),
        Command::Admin { surface } => cli::admin(cli.data_dir, surface),
    }
}
