//! Start-up behaviour: broken packs are reported and skipped, the first
//! start creates an admin token once, and deliveries to internal addresses
//! are refused unless the operator allows them.

use std::time::Duration;

use serde_json::json;
use weir::Server;

use crate::support::server::{ADMIN_TOKEN, TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

#[tokio::test]
async fn broken_packs_are_reported_and_skipped() {
    let dirs = TestDirs::new(&[]);
    // A pack whose component is not WebAssembly at all.
    let garbage = dirs.plugins.join("garbage");
    std::fs::create_dir_all(&garbage).expect("dir");
    std::fs::copy(dirs.plugins.join("github/pack.toml"), garbage.join("pack.toml")).expect("copy");
    std::fs::write(
        garbage.join("pack.toml"),
        std::fs::read_to_string(garbage.join("pack.toml"))
            .expect("read")
            .replace("name = \"github\"\nversion", "name = \"garbage\"\nversion"),
    )
    .expect("write");
    std::fs::write(garbage.join("github.wasm"), b"this is not wasm").expect("write");
    // A pack with an invalid manifest.
    let typo = dirs.plugins.join("typo");
    std::fs::create_dir_all(&typo).expect("dir");
    std::fs::write(
        typo.join("pack.toml"),
        "[pack]\nname = \"typo\"\nverison = \"1\"\n",
    )
    .expect("write");
    // A component built for the other world: the slack transformer declared as a connector.
    let wrong = dirs.plugins.join("wrong-world");
    std::fs::create_dir_all(&wrong).expect("dir");
    std::fs::copy(
        dirs.plugins.join("slack/slack-transformer.wasm"),
        wrong.join("slack.wasm"),
    )
    .expect("copy");
    std::fs::write(
        wrong.join("pack.toml"),
        "[pack]\nname = \"wrong-world\"\nversion = \"0.1.0\"\nwit = \"weir:pack@0.1.0\"\n\n[[connector]]\nname = \"wrong-world\"\ncomponent = \"slack.wasm\"\n",
    )
    .expect("write");

    // A component that imports the filesystem and sockets.
    let sneaky = dirs.plugins.join("sneaky");
    std::fs::create_dir_all(&sneaky).expect("dir");
    for file in ["pack.toml", "sneaky.wasm"] {
        std::fs::copy(
            crate::support::repo_root()
                .join("packs/testing/sneaky")
                .join(file),
            sneaky.join(file),
        )
        .expect("sneaky pack built by `cargo xtask packs`");
    }

    let server = TestServer::start(test_config(&dirs)).await;
    let (status, packs) = server.get("/api/v1/packs").await;
    assert_eq!(status, 200);
    let packs = packs["data"].as_array().expect("list").clone();
    let state = |name: &str| {
        packs
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("pack {name} listed"))
            .clone()
    };
    assert_eq!(state("github")["state"], "loaded");
    assert_eq!(state("slack")["state"], "loaded");
    let garbage = state("garbage");
    assert_eq!(garbage["state"], "failed");
    assert!(
        garbage["error"]
            .as_str()
            .expect("error")
            .contains("does not compile"),
        "{garbage}"
    );
    let typo = state("typo");
    assert_eq!(typo["state"], "failed");
    assert!(
        typo["error"].as_str().expect("error").contains("verison"),
        "{typo}"
    );
    let wrong = state("wrong-world");
    assert_eq!(wrong["state"], "failed");
    assert!(
        wrong["error"]
            .as_str()
            .expect("error")
            .contains("does not export `weir:pack/inbound`"),
        "{wrong}"
    );

    let sneaky = state("sneaky");
    assert_eq!(sneaky["state"], "failed");
    let error = sneaky["error"].as_str().expect("error");
    assert!(
        error.contains("wasi:filesystem") && error.contains("wasi:sockets"),
        "{error}"
    );

    // The healthy packs keep working.
    let trigger = server.github_trigger("s").await;
    let (status, _) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            "s",
            "push",
            "d1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202);
    // A trigger for a failed pack is refused with a clear error.
    let (status, body) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": "x", "connector": "garbage", "secrets": {"webhook-secret": "s"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "unknown_connector");
    server.stop().await;
}

#[tokio::test]
async fn the_first_start_creates_an_admin_token_once() {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.bootstrap_admin_token = None;
    let mut first = Server::start(config.clone()).await.expect("start");
    let token = first.take_admin_token().expect("a token on first start").0;
    assert!(token.starts_with("weir_admin_") && token.len() > 40, "{token}");
    let url = format!("http://{}/api/v1/triggers", first.local_addr());
    let http = reqwest::Client::new();
    let authorized = http.get(&url).bearer_auth(&token).send().await.expect("request");
    assert_eq!(authorized.status(), 200);
    first.shutdown().await.expect("stop");

    // Only the hash is stored: the token text is nowhere in the data dir.
    for entry in walk(&dirs.data) {
        let bytes = std::fs::read(&entry).expect("read");
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} contains the token",
            entry.display()
        );
    }

    let mut second = Server::start(config).await.expect("restart");
    assert!(
        second.take_admin_token().is_none(),
        "the token is shown only once"
    );
    let url = format!("http://{}/api/v1/triggers", second.local_addr());
    let again = http.get(&url).bearer_auth(&token).send().await.expect("request");
    assert_eq!(again.status(), 200, "the token still works after a restart");
    let other = http
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 401);
    second.shutdown().await.expect("stop");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn internal_destinations_are_refused_without_an_allowlist() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.delivery.allow_private_networks.clear();
    let server = TestServer::start(config).await;

    // A literal loopback address is refused when the destination is saved.
    let (status, body) = server
        .post("/api/v1/destinations", &json!({"name": "r", "url": receiver.url}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "destination_refused");

    // A name that resolves to loopback is refused when sending.
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .and_then(|rest| rest.split('/').next())
        .expect("port");
    let destination = server.destination(&format!("http://localhost:{port}/hook")).await;
    server.rule("github.push", &destination, None).await;
    let trigger = server.github_trigger("s").await;
    let (_, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            "s",
            "push",
            "ssrf-1",
            &github_push_payload(),
        )
        .await;
    let event_id = answer["event_ids"][0].as_str().expect("id");
    let delivery = eventually("the refused delivery", Duration::from_secs(20), || async {
        server
            .deliveries_of(event_id)
            .await
            .into_iter()
            .find(|d| d["status"] == "dead")
    })
    .await;
    assert!(
        delivery["last_error"]
            .as_str()
            .expect("error")
            .contains("loopback"),
        "{delivery}"
    );
    let (_, detail) = server
        .get(&format!(
            "/api/v1/deliveries/{}",
            delivery["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(detail["attempt_log"][0]["outcome"], "refused");
    assert!(
        receiver.received().is_empty(),
        "nothing reached the internal address"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_component_built_for_another_contract_version_is_refused_naming_both() {
    let dirs = TestDirs::new(&[]);
    let future = dirs.plugins.join("future-wit");
    std::fs::create_dir_all(&future).expect("dir");
    for file in ["pack.toml", "future-wit.wasm"] {
        std::fs::copy(
            crate::support::repo_root()
                .join("packs/testing/future-wit")
                .join(file),
            future.join(file),
        )
        .expect("future-wit pack built by `cargo xtask packs`");
    }
    let server = TestServer::start(test_config(&dirs)).await;
    let (_, packs) = server.get("/api/v1/packs").await;
    let future = packs["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "future-wit")
        .cloned()
        .expect("listed");
    assert_eq!(future["state"], "failed");
    let error = future["error"].as_str().expect("error");
    assert!(
        error.contains("weir:pack@0.2.0") && error.contains("weir:pack@0.1.0"),
        "both versions are named: {error}"
    );
    server.stop().await;
}
