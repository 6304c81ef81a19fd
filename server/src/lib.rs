//! The live quartet servers.
//!
//! One process (`quartet serve`) runs any subset of the four surfaces, each on
//! its own port, over one embedded SQLite database in the data directory. Each
//! surface implements its `quartet-api` trait in its own module; shared pieces
//! (storage, configuration, logging) live beside them.

pub mod bitmind;
pub mod brookmimir;
pub mod config;
pub mod db;
pub mod oauth;
pub mod serve;

pub use config::ServeConfig;

/// Every surface's schema migrations, in the order they are applied.
pub fn migrations() -> Vec<(&'static str, i64, &'static str)> {
    [
        &brookmimir::store::MIGRATIONS[..],
        &oauth::MIGRATIONS[..],
        &bitmind::org_keys::MIGRATIONS[..],
    ]
    .concat()
}
