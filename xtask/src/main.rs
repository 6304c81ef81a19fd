//! `cargo xtask`: generate, check and diff quartet's contracts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use quartet_api::{Surface, SURFACES};
use xtask::check::{self, EXIT_BROKEN};
use xtask::document::Document;
use xtask::{derived, generate};

/// quartet's contract tooling.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    /// Workspace root to work on (defaults to this checkout).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the progenitor client (client/src/generated/) from openapi/*.yaml.
    Generate {
        /// Only these surfaces (default: all).
        #[arg(long = "surface")]
        surfaces: Vec<String>,
    },
    /// Lint the documents, check the committed client is current and the servers match the
    /// documents. Exit 0: all good; 4: client stale (run `cargo xtask generate`); 100: broken.
    Check {
        /// Only these surfaces (default: all).
        #[arg(long = "surface")]
        surfaces: Vec<String>,
    },
    /// Show what a change to the documents breaks, working tree against a base revision
    /// (or OLD NEW). Exit 0: nothing at or above --fail-on; 1: something is.
    Diff(xtask::diff::cli::Args),
    /// Send every documented example to a live server and compare the answers with the
    /// documents. Exit 0: all passed; 1: something failed.
    Conformance(xtask::conformance::Args),
    /// Print the OpenAPI document dropshot derives from a surface's server trait (YAML).
    Stub {
        /// The surface.
        surface: String,
    },
}

fn select(names: &[String]) -> Result<Vec<Surface>> {
    if names.is_empty() {
        return Ok(SURFACES.to_vec());
    }
    names
        .iter()
        .map(|n| match SURFACES.iter().find(|s| s.name == n) {
            Some(s) => Ok(*s),
            None => bail!(
                "unknown surface {n:?} (known: {})",
                SURFACES.map(|s| s.name).join(", ")
            ),
        })
        .collect()
}

fn run(cli: Cli) -> Result<i32> {
    let root = cli.root.unwrap_or_else(xtask::workspace_root);
    match cli.command {
        Command::Generate { surfaces } => {
            for s in select(&surfaces)? {
                let doc = Document::load(&root.join(s.document))?;
                let findings = xtask::lint::lint(s.name, &doc);
                if !findings.is_empty() {
                    for f in &findings {
                        eprint!("{f}");
                    }
                    bail!(
                        "{}: {} lint finding(s); fix the document before generating",
                        s.name,
                        findings.len()
                    );
                }
                let code = generate::render(s.name, &doc)?;
                let rel = generate::client_path(s.name);
                let path = root.join(&rel);
                let before = std::fs::read_to_string(&path).unwrap_or_default();
                if before == code {
                    println!("unchanged {rel}");
                } else {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, code)?;
                    println!("wrote     {rel}");
                }
            }
            Ok(0)
        }
        Command::Check { surfaces } => {
            let outcome = check::run(&root, &select(&surfaces)?)?;
            print!("{}", outcome.log);
            for f in &outcome.findings {
                print!("\n{f}");
            }
            for (file, diff) in &outcome.stale {
                println!("\nclient {file} is stale:\n{diff}");
            }
            let code = outcome.exit_code();
            let lint = outcome
                .findings
                .iter()
                .filter(|f| f.check == xtask::finding::Check::Lint)
                .count();
            let drift = outcome.findings.len() - lint;
            println!(
                "\n{}: {lint} lint finding(s), {drift} drift finding(s), {} stale client file(s){}",
                match code {
                    0 => "ok",
                    4 => "stale",
                    _ => "broken",
                },
                outcome.stale.len(),
                if code == 4 {
                    " — run `cargo xtask generate`"
                } else {
                    ""
                }
            );
            Ok(code)
        }
        Command::Diff(args) => {
            let (output, code) = xtask::diff::cli::run(&root, &args)?;
            print!("{output}");
            Ok(code)
        }
        Command::Conformance(args) => {
            let (output, code) = xtask::conformance::run(&root, &args)?;
            print!("{output}");
            Ok(code)
        }
        Command::Stub { surface } => {
            let s = select(&[surface])?.remove(0);
            let doc = Document::load(&root.join(s.document)).ok();
            let (title, version) = doc
                .as_ref()
                .map(|d| (d.title().to_owned(), d.version().to_owned()))
                .unwrap_or_else(|| (s.name.to_owned(), "1.0.0".to_owned()));
            let value = derived::derive(&s, &title, &version)?;
            print!("{}", serde_norway::to_string(&value)?);
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_BROKEN as u8)
        }
    }
}
