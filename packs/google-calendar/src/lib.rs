//! Google Calendar push-notification connector.
//!
//! Google Calendar's push notifications (`events.watch`, `calendarList.watch`,
//! `acl.watch`, `settings.watch`) are `POST`s with an empty body: everything
//! is in `X-Goog-*` headers, and the receiver is expected to fetch the
//! changes itself. Google does not sign them; the only proof of origin is
//! the channel token chosen when the channel was created, echoed in
//! `X-Goog-Channel-Token`. When the trigger holds a `channel-token` secret
//! (several values during a rotation), the header must equal one of them,
//! compared in constant time; a trigger without one accepts any channel.
//!
//! Each notification becomes `google-calendar.<X-Goog-Resource-State>`:
//! `google-calendar.sync` (the channel was just created; dropped instead
//! when the trigger sets `ignore_sync`), `google-calendar.exists` or
//! `google-calendar.not_exists`. The idempotency key is
//! `<X-Goog-Channel-ID>:<X-Goog-Message-Number>`, the subject the
//! `X-Goog-Resource-ID`, and the data a JSON object of the headers in
//! snake case; see [`Notification`].

use serde::{Deserialize, Serialize};
use weir_sdk::verify::token_any;
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest};

/// Name of the optional secret holding the channel token.
pub const TOKEN_SECRET: &str = "channel-token";
/// Longest channel or resource id accepted.
const MAX_ID_LEN: usize = 200;

/// The Google Calendar connector.
pub struct GoogleCalendar;

/// The trigger's connector settings; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// Drop the `sync` message Google sends when a channel is created,
    /// instead of storing it as `google-calendar.sync`. Default `false`.
    #[serde(default)]
    pub ignore_sync: bool,
}

impl Connector for GoogleCalendar {
    type Config = CalendarConfig;

    fn receive(
        request: &WebhookRequest,
        secrets: &Secrets,
        config: CalendarConfig,
    ) -> Result<Receipt, Rejection> {
        request.require_method("POST", "Google Calendar sends notifications")?;
        verify_channel_token(request, secrets)?;
        let notification = Notification::from_headers(request)?;
        if notification.resource_state == "sync" && config.ignore_sync {
            return Err(Rejection::Ignored(format!(
                "sync message of channel `{}` (ignore_sync is set)",
                notification.channel_id
            )));
        }
        Ok(Receipt::with_event(notification.into_event()?))
    }
}

weir_sdk::export_connector!(GoogleCalendar);

/// Checks `X-Goog-Channel-Token` when the trigger has `channel-token`
/// values, in constant time (see [`token_any`]).
pub fn verify_channel_token(request: &WebhookRequest, secrets: &Secrets) -> Result<(), Rejection> {
    let tokens: Vec<&str> = secrets.all(TOKEN_SECRET).collect();
    if tokens.is_empty() {
        return Ok(());
    }
    let sent = request.require_signature_header("x-goog-channel-token")?;
    if token_any(&tokens, sent.trim()) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(
            "`X-Goog-Channel-Token` does not match the trigger's channel-token".to_owned(),
        ))
    }
}

/// A push notification, read from its headers; this is also the event's
/// data. `X-Goog-Channel-Token` is left out on purpose: it is the trigger's
/// secret and would otherwise reach every destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// `X-Goog-Channel-ID`: the id chosen when the channel was created.
    pub channel_id: String,
    /// `X-Goog-Channel-Expiration`, e.g. `Tue, 19 Nov 2013 01:13:52 GMT`;
    /// only sent for channels that expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_expiration: Option<String>,
    /// `X-Goog-Resource-ID`: opaque id of the watched resource.
    pub resource_id: String,
    /// `X-Goog-Resource-URI`: API URI of the watched resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
    /// `X-Goog-Resource-State`: `sync`, `exists` or `not_exists`.
    pub resource_state: String,
    /// `X-Goog-Message-Number`: increases with each message of a channel
    /// (`1` for `sync`).
    pub message_number: u64,
}

impl Notification {
    /// Reads and checks the `X-Goog-*` headers.
    pub fn from_headers(request: &WebhookRequest) -> Result<Self, Rejection> {
        let header = |name: &str| {
            request
                .header(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let required =
            |name: &str| header(name).ok_or_else(|| Rejection::Malformed(format!("missing `{name}` header")));
        let channel_id = id_header("x-goog-channel-id", required("x-goog-channel-id")?)?;
        let resource_id = id_header("x-goog-resource-id", required("x-goog-resource-id")?)?;
        let resource_state = required("x-goog-resource-state")?;
        if !matches!(resource_state, "sync" | "exists" | "not_exists") {
            return Err(Rejection::Malformed(format!(
                "`X-Goog-Resource-State` `{resource_state}` is not one of sync, exists, not_exists"
            )));
        }
        let number = required("x-goog-message-number")?;
        let message_number = number.parse::<u64>().map_err(|_| {
            Rejection::Malformed(format!(
                "`X-Goog-Message-Number` `{number}` is not a whole number"
            ))
        })?;
        Ok(Self {
            channel_id,
            channel_expiration: header("x-goog-channel-expiration").map(str::to_owned),
            resource_id,
            resource_uri: header("x-goog-resource-uri").map(str::to_owned),
            resource_state: resource_state.to_owned(),
            message_number,
        })
    }

    /// `google-calendar.<state>` keyed by `<channel id>:<message number>`.
    pub fn into_event(self) -> Result<NewEvent, Rejection> {
        let data = serde_json::to_string(&self)
            .map_err(|error| Rejection::Malformed(format!("cannot encode the notification: {error}")))?;
        Ok(NewEvent::new(
            format!("google-calendar.{}", self.resource_state),
            format!("{}:{}", self.channel_id, self.message_number),
            data,
        )
        .with_subject(self.resource_id))
    }
}

/// A channel or resource id: at most [`MAX_ID_LEN`] visible ASCII characters.
fn id_header(name: &str, value: &str) -> Result<String, Rejection> {
    if value.len() <= MAX_ID_LEN && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(value.to_owned())
    } else {
        Err(Rejection::Malformed(format!(
            "`{name}` must be 1 to {MAX_ID_LEN} visible ASCII characters"
        )))
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
