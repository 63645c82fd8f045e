//! The pack author's path with the real `weir` binary: `weir pack new`,
//! `build`, `test` and `install` into the plugins directory of a running
//! engine, which picks the pack up by itself and uses it for deliveries.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload, repo_root};

/// Runs `weir <args>`; returns stdout, panicking with the output on failure.
fn weir(args: &[&str], dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .current_dir(dir)
        // Reuse one build directory for scaffolded packs across runs.
        .env("CARGO_TARGET_DIR", repo_root().join("target/scaffolded-packs"))
        .output()
        .expect("weir runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "weir {} failed:\n{stdout}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pack_is_built_tested_installed_and_used_by_a_running_engine() {
    let work = tempfile::tempdir().expect("temp");
    let root = work.path();
    weir(&["pack", "new", "demo", "--transformer", "--dir", "."], root);
    weir(&["pack", "new", "hooks", "--connector", "--dir", "."], root);
    for pack in ["demo", "hooks"] {
        let built = weir(&["pack", "build", pack], root);
        assert!(built.contains(&format!("{pack}.wasm")), "{built}");
        let tested = weir(&["pack", "test", pack], root);
        assert!(tested.contains("2 passed, 0 failed"), "{tested}");
        let checked = weir(&["pack", "check", pack], root);
        assert!(checked.contains(&format!("{pack}: ok")), "{checked}");
    }

    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let plugins = dirs.plugins.display().to_string();
    weir(&["pack", "install", "demo", "--plugins-dir", &plugins], root);
    let listed = weir(&["pack", "list", "--plugins-dir", &plugins], root);
    assert!(
        listed.contains("demo") && listed.contains("transformer demo"),
        "{listed}"
    );

    // The running engine notices the new pack on its own (directory watch).
    eventually(
        "the engine to load the new pack",
        Duration::from_secs(30),
        || async {
            let (_, packs) = server.get("/api/v1/packs").await;
            packs["data"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == "demo" && p["state"] == "loaded")
                .map(|_| ())
        },
    )
    .await;

    let trigger = server.github_trigger("s").await;
    let destination = server.destination(&receiver.url).await;
    let (status, rule) = server
        .post(
            "/api/v1/rules",
            &json!({
                "event_types": ["github.push"],
                "destination_id": destination["id"],
                "transformer": "demo",
                "transformer_config": {"prefix": "[ci] "},
            }),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let (status, _) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            "s",
            "push",
            "cli-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202);
    let delivered = eventually("the transformed delivery", Duration::from_secs(30), || async {
        receiver.successes().into_iter().next()
    })
    .await;
    let body: Value = serde_json::from_slice(&delivered.body).expect("json");
    assert_eq!(body["summary"], "[ci] github.push refs/heads/main");
    assert_eq!(body["data"]["repository"]["full_name"], "octo-org/hello-world");
    server.stop().await;
}
