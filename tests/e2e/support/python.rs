//! The Python side of the suite: independent implementations (the
//! `standardwebhooks` reference library, `pyhpke`) check what Weir sends,
//! and sign what it receives (`standardwebhooks`, Slack's `slack_sdk`).
//!
//! [`python`] runs `tests/e2e/python/setup_venv.sh` once per test process;
//! the script creates a venv under `${XDG_CACHE_HOME:-$HOME/.cache}/weir/`
//! with pinned versions the first time and only checks it afterwards. A
//! machine without `python3` (>= 3.9, with `venv` and `pip`) or without
//! access to PyPI fails these tests with the script's message; they are
//! never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use super::repo_root;

/// The venv's interpreter, creating the venv the first time.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let script = repo_root().join("tests/e2e/python/setup_venv.sh");
            let output = Command::new("bash")
                .arg(&script)
                .output()
                .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
            assert!(
                output.status.success(),
                "{} failed ({}); these tests need python3 with venv and pip, and PyPI:\n{}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            let path = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
            assert!(path.is_file(), "setup_venv.sh printed no interpreter: {stdout}");
            path
        })
        .clone()
}

/// Runs `tests/e2e/python/<script>` with `args` in the venv (off the
/// async runtime) and returns its stdout parsed as JSON; panics with its
/// stderr when it fails.
pub async fn run(script: &str, args: Vec<String>) -> Value {
    let script = repo_root().join("tests/e2e/python").join(script);
    tokio::task::spawn_blocking(move || run_blocking(&script, &args))
        .await
        .expect("python task")
}

fn run_blocking(script: &Path, args: &[String]) -> Value {
    let output = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{} printed no JSON ({error}):\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
