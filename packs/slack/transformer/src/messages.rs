//! Message texts for pull requests, issues and Stripe payments, escaped for
//! Slack's `mrkdwn`.

use weir_pack_chat_events::Outcome;
use weir_pack_chat_events::github::{IssueChange, IssuesEvent, PullRequestChange, PullRequestEvent};
use weir_pack_chat_events::stripe::Payment;
use weir_sdk::TransformError;

use crate::{escape, link};

/// `<actor> <verb> pull request <url|#N title> on <repo>`, e.g.
/// `octocat merged pull request <…|#2 Update the README> into master on
/// Codertocat/Hello-World`; `skip` for `synchronize` and other quiet actions.
pub fn pull_request_text(event: &PullRequestEvent) -> Result<String, TransformError> {
    let change = PullRequestChange::of(event)?;
    let pr = &event.pull_request;
    let noun = if change == PullRequestChange::Opened && pr.draft {
        "draft pull request"
    } else {
        "pull request"
    };
    let target = link(&pr.html_url, &format!("#{} {}", pr.number, pr.title));
    let repo = escape(&event.repository.full_name);
    let actor = escape(&event.sender.login);
    Ok(match change {
        PullRequestChange::Merged => format!(
            "{actor} merged {noun} {target} into {} on {repo}",
            escape(&pr.base.git_ref)
        ),
        PullRequestChange::Closed => format!("{actor} closed {noun} {target} on {repo} without merging"),
        PullRequestChange::ReadyForReview => {
            format!("{actor} marked {noun} {target} on {repo} as ready for review")
        }
        PullRequestChange::Opened | PullRequestChange::Reopened => {
            format!("{actor} {} {noun} {target} on {repo}", change.verb())
        }
    })
}

/// `<actor> <verb> issue <url|#N title> on <repo>[ as not planned]`.
pub fn issue_text(event: &IssuesEvent) -> Result<String, TransformError> {
    let change = IssueChange::of(event)?;
    let issue = &event.issue;
    Ok(format!(
        "{} {} issue {} on {}{}",
        escape(&event.sender.login),
        change.verb(),
        link(&issue.html_url, &format!("#{} {}", issue.number, issue.title)),
        escape(&event.repository.full_name),
        change.reason_suffix(),
    ))
}

/// `<headline>: <amount>[ from <customer>] (<dashboard url|id>)`, then the
/// failure reason and the description on their own lines.
pub fn payment_text(payment: &Payment) -> String {
    let preposition = if payment.number.is_some() { "by" } else { "from" };
    let mut text = format!("{}: {}", escape(&payment.headline()), escape(&payment.amount));
    if let Some(customer) = &payment.customer {
        text.push_str(&format!(" {preposition} {}", escape(customer)));
    }
    text.push_str(&format!(" ({})", link(&payment.url, &payment.id)));
    if !payment.livemode {
        text.push_str(" [test mode]");
    }
    if payment.outcome == Outcome::Failure
        && let Some(failure) = &payment.failure
    {
        text.push_str(&format!("\nReason: {}", escape(failure)));
    }
    if let Some(description) = &payment.description {
        text.push_str(&format!("\n{}", escape(description)));
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use weir_pack_chat_events::stripe::payment;

    use super::*;

    fn pull_request(action: &str, merged: bool, title: &str) -> PullRequestEvent {
        serde_json::from_value(json!({
            "action": action,
            "pull_request": {
                "html_url": "https://github.com/o/r/pull/2", "number": 2, "title": title,
                "user": {"login": "a"}, "merged": merged, "draft": false,
                "base": {"ref": "main"}, "head": {"ref": "topic"}
            },
            "repository": {"full_name": "o/r"},
            "sender": {"login": "mona"}
        }))
        .expect("pull request")
    }

    #[test]
    fn pull_request_messages() {
        let text = |action, merged| pull_request_text(&pull_request(action, merged, "Fix it")).expect("text");
        let target = "<https://github.com/o/r/pull/2|#2 Fix it>";
        assert_eq!(
            text("opened", false),
            format!("mona opened pull request {target} on o/r")
        );
        assert_eq!(
            text("closed", true),
            format!("mona merged pull request {target} into main on o/r")
        );
        assert_eq!(
            text("closed", false),
            format!("mona closed pull request {target} on o/r without merging")
        );
        assert_eq!(
            text("reopened", false),
            format!("mona reopened pull request {target} on o/r")
        );
        assert_eq!(
            text("ready_for_review", false),
            format!("mona marked pull request {target} on o/r as ready for review")
        );
    }

    #[test]
    fn titles_and_urls_are_escaped_inside_links() {
        let text = pull_request_text(&pull_request("opened", false, "<b> & |pipes|")).expect("text");
        assert!(text.contains("|#2 &lt;b&gt; &amp; |pipes|>"), "{text}");
        assert_eq!(
            link("https://x.test/a?b=1&c=<2>|", "t"),
            "<https://x.test/a?b=1&amp;c=&lt;2&gt;%7C|t>"
        );
        assert_eq!(link("javascript:alert(1)", "<t>"), "&lt;t&gt;");
    }

    #[test]
    fn synchronize_is_skipped() {
        assert!(matches!(
            pull_request_text(&pull_request("synchronize", false, "t")),
            Err(TransformError::Skip(_))
        ));
    }

    #[test]
    fn payments_show_amount_customer_link_and_reason() {
        let data = |object: Value| json!({"object": "event", "data": {"object": object}}).to_string();
        let failed = payment(
            "stripe.charge.failed",
            &data(
                json!({"object": "charge", "id": "ch_1", "amount": 123400, "currency": "usd",
                         "livemode": true, "receipt_email": "a@b.example",
                         "failure_message": "Declined <really>", "failure_code": "card_declined"}),
            ),
        )
        .expect("payment");
        assert_eq!(
            payment_text(&failed),
            "Payment failed: $1,234.00 USD from a@b.example (<https://dashboard.stripe.com/payments/ch_1|ch_1>)\n\
             Reason: Declined &lt;really&gt; (card_declined)"
        );
        let paid = payment(
            "stripe.invoice.paid",
            &data(
                json!({"object": "invoice", "id": "in_1", "amount_paid": 1500, "currency": "jpy",
                         "number": "A-1", "customer_name": "R&D"}),
            ),
        )
        .expect("invoice");
        assert_eq!(
            payment_text(&paid),
            "Invoice A-1 paid: ¥1,500 JPY by R&amp;D (<https://dashboard.stripe.com/test/invoices/in_1|in_1>) [test mode]"
        );
    }
}
