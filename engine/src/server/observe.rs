//! The outermost HTTP middleware: gives every request an id (a sane
//! `X-Request-Id` from the client, else a new ULID), runs it in a tracing
//! span carrying that id (and, once answered, the status), returns the id
//! on the response, and counts the request in the metrics by matched route
//! template — never the raw path, which for webhooks holds the secret key.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;
use tracing::field::Empty;

use super::AppState;

/// The header carrying the request id, both ways.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client-supplied request id kept.
const MAX_REQUEST_ID: usize = 128;
/// Routes polled by probes and scrapers every few seconds. Their span is
/// `trace`, so they fill neither the log (default filter `info`) nor an
/// OpenTelemetry backend (which takes Weir's spans down to `debug`).
const PROBE_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The id of the request being served (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// True for a client id worth keeping: 1–128 of letters, digits and
/// `-_.:+=/@`.
pub fn is_sane_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+=/@".contains(&b))
}

/// The middleware (see the module docs).
pub async fn observe(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane_request_id(id))
        .map_or_else(|| ulid::Ulid::new().to_string(), str::to_owned);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = if PROBE_ROUTES.contains(&route.as_str()) {
        tracing::trace_span!("request", request_id = %id, method, route = %route, status = Empty)
    } else {
        tracing::info_span!("request", request_id = %id, method, route = %route, status = Empty)
    };
    let mut response = next.run(request).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    app.metrics.http_request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label; uncommon methods are `other`, so clients cannot
/// create series at will.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_request_ids_are_kept() {
        assert!(is_sane_request_id("01J9Z8-abc_def.1:2"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("has space"));
        assert!(!is_sane_request_id("new\nline"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert_eq!(
            method_label(&Method::from_bytes(b"PURGE").expect("method")),
            "other"
        );
    }
}
