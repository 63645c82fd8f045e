//! The CPU floor of one webhook: what the parts every durably accepted
//! webhook must pass through cost on their own, without routing, the
//! request log, claims or scheduling.
//!
//! In (issue 4):
//! - **store**: 64 concurrent callers (as 64 connections would) commit one
//!   ~2.3 KB event each through the real group committer (`Committer`,
//!   `ingest.max_commit_batch` 512) into sled on a temp dir; one line per
//!   durability level;
//! - **connector**: the github connector verifying and parsing a ~2 KB
//!   signed push on a fresh WASM instance per call, as ingest calls it.
//!
//! Out (issue 5), for a delivery of that push through the slack
//! transformer:
//! - **transformer**: the slack transformer turning the push event into
//!   its message on a fresh WASM instance per call, as delivery calls it;
//! - **signed send**: 64 concurrent tasks sign the message (Standard
//!   Webhooks) and POST it with Weir's delivery client to a bare loopback
//!   axum receiver answering `200`; both ends' CPU is counted, as both run
//!   on the same two cores in `cargo xtask bench-delivery`;
//! - **attempt record**: 64 concurrent attempts record their delivered
//!   outcome through the real batching `AttemptRecorder`.
//!
//! Each part runs for `--seconds` and reports CPU µs per unit (the whole
//! process's user + system time from `/proc/self/stat`, background threads
//! included) and units per second. Adding the bare HTTP handler's CPU per
//! `202` (from `cargo xtask bench-ingest`) to the in-parts gives the least
//! CPU a webhook can take with this stack; adding the out-parts, the least
//! a delivered one can.
//!
//! Run with `cargo bench -p weir --bench ingest_floor` after
//! `cargo xtask packs` (`cargo xtask bench-floor` does both).

// A benchmark binary: its items need no docs of their own.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use tokio::sync::Notify;
use weir::config::{Durability, PackLimits};
use weir::delivery::client::build as build_client;
use weir::delivery::recorder::AttemptRecorder;
use weir::delivery::signature::signed_headers;
use weir::delivery::ssrf::AddressPolicy;
use weir::host::{Event, Header, PluginHost, Secret, WebhookRequest};
use weir::ids::{DeliveryId, DestinationId, EventId, RuleId, TenantId, TriggerId};
use weir::model::{Attempt, AttemptOutcome, ComponentRef, Delivery, DeliveryStatus, SigningSecret};
use weir::store::{CommitOutcome, Committer, PendingEvent, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "ingest_load/client.rs"]
#[allow(dead_code)]
mod client;
#[path = "ingest_load/load.rs"]
#[allow(dead_code)]
mod load;
#[path = "ingest_load/targets.rs"]
#[allow(dead_code)]
mod targets;
#[path = "ingest_load/webhook.rs"]
#[allow(dead_code)]
mod webhook;

use webhook::SECRET;

const CALLERS: usize = 64;
const MAX_COMMIT_BATCH: usize = 512;

fn main() {
    let seconds = seconds_argument();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let body = String::from_utf8(webhook::push_payload(None)).expect("the fixture is UTF-8");
    let record = event_record(&body);
    println!(
        "ingest_floor: 2 cores, push {} bytes, stored record {} bytes, {seconds} s per part",
        body.len(),
        record.len()
    );
    println!();
    println!("| part | per second | CPU µs per unit |");
    println!("| --- | ---: | ---: |");
    let (rate, bare) = runtime.block_on(bare_posts(body.as_bytes(), seconds));
    println!("| bare HTTP 202, generator and axum | {rate:.0} | {bare:.1} |");
    let mut commit = f64::NAN;
    for durability in [Durability::Fsync, Durability::Flush, Durability::None] {
        let (rate, cpu) = runtime.block_on(store_commits(durability, &record, seconds));
        println!("| store commit, {durability:?} | {rate:.0} | {cpu:.1} |");
        if durability == Durability::Fsync {
            commit = cpu;
        }
    }
    let host = runtime.block_on(async { loaded_host() });
    let (rate, connector) = runtime.block_on(connector_calls(Arc::clone(&host), &body, seconds));
    println!("| github connector call (fresh instance) | {rate:.0} | {connector:.1} |");
    let event = push_event(&body);
    let message = runtime
        .block_on(host.transform(&slack(), &event, "{}"))
        .expect("the slack transformer runs")
        .expect("the slack transformer accepts a push");
    let (rate, transformer) = runtime.block_on(transformer_calls(Arc::clone(&host), event, seconds));
    println!("| slack transformer call (fresh instance) | {rate:.0} | {transformer:.1} |");
    let (rate, send) = runtime.block_on(signed_sends(message.body, seconds));
    println!("| signed send to a loopback receiver, both ends | {rate:.0} | {send:.1} |");
    let (rate, record) = runtime.block_on(attempt_records(seconds));
    println!("| attempt record, delivered (batched) | {rate:.0} | {record:.1} |");
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let accepted = bare + commit + connector;
    let delivered = accepted + transformer + send + record;
    println!();
    println!(
        "floor of an accepted webhook (bare + fsync commit + connector): {accepted:.0} µs, at most {:.0}/s on {cores} cores",
        cores * 1e6 / accepted
    );
    println!(
        "floor of a delivered one (+ transformer + signed send + attempt record): {delivered:.0} µs, at most {:.0}/s on {cores} cores",
        cores * 1e6 / delivered
    );
}

/// POSTs the signed push to the bare handler (axum answering `202`), the
/// same request as `cargo xtask bench-ingest`'s bare scenario, over
/// [`CALLERS`] connections for `seconds`;
/// returns requests per second and CPU µs per request, both ends counted.
async fn bare_posts(body: &[u8], seconds: u64) -> (f64, f64) {
    let addr = targets::start_bare().await;
    let target = load::Target {
        addr,
        templates: Arc::new([webhook::template(addr, "/api/v1/webhooks/wh_bare", body)]),
        collect_ids: false,
        collect_acks: false,
    };
    let warmup = Duration::from_secs(1);
    let cpu_before = load::process_cpu_us().expect("/proc/self/stat");
    let outcome = load::closed_loop(&target, CALLERS, warmup, Duration::from_secs(seconds)).await;
    let cpu = load::process_cpu_us().expect("/proc/self/stat") - cpu_before;
    (
        outcome.accepted_per_second(),
        cpu as f64 / outcome.accepted.max(1) as f64,
    )
}

/// `--seconds N` (default 5).
fn seconds_argument() -> u64 {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .windows(2)
        .find(|pair| pair[0] == "--seconds")
        .map(|pair| pair[1].parse().expect("--seconds takes a whole number"))
        .unwrap_or(5)
}

/// Commits single-event requests from [`CALLERS`] tasks for `seconds`;
/// returns events per second and CPU µs per event.
async fn store_commits(durability: Durability, record: &[u8], seconds: u64) -> (f64, f64) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path(), durability).expect("store opens");
    let (committer, thread) = Committer::start(
        store,
        MAX_COMMIT_BATCH,
        Duration::from_secs(3 * 24 * 3600),
        Arc::new(Notify::new()),
    )
    .expect("committer starts");
    let committer = Arc::new(committer);
    let (trigger, tenant) = (TriggerId::generate(), TenantId::generate());
    let sequence = Arc::new(AtomicU64::new(0));
    let measure = |committer: Arc<Committer>, sequence: Arc<AtomicU64>| {
        let record = record.to_vec();
        move || {
            let committer = Arc::clone(&committer);
            let sequence = Arc::clone(&sequence);
            let record = record.clone();
            async move {
                let key = format!("delivery-{}", sequence.fetch_add(1, Ordering::Relaxed));
                let outcomes = committer
                    .commit(vec![PendingEvent {
                        dedupe_scope: trigger.to_bytes(),
                        trigger_id: Some(trigger),
                        tenant_id: tenant,
                        idempotency_key: key,
                        record,
                    }])
                    .await
                    .expect("commits");
                assert!(matches!(outcomes.as_slice(), [CommitOutcome::Stored(_)]));
            }
        }
    };
    let result = run_for(seconds, CALLERS, measure(Arc::clone(&committer), sequence)).await;
    drop(committer);
    thread.join().expect("committer stops");
    result
}

/// The plugin host with the built packs loaded.
fn loaded_host() -> Arc<PluginHost> {
    let plugins = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let host = Arc::new(PluginHost::new(PackLimits::default(), None).expect("host"));
    host.load_dir(&plugins);
    assert!(
        host.registry().connector(&github()).is_some() && host.registry().transformer(&slack()).is_some(),
        "packs not built: run `cargo xtask packs`"
    );
    host
}

fn github() -> ComponentRef {
    "github".parse().expect("ref")
}

fn slack() -> ComponentRef {
    "slack".parse().expect("ref")
}

/// Calls the github connector from two tasks for `seconds`; returns calls
/// per second and CPU µs per call.
async fn connector_calls(host: Arc<PluginHost>, body: &str, seconds: u64) -> (f64, f64) {
    let github = github();
    let request = Arc::new(signed_push(body));
    let secrets = Arc::new(vec![Secret {
        name: "webhook-secret".into(),
        value: SECRET.into(),
    }]);
    run_for(seconds, 2, move || {
        let (host, request, secrets, github) = (
            Arc::clone(&host),
            Arc::clone(&request),
            Arc::clone(&secrets),
            github.clone(),
        );
        async move {
            let receipt = host.receive(&github, &request, &secrets, "{}").await;
            assert!(matches!(receipt, Ok(Ok(_))));
        }
    })
    .await
}

/// Calls the slack transformer on `event` from two tasks for `seconds`;
/// returns calls per second and CPU µs per call.
async fn transformer_calls(host: Arc<PluginHost>, event: Event, seconds: u64) -> (f64, f64) {
    let event = Arc::new(event);
    run_for(seconds, 2, move || {
        let (host, event) = (Arc::clone(&host), Arc::clone(&event));
        async move {
            let outgoing = host.transform(&slack(), &event, "{}").await;
            assert!(matches!(outgoing, Ok(Ok(_))));
        }
    })
    .await
}

/// Signs `body` with the headers a delivery carries ([`signed_headers`])
/// and POSTs it with Weir's delivery client to a loopback receiver from
/// [`CALLERS`] tasks for `seconds` (without the per-attempt timeout a
/// delivery also sets); returns sends per second and CPU µs per send
/// (client and receiver).
async fn signed_sends(body: Vec<u8>, seconds: u64) -> (f64, f64) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    let receiver = axum::Router::new().route("/", axum::routing::post(|| async { "" }));
    let server = tokio::spawn(async move { axum::serve(listener, receiver).await });
    let loopback: IpNet = "127.0.0.0/8".parse().expect("net");
    let client = build_client(Arc::new(AddressPolicy::new(vec![loopback])), None).expect("client");
    let secrets = Arc::new(vec![SigningSecret::generate()]);
    let body = bytes::Bytes::from(body);
    let result = run_for(seconds, CALLERS, move || {
        let (client, secrets, body, url) = (client.clone(), Arc::clone(&secrets), body.clone(), url.clone());
        async move {
            let mut request = client.post(url).header("content-type", "application/json");
            for (name, value) in signed_headers(
                &secrets,
                DeliveryId::generate().to_string(),
                weir::time::now_ms(),
                &body,
            ) {
                request = request.header(name, value);
            }
            let response = request.body(body).send().await.expect("the receiver answers");
            assert!(response.status().is_success());
            let _ = response.bytes().await;
        }
    })
    .await;
    server.abort();
    result
}

/// Records delivered attempts through the batching recorder from
/// [`CALLERS`] tasks for `seconds`; returns records per second and CPU µs
/// per record.
async fn attempt_records(seconds: u64) -> (f64, f64) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path(), Durability::Fsync).expect("store opens");
    let (recorder, thread) = AttemptRecorder::start(store).expect("recorder starts");
    let (tenant, event, rule, destination) = (
        TenantId::generate(),
        EventId::generate(),
        RuleId::generate(),
        DestinationId::generate(),
    );
    let unit = {
        let recorder = recorder.clone();
        move || {
            let recorder = recorder.clone();
            async move {
                let now = weir::time::now_ms();
                let delivery = Delivery {
                    id: DeliveryId::generate(),
                    tenant_id: tenant,
                    event_id: event,
                    rule_id: rule,
                    destination_id: destination,
                    transformer: Some(slack()),
                    transformer_config: serde_json::json!({}),
                    status: DeliveryStatus::Delivered,
                    attempts: 1,
                    schedule_base: 0,
                    fifo: None,
                    next_attempt_at_ms: None,
                    last_error: None,
                    created_at_ms: now,
                    updated_at_ms: now,
                };
                let attempt = Attempt {
                    delivery_id: delivery.id,
                    number: 1,
                    started_at_ms: now,
                    duration_ms: 1,
                    outcome: AttemptOutcome::Delivered,
                    status_code: Some(200),
                    error: None,
                    response_headers: vec![("content-length".into(), "0".into())],
                    response_body: String::new(),
                    next_attempt_at_ms: None,
                };
                recorder.record(&delivery, &attempt).await.expect("records");
            }
        }
    };
    let result = run_for(seconds, CALLERS, unit).await;
    drop(recorder);
    thread.join().expect("recorder stops");
    result
}

/// Runs `tasks` loops of `unit` for one warm-up second and then `seconds`;
/// returns units per second and process CPU µs per unit over the window.
async fn run_for<F, Fut>(seconds: u64, tasks: usize, unit: F) -> (f64, f64)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut loops = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (unit, counting, stop, done) = (
            unit.clone(),
            Arc::clone(&counting),
            Arc::clone(&stop),
            Arc::clone(&done),
        );
        loops.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                unit().await;
                if counting.load(Ordering::Relaxed) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu_before = load::process_cpu_us().expect("/proc/self/stat");
    let started = Instant::now();
    counting.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let cpu = load::process_cpu_us().expect("/proc/self/stat") - cpu_before;
    let window = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    while loops.join_next().await.is_some() {}
    let units = done.load(Ordering::Relaxed).max(1) as f64;
    (units / window.as_secs_f64(), cpu as f64 / units)
}

/// What the store keeps for such a push: the CloudEvents-shaped record
/// with its metadata, about the size ingest writes.
fn event_record(body: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "source": "/triggers/trg_01JD8X3M6Q2W7Z5R4T9B0C1V2N",
        "type": "github.push",
        "subject": "refs/heads/main",
        "time": "2026-11-24T10:00:00.000Z",
        "received_at": "2026-11-24T10:00:00.000Z",
        "trigger_id": "trg_01JD8X3M6Q2W7Z5R4T9B0C1V2N",
        "client_address": "127.0.0.1",
        "user_agent": "GitHub-Hookshot/044aadd",
        "headers": {"x-github-event": "push", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
        "data": serde_json::from_str::<serde_json::Value>(body).expect("json"),
    }))
    .expect("encodes")
}

/// The push as the router hands it to a transformer.
fn push_event(body: &str) -> Event {
    Event {
        id: EventId::generate().to_string(),
        source: "/triggers/trg_01JD8X3M6Q2W7Z5R4T9B0C1V2N".into(),
        event_type: "github.push".into(),
        subject: Some("refs/heads/main".into()),
        time: "2026-11-24T10:00:00.000Z".into(),
        data: body.to_owned(),
    }
}

fn signed_push(body: &str) -> WebhookRequest {
    let signature = webhook::github_signature(body.as_bytes());
    let header = |name: &str, value: &str| Header {
        name: name.into(),
        value: value.into(),
    };
    WebhookRequest {
        method: "POST".into(),
        query: String::new(),
        headers: vec![
            header("content-type", "application/json"),
            header("x-github-event", "push"),
            header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            header("x-hub-signature-256", &signature),
        ],
        body: body.as_bytes().to_vec(),
        client_address: Some("127.0.0.1".into()),
        received_at_ms: 0,
    }
}
