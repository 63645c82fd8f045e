//! Event models shared by Weir's chat transformers (`slack`, `discord`).
//!
//! The parts of GitHub `push`, `pull_request` and `issues` payloads and of
//! Stripe payment events that a chat message shows, which actions deserve a
//! message (others are `skip` or `unsupported-event`), and amounts
//! formatted from Stripe's minor units (`1250 eur` → `€12.50 EUR`).
//! Rendering stays in each transformer: Slack and Discord differ in markup
//! and escaping.
//!
//! This crate lives in the slack pack (which came first) and builds no
//! component of its own; the discord transformer depends on it by path.

pub mod github;
pub mod money;
pub mod stripe;

/// How an event turned out, for colours and emoji.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Something succeeded: a payment, a merge.
    Success,
    /// Something failed: a declined payment, a pull request closed unmerged.
    Failure,
    /// Neither: something was opened, pushed, reopened.
    Neutral,
}
