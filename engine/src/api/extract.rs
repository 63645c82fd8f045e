//! Request and response helpers shared by the resource routers:
//! extractors that answer in our error shape (`ApiJson`, `ApiQuery`,
//! `ApiPath`), cursor pagination (`PageQuery` → `Page`), id parsing.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Page size when the client does not ask.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page.
pub const MAX_LIMIT: usize = 500;

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

/// Like `axum::extract::Query`: an unknown parameter or a bad value is a
/// 400 `invalid_query` naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::bad_request("invalid_query", rejection.body_text())
            })
    }
}

/// Like `axum::extract::Path`: a path parameter that does not decode is a
/// 400 `invalid_path` (a well-formed id of nothing is a 404 from the
/// handler instead).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection: PathRejection| {
                if rejection.status() == StatusCode::INTERNAL_SERVER_ERROR {
                    ApiError::internal(&rejection.body_text())
                } else {
                    ApiError::bad_request("invalid_path", rejection.body_text())
                }
            })
    }
}

/// `?limit=&cursor=`: the query of a paginated list without other
/// filters. Lists with filters declare `limit` and `cursor` themselves and
/// call [`Pagination::new`].
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size (default 50); at least 1, and larger values are served
    /// as 500, the most a page holds.
    #[param(minimum = 1)]
    pub limit: Option<usize>,
    /// Where to continue: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page request, checked.
#[derive(Debug, Clone)]
pub struct Pagination {
    /// Items per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Pagination {
    /// From the query's `limit` (default 50, capped at 500) and `cursor`.
    /// A `limit` of 0 is refused rather than silently changed.
    pub fn new(limit: Option<usize>, cursor: Option<String>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`limit` must be at least 1 (a page holds at most {MAX_LIMIT})"),
            ));
        }
        Ok(Self {
            limit: limit.min(MAX_LIMIT),
            cursor: cursor.filter(|c| !c.is_empty()),
        })
    }

    /// The cursor parsed as `T` (the id it names); 400 `invalid_cursor`
    /// when it is not one.
    pub fn cursor_as<T: std::str::FromStr>(&self) -> Result<Option<T>, ApiError> {
        self.cursor
            .as_deref()
            .map(|text| {
                text.parse().map_err(|_| {
                    ApiError::bad_request(
                        "invalid_cursor",
                        format!("`{text}` is not a cursor of this list; pass `next_cursor` as given"),
                    )
                })
            })
            .transpose()
    }
}

impl TryFrom<PageQuery> for Pagination {
    type Error = ApiError;

    fn try_from(query: PageQuery) -> Result<Self, ApiError> {
        Self::new(query.limit, query.cursor)
    }
}

/// `{"data": [...], "next_cursor": "..."}`: one page of a list;
/// `next_cursor` is `null` on the last page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The first `limit` of `items` (already after the cursor, in list
    /// order); the cursor of the next page is `cursor_of` the last item
    /// when more follow.
    pub fn of(items: impl IntoIterator<Item = T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Self {
        let mut data: Vec<T> = items.into_iter().take(limit.saturating_add(1)).collect();
        let more = data.len() > limit;
        data.truncate(limit);
        let next_cursor = if more { data.last().map(cursor_of) } else { None };
        Self { data, next_cursor }
    }
}

/// `{"data": [...]}`, the shape of lists that are not paginated yet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

/// Checks a component's configuration (`field` of the request): a JSON
/// object, valid against the component's declared schema if it has one.
/// 422 `invalid_config` names every violation.
pub fn check_component_config(
    field: &str,
    component: &str,
    schema: Option<&serde_json::Value>,
    config: &serde_json::Value,
) -> Result<(), ApiError> {
    if !config.is_object() {
        return Err(ApiError::invalid(
            "invalid_config",
            format!("`{field}` must be a JSON object"),
        ));
    }
    match schema.map(|schema| crate::host::config_schema::check_config(schema, config)) {
        Some(Err(problems)) => Err(ApiError::invalid(
            "invalid_config",
            format!("`{field}` does not match the configuration schema of `{component}`:\n{problems}"),
        )),
        _ => Ok(()),
    }
}

/// Distinguishes a field left out (`None`) from `null` (`Some(None)`), for
/// PATCH bodies: `#[serde(default, with = "double_option")]`.
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    /// Present (even as `null`) becomes `Some`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_know_whether_more_follow() {
        let page = Page::of(1..=5, 2, ToString::to_string);
        assert_eq!(page.data, [1, 2]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = Page::of(1..=2, 2, ToString::to_string);
        assert_eq!(last.next_cursor, None);
        assert_eq!(
            Pagination::new(Some(10_000), None).map(|p| p.limit).ok(),
            Some(MAX_LIMIT)
        );
        assert_eq!(
            Pagination::new(Some(0), None).map_err(|e| e.code).err(),
            Some("invalid_query")
        );
        let bad = Pagination::new(None, Some("nope".into())).expect("valid");
        assert_eq!(
            bad.cursor_as::<crate::ids::TriggerId>().map_err(|e| e.code).err(),
            Some("invalid_cursor")
        );
    }
}
