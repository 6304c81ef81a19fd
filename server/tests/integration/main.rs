//! quartet-server's integration tests: one binary, one module per area. Each
//! test spawns the real `quartet` binary on loopback with a fresh data directory.

mod bindu;
mod bindu_a2a;
mod bitmind;
mod bitstride;
mod bitstride_mail;
mod brookmimir;
mod client_examples;
mod conformance;
mod postgres;
mod security;
mod support;
mod upgrade;
