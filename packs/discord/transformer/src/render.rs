//! One embed per supported event: GitHub push, pull request and issue
//! events, Stripe payments, and the generic fallback for anything else.

use serde_json::Value;
use weir_pack_chat_events::Outcome;
use weir_pack_chat_events::github::{
    IssueChange, IssuesEvent, PullRequestChange, PullRequestEvent, Push, short_sha, title_line,
};
use weir_pack_chat_events::stripe::{Payment, PaymentKind};
use weir_sdk::Event;

use crate::embed::{BLURPLE, Embed, Field, Footer, MAX_DESCRIPTION, color, escape_markdown, truncate};

/// At most this many commits are listed in a push embed.
pub const MAX_LISTED_COMMITS: usize = 10;
/// Pull request and issue bodies are cut to this length: the embed links
/// to the full text.
pub const MAX_BODY: usize = 1000;

/// An embed with the event's time and a footer naming its type and id.
fn base(event: &Event, title: String, url: Option<String>, outcome: Outcome) -> Embed {
    Embed {
        title,
        url: url.filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        description: String::new(),
        color: color(outcome),
        fields: Vec::new(),
        timestamp: event.time.clone(),
        footer: Footer {
            text: format!("{} · {}", event.event_type, event.id),
        },
    }
}

/// `[repo:branch] N new commits`, one line per commit linking to it.
pub fn push(event: &Event, push: &Push) -> Embed {
    let count = push.commits.len();
    let noun = if count == 1 { "commit" } else { "commits" };
    let title = if push.deleted {
        format!("[{}] {} deleted", push.repository.full_name, push.short_ref())
    } else {
        let forced = if push.forced { " (force-pushed)" } else { "" };
        format!(
            "[{}:{}] {count} new {noun}{forced}",
            push.repository.full_name,
            push.short_ref()
        )
    };
    let mut embed = base(event, title, push.compare.clone(), Outcome::Neutral);
    let mut lines: Vec<String> = push
        .commits
        .iter()
        .take(MAX_LISTED_COMMITS)
        .map(|commit| {
            let sha = format!("`{}`", short_sha(&commit.id));
            let sha = match &commit.url {
                Some(url) if url.starts_with("https://") => format!("[{sha}]({url})"),
                _ => sha,
            };
            let author = commit
                .author
                .as_ref()
                .map(|a| format!(" — {}", escape_markdown(&a.name)))
                .unwrap_or_default();
            format!("{sha} {}{author}", escape_markdown(title_line(&commit.message)))
        })
        .collect();
    if count > MAX_LISTED_COMMITS {
        lines.push(format!("… and {} more", count - MAX_LISTED_COMMITS));
    }
    embed.description = lines.join("\n");
    embed
        .fields
        .push(Field::inline("Pushed by", escape_markdown(&push.pusher.name)));
    embed
}

/// `[repo] Pull request merged: #N title`, the body, author and branches.
pub fn pull_request(event: &Event, data: &PullRequestEvent, change: PullRequestChange) -> Embed {
    let pr = &data.pull_request;
    let what = match change {
        PullRequestChange::Opened if pr.draft => "Draft pull request opened",
        PullRequestChange::Opened => "Pull request opened",
        PullRequestChange::Merged => "Pull request merged",
        PullRequestChange::Closed => "Pull request closed",
        PullRequestChange::Reopened => "Pull request reopened",
        PullRequestChange::ReadyForReview => "Pull request ready for review",
    };
    let title = format!(
        "[{}] {what}: #{} {}",
        data.repository.full_name, pr.number, pr.title
    );
    let mut embed = base(event, title, Some(pr.html_url.clone()), change.outcome());
    embed.description = truncate(pr.body.as_deref().unwrap_or_default().trim(), MAX_BODY);
    embed
        .fields
        .push(Field::inline("Author", escape_markdown(&pr.user.login)));
    embed.fields.push(Field::inline(
        "Branches",
        format!("`{}` → `{}`", code(&pr.head.git_ref), code(&pr.base.git_ref)),
    ));
    if data.sender.login != pr.user.login {
        embed.fields.push(Field::inline(
            &actor_label(change.verb()),
            escape_markdown(&data.sender.login),
        ));
    }
    embed
}

/// `[repo] Issue closed: #N title`, the body, author and labels.
pub fn issue(event: &Event, data: &IssuesEvent, change: IssueChange) -> Embed {
    let issue = &data.issue;
    let what = match change {
        IssueChange::Opened => "Issue opened",
        IssueChange::Closed => "Issue closed",
        IssueChange::ClosedNotPlanned => "Issue closed as not planned",
        IssueChange::ClosedDuplicate => "Issue closed as a duplicate",
        IssueChange::Reopened => "Issue reopened",
    };
    let title = format!(
        "[{}] {what}: #{} {}",
        data.repository.full_name, issue.number, issue.title
    );
    let mut embed = base(event, title, Some(issue.html_url.clone()), change.outcome());
    embed.description = truncate(issue.body.as_deref().unwrap_or_default().trim(), MAX_BODY);
    embed
        .fields
        .push(Field::inline("Author", escape_markdown(&issue.user.login)));
    let labels: Vec<String> = issue.labels.iter().map(|l| escape_markdown(&l.name)).collect();
    if !labels.is_empty() {
        embed.fields.push(Field::inline("Labels", labels.join(", ")));
    }
    if data.sender.login != issue.user.login {
        embed.fields.push(Field::inline(
            &actor_label(change.verb()),
            escape_markdown(&data.sender.login),
        ));
    }
    embed
}

/// `Payment succeeded: €12.50 EUR` linking to the Dashboard, with the
/// customer, the object's id and, for failures, the reason.
pub fn payment(event: &Event, payment: &Payment) -> Embed {
    let title = format!("{}: {}", payment.headline(), payment.amount);
    let mut embed = base(event, title, Some(payment.url.clone()), payment.outcome);
    embed.description = payment
        .description
        .as_deref()
        .map(escape_markdown)
        .unwrap_or_default();
    if let Some(customer) = &payment.customer {
        embed
            .fields
            .push(Field::inline("Customer", escape_markdown(customer)));
    }
    let label = match payment.kind {
        PaymentKind::Charge => "Charge",
        PaymentKind::PaymentIntent => "PaymentIntent",
        PaymentKind::Invoice => "Invoice",
    };
    embed
        .fields
        .push(Field::inline(label, format!("`{}`", code(&payment.id))));
    if !payment.livemode {
        embed.fields.push(Field::inline("Mode", "test"));
    }
    if let Some(failure) = &payment.failure {
        embed.fields.push(Field {
            name: "Reason".to_owned(),
            value: escape_markdown(failure),
            inline: false,
        });
    }
    embed
}

/// Title = the event type; description = the data as compact JSON in a
/// code block, cut to fit; subject and source as fields.
pub fn generic(event: &Event) -> Embed {
    let mut embed = base(event, event.event_type.clone(), None, Outcome::Neutral);
    embed.color = BLURPLE;
    embed.description = json_excerpt(&event.data, MAX_DESCRIPTION);
    if let Some(subject) = event.subject.as_deref().filter(|s| !s.is_empty()) {
        embed
            .fields
            .push(Field::inline("Subject", format!("`{}`", code(subject))));
    }
    embed
        .fields
        .push(Field::inline("Source", format!("`{}`", code(&event.source))));
    embed
}

/// "```json\n<compact JSON>\n```" in at most `max` units; a cut excerpt ends
/// in `…` inside the block. Backticks (only possible inside JSON strings)
/// are written `\u0060` so they cannot close the block.
pub fn json_excerpt(data: &str, max: usize) -> String {
    let compact = serde_json::from_str::<Value>(data)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| data.to_owned())
        .replace('`', "\\u0060");
    const OPEN: &str = "```json\n";
    const CLOSE: &str = "\n```";
    let room = max.saturating_sub(OPEN.len() + CLOSE.len());
    format!("{OPEN}{}{CLOSE}", truncate(&compact, room))
}

/// `Merged by`, `Closed by`, … for the actor when it is not the author.
fn actor_label(verb: &str) -> String {
    let mut label = String::new();
    let mut chars = verb.chars();
    if let Some(first) = chars.next() {
        label.extend(first.to_uppercase());
        label.push_str(chars.as_str());
    }
    label.push_str(" by");
    label
}

/// Text safe inside an inline code span (backticks removed).
fn code(text: &str) -> String {
    text.replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::length;

    fn event(data: &str) -> Event {
        Event {
            subject: Some("thing_1".into()),
            ..weir_sdk::testing::event("acme.thing.happened", data)
        }
    }

    #[test]
    fn the_generic_embed_shows_compact_json() {
        let embed = generic(&event("{ \"b\": 1,\n \"a\": \"`x`\" }"));
        assert_eq!(embed.title, "acme.thing.happened");
        assert_eq!(
            embed.description,
            "```json\n{\"a\":\"\\u0060x\\u0060\",\"b\":1}\n```"
        );
        assert_eq!(embed.fields[0], Field::inline("Subject", "`thing_1`"));
        assert_eq!(embed.footer.text, "acme.thing.happened · evt_1");
    }

    #[test]
    fn long_json_is_cut_inside_the_code_block() {
        let big = serde_json::json!({"blob": "x".repeat(10_000)}).to_string();
        let text = json_excerpt(&big, MAX_DESCRIPTION);
        assert_eq!(length(&text), MAX_DESCRIPTION);
        assert!(text.starts_with("```json\n{\"blob\":\"xxx") && text.ends_with("x…\n```"));
    }

    #[test]
    fn actor_labels() {
        assert_eq!(actor_label("merged"), "Merged by");
        assert_eq!(
            actor_label("marked ready for review"),
            "Marked ready for review by"
        );
    }
}
