//! Builders for packs' native unit tests: requests, secrets, events and
//! signatures, so each pack's tests say only what is particular to them.
//!
//! Compiled with the `testing` feature; enable it for tests only:
//!
//! ```toml
//! [dev-dependencies]
//! weir-sdk = { workspace = true, features = ["testing"] }
//! ```

use crate::encoding::{base64_encode, hex_encode};
use crate::host::{self, HashAlgorithm};
use crate::{Event, Header, Secret, Secrets, WebhookRequest};

/// A request with `method`, `headers` (names are lowercased as the engine
/// does) and `body`; no query, no client address, received at 0 ms. Use
/// [`RequestBuilder`] for the rest, or struct update syntax:
/// `WebhookRequest { received_at_ms: 1_795_428_000_000, ..request("POST", &[], "{}") }`.
pub fn request(method: &str, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> WebhookRequest {
    WebhookRequest {
        method: method.to_owned(),
        query: String::new(),
        headers: headers
            .iter()
            .map(|(name, value)| Header::new(*name, *value))
            .collect(),
        body: body.as_ref().to_vec(),
        client_address: None,
        received_at_ms: 0,
    }
}

/// Builds a [`WebhookRequest`] step by step; starts as
/// `request("POST", &[], "")`.
#[derive(Debug, Clone)]
pub struct RequestBuilder(WebhookRequest);

impl Default for RequestBuilder {
    fn default() -> Self {
        Self(request("POST", &[], ""))
    }
}

impl RequestBuilder {
    /// A `POST` with no headers and an empty body.
    pub fn post() -> Self {
        Self::default()
    }

    /// Sets the method.
    #[must_use]
    pub fn method(mut self, method: &str) -> Self {
        self.0.method = method.to_owned();
        self
    }

    /// Sets the query string (without `?`).
    #[must_use]
    pub fn query(mut self, query: &str) -> Self {
        self.0.query = query.to_owned();
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0.headers.push(Header::new(name, value));
        self
    }

    /// Adds each of `headers`.
    #[must_use]
    pub fn headers(self, headers: &[(&str, &str)]) -> Self {
        headers
            .iter()
            .fold(self, |builder, (name, value)| builder.header(name, value))
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.0.body = body.as_ref().to_vec();
        self
    }

    /// Sets when Weir received the request, in ms since the Unix epoch.
    #[must_use]
    pub fn received_at_ms(mut self, received_at_ms: u64) -> Self {
        self.0.received_at_ms = received_at_ms;
        self
    }

    /// The request.
    pub fn build(self) -> WebhookRequest {
        self.0
    }
}

/// A trigger's secrets: every one of `values` under `name` (several during
/// a rotation).
pub fn secrets(name: &str, values: &[&str]) -> Secrets {
    Secrets::new(values.iter().map(|value| Secret::new(name, *value)).collect())
}

/// An event as a transformer receives it: id `evt_1`, source
/// `/triggers/trg_1`, no subject, time `2026-11-23T10:00:00.000Z` (the
/// fixtures' default receive time). Change fields with struct update syntax.
pub fn event(event_type: &str, data: impl Into<String>) -> Event {
    Event {
        id: "evt_1".to_owned(),
        source: "/triggers/trg_1".to_owned(),
        event_type: event_type.to_owned(),
        subject: None,
        time: "2026-11-23T10:00:00.000Z".to_owned(),
        data: data.into(),
    }
}

/// Lowercase hex of `HMAC(algorithm, secret, message)`, as most providers
/// write signatures.
pub fn sign_hex(algorithm: HashAlgorithm, secret: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> String {
    hex_encode(&host::hmac(algorithm, secret.as_ref(), message.as_ref()))
}

/// Standard base64 of `HMAC(algorithm, secret, message)` (Shopify,
/// Standard Webhooks).
pub fn sign_base64(algorithm: HashAlgorithm, secret: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> String {
    base64_encode(&host::hmac(algorithm, secret.as_ref(), message.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_built_as_the_engine_passes_them() {
        let plain = request("POST", &[("X-Signature", "abc")], "{}");
        assert_eq!(plain.header("x-signature"), Some("abc"));
        assert_eq!(plain.headers[0].name, "x-signature");
        assert_eq!(
            (plain.body.as_slice(), plain.received_at_ms),
            (b"{}".as_slice(), 0)
        );
        let built = RequestBuilder::post()
            .method("GET")
            .query("a=1")
            .headers(&[("A", "1"), ("B", "2")])
            .header("C", "3")
            .body(b"x")
            .received_at_ms(5)
            .build();
        assert_eq!(
            (built.method.as_str(), built.query.as_str(), built.headers.len()),
            ("GET", "a=1", 3)
        );
        assert_eq!(
            (built.body.as_slice(), built.received_at_ms),
            (b"x".as_slice(), 5)
        );
    }

    #[test]
    fn secrets_and_events() {
        let secrets = secrets("webhook-secret", &["new", "old"]);
        assert_eq!(secrets.all("webhook-secret").collect::<Vec<_>>(), ["new", "old"]);
        let event = event("github.push", "{}");
        assert_eq!(
            (event.event_type.as_str(), event.data.as_str()),
            ("github.push", "{}")
        );
        assert_eq!(event.time, "2026-11-23T10:00:00.000Z");
    }

    #[test]
    fn signatures_match_githubs_documented_vector() {
        let hex = sign_hex(
            HashAlgorithm::Sha256,
            "It's a Secret to Everybody",
            "Hello, World!",
        );
        assert_eq!(
            hex,
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let base64 = sign_base64(HashAlgorithm::Sha256, "test_secret_key", r#"{"foo": "bar"}"#);
        assert_eq!(base64, "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
    }
}
