//! The attacker's tests: each attack found on the auth and money paths, tried
//! through the live server (on SQLite, and on PostgreSQL when
//! `QUARTET_TEST_POSTGRES` is set), one module per area.

mod accounts;
mod attempts;
mod billing;
pub mod payments;
mod recovery;
mod secrets_at_rest;
mod tenancy;
mod tokens;
mod webhooks;
