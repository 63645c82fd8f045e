//! The parts of GitHub's `push`, `pull_request` and `issues` webhook
//! payloads that chat messages use, and which actions deserve a message.
//!
//! The `issues` event lives in a submodule; its types are re-exported here.
//!
//! Payload reference: <https://docs.github.com/en/webhooks/webhook-events-and-payloads>.

use serde::Deserialize;
use weir_sdk::TransformError;

use crate::Outcome;

mod issues;

pub use issues::{Issue, IssueChange, IssuesEvent, Label};

/// A user or organisation, e.g. the sender of an event.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Login, e.g. `octocat`.
    pub login: String,
}

/// A repository.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    /// `owner/name`, e.g. `Codertocat/Hello-World`.
    pub full_name: String,
    /// Web page, e.g. `https://github.com/Codertocat/Hello-World`.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// `push`: <https://docs.github.com/en/webhooks/webhook-events-and-payloads#push>.
#[derive(Debug, Clone, Deserialize)]
pub struct Push {
    /// The pushed ref, e.g. `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Who pushed.
    pub pusher: Pusher,
    /// The repository pushed to.
    pub repository: Repository,
    /// Comparison page for the push.
    #[serde(default)]
    pub compare: Option<String>,
    /// The pushed commits, oldest first.
    #[serde(default)]
    pub commits: Vec<Commit>,
    /// True when the push deleted the ref.
    #[serde(default)]
    pub deleted: bool,
    /// True when the push was forced.
    #[serde(default)]
    pub forced: bool,
}

/// The pusher of a push (a name, not always a login).
#[derive(Debug, Clone, Deserialize)]
pub struct Pusher {
    /// e.g. `octocat`.
    pub name: String,
}

/// One pushed commit.
#[derive(Debug, Clone, Deserialize)]
pub struct Commit {
    /// Full SHA.
    pub id: String,
    /// Message; the first line is its title.
    pub message: String,
    /// Web page of the commit.
    #[serde(default)]
    pub url: Option<String>,
    /// Author as recorded in the commit.
    #[serde(default)]
    pub author: Option<CommitAuthor>,
}

/// A commit's author.
#[derive(Debug, Clone, Deserialize)]
pub struct CommitAuthor {
    /// e.g. `Mona Octocat`.
    pub name: String,
}

impl Push {
    /// The ref without `refs/heads/` or `refs/tags/`, e.g. `main`.
    pub fn short_ref(&self) -> &str {
        self.git_ref
            .strip_prefix("refs/heads/")
            .or_else(|| self.git_ref.strip_prefix("refs/tags/"))
            .unwrap_or(&self.git_ref)
    }
}

/// `pull_request`: <https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request>.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    /// e.g. `opened`, `closed`, `synchronize`.
    pub action: String,
    /// The pull request.
    pub pull_request: PullRequest,
    /// Its repository.
    pub repository: Repository,
    /// Who acted.
    pub sender: User,
}

/// A pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    /// Web page, e.g. `https://github.com/Codertocat/Hello-World/pull/2`.
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
    /// True once merged; `closed` with `merged: true` is a merge.
    #[serde(default)]
    pub merged: bool,
    /// True while a draft.
    #[serde(default)]
    pub draft: bool,
    /// The branch merged into.
    pub base: Branch,
    /// The branch with the changes.
    pub head: Branch,
}

/// One side of a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct Branch {
    /// Branch name, e.g. `main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
}

/// What happened to a pull request, for the actions that get a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullRequestChange {
    /// `opened`.
    Opened,
    /// `closed` with `merged: true`.
    Merged,
    /// `closed` without merging.
    Closed,
    /// `reopened`.
    Reopened,
    /// `ready_for_review`.
    ReadyForReview,
}

/// Documented `pull_request` actions that deliberately produce no message.
const QUIET_PULL_REQUEST_ACTIONS: &[&str] = &[
    "assigned",
    "auto_merge_disabled",
    "auto_merge_enabled",
    "converted_to_draft",
    "demilestoned",
    "dequeued",
    "edited",
    "enqueued",
    "labeled",
    "locked",
    "milestoned",
    "review_request_removed",
    "review_requested",
    "synchronize",
    "unassigned",
    "unlabeled",
    "unlocked",
];

impl PullRequestChange {
    /// The change an event describes: `skip` for documented actions that get
    /// no message (`synchronize`, `labeled`, …), `unsupported-event` for
    /// actions GitHub does not document.
    pub fn of(event: &PullRequestEvent) -> Result<Self, TransformError> {
        Ok(match event.action.as_str() {
            "opened" => Self::Opened,
            "closed" if event.pull_request.merged => Self::Merged,
            "closed" => Self::Closed,
            "reopened" => Self::Reopened,
            "ready_for_review" => Self::ReadyForReview,
            quiet if QUIET_PULL_REQUEST_ACTIONS.contains(&quiet) => {
                return Err(TransformError::Skip(format!(
                    "pull request #{} `{quiet}`: this action gets no message",
                    event.pull_request.number
                )));
            }
            other => {
                return Err(TransformError::UnsupportedEvent(format!(
                    "`github.pull_request` action `{other}` is not one GitHub documents"
                )));
            }
        })
    }

    /// Past-tense verb, e.g. `merged`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Merged => "merged",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
            Self::ReadyForReview => "marked ready for review",
        }
    }

    /// Merged is a success, closing unmerged a failure, the rest neutral.
    pub fn outcome(self) -> Outcome {
        match self {
            Self::Merged => Outcome::Success,
            Self::Closed => Outcome::Failure,
            _ => Outcome::Neutral,
        }
    }
}

/// The first line of a commit message.
pub fn title_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// The first seven characters of a SHA.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pull_request(action: &str, merged: bool) -> PullRequestEvent {
        serde_json::from_value(json!({
            "action": action,
            "pull_request": {
                "html_url": "https://github.com/o/r/pull/2", "number": 2, "title": "t",
                "user": {"login": "a"}, "merged": merged,
                "base": {"ref": "main"}, "head": {"ref": "topic"}
            },
            "repository": {"full_name": "o/r"},
            "sender": {"login": "a"}
        }))
        .expect("pull request")
    }

    #[test]
    fn closed_with_merged_true_is_a_merge() {
        assert_eq!(
            PullRequestChange::of(&pull_request("closed", true)).ok(),
            Some(PullRequestChange::Merged)
        );
        assert_eq!(
            PullRequestChange::of(&pull_request("closed", false)).ok(),
            Some(PullRequestChange::Closed)
        );
        assert_eq!(PullRequestChange::Merged.outcome(), Outcome::Success);
        assert_eq!(PullRequestChange::Closed.outcome(), Outcome::Failure);
    }

    #[test]
    fn quiet_actions_skip_and_unknown_ones_are_unsupported() {
        match PullRequestChange::of(&pull_request("synchronize", false)) {
            Err(TransformError::Skip(reason)) => assert!(reason.contains("synchronize"), "{reason}"),
            other => panic!("expected skip, got {other:?}"),
        }
        assert!(matches!(
            PullRequestChange::of(&pull_request("exploded", false)),
            Err(TransformError::UnsupportedEvent(_))
        ));
    }

    #[test]
    fn helpers() {
        assert_eq!(title_line("fix\n\nbody"), "fix");
        assert_eq!(title_line(""), "");
        assert_eq!(short_sha("1e5f6a7b8c9d"), "1e5f6a7");
        let push: Push = serde_json::from_value(json!({
            "ref": "refs/tags/v1.0", "pusher": {"name": "a"}, "repository": {"full_name": "o/r"}
        }))
        .expect("push");
        assert_eq!(push.short_ref(), "v1.0");
    }
}
