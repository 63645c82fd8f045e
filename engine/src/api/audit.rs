//! `GET /api/v1/audit`: the audit log of admin mutations, newest first,
//! filtered by resource, actor and time. Administrators only; a tenant's
//! administrator sees that tenant's entries, an instance administrator
//! all of them.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Caller;
use super::extract::{ApiQuery, Page, Pagination};
use crate::error::ApiError;
use crate::ids::AuditId;
use crate::model::{AuditEntry, Role};
use crate::server::AppState;
use crate::store::AuditFilter;
use crate::time::parse_rfc3339;

/// The audit log router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Query of `GET /api/v1/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAudit {
    /// Only this resource type (`trigger`, `destination`, `rule`, `tenant`, `token`, …).
    pub resource_type: Option<String>,
    /// Only this resource id.
    pub resource_id: Option<String>,
    /// Only this actor: a token prefix or `bootstrap`.
    pub actor: Option<String>,
    /// At or after this RFC 3339 time.
    pub since: Option<String>,
    /// At or before this RFC 3339 time.
    pub until: Option<String>,
    /// Page size (1–500, default 50).
    pub limit: Option<usize>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `GET /api/v1/audit`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(ListAudit), responses((status = 200, description = "admin mutations, newest first, secrets redacted", body = Page<AuditEntry>), (status = 400, description = "bad filter", body = crate::api::openapi::ApiErrorBody), (status = 403, description = "administrators only", body = crate::api::openapi::ApiErrorBody)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListAudit>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    caller.require(Role::Admin)?;
    let page = Pagination::new(query.limit, query.cursor)?;
    let before: Option<AuditId> = page.cursor_as()?;
    let filter = AuditFilter {
        tenant_id: caller.tenant,
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        actor: query.actor,
        since_ms: time(query.since.as_deref(), "since")?,
        until_ms: time(query.until.as_deref(), "until")?,
    };
    let (data, next) = app.store.audit_entries(&filter, before, page.limit)?;
    Ok(Json(Page {
        data,
        next_cursor: next.map(|id| id.to_string()),
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
