//! Slack incoming-webhook transformer.
//!
//! Turns events into Slack incoming-webhook messages (`{"text": …}`):
//!
//! - `github.push` → `<pusher> pushed N commits to <ref> on <repo>\n• <sha7>
//!   <message>…` (unchanged since the first version).
//! - `github.pull_request` `opened`, `closed` (merged or not), `reopened`,
//!   `ready_for_review` and `github.issues` `opened`, `closed`, `reopened` →
//!   `<actor> merged pull request <url|#2 Title> on <repo>`; other documented
//!   actions (`synchronize`, `labeled`, …) are `skip`, undocumented ones
//!   `unsupported-event`.
//! - `stripe.charge.succeeded`, `stripe.payment_intent.succeeded`,
//!   `stripe.invoice.paid`, `stripe.charge.failed`,
//!   `stripe.payment_intent.payment_failed` → `Payment succeeded: €12.50 EUR
//!   from <customer> (<dashboard url|ch_…>)`, amounts formatted from minor
//!   units (zero-decimal currencies such as JPY included).
//!
//! Slack's `&`, `<`, `>` are escaped in everything taken from the event.
//! Optional rule configuration: `username`, `icon_emoji` and `channel` are
//! copied into the message; `"blocks": true` also emits a Block Kit `blocks`
//! array holding one `section` with the same text. Other event types are
//! `unsupported-event`.

mod messages;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

pub use messages::{issue_text, payment_text, pull_request_text};

/// At most this many commits are listed; the rest are summarised, because
/// Slack truncates long messages and a 200-commit push is unreadable anyway.
pub const MAX_LISTED_COMMITS: usize = 10;

/// Slack refuses a `section` whose text is longer than this many characters.
pub const MAX_SECTION_TEXT: usize = 3000;

/// The Slack transformer.
pub struct Slack;

/// Rule configuration for the Slack transformer; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Overrides the bot's display name, e.g. `"Weir"`.
    pub username: Option<String>,
    /// Overrides the bot's icon, e.g. `":rocket:"`.
    pub icon_emoji: Option<String>,
    /// Posts to another channel where the webhook allows it, e.g. `"#deploys"`.
    pub channel: Option<String>,
    /// Also emit a Block Kit `blocks` array (one `section` with the text).
    #[serde(default)]
    pub blocks: bool,
}

impl Transformer for Slack {
    type Config = SlackConfig;

    fn transform(event: &Event, config: SlackConfig) -> Result<Outgoing, TransformError> {
        let text = message_text(event)?;
        let mut message = Map::new();
        if config.blocks {
            message.insert("blocks".to_owned(), section_blocks(&text));
        }
        message.insert("text".to_owned(), Value::String(text));
        for (key, value) in [
            ("username", config.username),
            ("icon_emoji", config.icon_emoji),
            ("channel", config.channel),
        ] {
            if let Some(value) = value {
                message.insert(key.to_owned(), json!(value));
            }
        }
        Ok(Outgoing::json(&Value::Object(message)))
    }
}

weir_sdk::export_transformer!(Slack);

/// The message text for `event`, already escaped for Slack.
pub fn message_text(event: &Event) -> Result<String, TransformError> {
    match event.event_type.as_str() {
        "github.push" => Ok(push_text(&event.data_as::<Push>()?)),
        "github.pull_request" => pull_request_text(&event.data_as()?),
        "github.issues" => issue_text(&event.data_as()?),
        kind if weir_pack_chat_events::stripe::PAYMENT_EVENT_TYPES.contains(&kind) => Ok(payment_text(
            &weir_pack_chat_events::stripe::payment(kind, &event.data)?,
        )),
        other => Err(TransformError::UnsupportedEvent(format!(
            "the slack transformer has no message for `{other}`"
        ))),
    }
}

/// A Block Kit `blocks` array with one `mrkdwn` section holding `text`
/// (cut to Slack's 3000-character limit; the full text stays in `text`).
pub fn section_blocks(text: &str) -> Value {
    let text = if text.chars().count() > MAX_SECTION_TEXT {
        let mut cut: String = text.chars().take(MAX_SECTION_TEXT - 1).collect();
        cut.push('…');
        cut
    } else {
        text.to_owned()
    };
    json!([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
}

/// The parts of a GitHub push payload the message uses.
#[derive(Debug, Deserialize)]
pub struct Push {
    /// The pushed ref, e.g. `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Who pushed.
    pub pusher: Pusher,
    /// The repository pushed to.
    pub repository: Repository,
    /// The pushed commits, oldest first.
    #[serde(default)]
    pub commits: Vec<Commit>,
}

/// The pusher of a push.
#[derive(Debug, Deserialize)]
pub struct Pusher {
    /// Login or name, e.g. `octocat`.
    pub name: String,
}

/// The repository of a push.
#[derive(Debug, Deserialize)]
pub struct Repository {
    /// `owner/name`, e.g. `octo-org/hello-world`.
    pub full_name: String,
}

/// One pushed commit.
#[derive(Debug, Deserialize)]
pub struct Commit {
    /// Full commit SHA.
    pub id: String,
    /// Commit message; only its first line is shown.
    pub message: String,
}

/// `<pusher> pushed N commits to <ref> on <repo>` then one line per commit.
pub fn push_text(push: &Push) -> String {
    let count = push.commits.len();
    let noun = if count == 1 { "commit" } else { "commits" };
    let mut text = format!(
        "{} pushed {count} {noun} to {} on {}",
        escape(&push.pusher.name),
        escape(&push.git_ref),
        escape(&push.repository.full_name),
    );
    for commit in push.commits.iter().take(MAX_LISTED_COMMITS) {
        let sha7: String = commit.id.chars().take(7).collect();
        let title = commit.message.lines().next().unwrap_or_default();
        text.push_str(&format!("\n• {} {}", escape(&sha7), escape(title)));
    }
    if count > MAX_LISTED_COMMITS {
        text.push_str(&format!("\n… and {} more", count - MAX_LISTED_COMMITS));
    }
    text
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack link `<url|text>`, escaped; plain escaped `text` when `url` is
/// not an `http(s)` URL (Slack would otherwise link to anything).
pub fn link(url: &str, text: &str) -> String {
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
        return escape(text);
    }
    format!("<{}|{}>", escape(url).replace('|', "%7C"), escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: Value) -> Event {
        weir_sdk::testing::event(event_type, data.to_string())
    }

    fn push(commits: usize) -> Value {
        let commits: Vec<Value> = (0..commits)
            .map(|i| json!({"id": format!("{i:040x}"), "message": format!("change {i}\n\nbody")}))
            .collect();
        json!({
            "ref": "refs/heads/main",
            "pusher": {"name": "octocat"},
            "repository": {"full_name": "octo-org/hello-world"},
            "commits": commits,
        })
    }

    #[test]
    fn a_push_becomes_a_slack_message() {
        let out =
            Slack::transform(&event("github.push", push(2)), SlackConfig::default()).expect("transformed");
        let body: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(
            body["text"],
            "octocat pushed 2 commits to refs/heads/main on octo-org/hello-world\n\
             • 0000000 change 0\n• 0000000 change 1"
        );
        assert_eq!(out.content_type, "application/json");
    }

    #[test]
    fn one_commit_is_singular_and_long_pushes_are_summarised() {
        assert!(push_text(&serde_json::from_value(push(1)).expect("push")).contains("1 commit to"));
        let text = push_text(&serde_json::from_value(push(12)).expect("push"));
        assert_eq!(text.lines().count(), 1 + MAX_LISTED_COMMITS + 1);
        assert!(text.ends_with("… and 2 more"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("<a&b>"), "&lt;a&amp;b&gt;");
    }

    #[test]
    fn config_fields_are_copied_and_unknown_ones_refused() {
        let config: SlackConfig = serde_json::from_value(json!({"username": "Weir"})).expect("config");
        let out = Slack::transform(&event("github.push", push(0)), config).expect("ok");
        let body: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(body["username"], "Weir");
        assert!(serde_json::from_value::<SlackConfig>(json!({"colour": "red"})).is_err());
    }

    #[test]
    fn blocks_repeat_the_text_in_a_section() {
        let config: SlackConfig = serde_json::from_value(json!({"blocks": true})).expect("config");
        let out = Slack::transform(&event("github.push", push(1)), config).expect("ok");
        let body: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(body["blocks"][0]["type"], "section");
        assert_eq!(body["blocks"][0]["text"]["type"], "mrkdwn");
        assert_eq!(body["blocks"][0]["text"]["text"], body["text"]);
        let error =
            weir_sdk::config::from_value::<SlackConfig>(json!({"blocks": "yes"})).expect_err("refused");
        assert!(error.contains("at `blocks`"), "{error}");
    }

    #[test]
    fn long_sections_are_cut_to_slacks_limit() {
        let blocks = section_blocks(&"x".repeat(MAX_SECTION_TEXT + 10));
        let text = blocks[0]["text"]["text"].as_str().expect("text");
        assert_eq!(text.chars().count(), MAX_SECTION_TEXT);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn a_push_is_byte_for_byte_what_it_was() {
        let config: SlackConfig =
            serde_json::from_value(json!({"username": "Weir", "channel": "#c"})).expect("config");
        let out = Slack::transform(&event("github.push", push(1)), config).expect("ok");
        assert_eq!(
            out.body_text(),
            r##"{"channel":"#c","text":"octocat pushed 1 commit to refs/heads/main on octo-org/hello-world\n• 0000000 change 0","username":"Weir"}"##
        );
    }

    #[test]
    fn other_events_are_unsupported() {
        let result = Slack::transform(&event("stripe.charge", json!({})), SlackConfig::default());
        assert!(matches!(result, Err(TransformError::UnsupportedEvent(_))));
    }
}
