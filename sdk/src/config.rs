//! Reading a component's JSON configuration with errors that name the
//! field at fault, e.g. ``invalid configuration at `tolerance_secs`:
//! invalid type: string "300", expected u64``.
//!
//! The export macros do this for a typed `Config` before `receive` or
//! `transform` runs. A component that must check something first (a
//! connector refusing the wrong method before it looks at its settings,
//! say) takes `type Config = serde_json::Value` and calls [`from_value`]
//! where it wants.

use serde::de::DeserializeOwned;

/// Deserializes `value`, which must be a JSON object, into `T`; the error
/// names the field, exactly as for a typed `Config`. Map it to the
/// component's error:
///
/// ```ignore
/// let config: StripeConfig = weir_sdk::config::from_value(config).map_err(Rejection::Misconfigured)?;
/// ```
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    let kind = match &value {
        serde_json::Value::Object(_) => {
            return serde_path_to_error::deserialize(value).map_err(|error| describe(&error));
        }
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
    };
    Err(format!(
        "invalid configuration: expected a JSON object, not {kind}"
    ))
}

/// For settings that may be left out but not set to `null` (a plain
/// `Option<T>` reads `null` as left out):
///
/// ```ignore
/// #[serde(default, deserialize_with = "weir_sdk::config::not_null")]
/// idempotency_header: Option<String>,
/// ```
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Parses configuration text (an empty string means `{}`); like
/// [`from_value`], anything but a JSON object is refused, so an array can
/// never pass as a struct's fields in order.
pub(crate) fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("invalid configuration: not JSON: {error}"))?;
    from_value(value)
}

fn describe(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    if path == "." {
        format!("invalid configuration: {}", error.inner())
    } else {
        format!("invalid configuration at `{path}`: {}", error.inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        #[serde(default)]
        retries: u32,
    }

    #[test]
    fn text_that_is_not_an_object_is_refused() {
        assert!(from_text::<Settings>("[]").is_err_and(|e| e.contains("not an array")));
        assert!(from_text::<Settings>("[1]").is_err());
        assert!(from_text::<Settings>("{").is_err_and(|e| e.contains("not JSON")));
        assert_eq!(from_text::<Settings>("").map(|s| s.retries), Ok(0));
        assert!(from_text::<Settings>("{\"retries\": \"x\"}").is_err_and(|e| e.contains("`retries`")));
    }

    #[test]
    fn values_parse_with_errors_naming_the_field() {
        assert_eq!(
            from_value::<Settings>(json!({"retries": 3})).map(|s| s.retries),
            Ok(3)
        );
        assert_eq!(from_value::<Settings>(json!({})).map(|s| s.retries), Ok(0));
        let wrong_type = from_value::<Settings>(json!({"retries": "x"})).expect_err("refused");
        assert!(
            wrong_type.starts_with("invalid configuration at `retries`:"),
            "{wrong_type}"
        );
        let unknown = from_value::<Settings>(json!({"retry": 3})).expect_err("refused");
        assert!(unknown.contains("unknown field `retry`"), "{unknown}");
        for not_an_object in [json!([]), json!(null), json!("{}")] {
            let error = from_value::<Settings>(not_an_object).expect_err("refused");
            assert!(error.contains("expected a JSON object"), "{error}");
        }
    }

    #[test]
    fn not_null_settings_may_be_left_out_but_not_null() {
        #[derive(Debug, serde::Deserialize)]
        struct Optional {
            #[serde(default, deserialize_with = "not_null")]
            header: Option<String>,
        }
        let parse = |value| from_value::<Optional>(value).map(|o| o.header);
        assert_eq!(parse(json!({})), Ok(None));
        assert_eq!(parse(json!({"header": "X-Id"})), Ok(Some("X-Id".to_owned())));
        assert!(parse(json!({"header": null})).is_err_and(|e| e.contains("`header`")));
    }

    #[test]
    fn text_and_values_agree() {
        let error = from_text::<Settings>(r#"{"retries": "x"}"#).expect_err("refused");
        assert!(
            error.starts_with("invalid configuration at `retries`:"),
            "{error}"
        );
        assert!(from_text::<Settings>("  ").is_ok());
    }
}
