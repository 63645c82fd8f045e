//! `/api/v1/rules`: create, list, read, update and delete rules, and dry
//! runs (`POST /api/v1/rules/test`). Conditions are compiled and
//! transformer configurations checked when saved, so a bad path, operator
//! or setting is a 422 naming it, never a surprise at routing time.

mod dry_run;
mod input;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiPath, ApiQuery, Page, PageQuery, Pagination, not_found, parse_id};
use super::{ApiJson, Caller};
use crate::audit::snap;
use crate::error::ApiError;
use crate::ids::RuleId;
use crate::model::{AuditAction, Role, Rule};
use crate::server::AppState;
use crate::time::now_ms;
use input::{CreateRule, UpdateRule, check_rule, checked_name, default_name, parse_condition};

/// The rules router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(dry_run::test_rule))
        .routes(routes!(read, update, remove))
}

/// `POST /api/v1/rules`.
#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = CreateRule, responses((status = 201, description = "the rule", body = Rule), (status = 422, description = "invalid rule: the message names the bad path, operator or setting", body = crate::api::openapi::ApiErrorBody)))]
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRule>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    caller.require(Role::Operator)?;
    let tenant_id = app.tenant_for_new(&caller, body.tenant_id)?;
    let condition = body.condition.as_ref().map(parse_condition).transpose()?;
    let name = match &body.name {
        Some(name) => checked_name(name)?,
        None => default_name(&body.event_types),
    };
    let rule = Rule {
        id: RuleId::generate(),
        tenant_id,
        name,
        enabled: body.enabled.unwrap_or(true),
        priority: body.priority,
        trigger_ids: body.trigger_ids,
        event_types: body.event_types,
        condition,
        destination_id: body.destination_id,
        transformer: body.transformer,
        transformer_config: body
            .transformer_config
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new())),
        created_at_ms: now_ms(),
    };
    check_rule(&app, &rule)?;
    app.store.put_rule(&rule)?;
    app.catalog.reload_rules()?;
    app.audit(&caller, AuditAction::Create, "rule", rule.id, None, snap(&rule));
    tracing::info!(rule = %rule.id, "rule created");
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `GET /api/v1/rules?limit=&cursor=`: oldest first.
#[utoipa::path(get, path = "/api/v1/rules", tag = "rules", params(PageQuery), responses((status = 200, description = "one page of rules, oldest first", body = Page<Rule>)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<Rule>>, ApiError> {
    let page = Pagination::try_from(query)?;
    let after: Option<RuleId> = page.cursor_as()?;
    let rules = app
        .store
        .rules()?
        .into_iter()
        .filter(|r| caller.sees(r.tenant_id) && after.is_none_or(|after| r.id > after));
    Ok(Json(Page::of(rules, page.limit, |rule| rule.id.to_string())))
}

/// `GET /api/v1/rules/{id}`.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "the rule id")), responses((status = 200, description = "the rule", body = Rule), (status = 404, description = "no such rule", body = crate::api::openapi::ApiErrorBody)))]
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(visible(&app, &caller, &id)?))
}

/// `PATCH /api/v1/rules/{id}`: the whole rule is checked again as updated.
/// Deliveries already scheduled keep the transformer and configuration
/// they were planned with.
#[utoipa::path(patch, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "the rule id")), request_body = UpdateRule, responses((status = 200, description = "the updated rule", body = Rule), (status = 404, description = "no such rule", body = crate::api::openapi::ApiErrorBody), (status = 422, description = "invalid update", body = crate::api::openapi::ApiErrorBody)))]
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRule>,
) -> Result<Json<Rule>, ApiError> {
    caller.require(Role::Operator)?;
    let current = visible(&app, &caller, &id)?;
    let before = snap(&current);
    let rule = body.apply(current)?;
    check_rule(&app, &rule)?;
    app.store.put_rule(&rule)?;
    app.catalog.reload_rules()?;
    app.audit(&caller, AuditAction::Update, "rule", rule.id, before, snap(&rule));
    tracing::info!(rule = %rule.id, "rule updated");
    Ok(Json(rule))
}

/// `DELETE /api/v1/rules/{id}`: new events no longer match it; deliveries
/// it already scheduled still run (they carry their own copy of the
/// transformer and configuration).
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "the rule id")), responses((status = 204, description = "deleted"), (status = 404, description = "no such rule", body = crate::api::openapi::ApiErrorBody)))]
async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Operator)?;
    let rule = visible(&app, &caller, &id)?;
    app.store.delete_rule(rule.id)?;
    app.catalog.reload_rules()?;
    app.audit(&caller, AuditAction::Delete, "rule", rule.id, snap(&rule), None);
    tracing::info!(rule = %rule.id, "rule deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The rule `id` if the caller may see it, else 404.
fn visible(app: &AppState, caller: &Caller, id: &str) -> Result<Rule, ApiError> {
    let id: RuleId = parse_id(id, "rule")?;
    app.store
        .rule(id)?
        .filter(|r| caller.sees(r.tenant_id))
        .ok_or_else(|| not_found("rule", id))
}
