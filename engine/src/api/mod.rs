//! The admin HTTP API under `/api/v1`: one router per resource, each beside
//! its handlers, all behind bearer-token authentication.

mod auth;
mod deliveries;
mod destinations;
mod events;
mod extract;
mod packs;
mod requests;
mod rules;
mod tenants;
mod tokens;
mod triggers;

use axum::Router;
use axum::middleware;

pub use auth::{AdminToken, Caller, ensure_admin_token, mint_token, token_hash};
pub use extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery, ListResponse, Page, PageQuery, Pagination};

use crate::server::AppState;

/// Every admin route, authenticated.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(triggers::router())
        .merge(destinations::router())
        .merge(rules::router())
        .merge(packs::router())
        .merge(events::router())
        .merge(deliveries::router())
        .merge(requests::router())
        .merge(tenants::router())
        .merge(tokens::router())
        .route_layer(middleware::from_fn_with_state(state, auth::authenticate))
}
