//! Reading quartet's OpenAPI documents as contracts.
//!
//! Shared by the contract tooling (`xtask`: lint, drift, diff) and the
//! conformance runner: both need the same reading of a document.
//!
//! - [`document`]: loading YAML and addressing places in it;
//! - [`model`]: operations keyed by method and path, `$ref`s resolved;
//! - [`schema`]: structural comparison of two schemas (the drift check);
//! - [`shape`]: reading a resolved schema for comparison (keyword classes, `allOf` flattened);
//! - [`equivalences`]: the reviewed list of differences the drift check tolerates;
//! - [`examples`]: validating instances against OpenAPI 3.0 schemas;
//! - [`finding`]: what checks report;
//! - [`wire`]: how HTTP matches parameters, headers and status ranges.

pub mod document;
pub mod equivalences;
pub mod examples;
pub mod finding;
pub mod model;
pub mod schema;
pub mod shape;
pub mod wire;
