//! Every pack's fixtures, run through the real plugin host with the built
//! components: the providers' documented vectors, tampered and truncated
//! bodies, wrong methods, transformer outputs, and sandbox failures.

use std::time::Duration;

use weir::config::PackLimits;
use weir::fixtures::{FixtureOutcome, run_pack_fixtures};
use weir::host::PluginHost;

use crate::support::repo_root;

async fn check_pack(relative: &str) -> usize {
    let dir = repo_root().join(relative);
    let limits = PackLimits {
        call_timeout: Duration::from_millis(300),
        ..PackLimits::default()
    };
    let host = PluginHost::new(limits).expect("host");
    let name = host
        .load_single_pack(&dir)
        .unwrap_or_else(|error| panic!("{relative} does not load (run `cargo xtask packs`): {error}"));
    let reports = run_pack_fixtures(&host, &name, &dir)
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
            FixtureOutcome::Passed => eprintln!("ok      {relative}/{file}"),
            FixtureOutcome::Failed { diff } => failures.push(format!("FAILED  {relative}/{file}\n{diff}")),
            FixtureOutcome::Broken(why) => failures.push(format!("BROKEN  {relative}/{file}: {why}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    reports.len()
}

#[tokio::test]
async fn github_fixtures_pass() {
    assert!(check_pack("packs/github").await >= 9);
}

#[tokio::test]
async fn slack_fixtures_pass() {
    assert!(check_pack("packs/slack").await >= 4);
}

#[tokio::test]
async fn hostile_fixtures_pass() {
    assert!(check_pack("packs/testing/hostile").await >= 5);
}
