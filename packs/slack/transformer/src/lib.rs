//! Slack incoming-webhook transformer.
//!
//! Turns a `github.push` event into `{"text": "<pusher> pushed N commits to
//! <ref> on <repo>\n• <sha7> <message>…"}`, with Slack's `&`, `<`, `>`
//! escaped in everything taken from the event. Optional rule configuration:
//! `username`, `icon_emoji` and `channel` are copied into the message.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

/// At most this many commits are listed; the rest are summarised, because
/// Slack truncates long messages and a 200-commit push is unreadable anyway.
pub const MAX_LISTED_COMMITS: usize = 10;

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
}

impl Transformer for Slack {
    type Config = SlackConfig;

    fn transform(event: &Event, config: SlackConfig) -> Result<Outgoing, TransformError> {
        let text = match event.event_type.as_str() {
            "github.push" => push_text(&event.data_as::<Push>()?),
            other => {
                return Err(TransformError::UnsupportedEvent(format!(
                    "the slack transformer has no message for `{other}`"
                )));
            }
        };
        let mut message = Map::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: Value) -> Event {
        Event {
            id: "evt_test".into(),
            source: "/triggers/trg_test".into(),
            event_type: event_type.into(),
            subject: None,
            time: "2026-11-23T10:00:00Z".into(),
            data: data.to_string(),
        }
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
    fn other_events_are_unsupported() {
        let result = Slack::transform(&event("stripe.charge", json!({})), SlackConfig::default());
        assert!(matches!(result, Err(TransformError::UnsupportedEvent(_))));
    }
}
