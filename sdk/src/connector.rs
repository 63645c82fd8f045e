//! The [`Connector`] trait and the values a connector works with.

use serde::de::DeserializeOwned;

use crate::{NewEvent, Receipt, Rejection, Reply, Secret, WebhookRequest};

/// A pack component that receives one provider's webhooks.
///
/// Called once per request on a fresh instance: keep no state between calls.
/// Verify authenticity first (with [`crate::host::verify_hmac`] or
/// [`crate::host::constant_time_equals`]), then parse.
pub trait Connector {
    /// The trigger's connector settings, deserialized from JSON. Use
    /// [`NoConfig`] when the connector takes none.
    type Config: DeserializeOwned;

    /// Verifies `request` and turns it into events, or says why not.
    fn receive(
        request: &WebhookRequest,
        secrets: &Secrets,
        config: Self::Config,
    ) -> Result<Receipt, Rejection>;
}

/// Configuration for components that take none: `{}` (or nothing); any
/// field is refused by name, so a misplaced setting is noticed.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// The secrets configured on a trigger, looked up by the names the pack
/// declares in `pack.toml`.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    /// Wraps the secrets the engine passed in.
    pub fn new(secrets: Vec<Secret>) -> Self {
        Self(secrets)
    }

    /// The secret named `name`, if the trigger has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|secret| secret.name == name)
            .map(|secret| secret.value.as_str())
    }

    /// The secret named `name`, or a `misconfigured` rejection naming it.
    pub fn require(&self, name: &str) -> Result<&str, Rejection> {
        self.get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| Rejection::Misconfigured(format!("trigger has no secret `{name}`")))
    }

    /// Every value of secrets named `name`: during a rotation a trigger
    /// holds the new and the old value under the same name, and a request
    /// signed with either must verify.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |secret| secret.name == name && !secret.value.is_empty())
            .map(|secret| secret.value.as_str())
    }

    /// Every value of secrets named `name`, or a `misconfigured` rejection
    /// when there is none. Verify against each; accept when any matches.
    pub fn require_all(&self, name: &str) -> Result<Vec<&str>, Rejection> {
        let values: Vec<&str> = self.all(name).collect();
        if values.is_empty() {
            Err(Rejection::Misconfigured(format!(
                "trigger has no secret `{name}`"
            )))
        } else {
            Ok(values)
        }
    }
}

impl From<Vec<Secret>> for Secrets {
    fn from(secrets: Vec<Secret>) -> Self {
        Self(secrets)
    }
}

impl Secret {
    /// A secret named `name` with `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl NewEvent {
    /// An event of `event_type` carrying `data` (JSON text), deduplicated by
    /// `idempotency_key` within its trigger.
    pub fn new(
        event_type: impl Into<String>,
        idempotency_key: impl Into<String>,
        data: impl Into<String>,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            idempotency_key: idempotency_key.into(),
            subject: None,
            time: None,
            data: data.into(),
        }
    }

    /// Sets what the event is about, e.g. a branch or an invoice id.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets when the provider says the event happened (RFC 3339).
    #[must_use]
    pub fn with_time(mut self, time: impl Into<String>) -> Self {
        self.time = Some(time.into());
        self
    }

    /// Sets the time from unix seconds.
    #[must_use]
    pub fn with_unix_secs(self, secs: i64) -> Self {
        self.with_time(crate::time::rfc3339_from_unix_secs(secs))
    }

    /// Sets the time from unix milliseconds.
    #[must_use]
    pub fn with_unix_millis(self, millis: i64) -> Self {
        self.with_time(crate::time::rfc3339_from_unix_millis(millis))
    }
}

impl Receipt {
    /// A receipt with one event and Weir's default response.
    pub fn with_event(event: NewEvent) -> Self {
        Self {
            events: vec![event],
            reply: None,
        }
    }

    /// A receipt that stores nothing and answers the producer with `reply`
    /// (verification handshakes).
    pub fn reply_only(reply: Reply) -> Self {
        Self {
            events: Vec::new(),
            reply: Some(reply),
        }
    }
}

impl Reply {
    /// A `200 text/plain` reply, e.g. echoing a challenge.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            headers: vec![crate::Header::new("content-type", "text/plain; charset=utf-8")],
            body: body.into().into_bytes(),
        }
    }

    /// A `200 application/json` reply.
    pub fn json(value: &serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: vec![crate::Header::new("content-type", "application/json")],
            body: value.to_string().into_bytes(),
        }
    }
}

/// An event type built from a provider's name for it: lowercased, `/` and
/// spaces turned into `.`, prefixed (e.g. `shopify.` + `orders/create` →
/// `shopify.orders.create`). Anything outside letters, digits, `.`, `_`
/// and `-` is `malformed`, so hostile input never becomes an odd type.
pub fn event_type(prefix: &str, provider_name: &str) -> Result<String, Rejection> {
    let name: String = provider_name
        .trim()
        .chars()
        .map(|c| match c {
            '/' | ' ' => '.',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let full = format!("{prefix}{name}");
    let valid = !name.is_empty()
        && full.len() <= 200
        && full
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(full)
    } else {
        Err(Rejection::Malformed(format!(
            "`{provider_name}` is not a usable event type (letters, digits, `.`, `_`, `-`)"
        )))
    }
}

/// True for 1 to 64 lowercase ASCII letters, digits and `_`, as Slack,
/// Meta and GitLab name event types, objects and fields (`app_mention`,
/// `merge_request`): check a provider's name before making a type of it.
pub fn is_snake_case_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Like [`event_type`], for names that never hold spaces (Shopify topics,
/// types read from a header or body field a trigger names): the name is
/// trimmed, lowercased and `/` becomes `.`, but a space inside it is
/// `malformed` instead of becoming a `.`, so `orders create` is refused
/// rather than read as `orders.create`.
pub fn event_type_strict(prefix: &str, provider_name: &str) -> Result<String, Rejection> {
    if provider_name.trim().contains(' ') {
        return Err(Rejection::Malformed(format!(
            "`{provider_name}` is not a usable event type (letters, digits, `.`, `_`, `-`)"
        )));
    }
    event_type(prefix, provider_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_normalised_or_refused() {
        assert_eq!(
            event_type("shopify.", "orders/create").ok().as_deref(),
            Some("shopify.orders.create")
        );
        assert_eq!(
            event_type("gitlab.", "Push Hook").ok().as_deref(),
            Some("gitlab.push.hook")
        );
        assert!(event_type("x.", "").is_err());
        assert!(event_type("x.", "a<b>").is_err());
    }

    #[test]
    fn snake_case_names() {
        assert!(is_snake_case_name("app_mention"));
        assert!(is_snake_case_name("oauth2_token"));
        assert!(is_snake_case_name(&"a".repeat(64)));
        for name in ["", "App", "a.b", "a-b", "a b", "é"] {
            assert!(!is_snake_case_name(name), "{name}");
        }
        assert!(!is_snake_case_name(&"a".repeat(65)));
    }

    #[test]
    fn strict_event_types_refuse_spaces_inside() {
        assert_eq!(
            event_type_strict("shopify.", " Orders/Create ").ok().as_deref(),
            Some("shopify.orders.create")
        );
        assert!(matches!(
            event_type_strict("shopify.", "orders create"),
            Err(Rejection::Malformed(reason)) if reason.contains("`orders create`")
        ));
        assert!(event_type_strict("x.", "").is_err());
        assert!(event_type_strict("x.", "a\tb").is_err());
        assert!(event_type_strict("x.", &"a".repeat(199)).is_err());
    }

    #[test]
    fn unknown_config_fields_are_refused_by_name() {
        let error = crate::__private::parse_config::<NoConfig>("{\"tolerance\": 5}").expect_err("refused");
        assert!(error.contains("tolerance"), "{error}");
        assert!(crate::__private::parse_config::<NoConfig>("").is_ok());
    }
}
