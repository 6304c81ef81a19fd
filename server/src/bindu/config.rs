//! Bindu's `quartet serve` flags.

use std::path::PathBuf;

/// Which token verifier guards the JSON-RPC endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// JWTs of quartet's token service, verified locally.
    Jwt,
    /// RFC 7662 introspection at `--bindu-introspection-url`.
    Introspection,
    /// No authentication (local agents); the card declares no security.
    Off,
}

/// Which built-in agent handles tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentKind {
    /// Deterministic echo of the message text.
    Echo,
    /// An OpenAI-compatible chat completions backend.
    Openai,
    /// A program per task speaking JSON lines.
    Command,
}

/// Which wire dialect the JSON-RPC endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Bindu's: snake_case results, HTTP statuses per error code, bare stream events.
    Bindu,
    /// A2A 0.3: errors at HTTP 200, camelCase results, stream events as JSON-RPC responses.
    A2a,
}

/// Bindu's flags.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Bindu")]
#[group(id = "bindu-config")]
pub struct Config {
    /// How callers of the JSON-RPC endpoint authenticate.
    #[arg(long, value_enum, default_value = "jwt")]
    pub bindu_auth: AuthMode,
    /// RFC 7662 introspection endpoint (with `--bindu-auth introspection`).
    #[arg(long)]
    pub bindu_introspection_url: Option<String>,
    /// Client id the agent authenticates to the introspection endpoint with (client_secret_post).
    #[arg(long)]
    pub bindu_introspection_client_id: Option<String>,
    /// That client's secret.
    #[arg(
        long,
        env = "QUARTET_BINDU_INTROSPECTION_SECRET",
        hide_env_values = true
    )]
    pub bindu_introspection_client_secret: Option<String>,
    /// Audience Bindu tokens carry (clients made with `quartet admin bindu client create`).
    #[arg(long, default_value = quartet_api::bindu::DEFAULT_AUDIENCE)]
    pub bindu_token_audience: String,
    /// The agent that handles tasks.
    #[arg(long, value_enum, default_value = "echo")]
    pub bindu_agent: AgentKind,
    /// Chat completions endpoint of the `openai` agent (key from QUARTET_BINDU_AGENT_KEY).
    #[arg(long)]
    pub bindu_agent_url: Option<String>,
    /// Model the `openai` agent asks for.
    #[arg(long, default_value = "gpt-4o-mini")]
    pub bindu_agent_model: String,
    /// Program the `command` agent runs per task (with `sh -c`).
    #[arg(long)]
    pub bindu_agent_command: Option<String>,
    /// Agent manifest (name, description, author, skills); a default ships.
    #[arg(long)]
    pub bindu_agent_config: Option<PathBuf>,
    /// Public base URL of the agent, for the card (default: the bound address).
    #[arg(long)]
    pub bindu_public_url: Option<String>,
    /// Wire dialect of the JSON-RPC endpoint.
    #[arg(long, value_enum, default_value = "bindu")]
    pub bindu_protocol: Protocol,
    /// Allow webhooks on private, loopback and link-local addresses (tests).
    #[arg(long)]
    pub bindu_allow_private_webhooks: bool,
    /// Call only webhooks on loopback addresses (runs whose inputs are generated, such as
    /// Schemathesis): other configurations are stored, their deliveries fail.
    #[arg(long)]
    pub bindu_webhooks_loopback_only: bool,
    /// Turn push notifications off (the push methods answer -32003).
    #[arg(long)]
    pub bindu_no_push: bool,
    /// Turn streaming off (message/stream and tasks/resubscribe answer -32004).
    #[arg(long)]
    pub bindu_no_streaming: bool,
    /// Price of one `message/send` / `message/stream`, in USDC (e.g. 0.01); the agent is free without it.
    #[arg(long, requires = "bindu_pay_to")]
    pub bindu_price: Option<String>,
    /// Address payments go to (with `--bindu-price`).
    #[arg(long)]
    pub bindu_pay_to: Option<String>,
    /// CAIP-2 network of the payments (default: Base Sepolia).
    #[arg(long, default_value = "eip155:84532")]
    pub bindu_x402_network: String,
    /// Token contract of the payments (default: USDC on Base Sepolia).
    #[arg(long, default_value = "0x036CbD53842c5426634e7929541eC2318f3dCF7e")]
    pub bindu_x402_asset: String,
    /// x402 facilitator that verifies and settles payments (`/verify`, `/settle`).
    #[arg(long, default_value = "https://x402.org/facilitator")]
    pub bindu_x402_facilitator_url: String,
    /// How long a blocking message/send waits at most, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub bindu_blocking_timeout_ms: u64,
    /// Concurrent task runs per process.
    #[arg(long, default_value_t = 8)]
    pub bindu_workers: usize,
    /// Do not run tasks in this process (it still answers, and other instances run them).
    #[arg(long)]
    pub bindu_no_worker: bool,
}
