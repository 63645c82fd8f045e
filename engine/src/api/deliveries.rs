//! `/api/v1/deliveries`: deliveries by event, destination and status, each
//! with its attempts.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::extract::{ApiPath, ApiQuery, not_found, parse_id};
use super::{Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::{DeliveryId, DestinationId, EventId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::server::AppState;
use crate::store::DeliveryFilter;

/// Page size when the client does not ask.
const DEFAULT_LIMIT: usize = 50;
/// Largest page.
const MAX_LIMIT: usize = 500;

/// The deliveries router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deliveries", get(list))
        .route("/api/v1/deliveries/{id}", get(read))
}

/// Query of `GET /api/v1/deliveries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveries {
    /// Only this event's deliveries.
    pub event_id: Option<EventId>,
    /// Only deliveries to this destination.
    pub destination_id: Option<DestinationId>,
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
}

/// A delivery with its attempts.
#[derive(Debug, Serialize)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Its attempts, first to last.
    pub attempt_log: Vec<Attempt>,
}

/// `GET /api/v1/deliveries`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListDeliveries>,
) -> Result<Json<ListResponse<Delivery>>, ApiError> {
    let filter = DeliveryFilter {
        tenant_id: caller.tenant,
        event_id: query.event_id,
        destination_id: query.destination_id,
        status: query.status,
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    Ok(Json(ListResponse {
        data: app.store.deliveries(&filter, limit)?,
    }))
}

/// `GET /api/v1/deliveries/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    let id: DeliveryId = parse_id(&id, "delivery")?;
    let delivery = app
        .store
        .delivery(id)?
        .filter(|d| caller.sees(d.tenant_id))
        .ok_or_else(|| not_found("delivery", id))?;
    let attempt_log = app.store.attempts(id)?;
    Ok(Json(DeliveryDetail {
        delivery,
        attempt_log,
    }))
}
