//! Criterion benchmark of one pack call each way, on a fresh instance per
//! call (as in production): the github connector verifying and parsing a
//! ~2 KB signed push, and the slack transformer shaping it. A native
//! baseline doing the connector's work (HMAC verify + JSON parse) in
//! process runs beside them for the ratio.
//!
//! Run with `cargo xtask bench` (builds the packs first).

// `criterion_group!` generates undocumented public items.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use weir::config::PackLimits;
use weir::host::{Event, Header, PluginHost, Secret, WebhookRequest};
use weir::model::ComponentRef;

const SECRET: &str = "bench-secret";

/// A ~2 KB GitHub push: the fixture with two commits, compact.
fn push_payload() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("packs/github/fixtures/push.json")).expect("push fixture");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    if let Some(commits) = value["commits"].as_array_mut() {
        commits.truncate(2);
    }
    value["head_commit"] = serde_json::Value::Null;
    value.to_string()
}

fn signature(body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let plugins = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let host = PluginHost::new(PackLimits::default(), None).expect("host");
    host.load_dir(&plugins);
    assert!(
        host.registry()
            .connector(&"github".parse().expect("ref"))
            .is_some(),
        "packs not built: run `cargo xtask bench`"
    );

    let body = push_payload();
    eprintln!("payload: {} bytes", body.len());
    let request = WebhookRequest {
        method: "POST".into(),
        query: String::new(),
        headers: vec![
            header("content-type", "application/json"),
            header("x-github-event", "push"),
            header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            header(
                "x-hub-signature-256",
                &format!("sha256={}", hex::encode(signature(body.as_bytes()))),
            ),
        ],
        body: body.clone().into_bytes(),
        client_address: Some("127.0.0.1".into()),
        received_at_ms: 0,
    };
    let secrets = vec![Secret {
        name: "webhook-secret".into(),
        value: SECRET.into(),
    }];
    let event = Event {
        id: "evt_01JD8X3M6Q2W7Z5R4T9B0C1V2N".into(),
        source: "/triggers/trg_bench".into(),
        event_type: "github.push".into(),
        subject: Some("refs/heads/main".into()),
        time: "2026-11-23T10:00:00.000Z".into(),
        data: body.clone(),
    };
    let github: ComponentRef = "github".parse().expect("ref");
    let slack: ComponentRef = "slack".parse().expect("ref");

    let mut group = c.benchmark_group("pack_call");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("github_connector_receive_wasm", |b| {
        b.to_async(&runtime).iter(|| async {
            let receipt = host.receive(&github, &request, &secrets, "{}").await;
            assert!(matches!(receipt, Ok(Ok(_))));
        });
    });
    group.bench_function("slack_transformer_transform_wasm", |b| {
        b.to_async(&runtime).iter(|| async {
            let outgoing = host.transform(&slack, &event, "{}").await;
            assert!(matches!(outgoing, Ok(Ok(_))));
        });
    });
    // Fixed cost of a call: fresh store and instance, then an immediate
    // typed error (the transformer rejects the event type before parsing).
    let unsupported = Event {
        event_type: "other.event".into(),
        ..event.clone()
    };
    group.bench_function("slack_transformer_fixed_cost_wasm", |b| {
        b.to_async(&runtime).iter(|| async {
            let outgoing = host.transform(&slack, &unsupported, "{}").await;
            assert!(matches!(outgoing, Ok(Err(_))));
        });
    });
    group.bench_function("native_verify_and_parse_baseline", |b| {
        b.iter(|| {
            let expected = signature(body.as_bytes());
            assert_eq!(expected.len(), 32);
            let value: serde_json::Value = serde_json::from_slice(body.as_bytes()).expect("json");
            std::hint::black_box(value.to_string());
        });
    });
    group.finish();
}

fn header(name: &str, value: &str) -> Header {
    Header {
        name: name.into(),
        value: value.into(),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
