//! Loopback receivers for the delivery benchmark: each records the
//! `webhook-id` and arrival time of every POST and answers `200`, or
//! misbehaves as told (`500`, or a slow `200`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use tokio::time::Instant;

/// How a receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// `200` at once.
    Healthy,
    /// `500` at once (Weir retries later).
    Failing,
    /// `200` after this long.
    Slow(Duration),
}

/// What a receiver saw.
#[derive(Default)]
struct Log {
    /// First arrival of each `webhook-id` that was answered `200`.
    first: HashMap<String, Instant>,
    /// Arrival times of the `200`s (repeats included).
    arrivals: Vec<Instant>,
    /// POSTs answered `500`.
    failed: u64,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    /// How it answers.
    pub behaviour: Behaviour,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1 (on the current runtime).
    pub async fn start(behaviour: Behaviour) -> Self {
        let log = Arc::new(Mutex::new(Log::default()));
        let state = (behaviour, Arc::clone(&log));
        async fn receive(
            State((behaviour, log)): State<(Behaviour, Arc<Mutex<Log>>)>,
            headers: HeaderMap,
            _body: Bytes,
        ) -> StatusCode {
            if behaviour == Behaviour::Failing {
                log.lock().expect("log").failed += 1;
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            if let Behaviour::Slow(wait) = behaviour {
                tokio::time::sleep(wait).await;
            }
            let now = Instant::now();
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let mut log = log.lock().expect("log");
            log.arrivals.push(now);
            log.first.entry(id).or_insert(now);
            StatusCode::OK
        }
        let app = Router::new().route("/hook", post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Self { addr, behaviour, log }
    }

    /// Distinct deliveries answered `200`.
    pub fn delivered(&self) -> usize {
        self.log.lock().expect("log").first.len()
    }

    /// `200`s that arrived in `[from, to)`.
    pub fn arrivals_between(&self, from: Instant, to: Instant) -> usize {
        let log = self.log.lock().expect("log");
        log.arrivals.iter().filter(|at| **at >= from && **at < to).count()
    }

    /// POSTs this receiver answered `500`.
    pub fn failed(&self) -> u64 {
        self.log.lock().expect("log").failed
    }

    /// When `webhook_id` first arrived, if it did.
    pub fn first_arrival(&self, webhook_id: &str) -> Option<Instant> {
        self.log.lock().expect("log").first.get(webhook_id).copied()
    }

    /// `200`s in all, repeats included.
    pub fn arrivals(&self) -> usize {
        self.log.lock().expect("log").arrivals.len()
    }
}
