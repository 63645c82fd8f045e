//! HTML form-post connector.
//!
//! Accepts `POST` with `Content-Type: application/x-www-form-urlencoded`
//! (anything else is `malformed`; `GET` and other methods are
//! `method-not-allowed`) and emits one event, `form.submitted` unless the
//! configuration's `event_type` says otherwise, whose data is a JSON object
//! of the fields: `+` and `%XX` decoded as UTF-8, a repeated name becoming an
//! array of its values in order. The idempotency key is the value of the
//! configured `idempotency_field`, else the SHA-256 hex of the body.
//!
//! Optional protection: when the trigger has a `form-token` secret (several
//! values during a rotation), the same value must arrive in the
//! `X-Form-Token` header or the `token` query parameter (compared in
//! constant time), else `unauthorized`. When the configuration names a
//! `honeypot_field` (a field hidden from people), a submission that fills it
//! in is `ignored`; the field is left out of the data otherwise.

mod config;
mod form;

use serde_json::{Map, Value};
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::verify::token_any;
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest};

pub use config::{DEFAULT_EVENT_TYPE, FormConfig};
pub use form::{decode, parse_form};

/// Name of the optional secret a submission must echo.
pub const TOKEN_SECRET: &str = "form-token";

/// The header a submission may carry the token in.
pub const TOKEN_HEADER: &str = "x-form-token";

/// The query parameter a submission may carry the token in.
pub const TOKEN_PARAM: &str = "token";

/// The only content type accepted.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Longest idempotency key taken from a field.
const MAX_KEY_LEN: usize = 255;

/// The form connector.
pub struct Form;

impl Connector for Form {
    type Config = Value;

    fn receive(request: &WebhookRequest, secrets: &Secrets, config: Value) -> Result<Receipt, Rejection> {
        request.require_method("POST", "forms are submitted")?;
        // Read after the method check, so a GET is refused as such.
        let config = weir_sdk::config::from_value::<FormConfig>(config)
            .map_err(Rejection::Misconfigured)?
            .validate()?;
        check_token(request, secrets)?;
        check_content_type(request)?;
        let mut fields = parse_form(request.body_str()?)?;
        if fields.is_empty() {
            return Err(Rejection::Malformed("the form has no fields".to_owned()));
        }
        if let Some(honeypot) = &config.honeypot_field {
            check_honeypot(&mut fields, honeypot)?;
        }
        let key = idempotency_key(request, &fields, config.idempotency_field.as_deref())?;
        let data = Value::Object(fields).to_string();
        Ok(Receipt::with_event(NewEvent::new(config.event_type, key, data)))
    }
}

weir_sdk::export_connector!(Form);

/// When the trigger has `form-token` values, requires one of them in the
/// `X-Form-Token` header or the `token` query parameter.
pub fn check_token(request: &WebhookRequest, secrets: &Secrets) -> Result<(), Rejection> {
    let tokens: Vec<&str> = secrets.all(TOKEN_SECRET).collect();
    if tokens.is_empty() {
        return Ok(());
    }
    let supplied = request
        .header(TOKEN_HEADER)
        .map(str::to_owned)
        .or_else(|| request.query_param(TOKEN_PARAM))
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Rejection::Unauthorized(format!(
                "missing form token: send it in the `X-Form-Token` header or the `{TOKEN_PARAM}` query parameter"
            ))
        })?;
    // Compared on digests: the time taken says nothing of the tokens'
    // lengths or contents.
    if token_any(&tokens, &supplied) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(format!(
            "the form token does not match the trigger's `{TOKEN_SECRET}`"
        )))
    }
}

/// Requires `application/x-www-form-urlencoded` (parameters such as
/// `charset=UTF-8` allowed).
fn check_content_type(request: &WebhookRequest) -> Result<(), Rejection> {
    let content_type = request.require_header("content-type")?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case(FORM_CONTENT_TYPE) {
        Ok(())
    } else {
        Err(Rejection::Malformed(format!(
            "content type `{}` is not {FORM_CONTENT_TYPE}",
            media_type.chars().take(100).collect::<String>()
        )))
    }
}

/// Ignores the submission when `honeypot` holds a non-blank value; else
/// removes the field from the data.
fn check_honeypot(fields: &mut Map<String, Value>, honeypot: &str) -> Result<(), Rejection> {
    let filled = match fields.remove(honeypot) {
        Some(Value::String(value)) => !value.trim().is_empty(),
        Some(Value::Array(values)) => values
            .iter()
            .any(|value| value.as_str().is_some_and(|v| !v.trim().is_empty())),
        _ => false,
    };
    if filled {
        Err(Rejection::Ignored(format!(
            "the honeypot field `{honeypot}` was filled in: a bot's submission"
        )))
    } else {
        Ok(())
    }
}

/// The configured field's (first) value, or the SHA-256 hex of the body.
fn idempotency_key(
    request: &WebhookRequest,
    fields: &Map<String, Value>,
    field: Option<&str>,
) -> Result<String, Rejection> {
    let Some(field) = field else {
        return Ok(host::digest_hex(HashAlgorithm::Sha256, &request.body));
    };
    let value = match fields.get(field) {
        Some(Value::Array(values)) => values.first().and_then(Value::as_str),
        Some(value) => value.as_str(),
        None => None,
    };
    value
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_LEN)
        .map(str::to_owned)
        .ok_or_else(|| {
            Rejection::Malformed(format!(
                "the form has no value of 1 to {MAX_KEY_LEN} bytes in `{field}`, the configured idempotency_field"
            ))
        })
}

#[cfg(test)]
mod tests;
