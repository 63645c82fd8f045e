//! The trigger's connector configuration, checked field by field so that
//! every refusal names the field at fault.
//!
//! ```json
//! {"header": "X-Hub-Signature-256", "algorithm": "sha256", "encoding": "hex",
//!  "prefix": "sha256=", "event_type_header": "X-GitHub-Event", "type_prefix": "github.",
//!  "idempotency_header": "X-GitHub-Delivery"}
//! ```

use serde::Deserialize;
use serde_json::Value;
use weir_sdk::Rejection;
use weir_sdk::config::not_null;
use weir_sdk::host::HashAlgorithm;

/// Longest `prefix`, `type_prefix` or fixed `event_type` accepted.
const MAX_TEXT_LEN: usize = 64;

/// How the MAC is written in the signature header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Hexadecimal, either case.
    #[default]
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

/// The configuration as written. Unknown fields and wrong types are
/// refused while deserializing, naming the field; [`Written::check`] does
/// the rest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    header: String,
    #[serde(default)]
    algorithm: Algorithm,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default)]
    prefix: String,
    #[serde(default, deserialize_with = "not_null")]
    event_type: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    event_type_header: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    event_type_field: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    idempotency_header: Option<String>,
    #[serde(default)]
    type_prefix: String,
}

/// `algorithm`: the hash functions the host offers.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    Sha1,
    #[default]
    Sha256,
    Sha512,
}

impl HmacConfig {
    /// Reads the configuration; unknown fields, missing required fields and
    /// bad values are `misconfigured` rejections naming the field.
    pub fn from_json(config: Value) -> Result<Self, Rejection> {
        weir_sdk::config::from_value::<Written>(config)
            .map_err(Rejection::Misconfigured)?
            .check()
    }
}

impl Written {
    /// Checks what serde cannot: lengths, characters and that exactly one
    /// type source is given.
    fn check(self) -> Result<HmacConfig, Rejection> {
        let header = header_name("header", self.header)?;
        let prefix = text("prefix", self.prefix, |_| true)?;
        let type_source = type_source(self.event_type, self.event_type_header, self.event_type_field)?;
        Ok(HmacConfig {
            header,
            algorithm: match self.algorithm {
                Algorithm::Sha1 => HashAlgorithm::Sha1,
                Algorithm::Sha256 => HashAlgorithm::Sha256,
                Algorithm::Sha512 => HashAlgorithm::Sha512,
            },
            encoding: self.encoding,
            prefix,
            type_source,
            type_prefix: text("type_prefix", self.type_prefix, is_type_text)?,
            idempotency_header: self
                .idempotency_header
                .map(|name| header_name("idempotency_header", name))
                .transpose()?,
        })
    }
}

/// Exactly one of `event_type`, `event_type_header`, `event_type_field`.
fn type_source(
    fixed: Option<String>,
    header: Option<String>,
    field: Option<String>,
) -> Result<TypeSource, Rejection> {
    let fixed = fixed
        .map(|t| text("event_type", t, |t| !t.is_empty() && is_type_text(t)))
        .transpose()?;
    let header = header.map(|h| header_name("event_type_header", h)).transpose()?;
    let field = field
        .map(|f| text("event_type_field", f, |f| !f.is_empty()))
        .transpose()?;
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

/// A string setting of at most [`MAX_TEXT_LEN`] bytes accepted by `valid`.
fn text(field: &str, text: String, valid: impl Fn(&str) -> bool) -> Result<String, Rejection> {
    if text.len() <= MAX_TEXT_LEN && valid(&text) {
        Ok(text)
    } else {
        Err(misconfigured(format!(
            "configuration field `{field}` is not acceptable: {} (expected {})",
            Value::from(text),
            expected(field)
        )))
    }
}

/// A header-name setting, returned lowercase.
fn header_name(field: &str, name: String) -> Result<String, Rejection> {
    let valid = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    Ok(text(field, name, valid)?.to_ascii_lowercase())
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
        let config = HmacConfig::from_json(json!({
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
        let config = HmacConfig::from_json(json!({"header": "X-Signature", "event_type": "acme.event"}))
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
            (with("prefix", Value::Null), "`prefix`"),
            (with("idempotency_header", Value::Null), "`idempotency_header`"),
            (json!([]), "JSON object"),
        ] {
            assert!(
                matches!(HmacConfig::from_json(config.clone()), Err(Rejection::Misconfigured(reason)) if reason.contains(field)),
                "{config} should name {field}"
            );
        }
    }
}
