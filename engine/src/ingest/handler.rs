//! The webhook endpoint's handler: the whole inbound walk, in the order
//! that costs least for what is refused — key lookup, disabled, client
//! address, method, rate limits (key, tenant, daily quota), body size,
//! connector, commit — with every request's outcome handed to the
//! request log.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::ALLOW;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use super::body::read_limited;
use super::client::client_address;
use super::events::prepare_events;
use super::ledger::Ledger;
use super::policy::{EffectivePolicy, TenantPolicy};
use super::request::webhook_request;
use super::response;
use crate::error::ApiError;
use crate::host::{CallError, Secret};
use crate::ids::EventId;
use crate::model::Trigger;
use crate::server::{AppState, RequestId};
use crate::store::CommitOutcome;
use crate::time::{UnixMillis, now_ms};

/// Where webhook keys start in the path.
const PATH_PREFIX: &str = "/api/v1/webhooks/";

/// `ANY /api/v1/webhooks/{webhook_key}`.
pub async fn receive_webhook(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    body: Body,
) -> Response {
    let started = Instant::now();
    let received_at_ms = now_ms();
    let client = client_address(peer.ip(), &headers, &app.config.ingest.trusted_proxies);
    let mut ledger = Ledger::new(
        &app.gateway.request_log,
        &app.metrics,
        started,
        received_at_ms,
        &method,
        client,
        &headers,
    );
    let inbound = Inbound {
        method: &method,
        uri: &uri,
        headers: &headers,
        client,
        started,
        received_at_ms,
        request_id: request_id.as_ref().map(|Extension(id)| id.0.as_str()),
    };
    let span = ledger.span().clone();
    match walk(&app, &mut ledger, &inbound, body).instrument(span).await {
        Ok(response) => {
            ledger.finish(response.status(), None);
            response
        }
        Err(Refusal { error, allow }) => {
            ledger.finish(error.status, Some(error.code));
            let mut response = error.into_response();
            if let Some(allow) = allow.and_then(|allow| HeaderValue::from_str(&allow).ok()) {
                response.headers_mut().insert(ALLOW, allow);
            }
            response
        }
    }
}

/// What the walk reads of the request.
struct Inbound<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    client: IpAddr,
    started: Instant,
    received_at_ms: UnixMillis,
    request_id: Option<&'a str>,
}

/// A refused request: the error, and for 405 the methods allowed.
struct Refusal {
    error: ApiError,
    allow: Option<String>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Self { error, allow: None }
    }
}

async fn walk(
    app: &AppState,
    ledger: &mut Ledger<'_>,
    inbound: &Inbound<'_>,
    body: Body,
) -> Result<Response, Refusal> {
    let key = inbound
        .uri
        .path()
        .strip_prefix(PATH_PREFIX)
        .filter(|key| !key.contains('/'))
        .unwrap_or_default();
    let trigger = app
        .catalog
        .trigger_by_key(key)
        .ok_or_else(|| ApiError::not_found("unknown_webhook", "no webhook has this key"))?;
    ledger.trigger(&trigger);
    if !trigger.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "webhook_disabled",
            "this webhook is disabled",
        )
        .into());
    }
    let ingest = &app.config.ingest;
    let policy = EffectivePolicy::resolve(&trigger.policy, ingest);
    if !policy.allows_address(inbound.client) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
            format!("requests from {} are not allowed on this webhook", inbound.client),
        )
        .into());
    }
    if !policy.allows_method(inbound.method.as_str()) {
        return Err(Refusal {
            error: ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "this webhook accepts {}, not {}",
                    policy.allowed_methods.join(", "),
                    inbound.method
                ),
            ),
            allow: Some(policy.allowed_methods.join(", ")),
        });
    }
    let gateway = &app.gateway;
    if let Some(rate) = policy.rate {
        gateway
            .key_limits
            .check(trigger.id, rate, inbound.started)
            .map_err(|secs| too_many("rate_limited", "this webhook's rate limit is exceeded", secs))?;
    }
    let tenant = app.catalog.tenant(trigger.tenant_id);
    let tenant_policy = TenantPolicy::resolve(tenant.as_deref().map(|t| &t.limits), ingest);
    if let Some(rate) = tenant_policy.rate {
        gateway
            .tenant_limits
            .check(trigger.tenant_id, rate, inbound.started)
            .map_err(|secs| {
                too_many(
                    "tenant_rate_limited",
                    "the rate limit of this webhook's tenant is exceeded",
                    secs,
                )
            })?;
    }
    let _reservation = match tenant_policy.daily_quota {
        Some(quota) => Some(
            gateway
                .quota
                .reserve(&app.store, trigger.tenant_id, quota, inbound.received_at_ms)
                .map_err(ApiError::from)?
                .map_err(|refused| {
                    too_many(
                        "quota_exceeded",
                        "the daily quota of this webhook's tenant is used up until UTC midnight",
                        refused.retry_after_secs,
                    )
                })?,
        ),
        None => None,
    };
    let body = read_limited(
        inbound.headers,
        body,
        policy.max_body_bytes,
        app.config.http.body_read_timeout,
    )
    .await?;
    ledger.body_read(body.len());
    receive(app, ledger, inbound, &trigger, body)
        .await
        .map_err(|error| {
            // The connector refused the method (e.g. GET on a connector
            // without a handshake): 405 must say what is allowed, which is
            // the policy's other methods.
            let allow = (error.status == StatusCode::METHOD_NOT_ALLOWED).then(|| {
                let others: Vec<&str> = policy
                    .allowed_methods
                    .iter()
                    .map(String::as_str)
                    .filter(|method| *method != inbound.method.as_str())
                    .collect();
                others.join(", ")
            });
            Refusal { error, allow }
        })
}

/// The connector call and the commit.
async fn receive(
    app: &AppState,
    ledger: &mut Ledger<'_>,
    inbound: &Inbound<'_>,
    trigger: &Trigger,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    let request = webhook_request(
        inbound.method,
        inbound.uri.query(),
        inbound.headers,
        body,
        inbound.client,
        inbound.received_at_ms,
    );
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
        .map_err(|error| connector_failure(trigger, &error))?;
    let receipt = match answer {
        Ok(receipt) => receipt,
        Err(rejection) => {
            tracing::info!(trigger = %trigger.id, ?rejection, "webhook rejected by connector");
            return response::rejected(rejection);
        }
    };
    let pending = prepare_events(trigger, &request, receipt.events, inbound.request_id)?;
    let outcomes = if pending.is_empty() {
        Vec::new()
    } else {
        app.committer.commit(pending).await?
    };
    let ids: Vec<EventId> = outcomes
        .iter()
        .map(|outcome| match outcome {
            CommitOutcome::Stored(id) | CommitOutcome::Duplicate(id) => *id,
        })
        .collect();
    let duplicates = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, CommitOutcome::Duplicate(_)))
        .count();
    ledger.events(ids, duplicates);
    response::accepted(receipt.reply, &outcomes)
}

/// 429 with `Retry-After`.
fn too_many(code: &'static str, message: &str, retry_after_secs: u64) -> ApiError {
    ApiError {
        retry_after_secs: Some(retry_after_secs.max(1)),
        ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
    }
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
