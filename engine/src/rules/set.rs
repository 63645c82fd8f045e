//! [`RuleSet`]: every enabled rule, compiled and ordered by priority.

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
    /// parsed data, parsed once by the caller.
    pub fn matching(&self, event: &StoredEvent, data: &Value) -> Vec<Arc<Rule>> {
        self.rules
            .iter()
            .filter(|compiled| {
                let rule = &compiled.rule;
                // A rule never sees another tenant's events.
                rule.tenant_id == event.tenant_id()
                    && (rule.trigger_ids.is_empty()
                        || event.trigger_id().is_some_and(|t| rule.trigger_ids.contains(&t)))
                    && rule.event_types.iter().any(|p| p.matches(event.event_type()))
                    && compiled.condition.as_ref().is_none_or(|c| c.evaluate(data))
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
