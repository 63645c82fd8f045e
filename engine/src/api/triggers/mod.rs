//! `/api/v1/triggers`: create, list (cursor pagination), read, update and
//! delete triggers; their webhooks (enable, disable, regenerate, info) are
//! in `webhook`. Secrets are write-only: responses name them but never
//! show their values. Every change reloads the catalog, so ingest sees it
//! at once.

mod body;
mod view;
mod webhook;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::extract::{ApiPath, ApiQuery, Page, PageQuery, Pagination, not_found, parse_id};
use super::{ApiJson, Caller};
use crate::error::ApiError;
use crate::ids::TriggerId;
use crate::model::{Role, Trigger, WebhookKey};
use crate::server::AppState;
use crate::time::now_ms;
use body::{CreateTrigger, UpdateTrigger, check_config, check_policy, checked_name, checked_secrets};
pub use view::TriggerView;

/// The triggers router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triggers", get(list).post(create))
        .route("/api/v1/triggers/{id}", get(read).patch(update).delete(remove))
        .merge(webhook::router())
}

/// The trigger `id` if the caller may see it; 404 otherwise.
fn visible(app: &AppState, caller: &Caller, id: &str) -> Result<Trigger, ApiError> {
    let id: TriggerId = parse_id(id, "trigger")?;
    app.store
        .trigger(id)?
        .filter(|t| caller.sees(t.tenant_id))
        .ok_or_else(|| not_found("trigger", id))
}

/// `POST /api/v1/triggers`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTrigger>,
) -> Result<(StatusCode, Json<TriggerView>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let name = checked_name(&body.name)?;
    check_config(&body.config)?;
    check_policy(&body.policy, app.config.ingest.max_body_bytes)?;
    let secrets = checked_secrets(&app.host.registry(), &body.connector, body.secrets)?;
    let trigger = Trigger {
        id: TriggerId::generate(),
        tenant_id,
        name,
        connector: body.connector,
        webhook_key: WebhookKey::generate(),
        enabled: true,
        secrets,
        config: body.config,
        policy: body.policy,
        created_at_ms: now_ms(),
        updated_at_ms: None,
    };
    app.store.put_trigger(&trigger)?;
    app.catalog.reload_triggers()?;
    tracing::info!(trigger = %trigger.id, connector = %trigger.connector, "trigger created");
    Ok((
        StatusCode::CREATED,
        Json(TriggerView::of(&trigger, &app.public_base_url)),
    ))
}

/// `GET /api/v1/triggers?limit=&cursor=`: oldest first.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<TriggerView>>, ApiError> {
    let page = Pagination::try_from(query)?;
    let after: Option<TriggerId> = page.cursor_as()?;
    let triggers = app.store.triggers()?;
    let visible = triggers
        .iter()
        .filter(|t| caller.sees(t.tenant_id) && after.is_none_or(|after| t.id > after))
        .map(|t| TriggerView::of(t, &app.public_base_url));
    Ok(Json(Page::of(visible, page.limit, |view| view.id.to_string())))
}

/// `GET /api/v1/triggers/{id}`.
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TriggerView>, ApiError> {
    let trigger = visible(&app, &caller, &id)?;
    Ok(Json(TriggerView::of(&trigger, &app.public_base_url)))
}

/// `PATCH /api/v1/triggers/{id}`: name, secrets (replaced as a whole),
/// config, policy.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateTrigger>,
) -> Result<Json<TriggerView>, ApiError> {
    caller.require(Role::Operator)?;
    let current = visible(&app, &caller, &id)?;
    let name = body.name.as_deref().map(checked_name).transpose()?;
    if let Some(config) = &body.config {
        check_config(config)?;
    }
    let policy = body.policy.map(Option::unwrap_or_default);
    if let Some(policy) = &policy {
        check_policy(policy, app.config.ingest.max_body_bytes)?;
    }
    let secrets = body
        .secrets
        .map(|secrets| checked_secrets(&app.host.registry(), &current.connector, secrets))
        .transpose()?;
    let now = now_ms();
    let updated = app
        .store
        .update_trigger(current.id, |trigger| {
            if let Some(name) = &name {
                trigger.name.clone_from(name);
            }
            if let Some(config) = &body.config {
                trigger.config.clone_from(config);
            }
            if let Some(policy) = &policy {
                trigger.policy.clone_from(policy);
            }
            if let Some(secrets) = &secrets {
                trigger.secrets.clone_from(secrets);
            }
            trigger.updated_at_ms = Some(now);
        })?
        .ok_or_else(|| not_found("trigger", current.id))?;
    app.catalog.reload_triggers()?;
    tracing::info!(trigger = %updated.id, "trigger updated");
    Ok(Json(TriggerView::of(&updated, &app.public_base_url)))
}

/// `DELETE /api/v1/triggers/{id}`: its webhook stops at once; its events
/// stay in the log.
async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Operator)?;
    let trigger = visible(&app, &caller, &id)?;
    if !app.store.delete_trigger(trigger.id)? {
        return Err(not_found("trigger", trigger.id));
    }
    app.catalog.reload_triggers()?;
    tracing::info!(trigger = %trigger.id, "trigger deleted");
    Ok(StatusCode::NO_CONTENT)
}
