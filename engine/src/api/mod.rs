//! The admin HTTP API under `/api/v1`: one router per resource, each beside
//! its handlers, all behind bearer-token authentication.

mod audit;
mod auth;
mod deliveries;
mod destinations;
mod docs_page;
pub(crate) mod events;
mod extract;
pub mod openapi;
mod packs;
mod replay;
mod requests;
mod rules;
mod tenants;
mod tokens;
mod triggers;

use axum::Router;
use axum::middleware;
use utoipa_axum::router::OpenApiRouter;

pub use auth::{AdminToken, Caller, ensure_admin_token, mint_token, token_hash};
pub use extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery, ListResponse, Page, PageQuery, Pagination};

use crate::server::AppState;

/// Every admin route, authenticated, and the OpenAPI document describing
/// them (generated from the same handlers, so it cannot drift), served
/// without authentication at `/openapi.json` with a readable page at
/// `/docs`.
pub fn router(state: AppState) -> Router<AppState> {
    let (admin, spec) = OpenApiRouter::with_openapi(openapi::document())
        .merge(triggers::router())
        .merge(destinations::router())
        .merge(rules::router())
        .merge(packs::router())
        .merge(events::router())
        .merge(deliveries::router())
        .merge(replay::router())
        .merge(requests::router())
        .merge(tenants::router())
        .merge(tokens::router())
        .merge(audit::router())
        .split_for_parts();
    admin
        .route_layer(middleware::from_fn_with_state(state, auth::authenticate))
        .merge(openapi::router(openapi::finish(spec)))
}
