//! Turning what a connector returned into events for the log: checked
//! (type, idempotency key, JSON data), given Weir's metadata, encoded off
//! the committer's thread.

use axum::http::StatusCode;
use serde_json::value::RawValue;

use super::request::kept_headers;
use crate::error::ApiError;
use crate::host::{NewEvent, WebhookRequest};
use crate::model::{EventDraft, EventMeta, Trigger};
use crate::store::PendingEvent;
use crate::time::{parse_rfc3339, rfc3339};

/// Most events one request may produce.
const MAX_EVENTS_PER_REQUEST: usize = 100;
/// Longest idempotency key accepted from a connector.
const MAX_IDEMPOTENCY_KEY: usize = 512;
/// Longest subject kept.
const MAX_SUBJECT: usize = 1024;

/// Checks what the connector returned and encodes it for the log.
pub fn prepare_events(
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
                trigger_id: Some(trigger.id),
                tenant_id: trigger.tenant_id,
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
