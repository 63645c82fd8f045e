//! Turns a verified Meta notification into one event per change or
//! messaging item.
//!
//! A body is `{"object": "page", "entry": [{"id", "time", "changes": [{"field",
//! "value"}]} | {"id", "time", "messaging": [..]}]}`. Each change becomes
//! `meta.<object>.<field>`; each `messaging` (and Messenger handover
//! `standby`) item becomes `meta.<object>.messaging` (`.standby`). The
//! subject is the entry's `id`, the time its `time` (seconds for Graph API
//! objects, milliseconds for Messenger; absent for WhatsApp).
//!
//! Meta sends no delivery id, so the idempotency key is the SHA-256 hex of
//! `"{entry id}\n{entry time}\n{list}/{index}\n{item}"`, the item written as
//! canonical JSON (object keys sorted, no spaces). A redelivery of the same
//! notification gives the same keys; Meta re-batching items differently
//! would change `index` and defeat deduplication.

use serde::Deserialize;
use serde_json::{Value, json};
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::time::{rfc3339_checked_from_unix_millis, rfc3339_checked_from_unix_secs};
use weir_sdk::{NewEvent, Receipt, Rejection, is_snake_case_name};

/// Entry times above this are milliseconds: as seconds they would be after
/// the year 5000, as milliseconds they are after March 1973.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// A notification, parsed only as deep as the connector needs.
#[derive(Debug, Deserialize)]
struct Notification {
    object: Option<String>,
    entry: Option<Vec<Entry>>,
}

/// One entry: an object that changed, with its changes or messages.
#[derive(Debug, Deserialize)]
struct Entry {
    id: Option<Value>,
    time: Option<Value>,
    #[serde(default)]
    changes: Vec<Value>,
    #[serde(default)]
    messaging: Vec<Value>,
    #[serde(default)]
    standby: Vec<Value>,
}

/// The events of notification `body`.
pub fn receipt(body: &[u8]) -> Result<Receipt, Rejection> {
    let notification: Notification = serde_json::from_slice(body)
        .map_err(|error| Rejection::Malformed(format!("body is not a Meta notification: {error}")))?;
    let object = notification
        .object
        .ok_or_else(|| Rejection::Malformed("notification has no `object`".to_owned()))?;
    check_name("object", &object)?;
    let entries = notification
        .entry
        .ok_or_else(|| Rejection::Malformed("notification has no `entry` list".to_owned()))?;
    let mut events = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        entry_events(&object, position, entry, &mut events)?;
    }
    if events.is_empty() {
        return Err(Rejection::Ignored(format!(
            "`{object}` notification has no changes or messaging items"
        )));
    }
    Ok(Receipt { events, reply: None })
}

/// Appends the events of `entry` (the `position`th of the body).
fn entry_events(
    object: &str,
    position: usize,
    entry: &Entry,
    events: &mut Vec<NewEvent>,
) -> Result<(), Rejection> {
    let id = match &entry.id {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => return Err(Rejection::Malformed(format!("`entry[{position}]` has no `id`"))),
    };
    let time_text = entry.time.as_ref().map(canonical).unwrap_or_default();
    let time = entry.time.as_ref().and_then(Value::as_i64).and_then(entry_time);
    for (index, change) in entry.changes.iter().enumerate() {
        let field = change.get("field").and_then(Value::as_str).ok_or_else(|| {
            Rejection::Malformed(format!("`entry[{position}].changes[{index}]` has no `field`"))
        })?;
        check_name("field", field)?;
        let value = change.get("value").cloned().unwrap_or(Value::Null);
        let key = item_key(&id, &time_text, &format!("changes/{index}"), change);
        events.push(event(object, field, key, &id, entry, value, time.as_deref()));
    }
    for (list, items) in [("messaging", &entry.messaging), ("standby", &entry.standby)] {
        for (index, item) in items.iter().enumerate() {
            let key = item_key(&id, &time_text, &format!("{list}/{index}"), item);
            events.push(event(
                object,
                list,
                key,
                &id,
                entry,
                item.clone(),
                time.as_deref(),
            ));
        }
    }
    Ok(())
}

/// `meta.<object>.<field>` with data `{object, entry_id, entry_time, field, value}`.
fn event(
    object: &str,
    field: &str,
    key: String,
    id: &str,
    entry: &Entry,
    value: Value,
    time: Option<&str>,
) -> NewEvent {
    let data = json!({
        "object": object,
        "entry_id": entry.id,
        "entry_time": entry.time,
        "field": field,
        "value": value,
    });
    let event = NewEvent::new(format!("meta.{object}.{field}"), key, data.to_string()).with_subject(id);
    match time {
        Some(time) => event.with_time(time),
        None => event,
    }
}

/// An entry's `time` as RFC 3339. Graph API notifications give seconds,
/// Messenger ones milliseconds; both are recognised by size.
fn entry_time(time: i64) -> Option<String> {
    if time > MILLIS_THRESHOLD {
        rfc3339_checked_from_unix_millis(time)
    } else {
        rfc3339_checked_from_unix_secs(time)
    }
}

/// SHA-256 hex of the entry id, entry time, item position and item.
fn item_key(id: &str, time: &str, position: &str, item: &Value) -> String {
    let text = format!("{id}\n{time}\n{position}\n{}", canonical(item));
    host::digest_hex(HashAlgorithm::Sha256, text.as_bytes())
}

/// Compact JSON with object keys sorted at every level, whatever order the
/// provider (or `serde_json`'s features) gave them.
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let members: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{}:{}", Value::String(key.clone()), canonical(value)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        scalar => scalar.to_string(),
    }
}

/// Meta object and field names: lowercase letters, digits and `_`.
fn check_name(what: &str, name: &str) -> Result<(), Rejection> {
    is_snake_case_name(name)
        .then_some(())
        .ok_or_else(|| Rejection::Malformed(format!("`{what}` `{name}` is not a Meta {what} name")))
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
