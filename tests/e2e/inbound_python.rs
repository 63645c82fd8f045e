//! What producers send, signed by their own libraries rather than by
//! Weir's test code (see `support::python`): Standard Webhooks requests
//! signed with the reference library `standardwebhooks`, Slack requests
//! signed with Slack's Python SDK. Each is accepted by the real connector
//! pack, and the same request with a changed byte, an old timestamp or
//! another secret is refused.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::support::TestServer;
use crate::support::python;
use crate::support::server::{TestDirs, json_body, test_config};

/// A 32-byte `whsec_` secret, as Standard Webhooks producers hand out.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ2bTfQo9xQQ=";
const OTHER_STANDARD_SECRET: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// Slack's documented example signing secret.
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The headers `tests/e2e/python/sign_inbound.py` makes for `body`.
async fn sign(dir: &Path, provider: &str, args: &[&str], body: &str) -> Vec<(String, String)> {
    static BODIES: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(dir).expect("dir");
    let file = dir.join(format!("{}.body", BODIES.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&file, body).expect("body file");
    let mut argv = vec![provider.to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv.push(file.display().to_string());
    let signed = python::run("sign_inbound.py", argv).await;
    signed["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(name, value)| (name.clone(), value.as_str().expect("text").to_owned()))
        .collect()
}

async fn trigger(server: &TestServer, connector: &str, secrets: Value) -> String {
    let (status, trigger) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": connector, "connector": connector, "secrets": secrets}),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    trigger["webhook_url"].as_str().expect("url").to_owned()
}

async fn post(server: &TestServer, url: &str, headers: &[(String, String)], body: &str) -> (u16, Value) {
    let mut request = server
        .http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, json_body(response).await)
}

fn with_header(headers: &[(String, String)], name: &str, value: String) -> Vec<(String, String)> {
    let mut changed: Vec<_> = headers.iter().filter(|(n, _)| n != name).cloned().collect();
    changed.push((name.to_owned(), value));
    changed
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .expect("header")
}

#[tokio::test]
async fn standard_webhooks_signed_by_the_reference_library_are_accepted() {
    let dirs = TestDirs::new(&[]);
    dirs.install("standard-webhooks");
    let bodies = dirs.data.with_file_name("bodies");
    let server = TestServer::start(test_config(&dirs)).await;
    let url = trigger(
        &server,
        "standard-webhooks",
        json!({"webhook-secret": STANDARD_SECRET}),
    )
    .await;
    let body =
        r#"{"type":"invoice.paid","timestamp":"2026-11-24T10:00:00Z","data":{"id":"inv_1","amount":4200}}"#;
    let now = now_secs().to_string();
    let signed_by = async |secret: &str, id: &str, at: &str| {
        sign(&bodies, "standard-webhooks", &[secret, id, at], body).await
    };
    let signed = signed_by(STANDARD_SECRET, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &now).await;

    let (status, answer) = post(&server, &url, &signed, body).await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("event id");
    let (_, event) = server.get(&format!("/api/v1/events/{event_id}")).await;
    assert_eq!(event["type"], "invoice.paid", "{event}");
    assert_eq!(event["data"]["data"]["amount"], 4200, "{event}");

    // The producer's retry (same webhook-id) is a duplicate.
    let (status, answer) = post(&server, &url, &signed, body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate")),
        "{answer}"
    );

    // Among several signatures, one under the trigger's secret is enough.
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4X";
    let other = signed_by(OTHER_STANDARD_SECRET, id, &now).await;
    let right = signed_by(STANDARD_SECRET, id, &now).await;
    let both = format!(
        "{} {}",
        header(&other, "webhook-signature"),
        header(&right, "webhook-signature")
    );
    let (status, answer) = post(
        &server,
        &url,
        &with_header(&right, "webhook-signature", both),
        body,
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = post(&server, &url, &other, body).await;
    assert_eq!(status, 401, "another secret: {answer}");

    // A changed byte, or a signature made ten minutes ago, is refused.
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4Y";
    let fresh = signed_by(STANDARD_SECRET, id, &now).await;
    let (status, answer) = post(&server, &url, &fresh, &body.replace("4200", "4201")).await;
    assert_eq!(status, 401, "tampered: {answer}");
    let stale_at = (now_secs() - 600).to_string();
    let stale = signed_by(STANDARD_SECRET, id, &stale_at).await;
    let (status, answer) = post(&server, &url, &stale, body).await;
    assert_eq!(status, 401, "stale: {answer}");
    server.stop().await;
}

#[tokio::test]
async fn slack_requests_signed_by_slacks_sdk_are_accepted() {
    let dirs = TestDirs::new(&[]);
    let bodies = dirs.data.with_file_name("bodies");
    let server = TestServer::start(test_config(&dirs)).await;
    let url = trigger(&server, "slack", json!({"signing-secret": SLACK_SECRET})).await;
    let now = now_secs().to_string();

    // The handshake Slack sends when the Events URL is saved.
    let challenge = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let signed = sign(&bodies, "slack", &[SLACK_SECRET, &now], challenge).await;
    let mut request = server
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(challenge);
    for (name, value) in &signed {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.expect("text"),
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );

    let callback = r#"{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U123ABC456","text":"<@U0LAN0Z89> is it everything a river should be?","ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522000016"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1515449522000016}"#;
    let signed = sign(&bodies, "slack", &[SLACK_SECRET, &now], callback).await;
    let (status, answer) = post(&server, &url, &signed, callback).await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("event id");
    let (_, event) = server.get(&format!("/api/v1/events/{event_id}")).await;
    assert_eq!(event["type"], "slack.app_mention", "{event}");

    let (status, answer) = post(&server, &url, &signed, &callback.replace("river", "rivet")).await;
    assert_eq!(status, 401, "tampered: {answer}");
    let stale_at = (now_secs() - 600).to_string();
    let stale = sign(&bodies, "slack", &[SLACK_SECRET, &stale_at], callback).await;
    let (status, answer) = post(&server, &url, &stale, callback).await;
    assert_eq!(status, 401, "stale: {answer}");
    let forged = sign(&bodies, "slack", &["another-signing-secret", &now], callback).await;
    let (status, answer) = post(&server, &url, &forged, callback).await;
    assert_eq!(status, 401, "another secret: {answer}");
    server.stop().await;
}
