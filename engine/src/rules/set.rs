//! [`RuleSet`]: every enabled rule, compiled and ordered by priority.

use std::cell::OnceCell;
use std::sync::Arc;

use serde_json::Value;

use super::{CompiledCondition, ConditionError};
use crate::model::{Rule, StoredEvent};

/// A compiled rule.
#[derive(Debug)]
struct CompiledRule {
    rule: Arc<Rule>,
    condition: Option<CompiledCondition>,
}

/// The rules the router applies, compiled once per change.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
}

impl RuleSet {
    /// Compiles `rules`, keeping enabled ones, ordered by priority then age.
    /// Rules were validated when saved, so a failure here means a stored
    /// rule no longer compiles; it is reported and the rule skipped.
    pub fn compile(rules: impl IntoIterator<Item = Rule>) -> (Self, Vec<(Rule, ConditionError)>) {
        let mut compiled = Vec::new();
        let mut failed = Vec::new();
        for rule in rules.into_iter().filter(|rule| rule.enabled) {
            match rule.condition.as_ref().map(|c| c.compile()).transpose() {
                Ok(condition) => compiled.push(CompiledRule {
                    rule: Arc::new(rule),
                    condition,
                }),
                Err(error) => failed.push((rule, error)),
            }
        }
        compiled.sort_by(|a, b| {
            (a.rule.priority, a.rule.created_at_ms, a.rule.id).cmp(&(
                b.rule.priority,
                b.rule.created_at_ms,
                b.rule.id,
            ))
        });
        (Self { rules: compiled }, failed)
    }

    /// The rules that match `event`, in firing order. `data` is the event's
    /// data, parsed only if a condition needs it.
    pub fn matching(&self, event: &StoredEvent, data: &EventData<'_>) -> Vec<Arc<Rule>> {
        self.rules
            .iter()
            .filter(|compiled| {
                let rule = &compiled.rule;
                // A rule never sees another tenant's events.
                rule.tenant_id == event.tenant_id()
                    && (rule.trigger_ids.is_empty()
                        || event.trigger_id().is_some_and(|t| rule.trigger_ids.contains(&t)))
                    && rule.event_types.iter().any(|p| p.matches(event.event_type()))
                    && compiled
                        .condition
                        .as_ref()
                        .is_none_or(|c| data.value().is_some_and(|value| c.evaluate(value)))
            })
            .map(|compiled| Arc::clone(&compiled.rule))
            .collect()
    }

    /// Number of active rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is active.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// An event's data, parsed from its stored JSON on first use: most events
/// reach no rule with a condition (or none at all), and parsing a body
/// into a `Value` costs far more than matching tenant, trigger and type.
pub struct EventData<'a> {
    raw: &'a str,
    parsed: OnceCell<Option<Value>>,
}

impl<'a> EventData<'a> {
    /// The data of an event, stored as JSON text.
    pub fn new(raw: &'a str) -> Self {
        Self {
            raw,
            parsed: OnceCell::new(),
        }
    }

    /// The parsed data, or `None` when it is valid JSON that no
    /// `serde_json::Value` holds: a number beyond `f64` (`1e400`), nesting
    /// deeper than 128 levels, or a lone surrogate escape (`"\ud800"`).
    /// Such data is stored and delivered as received, but no condition
    /// can be evaluated on it, so none holds (not even a negated one) and
    /// a rule with a condition does not fire; a warning says why.
    pub fn value(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| match parse(self.raw) {
                Ok(value) => Some(value),
                Err(error) => {
                    tracing::warn!(
                        %error,
                        "an event's data cannot be evaluated (no condition holds on it)"
                    );
                    None
                }
            })
            .as_ref()
    }

    /// True once [`EventData::value`] has parsed the data.
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }
}

/// Parses event data for conditions; the error says what no `Value`
/// can hold.
pub fn parse(raw: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(raw)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::ids::{DestinationId, EventId, RuleId, TenantId, TriggerId};

    fn event(tenant: TenantId, trigger: TriggerId, data: &str) -> StoredEvent {
        // Through text, as the store decodes it: the data is a `RawValue`,
        // which only deserializes from JSON text.
        let text = json!({
            "source": "test",
            "type": "github.push",
            "time": "2026-11-24T00:00:00Z",
            "data": serde_json::from_str::<Value>(data).unwrap(),
            "weir": {
                "tenant_id": tenant,
                "trigger_id": trigger,
                "idempotency_key": "k",
                "received_at_ms": 0,
            },
        })
        .to_string();
        StoredEvent {
            id: EventId::generate(),
            draft: serde_json::from_str(&text).unwrap(),
        }
    }

    fn rule(tenant: TenantId, condition: Option<Value>) -> Rule {
        serde_json::from_value(json!({
            "id": RuleId::generate(),
            "tenant_id": tenant,
            "name": "r",
            "enabled": true,
            "priority": 0,
            "trigger_ids": [],
            "event_types": ["github.*"],
            "condition": condition,
            "destination_id": DestinationId::generate(),
            "transformer": null,
            "transformer_config": {},
            "created_at": "2026-11-24T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn data_is_parsed_only_when_a_condition_reads_it() {
        let tenant = TenantId::generate();
        let push = event(tenant, TriggerId::generate(), r#"{"ref": "refs/heads/main"}"#);

        let (plain, failed) = RuleSet::compile([rule(tenant, None)]);
        assert!(failed.is_empty());
        let data = EventData::new(push.draft.data.get());
        assert_eq!(plain.matching(&push, &data).len(), 1);
        assert!(
            !data.is_parsed(),
            "a rule without a condition must not parse the data"
        );

        let other_tenant = rule(
            TenantId::generate(),
            Some(json!({"path": "$.ref", "op": "exists"})),
        );
        let (elsewhere, _) = RuleSet::compile([other_tenant]);
        assert!(elsewhere.matching(&push, &data).is_empty());
        assert!(!data.is_parsed(), "another tenant's rule must not parse the data");

        let main_only = json!({"path": "$.ref", "op": "eq", "value": "refs/heads/main"});
        let (conditional, _) = RuleSet::compile([rule(tenant, Some(main_only))]);
        assert_eq!(conditional.matching(&push, &data).len(), 1);
        assert!(data.is_parsed());
    }

    #[test]
    fn data_no_value_holds_fires_no_conditional_rule_not_even_a_negated_one() {
        let tenant = TenantId::generate();
        let push = event(tenant, TriggerId::generate(), r#"{"env": "prod"}"#);
        let is_prod = json!({"path": "$.env", "op": "eq", "value": "prod"});
        let not_test = json!({"not": {"path": "$.env", "op": "eq", "value": "test"}});
        let (rules, failed) = RuleSet::compile([
            rule(tenant, Some(is_prod)),
            rule(tenant, Some(not_test)),
            rule(tenant, None),
        ]);
        assert!(failed.is_empty());
        let deep = format!(
            r#"{{"env": "prod", "x": {}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for raw in [
            r#"{"env": "prod", "x": 1e400}"#,
            r#"{"env": "prod", "s": "\ud800"}"#,
            deep.as_str(),
        ] {
            let data = EventData::new(raw);
            let fired = rules.matching(&push, &data);
            assert_eq!(
                fired.len(),
                1,
                "only the rule without a condition fires for {raw:.40}"
            );
            assert!(fired[0].condition.is_none());
            assert!(data.value().is_none());
        }
        let readable = EventData::new(r#"{"env": "prod", "x": 1e300}"#);
        assert_eq!(rules.matching(&push, &readable).len(), 3);
    }
}
