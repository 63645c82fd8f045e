//! Environment overrides: every key of `weir.toml` can be set as
//! `WEIR_<SECTION>_<KEY>` (`WEIR_INGEST_MAX_BODY_BYTES`), or `WEIR_<KEY>`
//! for top-level keys (`WEIR_LISTEN`). They apply after the file and
//! before command-line flags.
//!
//! A value is read as the key's type: text as is, numbers and booleans
//! parsed, lists either as TOML (`["a", "b"]`) or comma-separated
//! (`a,b`). Errors name the variable. A `WEIR_` variable under a known
//! section that names no key is refused (a typo must not silently do
//! nothing); `WEIR_CONFIG`, `WEIR_ADMIN_TOKEN` and `WEIR_ENCRYPTION_KEY`
//! are read elsewhere.

use std::collections::BTreeMap;

use serde::Deserialize as _;
use toml::{Table, Value};

use super::{Config, ConfigError};

/// The prefix of every variable.
const PREFIX: &str = "WEIR_";
/// Variables with their own meaning, not config keys.
const NOT_KEYS: [&str; 3] = ["WEIR_CONFIG", "WEIR_ADMIN_TOKEN", "WEIR_ENCRYPTION_KEY"];
/// Top-level keys that are absent from the defaults (optional, text).
const OPTIONAL_TOP_LEVEL: [&str; 2] = ["public_url", "encryption_key_file"];
/// Keys of sections that are absent from the defaults (optional, text):
/// `(section, key)`.
const OPTIONAL_IN_SECTIONS: [(&str, &str); 2] = [("delivery", "proxy"), ("telemetry", "otlp_endpoint")];

/// Where a variable goes: `(section, key)`, section `None` at the top.
type Slot = (Option<String>, String);

/// Applies the `WEIR_*` variables among `vars` to `config`.
pub fn apply(
    config: &Config,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table = Table::try_from(config).map_err(|error| ConfigError::Env {
        var: "WEIR_*".to_owned(),
        message: format!("cannot represent the configuration: {error}"),
    })?;
    let slots = slots(&table);
    let sections: Vec<String> = table
        .iter()
        .filter(|(_, value)| value.is_table())
        .map(|(name, _)| format!("{PREFIX}{}_", name.to_ascii_uppercase()))
        .collect();
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX) && !NOT_KEYS.contains(&name.as_str()))
        .collect();
    vars.sort();
    let mut applied = false;
    for (var, raw) in vars {
        let Some((section, key)) = slots.get(&var) else {
            if sections.iter().any(|prefix| var.starts_with(prefix.as_str())) {
                return Err(ConfigError::Env {
                    message: "names no configuration key (see weir.example.toml)".to_owned(),
                    var,
                });
            }
            continue;
        };
        let target = match section {
            Some(section) => match table.get_mut(section).and_then(Value::as_table_mut) {
                Some(inner) => inner,
                None => continue,
            },
            None => &mut table,
        };
        let value = typed(target.get(key), &raw).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message,
        })?;
        target.insert(key.clone(), value);
        // Deserialize now, so an error names this variable.
        Config::deserialize(table.clone()).map_err(|error| ConfigError::Env {
            var: var.clone(),
            message: error.message().to_owned(),
        })?;
        applied = true;
    }
    if !applied {
        return Ok(config.clone());
    }
    let mut updated = Config::deserialize(table).map_err(|error| ConfigError::Env {
        var: "WEIR_*".to_owned(),
        message: error.message().to_owned(),
    })?;
    updated.encryption_key.clone_from(&config.encryption_key);
    updated
        .bootstrap_admin_token
        .clone_from(&config.bootstrap_admin_token);
    Ok(updated)
}

/// Every variable name that sets a key.
fn slots(table: &Table) -> BTreeMap<String, Slot> {
    let mut slots = BTreeMap::new();
    let var = |parts: &[&str]| format!("{PREFIX}{}", parts.join("_").to_ascii_uppercase());
    for (name, value) in table {
        match value.as_table() {
            Some(inner) => {
                for key in inner.keys() {
                    slots.insert(var(&[name, key]), (Some(name.clone()), key.clone()));
                }
            }
            None => {
                slots.insert(var(&[name]), (None, name.clone()));
            }
        }
    }
    for name in OPTIONAL_TOP_LEVEL {
        slots.insert(var(&[name]), (None, name.to_owned()));
    }
    for (section, key) in OPTIONAL_IN_SECTIONS {
        slots.insert(var(&[section, key]), (Some(section.to_owned()), key.to_owned()));
    }
    slots
}

/// `raw` as a value of the type `current` has (text when unknown).
fn typed(current: Option<&Value>, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    match current {
        Some(Value::Integer(_)) => raw
            .parse()
            .map(Value::Integer)
            .map_err(|_| format!("`{raw}` is not a whole number")),
        Some(Value::Float(_)) => raw
            .parse()
            .map(Value::Float)
            .map_err(|_| format!("`{raw}` is not a number")),
        Some(Value::Boolean(_)) => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(Value::Boolean(false)),
            _ => Err(format!("`{raw}` is not `true` or `false`")),
        },
        Some(Value::Array(_)) if raw.starts_with('[') => toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut table| table.remove("v"))
            .ok_or_else(|| format!("`{raw}` is not a TOML list like [\"a\", \"b\"]")),
        Some(Value::Array(_)) => Ok(Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn every_kind_of_key_can_be_set() {
        let config = apply(
            &Config::default(),
            vars(&[
                ("WEIR_INGEST_MAX_BODY_BYTES", "2048"),
                ("WEIR_INGEST_DURABILITY", "flush"),
                ("WEIR_INGEST_ALLOWED_METHODS", "POST, PUT"),
                ("WEIR_DELIVERY_JITTER", "0.5"),
                ("WEIR_DELIVERY_RETRY_SCHEDULE", "[\"1s\", \"2m\"]"),
                ("WEIR_DELIVERY_ALLOW_PRIVATE_NETWORKS", "127.0.0.1/32"),
                ("WEIR_PACKS_COMPILE_CACHE", "false"),
                ("WEIR_PACKS_CALL_TIMEOUT", "2s"),
                ("WEIR_LISTEN", "0.0.0.0:9000"),
                ("WEIR_PUBLIC_URL", "https://hooks.example.com"),
                ("WEIR_LOG_FORMAT", "json"),
                ("WEIR_METRICS_ENABLED", "no"),
                ("WEIR_DELIVERY_PROXY", "http://egress.internal:4750"),
                ("WEIR_TELEMETRY_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                ("WEIR_TELEMETRY_SAMPLE_RATIO", "0.25"),
                ("WEIR_ADMIN_TOKEN", "not a key"),
                ("WEIRD", "ignored"),
                ("WEIR_SOMETHING_ELSE", "ignored: not a section"),
                ("PATH", "/bin"),
            ]),
        )
        .expect("applies");
        assert_eq!(config.ingest.max_body_bytes, 2048);
        assert_eq!(config.ingest.durability, crate::config::Durability::Flush);
        assert_eq!(config.ingest.allowed_methods, ["POST", "PUT"]);
        assert!((config.delivery.jitter - 0.5).abs() < f64::EPSILON);
        assert_eq!(
            config.delivery.retry_schedule,
            [Duration::from_secs(1), Duration::from_secs(120)]
        );
        assert_eq!(config.delivery.allow_private_networks.len(), 1);
        assert!(!config.packs.compile_cache);
        assert_eq!(config.packs.call_timeout, Duration::from_secs(2));
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.public_url.as_deref(), Some("https://hooks.example.com"));
        assert_eq!(config.log.format, crate::config::LogFormat::Json);
        assert!(!config.metrics.enabled);
        assert_eq!(
            config.delivery.proxy.as_deref(),
            Some("http://egress.internal:4750")
        );
        assert_eq!(
            config.telemetry.otlp_endpoint.as_deref(),
            Some("http://127.0.0.1:4318")
        );
        assert!((config.telemetry.sample_ratio - 0.25).abs() < f64::EPSILON);
    }

    #[test]
    fn errors_name_the_variable() {
        for (var, value, needle) in [
            ("WEIR_INGEST_MAX_BODY_BYTES", "lots", "whole number"),
            ("WEIR_INGEST_DURABILITY", "maybe", "maybe"),
            ("WEIR_PACKS_CALL_TIMEOUT", "soon", "soon"),
            ("WEIR_INGEST_MAX_BODY", "1", "names no configuration key"),
            ("WEIR_METRICS_ENABLED", "perhaps", "true"),
            ("WEIR_LISTEN", "nowhere", "socket address"),
        ] {
            let error = apply(&Config::default(), vars(&[(var, value)])).expect_err(var);
            let text = error.to_string();
            assert!(text.contains(var) && text.contains(needle), "{text}");
        }
    }

    #[test]
    fn values_from_the_file_stay_unless_overridden() {
        let mut file = Config::default();
        file.ingest.max_commit_batch = 7;
        file.bootstrap_admin_token = Some("t".to_owned());
        let config = apply(&file, vars(&[("WEIR_INGEST_BURST", "3")])).expect("applies");
        assert_eq!(config.ingest.max_commit_batch, 7);
        assert_eq!(config.ingest.burst, 3);
        assert_eq!(config.bootstrap_admin_token.as_deref(), Some("t"));
    }
}
