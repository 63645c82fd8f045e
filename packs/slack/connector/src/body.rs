//! Turns a verified Slack request body into events or a handshake reply.
//!
//! Slack posts three shapes to a Request URL:
//! - Events API JSON envelopes: `url_verification` (answered with the
//!   challenge) and `event_callback` (one `slack.<event.type>` event keyed by
//!   `event_id`, so Slack's retries — same `event_id`, with
//!   `X-Slack-Retry-Num` — are dropped as duplicates);
//! - interactivity forms, `payload=<json>` (`slack.interaction.<type>`);
//! - slash-command forms with `command` and `trigger_id` (`slack.command`).

use serde::Deserialize;
use serde_json::{Map, Value};
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::time::rfc3339_checked_from_unix_secs;
use weir_sdk::{NewEvent, Receipt, Rejection, Reply, WebhookRequest, is_snake_case_name};

/// Longest idempotency key accepted from Slack.
const MAX_KEY_LEN: usize = 200;

/// The events (or reply) for a verified request signed at `signed_at`
/// (Unix seconds, used as the time of interactions and commands, which
/// carry none of their own).
pub fn receipt(request: &WebhookRequest, signed_at: i64) -> Result<Receipt, Rejection> {
    let body = request.body_str()?;
    if is_form(request, body) {
        form_receipt(request, signed_at)
    } else {
        events_api_receipt(request, body)
    }
}

/// Forms are recognised by content type; without one, by not being JSON.
fn is_form(request: &WebhookRequest, body: &str) -> bool {
    match request.header("content-type").map(str::trim) {
        Some(kind) if kind.starts_with("application/x-www-form-urlencoded") => true,
        Some(kind) if kind.starts_with("application/json") => false,
        _ => !body.trim_start().starts_with('{'),
    }
}

/// The outer Events API envelope; only the fields Weir needs.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    challenge: Option<String>,
    event_id: Option<String>,
    event_time: Option<i64>,
    event: Option<InnerEvent>,
}

/// The inner `event` of an `event_callback`.
#[derive(Debug, Deserialize)]
struct InnerEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    channel: Option<Value>,
    item: Option<Item>,
}

/// `event.item` of reaction and pin events, which name their channel there.
#[derive(Debug, Deserialize)]
struct Item {
    channel: Option<String>,
}

/// An Events API envelope; `body` is the request's body as text.
fn events_api_receipt(request: &WebhookRequest, body: &str) -> Result<Receipt, Rejection> {
    let envelope: Envelope = request.json()?;
    match envelope.kind.as_deref() {
        Some("url_verification") => {
            let challenge = envelope.challenge.filter(|c| !c.is_empty()).ok_or_else(|| {
                Rejection::Malformed("`url_verification` body has no `challenge`".to_owned())
            })?;
            Ok(Receipt::reply_only(Reply::text(challenge)))
        }
        Some("event_callback") => event_callback(envelope, body).map(Receipt::with_event),
        Some("app_rate_limited") => Err(Rejection::Ignored(
            "`app_rate_limited`: Slack is dropping this app's events for a minute".to_owned(),
        )),
        Some(other) => Err(Rejection::Ignored(format!(
            "Events API envelope of type `{other}` carries no event"
        ))),
        None => Err(Rejection::Malformed(
            "JSON body has no `type`; expected a Slack Events API envelope".to_owned(),
        )),
    }
}

fn event_callback(envelope: Envelope, body: &str) -> Result<NewEvent, Rejection> {
    let inner = envelope
        .event
        .ok_or_else(|| Rejection::Malformed("`event_callback` has no `event` object".to_owned()))?;
    let kind = inner
        .kind
        .as_deref()
        .ok_or_else(|| Rejection::Malformed("`event` has no `type`".to_owned()))?;
    check_name("event.type", kind)?;
    let event_id = check_key("event_id", envelope.event_id.as_deref())?;
    let mut event = NewEvent::new(format!("slack.{kind}"), event_id, body);
    if let Some(channel) = channel_of(&inner) {
        event = event.with_subject(channel);
    }
    if let Some(time) = envelope.event_time.and_then(rfc3339_checked_from_unix_secs) {
        event = event.with_time(time);
    }
    Ok(event)
}

/// `event.channel` (an id, or an object with one), else `event.item.channel`.
fn channel_of(event: &InnerEvent) -> Option<String> {
    let direct = match &event.channel {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(channel)) => channel.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    direct
        .or_else(|| event.item.as_ref()?.channel.clone())
        .filter(|id| !id.is_empty())
}

fn form_receipt(request: &WebhookRequest, signed_at: i64) -> Result<Receipt, Rejection> {
    let fields = request.form_fields()?;
    let event = if let Some(payload) = field(&fields, "payload") {
        interaction(payload)?
    } else if field(&fields, "command").is_some() {
        command(&fields)?
    } else {
        return Err(Rejection::Malformed(
            "form body has neither `payload` (interactivity) nor `command` (slash command)".to_owned(),
        ));
    };
    Ok(Receipt::with_event(
        match rfc3339_checked_from_unix_secs(signed_at) {
            Some(time) => event.with_time(time),
            None => event,
        },
    ))
}

/// The first value of form field `name`.
fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The fields of an interaction payload Weir needs.
#[derive(Debug, Deserialize)]
struct Interaction {
    #[serde(rename = "type")]
    kind: Option<String>,
    trigger_id: Option<String>,
    channel: Option<IdOnly>,
    container: Option<Container>,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Container {
    channel_id: Option<String>,
}

/// `payload=<json>`: `slack.interaction.<type>`, keyed by `trigger_id`, or
/// by the payload's SHA-256 when it has none (e.g. `view_closed`).
fn interaction(payload: &str) -> Result<NewEvent, Rejection> {
    let head: Interaction = serde_json::from_str(payload)
        .map_err(|error| Rejection::Malformed(format!("`payload` is not valid JSON: {error}")))?;
    let kind = head
        .kind
        .as_deref()
        .ok_or_else(|| Rejection::Malformed("interaction `payload` has no `type`".to_owned()))?;
    check_name("payload.type", kind)?;
    let key = match head.trigger_id.as_deref() {
        Some(trigger_id) => check_key("trigger_id", Some(trigger_id))?.to_owned(),
        None => host::digest_hex(HashAlgorithm::Sha256, payload.as_bytes()),
    };
    let mut event = NewEvent::new(format!("slack.interaction.{kind}"), key, payload);
    let channel = head
        .channel
        .and_then(|channel| channel.id)
        .or_else(|| head.container.and_then(|container| container.channel_id))
        .filter(|id| !id.is_empty());
    if let Some(channel) = channel {
        event = event.with_subject(channel);
    }
    Ok(event)
}

/// A slash command: `slack.command` keyed by `trigger_id`; the data is the
/// form's fields as a JSON object of strings.
fn command(fields: &[(String, String)]) -> Result<NewEvent, Rejection> {
    let trigger_id = check_key("trigger_id", field(fields, "trigger_id"))?;
    let mut data = Map::new();
    for (key, value) in fields {
        data.entry(key.clone())
            .or_insert_with(|| Value::String(value.clone()));
    }
    let mut event = NewEvent::new("slack.command", trigger_id, Value::Object(data).to_string());
    if let Some(channel) = field(fields, "channel_id").filter(|id| !id.is_empty()) {
        event = event.with_subject(channel);
    }
    Ok(event)
}

/// Slack's type names: lowercase letters, digits and `_`.
fn check_name(field: &str, name: &str) -> Result<(), Rejection> {
    is_snake_case_name(name)
        .then_some(())
        .ok_or_else(|| Rejection::Malformed(format!("`{field}` `{name}` is not a Slack type name")))
}

/// A present, non-empty identifier of at most [`MAX_KEY_LEN`] bytes.
fn check_key<'a>(field: &str, value: Option<&'a str>) -> Result<&'a str, Rejection> {
    match value {
        Some(key) if !key.is_empty() && key.len() <= MAX_KEY_LEN => Ok(key),
        Some(_) => Err(Rejection::Malformed(format!(
            "`{field}` must be 1 to {MAX_KEY_LEN} characters"
        ))),
        None => Err(Rejection::Malformed(format!("body has no `{field}`"))),
    }
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
