//! `POST /api/v1/rules/test`: evaluates a rule (stored or given inline)
//! against a stored event or a sample, and shows what every check saw —
//! event type, trigger, each condition predicate — and, when it matches,
//! the body its transformer would send. Nothing is stored or sent.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::input::{check_event_types, check_transformer, check_triggers, parse_condition};
use super::visible;
use crate::api::{ApiJson, Caller};
use crate::delivery::render::describe;
use crate::error::ApiError;
use crate::host::{Event, TransformError};
use crate::ids::TriggerId;
use crate::model::ComponentRef;
use crate::rules::{EventTypePattern, TraceEntry};
use crate::server::AppState;

/// Body of `POST /api/v1/rules/test`: one of `rule_id` / `rule`, and one of
/// `event_id` / `event`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRule {
    /// A stored rule to evaluate.
    #[serde(default)]
    pub rule_id: Option<String>,
    /// A rule not saved yet (the matching fields of a rule).
    #[serde(default)]
    pub rule: Option<DraftRule>,
    /// A stored event to evaluate against.
    #[serde(default)]
    pub event_id: Option<String>,
    /// A sample event.
    #[serde(default)]
    pub event: Option<SampleEvent>,
    /// Run the transformer when the rule matches; default true.
    #[serde(default)]
    pub transform: Option<bool>,
}

/// The parts of a rule a dry run needs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRule {
    /// Event type globs.
    pub event_types: Vec<EventTypePattern>,
    /// Triggers considered; empty means all.
    #[serde(default)]
    pub trigger_ids: Vec<TriggerId>,
    /// Condition on the event data.
    #[serde(default)]
    pub condition: Option<Value>,
    /// Transformer reference.
    #[serde(default)]
    pub transformer: Option<ComponentRef>,
    /// Its configuration.
    #[serde(default)]
    pub transformer_config: Option<Value>,
}

/// A sample event.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleEvent {
    /// Event type, e.g. `github.push`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event data.
    pub data: Value,
    /// Subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// The trigger it is supposed to have arrived on.
    #[serde(default)]
    pub trigger_id: Option<TriggerId>,
}

/// The answer of a dry run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResult {
    /// Whether the rule fires for the event.
    pub matched: bool,
    /// The event type check.
    pub event_type: TypeCheck,
    /// The trigger check.
    pub trigger: TriggerCheck,
    /// The condition check; `null` when the rule has none.
    pub condition: Option<ConditionCheck>,
    /// What would be sent, when the rule matched and transforming was asked.
    pub output: Option<Output>,
}

/// What the event type check saw.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TypeCheck {
    /// Whether a pattern matched.
    pub matched: bool,
    /// The event's type.
    pub event_type: String,
    /// The rule's patterns.
    pub patterns: Vec<EventTypePattern>,
}

/// What the trigger check saw.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TriggerCheck {
    /// Whether the event's trigger is one the rule considers.
    pub matched: bool,
    /// The event's trigger (none for published events).
    pub trigger_id: Option<TriggerId>,
    /// The rule's triggers; empty means all.
    pub rule_trigger_ids: Vec<TriggerId>,
}

/// What the condition saw, predicate by predicate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConditionCheck {
    /// Whether the whole condition held.
    pub matched: bool,
    /// Every predicate, with the values its path selected.
    pub predicates: Vec<TraceEntry>,
    /// Why the condition could not be evaluated: the event's data is JSON
    /// that no value holds (a number beyond `f64`, nesting deeper than
    /// 128 levels, a lone surrogate). The router does not fire such a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The transformer's result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Output {
    /// `sent` (a body), `skipped` (the transformer chose to send nothing)
    /// or `failed` (a delivery would be dead-lettered or retried).
    pub status: &'static str,
    /// Media type of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body: JSON (exactly as it would be sent) when it is JSON, else
    /// text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub body: Option<Box<RawValue>>,
    /// Headers the transformer adds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Why nothing would be sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/rules/test`.
#[utoipa::path(post, path = "/api/v1/rules/test", tag = "rules", request_body = TestRule, responses((status = 200, description = "what every check saw, and the body the rule would send", body = TestResult), (status = 404, description = "no such rule or event", body = crate::api::openapi::ApiErrorBody), (status = 422, description = "invalid rule or request", body = crate::api::openapi::ApiErrorBody)))]
pub async fn test_rule(
    State(app): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TestRule>,
) -> Result<Json<TestResult>, ApiError> {
    let rule = match (body.rule_id.as_deref(), body.rule) {
        (Some(id), None) => {
            let rule = visible(&app, &caller, id)?;
            DraftRule {
                event_types: rule.event_types,
                trigger_ids: rule.trigger_ids,
                condition: rule.condition.map(|c| c.to_json()),
                transformer: rule.transformer,
                transformer_config: Some(rule.transformer_config),
            }
        }
        (None, Some(rule)) => rule,
        _ => return Err(one_of("rule_id", "rule")),
    };
    let event = match (body.event_id.as_deref(), body.event) {
        (Some(id), None) => {
            let stored = crate::api::events::visible(&app, &caller, id)?;
            let raw_data = stored.draft.data.get().to_owned();
            Sample {
                id: stored.id.to_string(),
                source: stored.draft.source.clone(),
                event_type: stored.draft.event_type.clone(),
                subject: stored.draft.subject.clone(),
                time: stored.draft.time.clone(),
                trigger_id: stored.trigger_id(),
                data: crate::rules::parse_data(&raw_data).map_err(|error| error.to_string()),
                raw_data,
            }
        }
        (None, Some(sample)) => Sample {
            id: "evt_dry_run".to_owned(),
            source: "/dry-run".to_owned(),
            event_type: sample.event_type,
            subject: sample.subject,
            time: crate::time::rfc3339(crate::time::now_ms()),
            trigger_id: sample.trigger_id,
            raw_data: sample.data.to_string(),
            data: Ok(sample.data),
        },
        _ => return Err(one_of("event_id", "event")),
    };
    check_event_types(&rule.event_types)?;
    if let Some(tenant) = caller.tenant {
        check_triggers(&app, tenant, &rule.trigger_ids)?;
    }
    let config = rule
        .transformer_config
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    check_transformer(&app, rule.transformer.as_ref(), &config)?;
    let condition = rule.condition.as_ref().map(parse_condition).transpose()?;

    let type_check = TypeCheck {
        matched: rule.event_types.iter().any(|p| p.matches(&event.event_type)),
        event_type: event.event_type.clone(),
        patterns: rule.event_types,
    };
    let trigger_check = TriggerCheck {
        matched: rule.trigger_ids.is_empty()
            || event.trigger_id.is_some_and(|t| rule.trigger_ids.contains(&t)),
        trigger_id: event.trigger_id,
        rule_trigger_ids: rule.trigger_ids,
    };
    let condition_check = match &condition {
        Some(condition) => {
            let compiled = condition
                .compile()
                .map_err(|error| ApiError::invalid("invalid_condition", error.to_string()))?;
            let mut predicates = Vec::new();
            Some(match &event.data {
                Ok(data) => ConditionCheck {
                    matched: compiled.evaluate_traced(data, &mut predicates),
                    predicates,
                    error: None,
                },
                Err(error) => ConditionCheck {
                    matched: false,
                    predicates,
                    error: Some(format!(
                        "the event's data cannot be evaluated ({error}), so no condition holds on it"
                    )),
                },
            })
        }
        None => None,
    };
    let matched =
        type_check.matched && trigger_check.matched && condition_check.as_ref().is_none_or(|c| c.matched);
    let output = if matched && body.transform.unwrap_or(true) {
        Some(render(&app, rule.transformer.as_ref(), &config, &event).await)
    } else {
        None
    };
    Ok(Json(TestResult {
        matched,
        event_type: type_check,
        trigger: trigger_check,
        condition: condition_check,
        output,
    }))
}

/// The event a dry run evaluates.
struct Sample {
    id: String,
    source: String,
    event_type: String,
    subject: Option<String>,
    time: String,
    trigger_id: Option<TriggerId>,
    /// The data exactly as stored (or as given), sent as is.
    raw_data: String,
    /// The data parsed for the condition, or why it cannot be.
    data: Result<Value, String>,
}

/// Runs the transformer (or passes the data through) as a delivery would.
async fn render(
    app: &AppState,
    transformer: Option<&ComponentRef>,
    config: &Value,
    event: &Sample,
) -> Output {
    let Some(transformer) = transformer else {
        return sent(
            "application/json".to_owned(),
            event.raw_data.clone().into_bytes(),
            Vec::new(),
        );
    };
    let input = Event {
        id: event.id.clone(),
        source: event.source.clone(),
        event_type: event.event_type.clone(),
        subject: event.subject.clone(),
        time: event.time.clone(),
        data: event.raw_data.clone(),
    };
    match app.host.transform(transformer, &input, &config.to_string()).await {
        Ok(Ok(outgoing)) => sent(
            outgoing.content_type,
            outgoing.body,
            outgoing.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        ),
        Ok(Err(TransformError::Skip(reason))) => not_sent("skipped", reason),
        Ok(Err(error)) => not_sent("failed", describe(&error)),
        Err(error) => not_sent("failed", error.to_string()),
    }
}

fn sent(content_type: String, body: Vec<u8>, headers: Vec<(String, String)>) -> Output {
    let body = serde_json::from_slice::<Box<RawValue>>(&body)
        .ok()
        .or_else(|| serde_json::value::to_raw_value(&String::from_utf8_lossy(&body)).ok());
    Output {
        status: "sent",
        content_type: Some(content_type),
        body,
        headers,
        reason: None,
    }
}

fn not_sent(status: &'static str, reason: String) -> Output {
    Output {
        status,
        content_type: None,
        body: None,
        headers: Vec::new(),
        reason: Some(reason),
    }
}

fn one_of(a: &str, b: &str) -> ApiError {
    ApiError::invalid("invalid_request", format!("give exactly one of `{a}` and `{b}`"))
}
