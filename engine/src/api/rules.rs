//! `/api/v1/rules`: create, list and read rules. Conditions are compiled
//! when saved, so a bad path or operator is a 422 naming it, never a
//! surprise at routing time.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::{ApiPath, not_found, parse_id};
use super::{ApiJson, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::{DestinationId, RuleId, TenantId, TriggerId};
use crate::model::{ComponentRef, Role, Rule};
use crate::rules::{Condition, EventTypePattern};
use crate::server::AppState;
use crate::time::now_ms;

/// The rules router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rules", get(list).post(create))
        .route("/api/v1/rules/{id}", get(read))
}

/// Body of `POST /api/v1/rules`.
#[derive(Debug, Deserialize)]
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
    pub condition: Option<serde_json::Value>,
    /// Where matching events go.
    pub destination_id: DestinationId,
    /// Transformer reference, e.g. `slack`; absent sends the data as is.
    #[serde(default)]
    pub transformer: Option<ComponentRef>,
    /// The transformer's configuration (an object).
    #[serde(default)]
    pub transformer_config: Option<serde_json::Value>,
    /// Lower fires first; default 0.
    #[serde(default)]
    pub priority: i32,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `POST /api/v1/rules`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRule>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    if body.event_types.is_empty() {
        return Err(ApiError::invalid(
            "invalid_event_types",
            "`event_types` needs at least one pattern, e.g. [\"github.push\"] or [\"*\"]",
        ));
    }
    let condition = body
        .condition
        .as_ref()
        .map(|json| {
            let condition = Condition::from_json(json, "condition")?;
            condition.compile()?;
            Ok(condition)
        })
        .transpose()
        .map_err(|error: crate::rules::ConditionError| {
            ApiError::invalid("invalid_condition", error.to_string())
        })?;
    // The destination and triggers must be the rule's tenant's own; others
    // are answered as if they did not exist.
    if app
        .store
        .destination(body.destination_id)?
        .is_none_or(|d| d.tenant_id != tenant_id)
    {
        return Err(ApiError::invalid(
            "unknown_destination",
            format!("no destination `{}`", body.destination_id),
        ));
    }
    for trigger in &body.trigger_ids {
        if app
            .store
            .trigger(*trigger)?
            .is_none_or(|t| t.tenant_id != tenant_id)
        {
            return Err(ApiError::invalid(
                "unknown_trigger",
                format!("no trigger `{trigger}`"),
            ));
        }
    }
    if let Some(transformer) = &body.transformer
        && app.host.registry().transformer(transformer).is_none()
    {
        return Err(ApiError::invalid(
            "unknown_transformer",
            format!("no loaded pack provides transformer `{transformer}`; see GET /api/v1/packs"),
        ));
    }
    let transformer_config = body
        .transformer_config
        .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    if !transformer_config.is_object() {
        return Err(ApiError::invalid(
            "invalid_config",
            "`transformer_config` must be a JSON object",
        ));
    }
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            body.event_types
                .iter()
                .map(EventTypePattern::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        });
    let rule = Rule {
        id: RuleId::generate(),
        tenant_id,
        name,
        enabled: body.enabled.unwrap_or(true),
        priority: body.priority,
        trigger_ids: body.trigger_ids,
        event_types: body.event_types,
        condition,
        destination_id: body.destination_id,
        transformer: body.transformer,
        transformer_config,
        created_at_ms: now_ms(),
    };
    app.store.put_rule(&rule)?;
    app.catalog.reload_rules()?;
    tracing::info!(rule = %rule.id, "rule created");
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `GET /api/v1/rules`.
async fn list(State(app): State<AppState>, caller: Caller) -> Result<Json<ListResponse<Rule>>, ApiError> {
    let data = app
        .store
        .rules()?
        .into_iter()
        .filter(|r| caller.sees(r.tenant_id))
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `GET /api/v1/rules/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Rule>, ApiError> {
    let id: RuleId = parse_id(&id, "rule")?;
    let rule = app
        .store
        .rule(id)?
        .filter(|r| caller.sees(r.tenant_id))
        .ok_or_else(|| not_found("rule", id))?;
    Ok(Json(rule))
}
