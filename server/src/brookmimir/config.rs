//! Brookmimir's `quartet serve` flags.

use std::time::Duration;

/// Where Brookmimir's outbound calls go, and what the first start loads.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Brookmimir")]
#[group(id = "brookmimir-config")]
pub struct Config {
    /// URL the face-search proxy forwards to (unset: not configured, every call is 502).
    #[arg(long, env = "QUARTET_FACE_SEARCH_URL")]
    pub face_search_url: Option<String>,
    /// How long to wait for the face-search service, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub face_search_timeout_ms: u64,
    /// Where `/nettest` probes.
    #[arg(long, default_value = "https://example.com/")]
    pub nettest_target: String,
    /// How long `/nettest` waits, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub nettest_timeout_ms: u64,
    /// Do not load the demo corpus into an empty corpus.
    #[arg(long)]
    pub no_demo_corpus: bool,
}

impl Config {
    /// How long to wait for the face-search service.
    pub fn face_search_timeout(&self) -> Duration {
        Duration::from_millis(self.face_search_timeout_ms)
    }

    /// How long `/nettest` waits.
    pub fn nettest_timeout(&self) -> Duration {
        Duration::from_millis(self.nettest_timeout_ms)
    }
}
