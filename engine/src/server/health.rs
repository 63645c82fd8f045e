//! `/healthz` (the process is up) and `/readyz` (packs loaded, store open).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::host::PackState;

/// The health router (unauthenticated).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// `GET /healthz`: 200 while the process serves HTTP.
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the store answers; lists pack counts.
async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let statuses = app.host.registry().statuses();
    let loaded = statuses.iter().filter(|s| s.state == PackState::Loaded).count();
    let failed = statuses.len() - loaded;
    match app.store.router_cursor() {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "packs_loaded": loaded, "packs_failed": failed})),
        ),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": error.to_string()})),
        ),
    }
}
