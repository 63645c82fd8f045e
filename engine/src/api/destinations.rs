//! `/api/v1/destinations`: create, list and read destinations. The signing
//! secret is shown once, in the answer to its creation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::extract::{ApiPath, not_found, parse_id};
use super::{ApiJson, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::{DestinationId, TenantId};
use crate::model::{Destination, DestinationUrl, Role, SigningSecret};
use crate::server::AppState;
use crate::time::{now_ms, rfc3339};

/// Longest per-destination timeout accepted.
const MAX_TIMEOUT_MS: u64 = 120_000;

/// The destinations router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/destinations", get(list).post(create))
        .route("/api/v1/destinations/{id}", get(read))
}

/// Body of `POST /api/v1/destinations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDestination {
    /// Label.
    pub name: String,
    /// The owning tenant; instance administrators only.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Where deliveries go.
    pub url: DestinationUrl,
    /// A `whsec_…` secret to use instead of a generated one.
    #[serde(default)]
    pub signing_secret: Option<SigningSecret>,
    /// Per-attempt timeout in milliseconds (1 to 120000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// A destination as the API shows it.
#[derive(Debug, Serialize)]
pub struct DestinationView {
    /// Identifier.
    pub id: DestinationId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Label.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Per-attempt timeout override.
    pub timeout_ms: Option<u64>,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// The signing secret; only in the answer to `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

impl DestinationView {
    fn of(destination: &Destination) -> Self {
        Self {
            id: destination.id,
            tenant_id: destination.tenant_id,
            name: destination.name.clone(),
            url: destination.url.to_string(),
            enabled: destination.enabled,
            timeout_ms: destination.timeout_ms,
            created_at: rfc3339(destination.created_at_ms),
            signing_secret: None,
        }
    }
}

/// `POST /api/v1/destinations`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateDestination>,
) -> Result<(StatusCode, Json<DestinationView>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    if body.timeout_ms.is_some_and(|ms| ms == 0 || ms > MAX_TIMEOUT_MS) {
        return Err(ApiError::invalid(
            "invalid_timeout",
            format!("`timeout_ms` must be between 1 and {MAX_TIMEOUT_MS}"),
        ));
    }
    if let Err(refused) = app.address_policy.check_url(body.url.url()) {
        return Err(ApiError::invalid("destination_refused", refused.to_string()));
    }
    let secret = body.signing_secret.unwrap_or_else(SigningSecret::generate);
    let destination = Destination {
        id: DestinationId::generate(),
        tenant_id,
        name: name.to_owned(),
        url: body.url,
        signing_secrets: vec![secret.clone()],
        timeout_ms: body.timeout_ms,
        enabled: true,
        created_at_ms: now_ms(),
    };
    app.store.put_destination(&destination)?;
    tracing::info!(destination = %destination.id, "destination created");
    let mut view = DestinationView::of(&destination);
    view.signing_secret = Some(secret.expose().to_owned());
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/destinations`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Json<ListResponse<DestinationView>>, ApiError> {
    let data = app
        .store
        .destinations()?
        .iter()
        .filter(|d| caller.sees(d.tenant_id))
        .map(DestinationView::of)
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `GET /api/v1/destinations/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DestinationView>, ApiError> {
    let id: DestinationId = parse_id(&id, "destination")?;
    let destination = app
        .store
        .destination(id)?
        .filter(|d| caller.sees(d.tenant_id))
        .ok_or_else(|| not_found("destination", id))?;
    Ok(Json(DestinationView::of(&destination)))
}
