//! The webhook endpoint's handler: the whole inbound walk in one function.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::value::RawValue;

use super::body::read_limited;
use super::request::{kept_headers, webhook_request};
use super::response;
use crate::error::ApiError;
use crate::host::{CallError, NewEvent, Secret, WebhookRequest};
use crate::model::{EventDraft, EventMeta, Trigger};
use crate::server::AppState;
use crate::store::PendingEvent;
use crate::time::{now_ms, parse_rfc3339, rfc3339};

/// Most events one request may produce.
const MAX_EVENTS_PER_REQUEST: usize = 100;
/// Longest idempotency key accepted from a connector.
const MAX_IDEMPOTENCY_KEY: usize = 512;
/// Longest subject kept.
const MAX_SUBJECT: usize = 1024;

/// `ANY /api/v1/webhooks/{webhook_key}`.
pub async fn receive_webhook(
    State(app): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let received_at_ms = now_ms();
    let trigger = app
        .catalog
        .trigger_by_key(&key)
        .ok_or_else(|| ApiError::not_found("unknown_webhook", "no webhook has this key"))?;
    if !trigger.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "webhook_disabled",
            "this webhook is disabled",
        ));
    }
    let body = read_limited(&headers, body, app.config.ingest.max_body_bytes).await?;
    let request = webhook_request(&method, uri.query(), &headers, body, client, received_at_ms);
    let secrets: Vec<Secret> = trigger
        .secrets
        .iter()
        .map(|s| Secret {
            name: s.name.clone(),
            value: s.value.clone(),
        })
        .collect();
    let config = trigger.config.to_string();
    let answer = app
        .host
        .receive(&trigger.connector, &request, &secrets, &config)
        .await
        .map_err(|error| connector_failure(&trigger, &error))?;
    let receipt = match answer {
        Ok(receipt) => receipt,
        Err(rejection) => {
            tracing::info!(trigger = %trigger.id, ?rejection, "webhook rejected by connector");
            return Ok(response::rejected(rejection));
        }
    };
    let pending = prepare_events(&trigger, &request, receipt.events)?;
    let outcomes = if pending.is_empty() {
        Vec::new()
    } else {
        app.committer.commit(pending).await?
    };
    Ok(response::accepted(receipt.reply, &outcomes))
}

/// A connector that could not run: retryable conditions answer 503 so the
/// provider tries again; a broken pack answers 500 (providers retry those
/// too), with the reason in the log.
fn connector_failure(trigger: &Trigger, error: &CallError) -> ApiError {
    tracing::error!(trigger = %trigger.id, connector = %trigger.connector, %error, "connector call failed");
    match error {
        CallError::Busy => ApiError::unavailable(
            "connector_busy",
            "all connector instances are busy; retry later",
            1,
        ),
        CallError::Quarantined { .. } => ApiError::unavailable(
            "connector_quarantined",
            format!(
                "connector `{}` is quarantined after repeated failures; retry later",
                trigger.connector
            ),
            error.retry_after().map_or(60, |wait| wait.as_secs().max(1)),
        ),
        CallError::NotFound { .. } => ApiError::unavailable(
            "connector_unavailable",
            format!("connector `{}` is not loaded; retry later", trigger.connector),
            30,
        ),
        _ => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connector_failed",
            format!("connector `{}` failed ({})", trigger.connector, error.kind()),
        ),
    }
}

/// Checks what the connector returned and encodes it for the log.
fn prepare_events(
    trigger: &Trigger,
    request: &WebhookRequest,
    events: Vec<NewEvent>,
) -> Result<Vec<PendingEvent>, ApiError> {
    let invalid = |message: String| {
        tracing::error!(trigger = %trigger.id, connector = %trigger.connector, %message, "connector returned an invalid event");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connector_output_invalid",
            format!(
                "connector `{}` returned an invalid event: {message}",
                trigger.connector
            ),
        )
    };
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(invalid(format!(
            "{} events from one request (at most {MAX_EVENTS_PER_REQUEST})",
            events.len()
        )));
    }
    let meta_headers = kept_headers(&request.headers);
    let user_agent = request
        .headers
        .iter()
        .find(|h| h.name == "user-agent")
        .map(|h| h.value.clone());
    events
        .into_iter()
        .map(|event| {
            if !is_valid_event_type(&event.event_type) {
                return Err(invalid(format!("event type `{}` is not valid", event.event_type)));
            }
            if event.idempotency_key.is_empty() || event.idempotency_key.len() > MAX_IDEMPOTENCY_KEY {
                return Err(invalid(format!(
                    "idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} bytes"
                )));
            }
            let data: Box<RawValue> = serde_json::from_str(&event.data)
                .map_err(|error| invalid(format!("data is not JSON: {error}")))?;
            let time = event
                .time
                .as_deref()
                .filter(|time| parse_rfc3339(time).is_some())
                .map_or_else(|| rfc3339(request.received_at_ms), str::to_owned);
            let draft = EventDraft {
                source: format!("/triggers/{}", trigger.id),
                event_type: event.event_type,
                subject: event.subject.map(|mut s| {
                    s.truncate(s.floor_char_boundary(MAX_SUBJECT));
                    s
                }),
                time,
                data,
                weir: EventMeta {
                    tenant_id: trigger.tenant_id,
                    trigger_id: Some(trigger.id),
                    idempotency_key: event.idempotency_key.clone(),
                    received_at_ms: request.received_at_ms,
                    client_address: request.client_address.clone(),
                    user_agent: user_agent.clone(),
                    headers: meta_headers.clone(),
                },
            };
            let record = serde_json::to_vec(&draft).map_err(|error| ApiError::internal(&error))?;
            Ok(PendingEvent {
                dedupe_scope: trigger.id.to_bytes(),
                idempotency_key: event.idempotency_key,
                record,
            })
        })
        .collect()
}

/// Event types: 1–200 of letters, digits, `.`, `_`, `-`, `:`, `/`.
pub fn is_valid_event_type(event_type: &str) -> bool {
    !event_type.is_empty()
        && event_type.len() <= 200
        && event_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:/".contains(&b))
}
