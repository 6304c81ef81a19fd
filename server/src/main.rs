//! `quartet`: run the servers, or administer what has no API of its own.

mod cli;

/// mimalloc instead of the system allocator: requests and queries make many
/// small, short-lived allocations across threads, which it serves with less CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    cli::main()
}
