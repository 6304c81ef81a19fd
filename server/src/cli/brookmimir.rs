//! `quartet admin brookmimir …`: keys, credits and the corpus.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use quartet_server::brookmimir::{corpus, store::Store};
use r2d2_sqlite::rusqlite::Connection;

#[derive(Subcommand)]
pub enum BrookmimirAdmin {
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
pub enum KeyCommand {
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
pub enum DocumentsCommand {
    /// Import documents from a JSON Lines file (`-` for standard input); existing ids are replaced.
    Import {
        /// The file.
        file: PathBuf,
    },
}

/// Runs one Brookmimir admin command.
pub fn run(conn: &mut Connection, command: BrookmimirAdmin) -> Result<()> {
    match command {
        BrookmimirAdmin::Key {
            command: KeyCommand::Create { credits, label },
        } => {
            if credits < 0 {
                bail!("--credits must be 0 or more");
            }
            let (key, info) = Store::create_key(conn, &label, credits)?;
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
            match Store::top_up(conn, &key, credits)? {
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
            let keys = Store::list_keys(conn)?;
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
                    Store::upsert_documents(conn, &batch)?;
                    total += batch.len();
                    batch.clear();
                    eprintln!("imported {total} documents…");
                }
            }
            if !batch.is_empty() {
                Store::upsert_documents(conn, &batch)?;
                total += batch.len();
            }
            println!("imported {total} documents; a running server re-indexes on its next query");
        }
    }
    Ok(())
}
