//! `quartet admin bitmind …`: OAuth clients, organization keys, signing keys.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use super::permissions::parse_permissions;
use super::store::OrgKeyStore;
use crate::platform::oauth::clients::is_client_id;
use crate::platform::oauth::{certs, ClientStore, Confirmation, NewClient};
use crate::platform::Platform;

/// `quartet admin bitmind …`.
#[derive(Subcommand)]
pub enum Command {
    /// OAuth clients (client-credentials grant).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Legacy organization API keys (`Bearer enterprise-<KEY>`).
    #[command(subcommand)]
    OrgKey(OrgKeyCommand),
    /// Retire the current signing key and start signing with a new one; the old key stays
    /// published until its tokens expire.
    RotateKey,
    /// Sign an access token directly (for tests and operations), with chosen claims.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// Who a new client or organization key is, and what it may do.
#[derive(clap::Args)]
pub struct Grant {
    /// Use this id (32 lowercase hex characters) instead of a random one.
    #[arg(long)]
    id: Option<String>,
    /// Permissions, comma-separated (image_inference, video_inference, batch_processing).
    #[arg(
        long,
        default_value = "image_inference,video_inference,batch_processing"
    )]
    permissions: String,
    /// Commercial tier.
    #[arg(long, default_value = "enterprise")]
    tier: String,
}

impl Grant {
    /// The id (checked) and the permissions (parsed).
    fn read(self) -> Result<(Option<String>, Vec<String>, String)> {
        if let Some(id) = &self.id {
            if !is_client_id(id) {
                bail!("--id must be 32 lowercase hex characters");
            }
        }
        let scopes = parse_permissions(&self.permissions).map_err(anyhow::Error::msg)?;
        Ok((self.id, scopes, self.tier))
    }
}

/// `quartet admin bitmind client …`.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and (for secret-based clients) its secret, once.
    Create {
        /// Its id, permissions and tier.
        #[command(flatten)]
        grant: Grant,
        /// Register an mTLS client authenticated by this PEM certificate instead of a secret.
        #[arg(long)]
        mtls_cert: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List,
    /// Revoke a client: its tokens stop working at once.
    Revoke {
        /// The client id.
        id: String,
    },
}

/// `quartet admin bitmind org-key …`.
#[derive(Subcommand)]
pub enum OrgKeyCommand {
    /// Create a key; prints `enterprise-<KEY>` once (only a hash is stored).
    Create {
        /// Its id, permissions and tier.
        #[command(flatten)]
        grant: Grant,
    },
    /// List keys.
    List,
    /// Revoke a key.
    Revoke {
        /// The key id.
        id: String,
    },
}

/// `quartet admin bitmind token …`.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Mint a token for a registered client with the current signing key.
    Mint {
        /// The client (its permissions become the scope; mTLS clients get a bound token).
        #[arg(long)]
        client_id: String,
        /// Lifetime in seconds; negative for an already expired token.
        #[arg(long, default_value_t = quartet_api::bitmind::TOKEN_LIFETIME_SECS, allow_hyphen_values = true)]
        lifetime: i64,
        /// Not-before, in seconds from now.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        not_before: i64,
        /// Audience to put in the token instead of the client's.
        #[arg(long)]
        audience: Option<String>,
    },
}

/// One line of `client list` / `org-key list`: id, state, kind (clients only), tier, permissions.
fn print_row(id: &str, revoked_at: Option<i64>, kind: Option<&str>, tier: &str, scopes: &[String]) {
    let state = if revoked_at.is_some() {
        "revoked"
    } else {
        "active"
    };
    let kind = kind.map(|k| format!("{k:<6}  ")).unwrap_or_default();
    println!("{id}  {state:<7}  {kind}{tier:<10}  {}", scopes.join(","));
}

/// Runs one BitMind admin command.
pub async fn run(platform: Platform, command: Command) -> Result<()> {
    let clients = ClientStore::new(platform.db.clone());
    let org_keys = OrgKeyStore::new(platform.db.clone(), None);
    match command {
        Command::Client(ClientCommand::Create {
            grant,
            mtls_cert,
            json,
        }) => {
            let (id, scopes, tier) = grant.read()?;
            let cert_thumbprint = match &mtls_cert {
                None => None,
                Some(path) => {
                    let pem = std::fs::read(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Some(
                        certs::thumbprint_of_pem(&pem)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    )
                }
            };
            let (client, secret) = clients
                .create(NewClient {
                    id,
                    scopes,
                    tier,
                    cert_thumbprint,
                    ..Default::default()
                })
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"client_id": client.id, "client_secret": secret, "permissions": client.scopes, "mtls": client.is_mtls()})
                );
            } else {
                println!("client_id      {}", client.id);
                match secret {
                    Some(s) => println!("client_secret  {s}"),
                    None => println!(
                        "authenticates  with the certificate (x5t#S256 {})",
                        client.cert_thumbprint.unwrap_or_default()
                    ),
                }
                eprintln!("the secret is shown only once");
            }
        }
        Command::Client(ClientCommand::List) => {
            for c in clients.list().await? {
                let kind = if c.is_mtls() { "mtls" } else { "secret" };
                print_row(&c.id, c.revoked_at, Some(kind), &c.tier, &c.scopes);
            }
        }
        Command::Client(ClientCommand::Revoke { id }) => {
            if !clients.revoke(&id).await? {
                bail!("no active client {id:?}");
            }
            println!("revoked client {id}");
        }
        Command::OrgKey(OrgKeyCommand::Create { grant }) => {
            let (id, scopes, tier) = grant.read()?;
            let (key, credential) = org_keys.create(id, &scopes, &tier).await?;
            eprintln!(
                "created organization key {}; it is shown only once:",
                key.id
            );
            println!("{}{credential}", quartet_api::bitmind::ORG_KEY_PREFIX);
        }
        Command::OrgKey(OrgKeyCommand::List) => {
            for k in org_keys.list().await? {
                print_row(&k.id, k.revoked_at, None, &k.tier, &k.scopes);
            }
        }
        Command::OrgKey(OrgKeyCommand::Revoke { id }) => {
            if !org_keys.revoke(&id).await? {
                bail!("no active organization key {id:?}");
            }
            println!("revoked organization key {id}");
        }
        Command::RotateKey => {
            let (new, old) = platform.tokens.keyring().rotate().await?;
            match old {
                Some(old) => {
                    println!("signing with {new}; {old} stays published until its tokens expire")
                }
                None => println!("signing with {new}"),
            }
        }
        Command::Token(TokenCommand::Mint {
            client_id,
            lifetime,
            not_before,
            audience,
        }) => {
            let Some(client) = clients.get(&client_id).await? else {
                bail!("no client {client_id:?}");
            };
            let (token, _) = platform
                .tokens
                .sign_claims(&client, |c| {
                    c.exp = c.iat + lifetime;
                    c.nbf = c.iat + not_before;
                    if let Some(a) = audience {
                        c.aud = crate::platform::oauth::Audience::One(a);
                    }
                    c.cnf = client
                        .cert_thumbprint
                        .clone()
                        .map(|x5t_s256| Confirmation { x5t_s256 });
                })
                .await?;
            println!("{token}");
        }
    }
    Ok(())
}
