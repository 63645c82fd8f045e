//! `weir pack new|build|check|test|install|list`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use weir::config::PackLimits;
use weir::fixtures::{FixtureOutcome, run_pack_fixtures};
use weir::host::manifest::PackManifest;
use weir::host::{PackState, PluginHost};
use weir::packkit::{self, PackKind, ScaffoldOptions, SdkSource};

/// The `weir pack` subcommands.
#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Create a new pack crate that builds and passes its fixtures as is.
    New {
        /// Pack name: lowercase letters, digits and `-`.
        name: String,
        /// Make a connector (receives webhooks).
        #[arg(long, conflicts_with = "transformer", required_unless_present = "transformer")]
        connector: bool,
        /// Make a transformer (shapes outgoing bodies).
        #[arg(long)]
        transformer: bool,
        /// Directory to create the pack in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Path to weir-sdk; default: this Weir's checkout, else its git repository.
        #[arg(long, env = "WEIR_SDK_PATH")]
        sdk_path: Option<PathBuf>,
    },
    /// Compile the pack's components to wasm32-wasip2 and place them in the pack.
    Build {
        /// The pack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Validate pack.toml and every component against its WIT world.
    Check {
        /// The pack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run the pack's fixtures through the real host; a diff shows failures.
    Test {
        /// The pack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check the pack, then copy it into the plugins directory.
    Install {
        /// The pack directory.
        dir: PathBuf,
        /// The plugins directory of the Weir to install into.
        #[arg(long, env = "WEIR_PLUGINS_DIR", default_value = "plugins")]
        plugins_dir: PathBuf,
    },
    /// List the packs in a plugins directory and whether each loads.
    List {
        /// The plugins directory.
        #[arg(long, env = "WEIR_PLUGINS_DIR", default_value = "plugins")]
        plugins_dir: PathBuf,
    },
}

/// Runs a `weir pack` subcommand.
pub fn run(command: PackCommand) -> anyhow::Result<ExitCode> {
    match command {
        PackCommand::New {
            name,
            connector,
            transformer: _,
            dir,
            sdk_path,
        } => {
            let kind = if connector {
                PackKind::Connector
            } else {
                PackKind::Transformer
            };
            let created = packkit::scaffold_pack(&ScaffoldOptions {
                name: name.clone(),
                kind,
                parent: dir,
                sdk: sdk_source(sdk_path),
            })?;
            println!("created {}", created.display());
            println!(
                "next: weir pack build {0} && weir pack test {0}",
                created.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        PackCommand::Build { dir } => {
            for built in packkit::build_pack(&dir)? {
                println!("built {} → {}", built.crate_name, built.path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        PackCommand::Check { dir } => {
            let (host, name) = load(&dir)?;
            print_components(&host, &name);
            println!("{name}: ok");
            Ok(ExitCode::SUCCESS)
        }
        PackCommand::Test { dir } => test(&dir),
        PackCommand::Install { dir, plugins_dir } => {
            let (_, name) = load(&dir)?;
            let manifest = read_manifest(&dir)?;
            let installed = packkit::install_pack(&dir, &manifest, &plugins_dir)?;
            println!("installed {name} into {}", installed.display());
            Ok(ExitCode::SUCCESS)
        }
        PackCommand::List { plugins_dir } => {
            let host = PluginHost::new(PackLimits::default(), cache_dir())?;
            host.load_dir(&plugins_dir);
            let registry = host.registry();
            let statuses = registry.statuses();
            if statuses.is_empty() {
                println!("no packs in {}", plugins_dir.display());
            }
            for status in statuses {
                let components: Vec<String> = status
                    .connectors
                    .iter()
                    .map(|c| format!("connector {}", c.reference))
                    .chain(
                        status
                            .transformers
                            .iter()
                            .map(|t| format!("transformer {}", t.reference)),
                    )
                    .collect();
                match status.state {
                    PackState::Loaded => println!(
                        "{:<20} {:<10} loaded   {}",
                        status.name,
                        status.version.unwrap_or_default(),
                        components.join(", ")
                    ),
                    PackState::Failed => println!(
                        "{:<20} {:<10} FAILED   {}",
                        status.name,
                        "",
                        status.error.unwrap_or_default()
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The SDK for new packs: the flag or `WEIR_SDK_PATH`, else the checkout
/// this binary was built from (when it is still there), else git.
fn sdk_source(explicit: Option<PathBuf>) -> SdkSource {
    if let Some(path) = explicit {
        return SdkSource::Path(path.canonicalize().unwrap_or(path));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    match checkout.canonicalize() {
        Ok(path) if path.join("Cargo.toml").is_file() => SdkSource::Path(path),
        _ => SdkSource::Git(env!("CARGO_PKG_REPOSITORY").to_owned()),
    }
}

fn read_manifest(dir: &Path) -> anyhow::Result<PackManifest> {
    let path = dir.join("pack.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(PackManifest::parse(&text)?)
}

/// Where the CLI caches compiled components between runs: `WEIR_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/weir/components`, else `~/.cache/weir/components`.
fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WEIR_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("weir/components"))
}

/// Loads the pack exactly as `weir serve` would.
fn load(dir: &Path) -> anyhow::Result<(PluginHost, String)> {
    let host = PluginHost::new(PackLimits::default(), cache_dir())?;
    let name = host.load_single_pack(dir)?;
    Ok((host, name))
}

fn print_components(host: &PluginHost, name: &str) {
    let registry = host.registry();
    for status in registry.statuses() {
        let kinds = status
            .connectors
            .iter()
            .map(|c| ("connector", c))
            .chain(status.transformers.iter().map(|t| ("transformer", t)));
        for (kind, component) in kinds {
            println!(
                "  {kind:<11} {:<24} {}",
                component.reference,
                component.description.as_deref().unwrap_or("")
            );
            println!("              imports: {}", component.imports.join(", "));
        }
    }
    let _ = name;
}

fn test(dir: &Path) -> anyhow::Result<ExitCode> {
    let (host, name) = load(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reports = runtime.block_on(run_pack_fixtures(&host, &name, dir))?;
    if reports.is_empty() {
        println!("{name}: no fixtures in {}", dir.join("fixtures").display());
        return Ok(ExitCode::FAILURE);
    }
    let mut failed = 0;
    for report in &reports {
        let file = report
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match &report.outcome {
            FixtureOutcome::Passed => println!("ok      {file}"),
            FixtureOutcome::Failed { diff } => {
                failed += 1;
                println!("FAILED  {file}");
                if let Some(description) = &report.description {
                    println!("        {description}");
                }
                println!("        (- expected, + actual)");
                for line in diff.lines() {
                    println!("        {line}");
                }
            }
            FixtureOutcome::Broken(why) => {
                failed += 1;
                println!("BROKEN  {file}: {why}");
            }
        }
    }
    println!("{name}: {} passed, {failed} failed", reports.len() - failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
