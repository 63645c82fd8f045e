//! The trigger's connector configuration, checked field by field so that
//! every refusal names the field at fault.
//!
//! ```json
//! {"header": "X-Hub-Signature-256", "algorithm": "sha256", "encoding": "hex",
//!  "prefix": "sha256=", "event_type_header": "X-GitHub-Event", "type_prefix": "github.",
//!  "idempotency_header": "X-GitHub-Delivery"}
//! ```

use serde_json::{Map, Value};
use weir_sdk::Rejection;
use weir_sdk::host::HashAlgorithm;

/// Longest `prefix`, `type_prefix` or fixed `event_type` accepted.
const MAX_TEXT_LEN: usize = 64;

/// How the MAC is written in the signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hexadecimal, either case.
    Hex,
    /// Base64, standard or URL-safe, padded or not.
    Base64,
}

/// Where the event type comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSource {
    /// Always this type (`event_type`).
    Fixed(String),
    /// The value of this request header (`event_type_header`, lowercase).
    Header(String),
    /// This top-level field of the JSON body (`event_type_field`).
    Field(String),
}

/// Settings of a generic HMAC trigger.
#[derive(Debug, Clone)]
pub struct HmacConfig {
    /// Lowercase name of the header carrying the signature.
    pub header: String,
    /// Hash function of the HMAC; default SHA-256.
    pub algorithm: HashAlgorithm,
    /// How the MAC is written; default hex.
    pub encoding: Encoding,
    /// Text before the MAC in the header, e.g. `sha256=`; default none.
    pub prefix: String,
    /// Where the event type comes from.
    pub type_source: TypeSource,
    /// Put before the event type, e.g. `acme.`; default empty.
    pub type_prefix: String,
    /// Lowercase name of the header holding the delivery id; without it
    /// the idempotency key is the SHA-256 hex of the body.
    pub idempotency_header: Option<String>,
}

/// Every configuration field this connector knows.
const FIELDS: [&str; 9] = [
    "header",
    "algorithm",
    "encoding",
    "prefix",
    "event_type",
    "event_type_header",
    "event_type_field",
    "idempotency_header",
    "type_prefix",
];

impl HmacConfig {
    /// Reads the configuration; unknown fields, missing required fields and
    /// bad values are `misconfigured` rejections naming the field.
    pub fn from_json(config: &Value) -> Result<Self, Rejection> {
        let object = config.as_object().ok_or_else(|| {
            misconfigured("the hmac connector's configuration must be a JSON object".to_owned())
        })?;
        if let Some(unknown) = object.keys().find(|key| !FIELDS.contains(&key.as_str())) {
            return Err(misconfigured(format!(
                "unknown configuration field `{unknown}`; the hmac connector takes `{}`",
                FIELDS.join("`, `")
            )));
        }
        let header = header_name(object, "header")?.ok_or_else(|| {
            misconfigured("configuration field `header` is required, e.g. \"X-Signature\"".to_owned())
        })?;
        Ok(Self {
            header,
            algorithm: algorithm(object)?,
            encoding: encoding(object)?,
            prefix: text(object, "prefix", |_| true)?.unwrap_or_default(),
            type_source: type_source(object)?,
            type_prefix: text(object, "type_prefix", is_type_text)?.unwrap_or_default(),
            idempotency_header: header_name(object, "idempotency_header")?,
        })
    }
}

fn algorithm(object: &Map<String, Value>) -> Result<HashAlgorithm, Rejection> {
    match object.get("algorithm") {
        None => Ok(HashAlgorithm::Sha256),
        Some(Value::String(name)) if name == "sha1" => Ok(HashAlgorithm::Sha1),
        Some(Value::String(name)) if name == "sha256" => Ok(HashAlgorithm::Sha256),
        Some(Value::String(name)) if name == "sha512" => Ok(HashAlgorithm::Sha512),
        Some(other) => Err(misconfigured(format!(
            "configuration field `algorithm` must be \"sha1\", \"sha256\" or \"sha512\", not {other}"
        ))),
    }
}

fn encoding(object: &Map<String, Value>) -> Result<Encoding, Rejection> {
    match object.get("encoding") {
        None => Ok(Encoding::Hex),
        Some(Value::String(name)) if name == "hex" => Ok(Encoding::Hex),
        Some(Value::String(name)) if name == "base64" => Ok(Encoding::Base64),
        Some(other) => Err(misconfigured(format!(
            "configuration field `encoding` must be \"hex\" or \"base64\", not {other}"
        ))),
    }
}

/// Exactly one of `event_type`, `event_type_header`, `event_type_field`.
fn type_source(object: &Map<String, Value>) -> Result<TypeSource, Rejection> {
    let fixed = text(object, "event_type", |t| !t.is_empty() && is_type_text(t))?;
    let header = header_name(object, "event_type_header")?;
    let field = text(object, "event_type_field", |t| !t.is_empty())?;
    match (fixed, header, field) {
        (Some(fixed), None, None) => Ok(TypeSource::Fixed(fixed)),
        (None, Some(header), None) => Ok(TypeSource::Header(header)),
        (None, None, Some(field)) => Ok(TypeSource::Field(field)),
        (None, None, None) => Err(misconfigured(
            "give one of the configuration fields `event_type` (a fixed type), `event_type_header` or `event_type_field`"
                .to_owned(),
        )),
        _ => Err(misconfigured(
            "give only one of the configuration fields `event_type`, `event_type_header` and `event_type_field`"
                .to_owned(),
        )),
    }
}

/// An optional string field of at most [`MAX_TEXT_LEN`] bytes accepted by `valid`.
fn text(
    object: &Map<String, Value>,
    field: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<Option<String>, Rejection> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) if text.len() <= MAX_TEXT_LEN && valid(text) => Ok(Some(text.clone())),
        Some(other) => Err(misconfigured(format!(
            "configuration field `{field}` is not acceptable: {other} (expected {})",
            expected(field)
        ))),
    }
}

/// An optional header-name field, returned lowercase.
fn header_name(object: &Map<String, Value>, field: &str) -> Result<Option<String>, Rejection> {
    let valid = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    Ok(text(object, field, valid)?.map(|name| name.to_ascii_lowercase()))
}

fn expected(field: &str) -> &'static str {
    match field {
        "header" | "event_type_header" | "idempotency_header" => "a header name such as \"X-Signature\"",
        "event_type" => "a dotted lowercase type such as \"acme.event\"",
        "type_prefix" => "lowercase letters, digits, `.`, `_` or `-`, such as \"acme.\"",
        "event_type_field" => "the name of a top-level field of the JSON body, such as \"type\"",
        _ => "a short string such as \"sha256=\"",
    }
}

/// Event types and prefixes: lowercase letters, digits, `.`, `_`, `-`.
pub fn is_type_text(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn misconfigured(message: String) -> Rejection {
    Rejection::Misconfigured(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_configuration_parses() {
        let config = HmacConfig::from_json(&json!({
            "header": "X-Hub-Signature-256", "algorithm": "sha256", "encoding": "hex", "prefix": "sha256=",
            "event_type_header": "X-GitHub-Event", "type_prefix": "github.", "idempotency_header": "X-GitHub-Delivery"
        }))
        .expect("valid");
        assert_eq!(config.header, "x-hub-signature-256");
        assert_eq!(config.prefix, "sha256=");
        assert_eq!(
            config.type_source,
            TypeSource::Header("x-github-event".to_owned())
        );
        assert_eq!(config.idempotency_header.as_deref(), Some("x-github-delivery"));
    }

    #[test]
    fn defaults_are_sha256_hex_without_prefix() {
        let config = HmacConfig::from_json(&json!({"header": "X-Signature", "event_type": "acme.event"}))
            .expect("valid");
        assert!(matches!(config.algorithm, HashAlgorithm::Sha256));
        assert_eq!(config.encoding, Encoding::Hex);
        assert_eq!(config.prefix, "");
        assert_eq!(config.type_source, TypeSource::Fixed("acme.event".to_owned()));
        assert_eq!(config.idempotency_header, None);
    }

    #[test]
    fn every_refusal_names_its_field() {
        let base = json!({"header": "X-Signature", "event_type": "acme.event"});
        let with = |key: &str, value: Value| {
            let mut config = base.clone();
            config[key] = value;
            config
        };
        for (config, field) in [
            (json!({"event_type": "acme.event"}), "`header`"),
            (with("header", json!("X Signature")), "`header`"),
            (with("algorithm", json!("md5")), "`algorithm`"),
            (with("encoding", json!("base32")), "`encoding`"),
            (with("prefix", json!(5)), "`prefix`"),
            (with("event_type", json!("Acme Event")), "`event_type`"),
            (with("event_type_header", json!("X-Event")), "only one"),
            (json!({"header": "X-Signature"}), "`event_type`"),
            (with("type_prefix", json!("ACME.")), "`type_prefix`"),
            (with("idempotency_header", json!("")), "`idempotency_header`"),
            (with("secret", json!("s")), "`secret`"),
        ] {
            assert!(
                matches!(HmacConfig::from_json(&config), Err(Rejection::Misconfigured(reason)) if reason.contains(field)),
                "{config} should name {field}"
            );
        }
    }
}
