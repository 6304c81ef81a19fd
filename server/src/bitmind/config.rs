//! BitMind's `quartet serve` flags.

/// How the worker describes itself.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "BitMind")]
#[group(id = "bitmind-config")]
pub struct Config {
    /// Region reported by `/health` and `/status`.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_REGION)]
    pub bitmind_region: String,
}
