//! The trigger's connector configuration:
//! `{"event_type": "form.submitted", "idempotency_field": "submission_id", "honeypot_field": "website"}`.

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::Rejection;
use weir_sdk::config::not_null;

/// The event type when the configuration names none.
pub const DEFAULT_EVENT_TYPE: &str = "form.submitted";

/// Longest event type or field name accepted.
const MAX_LEN: usize = 128;

/// Settings of a form trigger; every field is optional. Unknown fields and
/// wrong types are refused while deserializing, naming the field;
/// [`FormConfig::validate`] checks the values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormConfig {
    /// The event's type; default `form.submitted`.
    #[serde(default = "default_event_type")]
    pub event_type: String,
    /// The form field whose value is the idempotency key; without it the
    /// key is the SHA-256 hex of the body.
    #[serde(default, deserialize_with = "not_null")]
    pub idempotency_field: Option<String>,
    /// A field hidden from people: a submission filling it in is a bot's
    /// and is ignored.
    #[serde(default, deserialize_with = "not_null")]
    pub honeypot_field: Option<String>,
}

fn default_event_type() -> String {
    DEFAULT_EVENT_TYPE.to_owned()
}

impl Default for FormConfig {
    fn default() -> Self {
        Self {
            event_type: default_event_type(),
            idempotency_field: None,
            honeypot_field: None,
        }
    }
}

impl FormConfig {
    /// Refuses values serde cannot check (lengths, the event type's
    /// characters, empty field names), naming the field.
    pub fn validate(self) -> Result<Self, Rejection> {
        check("event_type", &self.event_type, is_event_type)?;
        if let Some(field) = &self.honeypot_field {
            check("honeypot_field", field, |f| !f.is_empty())?;
        }
        if let Some(field) = &self.idempotency_field {
            check("idempotency_field", field, |f| !f.is_empty())?;
        }
        Ok(self)
    }
}

fn check(field: &str, text: &str, valid: impl Fn(&str) -> bool) -> Result<(), Rejection> {
    if text.len() <= MAX_LEN && valid(text) {
        return Ok(());
    }
    let expected = if field == "event_type" {
        "a dotted lowercase event type such as \"contact.requested\""
    } else {
        "the name of a form field"
    };
    Err(Rejection::Misconfigured(format!(
        "configuration field `{field}` must be {expected} of at most {MAX_LEN} bytes, not {}",
        Value::from(text)
    )))
}

/// Lowercase letters, digits, `.`, `_` and `-`, not starting or ending with `.`.
fn is_event_type(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && !text.ends_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(config: Value) -> Result<FormConfig, Rejection> {
        weir_sdk::config::from_value::<FormConfig>(config)
            .map_err(Rejection::Misconfigured)?
            .validate()
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(parse(json!({})).ok(), Some(FormConfig::default()));
        let config = parse(json!({
            "event_type": "contact.requested", "idempotency_field": "submission_id", "honeypot_field": "website"
        }));
        assert_eq!(
            config.ok(),
            Some(FormConfig {
                event_type: "contact.requested".to_owned(),
                idempotency_field: Some("submission_id".to_owned()),
                honeypot_field: Some("website".to_owned()),
            })
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        for (config, field) in [
            (json!({"event_type": "Form Submitted"}), "`event_type`"),
            (json!({"event_type": ""}), "`event_type`"),
            (json!({"idempotency_field": 7}), "`idempotency_field`"),
            (json!({"honeypot_field": ""}), "`honeypot_field`"),
            (json!({"redirect": "/thanks"}), "`redirect`"),
            (json!({"event_type": null}), "`event_type`"),
            (json!({"honeypot_field": null}), "`honeypot_field`"),
        ] {
            assert!(
                matches!(parse(config.clone()), Err(Rejection::Misconfigured(r)) if r.contains(field)),
                "{config}"
            );
        }
    }
}
