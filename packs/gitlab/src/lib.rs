//! GitLab webhook connector.
//!
//! GitLab does not sign its webhooks: it sends the hook's secret token
//! verbatim in `X-Gitlab-Token`. The connector compares it, in constant
//! time, with every value of the trigger's `webhook-token` (several during
//! a rotation) and refuses the request unless one matches. It then emits
//! one event of type `gitlab.<kind>`, whose data is the JSON payload:
//! `<kind>` is the body's `object_kind` (`push`, `merge_request`,
//! `pipeline`, …), else its `event_name` (group member, project and
//! subgroup events), else the `X-Gitlab-Event` header without ` Hook`
//! (`Member Hook` → `member`).
//!
//! Idempotency key, best first (see [`idempotency_key`]):
//! `Idempotency-Key` (GitLab 17.4+, the same on every retry of a delivery);
//! else `X-Gitlab-Event-UUID` joined with a hash of the body; else the
//! SHA-256 hex of the body. `X-Gitlab-Webhook-UUID` is never used: GitLab
//! generates a new one for every request, retries included.

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::verify::token_any;
use weir_sdk::{
    Connector, NewEvent, NoConfig, Receipt, Rejection, Secrets, WebhookRequest, is_snake_case_name,
};

/// Name of the secret this connector needs, as declared in `pack.toml`.
pub const SECRET_NAME: &str = "webhook-token";
/// Longest idempotency key taken from a header.
const MAX_KEY_LEN: usize = 200;

/// The GitLab connector.
pub struct Gitlab;

impl Connector for Gitlab {
    type Config = NoConfig;

    fn receive(request: &WebhookRequest, secrets: &Secrets, _config: NoConfig) -> Result<Receipt, Rejection> {
        request.require_method("POST", "GitLab sends webhooks")?;
        verify_token(request, &secrets.require_all(SECRET_NAME)?)?;
        let hook = request.require_header("x-gitlab-event")?;
        let payload = request.body_str()?;
        let head: Head = request.json()?;
        let kind = head.kind(hook)?;
        let mut event = NewEvent::new(format!("gitlab.{kind}"), idempotency_key(request)?, payload);
        if let Some(subject) = head.subject(&kind) {
            event = event.with_subject(subject);
        }
        Ok(Receipt::with_event(event))
    }
}

weir_sdk::export_connector!(Gitlab);

/// Checks `X-Gitlab-Token` against each of `tokens`, in constant time
/// (see [`token_any`]).
pub fn verify_token(request: &WebhookRequest, tokens: &[&str]) -> Result<(), Rejection> {
    let sent = request.require_signature_header("x-gitlab-token")?;
    if token_any(tokens, sent) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(
            "`X-Gitlab-Token` does not match the trigger's webhook-token".to_owned(),
        ))
    }
}

/// The delivery's idempotency key:
/// 1. `Idempotency-Key`, which GitLab keeps across retries of a delivery;
/// 2. else `<X-Gitlab-Event-UUID>:<first 16 hex of the body's SHA-256>`:
///    recursive webhooks (triggered by earlier ones) share the UUID, so the
///    body hash keeps their distinct events apart while a retry, with the
///    same UUID and body, still collapses;
/// 3. else the SHA-256 hex of the body (GitLab before 14.8).
pub fn idempotency_key(request: &WebhookRequest) -> Result<String, Rejection> {
    if let Some(key) = header_key(request, "idempotency-key")? {
        return Ok(key.to_owned());
    }
    let body_hash = host::digest_hex(HashAlgorithm::Sha256, &request.body);
    match header_key(request, "x-gitlab-event-uuid")? {
        Some(uuid) => Ok(format!("{uuid}:{}", &body_hash[..16])),
        None => Ok(body_hash),
    }
}

/// A non-empty header of at most [`MAX_KEY_LEN`] bytes, if present.
fn header_key<'a>(request: &'a WebhookRequest, name: &str) -> Result<Option<&'a str>, Rejection> {
    match request.header(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) if value.len() <= MAX_KEY_LEN => Ok(Some(value)),
        Some(_) => Err(Rejection::Malformed(format!(
            "`{name}` is longer than {MAX_KEY_LEN} characters"
        ))),
    }
}

/// The few payload fields the event type and subject are made of; the
/// rest is skipped while parsing. Values are kept loosely typed so that an
/// unexpected shape never refuses a genuine delivery.
#[derive(Debug, Default, Deserialize)]
struct Head {
    object_kind: Option<String>,
    event_name: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<Value>,
    object_attributes: Option<Value>,
    merge_request: Option<Value>,
    issue: Option<Value>,
    commit: Option<Value>,
    build_id: Option<Value>,
    deployment_id: Option<Value>,
}

impl Head {
    /// `object_kind`, else `event_name`, else the `X-Gitlab-Event` name.
    fn kind(&self, hook: &str) -> Result<String, Rejection> {
        let from_body = [&self.object_kind, &self.event_name]
            .into_iter()
            .flatten()
            .find(|kind| !kind.is_empty());
        let kind = match from_body {
            Some(kind) => kind.clone(),
            None => kind_from_hook(hook),
        };
        // GitLab kinds are lowercase words joined by underscores.
        if is_snake_case_name(&kind) {
            Ok(kind)
        } else {
            Err(Rejection::Malformed(format!(
                "`{kind}` (from `object_kind`, `event_name` or `X-Gitlab-Event: {hook}`) is not a GitLab event kind"
            )))
        }
    }

    /// What the event is about: the ref of a push, the merge request or
    /// issue (`merge_requests/<iid>`, `issues/<iid>`), the pipeline, job or
    /// deployment, or what a comment is on.
    fn subject(&self, kind: &str) -> Option<String> {
        let attribute = |name: &str| {
            self.object_attributes
                .as_ref()
                .and_then(|a| id_text(a.get(name)?))
        };
        match kind {
            "push" | "tag_push" => self.git_ref.as_ref()?.as_str().map(str::to_owned),
            "merge_request" => attribute("iid").map(|iid| format!("merge_requests/{iid}")),
            "issue" => attribute("iid").map(|iid| format!("issues/{iid}")),
            "work_item" => attribute("iid").map(|iid| format!("work_items/{iid}")),
            "pipeline" => attribute("id").map(|id| format!("pipelines/{id}")),
            "build" => id_text(self.build_id.as_ref()?).map(|id| format!("jobs/{id}")),
            "deployment" => id_text(self.deployment_id.as_ref()?).map(|id| format!("deployments/{id}")),
            "note" => self.note_subject(),
            _ => None,
        }
    }

    /// A comment is about its merge request, issue or commit.
    fn note_subject(&self) -> Option<String> {
        let field = |object: &Option<Value>, name: &str| object.as_ref().and_then(|o| id_text(o.get(name)?));
        field(&self.merge_request, "iid")
            .map(|iid| format!("merge_requests/{iid}"))
            .or_else(|| field(&self.issue, "iid").map(|iid| format!("issues/{iid}")))
            .or_else(|| field(&self.commit, "id").map(|sha| format!("commit/{sha}")))
    }
}

/// A number or non-empty string as text.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

/// `Merge Request Hook` → `merge_request`.
fn kind_from_hook(hook: &str) -> String {
    let name = hook.trim();
    let name = name.strip_suffix(" Hook").unwrap_or(name);
    name.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
