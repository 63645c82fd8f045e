//! `/api/v1/packs`: what the plugin host loaded and what failed.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::ListResponse;
use crate::host::PackStatus;
use crate::server::AppState;

/// The packs router.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/packs", get(list))
}

/// `GET /api/v1/packs`: every pack directory, loaded or failed (with why).
async fn list(State(app): State<AppState>) -> Json<ListResponse<PackStatus>> {
    Json(ListResponse {
        data: app.host.registry().statuses(),
    })
}
