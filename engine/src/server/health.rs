//! `/healthz` (the process is up), `/readyz` (packs loaded, store open) and
//! `/metrics` (Prometheus text; unauthenticated like the others, so a
//! scraper needs no admin token — turn it off with `metrics.enabled =
//! false` where the listener is reachable by people who should not see
//! it). None of them reveal secrets.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::config::Config;
use crate::error::ApiError;
use crate::host::PackState;

/// The health router (unauthenticated); `/metrics` unless turned off.
pub fn router(config: &Config) -> Router<AppState> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if config.metrics.enabled {
        router.route("/metrics", get(metrics))
    } else {
        router
    }
}

/// `GET /metrics`: the Prometheus text exposition.
async fn metrics(State(app): State<AppState>) -> Result<Response, ApiError> {
    let scrape = app.clone();
    let text =
        tokio::task::spawn_blocking(move || scrape.metrics.render(&scrape.store, scrape.host.health()))
            .await
            .map_err(|error| ApiError::internal(&error))?
            .map_err(|error| ApiError::internal(&error))?;
    Ok(([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
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
