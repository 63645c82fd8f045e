//! `/api/v1/triggers/{id}/webhook`: the webhook's URL, state, effective
//! policy and statistics; enable, disable, and regenerate its key (the old
//! key stops working as soon as the answer is sent).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::super::Caller;
use super::super::extract::{ApiPath, not_found};
use super::view::{TriggerView, WebhookInfo};
use super::visible;
use crate::error::ApiError;
use crate::model::{Role, Trigger, WebhookKey};
use crate::server::AppState;
use crate::time::now_ms;

/// The webhook routes of triggers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triggers/{id}/webhook", get(info))
        .route("/api/v1/triggers/{id}/webhook/enable", post(enable))
        .route("/api/v1/triggers/{id}/webhook/disable", post(disable))
        .route("/api/v1/triggers/{id}/webhook/regenerate", post(regenerate))
}

/// `GET /api/v1/triggers/{id}/webhook`.
async fn info(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let trigger = visible(&app, &caller, &id)?;
    let stats = app.store.trigger_stats(trigger.id)?;
    let info = WebhookInfo::of(&trigger, &app.public_base_url, &app.config.ingest, stats);
    // Rendered here because the view borrows the trigger.
    serde_json::to_value(&info)
        .map(Json)
        .map_err(|error| ApiError::internal(&error))
}

/// `POST /api/v1/triggers/{id}/webhook/enable`.
async fn enable(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    change(&app, &caller, &id, "enabled", |t| t.enabled = true)
}

/// `POST /api/v1/triggers/{id}/webhook/disable`: requests answer 403
/// `webhook_disabled` until it is enabled again.
async fn disable(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    change(&app, &caller, &id, "disabled", |t| t.enabled = false)
}

/// `POST /api/v1/triggers/{id}/webhook/regenerate`: a new key; the answer
/// carries it and the new URL.
async fn regenerate(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    let key = WebhookKey::generate();
    change(&app, &caller, &id, "key regenerated", move |t| {
        t.webhook_key = key.clone();
    })
}

/// Applies `apply` to a visible trigger, stores it and reloads the catalog
/// before answering, so the change is in force when the caller hears of it.
fn change(
    app: &AppState,
    caller: &Caller,
    id: &str,
    what: &'static str,
    apply: impl Fn(&mut Trigger),
) -> Result<Json<TriggerView>, ApiError> {
    caller.require(Role::Operator)?;
    let trigger = visible(app, caller, id)?;
    let now = now_ms();
    let updated = app
        .store
        .update_trigger(trigger.id, |t| {
            apply(t);
            t.updated_at_ms = Some(now);
        })?
        .ok_or_else(|| not_found("trigger", trigger.id))?;
    app.catalog.reload_triggers()?;
    tracing::info!(trigger = %updated.id, "webhook {what}");
    Ok(Json(TriggerView::of(&updated, &app.public_base_url)))
}
