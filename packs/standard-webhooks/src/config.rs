//! The trigger's connector configuration:
//! `{"tolerance_secs": 300, "type_prefix": "acme.", "default_type": "message"}`.
//!
//! Types and unknown fields are checked while deserializing (errors name
//! the field); [`StandardConfig::validate`] checks what serde cannot.

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::Rejection;
use weir_sdk::verify::Tolerance;

/// Longest `type_prefix` accepted.
const MAX_PREFIX_LEN: usize = 64;

/// Settings of a Standard Webhooks trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardConfig {
    /// How far, in seconds, `webhook-timestamp` may be from the receive
    /// time, before or after: 1 to 86400, default 300 (the spec's
    /// recommendation).
    #[serde(default)]
    pub tolerance_secs: Tolerance,
    /// Put before the payload's `type` to make the event type, e.g.
    /// `acme.`; default empty.
    #[serde(default)]
    pub type_prefix: String,
    /// Used in place of the payload's `type` when it has none (the spec
    /// says payloads should carry one, but does not require it); without
    /// it such payloads are refused as malformed.
    #[serde(default, deserialize_with = "weir_sdk::config::not_null")]
    pub default_type: Option<String>,
}

impl StandardConfig {
    /// Refuses a tolerance out of range and type parts that are not
    /// lowercase letters, digits, `.`, `_` or `-`, naming the field.
    pub fn validate(self) -> Result<Self, Rejection> {
        if let Some(default_type) = &self.default_type {
            type_part("default_type", default_type, false)?;
        }
        self.tolerance_secs.validate()?;
        type_part("type_prefix", &self.type_prefix, true)?;
        Ok(self)
    }
}

/// A `type_prefix` (may be empty) or `default_type` (may not).
fn type_part(field: &str, text: &str, may_be_empty: bool) -> Result<(), Rejection> {
    let valid = (may_be_empty || !text.is_empty())
        && text.len() <= MAX_PREFIX_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(Rejection::Misconfigured(format!(
            "configuration field `{field}` must be a string of at most {MAX_PREFIX_LEN} lowercase letters, digits, `.`, `_` or `-` (e.g. \"acme.\"), not {}",
            Value::from(text)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(config: Value) -> Result<StandardConfig, Rejection> {
        weir_sdk::config::from_value::<StandardConfig>(config)
            .map_err(Rejection::Misconfigured)?
            .validate()
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(parse(json!({})).ok(), Some(StandardConfig::default()));
        assert_eq!(
            parse(json!({"tolerance_secs": 60, "type_prefix": "acme.", "default_type": "message"})).ok(),
            Some(StandardConfig {
                tolerance_secs: Tolerance::from_secs(60),
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
            (json!({"default_type": null}), "`default_type`"),
            (json!({"type_prefix": null}), "`type_prefix`"),
            (json!({"prefix": "acme."}), "`prefix`"),
        ] {
            assert!(
                matches!(parse(config.clone()), Err(Rejection::Misconfigured(reason)) if reason.contains(field)),
                "{config}"
            );
        }
    }
}
