//! `quartet`: run the servers, or administer what has no API of its own.

mod cli;

fn main() -> anyhow::Result<()> {
    cli::main()
}
