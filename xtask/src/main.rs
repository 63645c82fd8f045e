//! Build, test and CI automation: `cargo xtask <command>`.
//!
//! Every command does its own set-up (the wasm32-wasip2 target, the
//! first-party packs), so each is one line on a fresh machine with only
//! rustup.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use serde::Deserialize;

const HELP: &str = "\
cargo xtask <command>

  serve [ARGS]  build the packs, then run `weir serve` (release build) with the
                first-party packs from plugins/ and the store in .weir/data;
                ARGS are passed on to `weir serve`
  packs         build every pack to wasm32-wasip2 and install the first-party
                ones into plugins/
  test          build the packs, then run every test (engine, SDK, packs)
  ci            cargo fmt --check, clippy -D warnings, then `test`
  bench         build the packs, then run the criterion benchmarks
";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = workspace_root()?;
    match command.as_str() {
        "serve" => {
            packs(&root)?;
            serve(&root, &rest)
        }
        "packs" => packs(&root),
        "test" => {
            packs(&root)?;
            test(&root)
        }
        "ci" => ci(&root),
        "bench" => {
            packs(&root)?;
            run(Command::new(cargo())
                .current_dir(&root)
                .args(["bench", "-p", "weir"])
                .args(&rest))
        }
        "" | "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(command));
    }
    Ok(())
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds every pack and installs the first-party ones into `plugins/`.
fn packs(root: &Path) -> anyhow::Result<()> {
    // Machines with RUSTUP_AUTO_INSTALL=0 do not install the target named
    // in rust-toolchain.toml; this is idempotent and fast once installed.
    run(Command::new("rustup")
        .current_dir(root)
        .args(["target", "add", "wasm32-wasip2"]))?;
    let packs_dir = root.join("packs");
    run(Command::new(cargo()).current_dir(&packs_dir).args([
        "build",
        "--release",
        "--target",
        "wasm32-wasip2",
    ]))?;
    let artifacts = packs_dir.join("target/wasm32-wasip2/release");
    let plugins = root.join("plugins");
    for pack_dir in pack_dirs(&packs_dir)? {
        let installed = install(&pack_dir, &artifacts, &plugins)?;
        eprintln!(
            "installed pack `{installed}` into {}",
            plugins.join(&installed).display()
        );
    }
    for pack_dir in pack_dirs(&packs_dir.join("testing"))? {
        place_component(&pack_dir, &artifacts)?;
    }
    Ok(())
}

/// Sub-directories of `dir` that hold a `pack.toml`, sorted.
fn pack_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("pack.toml").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[derive(Deserialize)]
struct Manifest {
    pack: PackSection,
    #[serde(default)]
    connector: Vec<ComponentSection>,
    #[serde(default)]
    transformer: Vec<ComponentSection>,
}

#[derive(Deserialize)]
struct PackSection {
    name: String,
}

#[derive(Deserialize)]
struct ComponentSection {
    component: PathBuf,
}

#[derive(Deserialize)]
struct CargoManifest {
    package: CargoPackage,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
}

/// Copies the crate's built component into the pack directory under the
/// file name `pack.toml` gives it; returns the pack's name and that file.
fn place_component(pack_dir: &Path, artifacts: &Path) -> anyhow::Result<(String, PathBuf)> {
    let manifest: Manifest = toml::from_str(&std::fs::read_to_string(pack_dir.join("pack.toml"))?)
        .with_context(|| format!("invalid {}", pack_dir.join("pack.toml").display()))?;
    let components: Vec<&ComponentSection> = manifest.connector.iter().chain(&manifest.transformer).collect();
    let [component] = components.as_slice() else {
        bail!(
            "{}: a first-party pack crate builds exactly one component, but pack.toml lists {}",
            pack_dir.display(),
            components.len()
        );
    };
    let cargo: CargoManifest = toml::from_str(&std::fs::read_to_string(pack_dir.join("Cargo.toml"))?)
        .with_context(|| format!("invalid {}", pack_dir.join("Cargo.toml").display()))?;
    let built = artifacts.join(format!("{}.wasm", cargo.package.name.replace('-', "_")));
    let placed = pack_dir.join(&component.component);
    std::fs::copy(&built, &placed)
        .with_context(|| format!("cannot copy {} to {}", built.display(), placed.display()))?;
    Ok((manifest.pack.name, component.component.clone()))
}

/// Installs one pack: `plugins/<name>/pack.toml` and its component.
fn install(pack_dir: &Path, artifacts: &Path, plugins: &Path) -> anyhow::Result<String> {
    let (name, component) = place_component(pack_dir, artifacts)?;
    let target = plugins.join(&name);
    std::fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
    std::fs::copy(pack_dir.join("pack.toml"), target.join("pack.toml"))?;
    std::fs::copy(pack_dir.join(&component), target.join(&component))?;
    Ok(name)
}

fn serve(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(["run", "--release", "-p", "weir", "--", "serve"]);
    if !args.iter().any(|a| a.starts_with("--plugins-dir")) {
        command.args(["--plugins-dir", "plugins"]);
    }
    if !args.iter().any(|a| a.starts_with("--data-dir")) {
        command.args(["--data-dir", ".weir/data"]);
    }
    run(command.args(args))
}

fn test(root: &Path) -> anyhow::Result<()> {
    run(Command::new(cargo())
        .current_dir(root)
        .args(["test", "--workspace"]))?;
    run(Command::new(cargo()).current_dir(root.join("packs")).arg("test"))
}

fn ci(root: &Path) -> anyhow::Result<()> {
    run(Command::new(cargo())
        .current_dir(root)
        .args(["fmt", "--all", "--check"]))?;
    run(Command::new(cargo())
        .current_dir(root.join("packs"))
        .args(["fmt", "--all", "--check"]))?;
    run(Command::new(cargo()).current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(Command::new(cargo()).current_dir(root.join("packs")).args([
        "clippy",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    packs(root)?;
    test(root)
}
