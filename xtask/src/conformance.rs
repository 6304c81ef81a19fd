//! `cargo xtask conformance`: send every documented example to a live server —
//! the `quartet` binary spawned on loopback, or a deployed one (`--base-url`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use quartet_conformance::{Report, Target};

/// Command-line arguments of `cargo xtask conformance`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Surfaces to test (repeatable; default: every surface that has scenarios).
    #[arg(long = "surface")]
    pub surfaces: Vec<String>,
    /// Test a server deployed at this URL instead of spawning one (one surface only).
    #[arg(long)]
    pub base_url: Option<String>,
    /// A named fixture for `--base-url` runs, e.g. `--fixture funded=<key>` (repeatable).
    #[arg(long = "fixture", value_parser = parse_fixture)]
    pub fixtures: Vec<(String, String)>,
    /// Write conformance.json, conformance.xml (JUnit) and conformance.md here.
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    /// The `quartet` binary to spawn (default: build it with cargo first).
    #[arg(long)]
    pub bin: Option<PathBuf>,
}

fn parse_fixture(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
}

/// Builds the `quartet` binary (debug) and returns its path.
fn build_server(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "-p",
            "quartet-server",
            "--bin",
            "quartet",
        ])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the quartet binary failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target
        .join("debug")
        .join(format!("quartet{}", std::env::consts::EXE_SUFFIX)))
}

/// Runs the requested surfaces; returns the printed text and the exit code (0 all passed, 1 otherwise).
pub fn run(root: &Path, args: &Args) -> Result<(String, i32)> {
    if args.base_url.is_some() && args.surfaces.len() != 1 {
        bail!("--base-url needs exactly one --surface");
    }
    let bin = match (&args.base_url, &args.bin) {
        (Some(_), _) => None,
        (None, Some(bin)) => Some(bin.clone()),
        (None, None) => Some(build_server(root)?),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Without --surface: every surface the binary serves (its registry says which).
    let surfaces: Vec<String> = match (&bin, args.surfaces.is_empty()) {
        (Some(bin), true) => runtime.block_on(quartet_conformance::server::served_surfaces(bin))?,
        _ => args.surfaces.clone(),
    };
    let mut all = Report::default();
    for surface in &surfaces {
        let target = match (&args.base_url, &bin) {
            (Some(url), _) => Target::Remote {
                base_url: url.clone(),
                fixtures: args.fixtures.iter().cloned().collect::<HashMap<_, _>>(),
            },
            (None, Some(bin)) => Target::Local { bin: bin.clone() },
            (None, None) => unreachable!("a binary is always chosen for local runs"),
        };
        let document = root.join("openapi").join(format!("{surface}.yaml"));
        let report = runtime.block_on(quartet_conformance::run(surface, &document, target))?;
        all.outcomes.extend(report.outcomes);
    }
    if let Some(dir) = &args.report_dir {
        all.write(dir)
            .with_context(|| format!("writing reports to {}", dir.display()))?;
    }
    Ok((all.terminal(), if all.passed() { 0 } else { 1 }))
}
