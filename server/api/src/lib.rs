//! The four quartet API surfaces as dropshot API traits, with their wire types.
//!
//! Each surface lives in its own module: one `#[dropshot::api_description]`
//! trait, the request and response types it exchanges, and the error envelope
//! that surface answers in. Nothing here implements a handler, so tooling
//! (`cargo xtask check`) can derive each surface's OpenAPI document through
//! `stub_api_description()` without compiling the servers.
//!
//! The hand-written documents in `openapi/` are the contract; these traits are
//! checked against them, never the other way round.

// `missing_docs` stays off here on purpose: a doc comment on a variant of a string enum
// makes schemars describe the enum as a `oneOf` of one-value enums, which would no
// longer match the documents. Every other public item is documented.
#![allow(missing_docs)]

pub mod bindu;
pub mod bitmind;
pub mod bitstride;
pub mod brookmimir;
pub mod extractor;
mod surfaces;

pub use surfaces::{Surface, SURFACES};
