//! `/api/v1/destinations`: create, list, read, change and delete
//! destinations; rotate their signing secret with a grace period; recover
//! their dead deliveries. Signing secrets are shown once (on create and
//! rotate); header values are sealed at rest and never shown.

mod input;
mod view;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{not_found, parse_id};
use super::{ApiJson, ApiJsonOrDefault, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::DestinationId;
use crate::model::{Destination, Role, RotatingSecret, SealedHeader, SigningSecret};
use crate::server::AppState;
use crate::store::DeliveryFilter;
use crate::time::{now_ms, parse_rfc3339};
use input::{CreateDestination, Recover, RotateSecret, UpdateDestination};
pub use view::DestinationView;

/// Default grace period of a rotated-out signing secret.
const DEFAULT_GRACE_SECS: u64 = 24 * 3600;
/// Most deliveries one recover call requeues.
const MAX_RECOVER: usize = 10_000;

/// The destinations router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(rotate_secret))
        .routes(routes!(recover))
}

/// `POST /api/v1/destinations`.
#[utoipa::path(post, path = "/api/v1/destinations", tag = "destinations", request_body = CreateDestination, responses((status = 201, description = "the destination, with its signing secret (shown once)", body = DestinationView), (status = 422, description = "invalid destination", body = crate::api::openapi::ApiErrorBody)))]
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateDestination>,
) -> Result<(StatusCode, Json<DestinationView>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let name = input::check_name(&body.name)?;
    input::check_url(&body.url, body.https_only, &app.address_policy)?;
    input::check_timeout(body.timeout_ms)?;
    input::check_rate_limit(body.rate_limit.as_ref())?;
    input::check_max_in_flight(body.max_in_flight)?;
    let retry_schedule = input::parse_schedule(body.retry_schedule.as_deref())?;
    input::check_ordering(&body.ordering)?;
    input::check_encryption(body.encryption.as_ref())?;
    let headers = seal_headers(&app, &input::check_headers(&body.headers)?);
    let now = now_ms();
    let secret = body.signing_secret.unwrap_or_else(SigningSecret::generate);
    let destination = Destination {
        id: DestinationId::generate(),
        tenant_id,
        name,
        url: body.url,
        signing_secrets: vec![RotatingSecret {
            secret: secret.clone(),
            created_at_ms: now,
            expires_at_ms: None,
        }],
        headers,
        timeout_ms: body.timeout_ms,
        enabled: body.enabled.unwrap_or(true),
        disabled_reason: None,
        https_only: body.https_only,
        rate_limit: body.rate_limit,
        max_in_flight: body.max_in_flight,
        retry_schedule,
        ordering: body.ordering,
        encryption: body.encryption,
        failing_since_ms: None,
        created_at_ms: now,
        updated_at_ms: now,
    };
    app.store.put_destination(&destination)?;
    app.catalog.reload_destinations()?;
    app.audit(
        &caller,
        crate::model::AuditAction::Create,
        "destination",
        destination.id,
        None,
        crate::audit::snap(&destination),
    );
    tracing::info!(destination = %destination.id, "destination created");
    let mut view = DestinationView::of(&destination, now);
    view.signing_secret = Some(secret.expose().to_owned());
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/destinations`.
#[utoipa::path(get, path = "/api/v1/destinations", tag = "destinations", responses((status = 200, description = "every destination the caller sees", body = ListResponse<DestinationView>)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Json<ListResponse<DestinationView>>, ApiError> {
    let now = now_ms();
    let data = app
        .store
        .destinations()?
        .iter()
        .filter(|d| caller.sees(d.tenant_id))
        .map(|d| DestinationView::of(d, now))
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `GET /api/v1/destinations/{id}`.
#[utoipa::path(get, path = "/api/v1/destinations/{id}", tag = "destinations", params(("id" = String, Path, description = "the destination id")), responses((status = 200, description = "the destination", body = DestinationView), (status = 404, description = "no such destination", body = crate::api::openapi::ApiErrorBody)))]
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DestinationView>, ApiError> {
    let destination = visible(&app, &caller, &id)?;
    Ok(Json(DestinationView::of(&destination, now_ms())))
}

/// `PATCH /api/v1/destinations/{id}`.
#[utoipa::path(patch, path = "/api/v1/destinations/{id}", tag = "destinations", params(("id" = String, Path, description = "the destination id")), request_body = UpdateDestination, responses((status = 200, description = "the updated destination", body = DestinationView), (status = 404, description = "no such destination", body = crate::api::openapi::ApiErrorBody), (status = 422, description = "invalid update", body = crate::api::openapi::ApiErrorBody)))]
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateDestination>,
) -> Result<Json<DestinationView>, ApiError> {
    caller.require(Role::Operator)?;
    let current = visible(&app, &caller, &id)?;
    // Validate everything before changing anything.
    let name = body.name.as_deref().map(input::check_name).transpose()?;
    let url = body.url.clone().unwrap_or_else(|| current.url.clone());
    let https_only = body.https_only.unwrap_or(current.https_only);
    input::check_url(&url, https_only, &app.address_policy)?;
    if let Some(timeout) = body.timeout_ms {
        input::check_timeout(timeout)?;
    }
    if let Some(limit) = &body.rate_limit {
        input::check_rate_limit(limit.as_ref())?;
    }
    if let Some(max_in_flight) = body.max_in_flight {
        input::check_max_in_flight(max_in_flight)?;
    }
    let schedule = body
        .retry_schedule
        .as_ref()
        .map(|s| input::parse_schedule(s.as_deref()))
        .transpose()?;
    if let Some(ordering) = &body.ordering {
        input::check_ordering(ordering)?;
    }
    if let Some(encryption) = &body.encryption {
        input::check_encryption(encryption.as_ref())?;
    }
    let headers = body
        .headers
        .as_ref()
        .map(|h| input::check_headers(h).map(|checked| seal_headers(&app, &checked)))
        .transpose()?;
    let now = now_ms();
    let updated = app
        .store
        .update_destination(current.id, |d| {
            if let Some(name) = &name {
                d.name = name.clone();
            }
            d.url = url.clone();
            d.https_only = https_only;
            if let Some(timeout) = body.timeout_ms {
                d.timeout_ms = timeout;
            }
            if let Some(limit) = body.rate_limit {
                d.rate_limit = limit;
            }
            if let Some(max_in_flight) = body.max_in_flight {
                d.max_in_flight = max_in_flight;
            }
            if let Some(schedule) = &schedule {
                d.retry_schedule = schedule.clone();
            }
            if let Some(ordering) = &body.ordering {
                d.ordering = ordering.clone();
            }
            if let Some(encryption) = &body.encryption {
                d.encryption = encryption.clone();
            }
            if let Some(headers) = &headers {
                d.headers = headers.clone();
            }
            if let Some(enabled) = body.enabled {
                d.enabled = enabled;
                if enabled {
                    d.disabled_reason = None;
                    d.failing_since_ms = None;
                }
            }
            d.updated_at_ms = now;
        })?
        .ok_or_else(|| not_found("destination", current.id))?;
    app.catalog.reload_destinations()?;
    app.audit(
        &caller,
        crate::model::AuditAction::Update,
        "destination",
        updated.id,
        crate::audit::snap(&current),
        crate::audit::snap(&updated),
    );
    Ok(Json(DestinationView::of(&updated, now)))
}

/// `DELETE /api/v1/destinations/{id}`: refused while rules still send to it.
#[utoipa::path(delete, path = "/api/v1/destinations/{id}", tag = "destinations", params(("id" = String, Path, description = "the destination id")), responses((status = 204, description = "deleted"), (status = 404, description = "no such destination", body = crate::api::openapi::ApiErrorBody), (status = 409, description = "rules still send to it", body = crate::api::openapi::ApiErrorBody)))]
async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Operator)?;
    let destination = visible(&app, &caller, &id)?;
    let users: Vec<String> = app
        .store
        .rules()?
        .iter()
        .filter(|r| r.destination_id == destination.id)
        .map(|r| r.id.to_string())
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "destination_in_use",
            format!("rules still send to this destination: {}", users.join(", ")),
        ));
    }
    app.store.delete_destination(destination.id)?;
    app.catalog.reload_destinations()?;
    app.audit(
        &caller,
        crate::model::AuditAction::Delete,
        "destination",
        destination.id,
        crate::audit::snap(&destination),
        None,
    );
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/destinations/{id}/rotate-secret`: a new secret signs from
/// now on; the previous one keeps signing (both signatures are sent) for
/// the grace period, so the receiver can switch without losing a message.
#[utoipa::path(post, path = "/api/v1/destinations/{id}/rotate-secret", tag = "destinations", params(("id" = String, Path, description = "the destination id")), request_body(content = RotateSecret, description = "optional"), responses((status = 200, description = "the new secret (shown once) and until when the previous one still signs", body = Object), (status = 404, description = "no such destination", body = crate::api::openapi::ApiErrorBody)))]
async fn rotate_secret(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<RotateSecret>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    let current = visible(&app, &caller, &id)?;
    let grace_secs = body.grace_secs.unwrap_or(DEFAULT_GRACE_SECS).min(30 * 24 * 3600);
    let secret = body.signing_secret.unwrap_or_else(SigningSecret::generate);
    let now = now_ms();
    let previous_expires = now.saturating_add(grace_secs.saturating_mul(1000));
    let updated = app
        .store
        .update_destination(current.id, |d| {
            for old in &mut d.signing_secrets {
                old.expires_at_ms = Some(
                    old.expires_at_ms
                        .unwrap_or(previous_expires)
                        .min(previous_expires),
                );
            }
            d.signing_secrets
                .retain(|s| s.expires_at_ms.is_none_or(|at| at > now));
            d.signing_secrets.insert(
                0,
                RotatingSecret {
                    secret: secret.clone(),
                    created_at_ms: now,
                    expires_at_ms: None,
                },
            );
            d.updated_at_ms = now;
        })?
        .ok_or_else(|| not_found("destination", current.id))?;
    app.catalog.reload_destinations()?;
    app.audit(
        &caller,
        crate::model::AuditAction::Rotate,
        "destination",
        updated.id,
        crate::audit::snap(&current),
        crate::audit::snap(&updated),
    );
    Ok(Json(json!({
        "signing_secret": secret.expose(),
        "previous_secret_expires_at": crate::time::rfc3339(previous_expires),
        "active_secrets": updated.active_secrets(now).len(),
    })))
}

/// `POST /api/v1/destinations/{id}/recover`: requeues the destination's
/// deliveries in the given states (default `dead`) created in the given
/// time range, keeping their `webhook-id`s.
#[utoipa::path(post, path = "/api/v1/destinations/{id}/recover", tag = "replay", params(("id" = String, Path, description = "the destination id")), request_body(content = Recover, description = "optional; default: dead deliveries of any time"), responses((status = 200, description = "how many deliveries were queued again", body = Object), (status = 404, description = "no such destination", body = crate::api::openapi::ApiErrorBody)))]
async fn recover(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<Recover>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    let destination = visible(&app, &caller, &id)?;
    let time = |field: &str, text: &Option<String>| -> Result<Option<u64>, ApiError> {
        text.as_deref()
            .map(|t| {
                parse_rfc3339(t)
                    .ok_or_else(|| ApiError::invalid("invalid_time", format!("`{field}` is not RFC 3339")))
            })
            .transpose()
    };
    let since = time("since", &body.since)?;
    let until = time("until", &body.until)?;
    let statuses = body
        .statuses
        .unwrap_or_else(|| vec![crate::model::DeliveryStatus::Dead]);
    let filter = DeliveryFilter {
        tenant_id: Some(destination.tenant_id),
        destination_id: Some(destination.id),
        ..DeliveryFilter::default()
    };
    let mut requeued = 0;
    for delivery in app.store.deliveries(&filter, usize::MAX)? {
        if requeued >= MAX_RECOVER {
            break;
        }
        let in_range = since.is_none_or(|s| delivery.created_at_ms >= s)
            && until.is_none_or(|u| delivery.created_at_ms < u);
        if in_range && statuses.contains(&delivery.status) && app.store.requeue(delivery.id)?.is_some() {
            requeued += 1;
        }
    }
    app.wake_dispatcher();
    app.audit(
        &caller,
        crate::model::AuditAction::Replay,
        "destination",
        destination.id,
        None,
        Some(json!({"tenant_id": destination.tenant_id, "requeued": requeued})),
    );
    Ok(Json(json!({"requeued": requeued})))
}

/// The destination `id` if the caller may see it, else 404.
fn visible(app: &AppState, caller: &Caller, id: &str) -> Result<Destination, ApiError> {
    let id: DestinationId = parse_id(id, "destination")?;
    app.store
        .destination(id)?
        .filter(|d| caller.sees(d.tenant_id))
        .ok_or_else(|| not_found("destination", id))
}

fn seal_headers(app: &AppState, headers: &[(String, String)]) -> Vec<SealedHeader> {
    headers
        .iter()
        .map(|(name, value)| SealedHeader {
            name: name.clone(),
            sealed_value: app.catalog.secrets().seal(value),
        })
        .collect()
}
