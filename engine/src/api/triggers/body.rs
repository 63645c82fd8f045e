//! The bodies of `POST` and `PATCH /api/v1/triggers`, and the checks both
//! share: name, config object, secrets against the connector's
//! declaration, policy within the instance's limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::error::ApiError;
use crate::host::PackRegistry;
use crate::ids::TenantId;
use crate::model::{ComponentRef, NamedSecret, TriggerPolicy};

/// Body of `POST /api/v1/triggers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTrigger {
    /// Label, e.g. `acme/api pushes`.
    pub name: String,
    /// The owning tenant; instance administrators only (others create in
    /// their own tenant). Default: the default tenant.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Connector reference, e.g. `github`.
    pub connector: ComponentRef,
    /// Secret values by the names the connector declares; a list gives
    /// several values under one name (secret rotation: both verify).
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretValues>,
    /// Connector settings (an object).
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    /// Inbound limits; absent fields take the `[ingest]` defaults.
    #[serde(default)]
    pub policy: TriggerPolicy,
}

/// Body of `PATCH /api/v1/triggers/{id}`: every field optional; what is
/// given replaces what was there (`secrets` and `policy` as a whole).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrigger {
    /// New label.
    #[serde(default)]
    pub name: Option<String>,
    /// New secrets, replacing all of the old ones.
    #[serde(default)]
    pub secrets: Option<BTreeMap<String, SecretValues>>,
    /// New connector settings.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// New policy; `null` resets it to the defaults.
    #[serde(default, deserialize_with = "present")]
    pub policy: Option<Option<TriggerPolicy>>,
}

/// One secret value, or several during a rotation.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SecretValues {
    /// `"value"`.
    One(String),
    /// `["new", "old"]`.
    Many(Vec<String>),
}

impl SecretValues {
    fn into_values(self) -> Vec<String> {
        match self {
            Self::One(value) => vec![value],
            Self::Many(values) => values,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::One(value) => value.is_empty(),
            Self::Many(values) => values.iter().all(String::is_empty),
        }
    }
}

/// Distinguishes a field given as `null` (`Some(None)`) from one left out
/// (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A trimmed name of 1 to 200 characters.
pub fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Refuses a `config` that is not an object.
pub fn check_config(config: &serde_json::Value) -> Result<(), ApiError> {
    if config.is_object() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_config",
            "`config` must be a JSON object",
        ))
    }
}

/// Refuses a policy outside the instance's limits.
pub fn check_policy(policy: &TriggerPolicy, max_body_cap: usize) -> Result<(), ApiError> {
    policy
        .validate(max_body_cap)
        .map_err(|error| ApiError::invalid("invalid_policy", error.to_string()))
}

/// Checks `secrets` against what `connector` declares (no unknown name,
/// every required one given) and flattens them for storage.
pub fn checked_secrets(
    registry: &PackRegistry,
    connector: &ComponentRef,
    secrets: BTreeMap<String, SecretValues>,
) -> Result<Vec<NamedSecret>, ApiError> {
    let loaded = registry.connector(connector).ok_or_else(|| {
        ApiError::invalid(
            "unknown_connector",
            format!("no loaded pack provides connector `{connector}`; see GET /api/v1/packs"),
        )
    })?;
    let section = &loaded.section;
    let known: Vec<&String> = section.secrets.iter().chain(&section.optional_secrets).collect();
    if let Some(unknown) = secrets.keys().find(|name| !known.contains(name)) {
        return Err(ApiError::invalid(
            "unknown_secret",
            format!(
                "connector `{connector}` takes no secret `{unknown}`; it knows {}",
                quoted(known.iter().copied())
            ),
        ));
    }
    let missing: Vec<&String> = section
        .secrets
        .iter()
        .filter(|name| secrets.get(*name).is_none_or(SecretValues::is_empty))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid(
            "missing_secret",
            format!(
                "connector `{connector}` needs secret(s) {}",
                quoted(missing.into_iter())
            ),
        ));
    }
    Ok(secrets
        .into_iter()
        .flat_map(|(name, values)| {
            values.into_values().into_iter().map(move |value| NamedSecret {
                name: name.clone(),
                value,
            })
        })
        .collect())
}

fn quoted<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_null_from_absent() {
        let absent: UpdateTrigger = serde_json::from_str(r#"{"name": "x"}"#).expect("parses");
        assert!(absent.policy.is_none());
        let reset: UpdateTrigger = serde_json::from_str(r#"{"policy": null}"#).expect("parses");
        assert_eq!(reset.policy, Some(None));
        let set: UpdateTrigger = serde_json::from_str(r#"{"policy": {"burst": 3}}"#).expect("parses");
        assert_eq!(set.policy.flatten().and_then(|p| p.burst), Some(3));
        assert!(serde_json::from_str::<UpdateTrigger>(r#"{"enabled": false}"#).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(checked_name("  a  ").ok().as_deref(), Some("a"));
        assert!(checked_name(" ").is_err());
        assert!(checked_name(&"é".repeat(200)).is_ok());
        assert!(checked_name(&"é".repeat(201)).is_err());
    }
}
