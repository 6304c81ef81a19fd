//! quartet's contract tooling, as a library so that its checks can be tested.
//!
//! - [`lint`]: a document on its own (syntax, `$ref`s, examples, progenitor's limits);
//! - [`drift`]: a document against the document dropshot derives from its server trait;
//! - [`generate`]: the progenitor client of a document;
//! - [`check`]: all three, as `cargo xtask check` runs them;
//! - [`diff`]: what a change to a document breaks, old version against new.

pub mod check;
pub mod conformance;
pub mod derived;
pub mod diff;
pub mod drift;
pub mod generate;
pub mod lint;

pub use quartet_contract::{document, equivalences, examples, finding, model, schema, shape, wire};

use std::path::PathBuf;

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_owned()
}
