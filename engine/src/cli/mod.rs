//! Command-line interface: `weir serve` and `weir pack …`.

mod pack;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Weir: a webhook event engine with sandboxed WebAssembly connectors and
/// transformers.
#[derive(Debug, Parser)]
#[command(name = "weir", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the engine: receive, store, route and deliver webhooks.
    Serve(serve::ServeArgs),
    /// Create, build, check, test and install packs.
    #[command(subcommand)]
    Pack(pack::PackCommand),
}

/// Runs the command line; errors are printed with their causes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Pack(command) => pack::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
