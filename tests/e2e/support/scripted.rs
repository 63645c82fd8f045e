//! [`ScriptedReceiver`]: a local HTTP endpoint whose every answer is
//! decided by a function of the request and of what came before (so a
//! test can fail the first attempt of one delivery, stall another past the
//! timeout, or answer 429 with `Retry-After`), recording each request with
//! the time it arrived. It answers any method on any path.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The path (and query) requested.
    pub path: String,
    /// Headers, names lowercase.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The status it was answered with (the status it would have been
    /// answered with, for a request Weir gave up on while the receiver
    /// stalled).
    pub status: u16,
    /// Whether the receiver stalled on it (see [`Reply::after`]).
    pub stalled: bool,
}

impl Hit {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (a stall past Weir's timeout).
    pub after: Option<Duration>,
}

impl Reply {
    /// Answer `status` at once.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            after: None,
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.after = Some(delay);
        self
    }
}

/// Decides the answer to a request, given the earlier ones.
pub type Script = dyn Fn(&Hit, &[Hit]) -> Reply + Send + Sync;

struct Shared {
    hits: Mutex<Vec<Hit>>,
    script: Box<Script>,
}

/// A receiver answering as its script says.
#[derive(Clone)]
pub struct ScriptedReceiver {
    shared: Arc<Shared>,
    /// `http://ip:port`.
    pub base: String,
    /// `http://ip:port/hook`.
    pub url: String,
}

impl ScriptedReceiver {
    /// Starts on 127.0.0.1.
    pub async fn start(script: impl Fn(&Hit, &[Hit]) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on([127, 0, 0, 1].into(), script).await
    }

    /// Starts on `ip` (any 127.0.0.0/8 address works on Linux).
    pub async fn start_on(
        ip: IpAddr,
        script: impl Fn(&Hit, &[Hit]) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            hits: Mutex::new(Vec::new()),
            script: Box::new(script),
        });
        let app = Router::new().fallback(answer).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .expect("bind receiver");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            shared,
            url: format!("{base}/hook"),
            base,
        }
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().expect("lock").clone()
    }

    /// Requests carrying `webhook-id: id`, in arrival order.
    pub fn hits_for(&self, id: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.header("webhook-id") == id)
            .collect()
    }
}

/// Writes `hits` into `dir` as JSON files (`{"headers": {...},
/// "body_base64": "..."}`) for the Python checkers; returns their paths.
pub fn save_hits(dir: &Path, hits: &[Hit]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("dir for saved requests");
    hits.iter()
        .map(|hit| {
            let headers: serde_json::Map<String, serde_json::Value> = hit
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        json!(String::from_utf8_lossy(value.as_bytes())),
                    )
                })
                .collect();
            let path = dir.join(format!("request-{}.json", ulid::Ulid::new()));
            let saved = json!({"headers": headers, "body_base64": BASE64.encode(&hit.body)});
            std::fs::write(&path, saved.to_string()).expect("save request");
            path
        })
        .collect()
}

async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut hits = shared.hits.lock().expect("lock");
        let mut hit = Hit {
            path: uri.path_and_query().map(ToString::to_string).unwrap_or_default(),
            headers,
            body,
            status: 0,
            stalled: false,
        };
        let reply = (shared.script)(&hit, &hits);
        hit.status = reply.status;
        hit.stalled = reply.after.is_some();
        hits.push(hit);
        reply
    };
    if let Some(delay) = reply.after {
        tokio::time::sleep(delay).await;
    }
    let mut response = StatusCode::from_u16(reply.status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response();
    for (name, value) in &reply.headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    response
}
