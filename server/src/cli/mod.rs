//! The `quartet` command line. Its fixed part is declared here (with the
//! platform's own `admin secrets`); each surface of the registry adds its
//! `serve` flags and its `admin` subcommands.

mod secrets;
mod serve;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use quartet_server::platform::oauth::TokenPolicy;
use quartet_server::platform::{mail, Options, Platform};
use quartet_server::surfaces::{self, SURFACES};

/// quartet: four API surfaces from four hand-maintained OpenAPI documents.
#[derive(Parser)]
#[command(name = "quartet", version)]
struct Cli {
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where state lives and how tokens are issued: shared by `serve` and `admin`.
#[derive(clap::Args)]
struct PlatformArgs {
    /// Directory holding the SQLite database and search indexes (created if missing).
    #[arg(long, global = true, default_value = "data", env = "QUARTET_DATA_DIR")]
    data_dir: PathBuf,
    /// PostgreSQL URL (`postgres://user:password@host/db`) instead of the embedded
    /// SQLite database; several instances may share it.
    #[arg(long, global = true, env = "QUARTET_DATABASE_URL")]
    database_url: Option<String>,
    /// `iss` of issued tokens, and the only issuer accepted.
    #[arg(long, global = true, default_value = quartet_api::bitmind::DEFAULT_ISSUER)]
    token_issuer: String,
    /// `aud` of tokens for clients registered without an audience (BitMind's, and the
    /// only audience BitMind accepts).
    #[arg(long, global = true, default_value = quartet_api::bitmind::DEFAULT_AUDIENCE)]
    token_audience: String,
    /// SMTP relay for the mail the surfaces send (account verification, password
    /// recovery): `smtp://host:port` (plain; `?tls=required` for STARTTLS),
    /// `smtps://host:port` (TLS), credentials as `user:password@`. Without it each
    /// message is written to DATA_DIR/mail/ as an .eml file and logged.
    #[arg(long, global = true, env = "QUARTET_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender (`From`) of that mail.
    #[arg(long, global = true, default_value = mail::DEFAULT_FROM, env = "QUARTET_MAIL_FROM")]
    mail_from: String,
    /// Seconds a message may take to reach the SMTP relay before the send fails.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300), env = "QUARTET_SMTP_TIMEOUT_SECS")]
    smtp_timeout_secs: u64,
    /// File holding the key secrets are sealed under at rest (64 hex characters,
    /// mode 0600). Without it (and without QUARTET_SECRET_KEY) a key is generated
    /// into DATA_DIR/secret.key on first start. Instances sharing a database need
    /// the same key.
    #[arg(long, global = true, env = "QUARTET_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the servers (every surface unless `--surface` is given).
    Serve(serve::ServeArgs),
    /// Create what has no API of its own: keys, credits, clients, documents.
    Admin,
    /// List the surfaces this build serves, with their default ports.
    Surfaces,
}

/// The name of the platform's own admin subcommand (no surface may take it).
const SECRETS: &str = "secrets";

/// The command line, with every surface's flags and admin subcommands.
fn command() -> clap::Command {
    Cli::command()
        .mut_subcommand("serve", |serve| {
            // A surface's flags must not replace the description of `serve` itself.
            let about = serve.get_about().cloned();
            let serve = SURFACES.iter().fold(serve, |c, s| (s.serve_args)(c));
            match about {
                Some(about) => serve.about(about),
                None => serve,
            }
        })
        .mut_subcommand("admin", |admin| {
            SURFACES
                .iter()
                .fold(
                    admin.subcommand_required(true).arg_required_else_help(true),
                    |c, s| {
                        c.subcommand(
                            (s.admin_args)(clap::Command::new(s.name))
                                .about(format!("{} administration", s.name))
                                .subcommand_required(true),
                        )
                    },
                )
                .subcommand(
                    <secrets::Command as Subcommand>::augment_subcommands(clap::Command::new(
                        SECRETS,
                    ))
                    .about("The key secrets are sealed under at rest")
                    .subcommand_required(true),
                )
        })
}

/// Parses the command line and runs it.
pub fn main() -> Result<()> {
    let matches = command().get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => {
            let serve_matches = matches
                .subcommand_matches("serve")
                .expect("the serve subcommand was chosen")
                .clone();
            runtime.block_on(serve::serve(cli.platform, args, serve_matches))
        }
        Command::Admin => {
            let (name, admin_matches) = matches
                .subcommand_matches("admin")
                .and_then(ArgMatches::subcommand)
                .expect("admin requires a surface");
            let log = slog::Logger::root(slog::Discard, slog::o!());
            runtime.block_on(async {
                let platform = platform(&cli.platform, log).await?;
                let result = if name == SECRETS {
                    match secrets::Command::from_arg_matches(admin_matches) {
                        Ok(command) => secrets::run(platform.clone(), command).await,
                        Err(e) => Err(e.into()),
                    }
                } else {
                    let surface = surfaces::find(name).expect("only registered surfaces parse");
                    (surface.admin)(platform.clone(), admin_matches).await
                };
                platform.db.close().await;
                result
            })
        }
        Command::Surfaces => {
            for s in &SURFACES {
                println!("{} {}", s.name, s.default_port);
            }
            Ok(())
        }
    }
}

/// Reads the sealing key, connects to the database and builds the shared services.
async fn platform(args: &PlatformArgs, log: slog::Logger) -> Result<Platform> {
    if args.token_issuer.is_empty() {
        bail!("--token-issuer must not be empty");
    }
    let mail = mail::Mailer::new(
        args.smtp_url.as_deref(),
        &args.mail_from,
        std::time::Duration::from_secs(args.smtp_timeout_secs),
        &args.data_dir,
        log.new(slog::o!("component" => "mail")),
    )
    .context("--smtp-url / --mail-from")?;
    Platform::assemble(Options {
        data_dir: &args.data_dir,
        database_url: args.database_url.as_deref(),
        secret_key_file: args.secret_key_file.as_deref(),
        token_policy: TokenPolicy {
            issuer: args.token_issuer.clone(),
            default_audience: args.token_audience.clone(),
            lifetime_secs: quartet_api::bitmind::TOKEN_LIFETIME_SECS,
            leeway_secs: quartet_server::platform::oauth::tokens::LEEWAY_SECS,
        },
        mail: std::sync::Arc::new(mail),
        log,
    })
    .await
    .with_context(|| match &args.database_url {
        Some(_) => "opening the platform (sealing key, database)".to_owned(),
        None => format!("opening the data directory {}", args.data_dir.display()),
    })
}
