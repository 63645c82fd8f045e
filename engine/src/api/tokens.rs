//! `/api/v1/tokens`: mint, list and revoke API tokens. A token is shown
//! once, when minted; afterwards only its visible prefix. Nobody mints a
//! token above their own role or for another tenant.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::extract::{ApiPath, not_found, parse_id};
use super::{ApiJson, Caller, ListResponse, mint_token, token_hash};
use crate::error::ApiError;
use crate::ids::{TenantId, TokenId};
use crate::model::{ApiToken, Role};
use crate::server::AppState;
use crate::time::{now_ms, rfc3339};

/// The tokens router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{id}", delete(revoke))
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Label, e.g. `ci deploys`.
    pub name: String,
    /// `viewer`, `operator` or `admin`; at most the caller's own.
    pub role: Role,
    /// The tenant it acts for. Tenant tokens: their own (the default).
    /// Instance administrators: any tenant, or none for another instance
    /// administrator token.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Lifetime in seconds; absent means it does not expire.
    #[serde(default)]
    pub expires_in_secs: Option<u64>,
}

/// A token as listed (never the secret).
#[derive(Debug, Serialize)]
pub struct TokenView {
    /// Identifier.
    pub id: TokenId,
    /// Label.
    pub name: String,
    /// Its tenant; `null` for instance administrators.
    pub tenant_id: Option<TenantId>,
    /// Its role.
    pub role: Role,
    /// The visible beginning of the token.
    pub prefix: String,
    /// Creation time.
    pub created_at: String,
    /// Expiry, if any.
    pub expires_at: Option<String>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
    /// The token itself: only in the answer to `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenView {
    fn of(token: &ApiToken) -> Self {
        Self {
            id: token.id,
            name: token.name.clone(),
            tenant_id: token.tenant_id,
            role: token.role,
            prefix: token.prefix.clone(),
            created_at: rfc3339(token.created_at_ms),
            expires_at: token.expires_at_ms.map(rfc3339),
            revoked_at: token.revoked_at_ms.map(rfc3339),
            token: None,
        }
    }
}

/// `POST /api/v1/tokens`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<TokenView>), ApiError> {
    caller.require(Role::Operator)?;
    if body.role > caller.role {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "role_too_high",
            "a token cannot be minted with a role above the caller's own",
        ));
    }
    let tenant_id = match (caller.tenant, body.tenant_id) {
        (Some(own), None) => Some(own),
        (Some(own), Some(asked)) if asked == own => Some(own),
        (Some(_), Some(asked)) => return Err(not_found("tenant", asked)),
        (None, asked) => asked,
    };
    if let Some(tenant) = tenant_id
        && app.store.tenant(tenant)?.is_none()
    {
        return Err(not_found("tenant", tenant));
    }
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    let now = now_ms();
    let (secret, prefix) = mint_token();
    let token = ApiToken {
        id: TokenId::generate(),
        name: name.to_owned(),
        tenant_id,
        role: body.role,
        prefix,
        sha256: hex::encode(token_hash(&secret)),
        created_at_ms: now,
        expires_at_ms: body
            .expires_in_secs
            .map(|secs| now.saturating_add(secs.saturating_mul(1000))),
        revoked_at_ms: None,
        created_by: caller.token_id,
    };
    app.store.put_token(&token)?;
    app.catalog.reload_tokens()?;
    tracing::info!(token = %token.id, role = ?token.role, "api token minted");
    let mut view = TokenView::of(&token);
    view.token = Some(secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/tokens`: the tokens of the caller's tenant (all, for
/// instance administrators). Operators and above.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Json<ListResponse<TokenView>>, ApiError> {
    caller.require(Role::Operator)?;
    let data = app
        .store
        .tokens()?
        .iter()
        .filter(|t| caller.tenant.is_none() || t.tenant_id == caller.tenant)
        .map(TokenView::of)
        .collect();
    Ok(Json(ListResponse { data }))
}

/// `DELETE /api/v1/tokens/{id}`: revokes a token at once. Revoking needs a
/// role at least as high as the token's.
async fn revoke(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TokenView>, ApiError> {
    caller.require(Role::Operator)?;
    let id: TokenId = parse_id(&id, "token")?;
    let mut token = app
        .store
        .tokens()?
        .into_iter()
        .find(|t| t.id == id && (caller.tenant.is_none() || t.tenant_id == caller.tenant))
        .ok_or_else(|| not_found("token", id))?;
    if token.role > caller.role {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "role_too_high",
            "a token can only be revoked by a caller with at least its role",
        ));
    }
    if token.revoked_at_ms.is_none() {
        token.revoked_at_ms = Some(now_ms());
        app.store.put_token(&token)?;
        app.catalog.reload_tokens()?;
        tracing::info!(token = %token.id, "api token revoked");
    }
    Ok(Json(TokenView::of(&token)))
}
