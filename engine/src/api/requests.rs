//! `/api/v1/requests`: the inbound request log, newest first — every
//! request to `/api/v1/webhooks/…`, accepted, duplicate or rejected, with
//! why. Tenant callers see their triggers' requests; requests to unknown
//! keys belong to no tenant and only instance administrators see them.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::Caller;
use super::extract::{ApiQuery, Pagination};
use crate::error::ApiError;
use crate::ids::{RequestId, TriggerId};
use crate::model::{RequestOutcome, RequestRecord};
use crate::server::AppState;
use crate::store::RequestFilter;
use crate::time::parse_rfc3339;

/// The request log router.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/requests", get(list))
}

/// Query of `GET /api/v1/requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRequests {
    /// Only requests to this trigger.
    pub trigger_id: Option<TriggerId>,
    /// `accepted`, `duplicate` or `rejected`.
    pub outcome: Option<RequestOutcome>,
    /// Only requests answered with this status, e.g. `401`.
    pub status: Option<u16>,
    /// Received at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Received at or before this RFC 3339 time.
    pub until: Option<String>,
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page of the request log.
#[derive(Debug, Serialize)]
pub struct RequestLogPage {
    /// Records, newest first.
    pub data: Vec<RequestRecord>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Records the writer had to drop since this Weir started (queue full
    /// or store failing): the log is complete when this is 0.
    pub dropped_since_start: u64,
}

/// `GET /api/v1/requests`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListRequests>,
) -> Result<Json<RequestLogPage>, ApiError> {
    let page = Pagination::new(query.limit, query.cursor)?;
    let before: Option<RequestId> = page.cursor_as()?;
    let filter = RequestFilter {
        tenant_id: caller.tenant,
        include_unknown_keys: caller.is_instance_admin(),
        trigger_id: query.trigger_id,
        outcome: query.outcome,
        status: query.status,
        since_ms: time(query.since.as_deref(), "since")?,
        until_ms: time(query.until.as_deref(), "until")?,
    };
    let found = app.store.requests(&filter, before, page.limit)?;
    Ok(Json(RequestLogPage {
        data: found.records,
        next_cursor: found.next_cursor.map(|id| id.to_string()),
        dropped_since_start: app.gateway.request_log.dropped(),
    }))
}

fn time(text: Option<&str>, name: &str) -> Result<Option<u64>, ApiError> {
    text.map(|text| {
        parse_rfc3339(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`{name}` must be an RFC 3339 time like `2026-11-23T10:00:00Z`, not `{text}`"),
            )
        })
    })
    .transpose()
}
