//! The audit log: every admin mutation, with who did it, when, to what,
//! and which fields changed (before and after), secrets redacted.
//!
//! Handlers call [`AppState::audit`] once after a mutation succeeded, with
//! the resource as it was and as it is ([`snap`] of the stored record, or
//! `None` for a creation or deletion). The entry is computed here
//! ([`diff`]) and appended to the store's `audit` tree; a failure to
//! record is logged, never turned into an error for a change that has
//! already been made. `GET /api/v1/audit` (in `api/audit.rs`) reads it.

use std::collections::BTreeMap;
use std::fmt::Display;

use serde::Serialize;
use serde_json::Value;

use crate::api::Caller;
use crate::ids::{AuditId, TenantId};
use crate::model::{AuditAction, AuditEntry, FieldChange};
use crate::server::AppState;
use crate::time::now_ms;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Field names containing any of these hold key material or credentials.
const SENSITIVE: [&str; 9] = [
    "secret",
    "token",
    "password",
    "authorization",
    "key",
    "sha256",
    "sealed",
    "credential",
    "signature",
];

/// A record as the audit log sees it (its JSON).
pub fn snap<T: Serialize>(record: &T) -> Option<Value> {
    serde_json::to_value(record).ok()
}

impl AppState {
    /// Records `action` by `caller` on `resource_type` `resource_id`,
    /// whose state went from `before` to `after` (see [`snap`]).
    pub fn audit(
        &self,
        caller: &Caller,
        action: AuditAction,
        resource_type: &str,
        resource_id: impl Display,
        before: Option<Value>,
        after: Option<Value>,
    ) {
        let resource_id = resource_id.to_string();
        let tenant_id = if resource_type == "tenant" {
            resource_id.parse().ok()
        } else {
            tenant_of(after.as_ref())
                .or_else(|| tenant_of(before.as_ref()))
                .or(caller.tenant)
        };
        let entry = AuditEntry {
            id: AuditId::generate(),
            at_ms: now_ms(),
            actor: caller.actor(),
            tenant_id,
            action,
            resource_type: resource_type.to_owned(),
            resource_id,
            request_id: caller.request_id.clone(),
            changes: diff(before.as_ref(), after.as_ref()),
        };
        if let Err(error) = self.store.append_audit(&entry) {
            tracing::error!(%error, action = ?entry.action, resource = %entry.resource_id, "cannot record the audit entry");
        }
    }
}

fn tenant_of(record: Option<&Value>) -> Option<TenantId> {
    record?.get("tenant_id")?.as_str()?.parse().ok()
}

/// True when a field of this name holds a secret.
pub fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|word| name.contains(word))
}

/// The changed fields between `before` and `after`, by dotted path
/// (objects are walked, arrays compared whole), secrets redacted: a field
/// with a sensitive name anywhere in its path shows only that it changed,
/// and sensitive fields inside shown values are replaced too.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    if let Some(value) = before {
        flatten("", value, &mut old);
    }
    if let Some(value) = after {
        flatten("", value, &mut new);
    }
    let fields: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    fields
        .into_iter()
        .filter_map(|field| {
            let was = old.get(field).copied();
            let is = new.get(field).copied();
            if was == is {
                return None;
            }
            let secret = field.split('.').any(is_sensitive);
            let show = |value: Option<&Value>| match value {
                None => Value::Null,
                Some(_) if secret => Value::String(REDACTED.to_owned()),
                Some(value) => redact(value),
            };
            Some(FieldChange {
                field: field.clone(),
                before: show(was),
                after: show(is),
            })
        })
        .collect()
}

fn flatten<'a>(path: &str, value: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&path, inner, out);
            }
        }
        _ if path.is_empty() => {}
        _ => {
            out.insert(path.to_owned(), value);
        }
    }
}

/// `value` with every sensitive-named field's value replaced.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, inner)| {
                    let shown = if is_sensitive(key) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(inner)
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_are_per_field_with_secrets_redacted() {
        let before = json!({
            "name": "a", "enabled": true, "policy": {"max_body_bytes": 10, "burst": 1},
            "webhook_key": "wh_old", "secrets": [{"name": "s", "value": "hunter2"}],
            "headers": [{"name": "Authorization", "sealed_value": "xx"}],
        });
        let after = json!({
            "name": "b", "enabled": true, "policy": {"max_body_bytes": 20, "burst": 1},
            "webhook_key": "wh_new", "secrets": [{"name": "s", "value": "hunter3"}],
            "headers": [{"name": "Authorization", "sealed_value": "yy"}, {"name": "X-A", "sealed_value": "zz"}],
        });
        let changes = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "headers",
                "name",
                "policy.max_body_bytes",
                "secrets",
                "webhook_key"
            ]
        );
        let text = serde_json::to_string(&changes).expect("json");
        for secret in [
            "wh_old", "wh_new", "hunter2", "hunter3", "\"xx\"", "\"yy\"", "\"zz\"",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(changes[1].before, json!("a"));
        assert_eq!(changes[1].after, json!("b"));
        assert_eq!(changes[4].after, json!(REDACTED));
        assert_eq!(changes[0].after[1]["name"], "X-A");
    }

    #[test]
    fn creations_and_deletions_list_every_field() {
        let record = json!({"id": "trg_1", "signing_secret": "whsec_x", "n": 1});
        let created = diff(None, Some(&record));
        assert_eq!(created.len(), 3);
        assert!(created.iter().all(|c| c.before.is_null()));
        let deleted = diff(Some(&record), None);
        assert!(deleted.iter().all(|c| c.after.is_null()));
        assert!(!serde_json::to_string(&deleted).expect("json").contains("whsec_x"));
        assert!(diff(Some(&record), Some(&record)).is_empty());
    }
}
