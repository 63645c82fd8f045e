//! The `weir` binary: parses the command line and runs the library. The
//! subcommands live in `src/cli/` (a module of this binary, not of the
//! library).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
