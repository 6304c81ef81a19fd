//! `quartet`: run the servers, or administer what has no API of its own.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use quartet_server::brookmimir::{corpus, store::Store};
use quartet_server::config::{BrookmimirConfig, ServeConfig, SERVED_SURFACES};

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
    /// Do not load the demo corpus into an empty Brookmimir corpus.
    #[arg(long)]
    no_demo_corpus: bool,
    /// Log level (logs go to standard error).
    #[arg(long, value_enum, default_value = "info")]
    log_level: LogLevel,
}

#[derive(Subcommand)]
enum AdminSurface {
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
    match surface {
        AdminSurface::Brookmimir { command } => {
            let pool = quartet_server::db::open(
                &data_dir,
                &quartet_server::brookmimir::store::MIGRATIONS,
            )?;
            let mut conn = pool.get()?;
            match command {
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
            }
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
