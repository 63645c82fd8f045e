//! What ingest answers: accepted (`202`), duplicate (`200`), a connector's
//! handshake reply, or a rejection mapped to its status.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ApiError;
use crate::host::{Rejection, Reply};
use crate::store::CommitOutcome;

/// Headers a connector's reply may not set: they belong to the HTTP layer.
const RESERVED_REPLY_HEADERS: [&str; 5] = [
    "connection",
    "content-length",
    "transfer-encoding",
    "set-cookie",
    "upgrade",
];

/// The answer for a connector's rejection: an error, except for a
/// notification the connector chose to ignore (`200`).
pub fn rejected(rejection: Rejection) -> Result<Response, ApiError> {
    let error = match rejection {
        Rejection::Unauthorized(reason) => ApiError::unauthorized("signature_invalid", reason),
        Rejection::Stale(reason) => ApiError::unauthorized("timestamp_stale", reason),
        Rejection::Malformed(reason) => ApiError::bad_request("malformed_request", reason),
        Rejection::MethodNotAllowed(reason) => {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", reason)
        }
        Rejection::Misconfigured(reason) => {
            tracing::error!(%reason, "trigger is misconfigured");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "trigger_misconfigured", reason)
        }
        Rejection::Ignored(reason) => {
            return Ok((
                StatusCode::OK,
                Json(json!({"status": "ignored", "reason": reason})),
            )
                .into_response());
        }
    };
    Err(error)
}

/// The answer once events are durable: the connector's reply if it gave
/// one, else `202` with the new event ids, or `200` when every event was a
/// duplicate.
pub fn accepted(reply: Option<Reply>, outcomes: &[CommitOutcome]) -> Result<Response, ApiError> {
    if let Some(reply) = reply {
        return reply_response(reply);
    }
    let stored: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            CommitOutcome::Stored(id) => Some(id.to_string()),
            CommitOutcome::Duplicate(_) => None,
        })
        .collect();
    let duplicates: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            CommitOutcome::Duplicate(id) => Some(id.to_string()),
            CommitOutcome::Stored(_) => None,
        })
        .collect();
    if stored.is_empty() && !duplicates.is_empty() {
        return Ok((
            StatusCode::OK,
            Json(json!({"status": "duplicate", "event_ids": duplicates})),
        )
            .into_response());
    }
    let mut body = json!({"status": "accepted", "event_ids": stored});
    if !duplicates.is_empty() {
        body["duplicate_event_ids"] = json!(duplicates);
    }
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

fn reply_response(reply: Reply) -> Result<Response, ApiError> {
    let Ok(status) = StatusCode::from_u16(reply.status) else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connector_output_invalid",
            format!("connector replied with invalid status {}", reply.status),
        ));
    };
    let mut response = (status, reply.body).into_response();
    for header in reply.headers {
        if RESERVED_REPLY_HEADERS.contains(&header.name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(header.name.as_bytes()),
            HeaderValue::from_str(&header.value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}
