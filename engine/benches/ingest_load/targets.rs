//! The servers under load: a bare axum handler that reads the body and
//! answers 202, and Weir itself (one instance per durability level, each
//! with its own store in a temp dir and the github connector in WASM).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use bytes::Bytes;
use serde_json::json;
use weir::config::Durability;
use weir::ids::EventId;
use weir::store::Store;
use weir::{Config, Server, ServerHandle};

/// The admin token of every Weir under test.
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

/// The bare handler: same HTTP stack (axum on hyper, connect info), the
/// body read, no work, `202`.
pub async fn start_bare() -> SocketAddr {
    async fn accept(_body: Bytes) -> (StatusCode, &'static str) {
        (StatusCode::ACCEPTED, r#"{"status":"accepted"}"#)
    }
    let app = Router::new().route("/api/v1/webhooks/{webhook_key}", any(accept));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .expect("bare server");
    });
    addr
}

/// A running Weir with a github trigger.
pub struct Weir {
    /// Its durability level.
    pub durability: Durability,
    handle: Option<ServerHandle>,
    _temp: tempfile::TempDir,
    data: PathBuf,
}

impl Weir {
    /// Starts Weir on a fresh store with only the github pack installed.
    pub async fn start(durability: Durability, packs: &Path) -> Self {
        Self::start_with(durability, packs, &["github"], |_| {}).await
    }

    /// Starts Weir on a fresh store with the named packs installed, its
    /// configuration adjusted by `configure`.
    pub async fn start_with(
        durability: Durability,
        packs: &Path,
        names: &[&str],
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let data = temp.path().join("data");
        let plugins = temp.path().join("plugins");
        for name in names {
            copy_dir(&packs.join(name), &plugins.join(name));
        }
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: data.clone(),
            plugins_dir: plugins,
            bootstrap_admin_token: Some(ADMIN_TOKEN.to_owned()),
            ..Config::default()
        };
        config.ingest.durability = durability;
        configure(&mut config);
        let handle = Server::start(config).await.expect("weir starts");
        Self {
            durability,
            handle: Some(handle),
            _temp: temp,
            data,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.handle.as_ref().expect("running").local_addr()
    }

    /// Creates a github trigger; returns the webhook path.
    pub async fn create_trigger(&self, secret: &str) -> String {
        let trigger = self
            .create(
                "/api/v1/triggers",
                json!({
                    "name": "bench pushes",
                    "connector": "github",
                    "secrets": {"webhook-secret": secret},
                }),
            )
            .await;
        let key = trigger["webhook_key"].as_str().expect("webhook key");
        format!("/api/v1/webhooks/{key}")
    }

    /// `POST`s `body` to the admin API at `path`, expecting `201`; returns
    /// the created object.
    pub async fn create(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = reqwest::Client::new()
            .post(format!("http://{}{path}", self.addr()))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("admin request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("admin answer");
        assert_eq!(status, 201, "{path}: {}", String::from_utf8_lossy(&bytes));
        serde_json::from_slice(&bytes).expect("admin json")
    }

    /// Stops Weir gracefully and reopens its store.
    pub async fn stop_and_open(&mut self) -> Store {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
        Store::open(&self.data, Durability::Flush).expect("store reopens")
    }

    /// Stops Weir gracefully, reopens its store and checks it against the
    /// acknowledged event ids: every acknowledged id stored, no delivery id
    /// stored twice.
    pub async fn stop_and_verify(&mut self, acknowledged: &[String]) -> Verification {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
        let store = Store::open(&self.data, Durability::Flush).expect("store reopens");
        let mut stored = HashSet::new();
        let mut keys = HashSet::new();
        let mut duplicates = 0;
        let mut cursor = None;
        loop {
            let page = store.events_after(cursor, 10_000).expect("events");
            let Some(last) = page.last() else { break };
            cursor = Some(last.id);
            for event in &page {
                stored.insert(event.id);
                if !keys.insert(event.draft.weir.idempotency_key.clone()) {
                    duplicates += 1;
                }
            }
        }
        let missing = acknowledged
            .iter()
            .filter(|id| !id.parse::<EventId>().is_ok_and(|id| stored.contains(&id)))
            .count();
        Verification {
            acknowledged: acknowledged.len(),
            stored: stored.len(),
            missing,
            duplicates,
        }
    }
}

/// Copies an installed pack (its manifest, components and schemas).
fn copy_dir(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("plugins dir");
    for entry in std::fs::read_dir(source).expect("pack built: run `cargo xtask packs`") {
        let path = entry.expect("pack file").path();
        let to = target.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_dir(&path, &to);
        } else {
            std::fs::copy(&path, &to).expect("copy pack");
        }
    }
}

/// The store checked against what was acknowledged.
pub struct Verification {
    /// `202`s received.
    pub acknowledged: usize,
    /// Events in the store.
    pub stored: usize,
    /// Acknowledged ids not in the store (must be 0).
    pub missing: usize,
    /// Delivery ids stored more than once (must be 0).
    pub duplicates: usize,
}
