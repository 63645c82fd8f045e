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
  fuzz-api [-- ARGS]
                build the packs, then fuzz the admin API with Schemathesis
                against /openapi.json (tests/fuzz/fuzz_api.sh; ARGS go to
                schemathesis, e.g. `-n 200`)
  bench-ingest [-- ARGS]
                build the packs, then run the ingest load benchmark (release):
                Weir vs a bare axum handler, closed and open loop
                (docs/benchmarks.md; `-- --help` lists ARGS)
  bench-delivery [-- ARGS]
                build the packs, then run the end-to-end delivery benchmark
                (release): github webhooks in, slack-transformed deliveries
                to loopback receivers (docs/benchmarks.md)
  bench-floor [-- --seconds N]
                build the packs, then measure the CPU floor of one webhook,
                in (bare HTTP, group commit into sled, github connector) and
                out (slack transformer, signed send, attempt record), each
                part on its own (docs/benchmarks.md)
  crash-test [-- ARGS]
                build the release binary and the packs, then SIGKILL
                `weir serve` repeatedly under webhook load and prove every
                acknowledged event is stored once (tests/crash/crash_test.py)
  crash-test-delivery [-- ARGS]
                the same while Weir delivers to a local receiver: every
                acknowledged event arrives, repeats keep their webhook-id
                (tests/crash/delivery_crash_test.py)
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
        "fuzz-api" => {
            packs(&root)?;
            run(Command::new("bash")
                .arg(root.join("tests/fuzz/fuzz_api.sh"))
                .args(rest.iter().skip_while(|arg| *arg == "--")))
        }
        "bench-ingest" => load_bench(&root, "ingest_load", &rest),
        "bench-delivery" => load_bench(&root, "delivery_load", &rest),
        "bench-floor" => load_bench(&root, "ingest_floor", &rest),
        "crash-test" => crash_test(&root, "crash_test.py", &rest),
        "crash-test-delivery" => crash_test(&root, "delivery_crash_test.py", &rest),
        "" | "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

/// Builds the packs, then runs the load benchmark `bench` (a `harness =
/// false` bench of the engine) with `args` after an optional `--`.
fn load_bench(root: &Path, bench: &str, args: &[String]) -> anyhow::Result<()> {
    packs(root)?;
    run(Command::new(cargo())
        .current_dir(root)
        .args(["bench", "-p", "weir", "--bench", bench, "--"])
        .args(args.iter().skip_while(|arg| *arg == "--")))
}

/// Builds the packs and the release binary, then runs one of the crash
/// tests in `tests/crash/` (stdlib-only Python 3) against it.
fn crash_test(root: &Path, script: &str, args: &[String]) -> anyhow::Result<()> {
    packs(root)?;
    run(Command::new(cargo())
        .current_dir(root)
        .args(["build", "--release", "-p", "weir"]))?;
    run(Command::new("python3")
        .current_dir(root)
        .arg(root.join("tests/crash").join(script))
        .arg("--binary")
        .arg(root.join("target/release/weir"))
        .args(args.iter().skip_while(|arg| *arg == "--")))
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
    place_components(&packs_dir)?;
    let plugins = root.join("plugins");
    for pack_dir in pack_dirs(&packs_dir)? {
        let installed = install(&pack_dir, &plugins)?;
        eprintln!(
            "installed pack `{installed}` into {}",
            plugins.join(&installed).display()
        );
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
    #[serde(default)]
    config_schema: Option<PathBuf>,
    #[serde(default)]
    event_schemas: std::collections::BTreeMap<String, PathBuf>,
}

/// Copies every built component to where its crate says it belongs:
/// `[package.metadata.weir] component = "x.wasm"`, relative to the nearest
/// directory (the crate's own or a parent) holding a `pack.toml`.
fn place_components(packs_dir: &Path) -> anyhow::Result<()> {
    let output = Command::new(cargo())
        .current_dir(packs_dir)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let artifacts = packs_dir.join("target/wasm32-wasip2/release");
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let Some(component) = package["metadata"]["weir"]["component"].as_str() else {
            continue;
        };
        let name = package["name"].as_str().unwrap_or_default();
        let crate_dir = package["manifest_path"]
            .as_str()
            .map(PathBuf::from)
            .and_then(|path| path.parent().map(Path::to_path_buf))
            .with_context(|| format!("crate `{name}` has no manifest path"))?;
        let pack_dir = crate_dir
            .ancestors()
            .find(|dir| dir.join("pack.toml").is_file())
            .with_context(|| format!("crate `{name}` is not inside a directory with a pack.toml"))?;
        let built = artifacts.join(format!("{}.wasm", name.replace('-', "_")));
        let placed = pack_dir.join(component);
        std::fs::copy(&built, &placed)
            .with_context(|| format!("cannot copy {} to {}", built.display(), placed.display()))?;
    }
    Ok(())
}

/// Installs one pack: `plugins/<name>/pack.toml` and its components.
fn install(pack_dir: &Path, plugins: &Path) -> anyhow::Result<String> {
    let manifest: Manifest = toml::from_str(&std::fs::read_to_string(pack_dir.join("pack.toml"))?)
        .with_context(|| format!("invalid {}", pack_dir.join("pack.toml").display()))?;
    let target = plugins.join(&manifest.pack.name);
    if target.exists() {
        // Start clean so files a previous version had do not linger.
        std::fs::remove_dir_all(&target).with_context(|| format!("cannot clear {}", target.display()))?;
    }
    std::fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
    std::fs::copy(pack_dir.join("pack.toml"), target.join("pack.toml"))?;
    for section in manifest.connector.iter().chain(&manifest.transformer) {
        let source = pack_dir.join(&section.component);
        std::fs::copy(&source, target.join(&section.component)).with_context(|| {
            format!(
                "{} is listed in {} but was not built: give its crate `[package.metadata.weir] component`",
                source.display(),
                pack_dir.join("pack.toml").display()
            )
        })?;
        for schema in section.config_schema.iter().chain(section.event_schemas.values()) {
            let destination = target.join(schema);
            if let Some(parent) = destination.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(pack_dir.join(schema), &destination)
                .with_context(|| format!("cannot install schema {}", pack_dir.join(schema).display()))?;
        }
    }
    Ok(manifest.pack.name)
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
    test_tools()?;
    run(Command::new(cargo())
        .current_dir(root)
        .args(["test", "--workspace"]))?;
    run(Command::new(cargo()).current_dir(root.join("packs")).arg("test"))?;
    second_language_pack(root)
}

/// What the suite checks Weir against besides cargo, installed with
/// apt-get when missing: `promtool` (Debian's `prometheus` package) to
/// validate `/metrics`, and Python's `venv` with `ensurepip` (Debian's
/// `python3-venv`) for the independent Standard Webhooks, HPKE and
/// componentize-py checks. The tests fail with instructions if a tool is
/// still missing.
fn test_tools() -> anyhow::Result<()> {
    let succeeds = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
    };
    let mut missing = Vec::new();
    if !succeeds("promtool", &["--version"]) {
        missing.push("prometheus");
    }
    if !succeeds("python3", &["-c", "import venv, ensurepip"]) {
        missing.extend(["python3", "python3-venv"]);
    }
    if missing.is_empty() {
        return Ok(());
    }
    if !succeeds("apt-get", &["--version"]) {
        bail!(
            "missing Debian packages {missing:?} and apt-get is not available: install promtool and Python 3 with venv"
        );
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut command = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            command.arg("apt-get");
        }
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        run(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)?;
    if !succeeds("promtool", &["--version"]) {
        bail!("installed Debian's `prometheus` package but `promtool` is still not on PATH");
    }
    Ok(())
}

/// True when running as root (uid 0), read from `/proc/self/status`.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

/// The example pack written in Python: built with componentize-py (its
/// script sets up a cached virtualenv) and run through the same fixtures
/// check as the Rust packs.
fn second_language_pack(root: &Path) -> anyhow::Result<()> {
    let pack = root.join("packs/examples/python-digest");
    run(Command::new("bash").arg(pack.join("build.sh")))?;
    run(Command::new(cargo())
        .current_dir(root)
        .args(["run", "--quiet", "-p", "weir", "--", "pack", "test"])
        .arg(&pack))
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
    // The run above unifies the engine's dev-dependency features
    // (`fault-injection`, `otel`) into every target; the default build,
    // without them, is linted here (only the engine is checked again).
    run(Command::new(cargo())
        .current_dir(root)
        .args(["clippy", "-p", "weir", "--", "-D", "warnings"]))?;
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
