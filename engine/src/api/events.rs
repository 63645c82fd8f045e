//! `/api/v1/events`: the event log, newest first, and single events.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiPath, ApiQuery, Page, Pagination, not_found, parse_id};
use super::{ApiJson, Caller};
use crate::error::ApiError;
use crate::ids::{EventId, TenantId};
use crate::model::{EventDraft, EventMeta, Role, StoredEvent};
use crate::server::AppState;
use crate::store::PendingEvent;
use crate::time::{now_ms, parse_rfc3339, rfc3339};

/// Event types only Weir itself publishes (operational events such as a
/// destination disabled); a published event may not pose as one.
const RESERVED_TYPE_PREFIX: &str = "weir.";

/// The events router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, publish))
        .routes(routes!(read))
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvents {
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Events older than this id (same as `cursor`; kept for clients that
    /// page by the last id they saw).
    #[param(value_type = Option<String>)]
    pub before: Option<EventId>,
}

/// `GET /api/v1/events`.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListEvents), responses((status = 200, description = "events, newest first", body = Page<StoredEvent>)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListEvents>,
) -> Result<Json<Page<StoredEvent>>, ApiError> {
    let page = Pagination::new(query.limit, query.cursor)?;
    let before = page.cursor_as::<EventId>()?.or(query.before);
    let events = app
        .store
        .events_before(before, page.limit.saturating_add(1), |event| {
            caller.sees(event.tenant_id())
        })?;
    Ok(Json(Page::of(events, page.limit, |event| event.id.to_string())))
}

/// `GET /api/v1/events/{id}`.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "the event id")), responses((status = 200, description = "the event", body = StoredEvent), (status = 404, description = "no such event", body = crate::api::openapi::ApiErrorBody)))]
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StoredEvent>, ApiError> {
    Ok(Json(visible(&app, &caller, &id)?))
}

/// The event `id` if the caller may see it, else 404.
pub fn visible(app: &AppState, caller: &Caller, id: &str) -> Result<StoredEvent, ApiError> {
    let id: EventId = parse_id(id, "event")?;
    app.store
        .event(id)?
        .filter(|e| caller.sees(e.tenant_id()))
        .ok_or_else(|| not_found("event", id))
}

/// Body of `POST /api/v1/events`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishEvent {
    /// Dotted event type, e.g. `invoice.paid`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's data (any JSON).
    #[schema(value_type = serde_json::Value)]
    pub data: Box<RawValue>,
    /// What the event is about, e.g. an invoice id.
    #[serde(default)]
    pub subject: Option<String>,
    /// When it happened (RFC 3339); default: now.
    #[serde(default)]
    pub time: Option<String>,
    /// CloudEvents `source`; default `/api/v1/events`.
    #[serde(default)]
    pub source: Option<String>,
    /// The owning tenant; instance administrators only.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

/// `POST /api/v1/events`: an application publishes its own event for
/// fan-out to the destinations its rules name. With an `Idempotency-Key`
/// header, a repeat is answered `200 duplicate` with the original event
/// (keys are unique per tenant for the dedupe retention period).
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = PublishEvent, params(("Idempotency-Key" = Option<String>, Header, description = "publishing again with the same key stores nothing new")), responses((status = 202, description = "stored; `event_ids` holds the new id", body = Object), (status = 200, description = "a duplicate of an earlier event with this idempotency key", body = Object), (status = 422, description = "invalid event", body = crate::api::openapi::ApiErrorBody)))]
async fn publish(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request_id: Option<axum::Extension<crate::server::RequestId>>,
    ApiJson(body): ApiJson<PublishEvent>,
) -> Result<Response, ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    if !crate::ingest::is_valid_event_type(&body.event_type) {
        return Err(ApiError::invalid(
            "invalid_event_type",
            "`type` must be 1 to 200 of letters, digits, `.`, `_`, `-`, `:`, `/`",
        ));
    }
    if body.event_type.starts_with(RESERVED_TYPE_PREFIX) {
        return Err(ApiError::invalid(
            "reserved_event_type",
            format!(
                "types starting with `{RESERVED_TYPE_PREFIX}` are Weir's own operational events (e.g. `{}`) and cannot be published",
                crate::delivery::health::DESTINATION_DISABLED
            ),
        ));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 512)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_idempotency_key",
                        "`Idempotency-Key` must be 1 to 512 visible ASCII characters",
                    )
                })?;
            key.to_owned()
        }
        None => format!("generated:{}", ulid::Ulid::new()),
    };
    let now = now_ms();
    let time = match &body.time {
        Some(time) if parse_rfc3339(time).is_some() => time.clone(),
        Some(time) => {
            return Err(ApiError::invalid(
                "invalid_time",
                format!("`time` `{time}` is not RFC 3339"),
            ));
        }
        None => rfc3339(now),
    };
    let source = body.source.clone().unwrap_or_else(|| "/api/v1/events".to_owned());
    if source.is_empty() || source.len() > 1024 {
        return Err(ApiError::invalid(
            "invalid_source",
            "`source` must be 1 to 1024 characters",
        ));
    }
    let draft = EventDraft {
        source,
        event_type: body.event_type,
        subject: body.subject,
        time,
        data: body.data,
        weir: EventMeta {
            tenant_id,
            trigger_id: None,
            idempotency_key: idempotency_key.clone(),
            received_at_ms: now,
            client_address: None,
            user_agent: headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            headers: Default::default(),
            request_id: request_id.map(|axum::Extension(id)| id.0),
        },
    };
    let record = serde_json::to_vec(&draft).map_err(|error| ApiError::internal(&error))?;
    let outcomes = app
        .committer
        .commit(vec![PendingEvent {
            dedupe_scope: tenant_id.to_bytes(),
            trigger_id: None,
            tenant_id,
            idempotency_key,
            record,
        }])
        .await?;
    crate::ingest::accepted_response(&outcomes)
}
