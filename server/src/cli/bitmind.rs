//! `quartet admin bitmind …`: OAuth clients, organization keys, signing keys.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use quartet_server::bitmind::org_keys::OrgKeyStore;
use quartet_server::oauth::{keys, ClientStore, TokenService};
use r2d2_sqlite::rusqlite::Connection;

use super::serve::TokenServiceArgs;

#[derive(Subcommand)]
pub enum BitmindAdmin {
    /// OAuth clients (client-credentials grant).
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Legacy organization API keys (`Bearer enterprise-<KEY>`).
    OrgKey {
        #[command(subcommand)]
        command: OrgKeyCommand,
    },
    /// Retire the current signing key and start signing with a new one; the old key stays
    /// published until its tokens expire.
    RotateKey,
    /// Sign an access token directly (for tests and operations), with chosen claims.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and (for secret-based clients) its secret, once.
    Create {
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

#[derive(Subcommand)]
pub enum OrgKeyCommand {
    /// Create a key; prints `enterprise-<KEY>` once (only a hash is stored).
    Create {
        /// Use this key id (32 lowercase hex characters) instead of a random one.
        #[arg(long)]
        id: Option<String>,
        /// Permissions, comma-separated.
        #[arg(
            long,
            default_value = "image_inference,video_inference,batch_processing"
        )]
        permissions: String,
        /// Commercial tier.
        #[arg(long, default_value = "enterprise")]
        tier: String,
    },
    /// List keys.
    List,
    /// Revoke a key.
    Revoke {
        /// The key id.
        id: String,
    },
}

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
        /// Audience to put in the token instead of the configured one.
        #[arg(long)]
        audience: Option<String>,
        #[command(flatten)]
        token_service: TokenServiceArgs,
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
pub fn run(
    conn: &mut Connection,
    pool: quartet_server::db::Pool,
    command: BitmindAdmin,
) -> Result<()> {
    let check_id = |id: &Option<String>| -> Result<()> {
        match id {
            Some(id) if !quartet_server::oauth::clients::is_client_id(id) => {
                bail!("--id must be 32 lowercase hex characters")
            }
            _ => Ok(()),
        }
    };
    match command {
        BitmindAdmin::Client {
            command:
                ClientCommand::Create {
                    id,
                    permissions,
                    tier,
                    mtls_cert,
                    json,
                },
        } => {
            check_id(&id)?;
            let scopes = quartet_server::bitmind::parse_permissions(&permissions)
                .map_err(anyhow::Error::msg)?;
            let thumbprint = match &mtls_cert {
                None => None,
                Some(path) => {
                    let pem = std::fs::read(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Some(
                        quartet_server::oauth::certs::thumbprint_of_pem(&pem)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                    )
                }
            };
            let (client, secret) = ClientStore::create(conn, id, &scopes, &tier, thumbprint)?;
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
        BitmindAdmin::Client {
            command: ClientCommand::List,
        } => {
            for c in ClientStore::list(conn)? {
                let kind = if c.is_mtls() { "mtls" } else { "secret" };
                print_row(&c.id, c.revoked_at, Some(kind), &c.tier, &c.scopes);
            }
        }
        BitmindAdmin::Client {
            command: ClientCommand::Revoke { id },
        } => {
            if !ClientStore::revoke(conn, &id)? {
                bail!("no active client {id:?}");
            }
            println!("revoked client {id}");
        }
        BitmindAdmin::OrgKey {
            command:
                OrgKeyCommand::Create {
                    id,
                    permissions,
                    tier,
                },
        } => {
            check_id(&id)?;
            let scopes = quartet_server::bitmind::parse_permissions(&permissions)
                .map_err(anyhow::Error::msg)?;
            let (key, credential) = OrgKeyStore::create(conn, id, &scopes, &tier)?;
            eprintln!(
                "created organization key {}; it is shown only once:",
                key.id
            );
            println!("{}{credential}", quartet_api::bitmind::ORG_KEY_PREFIX);
        }
        BitmindAdmin::OrgKey {
            command: OrgKeyCommand::List,
        } => {
            for k in OrgKeyStore::list(conn)? {
                print_row(&k.id, k.revoked_at, None, &k.tier, &k.scopes);
            }
        }
        BitmindAdmin::OrgKey {
            command: OrgKeyCommand::Revoke { id },
        } => {
            if !OrgKeyStore::revoke(conn, &id)? {
                bail!("no active organization key {id:?}");
            }
            println!("revoked organization key {id}");
        }
        BitmindAdmin::RotateKey => {
            keys::Keyring::load_or_create(conn)?;
            let (new, old) = keys::rotate(conn)?;
            match old {
                Some(old) => {
                    println!("signing with {new}; {old} stays published until its tokens expire")
                }
                None => println!("signing with {new}"),
            }
        }
        BitmindAdmin::Token {
            command:
                TokenCommand::Mint {
                    client_id,
                    lifetime,
                    not_before,
                    audience,
                    token_service,
                },
        } => {
            let Some(client) = ClientStore::get_in(conn, &client_id)? else {
                bail!("no client {client_id:?}");
            };
            let service = TokenService::open(
                conn,
                pool,
                token_service.token_issuer,
                token_service.token_audience,
            )?;
            let (token, _) = service.sign_claims(|c| {
                c.sub = client.id.clone();
                c.scope = client.scopes.join(" ");
                c.exp = c.iat + lifetime;
                c.nbf = c.iat + not_before;
                if let Some(a) = audience {
                    c.aud = a;
                }
                c.cnf = client
                    .cert_thumbprint
                    .clone()
                    .map(|x5t_s256| quartet_server::oauth::tokens::Confirmation { x5t_s256 });
            })?;
            println!("{token}");
        }
    }
    Ok(())
}
