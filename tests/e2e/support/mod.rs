//! Test harness: a Weir instance per test, a scriptable receiver, and
//! helpers to sign and post webhooks.

pub mod otlp;
pub mod outbound;
pub mod process;
pub mod python;
pub mod raw_http;
pub mod receiver;
pub mod scripted;
pub mod server;
pub mod standard_webhooks;
pub mod wasm;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

pub use receiver::Receiver;
pub use server::TestServer;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf()
}

/// Polls `check` until it returns `Some`, or panics with `what` after
/// `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The GitHub push payload from the github pack's fixtures.
pub fn github_push_payload() -> String {
    std::fs::read_to_string(repo_root().join("packs/github/fixtures/push.json")).expect("push fixture")
}

/// Calls of connector `name` counted by the plugin host (`/api/v1/packs`).
pub async fn connector_calls(server: &TestServer, name: &str) -> u64 {
    let (status, packs) = server.get("/api/v1/packs").await;
    assert_eq!(status, 200, "{packs}");
    packs["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["health"][format!("{name}/{name}")]["calls"].as_u64())
        .unwrap_or(0)
}

/// Creates a tenant with `limits` and a token of `role` in it; returns
/// the tenant id and the token.
pub async fn tenant_with_token(
    server: &TestServer,
    name: &str,
    role: &str,
    limits: serde_json::Value,
) -> (String, String) {
    let (status, tenant) = server
        .post(
            "/api/v1/tenants",
            &serde_json::json!({"name": name, "limits": limits}),
        )
        .await;
    assert_eq!(status, 201, "{tenant}");
    let tenant_id = tenant["id"].as_str().expect("id").to_owned();
    let (status, token) = server
        .post(
            "/api/v1/tokens",
            &serde_json::json!({"name": format!("{name} {role}"), "role": role, "tenant_id": tenant_id}),
        )
        .await;
    assert_eq!(status, 201, "{token}");
    (tenant_id, token["token"].as_str().expect("token").to_owned())
}
