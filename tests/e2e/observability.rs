//! Operability: `/metrics` moves with traffic and passes `promtool check
//! metrics`; request ids are returned on every response and follow a
//! webhook into its event's metadata.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "metrics-secret";
const WAIT: Duration = Duration::from_secs(20);

/// The value of the sample written exactly as `series` (name and labels in
/// the encoder's order: labels sorted by name).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Runs `promtool check metrics` on `text`; panics with its findings, or
/// with how to install it when it is missing.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => panic!(
            "cannot run `promtool` ({error}); it validates /metrics: run `cargo xtask test`, which \
             installs Debian's `prometheus` package when it is missing, or `apt-get install prometheus`"
        ),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics found problems:\n{}{}\n--- the text:\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.expect("text")
}

#[tokio::test]
async fn metrics_move_with_traffic_and_pass_promtool() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let trigger_id = trigger["id"].as_str().expect("id");
    let key = trigger["webhook_key"].as_str().expect("key");
    let url = trigger["webhook_url"].as_str().expect("url");
    let destination = server.destination(&receiver.url).await;
    server.rule("github.push", &destination, Some("slack")).await;
    let body = github_push_payload();

    let (status, answer) = server.post_github(url, SECRET, "push", "m-1", &body).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = server.post_github(url, SECRET, "push", "m-1", &body).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = server.post_github(url, "wrong", "push", "m-2", &body).await;
    assert_eq!(status, 401, "{answer}");
    eventually("the delivery", WAIT, || async {
        receiver.successes().into_iter().next()
    })
    .await;

    let text = eventually("the delivery counted", WAIT, || async {
        let text = scrape(&server).await;
        (sample(&text, "weir_deliveries_finished_total{status=\"delivered\"}") == Some(1.0)).then_some(text)
    })
    .await;
    let expect = |series: String, value: f64| {
        assert_eq!(sample(&text, &series), Some(value), "`{series}` in:\n{text}");
    };
    expect(
        format!("weir_events_accepted_total{{trigger=\"{trigger_id}\"}}"),
        1.0,
    );
    expect(
        format!("weir_events_duplicate_total{{trigger=\"{trigger_id}\"}}"),
        1.0,
    );
    expect(
        format!("weir_webhooks_rejected_total{{reason=\"signature_invalid\",trigger=\"{trigger_id}\"}}"),
        1.0,
    );
    expect("weir_delivery_attempts_total{outcome=\"delivered\"}".into(), 1.0);
    expect("weir_dead_letters_total".into(), 0.0);
    expect("weir_delivery_retries_total".into(), 0.0);
    expect("weir_due_queue_deliveries".into(), 0.0);
    // The event is delivered, so the router has passed it.
    expect("weir_router_lag_seconds".into(), 0.0);
    // At least the scrape's own connection.
    let open = sample(&text, "weir_http_connections_open").unwrap_or(0.0);
    assert!(open >= 1.0, "weir_http_connections_open {open} in:\n{text}");
    expect(
        "weir_http_requests_total{method=\"POST\",route=\"/api/v1/webhooks/{*webhook_key}\",status=\"202\"}"
            .into(),
        1.0,
    );
    expect(
        "weir_http_requests_total{method=\"POST\",route=\"/api/v1/webhooks/{*webhook_key}\",status=\"401\"}"
            .into(),
        1.0,
    );
    expect(
        "weir_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/triggers\"}".into(),
        1.0,
    );
    expect(
        "weir_pack_calls_total{component=\"github\",pack=\"github\"}".into(),
        3.0,
    );
    expect(
        "weir_pack_calls_total{component=\"slack\",pack=\"slack\"}".into(),
        1.0,
    );
    expect(
        "weir_pack_call_duration_seconds_count{component=\"github\",pack=\"github\"}".into(),
        3.0,
    );
    assert!(sample(&text, "weir_store_size_bytes").is_some_and(|bytes| bytes > 0.0));
    assert!(!text.contains(key), "a webhook key leaked into /metrics");
    promtool_check(&text);
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.metrics.enabled = false;
    let server = TestServer::start(config).await;
    let response = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn a_request_id_follows_a_webhook_into_its_event() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url");
    let body = github_push_payload();

    let response = server
        .github_request(url, SECRET, "push", "r-1", &body)
        .header("x-request-id", "req-from-client.42")
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["x-request-id"], "req-from-client.42");
    let answer: Value = crate::support::server::json_body(response).await;
    let event_id = answer["event_ids"][0].as_str().expect("event id");
    let (status, event) = server.get(&format!("/api/v1/events/{event_id}")).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["weir"]["request_id"], "req-from-client.42", "{event}");

    // An unusable id is replaced by a fresh ULID, on every kind of answer.
    for (path, token) in [
        ("/healthz", None),
        ("/api/v1/triggers", Some(crate::support::server::ADMIN_TOKEN)),
        ("/api/v1/triggers", None),
        ("/no/such/route", None),
    ] {
        let mut request = server
            .http
            .get(format!("{}{path}", server.url))
            .header("x-request-id", "bad id with spaces");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let id = response.headers()["x-request-id"].to_str().expect("ascii");
        assert_eq!(id.len(), 26, "{path}: `{id}` is not a ULID");
        assert!(id.parse::<ulid::Ulid>().is_ok(), "{path}: {id}");
    }
    server.stop().await;
}
