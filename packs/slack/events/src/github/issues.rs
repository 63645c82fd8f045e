//! The `issues` event: which actions get a message.

use serde::Deserialize;
use weir_sdk::TransformError;

use super::{Repository, User};
use crate::Outcome;

/// `issues`: <https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues>.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuesEvent {
    /// e.g. `opened`, `closed`.
    pub action: String,
    /// The issue.
    pub issue: Issue,
    /// Its repository.
    pub repository: Repository,
    /// Who acted.
    pub sender: User,
}

/// An issue.
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    /// Web page, e.g. `https://github.com/Codertocat/Hello-World/issues/1`.
    pub html_url: String,
    /// Number within the repository.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description (Markdown); may be null.
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    pub user: User,
    /// Why it was closed: `completed`, `not_planned`, `duplicate`, or
    /// `reopened`; may be null.
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// An issue label.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    /// e.g. `bug`.
    pub name: String,
}

/// What happened to an issue, for the actions that get a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueChange {
    /// `opened`.
    Opened,
    /// `closed` as completed (or without a reason).
    Closed,
    /// `closed` as not planned.
    ClosedNotPlanned,
    /// `closed` as a duplicate.
    ClosedDuplicate,
    /// `reopened`.
    Reopened,
}

/// Documented `issues` actions that deliberately produce no message.
const QUIET_ISSUE_ACTIONS: &[&str] = &[
    "assigned",
    "deleted",
    "demilestoned",
    "edited",
    "labeled",
    "locked",
    "milestoned",
    "pinned",
    "transferred",
    "typed",
    "unassigned",
    "unlabeled",
    "unlocked",
    "unpinned",
    "untyped",
];

impl IssueChange {
    /// The change an event describes; `skip` and `unsupported-event` as for
    /// [`PullRequestChange::of`](super::PullRequestChange::of).
    pub fn of(event: &IssuesEvent) -> Result<Self, TransformError> {
        Ok(match event.action.as_str() {
            "opened" => Self::Opened,
            "closed" => match event.issue.state_reason.as_deref() {
                Some("not_planned") => Self::ClosedNotPlanned,
                Some("duplicate") => Self::ClosedDuplicate,
                _ => Self::Closed,
            },
            "reopened" => Self::Reopened,
            quiet if QUIET_ISSUE_ACTIONS.contains(&quiet) => {
                return Err(TransformError::Skip(format!(
                    "issue #{} `{quiet}`: this action gets no message",
                    event.issue.number
                )));
            }
            other => {
                return Err(TransformError::UnsupportedEvent(format!(
                    "`github.issues` action `{other}` is not one GitHub documents"
                )));
            }
        })
    }

    /// Past-tense verb, e.g. `closed`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Closed | Self::ClosedNotPlanned | Self::ClosedDuplicate => "closed",
            Self::Reopened => "reopened",
        }
    }

    /// Words after the issue for the closing reason, e.g. ` as not planned`.
    pub fn reason_suffix(self) -> &'static str {
        match self {
            Self::ClosedNotPlanned => " as not planned",
            Self::ClosedDuplicate => " as a duplicate",
            _ => "",
        }
    }

    /// Completed is a success, the rest neutral.
    pub fn outcome(self) -> Outcome {
        match self {
            Self::Closed => Outcome::Success,
            _ => Outcome::Neutral,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn issue(action: &str, reason: Option<&str>) -> IssuesEvent {
        serde_json::from_value(json!({
            "action": action,
            "issue": {"html_url": "https://github.com/o/r/issues/1", "number": 1, "title": "t",
                      "user": {"login": "a"}, "state_reason": reason},
            "repository": {"full_name": "o/r"},
            "sender": {"login": "a"}
        }))
        .expect("issue")
    }

    #[test]
    fn quiet_actions_skip_and_unknown_ones_are_unsupported() {
        assert!(matches!(
            IssueChange::of(&issue("labeled", None)),
            Err(TransformError::Skip(_))
        ));
        assert!(matches!(
            IssueChange::of(&issue("x", None)),
            Err(TransformError::UnsupportedEvent(_))
        ));
    }

    #[test]
    fn issue_closing_reasons() {
        assert_eq!(
            IssueChange::of(&issue("closed", Some("completed"))).ok(),
            Some(IssueChange::Closed)
        );
        let not_planned = IssueChange::of(&issue("closed", Some("not_planned"))).expect("change");
        assert_eq!(not_planned.reason_suffix(), " as not planned");
        assert_eq!(not_planned.outcome(), Outcome::Neutral);
        assert_eq!(
            IssueChange::of(&issue("reopened", Some("reopened"))).ok(),
            Some(IssueChange::Reopened)
        );
    }
}
