//! `/api/v1/triggers`: create, list (cursor pagination), read, update and
//! delete triggers; their webhooks (enable, disable, regenerate, info) are
//! in `webhook`. Secrets are write-only: responses name them but never
//! show their values. Every change reloads the catalog, so ingest sees it
//! at once.

mod body;
mod view;
mod webhook;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
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
#[utoipa::path(post, path = "/api/v1/triggers", tag = "triggers", request_body = CreateTrigger, responses((status = 201, description = "the trigger, with its webhook URL", body = TriggerView), (status = 422, description = "invalid trigger", body = crate::api::openapi::ApiErrorBody)))]
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTrigger>,
) -> Result<(StatusCode, Json<TriggerView>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let name = checked_name(&body.name)?;
    check_config(&app.host.registry(), &body.connector, &body.config)?;
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
    app.audit(
        &caller,
        crate::model::AuditAction::Create,
        "trigger",
        trigger.id,
        None,
        crate::audit::snap(&trigger),
    );
    tracing::info!(trigger = %trigger.id, connector = %trigger.connector, "trigger created");
    Ok((
        StatusCode::CREATED,
        Json(TriggerView::of(&trigger, &app.public_base_url)),
    ))
}

/// `GET /api/v1/triggers?limit=&cursor=`: oldest first.
#[utoipa::path(get, path = "/api/v1/triggers", tag = "triggers", params(PageQuery), responses((status = 200, description = "one page of triggers, oldest first", body = Page<TriggerView>)))]
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
#[utoipa::path(get, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 200, description = "the trigger", body = TriggerView), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
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
#[utoipa::path(patch, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), request_body = UpdateTrigger, responses((status = 200, description = "the updated trigger", body = TriggerView), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody), (status = 422, description = "invalid update", body = crate::api::openapi::ApiErrorBody)))]
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
        check_config(&app.host.registry(), &current.connector, config)?;
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
    app.audit(
        &caller,
        crate::model::AuditAction::Update,
        "trigger",
        updated.id,
        crate::audit::snap(&current),
        crate::audit::snap(&updated),
    );
    tracing::info!(trigger = %updated.id, "trigger updated");
    Ok(Json(TriggerView::of(&updated, &app.public_base_url)))
}

/// `DELETE /api/v1/triggers/{id}`: its webhook stops at once; its events
/// stay in the log.
#[utoipa::path(delete, path = "/api/v1/triggers/{id}", tag = "triggers", params(("id" = String, Path, description = "the trigger id")), responses((status = 204, description = "deleted"), (status = 404, description = "no such trigger", body = crate::api::openapi::ApiErrorBody)))]
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
    app.audit(
        &caller,
        crate::model::AuditAction::Delete,
        "trigger",
        trigger.id,
        crate::audit::snap(&trigger),
        None,
    );
    tracing::info!(trigger = %trigger.id, "trigger deleted");
    Ok(StatusCode::NO_CONTENT)
}
