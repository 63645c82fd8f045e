//! `weir pack build`: compile a Rust pack to wasm32-wasip2 and place each
//! component where its crate says (`[package.metadata.weir] component`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{PackKitError, io};

/// The guest target.
const TARGET: &str = "wasm32-wasip2";

/// A component written into the pack.
#[derive(Debug, Clone)]
pub struct BuiltComponent {
    /// The crate that produced it.
    pub crate_name: String,
    /// Where it was placed.
    pub path: PathBuf,
}

/// Builds every crate in `dir` that declares a component, in release mode,
/// and copies the components into the pack. `dir` must contain a
/// `Cargo.toml` (the pack's own crate or workspace).
pub fn build_pack(dir: &Path) -> Result<Vec<BuiltComponent>, PackKitError> {
    let dir = dir.canonicalize().map_err(io("cannot open", dir))?;
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(PackKitError::Build(format!(
            "`{}` has no Cargo.toml: `weir pack build` builds Rust packs; build other languages with their own tools (see sdk/README.md)",
            dir.display()
        )));
    }
    ensure_target();
    let metadata = cargo_metadata(&manifest)?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| PackKitError::Build("cargo metadata has no target_directory".into()))?;
    let crates: Vec<(String, PathBuf, String)> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|package| {
            let component = package["metadata"]["weir"]["component"].as_str()?;
            let name = package["name"].as_str()?;
            let crate_dir = PathBuf::from(package["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            crate_dir
                .starts_with(&dir)
                .then(|| (name.to_owned(), crate_dir, component.to_owned()))
        })
        .collect();
    if crates.is_empty() {
        return Err(PackKitError::Build(format!(
            "no crate under `{}` declares `[package.metadata.weir] component = \"<name>.wasm\"`",
            dir.display()
        )));
    }
    let mut command = Command::new(cargo());
    command
        .args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(&manifest);
    for (name, _, _) in &crates {
        command.args(["-p", name]);
    }
    run(&mut command)?;
    let artifacts = target_dir.join(TARGET).join("release");
    crates
        .into_iter()
        .map(|(name, crate_dir, component)| {
            let pack_dir = crate_dir
                .ancestors()
                .find(|d| d.join("pack.toml").is_file())
                .ok_or_else(|| {
                    PackKitError::Build(format!(
                        "crate `{name}` is not inside a directory with a pack.toml"
                    ))
                })?
                .to_path_buf();
            let built = artifacts.join(format!("{}.wasm", name.replace('-', "_")));
            let placed = pack_dir.join(&component);
            std::fs::copy(&built, &placed).map_err(io("cannot copy the component to", &placed))?;
            Ok(BuiltComponent {
                crate_name: name,
                path: placed,
            })
        })
        .collect()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Installs the guest target when rustup manages the toolchain. Machines
/// with `RUSTUP_AUTO_INSTALL=0` do not install it from rust-toolchain.toml.
fn ensure_target() {
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .output()
        .map(|out| out.status.success());
    if !matches!(installed, Ok(true)) {
        tracing::warn!("could not run `rustup target add {TARGET}`; assuming the target is installed");
    }
}

fn cargo_metadata(manifest: &Path) -> Result<serde_json::Value, PackKitError> {
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|error| PackKitError::Tool {
            command: "cargo metadata".into(),
            message: error.to_string(),
        })?;
    if !output.status.success() {
        return Err(PackKitError::Tool {
            command: "cargo metadata".into(),
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|error| PackKitError::Tool {
        command: "cargo metadata".into(),
        message: error.to_string(),
    })
}

fn run(command: &mut Command) -> Result<(), PackKitError> {
    let line = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let status = command.status().map_err(|error| PackKitError::Tool {
        command: line.clone(),
        message: error.to_string(),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(PackKitError::Tool {
            command: line,
            message: format!("exited with {status}"),
        })
    }
}
