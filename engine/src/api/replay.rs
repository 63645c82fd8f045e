//! Replays: `POST /api/v1/deliveries/{id}/retry` sends one delivery again;
//! `POST /api/v1/events/{id}/reroute` runs the current rules over a stored
//! event again (after a rule was fixed or added) and schedules the
//! deliveries it now calls for. Replays keep the delivery's `webhook-id`
//! (receivers dedupe on it) and carry a fresh timestamp and signature.
//! Destination-wide recovery by time range and status lives with the
//! destinations (`POST /api/v1/destinations/{id}/recover`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiPath, not_found, parse_id};
use super::{ApiJsonOrDefault, Caller};
use crate::audit::snap;
use crate::error::ApiError;
use crate::ids::{DeliveryId, RuleId};
use crate::model::{AuditAction, Delivery, DeliveryStatus, Role};
use crate::server::AppState;
use crate::time::now_ms;

/// The replay router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(retry))
        .routes(routes!(reroute))
}

/// `POST /api/v1/deliveries/{id}/retry`: queues the delivery now with a
/// fresh retry schedule, whatever its state (a delivered one is sent
/// again). 409 `delivery_in_flight` while an attempt is running, 409
/// `destination_deleted` when its destination no longer exists.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "replay", params(("id" = String, Path, description = "the delivery id")), responses((status = 200, description = "the delivery, queued now with the same webhook-id", body = Delivery), (status = 404, description = "no such delivery", body = crate::api::openapi::ApiErrorBody), (status = 409, description = "an attempt is running, or the destination was deleted", body = crate::api::openapi::ApiErrorBody)))]
async fn retry(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Delivery>, ApiError> {
    caller.require(Role::Operator)?;
    let id: DeliveryId = parse_id(&id, "delivery")?;
    let found = app
        .store
        .delivery(id)?
        .filter(|d| caller.sees(d.tenant_id))
        .ok_or_else(|| not_found("delivery", id))?;
    if app.store.destination(found.destination_id)?.is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "destination_deleted",
            format!(
                "delivery `{id}` went to destination `{}`, which was deleted: there is nowhere to send it",
                found.destination_id
            ),
        ));
    }
    let delivery = app.store.requeue(id)?.ok_or_else(|| not_found("delivery", id))?;
    if delivery.status == DeliveryStatus::Sending {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "delivery_in_flight",
            format!("delivery `{id}` is being sent now; retry it once the attempt ends"),
        ));
    }
    app.store.sync()?;
    app.wake_dispatcher();
    app.audit(
        &caller,
        AuditAction::Replay,
        "delivery",
        id,
        None,
        snap(&delivery),
    );
    tracing::info!(delivery = %id, "delivery requeued by replay");
    Ok(Json(delivery))
}

/// Body of `POST /api/v1/events/{id}/reroute`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reroute {
    /// Also send again the deliveries the event already has for rules that
    /// still match (default false: only new matches are scheduled).
    #[serde(default)]
    pub redeliver: bool,
}

/// What a reroute did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rerouted {
    /// Rules that match the event now.
    pub matched_rules: Vec<RuleId>,
    /// Deliveries created for rules the event had none for.
    pub created: Vec<DeliveryId>,
    /// Existing deliveries queued again (`redeliver`).
    pub requeued: Vec<DeliveryId>,
    /// Existing deliveries left alone.
    pub unchanged: Vec<DeliveryId>,
}

/// `POST /api/v1/events/{id}/reroute`.
#[utoipa::path(post, path = "/api/v1/events/{id}/reroute", tag = "replay", params(("id" = String, Path, description = "the event id")), request_body(content = Reroute, description = "optional"), responses((status = 200, description = "the deliveries the current rules call for", body = Rerouted), (status = 404, description = "no such event", body = crate::api::openapi::ApiErrorBody)))]
async fn reroute(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<Reroute>,
) -> Result<Json<Rerouted>, ApiError> {
    caller.require(Role::Operator)?;
    let event = super::events::visible(&app, &caller, &id)?;
    let id = event.id;
    let rules = app.catalog.rules();
    let planned = crate::router::plan(&rules, &app.catalog, &event, now_ms());
    let created = app.store.schedule(None, &planned)?;
    let mut requeued = Vec::new();
    let mut unchanged = Vec::new();
    for delivery in planned.iter().filter(|d| !created.contains(&d.id)) {
        if body.redeliver
            && app
                .store
                .requeue(delivery.id)?
                .is_some_and(|d| d.status != DeliveryStatus::Sending)
        {
            requeued.push(delivery.id);
        } else {
            unchanged.push(delivery.id);
        }
    }
    app.store.sync()?;
    app.wake_dispatcher();
    app.audit(
        &caller,
        AuditAction::Replay,
        "event",
        id,
        None,
        Some(serde_json::json!({"tenant_id": event.tenant_id(), "created": created, "requeued": requeued})),
    );
    tracing::info!(event = %id, created = created.len(), requeued = requeued.len(), "event rerouted");
    Ok(Json(Rerouted {
        matched_rules: planned.iter().map(|d| d.rule_id).collect(),
        created,
        requeued,
        unchanged,
    }))
}
