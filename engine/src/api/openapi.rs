//! The OpenAPI 3.1 document of the admin API. Paths and schemas come from
//! the handlers' `#[utoipa::path]` annotations and the types' `ToSchema`
//! derives, collected by the same routers that serve them; this module adds
//! what applies to every operation (bearer authentication, the error shape)
//! and serves `/openapi.json` and the offline `/docs` page.

use std::sync::Arc;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder, SecurityRequirement};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

use crate::server::AppState;

/// The error every endpoint answers with: `{"error": {"code", "message"}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// What went wrong.
    pub error: ApiErrorDetail,
}

/// The inside of [`ApiErrorBody`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `invalid_condition`.
    pub code: String,
    /// Explanation for people; may change between versions.
    pub message: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Weir admin API",
        description = "Triggers, destinations, rules, events, deliveries, replay, packs, tenants and tokens. \
                       Authenticate with `Authorization: Bearer <token>`. Errors share one shape, \
                       `{\"error\": {\"code\", \"message\"}}`, with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(receive_webhook, verify_webhook, healthz, readyz),
    components(schemas(ApiErrorBody))
)]
struct BaseDocument;

// The routes below are served by `ingest` and `server::health`, outside
// the admin routers; these declarations describe them (an end-to-end test
// calls every documented operation, so a stale one fails the build).

/// Receive a webhook: the trigger's connector verifies and parses it.
///
/// Answers only after the events are durably stored. No admin token: the
/// webhook key in the path and the provider's signature authenticate it.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{webhook_key}",
    tag = "webhooks",
    security(()),
    params(("webhook_key" = String, Path, description = "the trigger's webhook key, `wh_…`")),
    request_body(content = Object, description = "the provider's payload, any media type"),
    responses(
        (status = 202, description = "stored: `{\"event_ids\": [...]}`", body = Object),
        (status = 200, description = "a duplicate (`{\"status\": \"duplicate\"}`) or the connector's handshake reply", body = Object),
        (status = 401, description = "bad or missing signature", body = ApiErrorBody),
        (status = 403, description = "client address not allowed", body = ApiErrorBody),
        (status = 404, description = "unknown webhook key", body = ApiErrorBody),
        (status = 405, description = "method not allowed for this trigger", body = ApiErrorBody),
        (status = 408, description = "the body did not arrive within `http.body_read_timeout`", body = ApiErrorBody),
        (status = 413, description = "body over the limit", body = ApiErrorBody),
        (status = 429, description = "rate limit or daily quota reached; see `Retry-After`", body = ApiErrorBody),
        (status = 503, description = "the store cannot write or the connector is busy; see `Retry-After`", body = ApiErrorBody)
    )
)]
#[allow(dead_code)]
fn receive_webhook() {}

/// Verification handshakes (e.g. Meta's `hub.challenge`), answered by the
/// connector.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{webhook_key}",
    tag = "webhooks",
    security(()),
    params(("webhook_key" = String, Path, description = "the trigger's webhook key, `wh_…`")),
    responses(
        (status = 200, description = "the connector's handshake reply"),
        (status = 404, description = "unknown webhook key", body = ApiErrorBody),
        (status = 405, description = "GET not allowed for this trigger", body = ApiErrorBody)
    )
)]
#[allow(dead_code)]
fn verify_webhook() {}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()), responses((status = 200, description = "alive", body = Object)))]
#[allow(dead_code)]
fn healthz() {}

/// Readiness: the store answers and packs are loaded.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "ready; pack counts", body = Object),
        (status = 503, description = "not ready, with why", body = Object)
    )
)]
#[allow(dead_code)]
fn readyz() {}

/// The document the routers add their paths to.
pub fn document() -> OpenApi {
    BaseDocument::openapi()
}

/// Adds what applies to every operation: the bearer scheme, a `401` for a
/// missing or wrong token and a `default` error response in the common
/// shape (so every status the API can answer is described).
pub fn finish(mut spec: OpenApi) -> OpenApi {
    let components = spec.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components
        .schemas
        .insert(ApiErrorDetail::name().into_owned(), ApiErrorDetail::schema());
    spec.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            ApiErrorBody::name(),
                        ))))
                        .build(),
                )
                .build(),
        )
    };
    for item in spec.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let public = operation.security.as_ref().is_some_and(|requirements| {
                requirements.iter().all(|r| *r == SecurityRequirement::default())
            });
            let responses = &mut operation.responses.responses;
            if !public {
                responses
                    .entry("401".to_owned())
                    .or_insert_with(|| error("missing, unknown, expired or revoked token"));
            }
            responses
                .entry("default".to_owned())
                .or_insert_with(|| error("any other error, in the common shape"));
        }
    }
    spec
}

/// `/openapi.json` and `/docs`, unauthenticated.
pub fn router(spec: OpenApi) -> Router<AppState> {
    let json = Arc::new(spec.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let page = Arc::new(super::docs_page::render(&spec));
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let json = Arc::clone(&json);
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json.as_str().to_owned(),
                    )
                }
            }),
        )
        .route(
            "/docs",
            get(move || {
                let page = Arc::clone(&page);
                async move { Html(page.as_str().to_owned()) }
            }),
        )
}
