//! `weir serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::ValueEnum;
use weir::config::LogFormat;
use weir::{Config, Server};

use super::logging;

/// Options of `weir serve`; each overrides the config file and the
/// `WEIR_<SECTION>_<KEY>` environment variables (`WEIR_LISTEN`,
/// `WEIR_DATA_DIR`, … for top-level keys).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); every key is optional.
    #[arg(long, env = "WEIR_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Directory of the embedded store.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Directory holding one sub-directory per pack.
    #[arg(long)]
    plugins_dir: Option<PathBuf>,
    /// Base URL producers use to reach Weir (for printed webhook URLs).
    #[arg(long)]
    public_url: Option<String>,
    /// Allow deliveries to this private network (CIDR); repeatable.
    #[arg(long = "allow-private-network", value_name = "CIDR")]
    allow_private_networks: Vec<ipnet::IpNet>,
    /// Log format (overrides `log.format`; `WEIR_LOG_FORMAT` sets that).
    #[arg(long, value_enum)]
    log_format: Option<LogFormatArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    // File, then `WEIR_<SECTION>_<KEY>` variables, then flags.
    let mut config = file.with_env(std::env::vars())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(dir) = args.plugins_dir {
        config.plugins_dir = dir;
    }
    if let Some(url) = args.public_url {
        config.public_url = Some(url);
    }
    config
        .delivery
        .allow_private_networks
        .extend(args.allow_private_networks);
    config.bootstrap_admin_token = std::env::var("WEIR_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    config.encryption_key = std::env::var("WEIR_ENCRYPTION_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    if let Some(format) = args.log_format {
        config.log.format = match format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    config.validate()?;

    let runtime = weir::server::runtime().context("cannot start the async runtime")?;
    // Trace export spawns its batch task on the runtime.
    let telemetry = {
        let _entered = runtime.enter();
        logging::init(&config)?
    };
    let served = runtime.block_on(async move {
        let mut server = Server::start(config).await?;
        if let Some(token) = server.take_admin_token() {
            println!(
                "\nWeir created an admin token. It is shown only this once; keep it:\n\n    {}\n\nUse it as `Authorization: Bearer <token>` on /api/v1.\n",
                token.0
            );
        }
        let shutdown = server.shutdown_token();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing requests and deliveries in flight");
            shutdown.cancel();
        });
        server.wait().await.context("server failed")?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    });
    // Outside `block_on`, with the runtime alive: its workers run the
    // export of the last spans while this thread waits.
    telemetry.finish();
    served
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        let _ = ctrl_c.await;
        return;
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
