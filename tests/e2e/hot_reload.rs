//! Pack lifecycle while the engine runs: new packs are picked up, replaced
//! versions swap in under traffic without losing or duplicating webhooks,
//! a broken new version leaves the old one serving, and a component that
//! keeps failing is quarantined until lifted.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use weir::host::manifest::PackManifest;
use weir::packkit::install_pack;

use crate::support::server::{TestDirs, json_body, test_config};
use crate::support::wasm::append_custom_section;
use crate::support::{TestServer, eventually, github_push_payload};

const SECRET: &str = "reload-secret";
const WAIT: Duration = Duration::from_secs(30);

/// Writes version `version` of the github pack into a fresh directory. The
/// component gets a distinct custom section so its bytes (and compiled
/// code cache key) differ from every other version.
fn github_version(source: &Path, version: u32) -> (tempfile::TempDir, PackManifest) {
    let dir = tempfile::tempdir().expect("temp");
    let manifest_text = std::fs::read_to_string(source.join("pack.toml"))
        .expect("pack.toml")
        .replace("version = \"0.1.0\"", &format!("version = \"0.1.{version}\""));
    std::fs::write(dir.path().join("pack.toml"), &manifest_text).expect("write");
    let mut component = std::fs::read(source.join("github.wasm")).expect("component");
    append_custom_section(&mut component, "weir-test-version", &version.to_le_bytes());
    std::fs::write(dir.path().join("github.wasm"), component).expect("write");
    let manifest = PackManifest::parse(&manifest_text).expect("manifest");
    (dir, manifest)
}

async fn github_version_loaded(server: &TestServer) -> Option<String> {
    let (_, packs) = server.get("/api/v1/packs").await;
    packs["data"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "github")
        .and_then(|p| p["version"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_pack_under_traffic_loses_and_duplicates_nothing() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let source = dirs.plugins.join("github");
    let versions: Vec<_> = (1..=3).map(|v| github_version(&source, v)).collect();

    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let http = server.http.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let payload = github_push_payload();
                let signature = crate::support::server::github_signature(SECRET, payload.as_bytes());
                let mut results = Vec::new();
                for n in 0..60 {
                    let delivery = format!("reload-{sender}-{n}");
                    let response = http
                        .post(&url)
                        .header("x-github-event", "push")
                        .header("x-github-delivery", &delivery)
                        .header("x-hub-signature-256", &signature)
                        .body(payload.clone())
                        .send()
                        .await
                        .expect("request");
                    let status = response.status().as_u16();
                    results.push((delivery, status, json_body(response).await));
                }
                results
            })
        })
        .collect();
    for (dir, manifest) in &versions {
        tokio::time::sleep(Duration::from_millis(200)).await;
        install_pack(dir.path(), manifest, &dirs.plugins).expect("install");
    }
    let mut results = Vec::new();
    for sender in senders {
        results.extend(sender.await.expect("sender"));
    }

    let refused: Vec<_> = results.iter().filter(|(_, status, _)| *status != 202).collect();
    assert!(
        refused.is_empty(),
        "requests not accepted during the reloads: {refused:?}"
    );
    let ids: HashSet<String> = results
        .iter()
        .filter_map(|(_, _, body)| body["event_ids"][0].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 240, "every accepted webhook has its own event");
    let version = eventually("the last version to be loaded", WAIT, || async {
        github_version_loaded(&server).await.filter(|v| v == "0.1.3")
    })
    .await;
    assert_eq!(version, "0.1.3");
    let (_, events) = server.get("/api/v1/events?limit=500").await;
    let stored: HashSet<String> = events["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(stored, ids, "exactly the acknowledged events are stored");
    server.stop().await;
}

#[tokio::test]
async fn a_new_pack_is_picked_up_and_a_broken_version_leaves_the_old_one_serving() {
    let dirs = TestDirs::new(&[]);
    // Start without the github pack.
    std::fs::remove_dir_all(dirs.plugins.join("github")).expect("remove");
    let server = TestServer::start(test_config(&dirs)).await;
    assert_eq!(github_version_loaded(&server).await, None);

    let source = crate::support::repo_root().join("plugins/github");
    let (v1, manifest) = github_version(&source, 1);
    install_pack(v1.path(), &manifest, &dirs.plugins).expect("install");
    eventually("the installed pack", WAIT, || async {
        github_version_loaded(&server).await
    })
    .await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let (status, _) = server
        .post_github(&url, SECRET, "push", "new-1", &github_push_payload())
        .await;
    assert_eq!(status, 202);

    // Version 2 is broken: its component is not WebAssembly.
    let (v2, manifest) = github_version(&source, 2);
    std::fs::write(v2.path().join("github.wasm"), b"not wasm").expect("write");
    install_pack(v2.path(), &manifest, &dirs.plugins).expect("install");
    let (status, reload) = server.post("/api/v1/packs/reload", &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(reload["failed"].as_array().map(Vec::len), Some(1), "{reload}");
    let (_, packs) = server.get("/api/v1/packs").await;
    let github: Value = packs["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "github")
        .cloned()
        .expect("github listed");
    assert_eq!(github["state"], "loaded");
    assert_eq!(github["version"], "0.1.1", "the old version keeps serving");
    assert!(
        github["error"]
            .as_str()
            .expect("error")
            .contains("does not compile"),
        "{github}"
    );
    let (status, _) = server
        .post_github(&url, SECRET, "push", "new-2", &github_push_payload())
        .await;
    assert_eq!(status, 202);

    // Removing the pack unloads it.
    std::fs::remove_dir_all(dirs.plugins.join("github")).expect("remove");
    server.post("/api/v1/packs/reload", &json!({})).await;
    assert_eq!(github_version_loaded(&server).await, None);
    let (status, body) = server
        .post_github(&url, SECRET, "push", "new-3", &github_push_payload())
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "connector_unavailable");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_component_is_quarantined_until_lifted() {
    let dirs = TestDirs::new(&["hostile"]);
    let mut config = test_config(&dirs);
    config.packs.quarantine_after = 2;
    config.packs.call_timeout = Duration::from_millis(100);
    let server = TestServer::start(config).await;
    let (_, trigger) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": "trap", "connector": "hostile", "config": {"mode": "trap"}}),
        )
        .await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let post = || async {
        let response = server.http.post(&url).body("{}").send().await.expect("request");
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        (status, json_body(response).await, retry_after)
    };
    for _ in 0..2 {
        let (status, body, _) = post().await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (500, Some("connector_failed"))
        );
    }
    let (status, body, retry_after) = post().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "connector_quarantined");
    assert!(retry_after.is_some(), "a quarantine answers with Retry-After");

    let (_, packs) = server.get("/api/v1/packs").await;
    let hostile = packs["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "hostile")
        .cloned()
        .expect("listed");
    let health = &hostile["health"]["hostile/hostile"];
    assert_eq!(health["errors"]["trap"], 2);
    assert_eq!(health["errors"]["quarantined"], 1);
    assert!(
        health["quarantine"]["reason"]
            .as_str()
            .expect("reason")
            .contains("trapped"),
        "{health}"
    );

    let (status, lifted) = server
        .post("/api/v1/packs/hostile/lift-quarantine", &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(lifted["lifted"], 1);
    let (status, body, _) = post().await;
    assert_eq!(
        status, 500,
        "after the lift the component runs (and traps) again: {body}"
    );
    server.stop().await;
}
