//! Command-line interface: `weir serve`, `weir pack …`, the admin API
//! clients (`weir triggers …`), `weir listen`, `weir export|import`.

mod admin;
mod backup;
mod failure;
mod listen;
mod logging;
mod pack;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Weir: a webhook event engine with sandboxed WebAssembly connectors and
/// transformers.
#[derive(Debug, Parser)]
#[command(name = "weir", version, about)]
struct Cli {
    #[command(flatten)]
    api: admin::ApiArgs,
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
    /// Triggers: where producers post webhooks.
    #[command(subcommand)]
    Triggers(admin::TriggerCommand),
    /// Destinations: where Weir delivers.
    #[command(subcommand)]
    Destinations(admin::DestinationCommand),
    /// Rules: which events go to which destination.
    #[command(subcommand)]
    Rules(admin::RuleCommand),
    /// The event log; publish, reroute.
    #[command(subcommand)]
    Events(admin::EventCommand),
    /// Deliveries and their attempts; retry.
    #[command(subcommand)]
    Deliveries(admin::DeliveryCommand),
    /// Tenants.
    #[command(subcommand)]
    Tenants(admin::Common),
    /// API tokens.
    #[command(subcommand)]
    Tokens(admin::Common),
    /// Receive webhooks locally and print them, checking their Standard
    /// Webhooks signature.
    Listen(listen::ListenArgs),
    /// Write a stopped Weir's configuration (and optionally events) to a
    /// JSON Lines file.
    Export(backup::ExportArgs),
    /// Load a `weir export` file into a stopped Weir's data directory.
    Import(backup::ImportArgs),
}

/// Runs the command line; errors are printed with their causes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let admin = |command| failure::finish(admin::run(command, &cli.api));
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Pack(command) => pack::run(command),
        Command::Triggers(command) => return admin(admin::Admin::Triggers(command)),
        Command::Destinations(command) => return admin(admin::Admin::Destinations(command)),
        Command::Rules(command) => return admin(admin::Admin::Rules(command)),
        Command::Events(command) => return admin(admin::Admin::Events(command)),
        Command::Deliveries(command) => return admin(admin::Admin::Deliveries(command)),
        Command::Tenants(command) => return admin(admin::Admin::Tenants(command)),
        Command::Tokens(command) => return admin(admin::Admin::Tokens(command)),
        Command::Listen(args) => return failure::finish(listen::run(&args)),
        Command::Export(args) => return failure::finish(backup::export(&args)),
        Command::Import(args) => return failure::finish(backup::import(&args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
