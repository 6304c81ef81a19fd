//! The live quartet servers.
//!
//! One process (`quartet serve`) runs any subset of the live surfaces, each on
//! its own port, over one database (embedded SQLite, or PostgreSQL shared by
//! several instances). Each surface implements its `quartet-api` trait in its own
//! folder, laid out the same way; what they share is in [`platform`]; which
//! surfaces exist is [`surfaces`].

pub mod bindu;
pub mod bitmind;
pub mod bitstride;
pub mod brookmimir;
pub mod platform;
pub mod surfaces;
