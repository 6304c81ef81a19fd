//! `quartet admin brookmimir …`: keys, credits and the corpus, which have no API of their own.

use std::path::PathBuf;

use super::store::Store;
use super::{corpus, generate};
use anyhow::{bail, Context, Result};
use clap::Subcommand;

/// `quartet admin brookmimir …`.
#[derive(Subcommand)]
pub enum Command {
    /// API keys and their credits.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The searchable corpus.
    #[command(subcommand)]
    Documents(DocumentsCommand),
}

/// `quartet admin brookmimir key …`.
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

/// `quartet admin brookmimir documents …`.
#[derive(Subcommand)]
pub enum DocumentsCommand {
    /// Import documents from a JSON Lines file (`-` for standard input); existing ids are replaced.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Print N realistic documents as JSON Lines, the same for the same seed (for
    /// benchmarks: `documents generate --count 100000 --seed 1 | documents import -`).
    Generate {
        /// How many documents.
        #[arg(long)]
        count: u64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of the first document (`DOC-<n>`).
        #[arg(long, default_value_t = generate::DEFAULT_FIRST_ID)]
        first_id: u64,
    },
}

/// Runs one Brookmimir admin command.
pub async fn run(store: Store, command: Command) -> Result<()> {
    match command {
        Command::Key(KeyCommand::Create { credits, label }) => {
            if credits < 0 {
                bail!("--credits must be 0 or more");
            }
            let (key, info) = store.create_key(&label, credits).await?;
            eprintln!(
                "created key {} with {} credits; it is shown only once:",
                info.id, info.credits
            );
            println!("{key}");
        }
        Command::Key(KeyCommand::TopUp { key, credits }) => {
            if credits <= 0 {
                bail!("--credits must be positive");
            }
            match store.top_up(&key, credits).await? {
                Some(info) => println!(
                    "key {} ({}…) now has {} credits",
                    info.id, info.prefix, info.credits
                ),
                None => bail!("no key matches {key:?}"),
            }
        }
        Command::Key(KeyCommand::List { json }) => {
            let keys = store.list_keys().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                println!("{:<16}  {:<9}  {:>10}  label", "id", "prefix", "credits");
                for k in keys {
                    println!(
                        "{:<16}  {:<9}  {:>10}  {}",
                        k.id,
                        format!("{}…", k.prefix),
                        k.credits,
                        k.label
                    );
                }
            }
        }
        Command::Documents(DocumentsCommand::Import { file }) => {
            let input: Box<dyn std::io::BufRead + Send> = if file.as_os_str() == "-" {
                Box::new(std::io::BufReader::new(std::io::stdin()))
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
                    store.upsert_documents(&batch).await?;
                    total += batch.len();
                    batch.clear();
                    eprintln!("imported {total} documents…");
                }
            }
            if !batch.is_empty() {
                store.upsert_documents(&batch).await?;
                total += batch.len();
            }
            println!("imported {total} documents; running servers index them within a second");
        }
        Command::Documents(DocumentsCommand::Generate {
            count,
            seed,
            first_id,
        }) => {
            use std::io::Write as _;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for doc in generate::documents(count, seed, first_id) {
                serde_json::to_writer(&mut out, &doc)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
    }
    Ok(())
}
