//! OpenTelemetry export with the real `weir` binary (built with the `otel`
//! feature in test builds, see engine/Cargo.toml): a signed webhook that
//! gets delivered shows up at a loopback OTLP/HTTP collector as the
//! `request` → `ingest` → `pack_call` spans and a `delivery_attempt` span
//! carrying the same request id. The batch delay is set far beyond the
//! test, so the spans can only arrive through the flush of the graceful
//! stop (SIGTERM).

use std::fs::File;
use std::process::Child;
use std::time::Duration;

use crate::support::otlp::{Collector, ExportedSpan};
use crate::support::process::{free_port, serve_command, terminate, wait_exit, wait_ready};
use crate::support::server::{TestDirs, json_body};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "otel-secret";
const WAIT: Duration = Duration::from_secs(30);

fn start_weir(dirs: &TestDirs, port: u16, collector: &Collector, log: &File) -> Child {
    serve_command(dirs, port)
        .args(["--allow-private-network", "127.0.0.1/32"])
        .env("WEIR_TELEMETRY_OTLP_ENDPOINT", &collector.url)
        .env("WEIR_TELEMETRY_SERVICE_NAME", "weir-e2e")
        // The SDK's batch delay (ms): no export before the stop.
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .env("RUST_LOG", "info")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(log.try_clone().expect("log file"))
        .stderr(log.try_clone().expect("log file"))
        .spawn()
        .expect("weir starts")
}

/// The one span named `name` for which `matches` holds.
fn one<'a>(
    spans: &'a [ExportedSpan],
    name: &str,
    matches: impl Fn(&ExportedSpan) -> bool,
) -> &'a ExportedSpan {
    let found: Vec<&ExportedSpan> = spans.iter().filter(|s| s.name == name && matches(s)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one such `{name}` span among:\n{spans:#?}"
    );
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_follow_a_webhook_from_ingest_to_its_delivery_attempt() {
    let collector = Collector::start().await;
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let log_path = dirs.data.with_file_name("weir.log");
    let log = File::create(&log_path).expect("log file");
    let port = free_port();
    let mut child = start_weir(&dirs, port, &collector, &log);
    let server = TestServer::attach(format!("http://127.0.0.1:{port}"));
    let started = tokio::time::timeout(WAIT, wait_ready(&server.http, &server.url)).await;
    let output = || std::fs::read_to_string(&log_path).unwrap_or_default();
    if started.is_err() || child.try_wait().expect("wait").is_some() {
        let _ = child.kill();
        panic!("weir did not start:\n{}", output());
    }

    let trigger = server.github_trigger(SECRET).await;
    let trigger_id = trigger["id"].as_str().expect("id");
    let url = trigger["webhook_url"].as_str().expect("url");
    let destination = server.destination(&receiver.url).await;
    let destination_id = destination["id"].as_str().expect("id");
    server.rule("github.push", &destination, Some("slack")).await;
    let response = server
        .github_request(url, SECRET, "push", "otel-1", &github_push_payload())
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let answer = json_body(response).await;
    let event_id = answer["event_ids"][0].as_str().expect("event id").to_owned();
    let delivery = eventually("the delivery", WAIT, || async {
        let deliveries = server.deliveries_of(&event_id).await;
        deliveries.into_iter().find(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(receiver.successes().len(), 1);
    assert!(
        collector.spans().is_empty(),
        "spans were exported before the stop although the batch delay is 10 minutes"
    );

    terminate(&child);
    let status = wait_exit(&mut child).await;
    assert!(status.success(), "weir exited with {status}:\n{}", output());

    let spans = collector.spans();
    assert!(
        collector.content_types().iter().all(|t| t == "application/json"),
        "{:?}",
        collector.content_types()
    );
    assert!(
        !spans.iter().any(|s| s.attr("route") == "/readyz"),
        "probe requests are exported"
    );
    let request = one(&spans, "request", |s| s.attr("request_id") == request_id);
    assert_eq!(request.attr("status"), "202", "{request:#?}");
    assert_eq!(request.resource["service.name"], "weir-e2e", "{request:#?}");
    let ingest = one(&spans, "ingest", |s| s.parent_span_id == request.span_id);
    assert_eq!(ingest.trace_id, request.trace_id);
    assert_eq!(ingest.attr("trigger"), trigger_id, "{ingest:#?}");
    assert_eq!(ingest.attr("outcome"), "accepted", "{ingest:#?}");
    assert_eq!(ingest.attr("status"), "202", "{ingest:#?}");
    assert_eq!(ingest.attr("events"), "1", "{ingest:#?}");
    let connector = one(&spans, "pack_call", |s| s.parent_span_id == ingest.span_id);
    assert_eq!(connector.attr("kind"), "connector", "{connector:#?}");
    assert_eq!(connector.attr("component"), "github/github", "{connector:#?}");
    assert_eq!(connector.attr("outcome"), "ok", "{connector:#?}");

    // The attempt runs in the dispatcher, in a trace of its own: the
    // request id is what joins it to the ingest.
    let attempt = one(&spans, "delivery_attempt", |s| s.attr("request_id") == request_id);
    assert_eq!(attempt.attr("delivery"), delivery["id"].as_str().expect("id"));
    assert_eq!(attempt.attr("destination"), destination_id, "{attempt:#?}");
    assert_eq!(attempt.attr("event"), event_id, "{attempt:#?}");
    assert_eq!(attempt.attr("status_code"), "200", "{attempt:#?}");
    assert_eq!(attempt.attr("outcome"), "delivered", "{attempt:#?}");
    assert_eq!(attempt.attr("next"), "delivered", "{attempt:#?}");
    let transformer = one(&spans, "pack_call", |s| s.parent_span_id == attempt.span_id);
    assert_eq!(transformer.attr("kind"), "transformer", "{transformer:#?}");
    assert_eq!(transformer.attr("component"), "slack/slack", "{transformer:#?}");
    assert_eq!(transformer.trace_id, attempt.trace_id);
}
