//! Sealed destination headers: custom and auth headers reach the receiver,
//! but the API never shows their values and the data directory never holds
//! them in plaintext.

use std::path::Path;

use serde_json::json;

use crate::support::TestServer;
use crate::support::outbound::{delivery_id, destination, finished, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, test_config};

const AUTH: &str = "Bearer canary-auth-7f3e9b20c1";
const CUSTOM: &str = "canary-custom-41d2aa9e";
const ROTATED: &str = "Bearer canary-rotated-0b6c51f3";
/// Not secret: proves the scan below can see plaintext in the store.
const VISIBLE_NAME: &str = "visible-name-5e0d7c";

#[tokio::test]
async fn headers_are_sent_but_never_shown_or_stored_in_plaintext() {
    let receiver = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let created = destination(
        &server,
        json!({
            "name": VISIBLE_NAME, "url": receiver.url,
            "headers": {"Authorization": AUTH, "X-Tenant-Key": CUSTOM},
        }),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    rule(&server, "test.headers", &created).await;

    let event = publish(&server, "test.headers", json!({"n": 1})).await;
    let first = delivery_id(&server, &event).await;
    assert_eq!(finished(&server, &first).await["status"], "delivered");
    let hit = receiver.hits_for(&first).pop().expect("delivered");
    assert_eq!(hit.header("authorization"), AUTH);
    assert_eq!(hit.header("x-tenant-key"), CUSTOM);

    let (status, patched) = server
        .patch(
            &format!("/api/v1/destinations/{id}"),
            &json!({"headers": {"Authorization": ROTATED, "X-Tenant-Key": CUSTOM}}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let event = publish(&server, "test.headers", json!({"n": 2})).await;
    let second = delivery_id(&server, &event).await;
    assert_eq!(finished(&server, &second).await["status"], "delivered");
    let hit = receiver.hits_for(&second).pop().expect("delivered");
    assert_eq!(hit.header("authorization"), ROTATED, "the new value is used");

    let (status, read) = server.get(&format!("/api/v1/destinations/{id}")).await;
    assert_eq!(status, 200);
    let (status, list) = server.get("/api/v1/destinations").await;
    assert_eq!(status, 200);
    let (_, delivery) = server.get(&format!("/api/v1/deliveries/{second}")).await;
    assert_eq!(read["header_names"], json!(["authorization", "x-tenant-key"]));
    for (what, shown) in [
        ("the create answer", &created),
        ("the patch answer", &patched),
        ("GET", &read),
        ("the list", &list),
        ("the delivery", &delivery),
    ] {
        let text = shown.to_string();
        for secret in [AUTH, CUSTOM, ROTATED, "canary-"] {
            assert!(!text.contains(secret), "{what} shows `{secret}`: {text}");
        }
    }
    server.stop().await;

    let files = files_under(&dirs.data);
    assert!(!files.is_empty(), "the data directory has files");
    let mut name_seen = false;
    for file in &files {
        let bytes = std::fs::read(file).expect("readable");
        name_seen |= contains(&bytes, VISIBLE_NAME.as_bytes());
        for secret in [AUTH, CUSTOM, ROTATED] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{} holds `{secret}` in plaintext",
                file.display()
            );
        }
    }
    assert!(
        name_seen,
        "the scan finds plaintext the store does keep (the destination's name)"
    );
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
