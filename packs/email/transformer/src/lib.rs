//! Transactional email transformer.
//!
//! Turns an event — typically `form.submitted`, whose data is an object of
//! form fields, but any event works — into the request body of an email
//! provider's send API, with the event's top-level fields as a table in a
//! plain-text and an HTML part (HTML-escaped):
//!
//! ```json
//! {"provider": "sendgrid", "from": "Acme Forms <forms@acme.test>",
//!  "to": ["sales@acme.test"], "subject": "New form submission: {{name}}",
//!  "reply_to_field": "email"}
//! ```
//!
//! - `provider`: `sendgrid` (v3 mail/send JSON), `postmark` (`/email` JSON)
//!   or `mailgun` (`application/x-www-form-urlencoded`).
//! - `from`, `to` (one address or a list): `addr@host` or `Name <addr@host>`,
//!   checked minimally — exactly one `@`, no whitespace in the address, no
//!   line breaks anywhere (header injection) — else `invalid-config` naming
//!   the field.
//! - `subject`: `{{field}}` placeholders from top-level data fields; line
//!   breaks in field values become spaces. Default: `New form submission`
//!   for `form.submitted`, `Weir event: <type>` otherwise.
//! - `reply_to_field`: the data field holding the submitter's address, used
//!   as Reply-To when present and non-empty; a value that is not a single
//!   address is `failed`, naming the field.
//!
//! Provider credentials are not the transformer's business: they belong in
//! the destination's headers.

pub mod address;
pub mod body;
pub mod providers;

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

use address::Address;
use body::Fields;
use providers::Message;

/// At most this many recipients.
pub const MAX_RECIPIENTS: usize = 50;

/// The email transformer.
pub struct Email;

/// Rule configuration, as written: types are checked while deserializing
/// (errors name the field); [`EmailConfig::check`] validates the values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `"sendgrid"`, `"postmark"` or `"mailgun"`.
    pub provider: Provider,
    /// Sender address.
    pub from: String,
    /// Recipient address or list of addresses.
    pub to: Value,
    /// Subject template with `{{field}}` placeholders.
    #[serde(default)]
    pub subject: Option<String>,
    /// Data field whose value becomes Reply-To.
    #[serde(default)]
    pub reply_to_field: Option<String>,
}

/// An email API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// SendGrid v3 mail/send.
    Sendgrid,
    /// Postmark `/email`.
    Postmark,
    /// Mailgun messages.
    Mailgun,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which API to write for.
    pub provider: Provider,
    /// Sender.
    pub from: Address,
    /// Recipients.
    pub to: Vec<Address>,
    /// Subject template, when configured.
    pub subject: Option<String>,
    /// Data field holding the Reply-To address.
    pub reply_to_field: Option<String>,
}

fn invalid(message: String) -> TransformError {
    TransformError::InvalidConfig(message)
}

fn address(name: &str, text: &str) -> Result<Address, TransformError> {
    Address::parse(text).map_err(|why| invalid(format!("`{name}`: `{}` {why}", text.escape_debug())))
}

impl EmailConfig {
    /// Validates every field, naming the first bad one.
    pub fn check(self) -> Result<Settings, TransformError> {
        let from = address("from", &self.from)?;
        let to = match self.to {
            Value::String(one) => vec![address("to", &one)?],
            Value::Array(list) if list.is_empty() => {
                return Err(invalid("`to` must list at least one address".into()));
            }
            Value::Array(list) if list.len() > MAX_RECIPIENTS => {
                return Err(invalid(format!(
                    "`to` lists {} addresses; at most {MAX_RECIPIENTS} are allowed",
                    list.len()
                )));
            }
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(text) => address(&format!("to[{i}]"), text),
                    other => Err(invalid(format!("`to[{i}]` must be a string, not {other}"))),
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(invalid(format!(
                    "`to` must be an address or a list of them, not {other}"
                )));
            }
        };
        let subject = self.subject;
        if let Some(subject) = &subject
            && (subject.trim().is_empty() || subject.chars().any(char::is_control))
        {
            return Err(invalid("`subject` must be one non-empty line".into()));
        }
        let reply_to_field = self.reply_to_field;
        if reply_to_field.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return Err(invalid("`reply_to_field` must name a data field".into()));
        }
        Ok(Settings {
            provider: self.provider,
            from,
            to,
            subject,
            reply_to_field,
        })
    }
}

impl Transformer for Email {
    type Config = EmailConfig;

    fn transform(event: &Event, config: EmailConfig) -> Result<Outgoing, TransformError> {
        let settings = config.check()?;
        let message = compose(event, &settings)?;
        Ok(match settings.provider {
            Provider::Sendgrid => providers::sendgrid(&message),
            Provider::Postmark => providers::postmark(&message),
            Provider::Mailgun => providers::mailgun(&message),
        })
    }
}

weir_sdk::export_transformer!(Email);

/// Builds the message: subject, bodies and Reply-To from the event.
pub fn compose(event: &Event, settings: &Settings) -> Result<Message, TransformError> {
    let fields = Fields::of(&event.data).map_err(|error| {
        TransformError::UnsupportedEvent(format!("`{}` data is not JSON: {error}", event.event_type))
    })?;
    let default_subject = if event.event_type == "form.submitted" {
        "New form submission".to_owned()
    } else {
        format!("Weir event: {}", event.event_type)
    };
    let subject = body::render_subject(settings.subject.as_deref().unwrap_or(&default_subject), &fields);
    let subject = if subject.is_empty() {
        default_subject
    } else {
        subject
    };
    let reply_to = match &settings.reply_to_field {
        None => None,
        Some(field) => match fields.get(field).map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(value) => Some(Address::parse(value).map_err(|why| {
                TransformError::Failed(format!(
                    "reply_to_field `{field}`: the event's value `{}` {why}",
                    value.escape_debug()
                ))
            })?),
        },
    };
    let footer = format!("Weir event {} ({}) at {}", event.id, event.event_type, event.time);
    Ok(Message {
        from: settings.from.clone(),
        to: settings.to.clone(),
        reply_to,
        text: body::text_body(&subject, &fields, &footer),
        html: body::html_body(&subject, &fields, &footer),
        subject,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(event_type: &str, data: Value) -> Event {
        weir_sdk::testing::event(event_type, data.to_string())
    }

    fn config(value: Value) -> EmailConfig {
        serde_json::from_value(value).expect("config shape")
    }

    /// The invalid-config message, from deserializing (as the export macro
    /// does) or from [`EmailConfig::check`].
    fn invalid_message(value: Value) -> String {
        match weir_sdk::config::from_value::<EmailConfig>(value).map(EmailConfig::check) {
            Err(message) | Ok(Err(TransformError::InvalidConfig(message))) => message,
            other => panic!("expected invalid-config, got {other:?}"),
        }
    }

    const GOOD: fn() -> Value =
        || json!({"provider": "sendgrid", "from": "forms@acme.test", "to": "sales@acme.test"});

    #[test]
    fn each_field_is_checked_by_name() {
        let with = |key: &str, value: Value| {
            let mut config = GOOD();
            config[key] = value;
            invalid_message(config)
        };
        assert!(with("provider", json!("smtp")).contains("`provider`"));
        assert!(
            invalid_message(json!({"from": "a@b.c", "to": "d@e.f"})).contains("missing field `provider`")
        );
        assert!(with("from", json!("forms.acme.test")).contains("`from`"));
        assert!(with("to", json!(["ok@acme.test", "bad@@acme.test"])).contains("`to[1]`"));
        assert!(with("to", json!("a@b.c\r\nBcc: x@evil.test")).contains("line break"));
        assert!(with("to", json!([])).contains("at least one"));
        assert!(with("to", json!(5)).contains("`to`"));
        assert!(with("subject", json!("Hi\nBcc: x")).contains("`subject`"));
        assert!(with("reply_to_field", json!(7)).contains("`reply_to_field`"));
    }

    #[test]
    fn a_form_becomes_an_email_with_reply_to() {
        let mut cfg = GOOD();
        cfg["subject"] = json!("New form submission: {{name}}");
        cfg["reply_to_field"] = json!("email");
        let settings = config(cfg).check().expect("valid");
        let form = event(
            "form.submitted",
            json!({"name": "Ada", "email": "ada@example.com"}),
        );
        let message = compose(&form, &settings).expect("composed");
        assert_eq!(message.subject, "New form submission: Ada");
        assert_eq!(
            message.reply_to.map(|a| a.email).as_deref(),
            Some("ada@example.com")
        );
        assert!(message.text.contains("email: ada@example.com"));
    }

    #[test]
    fn injected_reply_to_fails_naming_the_field() {
        let mut cfg = GOOD();
        cfg["reply_to_field"] = json!("email");
        let settings = config(cfg).check().expect("valid");
        let form = event(
            "form.submitted",
            json!({"email": "ada@example.com\r\nBcc: all@acme.test"}),
        );
        match compose(&form, &settings) {
            Err(TransformError::Failed(message)) => {
                assert!(message.contains("reply_to_field `email`"), "{message}")
            }
            other => panic!("expected failed, got {other:?}"),
        }
        let blank = event("form.submitted", json!({"email": " "}));
        assert_eq!(compose(&blank, &settings).expect("ok").reply_to, None);
    }

    #[test]
    fn other_events_get_a_default_subject() {
        let settings = config(GOOD()).check().expect("valid");
        let message = compose(
            &event("github.push", json!({"ref": "refs/heads/main"})),
            &settings,
        )
        .expect("ok");
        assert_eq!(message.subject, "Weir event: github.push");
        let mut bad = event("x", json!({}));
        bad.data = "{".into();
        assert!(matches!(
            compose(&bad, &settings),
            Err(TransformError::UnsupportedEvent(_))
        ));
    }
}
