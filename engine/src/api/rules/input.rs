//! Request bodies of `/api/v1/rules` and the checks a rule passes before
//! it is saved: conditions compiled (422 naming the bad path or operator),
//! destination and triggers the tenant's own, transformer loaded and its
//! configuration valid against the transformer's schema.

use serde::Deserialize;
use serde_json::Value;

use crate::api::extract::{check_component_config, double_option};
use crate::error::ApiError;
use crate::ids::{DestinationId, TenantId, TriggerId};
use crate::model::{ComponentRef, Rule};
use crate::rules::{Condition, ConditionError, EventTypePattern};
use crate::server::AppState;

/// Longest rule name.
const MAX_NAME: usize = 200;

/// Body of `POST /api/v1/rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    /// The owning tenant; instance administrators only.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Label; defaults to the event types.
    #[serde(default)]
    pub name: Option<String>,
    /// Event type globs, e.g. `["github.push"]`.
    pub event_types: Vec<EventTypePattern>,
    /// Triggers considered; empty or absent means all.
    #[serde(default)]
    pub trigger_ids: Vec<TriggerId>,
    /// Optional condition on the event data (see `rules::condition`).
    #[serde(default)]
    pub condition: Option<Value>,
    /// Where matching events go.
    pub destination_id: DestinationId,
    /// Transformer reference, e.g. `slack`; absent sends the data as is.
    #[serde(default)]
    pub transformer: Option<ComponentRef>,
    /// The transformer's configuration (an object).
    #[serde(default)]
    pub transformer_config: Option<Value>,
    /// Lower fires first; default 0.
    #[serde(default)]
    pub priority: i32,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Body of `PATCH /api/v1/rules/{id}`: fields left out keep their value;
/// `condition` and `transformer` may be `null` to remove them.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRule {
    /// New label.
    pub name: Option<String>,
    /// New event type globs (at least one).
    pub event_types: Option<Vec<EventTypePattern>>,
    /// New trigger list (empty means all).
    pub trigger_ids: Option<Vec<TriggerId>>,
    /// New condition, or `null` to match on type alone.
    #[serde(default, with = "double_option")]
    pub condition: Option<Option<Value>>,
    /// New destination.
    pub destination_id: Option<DestinationId>,
    /// New transformer, or `null` to send the data as is.
    #[serde(default, with = "double_option")]
    pub transformer: Option<Option<ComponentRef>>,
    /// New transformer configuration (replaced as a whole).
    pub transformer_config: Option<Value>,
    /// New priority.
    pub priority: Option<i32>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

impl UpdateRule {
    /// `rule` with this update applied (not yet checked).
    pub fn apply(self, mut rule: Rule) -> Result<Rule, ApiError> {
        if let Some(name) = self.name {
            rule.name = checked_name(&name)?;
        }
        if let Some(event_types) = self.event_types {
            rule.event_types = event_types;
        }
        if let Some(trigger_ids) = self.trigger_ids {
            rule.trigger_ids = trigger_ids;
        }
        if let Some(condition) = self.condition {
            rule.condition = condition.as_ref().map(parse_condition).transpose()?;
        }
        if let Some(destination_id) = self.destination_id {
            rule.destination_id = destination_id;
        }
        if let Some(transformer) = self.transformer {
            // A different transformer does not inherit the old one's
            // configuration unless the update gives it one.
            if transformer != rule.transformer && self.transformer_config.is_none() {
                rule.transformer_config = Value::Object(serde_json::Map::new());
            }
            rule.transformer = transformer;
        }
        if let Some(config) = self.transformer_config {
            rule.transformer_config = config;
        }
        if let Some(priority) = self.priority {
            rule.priority = priority;
        }
        if let Some(enabled) = self.enabled {
            rule.enabled = enabled;
        }
        Ok(rule)
    }
}

/// Parses and compiles a condition; 422 `invalid_condition` naming the bad
/// path or operator.
pub fn parse_condition(json: &Value) -> Result<Condition, ApiError> {
    let compiled = Condition::from_json(json, "condition").and_then(|condition| {
        condition.compile()?;
        Ok(condition)
    });
    compiled.map_err(|error: ConditionError| ApiError::invalid("invalid_condition", error.to_string()))
}

/// A trimmed name of 1 to 200 characters.
pub fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::invalid(
            "invalid_name",
            format!("`name` must be 1 to {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// The default name of a rule: its event types.
pub fn default_name(event_types: &[EventTypePattern]) -> String {
    event_types
        .iter()
        .map(EventTypePattern::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks everything about `rule` that depends on other objects: event
/// types present, destination and triggers of the rule's own tenant
/// (others' answer as if they did not exist), transformer loaded, its
/// configuration valid.
pub fn check_rule(app: &AppState, rule: &Rule) -> Result<(), ApiError> {
    check_event_types(&rule.event_types)?;
    if app
        .store
        .destination(rule.destination_id)?
        .is_none_or(|d| d.tenant_id != rule.tenant_id)
    {
        return Err(ApiError::invalid(
            "unknown_destination",
            format!("no destination `{}`", rule.destination_id),
        ));
    }
    check_triggers(app, rule.tenant_id, &rule.trigger_ids)?;
    check_transformer(app, rule.transformer.as_ref(), &rule.transformer_config)
}

/// At least one event type pattern.
pub fn check_event_types(event_types: &[EventTypePattern]) -> Result<(), ApiError> {
    if event_types.is_empty() {
        return Err(ApiError::invalid(
            "invalid_event_types",
            "`event_types` needs at least one pattern, e.g. [\"github.push\"] or [\"*\"]",
        ));
    }
    Ok(())
}

/// Every trigger exists and belongs to `tenant`.
pub fn check_triggers(app: &AppState, tenant: TenantId, triggers: &[TriggerId]) -> Result<(), ApiError> {
    for trigger in triggers {
        if app.store.trigger(*trigger)?.is_none_or(|t| t.tenant_id != tenant) {
            return Err(ApiError::invalid(
                "unknown_trigger",
                format!("no trigger `{trigger}`"),
            ));
        }
    }
    Ok(())
}

/// The transformer is loaded and `config` fits its schema; without a
/// transformer, `config` must still be an object.
pub fn check_transformer(
    app: &AppState,
    transformer: Option<&ComponentRef>,
    config: &Value,
) -> Result<(), ApiError> {
    let Some(transformer) = transformer else {
        return check_component_config("transformer_config", "passthrough", None, config);
    };
    let Some(loaded) = app.host.registry().transformer(transformer) else {
        return Err(ApiError::invalid(
            "unknown_transformer",
            format!("no loaded pack provides transformer `{transformer}`; see GET /api/v1/packs"),
        ));
    };
    check_component_config(
        "transformer_config",
        &transformer.to_string(),
        loaded.config_schema.as_ref(),
        config,
    )
}
