//! xtask's integration tests: one binary, one module per tool.

mod check_cli;
mod diff_cli;
mod diff_output;
mod diff_rules;
mod drift_mutations;
mod lint_rules;
