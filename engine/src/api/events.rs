//! `/api/v1/events`: the event log, newest first, and single events.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::extract::{ApiPath, ApiQuery, not_found, parse_id};
use super::{ApiJson, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::{EventId, TenantId};
use crate::model::{EventDraft, EventMeta, Role, StoredEvent};
use crate::server::AppState;
use crate::store::PendingEvent;
use crate::time::{now_ms, parse_rfc3339, rfc3339};

/// Page size when the client does not ask.
const DEFAULT_LIMIT: usize = 50;
/// Largest page.
const MAX_LIMIT: usize = 500;

/// The events router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(list).post(publish))
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

/// Body of `POST /api/v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishEvent {
    /// Dotted event type, e.g. `invoice.paid`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's data (any JSON).
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
async fn publish(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
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
