//! Generic HMAC connector, configured per trigger.
//!
//! For providers that sign the raw body with an HMAC and put the MAC in a
//! header, such as `X-Signature: <hex>`, `X-Webhook-Signature: <base64>` or
//! `X-Hub-Signature-256: sha256=<hex>`. The trigger's configuration names
//! the header, the hash (`sha1`, `sha256`, `sha512`), the encoding (`hex`,
//! `base64`), an optional `prefix` before the MAC, and where the event type
//! comes from: a fixed `event_type`, a request header (`event_type_header`)
//! or a top-level field of the JSON body (`event_type_field`); types taken
//! from the request are lowercased, `/` becomes `.`, and `type_prefix` is put
//! before every type. The idempotency key is the `idempotency_header` value
//! when configured, else the SHA-256 hex of the body.
//!
//! The request is accepted when the MAC matches under any of the trigger's
//! `webhook-secret` values (rotation). The body must be JSON; it becomes the
//! event's data verbatim. These schemes carry no signed timestamp, so there
//! is no replay window to check: rely on the idempotency key.

mod config;

use serde::de::IgnoredAny;
use serde_json::Value;
use weir_sdk::encoding::{base64_decode, hex_decode};
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::verify::hmac_any;
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest, event_type_strict};

pub use config::{Encoding, HmacConfig, TypeSource};

/// Name of the secret holding the HMAC key (used as raw bytes).
pub const SECRET_NAME: &str = "webhook-secret";

/// Longest idempotency key taken from a header.
const MAX_KEY_LEN: usize = 255;

/// Longest event type produced.
const MAX_TYPE_LEN: usize = 200;

/// The generic HMAC connector.
pub struct Hmac;

impl Connector for Hmac {
    type Config = Value;

    fn receive(request: &WebhookRequest, secrets: &Secrets, config: Value) -> Result<Receipt, Rejection> {
        request.require_method("POST", "the hmac connector accepts requests")?;
        let config = HmacConfig::from_json(config)?;
        let secrets = secrets.require_all(SECRET_NAME)?;
        verify(request, &config, &secrets)?;
        Ok(Receipt::with_event(event(request, &config)?))
    }
}

weir_sdk::export_connector!(Hmac);

/// Checks the configured signature header against the body under any of
/// `secrets`.
pub fn verify(request: &WebhookRequest, config: &HmacConfig, secrets: &[&str]) -> Result<(), Rejection> {
    let name = &config.header;
    let value = request.require_signature_header(name)?.trim();
    let encoded = strip_prefix_ignoring_case(value, &config.prefix)
        .ok_or_else(|| Rejection::Unauthorized(format!("`{name}` must start with `{}`", config.prefix)))?;
    let mac = match config.encoding {
        Encoding::Hex => hex_decode(encoded),
        Encoding::Base64 => base64_decode(encoded),
    }
    .ok_or_else(|| {
        let encoding = match config.encoding {
            Encoding::Hex => "hexadecimal",
            Encoding::Base64 => "base64",
        };
        Rejection::Unauthorized(format!("`{name}` is not {encoding}"))
    })?;
    let expected_len = mac_len(config.algorithm);
    if mac.len() != expected_len {
        return Err(Rejection::Unauthorized(format!(
            "`{name}` holds {} bytes; an HMAC-{} is {expected_len}",
            mac.len(),
            algorithm_name(config.algorithm)
        )));
    }
    if hmac_any(config.algorithm, secrets, &request.body, &[mac]) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(format!(
            "`{name}` does not match the body under the trigger's `{SECRET_NAME}`"
        )))
    }
}

/// Builds the event from a verified request.
pub fn event(request: &WebhookRequest, config: &HmacConfig) -> Result<NewEvent, Rejection> {
    let body = request.body_str()?;
    let kind = match &config.type_source {
        TypeSource::Fixed(kind) => {
            request.json::<IgnoredAny>()?;
            kind.clone()
        }
        TypeSource::Header(header) => {
            request.json::<IgnoredAny>()?;
            normalize_type(request.require_header(header)?, &format!("header `{header}`"))?
        }
        TypeSource::Field(field) => {
            let value: Value = request.json()?;
            let text = value.get(field).and_then(Value::as_str).ok_or_else(|| {
                Rejection::Malformed(format!(
                    "body has no top-level string field `{field}` for the event type"
                ))
            })?;
            normalize_type(text, &format!("field `{field}`"))?
        }
    };
    let event_type = format!("{}{kind}", config.type_prefix);
    if event_type.len() > MAX_TYPE_LEN {
        return Err(Rejection::Malformed(format!(
            "event type is longer than {MAX_TYPE_LEN} bytes"
        )));
    }
    Ok(NewEvent::new(event_type, idempotency_key(request, config)?, body))
}

/// The configured delivery-id header, or the SHA-256 hex of the body.
fn idempotency_key(request: &WebhookRequest, config: &HmacConfig) -> Result<String, Rejection> {
    match &config.idempotency_header {
        Some(header) => {
            let key = request.require_header(header)?.trim();
            if key.is_empty() || key.len() > MAX_KEY_LEN {
                return Err(Rejection::Malformed(format!(
                    "`{header}` must be 1 to {MAX_KEY_LEN} bytes"
                )));
            }
            Ok(key.to_owned())
        }
        None => Ok(host::digest_hex(HashAlgorithm::Sha256, &request.body)),
    }
}

/// A type from the request, trimmed, lowercased with `/` as `.`; refused
/// unless it is then made of letters, digits, `.`, `_` and `-`.
fn normalize_type(raw: &str, source: &str) -> Result<String, Rejection> {
    event_type_strict("", raw).map_err(|_| {
        Rejection::Malformed(format!(
            "{source} `{}` is not an event type (letters, digits, `.`, `_`, `-`, `/`)",
            raw.chars().take(64).collect::<String>()
        ))
    })
}

fn strip_prefix_ignoring_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        value.get(prefix.len()..)
    } else {
        None
    }
}

fn mac_len(algorithm: HashAlgorithm) -> usize {
    match algorithm {
        HashAlgorithm::Sha1 => 20,
        HashAlgorithm::Sha256 => 32,
        HashAlgorithm::Sha512 => 64,
    }
}

fn algorithm_name(algorithm: HashAlgorithm) -> &'static str {
    match algorithm {
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha512 => "SHA512",
    }
}

#[cfg(test)]
mod tests;
