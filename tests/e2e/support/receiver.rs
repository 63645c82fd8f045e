//! [`Receiver`]: a local HTTP endpoint that records what it receives and
//! answers with a scripted sequence of statuses.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Headers, names lowercase.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<(Received, u16)>,
    script: VecDeque<u16>,
    default_status: u16,
}

/// A scriptable receiver on 127.0.0.1.
#[derive(Clone)]
pub struct Receiver {
    shared: Arc<Mutex<Shared>>,
    /// Its URL.
    pub url: String,
}

impl Receiver {
    /// Starts a receiver answering 200 unless scripted otherwise.
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            default_status: 200,
            ..Shared::default()
        }));
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, url }
    }

    /// Answers the next requests with these statuses, then the default.
    pub fn script(&self, statuses: &[u16]) {
        self.shared.lock().expect("lock").script.extend(statuses);
    }

    /// Sets the status answered once the script is used up.
    pub fn set_default(&self, status: u16) {
        self.shared.lock().expect("lock").default_status = status;
    }

    /// Every request so far with the status it got.
    pub fn received(&self) -> Vec<(Received, u16)> {
        self.shared.lock().expect("lock").received.clone()
    }

    /// Requests answered 2xx so far.
    pub fn successes(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|(_, status)| (200..300).contains(status))
            .map(|(request, _)| request)
            .collect()
    }
}

async fn record(State(shared): State<Arc<Mutex<Shared>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut shared = shared.lock().expect("lock");
    let status = shared.script.pop_front().unwrap_or(shared.default_status);
    shared.received.push((Received { headers, body }, status));
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
