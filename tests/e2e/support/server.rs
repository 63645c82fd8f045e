//! [`TestServer`]: Weir started in-process on 127.0.0.1:0 with a temporary
//! data directory and a plugins directory holding the real, built packs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use weir::{Config, Server, ServerHandle};

use super::repo_root;

/// The admin token every test server uses.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running engine plus what a test needs to talk to it.
pub struct TestServer {
    handle: Option<ServerHandle>,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// HTTP client for the admin API and webhooks.
    pub http: reqwest::Client,
}

/// Where test state lives; dropped with the test.
pub struct TestDirs {
    _temp: tempfile::TempDir,
    /// The store directory.
    pub data: PathBuf,
    /// The plugins directory.
    pub plugins: PathBuf,
}

impl TestDirs {
    /// Fresh directories with the first-party packs installed, plus the
    /// named test packs from `packs/testing`.
    pub fn new(test_packs: &[&str]) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let data = temp.path().join("data");
        let plugins = temp.path().join("plugins");
        std::fs::create_dir_all(&plugins).expect("plugins dir");
        let installed = repo_root().join("plugins");
        for pack in ["github", "slack"] {
            copy_pack(&installed.join(pack), &plugins.join(pack));
        }
        for pack in test_packs {
            copy_pack(&repo_root().join("packs/testing").join(pack), &plugins.join(pack));
        }
        Self {
            _temp: temp,
            data,
            plugins,
        }
    }
}

impl TestDirs {
    /// Also installs first-party pack `name` (built into `plugins/`), for a
    /// server started afterwards.
    pub fn install(&self, name: &str) {
        copy_pack(&repo_root().join("plugins").join(name), &self.plugins.join(name));
    }
}

fn copy_pack(from: &Path, to: &Path) {
    assert!(
        from.join("pack.toml").is_file(),
        "{} is missing: run `cargo xtask packs` (or `cargo xtask test`) to build the packs first",
        from.display()
    );
    copy_tree(from, to);
    let wasm_count = std::fs::read_dir(to)
        .expect("pack dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
        .count();
    assert!(
        wasm_count > 0,
        "{} has no component: run `cargo xtask packs`",
        from.display()
    );
}

/// Copies a pack directory (manifest, components, schemas), leaving out
/// sources, fixtures and build output.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("pack dir");
    for entry in std::fs::read_dir(from).expect("pack dir readable").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            if !matches!(name.as_str(), "src" | "target" | "fixtures") {
                copy_tree(&path, &to.join(&name));
            }
        } else if name == "pack.toml" || name.ends_with(".wasm") || name.ends_with(".json") {
            std::fs::copy(&path, to.join(&name)).expect("copy pack file");
        }
    }
}

/// A configuration for tests: loopback only, short retries, the given dirs.
pub fn test_config(dirs: &TestDirs) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dirs.data.clone(),
        plugins_dir: dirs.plugins.clone(),
        bootstrap_admin_token: Some(ADMIN_TOKEN.to_owned()),
        ..Config::default()
    };
    config.delivery.allow_private_networks = vec!["127.0.0.1/32".parse().expect("net")];
    config.delivery.retry_schedule = vec![Duration::from_millis(100); 3];
    config.delivery.jitter = 0.1;
    config.delivery.timeout = Duration::from_secs(5);
    config.packs.call_timeout = Duration::from_millis(300);
    config
}

impl TestServer {
    /// Starts Weir with `config`.
    pub async fn start(config: Config) -> Self {
        let handle = Server::start(config).await.expect("weir starts");
        let url = format!("http://{}", handle.local_addr());
        Self {
            handle: Some(handle),
            url,
            http: test_client(),
        }
    }

    /// The helpers for a Weir running elsewhere at `url`, e.g. the real
    /// binary started by the test (`support::process`); dropping it stops
    /// nothing.
    pub fn attach(url: String) -> Self {
        Self {
            handle: None,
            url,
            http: test_client(),
        }
    }

    /// Stops gracefully and waits.
    pub async fn stop(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }

    /// `GET` an admin path; returns status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, json_body(response).await)
    }

    /// `POST` JSON to an admin path; returns status and JSON.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("json"))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, json_body(response).await)
    }

    /// Calls an admin path with `method`, `token` and an optional JSON
    /// body; returns status and JSON.
    pub async fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(body).expect("json"));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, json_body(response).await)
    }

    /// `PATCH` JSON to an admin path as the administrator.
    pub async fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("PATCH", path, ADMIN_TOKEN, Some(body)).await
    }

    /// `DELETE` an admin path as the administrator.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, ADMIN_TOKEN, None).await
    }

    /// Makes the store's writes fail (`fault-injection`), or work again.
    pub fn fail_store_writes(&self, fail: bool) {
        self.handle
            .as_ref()
            .expect("running")
            .fail_store_writes_for_tests(fail);
    }

    /// Creates a GitHub trigger with `secret`; returns its JSON.
    pub async fn github_trigger(&self, secret: &str) -> Value {
        let (status, trigger) = self
            .post(
                "/api/v1/triggers",
                &json!({"name": "octo-org pushes", "connector": "github", "secrets": {"webhook-secret": secret}}),
            )
            .await;
        assert_eq!(status, 201, "{trigger}");
        trigger
    }

    /// Creates a destination at `url`; returns its JSON (with the secret).
    pub async fn destination(&self, url: &str) -> Value {
        let (status, destination) = self
            .post("/api/v1/destinations", &json!({"name": "receiver", "url": url}))
            .await;
        assert_eq!(status, 201, "{destination}");
        destination
    }

    /// Creates a rule sending `event_type` events to `destination` through
    /// `transformer` (if any).
    pub async fn rule(&self, event_type: &str, destination: &Value, transformer: Option<&str>) -> Value {
        let mut body = json!({"event_types": [event_type], "destination_id": destination["id"]});
        if let Some(transformer) = transformer {
            body["transformer"] = json!(transformer);
        }
        let (status, rule) = self.post("/api/v1/rules", &body).await;
        assert_eq!(status, 201, "{rule}");
        rule
    }

    /// Posts a GitHub webhook signed with `secret` to `webhook_url`.
    pub async fn post_github(
        &self,
        webhook_url: &str,
        secret: &str,
        event: &str,
        delivery: &str,
        body: &str,
    ) -> (u16, Value) {
        let response = self
            .github_request(webhook_url, secret, event, delivery, body)
            .send()
            .await
            .expect("webhook request");
        let status = response.status().as_u16();
        (status, json_body(response).await)
    }

    /// A GitHub webhook signed with `secret`, ready to send (add headers
    /// or change the method first if the test needs to).
    pub fn github_request(
        &self,
        webhook_url: &str,
        secret: &str,
        event: &str,
        delivery: &str,
        body: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .post(webhook_url)
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", github_signature(secret, body.as_bytes()))
            .header("user-agent", "GitHub-Hookshot/044aadd")
            .body(body.to_owned())
    }

    /// The deliveries of event `event_id`.
    pub async fn deliveries_of(&self, event_id: &str) -> Vec<Value> {
        let (status, list) = self.get(&format!("/api/v1/deliveries?event_id={event_id}")).await;
        assert_eq!(status, 200, "{list}");
        list["data"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown_token().cancel();
        }
    }
}

/// The HTTP client tests talk to Weir with.
fn test_client() -> reqwest::Client {
    // reqwest is built without a default TLS provider (Weir installs ring
    // when it starts in-process, but not before `attach`).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// `sha256=<hex HMAC>` as GitHub signs, computed independently of Weir.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The response body as JSON (`Null` when it is not JSON).
pub async fn json_body(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("response body");
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}
