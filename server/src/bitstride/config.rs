//! Bitstride's `quartet serve` flags.

use std::path::PathBuf;

/// Which routes a Bitstride server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Control plane and gateway.
    Full,
    /// Health, readiness, metrics and inference only.
    Gateway,
}

/// Which trainer runs jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrainerKind {
    /// The embedded reference trainer (a small character-level model, on CPU).
    Reference,
    /// The program of `--bitstride-trainer-command`.
    Command,
    /// No executor in this process (jobs wait for another instance).
    None,
}

/// How the Bitstride server runs.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Bitstride")]
#[group(id = "bitstride-config")]
pub struct Config {
    /// `full` (control plane and gateway) or `gateway` (health, readiness, metrics, inference).
    #[arg(long, value_enum, default_value = "full")]
    pub bitstride_mode: Mode,
    /// Forward `/v1/auth/*` and `/v1/api_keys/*` to this auth service instead of serving them.
    #[arg(long, env = "AUTH_SERVICE_URL")]
    pub bitstride_auth_service_url: Option<String>,
    /// Let deployments and reward URLs point at private, loopback or link-local addresses.
    #[arg(long)]
    pub bitstride_allow_private_backends: bool,
    /// Refuse every backend address that is not loopback (test runs: nothing leaves the machine).
    #[arg(long)]
    pub bitstride_loopback_backends_only: bool,
    /// Which trainer this process runs jobs with.
    #[arg(long, value_enum, default_value = "reference")]
    pub bitstride_trainer: TrainerKind,
    /// Program (and arguments, split on spaces) the `command` trainer runs for each job.
    #[arg(long)]
    pub bitstride_trainer_command: Option<String>,
    /// Base models the `command` trainer accepts, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "llama-3.1-8b-instruct,qwen2.5-7b-instruct"
    )]
    pub bitstride_command_base_models: Vec<String>,
    /// Jobs one process runs at a time.
    #[arg(long, default_value_t = 1)]
    pub bitstride_job_workers: usize,
    /// OAuth/OIDC providers (a TOML file: `[providers.NAME]` with `issuer` or
    /// `discovery_url`, `client_id`, `client_secret`, optional `scopes`).
    #[arg(long)]
    pub bitstride_oauth_config: Option<PathBuf>,
    /// Public base URL of this server, for OAuth redirect URIs and the links of account mail
    /// (default: the listening address).
    #[arg(long)]
    pub bitstride_public_url: Option<String>,
    /// How long an email verification link stays valid, in seconds (default 24 hours).
    #[arg(long, default_value_t = 24 * 3600, value_parser = clap::value_parser!(i64).range(1..=30 * 24 * 3600))]
    pub bitstride_email_verification_ttl_secs: i64,
    /// How long a password reset link stays valid, in seconds (default 1 hour).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(1..=24 * 3600))]
    pub bitstride_password_reset_ttl_secs: i64,
    /// Requests per minute each credential may send to the gateway.
    #[arg(long, default_value_t = 600)]
    pub bitstride_rate_limit_per_minute: u32,
    /// How long the gateway waits for a backend, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub bitstride_backend_timeout_ms: u64,
}
