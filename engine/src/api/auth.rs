//! Bearer-token authentication for the admin API. Only the token's SHA-256
//! is stored; the token itself is shown once, when it is created.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::model::random_alphanumeric;
use crate::server::AppState;
use crate::store::{Store, StoreError};

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

/// Makes sure an admin token exists. With `configured` (from
/// `WEIR_ADMIN_TOKEN`), that token becomes the admin token. Otherwise, on
/// first start, a new one is created and returned so the caller can print
/// it once; later starts return `None`.
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

/// Middleware: `Authorization: Bearer <admin token>` or 401.
pub async fn require_admin(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "send `Authorization: Bearer <token>`"))?;
    let valid: bool = token_hash(presented).ct_eq(&app.admin_token_hash).into();
    if !valid {
        return Err(ApiError::unauthorized("invalid_token", "the token is not valid"));
    }
    Ok(next.run(request).await)
}
