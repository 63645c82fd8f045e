//! The webhook the load generators send: a signed ~2 KB GitHub push.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::client::RequestTemplate;

/// The github trigger's webhook secret in every benchmark.
pub const SECRET: &str = "bench-secret";

/// A ~2 KB GitHub push: the fixture with two commits, compact (as in the
/// `pack_calls` benchmark); with `shard`, a `bench_shard` field that the
/// delivery benchmark's rule conditions route on.
pub fn push_payload(shard: Option<usize>) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("packs/github/fixtures/push.json")).expect("push fixture");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    if let Some(commits) = value["commits"].as_array_mut() {
        commits.truncate(2);
    }
    value["head_commit"] = serde_json::Value::Null;
    if let Some(shard) = shard {
        value["bench_shard"] = serde_json::json!(shard);
    }
    value.to_string().into_bytes()
}

/// The `x-hub-signature-256` value GitHub sends for `body` under [`SECRET`].
pub fn github_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The request posting `body` to `path`, signed as GitHub signs it.
pub fn template(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> RequestTemplate {
    let signature = github_signature(body);
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("user-agent", "GitHub-Hookshot/bench".to_owned()),
        ("x-github-event", "push".to_owned()),
        ("x-github-hook-id", "292430182".to_owned()),
        ("x-hub-signature-256", signature),
    ];
    RequestTemplate::new(addr, path, &headers, body)
}
