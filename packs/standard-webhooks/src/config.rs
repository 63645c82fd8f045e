//! The trigger's connector configuration:
//! `{"tolerance_secs": 300, "type_prefix": "acme.", "default_type": "message"}`.

use serde_json::Value;
use weir_sdk::Rejection;

/// The spec's recommended tolerance: five minutes.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The largest tolerance accepted: one day.
pub const MAX_TOLERANCE_SECS: u64 = 86_400;

/// Longest `type_prefix` accepted.
const MAX_PREFIX_LEN: usize = 64;

/// Settings of a Standard Webhooks trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardConfig {
    /// How far, in seconds, `webhook-timestamp` may be from the receive
    /// time, before or after; default 300.
    pub tolerance_secs: u64,
    /// Put before the payload's `type` to make the event type, e.g.
    /// `acme.`; default empty.
    pub type_prefix: String,
    /// Used in place of the payload's `type` when it has none (the spec
    /// says payloads should carry one, but does not require it); without
    /// it such payloads are refused as malformed.
    pub default_type: Option<String>,
}

impl Default for StandardConfig {
    fn default() -> Self {
        Self {
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
            type_prefix: String::new(),
            default_type: None,
        }
    }
}

impl StandardConfig {
    /// Reads the configuration, refusing unknown fields and bad values with
    /// a `misconfigured` rejection that names the field.
    pub fn from_json(config: &Value) -> Result<Self, Rejection> {
        let object = config.as_object().ok_or_else(|| {
            misconfigured("the standard-webhooks connector's configuration must be a JSON object".to_owned())
        })?;
        let mut parsed = Self::default();
        for (name, value) in object {
            match name.as_str() {
                "tolerance_secs" => parsed.tolerance_secs = tolerance(value)?,
                "type_prefix" => parsed.type_prefix = type_part("type_prefix", value, true)?,
                "default_type" => parsed.default_type = Some(type_part("default_type", value, false)?),
                other => {
                    return Err(misconfigured(format!(
                        "unknown configuration field `{other}`; the standard-webhooks connector takes `tolerance_secs`, `type_prefix` and `default_type`"
                    )));
                }
            }
        }
        Ok(parsed)
    }
}

fn tolerance(value: &Value) -> Result<u64, Rejection> {
    value
        .as_u64()
        .filter(|secs| (1..=MAX_TOLERANCE_SECS).contains(secs))
        .ok_or_else(|| {
            misconfigured(format!(
                "configuration field `tolerance_secs` must be a whole number of seconds from 1 to {MAX_TOLERANCE_SECS}, not {value}"
            ))
        })
}

/// A `type_prefix` (may be empty) or `default_type` (may not).
fn type_part(field: &str, value: &Value, may_be_empty: bool) -> Result<String, Rejection> {
    value
        .as_str()
        .filter(|text| {
            (may_be_empty || !text.is_empty())
                && text.len() <= MAX_PREFIX_LEN
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            misconfigured(format!(
                "configuration field `{field}` must be a string of at most {MAX_PREFIX_LEN} lowercase letters, digits, `.`, `_` or `-` (e.g. \"acme.\"), not {value}"
            ))
        })
}

fn misconfigured(message: String) -> Rejection {
    Rejection::Misconfigured(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            StandardConfig::from_json(&json!({})).ok(),
            Some(StandardConfig::default())
        );
        let config = StandardConfig::from_json(
            &json!({"tolerance_secs": 60, "type_prefix": "acme.", "default_type": "message"}),
        );
        assert_eq!(
            config.ok(),
            Some(StandardConfig {
                tolerance_secs: 60,
                type_prefix: "acme.".to_owned(),
                default_type: Some("message".to_owned()),
            })
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        for (config, field) in [
            (json!({"tolerance_secs": 0}), "`tolerance_secs`"),
            (json!({"tolerance_secs": "60"}), "`tolerance_secs`"),
            (json!({"type_prefix": "Acme "}), "`type_prefix`"),
            (json!({"type_prefix": 5}), "`type_prefix`"),
            (json!({"default_type": ""}), "`default_type`"),
            (json!({"prefix": "acme."}), "`prefix`"),
        ] {
            assert!(
                matches!(
                    StandardConfig::from_json(&config),
                    Err(Rejection::Misconfigured(reason)) if reason.contains(field)
                ),
                "{config}"
            );
        }
    }
}
