//! The `weir` binary: parses the command line and runs the library. The
//! subcommands live in `src/cli/` (a module of this binary, not of the
//! library).

mod cli;

/// mimalloc instead of the system allocator: per webhook, sled, serde and
/// hyper make many small allocations, and glibc's `malloc`/`free` showed
/// as ~15% of ingest's CPU profile (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
