//! Request bodies for each provider's send API.
//!
//! - SendGrid v3 `POST /v3/mail/send`:
//!   <https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send>
//! - Postmark `POST /email`: <https://postmarkapp.com/developer/api/email-api>
//! - Mailgun `POST /v3/{domain}/messages` (form-encoded):
//!   <https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages>

use serde_json::{Map, Value, json};
use weir_sdk::Outgoing;

use crate::address::Address;

/// Everything an email needs, already checked and rendered.
#[derive(Debug, Clone)]
pub struct Message {
    /// Sender.
    pub from: Address,
    /// Recipients (at least one).
    pub to: Vec<Address>,
    /// Reply-To, when the event provided one.
    pub reply_to: Option<Address>,
    /// One-line subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// SendGrid v3 mail/send JSON.
pub fn sendgrid(message: &Message) -> Outgoing {
    let address = |a: &Address| {
        let mut object = Map::new();
        object.insert("email".to_owned(), json!(a.email));
        if let Some(name) = &a.name {
            object.insert("name".to_owned(), json!(name));
        }
        Value::Object(object)
    };
    let mut body = json!({
        "personalizations": [{"to": message.to.iter().map(address).collect::<Vec<_>>()}],
        "from": address(&message.from),
        "subject": message.subject,
        "content": [
            {"type": "text/plain", "value": message.text},
            {"type": "text/html", "value": message.html},
        ],
    });
    if let (Some(reply_to), Value::Object(object)) = (&message.reply_to, &mut body) {
        object.insert("reply_to".to_owned(), address(reply_to));
    }
    Outgoing::json(&body)
}

/// Postmark `/email` JSON; Postmark also wants `Accept: application/json`.
pub fn postmark(message: &Message) -> Outgoing {
    let mut body = json!({
        "From": message.from.header_value(),
        "To": message.to.iter().map(Address::header_value).collect::<Vec<_>>().join(", "),
        "Subject": message.subject,
        "TextBody": message.text,
        "HtmlBody": message.html,
    });
    if let (Some(reply_to), Value::Object(object)) = (&message.reply_to, &mut body) {
        object.insert("ReplyTo".to_owned(), json!(reply_to.header_value()));
    }
    Outgoing::json(&body).with_header("accept", "application/json")
}

/// Mailgun's form-encoded message: one `to` per recipient, `h:Reply-To`
/// for the reply address.
pub fn mailgun(message: &Message) -> Outgoing {
    let mut pairs = vec![("from", message.from.header_value())];
    pairs.extend(message.to.iter().map(|to| ("to", to.header_value())));
    pairs.push(("subject", message.subject.clone()));
    pairs.push(("text", message.text.clone()));
    pairs.push(("html", message.html.clone()));
    if let Some(reply_to) = &message.reply_to {
        pairs.push(("h:Reply-To", reply_to.header_value()));
    }
    // Encoded as browsers do (WHATWG URL standard): ASCII letters, digits
    // and `*-._` kept, space as `+`, every other byte of the UTF-8 as `%XX`.
    Outgoing::form(pairs.iter().map(|(name, value)| (*name, value.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(reply: bool) -> Message {
        Message {
            from: Address::parse("Acme Forms <forms@acme.test>").expect("from"),
            to: vec![
                Address::parse("sales@acme.test").expect("to"),
                Address::parse("Ops <ops@acme.test>").expect("to"),
            ],
            reply_to: reply.then(|| Address::parse("ada@example.com").expect("reply")),
            subject: "Hi".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        }
    }

    fn json_of(out: &Outgoing) -> Value {
        serde_json::from_slice(&out.body).expect("json")
    }

    #[test]
    fn sendgrid_uses_objects_for_addresses() {
        let body = json_of(&sendgrid(&message(true)));
        assert_eq!(
            body["personalizations"][0]["to"],
            json!([{"email": "sales@acme.test"}, {"email": "ops@acme.test", "name": "Ops"}])
        );
        assert_eq!(
            body["from"],
            json!({"email": "forms@acme.test", "name": "Acme Forms"})
        );
        assert_eq!(body["reply_to"], json!({"email": "ada@example.com"}));
        assert_eq!(body["content"][0]["type"], "text/plain");
        assert_eq!(body["content"][1]["type"], "text/html");
        assert!(json_of(&sendgrid(&message(false))).get("reply_to").is_none());
    }

    #[test]
    fn postmark_uses_header_strings() {
        let out = postmark(&message(true));
        let body = json_of(&out);
        assert_eq!(body["From"], "Acme Forms <forms@acme.test>");
        assert_eq!(body["To"], "sales@acme.test, Ops <ops@acme.test>");
        assert_eq!(body["ReplyTo"], "ada@example.com");
        assert_eq!(out.headers[0].name, "accept");
    }

    #[test]
    fn mailgun_is_form_encoded() {
        let out = mailgun(&message(true));
        assert_eq!(out.content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            out.body_text(),
            "from=Acme+Forms+%3Cforms%40acme.test%3E&to=sales%40acme.test&to=Ops+%3Cops%40acme.test%3E\
             &subject=Hi&text=t&html=%3Cp%3Eh%3C%2Fp%3E&h%3AReply-To=ada%40example.com"
        );
    }

    #[test]
    fn mailgun_encodes_utf8_reserved_bytes_and_line_breaks() {
        let mut message = message(false);
        message.subject = "a b&c=d+e/é~*".into();
        message.text = "line\r\nbreak".into();
        let body = mailgun(&message).body_text();
        assert!(body.contains("&subject=a+b%26c%3Dd%2Be%2F%C3%A9%7E*&"), "{body}");
        assert!(body.contains("&text=line%0D%0Abreak&"), "{body}");
    }
}
