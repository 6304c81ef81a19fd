//! Configuration of `quartet serve`: where data lives, which surfaces run on
//! which ports, and the per-surface knobs the documents leave to the operator.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Surfaces the server can run (implemented ones only).
pub const SERVED_SURFACES: [&str; 2] = ["brookmimir", "bitmind"];

/// Everything `quartet serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Directory holding the SQLite database and the search index.
    pub data_dir: PathBuf,
    /// Address every surface binds to.
    pub bind: IpAddr,
    /// Surfaces to start, by name.
    pub surfaces: Vec<String>,
    /// Brookmimir settings.
    pub brookmimir: BrookmimirConfig,
    /// BitMind settings.
    pub bitmind: BitmindConfig,
}

/// BitMind settings.
#[derive(Debug, Clone)]
pub struct BitmindConfig {
    /// Port (0 picks a free one).
    pub port: u16,
    /// Region reported by `/health` and `/status`.
    pub region: String,
    /// `iss` of issued tokens (and the only one accepted).
    pub issuer: String,
    /// `aud` of issued tokens (and the only one accepted).
    pub audience: String,
}

impl Default for BitmindConfig {
    fn default() -> Self {
        Self {
            port: 3772,
            region: quartet_api::bitmind::DEFAULT_REGION.to_owned(),
            issuer: quartet_api::bitmind::DEFAULT_ISSUER.to_owned(),
            audience: quartet_api::bitmind::DEFAULT_AUDIENCE.to_owned(),
        }
    }
}

/// Brookmimir settings.
#[derive(Debug, Clone)]
pub struct BrookmimirConfig {
    /// Port (0 picks a free one).
    pub port: u16,
    /// Base URL of the face-search service; `None` means not configured.
    pub face_search_url: Option<String>,
    /// How long to wait for the face-search service.
    pub face_search_timeout: Duration,
    /// Where `/nettest` probes.
    pub nettest_target: String,
    /// How long `/nettest` waits.
    pub nettest_timeout: Duration,
    /// Load the bundled demo corpus when the corpus is empty.
    pub load_demo_corpus: bool,
}

impl Default for BrookmimirConfig {
    fn default() -> Self {
        Self {
            port: 3771,
            face_search_url: None,
            face_search_timeout: Duration::from_secs(10),
            nettest_target: "https://example.com/".to_owned(),
            nettest_timeout: Duration::from_secs(5),
            load_demo_corpus: true,
        }
    }
}
