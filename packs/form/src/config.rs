//! The trigger's connector configuration:
//! `{"event_type": "form.submitted", "idempotency_field": "submission_id", "honeypot_field": "website"}`.

use serde_json::Value;
use weir_sdk::Rejection;

/// The event type when the configuration names none.
pub const DEFAULT_EVENT_TYPE: &str = "form.submitted";

/// Longest event type or field name accepted.
const MAX_LEN: usize = 128;

/// Settings of a form trigger; every field is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormConfig {
    /// The event's type; default `form.submitted`.
    pub event_type: String,
    /// The form field whose value is the idempotency key; without it the
    /// key is the SHA-256 hex of the body.
    pub idempotency_field: Option<String>,
    /// A field hidden from people: a submission filling it in is a bot's
    /// and is ignored.
    pub honeypot_field: Option<String>,
}

impl Default for FormConfig {
    fn default() -> Self {
        Self {
            event_type: DEFAULT_EVENT_TYPE.to_owned(),
            idempotency_field: None,
            honeypot_field: None,
        }
    }
}

impl FormConfig {
    /// Reads the configuration, refusing unknown fields and bad values with
    /// a `misconfigured` rejection that names the field.
    pub fn from_json(config: &Value) -> Result<Self, Rejection> {
        let object = config.as_object().ok_or_else(|| {
            Rejection::Misconfigured("the form connector's configuration must be a JSON object".to_owned())
        })?;
        let mut parsed = Self::default();
        for (name, value) in object {
            match name.as_str() {
                "event_type" => parsed.event_type = string(name, value, is_event_type)?,
                "idempotency_field" => {
                    parsed.idempotency_field = Some(string(name, value, |f| !f.is_empty())?)
                }
                "honeypot_field" => parsed.honeypot_field = Some(string(name, value, |f| !f.is_empty())?),
                other => {
                    return Err(Rejection::Misconfigured(format!(
                        "unknown configuration field `{other}`; the form connector takes `event_type`, `idempotency_field` and `honeypot_field`"
                    )));
                }
            }
        }
        Ok(parsed)
    }
}

fn string(field: &str, value: &Value, valid: impl Fn(&str) -> bool) -> Result<String, Rejection> {
    value
        .as_str()
        .filter(|text| text.len() <= MAX_LEN && valid(text))
        .map(str::to_owned)
        .ok_or_else(|| {
            let expected = if field == "event_type" {
                "a dotted lowercase event type such as \"contact.requested\""
            } else {
                "the name of a form field"
            };
            Rejection::Misconfigured(format!(
                "configuration field `{field}` must be {expected} of at most {MAX_LEN} bytes, not {value}"
            ))
        })
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

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            FormConfig::from_json(&json!({})).ok(),
            Some(FormConfig::default())
        );
        let config = FormConfig::from_json(&json!({
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
        ] {
            assert!(
                matches!(FormConfig::from_json(&config), Err(Rejection::Misconfigured(r)) if r.contains(field)),
                "{config}"
            );
        }
    }
}
