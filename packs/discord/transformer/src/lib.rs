//! Discord incoming-webhook transformer.
//!
//! Turns an event into a Discord webhook body with one embed:
//! `{"content"?, "username"?, "avatar_url"?, "embeds": [{"title", "url",
//! "description", "color", "fields": [{"name", "value", "inline"}],
//! "timestamp", "footer": {"text"}}]}`.
//!
//! - `github.push` (commits listed), `github.pull_request` (`opened`,
//!   `closed`/merged, `reopened`, `ready_for_review`), `github.issues`
//!   (`opened`, `closed`, `reopened`) and the Stripe payment events
//!   (`charge.succeeded`/`failed`, `payment_intent.succeeded`/
//!   `payment_failed`, `invoice.paid`) get their own embed. Documented
//!   actions that deserve no message (`synchronize`, `labeled`, …) are `skip`.
//! - Any other event (and a known type whose data does not have the expected
//!   shape) gets the generic embed: title = the event type, description =
//!   the data as compact JSON in a code block — unless `"generic": false`,
//!   when it is `unsupported-event`.
//! - Colours: green for success (payment succeeded, pull request merged,
//!   issue completed), red for failure (payment failed, pull request closed
//!   unmerged), blurple otherwise.
//! - Discord's limits are enforced by cutting text (title 256, description
//!   4096, field value 1024, 25 fields, 6000 in all), so Discord never
//!   refuses the body for its size. Event text is Markdown-escaped.
//!
//! Configuration (all optional): `username` (1-80 characters, without
//! "discord" or "clyde", which Discord refuses), `avatar_url` (http(s)),
//! `content` (text above the embed, at most 2000 characters), `generic`
//! (default true).

pub mod embed;
pub mod render;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use weir_pack_chat_events::github::{IssueChange, PullRequestChange, Push};
use weir_pack_chat_events::stripe::{PAYMENT_EVENT_TYPES, payment};
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

pub use embed::Embed;

/// Longest `content` Discord accepts.
pub const MAX_CONTENT: usize = 2000;
/// Longest `username` Discord accepts.
pub const MAX_USERNAME: usize = 80;

/// The Discord transformer.
pub struct Discord;

/// Rule configuration; every field is optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// Overrides the webhook's display name, e.g. `"Weir"`.
    #[serde(default)]
    pub username: Option<String>,
    /// Overrides the webhook's avatar, e.g. `"https://example.com/weir.png"`.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Message text above the embed, e.g. `"New activity"`.
    #[serde(default)]
    pub content: Option<String>,
    /// Use the generic embed for other events (default) rather than
    /// answering `unsupported-event`.
    #[serde(default = "yes")]
    pub generic: bool,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        Self {
            username: None,
            avatar_url: None,
            content: None,
            generic: true,
        }
    }
}

fn yes() -> bool {
    true
}

impl DiscordConfig {
    /// Refuses values Discord would refuse, naming the field.
    pub fn validate(&self) -> Result<(), TransformError> {
        let invalid = |message: String| Err(TransformError::InvalidConfig(message));
        if let Some(username) = &self.username {
            let lower = username.to_lowercase();
            if username.trim().is_empty() || embed::length(username) > MAX_USERNAME {
                return invalid(format!("`username` must be 1 to {MAX_USERNAME} characters"));
            }
            if lower.contains("discord") || lower.contains("clyde") {
                return invalid(
                    "`username` must not contain \"discord\" or \"clyde\": Discord refuses it".into(),
                );
            }
        }
        if let Some(url) = &self.avatar_url
            && (!(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace))
        {
            return invalid(format!("`avatar_url` must be an http(s) URL, not `{url}`"));
        }
        if let Some(content) = &self.content
            && embed::length(content) > MAX_CONTENT
        {
            return invalid(format!("`content` must be at most {MAX_CONTENT} characters"));
        }
        Ok(())
    }
}

impl Transformer for Discord {
    type Config = DiscordConfig;

    fn transform(event: &Event, config: DiscordConfig) -> Result<Outgoing, TransformError> {
        config.validate()?;
        let mut embed = match specific_embed(event) {
            Err(TransformError::UnsupportedEvent(_)) if config.generic => render::generic(event),
            other => other?,
        };
        embed.enforce_limits();
        let mut body = Map::new();
        for (key, value) in [
            ("content", config.content),
            ("username", config.username),
            ("avatar_url", config.avatar_url),
        ] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                body.insert(key.to_owned(), json!(value));
            }
        }
        body.insert("embeds".to_owned(), json!([embed]));
        Ok(Outgoing::json(&Value::Object(body)))
    }
}

weir_sdk::export_transformer!(Discord);

/// The embed for a supported event; `unsupported-event` for the rest (or
/// data of the wrong shape), `skip` for actions that get no message.
pub fn specific_embed(event: &Event) -> Result<Embed, TransformError> {
    match event.event_type.as_str() {
        "github.push" => Ok(render::push(event, &event.data_as::<Push>()?)),
        "github.pull_request" => {
            let data = event.data_as()?;
            Ok(render::pull_request(event, &data, PullRequestChange::of(&data)?))
        }
        "github.issues" => {
            let data = event.data_as()?;
            Ok(render::issue(event, &data, IssueChange::of(&data)?))
        }
        kind if PAYMENT_EVENT_TYPES.contains(&kind) => {
            Ok(render::payment(event, &payment(kind, &event.data)?))
        }
        other => Err(TransformError::UnsupportedEvent(format!(
            "the discord transformer has no embed for `{other}` (set `\"generic\": true` for a generic one)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: Value) -> Event {
        weir_sdk::testing::event(event_type, data.to_string())
    }

    fn config(value: Value) -> DiscordConfig {
        serde_json::from_value(value).expect("config")
    }

    fn body(event: &Event, config: DiscordConfig) -> Value {
        let out = Discord::transform(event, config).expect("transformed");
        serde_json::from_slice(&out.body).expect("json")
    }

    #[test]
    fn a_push_lists_its_commits() {
        let push = json!({
            "ref": "refs/heads/main", "pusher": {"name": "mona"}, "repository": {"full_name": "o/r"},
            "compare": "https://github.com/o/r/compare/a...b",
            "commits": [{"id": "1234567890", "message": "Fix *it*\n\nbody", "url": "https://github.com/o/r/commit/1234567890",
                         "author": {"name": "Mona"}}]
        });
        let body = body(
            &event("github.push", push),
            config(json!({"username": "Weir", "content": "hi"})),
        );
        let embed = &body["embeds"][0];
        assert_eq!(embed["title"], "[o/r:main] 1 new commit");
        assert_eq!(embed["url"], "https://github.com/o/r/compare/a...b");
        assert_eq!(
            embed["description"],
            "[`1234567`](https://github.com/o/r/commit/1234567890) Fix \\*it\\* — Mona"
        );
        assert_eq!(embed["color"], embed::BLURPLE);
        assert_eq!(
            (body["username"].as_str(), body["content"].as_str()),
            (Some("Weir"), Some("hi"))
        );
    }

    #[test]
    fn unknown_events_fall_back_unless_generic_is_off() {
        let unknown = event("shopify.orders.create", json!({"id": 1}));
        assert_eq!(
            body(&unknown, DiscordConfig::default())["embeds"][0]["title"],
            "shopify.orders.create"
        );
        let refused = Discord::transform(&unknown, config(json!({"generic": false})));
        assert!(matches!(refused, Err(TransformError::UnsupportedEvent(_))));
        // Data of the wrong shape for a known type falls back too.
        let odd = event("stripe.charge.succeeded", json!({"id": "ch_1"}));
        assert_eq!(
            body(&odd, DiscordConfig::default())["embeds"][0]["title"],
            "stripe.charge.succeeded"
        );
    }

    #[test]
    fn skips_stay_skips_even_with_the_fallback() {
        let sync = json!({
            "action": "synchronize",
            "pull_request": {"html_url": "https://github.com/o/r/pull/1", "number": 1, "title": "t",
                             "user": {"login": "a"}, "base": {"ref": "main"}, "head": {"ref": "x"}},
            "repository": {"full_name": "o/r"}, "sender": {"login": "a"}
        });
        let result = Discord::transform(&event("github.pull_request", sync), DiscordConfig::default());
        assert!(matches!(result, Err(TransformError::Skip(_))));
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let message = |value: Value| match config(value).validate() {
            Err(TransformError::InvalidConfig(message)) => message,
            other => panic!("expected invalid-config, got {other:?}"),
        };
        assert!(message(json!({"username": "Discord Bot"})).contains("`username`"));
        assert!(message(json!({"username": "x".repeat(81)})).contains("`username`"));
        assert!(message(json!({"avatar_url": "ftp://x"})).contains("`avatar_url`"));
        assert!(message(json!({"content": "x".repeat(2001)})).contains("`content`"));
        let error =
            weir_sdk::config::from_value::<DiscordConfig>(json!({"generic": "no"})).expect_err("refused");
        assert!(error.contains("at `generic`"), "{error}");
        assert!(weir_sdk::config::from_value::<DiscordConfig>(json!({"colour": 1})).is_err());
    }
}
