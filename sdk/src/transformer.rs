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
