//! The CPU floor of one durably accepted webhook: what the two parts every
//! webhook must pass through cost on their own, without HTTP, routing or
//! the request log.
//!
//! - **store**: 64 concurrent callers (as 64 connections would) commit one
//!   ~2.3 KB event each through the real group committer (`Committer`,
//!   `ingest.max_commit_batch` 512) into sled on a temp dir; one line per
//!   durability level;
//! - **connector**: the github connector verifying and parsing a ~2 KB
//!   signed push on a fresh WASM instance per call, as ingest calls it.
//!
//! Each part runs for `--seconds` and reports CPU µs per unit (the whole
//! process's user + system time from `/proc/self/stat`, background threads
//! included) and units per second. Adding the bare HTTP handler's CPU per
//! `202` (from `cargo xtask bench-ingest`) gives the least CPU a webhook
//! can take with this stack, hence the most webhooks/s two cores allow.
//!
//! Run with `cargo bench -p weir --bench ingest_floor` after
//! `cargo xtask packs` (`cargo xtask bench-floor` does both).

// A benchmark binary: its items need no docs of their own.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;
use weir::config::{Durability, PackLimits};
use weir::host::{Header, PluginHost, Secret, WebhookRequest};
use weir::ids::{TenantId, TriggerId};
use weir::model::ComponentRef;
use weir::store::{CommitOutcome, Committer, PendingEvent, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "ingest_load/client.rs"]
#[allow(dead_code)]
mod client;
#[path = "ingest_load/load.rs"]
#[allow(dead_code)]
mod load;
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
    for durability in [Durability::Fsync, Durability::Flush, Durability::None] {
        let (rate, cpu) = runtime.block_on(store_commits(durability, &record, seconds));
        println!("| store commit, {durability:?} | {rate:.0} | {cpu:.1} |");
    }
    let (rate, cpu) = runtime.block_on(connector_calls(&body, seconds));
    println!("| github connector call (fresh instance) | {rate:.0} | {cpu:.1} |");
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

/// Calls the github connector from two tasks for `seconds`; returns calls
/// per second and CPU µs per call.
async fn connector_calls(body: &str, seconds: u64) -> (f64, f64) {
    let plugins = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let host = Arc::new(PluginHost::new(PackLimits::default(), None).expect("host"));
    host.load_dir(&plugins);
    let github: ComponentRef = "github".parse().expect("ref");
    assert!(
        host.registry().connector(&github).is_some(),
        "packs not built: run `cargo xtask packs`"
    );
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

fn signed_push(body: &str) -> WebhookRequest {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
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
            header("x-hub-signature-256", &format!("sha256={signature}")),
        ],
        body: body.as_bytes().to_vec(),
        client_address: Some("127.0.0.1".into()),
        received_at_ms: 0,
    }
}
