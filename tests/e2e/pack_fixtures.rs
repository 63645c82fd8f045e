//! Every pack's fixtures, run through the real plugin host with the built
//! components: providers' documented vectors, tampered and truncated
//! bodies, wrong methods, transformer outputs, sandbox failures. Packs are
//! discovered, so a new pack's fixtures run without touching this file;
//! every first-party pack must have some.

use std::path::{Path, PathBuf};
use std::time::Duration;

use weir::config::PackLimits;
use weir::fixtures::{FixtureOutcome, run_pack_fixtures};
use weir::host::PluginHost;

use crate::support::repo_root;

/// Pack directories (those holding a `pack.toml`) directly under `dir`.
fn pack_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("pack.toml").is_file());
    dirs.sort();
    dirs
}

/// Runs one pack's fixtures; returns how many ran and the failures.
async fn check_pack(dir: &Path) -> (usize, Vec<String>) {
    let relative = dir.strip_prefix(repo_root()).unwrap_or(dir).display().to_string();
    let limits = PackLimits {
        call_timeout: Duration::from_millis(300),
        ..PackLimits::default()
    };
    let host = PluginHost::new(limits, None).expect("host");
    let name = match host.load_single_pack(dir) {
        Ok(name) => name,
        Err(error) => {
            return (
                0,
                vec![format!(
                    "{relative} does not load (run `cargo xtask packs`): {error}"
                )],
            );
        }
    };
    let reports = run_pack_fixtures(&host, &name, dir)
        .await
        .expect("fixtures readable");
    let mut failures = Vec::new();
    for report in &reports {
        let file = report
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &report.outcome {
            FixtureOutcome::Passed => eprintln!("ok      {relative}/fixtures/{file}"),
            FixtureOutcome::Failed { diff } => {
                failures.push(format!("FAILED  {relative}/fixtures/{file}\n{diff}"));
            }
            FixtureOutcome::Broken(why) => {
                failures.push(format!("BROKEN  {relative}/fixtures/{file}: {why}"))
            }
        }
    }
    (reports.len(), failures)
}

#[tokio::test]
async fn every_pack_passes_its_fixtures() {
    let packs = repo_root().join("packs");
    let first_party = pack_dirs(&packs);
    assert!(first_party.len() >= 2, "no packs found under {}", packs.display());
    let mut failures = Vec::new();
    for dir in &first_party {
        let (count, failed) = check_pack(dir).await;
        if count == 0 && failed.is_empty() {
            failures.push(format!("{} has no fixtures", dir.display()));
        }
        failures.extend(failed);
    }
    for dir in pack_dirs(&packs.join("testing")) {
        if dir.join("fixtures").is_dir() {
            failures.extend(check_pack(&dir).await.1);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
