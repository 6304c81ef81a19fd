//! `quartet`: run the servers, or administer what has no API of its own.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use quartet_server::bitmind::org_keys::OrgKeyStore;
use quartet_server::brookmimir::{corpus, store::Store};
use quartet_server::config::{BitmindConfig, BrookmimirConfig, ServeConfig, SERVED_SURFACES};
use quartet_server::oauth::{keys, ClientStore, TokenService};

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
    Serve(ServeArgs),
    /// Create keys, credits and documents.
    Admin {
        #[command(subcommand)]
        surface: AdminSurface,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to bind every surface to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Surface to run (repeatable).
    #[arg(long = "surface")]
    surfaces: Vec<String>,
    /// Brookmimir port (0 picks a free one).
    #[arg(long, default_value_t = 3771)]
    brookmimir_port: u16,
    /// URL the Brookmimir face-search proxy forwards to (unset: not configured).
    #[arg(long, env = "QUARTET_FACE_SEARCH_URL")]
    face_search_url: Option<String>,
    /// How long to wait for the face-search service, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    face_search_timeout_ms: u64,
    /// Where Brookmimir's `/nettest` probes.
    #[arg(long, default_value = "https://example.com/")]
    nettest_target: String,
    /// How long `/nettest` waits, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    nettest_timeout_ms: u64,
    /// BitMind port (0 picks a free one).
    #[arg(long, default_value_t = 3772)]
    bitmind_port: u16,
    #[command(flatten)]
    token_service: TokenServiceArgs,
    /// Region BitMind reports.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_REGION)]
    bitmind_region: String,
    /// Do not load the demo corpus into an empty Brookmimir corpus.
    #[arg(long)]
    no_demo_corpus: bool,
    /// Log level (logs go to standard error).
    #[arg(long, value_enum, default_value = "info")]
    log_level: LogLevel,
}

/// Issuer and audience of the token service (shared by serving and minting).
#[derive(Args, Clone)]
struct TokenServiceArgs {
    /// `iss` of issued tokens, and the only one accepted.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_ISSUER)]
    token_issuer: String,
    /// `aud` of issued tokens, and the only one accepted.
    #[arg(long, default_value = quartet_api::bitmind::DEFAULT_AUDIENCE)]
    token_audience: String,
}

#[derive(Subcommand)]
enum AdminSurface {
    /// BitMind OAuth clients, organization keys and signing keys.
    Bitmind {
        #[command(subcommand)]
        command: BitmindAdmin,
    },
    /// Brookmimir keys, credits and corpus.
    Brookmimir {
        #[command(subcommand)]
        command: BrookmimirAdmin,
    },
}

#[derive(Subcommand)]
enum BrookmimirAdmin {
    /// API keys and their credits.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The searchable corpus.
    Documents {
        #[command(subcommand)]
        command: DocumentsCommand,
    },
}

#[derive(Subcommand)]
enum BitmindAdmin {
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
enum ClientCommand {
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
enum OrgKeyCommand {
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
enum TokenCommand {
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

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key; prints it once (only its hash is stored).
    Create {
        /// Starting balance.
        #[arg(long)]
        credits: i64,
        /// A label to recognise the key by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Add credits to a key, given by the key itself or by its id.
    TopUp {
        /// The key (64 hex characters) or its id from `key list`.
        key: String,
        /// Credits to add.
        #[arg(long)]
        credits: i64,
    },
    /// List keys (id, prefix, label, balance).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DocumentsCommand {
    /// Import documents from a JSON Lines file (`-` for standard input); existing ids are replaced.
    Import {
        /// The file.
        file: PathBuf,
    },
}

fn logger(level: LogLevel) -> Result<slog::Logger> {
    let level = match level {
        LogLevel::Error => dropshot::ConfigLoggingLevel::Error,
        LogLevel::Warn => dropshot::ConfigLoggingLevel::Warn,
        LogLevel::Info => dropshot::ConfigLoggingLevel::Info,
        LogLevel::Debug => dropshot::ConfigLoggingLevel::Debug,
    };
    dropshot::ConfigLogging::StderrTerminal { level }
        .to_logger("quartet")
        .map_err(|e| anyhow::anyhow!("setting up logging: {e}"))
}

async fn serve(data_dir: PathBuf, args: ServeArgs) -> Result<()> {
    let log = logger(args.log_level)?;
    let surfaces = if args.surfaces.is_empty() {
        SERVED_SURFACES.iter().map(|s| s.to_string()).collect()
    } else {
        args.surfaces
    };
    let config = ServeConfig {
        data_dir,
        bind: args.bind,
        surfaces,
        brookmimir: BrookmimirConfig {
            port: args.brookmimir_port,
            face_search_url: args.face_search_url,
            face_search_timeout: Duration::from_millis(args.face_search_timeout_ms),
            nettest_target: args.nettest_target,
            nettest_timeout: Duration::from_millis(args.nettest_timeout_ms),
            load_demo_corpus: !args.no_demo_corpus,
        },
        bitmind: BitmindConfig {
            port: args.bitmind_port,
            region: args.bitmind_region,
            issuer: args.token_service.token_issuer,
            audience: args.token_service.token_audience,
        },
    };
    let running = quartet_server::serve::start(&config, &log).await?;
    {
        let mut out = std::io::stdout().lock();
        for (name, addr) in &running.addresses {
            writeln!(out, "quartet: {name} listening on http://{addr}")?;
        }
        out.flush()?;
    }
    shutdown_signal().await;
    slog::info!(log, "shutting down");
    running.close().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn admin(data_dir: PathBuf, surface: AdminSurface) -> Result<()> {
    std::fs::create_dir_all(&data_dir)?;
    let pool = quartet_server::db::open(&data_dir, &quartet_server::migrations())?;
    let mut conn = pool.get()?;
    match surface {
        AdminSurface::Bitmind { command } => bitmind_admin(&mut conn, pool.clone(), command)?,
        AdminSurface::Brookmimir { command } => match command {
            BrookmimirAdmin::Key {
                command: KeyCommand::Create { credits, label },
            } => {
                if credits < 0 {
                    bail!("--credits must be 0 or more");
                }
                let (key, info) = Store::create_key(&conn, &label, credits)?;
                eprintln!(
                    "created key {} with {} credits; it is shown only once:",
                    info.id, info.credits
                );
                println!("{key}");
            }
            BrookmimirAdmin::Key {
                command: KeyCommand::TopUp { key, credits },
            } => {
                if credits <= 0 {
                    bail!("--credits must be positive");
                }
                match Store::top_up(&conn, &key, credits)? {
                    Some(info) => println!(
                        "key {} ({}…) now has {} credits",
                        info.id, info.prefix, info.credits
                    ),
                    None => bail!("no key matches {key:?}"),
                }
            }
            BrookmimirAdmin::Key {
                command: KeyCommand::List { json },
            } => {
                let keys = Store::list_keys(&conn)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&keys)?);
                } else {
                    println!("{:>4}  {:<9}  {:>10}  label", "id", "prefix", "credits");
                    for k in keys {
                        println!(
                            "{:>4}  {:<9}  {:>10}  {}",
                            k.id,
                            format!("{}…", k.prefix),
                            k.credits,
                            k.label
                        );
                    }
                }
            }
            BrookmimirAdmin::Documents {
                command: DocumentsCommand::Import { file },
            } => {
                let input: Box<dyn std::io::BufRead> = if file.as_os_str() == "-" {
                    Box::new(std::io::stdin().lock())
                } else {
                    Box::new(std::io::BufReader::new(
                        std::fs::File::open(&file)
                            .with_context(|| format!("opening {}", file.display()))?,
                    ))
                };
                let mut batch = Vec::with_capacity(1000);
                let mut total = 0usize;
                for doc in corpus::parse_jsonl(input) {
                    batch.push(doc?);
                    if batch.len() == 1000 {
                        Store::upsert_documents(&mut conn, &batch)?;
                        total += batch.len();
                        batch.clear();
                        eprintln!("imported {total} documents…");
                    }
                }
                if !batch.is_empty() {
                    Store::upsert_documents(&mut conn, &batch)?;
                    total += batch.len();
                }
                println!(
                    "imported {total} documents; a running server re-indexes on its next query"
                );
            }
        },
    }
    Ok(())
}

fn bitmind_admin(
    conn: &mut r2d2_sqlite::rusqlite::Connection,
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
                let state = if c.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let kind = if c.is_mtls() { "mtls" } else { "secret" };
                println!(
                    "{}  {state:<7}  {kind:<6}  {:<10}  {}",
                    c.id,
                    c.tier,
                    c.scopes.join(",")
                );
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
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}  {state:<7}  {:<10}  {}",
                    k.id,
                    k.tier,
                    k.scopes.join(",")
                );
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(serve(cli.data_dir, args)),
        Command::Admin { surface } => admin(cli.data_dir, surface),
    }
}
