//! Authentication and authorisation for the admin API.
//!
//! Two kinds of bearer token: the bootstrap token (created on first start
//! or given as `WEIR_ADMIN_TOKEN`; an instance administrator), and API
//! tokens minted through `/api/v1/tokens` (`weir_<prefix>_<secret>`, each
//! bound to a tenant and a role, or instance-wide). Only SHA-256 hashes are
//! stored. The middleware turns the token into a [`Caller`]; handlers ask
//! the caller what it may see and do. Another tenant's resources are
//! answered 404, exactly like resources that do not exist.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::ids::{TenantId, TokenId};
use crate::model::{Role, random_alphanumeric};
use crate::server::AppState;
use crate::store::{Store, StoreError};
use crate::time::now_ms;

/// An admin token in clear, as printed once.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh API token: `weir_<8 lowercase alphanumerics>_<40 alphanumerics>`;
/// returns the token and its visible prefix (`weir_<8>`).
pub fn mint_token() -> (String, String) {
    let prefix = format!("weir_{}", random_alphanumeric(8).to_ascii_lowercase());
    let token = format!("{prefix}_{}", random_alphanumeric(40));
    (token, prefix)
}

/// Makes sure the bootstrap admin token exists. With `configured` (from
/// `WEIR_ADMIN_TOKEN`), that token becomes it. Otherwise, on first start,
/// a new one is created and returned so the caller can print it once;
/// later starts return `None`.
pub fn ensure_admin_token(store: &Store, configured: Option<&str>) -> Result<Option<AdminToken>, StoreError> {
    if let Some(token) = configured {
        let hash = token_hash(token);
        if store.admin_token_hash()? != Some(hash) {
            store.set_admin_token_hash(hash)?;
        }
        return Ok(None);
    }
    if store.admin_token_hash()?.is_some() {
        return Ok(None);
    }
    let token = format!("weir_admin_{}", random_alphanumeric(40));
    store.set_admin_token_hash(token_hash(&token))?;
    Ok(Some(AdminToken(token)))
}

/// Who is calling: the token's tenant (none for an instance
/// administrator) and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The API token used; `None` for the bootstrap token.
    pub token_id: Option<TokenId>,
    /// Its visible prefix (`weir_…`), how the audit log names the actor.
    pub token_prefix: Option<String>,
    /// The id of the request being served, for the audit log.
    pub request_id: Option<String>,
    /// The tenant the caller acts for; `None` acts for every tenant.
    pub tenant: Option<TenantId>,
    /// What the caller may do.
    pub role: Role,
}

impl Caller {
    /// Who the audit log says did it: the token prefix, or `bootstrap`.
    pub fn actor(&self) -> String {
        self.token_prefix
            .clone()
            .unwrap_or_else(|| "bootstrap".to_owned())
    }

    /// True for an instance administrator.
    pub fn is_instance_admin(&self) -> bool {
        self.tenant.is_none() && self.role == Role::Admin
    }

    /// True when the caller may see resources of `tenant`.
    pub fn sees(&self, tenant: TenantId) -> bool {
        self.tenant.is_none_or(|own| own == tenant)
    }

    /// Refuses callers below `role` (403: they may see, not do).
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_role",
                format!(
                    "this needs the {role:?} role or higher; the token has {:?}",
                    self.role
                )
                .to_lowercase(),
            ))
        }
    }

    /// Refuses everyone but an instance administrator.
    pub fn require_instance_admin(&self) -> Result<(), ApiError> {
        if self.is_instance_admin() {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "instance_admin_only",
                "only an instance administrator may do this",
            ))
        }
    }

    /// The tenant a new resource belongs to: the caller's own, or for an
    /// instance administrator the one asked for (else the default tenant).
    /// Naming another tenant is answered as if it did not exist.
    pub fn tenant_for_new(
        &self,
        requested: Option<TenantId>,
        default: TenantId,
    ) -> Result<TenantId, ApiError> {
        match (self.tenant, requested) {
            (Some(own), None) => Ok(own),
            (Some(own), Some(asked)) if asked == own => Ok(own),
            (Some(_), Some(asked)) => Err(ApiError::not_found("not_found", format!("no tenant `{asked}`"))),
            (None, Some(asked)) => Ok(asked),
            (None, None) => Ok(default),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::internal(&"an admin route ran without authentication"))
    }
}

/// Middleware: turns `Authorization: Bearer <token>` into a [`Caller`]
/// request extension, or answers 401.
pub async fn authenticate(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "send `Authorization: Bearer <token>`"))?;
    let mut caller = identify(&app, presented).ok_or_else(|| {
        ApiError::unauthorized("invalid_token", "the token is not valid, expired or revoked")
    })?;
    caller.request_id = request
        .extensions()
        .get::<crate::server::RequestId>()
        .map(|id| id.0.clone());
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

fn identify(app: &AppState, presented: &str) -> Option<Caller> {
    let hash = token_hash(presented);
    if bool::from(hash.ct_eq(&app.admin_token_hash)) {
        return Some(Caller {
            token_id: None,
            token_prefix: None,
            request_id: None,
            tenant: None,
            role: Role::Admin,
        });
    }
    let prefix = presented.get(..13).filter(|p| p.starts_with("weir_"))?;
    let token = app.catalog.token_by_prefix(prefix)?;
    let stored = hex::decode(&token.sha256).ok()?;
    let matches: bool = hash.as_slice().ct_eq(&stored).into();
    (matches && token.is_active(now_ms())).then(|| Caller {
        token_id: Some(token.id),
        token_prefix: Some(token.prefix.clone()),
        request_id: None,
        tenant: token.tenant_id,
        role: token.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_have_the_documented_shape() {
        let (token, prefix) = mint_token();
        assert_eq!(prefix.len(), 13);
        assert!(token.starts_with(&prefix));
        assert_eq!(token.len(), 13 + 1 + 40);
        assert_ne!(mint_token().0, token);
    }

    #[test]
    fn tenancy_rules() {
        let tenant = TenantId::generate();
        let other = TenantId::generate();
        let viewer = Caller {
            token_id: None,
            token_prefix: None,
            request_id: None,
            tenant: Some(tenant),
            role: Role::Viewer,
        };
        assert!(viewer.sees(tenant) && !viewer.sees(other));
        assert!(viewer.require(Role::Viewer).is_ok());
        assert_eq!(
            viewer.require(Role::Operator).map_err(|e| e.status.as_u16()),
            Err(403)
        );
        assert_eq!(viewer.tenant_for_new(None, other).ok(), Some(tenant));
        assert_eq!(
            viewer
                .tenant_for_new(Some(other), other)
                .map_err(|e| e.status.as_u16()),
            Err(404)
        );
        let admin = Caller {
            token_id: None,
            token_prefix: None,
            request_id: None,
            tenant: None,
            role: Role::Admin,
        };
        assert!(admin.is_instance_admin() && admin.sees(other));
        assert_eq!(admin.tenant_for_new(None, other).ok(), Some(other));
    }
}
