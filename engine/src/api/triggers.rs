//! `/api/v1/triggers`: create, list and read triggers. Secrets are
//! write-only: responses name them but never show their values.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::extract::{not_found, parse_id};
use super::{ApiJson, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::{TenantId, TriggerId};
use crate::model::{ComponentRef, NamedSecret, Role, Trigger, WebhookKey};
use crate::server::AppState;
use crate::time::{now_ms, rfc3339};

/// The triggers router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triggers", get(list).post(create))
        .route("/api/v1/triggers/{id}", get(read))
}

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

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A trigger as the API shows it.
#[derive(Debug, Serialize)]
pub struct TriggerView {
    /// Identifier.
    pub id: TriggerId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Label.
    pub name: String,
    /// Connector reference.
    pub connector: ComponentRef,
    /// Whether it accepts webhooks.
    pub enabled: bool,
    /// The webhook key.
    pub webhook_key: String,
    /// The full URL producers post to.
    pub webhook_url: String,
    /// Names of the configured secrets (values are never shown).
    pub secret_names: Vec<String>,
    /// Connector settings.
    pub config: serde_json::Value,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl TriggerView {
    fn of(trigger: &Trigger, base_url: &str) -> Self {
        Self {
            id: trigger.id,
            tenant_id: trigger.tenant_id,
            name: trigger.name.clone(),
            connector: trigger.connector.clone(),
            enabled: trigger.enabled,
            webhook_key: trigger.webhook_key.as_str().to_owned(),
            webhook_url: format!("{base_url}/api/v1/webhooks/{}", trigger.webhook_key.as_str()),
            secret_names: {
                let mut names: Vec<String> = trigger.secrets.iter().map(|s| s.name.clone()).collect();
                names.dedup();
                names
            },
            config: trigger.config.clone(),
            created_at: rfc3339(trigger.created_at_ms),
        }
    }
}

/// `POST /api/v1/triggers`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTrigger>,
) -> Result<(StatusCode, Json<TriggerView>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    if !body.config.is_object() {
        return Err(ApiError::invalid(
            "invalid_config",
            "`config` must be a JSON object",
        ));
    }
    let connector = app.host.registry().connector(&body.connector).ok_or_else(|| {
        ApiError::invalid(
            "unknown_connector",
            format!(
                "no loaded pack provides connector `{}`; see GET /api/v1/packs",
                body.connector
            ),
        )
    })?;
    let known: Vec<&String> = connector
        .section
        .secrets
        .iter()
        .chain(&connector.section.optional_secrets)
        .collect();
    if let Some(unknown) = body.secrets.keys().find(|name| !known.contains(name)) {
        return Err(ApiError::invalid(
            "unknown_secret",
            format!(
                "connector `{}` takes no secret `{unknown}`; it knows {}",
                body.connector,
                known
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let missing: Vec<&String> = connector
        .section
        .secrets
        .iter()
        .filter(|name| body.secrets.get(*name).is_none_or(SecretValues::is_empty))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid(
            "missing_secret",
            format!(
                "connector `{}` needs secret(s) {}",
                body.connector,
                missing
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let trigger = Trigger {
        id: TriggerId::generate(),
        tenant_id,
        name: name.to_owned(),
        connector: body.connector,
        webhook_key: WebhookKey::generate(),
        enabled: true,
        secrets: body
            .secrets
            .into_iter()
            .flat_map(|(name, values)| {
                values.into_values().into_iter().map(move |value| NamedSecret {
                    name: name.clone(),
                    value,
                })
            })
            .collect(),
        config: body.config,
        created_at_ms: now_ms(),
    };
    app.store.put_trigger(&trigger)?;
    app.catalog.reload_triggers()?;
    tracing::info!(trigger = %trigger.id, connector = %trigger.connector, "trigger created");
    Ok((
        StatusCode::CREATED,
        Json(TriggerView::of(&trigger, &app.public_base_url)),
    ))
}

/// `GET /api/v1/triggers`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Json<ListResponse<TriggerView>>, ApiError> {
    let data = app
        .store
        .triggers()?
        .iter()
        .filter(|t| caller.sees(t.tenant_id))
        .map(|t| TriggerView::of(t, &app.public_base_url))
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `GET /api/v1/triggers/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TriggerView>, ApiError> {
    let id: TriggerId = parse_id(&id, "trigger")?;
    let trigger = app
        .store
        .trigger(id)?
        .filter(|t| caller.sees(t.tenant_id))
        .ok_or_else(|| not_found("trigger", id))?;
    Ok(Json(TriggerView::of(&trigger, &app.public_base_url)))
}
