//! `/api/v1/tenants`: instance administrators create and list tenants;
//! tenant tokens see their own tenant only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiPath, not_found, parse_id};
use super::{ApiJson, Caller, ListResponse};
use crate::error::ApiError;
use crate::ids::TenantId;
use crate::model::{Tenant, TenantLimits};
use crate::server::AppState;
use crate::time::now_ms;

/// The tenants router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read))
}

/// Body of `POST /api/v1/tenants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Display name.
    pub name: String,
    /// Inbound limits; absent means the instance defaults.
    #[serde(default)]
    pub limits: TenantLimits,
}

/// `POST /api/v1/tenants` (instance administrators).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = CreateTenant, responses((status = 201, description = "the tenant", body = Tenant), (status = 422, description = "invalid tenant", body = crate::api::openapi::ApiErrorBody)))]
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    caller.require_instance_admin()?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    if body
        .limits
        .rate_per_second
        .is_some_and(|r| !crate::ratelimit::is_settable(r))
    {
        return Err(ApiError::invalid(
            "invalid_limits",
            "`limits.rate_per_second` must be from 1/86400 (one a day) to 1000000000",
        ));
    }
    let tenant = Tenant {
        id: TenantId::generate(),
        name: name.to_owned(),
        limits: body.limits,
        created_at_ms: now_ms(),
    };
    app.store.put_tenant(&tenant)?;
    app.catalog.reload_tenants()?;
    app.audit(
        &caller,
        crate::model::AuditAction::Create,
        "tenant",
        tenant.id,
        None,
        crate::audit::snap(&tenant),
    );
    tracing::info!(tenant = %tenant.id, "tenant created");
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// `GET /api/v1/tenants`: all of them for instance administrators, else
/// the caller's own.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", responses((status = 200, description = "the tenants the caller sees", body = ListResponse<Tenant>)))]
async fn list(State(app): State<AppState>, caller: Caller) -> Result<Json<ListResponse<Tenant>>, ApiError> {
    let data = app
        .store
        .tenants()?
        .into_iter()
        .filter(|t| caller.sees(t.id))
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `GET /api/v1/tenants/{id}`.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants", params(("id" = String, Path, description = "the tenant id")), responses((status = 200, description = "the tenant", body = Tenant), (status = 404, description = "no such tenant", body = crate::api::openapi::ApiErrorBody)))]
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Tenant>, ApiError> {
    let id: TenantId = parse_id(&id, "tenant")?;
    let tenant = app
        .store
        .tenant(id)?
        .filter(|t| caller.sees(t.id))
        .ok_or_else(|| not_found("tenant", id))?;
    Ok(Json(tenant))
}
