//! The conformance runner: every example of every response in a surface's
//! document is sent to a live server and the answer compared with it.
//!
//! The documents decide what is tested: [`examples::enumerate`] lists the
//! examples, and each surface's [`scenarios`] say how to reach each one
//! (fixtures, credentials, request overrides, volatile JSON pointers). An
//! example without a scenario, or a scenario without an example, fails the run.
//!
//! A run checks, per example: the status code, the `Content-Type`, the body
//! against the response schema (a real JSON Schema validator), and the body
//! against the example — same keys, same JSON types, same values except the
//! pointers the scenario declares volatile.

pub mod compare;
pub mod examples;
pub mod mail;
pub mod mock;
pub mod report;
pub mod request;
pub mod runner;
pub mod scenario;
pub mod scenarios;
pub mod server;

pub use report::{Outcome, Report, Verdict};
pub use runner::{run, Target};
