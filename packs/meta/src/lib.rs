//! Meta webhook connector: Facebook Pages, Instagram, WhatsApp Business and
//! the other Graph API objects, which all share one delivery format.
//!
//! - `GET` is Meta's subscription handshake: `hub.mode=subscribe`,
//!   `hub.verify_token`, `hub.challenge`. When the token equals (in constant
//!   time) one of the trigger's `verify-token` values, the challenge is
//!   echoed as `200 text/plain`; otherwise the request is `unauthorized`.
//! - `POST` is a notification, signed with `X-Hub-Signature-256:
//!   sha256=<hex>` (HMAC-SHA256 of the raw body under one of the trigger's
//!   `app-secret` values). Each change or messaging item becomes one event;
//!   see [`notification`] for types, subjects, times and the idempotency
//!   key, which is derived from the content because Meta sends no delivery
//!   id.

use weir_sdk::{Connector, NoConfig, Receipt, Rejection, Reply, Secrets, WebhookRequest};

pub mod notification;
pub mod verify;

/// Secret holding the Meta app secret, which signs notifications.
pub const APP_SECRET: &str = "app-secret";
/// Secret holding the Verify Token entered in the App Dashboard.
pub const VERIFY_TOKEN: &str = "verify-token";

/// The Meta connector.
pub struct Meta;

impl Connector for Meta {
    type Config = NoConfig;

    fn receive(request: &WebhookRequest, secrets: &Secrets, _config: NoConfig) -> Result<Receipt, Rejection> {
        match request.method.as_str() {
            "GET" => {
                let challenge = verify::handshake_challenge(request, &secrets.require_all(VERIFY_TOKEN)?)?;
                Ok(Receipt::reply_only(Reply::text(challenge)))
            }
            "POST" => {
                verify::signature(request, &secrets.require_all(APP_SECRET)?)?;
                notification::receipt(&request.body)
            }
            other => Err(Rejection::MethodNotAllowed(format!(
                "Meta verifies with GET and notifies with POST, not {other}"
            ))),
        }
    }
}

weir_sdk::export_connector!(Meta);

#[cfg(test)]
mod tests {
    use super::*;
    use weir_sdk::Secret;
    use weir_sdk::host::HashAlgorithm;
    use weir_sdk::testing::{RequestBuilder, sign_hex};

    fn request(method: &str, query: &str, signature: Option<&str>, body: &str) -> WebhookRequest {
        let signature = signature.map(|s| ("X-Hub-Signature-256", s));
        RequestBuilder::post()
            .method(method)
            .query(query)
            .headers(signature.as_slice())
            .body(body)
            .build()
    }

    fn secrets(app_secrets: &[&str], verify_tokens: &[&str]) -> Secrets {
        let app = app_secrets.iter().map(|v| Secret::new(APP_SECRET, *v));
        let tokens = verify_tokens.iter().map(|v| Secret::new(VERIFY_TOKEN, *v));
        Secrets::new(app.chain(tokens).collect())
    }

    fn sign(secret: &str, body: &str) -> String {
        format!("sha256={}", sign_hex(HashAlgorithm::Sha256, secret, body))
    }

    const USER_PHOTOS: &str = r#"{"entry":[{"time":1520383571,"changes":[{"field":"photos","value":{"verb":"update","object_id":"10211885744794461"}}],"id":"10210299214172187","uid":"10210299214172187"}],"object":"user"}"#;

    #[test]
    fn get_answers_the_handshake_and_stores_nothing() {
        let get = request(
            "GET",
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
            None,
            "",
        );
        let receipt =
            Meta::receive(&get, &secrets(&["s"], &["meatyhamhock"]), NoConfig {}).expect("verified");
        assert!(receipt.events.is_empty());
        let reply = receipt.reply.expect("reply");
        assert_eq!(
            (reply.status, reply.body.as_slice()),
            (200, b"1158201444".as_slice())
        );
    }

    #[test]
    fn post_verifies_under_either_rotated_app_secret() {
        let post = request("POST", "", Some(&sign("old-secret", USER_PHOTOS)), USER_PHOTOS);
        for app in [["old-secret", "new-secret"], ["new-secret", "old-secret"]] {
            let receipt = Meta::receive(&post, &secrets(&app, &["t"]), NoConfig {}).expect("accepted");
            assert_eq!(receipt.events[0].event_type, "meta.user.photos");
        }
        assert!(matches!(
            Meta::receive(&post, &secrets(&["new-secret"], &["t"]), NoConfig {}),
            Err(Rejection::Unauthorized(_))
        ));
    }

    #[test]
    fn each_method_needs_its_own_secret_and_others_are_refused() {
        let get = request(
            "GET",
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=t",
            None,
            "",
        );
        assert!(matches!(
            Meta::receive(&get, &secrets(&["s"], &[]), NoConfig {}),
            Err(Rejection::Misconfigured(reason)) if reason.contains(VERIFY_TOKEN)
        ));
        let post = request("POST", "", Some(&sign("s", USER_PHOTOS)), USER_PHOTOS);
        assert!(matches!(
            Meta::receive(&post, &secrets(&[], &["t"]), NoConfig {}),
            Err(Rejection::Misconfigured(reason)) if reason.contains(APP_SECRET)
        ));
        let put = request("PUT", "", None, "");
        assert!(matches!(
            Meta::receive(&put, &secrets(&["s"], &["t"]), NoConfig {}),
            Err(Rejection::MethodNotAllowed(_))
        ));
    }
}
