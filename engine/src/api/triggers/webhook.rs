//! `/api/v1/triggers/{id}/webhook`: the webhook's URL, state, effective
//! policy and statistics; enable, disable, and regenerate its key (the old
//! key stops working as soon as the answer is sent).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::Caller;
use super::super::extract::{ApiPath, not_found};
use super::view::{TriggerView, WebhookInfo};
use super::visible;
use crate::error::ApiError;
use crate::model::{Role, Trigger, WebhookKey};
use crate::server::AppState;
use crate::time::now_ms;

/// The webhook routes of triggers.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(info))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(regenerate))
}

/// `GET /api/v1/triggers/{id}/webhook`.
#[utoipa::path(get, path = "/api/v1/triggers/{id}/webhook", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 200, description = "the webhook URL and its statistics", body = Object), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
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
#[utoipa::path(post, path = "/api/v1/triggers/{id}/webhook/enable", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 200, description = "the trigger", body = TriggerView), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
async fn enable(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    change(&app, &caller, &id, "enabled", |t| t.enabled = true)
}

/// `POST /api/v1/triggers/{id}/webhook/disable`: requests answer 403
/// `webhook_disabled` until it is enabled again.
#[utoipa::path(post, path = "/api/v1/triggers/{id}/webhook/disable", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 200, description = "the trigger", body = TriggerView), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
async fn disable(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    change(&app, &caller, &id, "disabled", |t| t.enabled = false)
}

/// `POST /api/v1/triggers/{id}/webhook/regenerate`: a new key; the answer
/// carries it and the new URL.
#[utoipa::path(post, path = "/api/v1/triggers/{id}/webhook/regenerate", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 200, description = "the trigger with its new webhook key (the old one stops working at once)", body = TriggerView), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
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
    let action = match what {
        "enabled" => crate::model::AuditAction::Enable,
        "disabled" => crate::model::AuditAction::Disable,
        _ => crate::model::AuditAction::Regenerate,
    };
    app.audit(
        caller,
        action,
        "trigger",
        updated.id,
        crate::audit::snap(&trigger),
        crate::audit::snap(&updated),
    );
    tracing::info!(trigger = %updated.id, "webhook {what}");
    Ok(Json(TriggerView::of(&updated, &app.public_base_url)))
}
