//! The server's view of a contract: the OpenAPI document dropshot derives from
//! a surface's API trait (`stub_api_description()`), with no implementation built.

use anyhow::{anyhow, Context, Result};
use quartet_api::Surface;
use serde_json::Value;

/// Derives the OpenAPI document of `surface`'s trait as JSON.
///
/// `title` and `version` are copied from the hand-written document so that the
/// two only differ where the contract does.
pub fn derive(surface: &Surface, title: &str, version: &str) -> Result<Value> {
    let api = (surface.stub)()
        .map_err(|e| anyhow!("{}: building the API description: {e}", surface.name))?;
    let version = semver::Version::parse(version).unwrap_or_else(|_| semver::Version::new(0, 0, 0));
    let mut out = Vec::new();
    api.openapi(title, version)
        .write(&mut out)
        .with_context(|| format!("{}: writing the derived document", surface.name))?;
    Ok(serde_json::from_slice(&out)?)
}
