//! [`Collector`]: a loopback OTLP/HTTP trace receiver that accepts JSON
//! exports on `/v1/traces` (as an OpenTelemetry Collector would) and turns
//! them into flat [`ExportedSpan`]s for assertions.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::Value;

/// One span as exported, flattened.
#[derive(Debug, Clone)]
pub struct ExportedSpan {
    /// The span's name, e.g. `ingest`.
    pub name: String,
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Hex parent span id; empty for a root.
    pub parent_span_id: String,
    /// Attributes, every value as text (`200`, `true`, `weir`).
    pub attributes: BTreeMap<String, String>,
    /// The resource's attributes (`service.name`, …).
    pub resource: BTreeMap<String, String>,
}

impl ExportedSpan {
    /// An attribute's value as text, or "" when absent.
    pub fn attr(&self, key: &str) -> &str {
        self.attributes.get(key).map_or("", String::as_str)
    }
}

#[derive(Default)]
struct Shared {
    /// Content types of the export requests received.
    content_types: Vec<String>,
    spans: Vec<ExportedSpan>,
}

/// The receiver; its base URL is what `telemetry.otlp_endpoint` takes.
#[derive(Clone)]
pub struct Collector {
    shared: Arc<Mutex<Shared>>,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl Collector {
    /// Starts listening on 127.0.0.1.
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind collector");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, url }
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ExportedSpan> {
        self.shared.lock().expect("lock").spans.clone()
    }

    /// The `Content-Type` of every export request so far.
    pub fn content_types(&self) -> Vec<String> {
        self.shared.lock().expect("lock").content_types.clone()
    }
}

/// `POST /v1/traces`: an `ExportTraceServiceRequest` in the OTLP JSON
/// encoding. Anything else is refused with 400, which the test sees as
/// missing spans.
async fn export(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let spans = flatten(&request);
    let mut shared = shared.lock().expect("lock");
    shared.content_types.push(content_type);
    shared.spans.extend(spans);
    // An empty `ExportTraceServiceResponse`: everything accepted.
    ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
}

/// `resourceSpans[].scopeSpans[].spans[]`, flattened.
fn flatten(request: &Value) -> Vec<ExportedSpan> {
    let list = |value: &Value, key: &str| value[key].as_array().cloned().unwrap_or_default();
    let mut spans = Vec::new();
    for resource_spans in list(request, "resourceSpans") {
        let resource = attributes(&resource_spans["resource"]["attributes"]);
        for scope_spans in list(&resource_spans, "scopeSpans") {
            for span in list(&scope_spans, "spans") {
                let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
                spans.push(ExportedSpan {
                    name: text("name"),
                    trace_id: text("traceId"),
                    span_id: text("spanId"),
                    parent_span_id: text("parentSpanId"),
                    attributes: attributes(&span["attributes"]),
                    resource: resource.clone(),
                });
            }
        }
    }
    spans
}

/// OTLP `KeyValue`s (`{"key", "value": {"stringValue" | "intValue" | …}}`)
/// as text; integers may be JSON numbers or strings.
fn attributes(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| {
            let key = pair["key"].as_str()?.to_owned();
            let value = pair["value"].as_object()?.values().next()?;
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect()
}
