//! Test harness: a Weir instance per test, a scriptable receiver, and
//! helpers to sign and post webhooks.

pub mod receiver;
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
