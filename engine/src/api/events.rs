//! `/api/v1/events`: the event log, newest first, and single events.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery, not_found, parse_id};
use super::{Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::EventId;
use crate::model::StoredEvent;
use crate::server::AppState;

/// Page size when the client does not ask.
const DEFAULT_LIMIT: usize = 50;
/// Largest page.
const MAX_LIMIT: usize = 500;

/// The events router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(list))
        .route("/api/v1/events/{id}", get(read))
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEvents {
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
    /// Events older than this id (cursor from the previous page's last id).
    pub before: Option<EventId>,
}

/// `GET /api/v1/events`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListEvents>,
) -> Result<Json<ListResponse<StoredEvent>>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    Ok(Json(ListResponse {
        data: app
            .store
            .events_before(query.before, limit, |event| caller.sees(event.tenant_id()))?,
    }))
}

/// `GET /api/v1/events/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StoredEvent>, ApiError> {
    let id: EventId = parse_id(&id, "event")?;
    let event = app
        .store
        .event(id)?
        .filter(|e| caller.sees(e.tenant_id()))
        .ok_or_else(|| not_found("event", id))?;
    Ok(Json(event))
}
