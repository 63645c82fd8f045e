//! CloudEvents 1.0 transformer (structured content mode, JSON event format).
//!
//! Wraps any event in a CloudEvents envelope, sent with content type
//! `application/cloudevents+json; charset=utf-8`:
//!
//! ```json
//! {"specversion": "1.0", "id": "<event id>", "source": "<event source>",
//!  "type": "<type_prefix><event type>", "subject": "<subject, if any>",
//!  "time": "<event time>", "datacontenttype": "application/json",
//!  "<extension>": "…", "data": <event data>}
//! ```
//!
//! The data is embedded exactly as stored (not re-serialized), so numbers
//! and key order survive. Configuration (all optional):
//!
//! - `source`: a URI-reference replacing the event's source, e.g.
//!   `https://weir.example.com/triggers/github`.
//! - `type_prefix`: prepended to the event type, e.g. `com.example.` gives
//!   `com.example.github.push`.
//! - `extensions`: extra context attributes. Names follow the spec: 1-20
//!   lowercase ASCII letters or digits, not a name the spec reserves
//!   (`id`, `source`, `data`, …). Values are strings, booleans or integers
//!   in the signed 32-bit range (the CloudEvents type system).
//!
//! Spec: <https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md>
//! and the JSON format, <https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md>.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

/// The content type of a structured-mode JSON CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json; charset=utf-8";

/// Attribute names the spec and its JSON format define; extensions may not use them.
pub const RESERVED: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "dataschema",
    "subject",
    "time",
    "data",
    "data_base64",
];

/// The longest extension name the spec recommends.
pub const MAX_NAME_LEN: usize = 20;

/// Longest `source` or `type_prefix` accepted.
pub const MAX_ATTRIBUTE_LEN: usize = 2048;

/// The CloudEvents transformer.
pub struct CloudEvents;

/// Rule configuration, as written: types are checked while deserializing
/// (errors name the field); [`CloudEventsConfig::check`] validates the
/// values.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudEventsConfig {
    /// Replaces the event's `source`.
    pub source: Option<String>,
    /// Prepended to the event type.
    pub type_prefix: Option<String>,
    /// Extra context attributes.
    pub extensions: Option<BTreeMap<String, Value>>,
}

/// A checked configuration.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Settings {
    /// Replacement source.
    pub source: Option<String>,
    /// Type prefix (may be empty).
    pub type_prefix: String,
    /// Extension attributes by name, in name order.
    pub extensions: BTreeMap<String, Value>,
}

fn invalid(message: String) -> TransformError {
    TransformError::InvalidConfig(message)
}

/// True for characters the CloudEvents `String` type does not allow:
/// controls, surrogates (impossible in Rust strings) and noncharacters.
fn disallowed(c: char) -> bool {
    let n = c as u32;
    c.is_control() || (0xFDD0..=0xFDEF).contains(&n) || (n & 0xFFFE) == 0xFFFE
}

/// A string attribute: no whitespace (for URI-like values), no disallowed characters.
fn attribute(name: &str, value: Option<String>, allow_empty: bool) -> Result<Option<String>, TransformError> {
    let Some(text) = value else {
        return Ok(None);
    };
    if text.is_empty() && !allow_empty {
        return Err(invalid(format!("`{name}` must not be empty")));
    }
    if text.len() > MAX_ATTRIBUTE_LEN {
        return Err(invalid(format!(
            "`{name}` is longer than {MAX_ATTRIBUTE_LEN} bytes"
        )));
    }
    if text.chars().any(|c| c.is_whitespace() || disallowed(c)) {
        return Err(invalid(format!(
            "`{name}` must not contain whitespace or control characters: `{}`",
            text.escape_debug()
        )));
    }
    Ok(Some(text))
}

/// Checks one extension attribute's name and value.
fn extension(name: &str, value: &Value) -> Result<(), TransformError> {
    let valid_name = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid_name {
        return Err(invalid(format!(
            "`extensions`: `{}` is not a CloudEvents attribute name: use 1 to {MAX_NAME_LEN} lowercase letters a-z or digits 0-9",
            name.escape_debug()
        )));
    }
    if RESERVED.contains(&name) {
        return Err(invalid(format!(
            "`extensions`: `{name}` is a CloudEvents context attribute, not an extension"
        )));
    }
    let valid_value = match value {
        Value::String(text) => !text.chars().any(disallowed),
        Value::Bool(_) => true,
        Value::Number(number) => number.as_i64().and_then(|n| i32::try_from(n).ok()).is_some(),
        _ => false,
    };
    if !valid_value {
        return Err(invalid(format!(
            "`extensions.{name}`: {value} is not a CloudEvents value: use a string (without control characters), a boolean or an integer from -2147483648 to 2147483647"
        )));
    }
    Ok(())
}

impl CloudEventsConfig {
    /// Validates every field, naming the first bad one.
    pub fn check(self) -> Result<Settings, TransformError> {
        let source = attribute("source", self.source, false)?;
        let type_prefix = attribute("type_prefix", self.type_prefix, true)?.unwrap_or_default();
        let extensions = self.extensions.unwrap_or_default();
        for (name, value) in &extensions {
            extension(name, value)?;
        }
        Ok(Settings {
            source,
            type_prefix,
            extensions,
        })
    }
}

impl Transformer for CloudEvents {
    type Config = CloudEventsConfig;

    fn transform(event: &Event, config: CloudEventsConfig) -> Result<Outgoing, TransformError> {
        let settings = config.check()?;
        let body = envelope(event, &settings)?;
        Ok(Outgoing::new(body, CONTENT_TYPE))
    }
}

weir_sdk::export_transformer!(CloudEvents);

/// The structured-mode JSON text, attributes in the spec's order, then
/// extensions by name, then the data verbatim.
pub fn envelope(event: &Event, settings: &Settings) -> Result<String, TransformError> {
    serde_json::from_str::<IgnoredAny>(&event.data).map_err(|error| {
        TransformError::Failed(format!("`{}` data is not JSON: {error}", event.event_type))
    })?;
    if event.id.is_empty() {
        return Err(TransformError::Failed("the event has an empty id".to_owned()));
    }
    let source = settings.source.as_deref().unwrap_or(&event.source);
    let mut members: Vec<(&str, Value)> = vec![
        ("specversion", Value::from("1.0")),
        ("id", Value::from(event.id.as_str())),
        ("source", Value::from(source)),
        (
            "type",
            Value::from(format!("{}{}", settings.type_prefix, event.event_type)),
        ),
    ];
    if let Some(subject) = event.subject.as_deref().filter(|s| !s.is_empty()) {
        members.push(("subject", Value::from(subject)));
    }
    members.push(("time", Value::from(event.time.as_str())));
    members.push(("datacontenttype", Value::from("application/json")));
    members.extend(settings.extensions.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mut text = String::from("{");
    for (name, value) in members {
        text.push_str(&format!("{}:{value},", Value::from(name)));
    }
    text.push_str("\"data\":");
    text.push_str(event.data.trim());
    text.push('}');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(subject: Option<&str>, data: &str) -> Event {
        Event {
            subject: subject.map(str::to_owned),
            ..weir_sdk::testing::event("github.push", data)
        }
    }

    /// Deserializes (as the export macro does) and checks.
    fn settings(config: Value) -> Result<Settings, TransformError> {
        weir_sdk::config::from_value::<CloudEventsConfig>(config)
            .map_err(TransformError::InvalidConfig)?
            .check()
    }

    fn invalid_message(config: Value) -> String {
        match settings(config) {
            Err(TransformError::InvalidConfig(message)) => message,
            other => panic!("expected invalid-config, got {other:?}"),
        }
    }

    #[test]
    fn the_envelope_keeps_the_data_verbatim() {
        let data = "{\"big\": 12345678901234567890, \"z\": 1, \"a\": 1.50}";
        let text = envelope(&event(Some("refs/heads/main"), data), &Settings::default()).expect("ok");
        assert_eq!(
            text,
            "{\"specversion\":\"1.0\",\"id\":\"evt_1\",\"source\":\"/triggers/trg_1\",\"type\":\"github.push\",\
             \"subject\":\"refs/heads/main\",\"time\":\"2026-11-23T10:00:00.000Z\",\
             \"datacontenttype\":\"application/json\",\"data\":{\"big\": 12345678901234567890, \"z\": 1, \"a\": 1.50}}"
        );
        assert!(serde_json::from_str::<Value>(&text).is_ok());
    }

    #[test]
    fn config_overrides_and_extensions() {
        let settings = settings(json!({
            "source": "https://weir.example.com/github", "type_prefix": "com.example.",
            "extensions": {"tenant": "acme", "priority": 5, "replay": false}
        }))
        .expect("valid");
        let out = CloudEvents::transform(
            &event(None, "[1]"),
            serde_json::from_value(json!({"source": "https://weir.example.com/github"})).expect("config"),
        )
        .expect("ok");
        assert_eq!(out.content_type, CONTENT_TYPE);
        let body: Value =
            serde_json::from_str(&envelope(&event(None, "[1]"), &settings).expect("ok")).expect("json");
        assert_eq!(body["type"], "com.example.github.push");
        assert_eq!(body["source"], "https://weir.example.com/github");
        assert_eq!(
            (body["tenant"].clone(), body["priority"].clone()),
            (json!("acme"), json!(5))
        );
        assert!(body.get("subject").is_none());
    }

    #[test]
    fn extension_names_follow_the_spec() {
        assert!(invalid_message(json!({"extensions": {"Tenant": "x"}})).contains("`Tenant`"));
        assert!(invalid_message(json!({"extensions": {"tenant_id": "x"}})).contains("`tenant_id`"));
        assert!(invalid_message(json!({"extensions": {"abcdefghijklmnopqrstu": 1}})).contains("1 to 20"));
        assert!(invalid_message(json!({"extensions": {"": 1}})).contains("``"));
        assert!(
            invalid_message(json!({"extensions": {"time": "x"}}))
                .contains("`time` is a CloudEvents context attribute")
        );
        assert!(invalid_message(json!({"extensions": {"data": "x"}})).contains("`data`"));
        assert!(settings(json!({"extensions": {"abcdefghijklmnopqrst": 1, "traceparent": "00-ab"}})).is_ok());
    }

    #[test]
    fn extension_values_follow_the_type_system() {
        for bad in [
            json!({"a": 1}),
            json!([1]),
            json!(null),
            json!(1.5),
            json!(4_294_967_296_i64),
            json!("a\u{0}"),
        ] {
            let message = invalid_message(json!({"extensions": {"tenant": bad}}));
            assert!(message.contains("`extensions.tenant`"), "{message}");
        }
        assert!(settings(json!({"extensions": {"n": -2_147_483_648_i64, "b": true}})).is_ok());
    }

    #[test]
    fn source_and_prefix_are_checked() {
        assert!(invalid_message(json!({"source": ""})).contains("`source`"));
        assert!(invalid_message(json!({"source": "has space"})).contains("`source`"));
        assert!(invalid_message(json!({"source": 5})).contains("at `source`"));
        assert!(invalid_message(json!({"type_prefix": "com.\nexample."})).contains("`type_prefix`"));
        assert!(invalid_message(json!({"extensions": ["a"]})).contains("at `extensions`"));
        assert_eq!(settings(json!({"type_prefix": ""})).expect("ok").type_prefix, "");
    }

    #[test]
    fn non_json_data_fails() {
        assert!(matches!(
            envelope(&event(None, "not json"), &Settings::default()),
            Err(TransformError::Failed(_))
        ));
    }
}
