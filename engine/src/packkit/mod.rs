//! The pack toolkit behind `weir pack`: scaffold a new pack, build it to
//! wasm32-wasip2, check it against the real host, run its fixtures,
//! install it into a plugins directory, list what is installed.
//!
//! Checking and testing load components exactly as `weir serve` does, so a
//! pack that passes here loads there.

mod build;
mod install;
mod scaffold;

pub use build::{BuiltComponent, build_pack};
pub use install::install_pack;
pub use scaffold::{PackKind, ScaffoldOptions, SdkSource, scaffold_pack};

use std::path::PathBuf;

/// A `weir pack` operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PackKitError {
    /// A file or directory operation failed.
    #[error("{action} `{path}`: {source}")]
    Io {
        /// What was being done, e.g. `cannot write`.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The pack name is not valid.
    #[error("invalid pack name `{0}`: use 1-64 lowercase letters, digits and `-`, starting with a letter")]
    InvalidName(String),
    /// The target directory already exists.
    #[error("`{0}` already exists; choose another name or directory")]
    Exists(PathBuf),
    /// A tool (cargo, rustup) failed or is missing.
    #[error("`{command}` failed: {message}")]
    Tool {
        /// The command line.
        command: String,
        /// Its error output or status.
        message: String,
    },
    /// The pack cannot be built as asked.
    #[error("{0}")]
    Build(String),
    /// The pack does not load.
    #[error(transparent)]
    Pack(#[from] crate::host::PackError),
}

fn io(action: &'static str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PackKitError {
    let path = path.to_owned();
    move |source| PackKitError::Io { action, path, source }
}
