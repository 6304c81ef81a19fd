//! The command line of `cargo xtask diff`: which documents to compare with what.
//!
//! - no argument: every surface document, working tree against the base revision;
//! - `SURFACE…` or `FILE…`: those documents, working tree against the base revision;
//! - `OLD NEW` (two arguments that are not both surface names): two files, each a path or
//!   `REV:path` (a path relative to the repository root, as `git show` takes it).
//!
//! The base is `--base REV`, else the merge-base of `HEAD` and `main` (see
//! [`super::git::default_base`]).

use std::path::{Path, PathBuf};

use quartet_api::SURFACES;
use thiserror::Error;

use crate::document::{Document, LoadError};

use super::acknowledge::{self, AckError};
use super::git::{self, GitError};
use super::render::{self, Format};
use super::rules::Severity;
use super::{DocumentReport, Report};

/// The arguments of `cargo xtask diff`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Revision to compare the working tree with (default: the merge-base of HEAD and
    /// main, which is HEAD when on main; HEAD when there is no main branch).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a change of this severity or above is not accepted.
    #[arg(long, value_enum, default_value_t = Severity::Breaking, value_name = "SEVERITY")]
    pub fail_on: Severity,
    /// Print the rule catalogue (id, severity, side) and exit.
    #[arg(long)]
    pub rules: bool,
    /// Surface names or document paths (each against the base), or exactly two documents
    /// `OLD NEW`, each a path or `REV:path`. Default: every surface.
    #[arg(value_name = "SURFACE|FILE")]
    pub targets: Vec<String>,
}

/// Why a diff could not be run.
#[derive(Debug, Error)]
pub enum DiffError {
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A file could not be read or parsed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A document read from git is not YAML.
    #[error("{origin}: not valid YAML: {source}")]
    Yaml {
        /// `REV:path`.
        origin: String,
        /// The parser's complaint.
        source: serde_norway::Error,
    },
    /// An acknowledgement file is unusable.
    #[error(transparent)]
    Ack(#[from] AckError),
    /// The arguments do not say what to compare.
    #[error("{0}")]
    Usage(String),
    /// Rendering JSON failed.
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// A file at a revision: `git show REV:path`.
    Git {
        /// The revision as written (or the base's short id).
        rev: String,
        /// The commit to read from.
        commit: String,
        /// The path relative to the repository root.
        path: String,
    },
}

impl Source {
    /// How the source is named in reports (files inside `root` relative to it).
    pub fn label(&self, root: &Path) -> String {
        match self {
            Source::File(p) => display_path(root, p),
            Source::Git { rev, path, .. } => format!("{rev}:{path}"),
        }
    }

    /// The document, or `None` when a `REV:path` does not exist at that revision.
    pub fn read(&self, root: &Path) -> Result<Option<Document>, DiffError> {
        match self {
            Source::File(p) => {
                if !p.exists() {
                    return Ok(None);
                }
                Ok(Some(Document::load(p)?))
            }
            Source::Git { commit, path, .. } => {
                let Some(text) = git::show(root, commit, path)? else {
                    return Ok(None);
                };
                let origin = format!("{}:{path}", commit);
                Document::parse(&origin, &text)
                    .map(Some)
                    .map_err(|source| DiffError::Yaml { origin, source })
            }
        }
    }
}

/// One comparison to make.
#[derive(Debug, Clone)]
pub struct Job {
    /// How the document is named in reports.
    pub name: String,
    /// The old version.
    pub old: Source,
    /// The new version.
    pub new: Source,
    /// The acknowledgement file that goes with the new version.
    pub ack_file: PathBuf,
}

/// Runs `cargo xtask diff` in the repository at `root`: the rendered output and the exit code.
pub fn run(root: &Path, args: &Args) -> Result<(String, i32), DiffError> {
    if args.rules {
        return Ok((render::rules_markdown(), super::EXIT_OK));
    }
    let (base, jobs) = plan(root, args)?;
    let mut documents = Vec::new();
    for job in jobs {
        let old = job.old.read(root)?;
        let new = job.new.read(root)?;
        if old.is_none() && new.is_none() {
            // A surface whose document exists on neither side: nothing to say.
            continue;
        }
        let acks = acknowledge::load(&job.ack_file)?;
        let ack_file = job
            .ack_file
            .exists()
            .then(|| display_path(root, &job.ack_file));
        documents.push(DocumentReport::build(
            &job.name,
            (&job.old.label(root), old.as_ref()),
            (&job.new.label(root), new.as_ref()),
            &acks,
            ack_file,
        ));
    }
    let report = Report {
        base,
        fail_on: args.fail_on,
        documents,
    };
    let text = render::render(&report, args.format)?;
    Ok((text, report.exit_code()))
}

fn display_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn is_surface(name: &str) -> bool {
    SURFACES.iter().any(|s| s.name == name)
}

/// Decides what to compare: the base description (when git provides the old side) and
/// the jobs.
pub fn plan(root: &Path, args: &Args) -> Result<(Option<String>, Vec<Job>), DiffError> {
    let t = &args.targets;
    if t.len() == 2 && !(is_surface(&t[0]) && is_surface(&t[1])) {
        if args.base.is_some() {
            return Err(DiffError::Usage(
                "--base compares the working tree with a revision; it has no meaning with OLD NEW"
                    .to_owned(),
            ));
        }
        let old = source(root, &t[0])?;
        let new = source(root, &t[1])?;
        if let Source::File(p) = &new {
            if !p.exists() {
                return Err(DiffError::Usage(format!("{}: no such file", p.display())));
            }
        }
        let ack_file = match &new {
            Source::File(p) => acknowledge::file_for(p),
            Source::Git { path, .. } => acknowledge::file_for(&root.join(path)),
        };
        let job = Job {
            name: new.label(root),
            old,
            new,
            ack_file,
        };
        return Ok((None, vec![job]));
    }
    let (commit, rev, how) = match &args.base {
        Some(rev) => {
            let commit = git::resolve(root, rev)?;
            let short = git::short(root, &commit)?;
            let how = if commit.starts_with(rev.as_str()) {
                short
            } else {
                format!("{rev} ({short})")
            };
            (commit, rev.clone(), how)
        }
        None => {
            let base = git::default_base(root)?;
            let short = git::short(root, &base.commit)?;
            let how = format!("{short}, {}", base.how);
            (base.commit, short, how)
        }
    };
    let against_base = |name: String, rel: String| Job {
        name,
        old: Source::Git {
            rev: rev.clone(),
            commit: commit.clone(),
            path: rel.clone(),
        },
        new: Source::File(root.join(&rel)),
        ack_file: acknowledge::file_for(&root.join(&rel)),
    };
    let mut jobs = Vec::new();
    if t.is_empty() {
        for s in SURFACES {
            jobs.push(against_base(s.name.to_owned(), s.document.to_owned()));
        }
    }
    for target in t {
        if let Some(s) = SURFACES.iter().find(|s| s.name == target) {
            jobs.push(against_base(s.name.to_owned(), s.document.to_owned()));
            continue;
        }
        let path = Path::new(target);
        if !path.is_file() {
            return Err(DiffError::Usage(format!(
                "`{target}` is neither a surface ({}) nor a file; `REV:path` arguments come as a pair OLD NEW",
                SURFACES.map(|s| s.name).join(", ")
            )));
        }
        let rel = relative_to(root, path)?;
        jobs.push(against_base(rel.clone(), rel));
    }
    Ok((Some(how), jobs))
}

/// `OLD`/`NEW`: an existing file, else `REV:path`.
fn source(root: &Path, arg: &str) -> Result<Source, DiffError> {
    let path = Path::new(arg);
    if path.exists() {
        return Ok(Source::File(path.to_owned()));
    }
    match arg.split_once(':') {
        Some((rev, p)) if !rev.is_empty() && !p.is_empty() => {
            let commit = git::resolve(root, rev)?;
            Ok(Source::Git {
                rev: rev.to_owned(),
                commit,
                path: p.trim_start_matches("./").to_owned(),
            })
        }
        _ => Err(DiffError::Usage(format!(
            "`{arg}` is neither a file nor `REV:path`"
        ))),
    }
}

/// A file's path relative to the repository root, as `git show REV:path` needs it.
fn relative_to(root: &Path, file: &Path) -> Result<String, DiffError> {
    let canon = |p: &Path| {
        p.canonicalize().map_err(|source| {
            DiffError::Load(LoadError::Read {
                path: p.to_owned(),
                source,
            })
        })
    };
    let (root_c, file_c) = (canon(root)?, canon(file)?);
    let rel = file_c.strip_prefix(&root_c).map_err(|_| {
        DiffError::Usage(format!(
            "{} is outside the repository at {}",
            file.display(),
            root.display()
        ))
    })?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}
