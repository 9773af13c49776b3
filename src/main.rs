//! The `microscore` command line.

mod cli;

/// mimalloc: batch scoring allocates and frees large per-block buffers, which the system
/// allocator returns to the kernel and faults back in every time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
