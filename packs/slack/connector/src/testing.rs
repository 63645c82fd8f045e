//! Shared test data: Slack's documented signing example and helpers.

use weir_sdk::WebhookRequest;
use weir_sdk::host::HashAlgorithm;
use weir_sdk::testing::{RequestBuilder, sign_hex};

/// Signing secret of Slack's example ("Verifying requests from Slack").
pub const DOC_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// Timestamp of Slack's example.
pub const DOC_TIMESTAMP: &str = "1531420618";
/// Body of Slack's example: a slash command.
pub const DOC_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
/// Signature of Slack's example.
pub const DOC_SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
/// The example's timestamp as a receive time, in milliseconds.
pub const DOC_RECEIVED_MS: u64 = 1_531_420_618_000;

/// A request with `headers` and `body`.
pub fn request(method: &str, headers: &[(&str, &str)], body: &str, received_at_ms: u64) -> WebhookRequest {
    RequestBuilder::post()
        .method(method)
        .headers(headers)
        .body(body)
        .received_at_ms(received_at_ms)
        .build()
}

/// `v0=<hex>` for `body` signed at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let base = format!("v0:{timestamp}:{body}");
    format!("v0={}", sign_hex(HashAlgorithm::Sha256, secret, base))
}
