//! `/api/v1/deliveries`: deliveries by event, destination and status, each
//! with its attempts.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::Caller;
use super::extract::{ApiPath, ApiQuery, Page, Pagination, not_found, parse_id};
use crate::error::ApiError;
use crate::ids::{DeliveryId, DestinationId, EventId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::server::AppState;
use crate::store::DeliveryFilter;
use crate::time::parse_rfc3339;

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
    /// Only deliveries created at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only deliveries created before this time (RFC 3339).
    pub until: Option<String>,
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
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

/// `GET /api/v1/deliveries`: newest first, a page at a time.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListDeliveries>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let page = Pagination::new(query.limit, query.cursor)?;
    let filter = DeliveryFilter {
        tenant_id: caller.tenant,
        event_id: query.event_id,
        destination_id: query.destination_id,
        status: query.status,
        created_since_ms: query_time("since", query.since.as_deref())?,
        created_until_ms: query_time("until", query.until.as_deref())?,
        before: page.cursor_as()?,
    };
    let found = app.store.deliveries(&filter, page.limit.saturating_add(1))?;
    Ok(Json(Page::of(found, page.limit, |d| d.id.to_string())))
}

/// An RFC 3339 time of the query as milliseconds; 400 naming the
/// parameter otherwise.
fn query_time(name: &str, text: Option<&str>) -> Result<Option<u64>, ApiError> {
    text.map(|text| {
        parse_rfc3339(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`{name}` must be an RFC 3339 time, e.g. 2026-11-24T10:00:00Z"),
            )
        })
    })
    .transpose()
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
