//! Meta's two checks: the `GET` subscription handshake (`hub.verify_token`
//! against the trigger's `verify-token`) and the `X-Hub-Signature-256`
//! HMAC-SHA256 of the raw body under the app secret.

use weir_sdk::host::HashAlgorithm;
use weir_sdk::verify::{hmac_any, token_any};
use weir_sdk::{Rejection, WebhookRequest};

/// Longest `hub.challenge` echoed back (Meta sends an integer).
const MAX_CHALLENGE_LEN: usize = 256;

/// Checks a verification request and returns the `hub.challenge` to echo.
/// `hub.mode` must be `subscribe` and `hub.verify_token` must equal one of
/// `tokens` (compared in constant time, on SHA-256 digests so that the
/// length is not revealed either).
pub fn handshake_challenge(request: &WebhookRequest, tokens: &[&str]) -> Result<String, Rejection> {
    let mode = request.query_param("hub.mode").ok_or_else(|| {
        Rejection::Malformed("GET without `hub.mode`; Meta verifies with `hub.mode=subscribe`".to_owned())
    })?;
    if mode != "subscribe" {
        return Err(Rejection::Malformed(format!(
            "`hub.mode` is `{mode}`; Meta verifies with `subscribe`"
        )));
    }
    let sent = request
        .query_param("hub.verify_token")
        .ok_or_else(|| Rejection::Unauthorized("missing `hub.verify_token` query parameter".to_owned()))?;
    if !token_any(tokens, &sent) {
        return Err(Rejection::Unauthorized(
            "`hub.verify_token` does not match the trigger's verify-token".to_owned(),
        ));
    }
    match request.query_param("hub.challenge") {
        Some(challenge) if !challenge.is_empty() && challenge.len() <= MAX_CHALLENGE_LEN => Ok(challenge),
        Some(_) => Err(Rejection::Malformed(format!(
            "`hub.challenge` must be 1 to {MAX_CHALLENGE_LEN} characters"
        ))),
        None => Err(Rejection::Malformed(
            "missing `hub.challenge` query parameter".to_owned(),
        )),
    }
}

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the raw body under
/// each of `secrets`. The legacy SHA-1 `X-Hub-Signature` is not accepted
/// in its place.
pub fn signature(request: &WebhookRequest, secrets: &[&str]) -> Result<(), Rejection> {
    let header = request.require_signature_header("x-hub-signature-256")?;
    let hex_mac = header.trim().strip_prefix("sha256=").ok_or_else(|| {
        Rejection::Unauthorized("`X-Hub-Signature-256` must start with `sha256=`".to_owned())
    })?;
    let mac = hex::decode(hex_mac)
        .map_err(|_| Rejection::Unauthorized("`X-Hub-Signature-256` is not hexadecimal".to_owned()))?;
    if hmac_any(HashAlgorithm::Sha256, secrets, &request.body, &[mac]) {
        Ok(())
    } else {
        Err(Rejection::Unauthorized(
            "`X-Hub-Signature-256` does not match the body".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_sdk::testing::{self, RequestBuilder, sign_hex};

    fn get(query: &str) -> WebhookRequest {
        RequestBuilder::post().method("GET").query(query).build()
    }

    fn post(signature: &str, body: &str) -> WebhookRequest {
        testing::request("POST", &[("X-Hub-Signature-256", signature)], body)
    }

    /// Meta's documented sample verification request.
    const DOC_QUERY: &str = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";

    #[test]
    fn the_documented_handshake_returns_the_challenge() {
        let challenge = handshake_challenge(&get(DOC_QUERY), &["meatyhamhock"]).expect("verified");
        assert_eq!(challenge, "1158201444");
        assert!(handshake_challenge(&get(DOC_QUERY), &["new-token", "meatyhamhock"]).is_ok());
    }

    #[test]
    fn bad_handshakes_are_refused() {
        let cases = [
            (DOC_QUERY.replace("meatyhamhock", "meatyhamhocks"), "unauthorized"),
            ("hub.mode=subscribe&hub.challenge=1".to_owned(), "unauthorized"),
            (DOC_QUERY.replace("subscribe", "unsubscribe"), "malformed"),
            (
                "hub.challenge=1&hub.verify_token=meatyhamhock".to_owned(),
                "malformed",
            ),
            (
                "hub.mode=subscribe&hub.verify_token=meatyhamhock".to_owned(),
                "malformed",
            ),
        ];
        for (query, kind) in cases {
            let result = handshake_challenge(&get(&query), &["meatyhamhock"]);
            let ok = match kind {
                "unauthorized" => matches!(result, Err(Rejection::Unauthorized(_))),
                _ => matches!(result, Err(Rejection::Malformed(_))),
            };
            assert!(ok, "{query}: expected {kind}, got {result:?}");
        }
    }

    #[test]
    fn signatures_verify_under_any_rotated_secret() {
        let body = r#"{"object":"page","entry":[]}"#;
        let mac = sign_hex(HashAlgorithm::Sha256, "old-app-secret", body);
        let request = post(&format!("sha256={mac}"), body);
        assert!(signature(&request, &["new-app-secret", "old-app-secret"]).is_ok());
        assert!(signature(&request, &["old-app-secret", "new-app-secret"]).is_ok());
        assert!(matches!(
            signature(&request, &["new-app-secret"]),
            Err(Rejection::Unauthorized(_))
        ));
        let tampered = post(&request.headers[0].value, &body.replace("page", "user"));
        assert!(matches!(
            signature(&tampered, &["old-app-secret"]),
            Err(Rejection::Unauthorized(_))
        ));
        let unprefixed = post(&request.headers[0].value[7..], body);
        assert!(
            matches!(signature(&unprefixed, &["old-app-secret"]), Err(Rejection::Unauthorized(r)) if r.contains("sha256="))
        );
    }
}
