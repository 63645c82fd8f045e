//! Native unit tests of the generic HMAC connector.

use super::*;
use serde_json::json;
use weir_sdk::encoding::{base64_decode, base64_encode};
use weir_sdk::testing::{self, sign_base64, sign_hex};

/// GitHub's documented test vector ("Validating webhook deliveries").
const DOC_SECRET: &str = "It's a Secret to Everybody";
const DOC_BODY: &str = "Hello, World!";
const DOC_SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const BODY: &str = r#"{"type":"Order/Created","id":42}"#;

fn request(headers: &[(&str, &str)], body: &str) -> WebhookRequest {
    testing::request("POST", headers, body)
}

fn secrets(values: &[&str]) -> Secrets {
    testing::secrets(SECRET_NAME, values)
}

fn github_style() -> Value {
    json!({"header": "X-Hub-Signature-256", "prefix": "sha256=", "event_type_header": "X-GitHub-Event",
           "type_prefix": "github.", "idempotency_header": "X-GitHub-Delivery"})
}

#[test]
fn githubs_documented_vector_verifies_in_the_hub_signature_style() {
    let config = HmacConfig::from_json(github_style()).expect("valid");
    let good = request(&[("X-Hub-Signature-256", DOC_SIGNATURE)], DOC_BODY);
    assert!(verify(&good, &config, &[DOC_SECRET]).is_ok());
    let tampered = request(&[("X-Hub-Signature-256", DOC_SIGNATURE)], "Hello, World?");
    assert!(matches!(
        verify(&tampered, &config, &[DOC_SECRET]),
        Err(Rejection::Unauthorized(reason)) if reason.contains("does not match")
    ));
    let unprefixed = request(&[("X-Hub-Signature-256", &DOC_SIGNATURE[7..])], DOC_BODY);
    assert!(matches!(
        verify(&unprefixed, &config, &[DOC_SECRET]),
        Err(Rejection::Unauthorized(reason)) if reason.contains("sha256=")
    ));
}

#[test]
fn a_rotation_accepts_the_old_and_the_new_secret() {
    let config =
        HmacConfig::from_json(json!({"header": "X-Signature", "event_type": "acme.event"})).expect("valid");
    for secret in ["old", "new"] {
        let signature = sign_hex(HashAlgorithm::Sha256, secret, BODY);
        let request = request(&[("X-Signature", &signature)], BODY);
        assert!(
            Hmac::receive(
                &request,
                &secrets(&["new", "old"]),
                json!({"header": "X-Signature", "event_type": "acme.event"})
            )
            .is_ok()
        );
        assert!(verify(&request, &config, &["other"]).is_err());
    }
}

#[test]
fn sha1_and_sha512_in_base64_verify() {
    for (algorithm, name) in [(HashAlgorithm::Sha1, "sha1"), (HashAlgorithm::Sha512, "sha512")] {
        let config = json!({"header": "X-Webhook-Signature", "algorithm": name, "encoding": "base64", "event_type": "acme.event"});
        let signature = sign_base64(algorithm, "s", BODY);
        let request = request(&[("X-Webhook-Signature", &signature)], BODY);
        assert!(
            Hmac::receive(&request, &secrets(&["s"]), config.clone()).is_ok(),
            "{name}"
        );
        let short = request_with_other_length(&signature);
        assert!(matches!(
            Hmac::receive(&short, &secrets(&["s"]), config),
            Err(Rejection::Unauthorized(reason)) if reason.contains("bytes")
        ));
    }
}

fn request_with_other_length(signature: &str) -> WebhookRequest {
    let mut bytes = base64_decode(signature).unwrap_or_default();
    bytes.pop();
    request(&[("X-Webhook-Signature", &base64_encode(&bytes))], BODY)
}

#[test]
fn event_types_come_from_a_field_a_header_or_the_configuration() {
    let signature = sign_hex(HashAlgorithm::Sha256, "s", BODY);
    let request = request(
        &[
            ("X-Signature", &signature),
            ("X-Event", "Ping"),
            ("X-Request-Id", "req-1"),
        ],
        BODY,
    );
    let cases = [
        (
            json!({"header": "X-Signature", "event_type_field": "type", "type_prefix": "shop."}),
            "shop.order.created",
        ),
        (
            json!({"header": "X-Signature", "event_type_header": "X-Event"}),
            "ping",
        ),
        (
            json!({"header": "X-Signature", "event_type": "acme.order"}),
            "acme.order",
        ),
    ];
    for (config, expected) in cases {
        let receipt = Hmac::receive(&request, &secrets(&["s"]), config).expect("accepted");
        assert_eq!(receipt.events[0].event_type, expected);
        assert_eq!(receipt.events[0].data, BODY);
    }
    let keyed =
        json!({"header": "X-Signature", "event_type": "acme.order", "idempotency_header": "X-Request-Id"});
    let receipt = Hmac::receive(&request, &secrets(&["s"]), keyed).expect("accepted");
    assert_eq!(receipt.events[0].idempotency_key, "req-1");
}

#[test]
fn without_an_idempotency_header_the_key_is_the_body_sha256() {
    let signature = sign_hex(HashAlgorithm::Sha256, "s", BODY);
    let request = request(&[("X-Signature", &signature)], BODY);
    let receipt = Hmac::receive(
        &request,
        &secrets(&["s"]),
        json!({"header": "X-Signature", "event_type": "a.b"}),
    )
    .expect("accepted");
    assert_eq!(
        receipt.events[0].idempotency_key,
        host::digest_hex(HashAlgorithm::Sha256, BODY.as_bytes())
    );
}

#[test]
fn requests_the_configuration_cannot_use_are_malformed() {
    let body = r#"{"type":"has space"}"#;
    let signature = sign_hex(HashAlgorithm::Sha256, "s", body);
    let request = request(&[("X-Signature", &signature)], body);
    for config in [
        json!({"header": "X-Signature", "event_type_field": "type"}),
        json!({"header": "X-Signature", "event_type_field": "kind"}),
        json!({"header": "X-Signature", "event_type_header": "X-Event"}),
        json!({"header": "X-Signature", "event_type": "a.b", "idempotency_header": "X-Request-Id"}),
    ] {
        assert!(
            matches!(
                Hmac::receive(&request, &secrets(&["s"]), config.clone()),
                Err(Rejection::Malformed(_))
            ),
            "{config}"
        );
    }
}

#[test]
fn method_secret_and_header_are_checked_first() {
    let config = json!({"header": "X-Signature", "event_type": "a.b"});
    let mut get = request(&[], "");
    get.method = "GET".into();
    assert!(matches!(
        Hmac::receive(&get, &secrets(&["s"]), config.clone()),
        Err(Rejection::MethodNotAllowed(_))
    ));
    let unsigned = request(&[], BODY);
    assert!(matches!(
        Hmac::receive(&unsigned, &Secrets::default(), config.clone()),
        Err(Rejection::Misconfigured(_))
    ));
    assert!(matches!(
        Hmac::receive(&unsigned, &secrets(&["s"]), config),
        Err(Rejection::Unauthorized(reason)) if reason.contains("x-signature")
    ));
}
