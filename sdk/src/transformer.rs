//! The [`Transformer`] trait and helpers for building outgoing bodies.

use serde::de::DeserializeOwned;

use crate::{Event, Header, Outgoing, TransformError};

/// A pack component that shapes events for one kind of destination.
///
/// Called once per delivery attempt on a fresh instance; it must be a pure
/// function of the event and the configuration.
pub trait Transformer {
    /// The rule's transformer settings, deserialized from JSON. Use
    /// [`crate::NoConfig`] when the transformer takes none.
    type Config: DeserializeOwned;

    /// Turns `event` into what the destination receives.
    fn transform(event: &Event, config: Self::Config) -> Result<Outgoing, TransformError>;
}

impl Event {
    /// The event's data deserialized into `T`; a parse failure becomes
    /// `unsupported-event` naming the event type.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, TransformError> {
        serde_json::from_str(&self.data).map_err(|error| {
            TransformError::UnsupportedEvent(format!(
                "`{}` data is not the expected shape: {error}",
                self.event_type
            ))
        })
    }
}

impl Outgoing {
    /// A body of any media type, e.g. `Outgoing::new(xml, "application/xml")`.
    pub fn new(body: impl Into<Vec<u8>>, content_type: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            content_type: content_type.into(),
            headers: Vec::new(),
        }
    }

    /// A `text/plain; charset=utf-8` body.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(text.into().into_bytes(), "text/plain; charset=utf-8")
    }

    /// An `application/x-www-form-urlencoded` body of `fields`, encoded as
    /// browsers do (space as `+`, everything but `A-Z a-z 0-9 * - . _`
    /// percent-encoded).
    pub fn form<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let body = fields
            .into_iter()
            .map(|(key, value)| format!("{}={}", form_encode(key), form_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        Self::new(body.into_bytes(), "application/x-www-form-urlencoded")
    }

    /// An `application/json` body holding `value`.
    pub fn json(value: &serde_json::Value) -> Self {
        Self {
            body: value.to_string().into_bytes(),
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
        }
    }

    /// Adds a header for the destination.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// The body as UTF-8 text (lossy), for tests and logs.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_encoded_like_browsers_do() {
        let out = Outgoing::form([("to", "a+b@example.com"), ("subject", "Hi & bye é")]);
        assert_eq!(
            out.body_text(),
            "to=a%2Bb%40example.com&subject=Hi+%26+bye+%C3%A9"
        );
        assert_eq!(out.content_type, "application/x-www-form-urlencoded");
    }
}
