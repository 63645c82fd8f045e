//! Building the connector's input from the HTTP request, and the event
//! metadata Weir keeps about it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, Method};
use bytes::Bytes;

use crate::host::{Header, WebhookRequest};

/// Most headers passed to a connector; the rest are dropped.
const MAX_HEADERS: usize = 128;
/// Most headers kept in an event's metadata.
const MAX_KEPT_HEADERS: usize = 32;
/// Longest header value kept in an event's metadata.
const MAX_KEPT_VALUE: usize = 512;
/// Header names containing these never go into stored metadata: they carry
/// credentials (GitLab's `X-Gitlab-Token`, signatures, API keys).
const SENSITIVE: [&str; 8] = [
    "token",
    "secret",
    "signature",
    "auth",
    "key",
    "password",
    "cookie",
    "session",
];

/// The connector's view of the request.
pub fn webhook_request(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
    client: IpAddr,
    received_at_ms: u64,
) -> WebhookRequest {
    WebhookRequest {
        method: method.as_str().to_owned(),
        query: query.unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            // A value that is not UTF-8 is passed with the bad bytes
            // replaced (U+FFFD) rather than dropped: the connector then
            // says what is wrong with it (a signature that does not
            // match), not that the header is missing.
            .map(|(name, value)| Header {
                name: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .take(MAX_HEADERS)
            .collect(),
        body: body.to_vec(),
        client_address: Some(client.to_string()),
        received_at_ms,
    }
}

/// The headers kept with the event: provider `x-*` headers (event names,
/// delivery ids) and the content type, never credentials.
pub fn kept_headers(headers: &[Header]) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|h| h.name.starts_with("x-") || h.name == "content-type")
        .filter(|h| !SENSITIVE.iter().any(|word| h.name.contains(word)))
        .take(MAX_KEPT_HEADERS)
        .map(|h| {
            let mut value = h.value.clone();
            if value.len() > MAX_KEPT_VALUE {
                let mut end = MAX_KEPT_VALUE;
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                value.truncate(end);
            }
            (h.name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_metadata() {
        let headers = [
            ("x-github-event", "push"),
            ("x-hub-signature-256", "sha256=abc"),
            ("x-gitlab-token", "hunter2"),
            ("authorization", "Bearer x"),
            ("content-type", "application/json"),
            ("accept", "*/*"),
        ]
        .map(|(name, value)| Header {
            name: name.into(),
            value: value.into(),
        });
        let kept = kept_headers(&headers);
        assert_eq!(
            kept.keys().collect::<Vec<_>>(),
            ["content-type", "x-github-event"]
        );
    }

    #[test]
    fn a_header_value_that_is_not_utf8_reaches_the_connector_marked_not_dropped() {
        let mut headers = HeaderMap::new();
        let bad = axum::http::HeaderValue::from_bytes(b"push\xff").expect("obs-text is allowed");
        headers.insert("x-github-event", bad);
        let request = webhook_request(
            &Method::POST,
            None,
            &headers,
            Bytes::new(),
            IpAddr::from([127, 0, 0, 1]),
            0,
        );
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.headers[0].value, "push\u{fffd}");
    }
}
