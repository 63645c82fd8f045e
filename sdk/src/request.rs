//! Helpers for reading a [`WebhookRequest`] and building [`Header`]s.

use serde::de::DeserializeOwned;

use crate::{Header, Rejection, WebhookRequest};

impl Header {
    /// A header; the name is lowercased so lookups are case-insensitive.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into().to_ascii_lowercase(),
            value: value.into(),
        }
    }
}

impl WebhookRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value.as_str())
    }

    /// `Ok` when the request's method is `method` (compared exactly, e.g.
    /// `"POST"`), else a `method-not-allowed` rejection that reads
    /// `"{sender} with {method}, not {actual}"`:
    /// `request.require_method("POST", "Stripe sends webhooks")?` refuses a
    /// GET with `Stripe sends webhooks with POST, not GET`.
    pub fn require_method(&self, method: &str, sender: &str) -> Result<(), Rejection> {
        if self.method == method {
            Ok(())
        } else {
            Err(Rejection::MethodNotAllowed(format!(
                "{sender} with {method}, not {}",
                self.method
            )))
        }
    }

    /// Header `name`, or an `unauthorized` rejection saying it is missing;
    /// for signature headers.
    pub fn require_signature_header(&self, name: &str) -> Result<&str, Rejection> {
        self.header(name)
            .ok_or_else(|| Rejection::Unauthorized(format!("missing `{name}` header")))
    }

    /// Header `name`, or a `malformed` rejection saying it is missing.
    pub fn require_header(&self, name: &str) -> Result<&str, Rejection> {
        self.header(name)
            .ok_or_else(|| Rejection::Malformed(format!("missing `{name}` header")))
    }

    /// The body as UTF-8, or a `malformed` rejection.
    pub fn body_str(&self) -> Result<&str, Rejection> {
        std::str::from_utf8(&self.body)
            .map_err(|error| Rejection::Malformed(format!("body is not UTF-8: {error}")))
    }

    /// The body parsed as JSON into `T`, or a `malformed` rejection.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_json::from_slice(&self.body)
            .map_err(|error| Rejection::Malformed(format!("body is not valid JSON: {error}")))
    }

    /// The body as `application/x-www-form-urlencoded` fields, in order,
    /// decoded; a body that is not UTF-8 is `malformed`.
    pub fn form_fields(&self) -> Result<Vec<(String, String)>, Rejection> {
        let body = self.body_str()?;
        Ok(body
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key), percent_decode(value))
            })
            .collect())
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space and
/// `%XX` a byte; invalid escapes are kept literally. Bytes that are not
/// UTF-8 once decoded become U+FFFD; [`percent_decode_bytes`] keeps them.
pub fn percent_decode(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(text)).into_owned()
}

/// [`percent_decode`] without the UTF-8 step, for callers that must refuse
/// (rather than replace) bytes that are not UTF-8.
pub fn percent_decode_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(index + 1..index + 3).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    index += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        index += 1;
    }
    out
}

/// The byte two hex digits spell. Both must be hex digits: a parse of the
/// pair as a number would take `%+1` as a signed one.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    let high = digit(*pair.first()?)?;
    let low = digit(*pair.get(1)?)?;
    u8::try_from(high * 16 + low).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, headers: &[(&str, &str)]) -> WebhookRequest {
        WebhookRequest {
            method: "POST".into(),
            query: query.into(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            body: b"{}".to_vec(),
            client_address: None,
            received_at_ms: 0,
        }
    }

    #[test]
    fn headers_are_case_insensitive() {
        let request = request("", &[("X-GitHub-Event", "push")]);
        assert_eq!(request.header("x-github-event"), Some("push"));
        assert_eq!(request.header("X-GITHUB-EVENT"), Some("push"));
        assert_eq!(request.header("x-other"), None);
    }

    #[test]
    fn other_methods_are_refused_saying_which_is_expected() {
        let mut request = request("", &[]);
        assert!(request.require_method("POST", "Acme sends webhooks").is_ok());
        request.method = "GET".into();
        assert!(matches!(
            request.require_method("POST", "Acme sends webhooks"),
            Err(Rejection::MethodNotAllowed(reason)) if reason == "Acme sends webhooks with POST, not GET"
        ));
        request.method = "post".into();
        assert!(request.require_method("POST", "Acme sends webhooks").is_err());
    }

    #[test]
    fn query_params_are_decoded() {
        let request = request("hub.mode=subscribe&hub.challenge=a%20b+c&flag", &[]);
        assert_eq!(request.query_param("hub.challenge").as_deref(), Some("a b c"));
        assert_eq!(request.query_param("flag").as_deref(), Some(""));
        assert_eq!(request.query_param("missing"), None);
    }

    #[test]
    fn form_fields_are_decoded_in_order() {
        let mut request = request("", &[]);
        request.body = b"name=Ada+Lovelace&tag=a&tag=b%26c&empty=".to_vec();
        let fields = request.form_fields().expect("fields");
        assert_eq!(
            fields,
            [
                ("name", "Ada Lovelace"),
                ("tag", "a"),
                ("tag", "b&c"),
                ("empty", "")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn percent_decode_keeps_invalid_escapes() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%41%42"), "AB");
        // `%` stays literal (not a hex escape); `+` is still a space.
        assert_eq!(percent_decode("%+1"), "% 1");
        assert_eq!(percent_decode("%-1x"), "%-1x");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%e9"), "\u{fffd}");
        assert_eq!(percent_decode_bytes("caf%C3%a9+%e9"), b"caf\xc3\xa9 \xe9");
    }
}
