//! The email's content: the event's top-level fields (in the order they
//! were submitted) as a table, in plain text and in HTML, and the subject
//! with its `{{field}}` placeholders filled in.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A rendered subject is cut to this many characters (RFC 5322's line limit).
pub const MAX_SUBJECT: usize = 998;

/// Top-level fields of the event data, in document order (a form's own
/// order), each value written as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The fields of `data`: an object's members, or one `data` row holding
    /// any other JSON value.
    pub fn of(data: &str) -> Result<Self, serde_json::Error> {
        let ordered: Ordered = serde_json::from_str(data)?;
        Ok(Self(match ordered {
            Ordered::Object(members) => members.into_iter().map(|(k, v)| (k, display(&v))).collect(),
            Ordered::Other(value) => vec![("data".to_owned(), display(&value))],
        }))
    }

    /// The text of field `name`, when present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// JSON data read with its top-level member order kept.
enum Ordered {
    Object(Vec<(String, Value)>),
    Other(Value),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    members.push((key, value));
                }
                Ok(Ordered::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Ordered, A::Error> {
                Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Ordered::Other)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::String(v.to_owned())))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Bool(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Other(v.into()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Other(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Other(v.into()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Null))
            }
        }
        deserializer.deserialize_any(OrderedVisitor)
    }
}

/// A value as a person reads it: strings as they are, `null` as nothing,
/// lists of scalars joined with `, `, anything else as compact JSON.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(display).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Fills `{{field}}` placeholders from `fields` (unknown ones become empty),
/// turns line breaks and other control characters into spaces so event
/// data cannot add headers, and cuts the result to [`MAX_SUBJECT`].
pub fn render_subject(template: &str, fields: &Fields) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = rest[open + 2..open + 2 + close].trim();
        out.push_str(fields.get(name).unwrap_or_default());
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    let single_line: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = single_line
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if trimmed.chars().count() > MAX_SUBJECT {
        let mut cut: String = trimmed.chars().take(MAX_SUBJECT - 1).collect();
        cut.push('…');
        cut
    } else {
        trimmed
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The plain-text body: the subject, the fields aligned in two columns
/// (continuation lines indented), and a footer naming the event.
pub fn text_body(subject: &str, fields: &Fields, footer: &str) -> String {
    let width = fields
        .0
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let mut text = format!("{subject}\n\n");
    for (name, value) in &fields.0 {
        let label = format!("{name}:");
        let mut lines = value.lines();
        let first = format!("{label:<width$} {}", lines.next().unwrap_or_default());
        text.push_str(first.trim_end());
        text.push('\n');
        for line in lines {
            text.push_str(format!("{:width$} {line}", "").trim_end());
            text.push('\n');
        }
    }
    text.push_str(&format!("\n--\n{footer}\n"));
    text
}

/// The HTML body: the subject as a heading, the fields as a table, every
/// event-provided text escaped and its line breaks kept as `<br>`.
pub fn html_body(subject: &str, fields: &Fields, footer: &str) -> String {
    let mut html = String::from("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n");
    html.push_str(&format!("<h2>{}</h2>\n", escape_html(subject)));
    html.push_str("<table cellpadding=\"6\" style=\"border-collapse:collapse\">\n");
    for (name, value) in &fields.0 {
        let value = escape_html(value).replace("\r\n", "\n").replace('\n', "<br>");
        html.push_str(&format!(
            "<tr><th align=\"left\" valign=\"top\">{}</th><td>{value}</td></tr>\n",
            escape_html(name)
        ));
    }
    html.push_str("</table>\n");
    html.push_str(&format!(
        "<p style=\"color:#666;font-size:12px\">{}</p>\n</body></html>\n",
        escape_html(footer)
    ));
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn fields_keep_the_submitted_order_and_read_as_text() {
        let parsed =
            Fields::of(r#"{"zeta": "z", "alpha": 1, "tags": ["a", "b"], "none": null, "obj": {"k": true}}"#)
                .expect("json");
        assert_eq!(
            parsed,
            fields(&[
                ("zeta", "z"),
                ("alpha", "1"),
                ("tags", "a, b"),
                ("none", ""),
                ("obj", r#"{"k":true}"#)
            ])
        );
        assert_eq!(Fields::of("[1,2]").expect("json"), fields(&[("data", "1, 2")]));
        assert_eq!(Fields::of("\"hi\"").expect("json"), fields(&[("data", "hi")]));
        assert!(Fields::of("{").is_err());
    }

    #[test]
    fn subjects_fill_placeholders_and_stay_on_one_line() {
        let f = fields(&[("name", "Ada\r\nBcc: evil@x.test"), ("company", "<Acme>")]);
        assert_eq!(
            render_subject("New: {{name}} / {{ company }}", &f),
            "New: Ada Bcc: evil@x.test / <Acme>"
        );
        assert_eq!(render_subject("{{missing}}!", &f), "!");
        assert_eq!(render_subject("open {{ only", &f), "open {{ only");
        assert_eq!(render_subject(&"x".repeat(2000), &f).chars().count(), MAX_SUBJECT);
    }

    #[test]
    fn text_is_aligned_and_html_escaped() {
        let f = fields(&[("name", "Ada"), ("message", "Hi <b>\nthere & bye")]);
        assert_eq!(
            text_body("S", &f, "evt"),
            "S\n\nname:    Ada\nmessage: Hi <b>\n         there & bye\n\n--\nevt\n"
        );
        let html = html_body("S <1>", &f, "evt");
        assert!(html.contains("<h2>S &lt;1&gt;</h2>"));
        assert!(html.contains("<td>Hi &lt;b&gt;<br>there &amp; bye</td>"));
        assert_eq!(escape_html("'\"&"), "&#39;&quot;&amp;");
    }
}
