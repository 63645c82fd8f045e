//! Request and response helpers shared by the resource routers: a JSON
//! extractor that answers in our error shape, list envelopes, id parsing.

use axum::Json;
use axum::extract::{FromRequest, Request};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but a bad body is answered as `{"error": …}` with
/// the parser's explanation.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Self(value))
            .map_err(ApiError::from)
    }
}

/// Like [`ApiJson`], for bodies that may be left out: an empty body is
/// `T::default()`.
pub struct ApiJsonOrDefault<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for ApiJsonOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::new(rejection.status(), "body_unreadable", rejection.body_text())
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|error| ApiError::invalid("invalid_json", format!("the body is not valid: {error}")))
    }
}

/// `{"data": [...]}`, the shape of every list.
#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    /// The items.
    pub data: Vec<T>,
}

/// Parses an id from a path; an unparsable id is simply not found.
pub fn parse_id<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found("not_found", format!("no {what} `{text}`")))
}

/// The `not_found` error for `what` `id`.
pub fn not_found(what: &str, id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("not_found", format!("no {what} `{id}`"))
}
