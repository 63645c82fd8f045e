//! `/api/v1/packs`: what the plugin host loaded, what failed and why, each
//! component's call statistics and quarantine, and lifting a quarantine.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::extract::ApiPath;
use super::{Caller, ListResponse};
use crate::error::ApiError;
use crate::host::PackStatus;
use crate::host::health::ComponentHealthView;
use crate::server::AppState;

/// The packs router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/packs", get(list))
        .route("/api/v1/packs/reload", post(reload))
        .route("/api/v1/packs/{pack}/lift-quarantine", post(lift_quarantine))
}

/// A pack with its components' statistics.
#[derive(Debug, Serialize)]
pub struct PackView {
    /// The pack's status.
    #[serde(flatten)]
    pub status: PackStatus,
    /// Call statistics and quarantine per component (`pack/component`).
    pub health: BTreeMap<String, ComponentHealthView>,
}

/// `GET /api/v1/packs`: every pack directory, loaded or failed (with why).
async fn list(State(app): State<AppState>) -> Json<ListResponse<PackView>> {
    let mut health = app.host.health().snapshot();
    let data = app
        .host
        .registry()
        .statuses()
        .into_iter()
        .map(|status| {
            let prefix = format!("{}/", status.name);
            let mine: Vec<String> = health
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            let health = mine
                .into_iter()
                .filter_map(|key| health.remove(&key).map(|view| (key, view)))
                .collect();
            PackView { status, health }
        })
        .collect();
    Json(ListResponse { data })
}

/// `POST /api/v1/packs/reload`: rescans the plugins directory now (it is
/// also watched); answers what changed.
async fn reload(State(app): State<AppState>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_instance_admin()?;
    let report = crate::server::pack_watcher::rescan(&app.host, &app.config.plugins_dir).await;
    Ok(Json(serde_json::json!({
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "failed": report.failed,
    })))
}

/// `POST /api/v1/packs/{pack}/lift-quarantine`: lets a quarantined pack's
/// components be called again now.
async fn lift_quarantine(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(pack): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_instance_admin()?;
    if !app.host.registry().pack_names().contains(&pack) {
        return Err(ApiError::not_found(
            "not_found",
            format!("no loaded pack `{pack}`"),
        ));
    }
    let lifted = app.host.health().lift(&pack);
    Ok(Json(serde_json::json!({"pack": pack, "lifted": lifted})))
}
