//! `/api/v1/deliveries`: deliveries by event, destination and status, each
//! with its attempts.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Caller;
use super::extract::{ApiPath, ApiQuery, Page, Pagination, not_found, parse_id};
use crate::error::ApiError;
use crate::ids::{DeliveryId, DestinationId, EventId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::server::AppState;
use crate::store::DeliveryFilter;
use crate::time::parse_rfc3339;

/// The deliveries router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(read))
}

/// Query of `GET /api/v1/deliveries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Its attempts, first to last.
    pub attempt_log: Vec<Attempt>,
}

/// `GET /api/v1/deliveries`: newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "deliveries", params(ListDeliveries), responses((status = 200, description = "deliveries, newest first", body = Page<Delivery>), (status = 400, description = "bad filter", body = crate::api::openapi::ApiErrorBody)))]
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
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "deliveries", params(("id" = String, Path, description = "the delivery id")), responses((status = 200, description = "the delivery with every attempt", body = DeliveryDetail), (status = 404, description = "no such delivery", body = crate::api::openapi::ApiErrorBody)))]
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
