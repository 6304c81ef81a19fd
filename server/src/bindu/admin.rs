//! `quartet admin bindu …`: the clients that may call the agent, and its identity.

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use quartet_api::bindu::{SCOPE_EXECUTE, SCOPE_READ, SCOPE_WRITE};
use serde_json::json;

use super::auth::PUBLIC_KEY_ATTRIBUTE;
use super::did::{self, Identity};
use crate::platform::oauth::{ClientStore, NewClient};
use crate::platform::Platform;

/// `quartet admin bindu …`.
#[derive(Subcommand)]
pub enum Command {
    /// Clients of the agent (OAuth client credentials, with the Bindu audience).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The agent's Ed25519 identity.
    #[command(subcommand)]
    Identity(IdentityCommand),
}

/// `quartet admin bindu client …`.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and secret (the secret once).
    Create {
        /// Scopes, comma-separated: agent:read, agent:write, agent:execute.
        #[arg(long, default_value = "agent:read,agent:write")]
        scopes: String,
        /// Register a DID client: its client id is this DID and its requests must be signed.
        #[arg(long, requires = "public_key")]
        did: Option<String>,
        /// The DID client's Ed25519 public key, base58.
        #[arg(long, requires = "did")]
        public_key: Option<String>,
        /// Audience of its tokens (default: --bindu-token-audience's default).
        #[arg(long, default_value = quartet_api::bindu::DEFAULT_AUDIENCE)]
        audience: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a client: its tokens stop working at once.
    Revoke {
        /// The client id.
        id: String,
    },
}

/// `quartet admin bindu identity …`.
#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Print the agent id, public key and creation time.
    Show,
    /// Replace the identity with one made from a 32-byte seed (hex).
    Import {
        /// The Ed25519 seed, 64 hex characters.
        #[arg(long)]
        seed: String,
        /// Agent id (UUID); by default derived from the key.
        #[arg(long)]
        agent_id: Option<String>,
        /// Creation time, Unix seconds (default: now).
        #[arg(long)]
        created: Option<i64>,
    },
}

fn parse_scopes(s: &str) -> Result<Vec<String>> {
    let scopes: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for scope in &scopes {
        if ![SCOPE_READ, SCOPE_WRITE, SCOPE_EXECUTE].contains(&scope.as_str()) {
            bail!("unknown scope {scope:?} (agent:read, agent:write, agent:execute)");
        }
    }
    Ok(scopes)
}

/// Runs one Bindu admin command.
pub async fn run(platform: Platform, command: Command) -> Result<()> {
    let clients = ClientStore::new(platform.db.clone());
    match command {
        Command::Client(ClientCommand::Create {
            scopes,
            did,
            public_key,
            audience,
            json,
        }) => {
            let scopes = parse_scopes(&scopes)?;
            let mut attributes = serde_json::Map::new();
            if let (Some(did), Some(key)) = (&did, &public_key) {
                if !did.starts_with("did:") {
                    bail!("--did must start with did:");
                }
                let bytes = bs58::decode(key)
                    .into_vec()
                    .context("--public-key is not base58")?;
                if bytes.len() != 32 {
                    bail!("--public-key must be a 32-byte Ed25519 key");
                }
                attributes.insert(PUBLIC_KEY_ATTRIBUTE.into(), json!(key));
            }
            let (client, secret) = clients
                .create(NewClient {
                    id: did,
                    scopes,
                    audiences: vec![audience],
                    tier: "bindu".into(),
                    attributes,
                    ..Default::default()
                })
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"client_id": client.id, "client_secret": secret, "scopes": client.scopes})
                );
            } else {
                println!("client_id      {}", client.id);
                if let Some(s) = secret {
                    println!("client_secret  {s}");
                }
                eprintln!("the secret is shown only once; get tokens from POST /v1/oauth/token on BitMind's port");
            }
        }
        Command::Client(ClientCommand::Revoke { id }) => {
            if !clients.revoke(&id).await? {
                bail!("no active client {id:?}");
            }
            println!("revoked client {id}");
        }
        Command::Identity(IdentityCommand::Show) => {
            let id = Identity::load_or_create(&platform.db, &platform.sealer).await?;
            println!("agent_id    {}", id.agent_id);
            println!("public_key  {}", id.public_key_base58());
            println!("created     {}", did::rfc3339_seconds(id.created_at));
        }
        Command::Identity(IdentityCommand::Import {
            seed,
            agent_id,
            created,
        }) => {
            let bytes: [u8; 32] = hex::decode(seed.trim())
                .context("--seed is not hex")?
                .try_into()
                .map_err(|_| anyhow::anyhow!("--seed must be 32 bytes (64 hex characters)"))?;
            if let Some(a) = &agent_id {
                uuid::Uuid::parse_str(a).context("--agent-id is not a UUID")?;
            }
            let id = Identity::from_seed(
                bytes,
                agent_id,
                created.unwrap_or_else(crate::platform::storage::now),
            );
            id.store(&platform.db, &platform.sealer).await?;
            println!("agent_id    {}", id.agent_id);
            println!("public_key  {}", id.public_key_base58());
        }
    }
    Ok(())
}
