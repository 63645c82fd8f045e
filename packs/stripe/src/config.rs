//! The trigger's connector configuration: `{"tolerance_secs": 300}`.

use serde_json::Value;
use weir_sdk::Rejection;

/// Stripe's own default tolerance (five minutes), used by all its SDKs.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The largest tolerance accepted: one day. A larger window would make the
/// timestamp check meaningless against replays.
pub const MAX_TOLERANCE_SECS: u64 = 86_400;

/// Settings of a Stripe trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripeConfig {
    /// How far, in seconds, the signed timestamp may be from the receive
    /// time, before or after; default 300.
    pub tolerance_secs: u64,
}

impl Default for StripeConfig {
    fn default() -> Self {
        Self {
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }
}

impl StripeConfig {
    /// Reads the configuration, refusing unknown fields and bad values with
    /// a `misconfigured` rejection that names the field.
    pub fn from_json(config: &Value) -> Result<Self, Rejection> {
        let object = config.as_object().ok_or_else(|| {
            Rejection::Misconfigured("the stripe connector's configuration must be a JSON object".to_owned())
        })?;
        let mut parsed = Self::default();
        for (name, value) in object {
            match name.as_str() {
                "tolerance_secs" => parsed.tolerance_secs = tolerance(value)?,
                other => {
                    return Err(Rejection::Misconfigured(format!(
                        "unknown configuration field `{other}`; the stripe connector takes only `tolerance_secs`"
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
            Rejection::Misconfigured(format!(
                "configuration field `tolerance_secs` must be a whole number of seconds from 1 to {MAX_TOLERANCE_SECS}, not {value}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            StripeConfig::from_json(&json!({})).ok(),
            Some(StripeConfig::default())
        );
        assert_eq!(
            StripeConfig::from_json(&json!({"tolerance_secs": 600}))
                .ok()
                .map(|c| c.tolerance_secs),
            Some(600)
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        for config in [
            json!({"tolerance_secs": "300"}),
            json!({"tolerance_secs": 0}),
            json!({"tolerance_secs": -5}),
            json!({"tolerance_secs": 1.5}),
            json!({"tolerance_secs": 86_401}),
        ] {
            assert!(matches!(
                StripeConfig::from_json(&config),
                Err(Rejection::Misconfigured(reason)) if reason.contains("`tolerance_secs`")
            ));
        }
        assert!(matches!(
            StripeConfig::from_json(&json!({"tolerance": 5})),
            Err(Rejection::Misconfigured(reason)) if reason.contains("`tolerance`")
        ));
        assert!(matches!(
            StripeConfig::from_json(&json!([])),
            Err(Rejection::Misconfigured(_))
        ));
    }
}
