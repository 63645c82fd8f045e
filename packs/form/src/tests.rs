//! Native unit tests of the form connector.

use super::*;
use serde_json::json;
use weir_sdk::testing::{self, RequestBuilder};

const BODY: &str =
    "name=Ada+Lovelace&email=ada%40example.org&topic=engines&topic=poetry&message=Hello%2C+Weir%21";

fn request(method: &str, query: &str, headers: &[(&str, &str)], body: &str) -> WebhookRequest {
    RequestBuilder::post()
        .method(method)
        .query(query)
        .headers(headers)
        .body(body)
        .build()
}

fn post(body: &str) -> WebhookRequest {
    request(
        "POST",
        "",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
}

fn tokens(values: &[&str]) -> Secrets {
    testing::secrets(TOKEN_SECRET, values)
}

#[test]
fn a_submission_becomes_one_event_of_its_fields() {
    let receipt = Form::receive(&post(BODY), &Secrets::default(), json!({})).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "form.submitted");
    assert_eq!(
        event.idempotency_key,
        host::digest_hex(HashAlgorithm::Sha256, BODY.as_bytes())
    );
    let data: Value = serde_json::from_str(&event.data).expect("JSON");
    assert_eq!(
        data,
        json!({"name": "Ada Lovelace", "email": "ada@example.org", "topic": ["engines", "poetry"], "message": "Hello, Weir!"})
    );
}

#[test]
fn configuration_names_the_type_and_the_key() {
    let body = "submission_id=sub-42&name=Ada";
    let config = json!({"event_type": "contact.requested", "idempotency_field": "submission_id"});
    let receipt = Form::receive(&post(body), &Secrets::default(), config.clone()).expect("accepted");
    assert_eq!(receipt.events[0].event_type, "contact.requested");
    assert_eq!(receipt.events[0].idempotency_key, "sub-42");
    assert!(matches!(
        Form::receive(&post("name=Ada"), &Secrets::default(), config),
        Err(Rejection::Malformed(reason)) if reason.contains("submission_id")
    ));
}

#[test]
fn a_rotated_token_is_accepted_in_the_header_or_the_query() {
    let secrets = tokens(&["new-token", "old-token"]);
    let content_type = ("Content-Type", "application/x-www-form-urlencoded");
    for request in [
        request("POST", "", &[content_type, ("X-Form-Token", "old-token")], BODY),
        request("POST", "token=new-token", &[content_type], BODY),
        request("POST", "a=1&token=old%2Dtoken", &[content_type], BODY),
    ] {
        assert!(
            Form::receive(&request, &secrets, json!({})).is_ok(),
            "{:?}",
            request.query
        );
    }
    for request in [
        request("POST", "", &[content_type], BODY),
        request("POST", "token=stolen", &[content_type], BODY),
        request(
            "POST",
            "",
            &[content_type, ("X-Form-Token", "old-token-but-longer")],
            BODY,
        ),
    ] {
        assert!(matches!(
            Form::receive(&request, &secrets, json!({})),
            Err(Rejection::Unauthorized(_))
        ));
    }
}

#[test]
fn a_filled_honeypot_is_ignored_and_an_empty_one_dropped() {
    let config = json!({"honeypot_field": "website"});
    assert!(matches!(
        Form::receive(&post("name=Bot&website=http%3A%2F%2Fspam.example"), &Secrets::default(), config.clone()),
        Err(Rejection::Ignored(reason)) if reason.contains("website")
    ));
    let receipt = Form::receive(&post("name=Ada&website="), &Secrets::default(), config).expect("accepted");
    assert_eq!(receipt.events[0].data, r#"{"name":"Ada"}"#);
}

#[test]
fn other_methods_and_content_types_are_refused() {
    assert!(matches!(
        Form::receive(
            &request("GET", "name=Ada", &[], ""),
            &Secrets::default(),
            json!({})
        ),
        Err(Rejection::MethodNotAllowed(_))
    ));
    for content_type in [
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let request = request("POST", "", &[("Content-Type", content_type)], BODY);
        assert!(matches!(
            Form::receive(&request, &Secrets::default(), json!({})),
            Err(Rejection::Malformed(_))
        ));
    }
    let charset = request(
        "POST",
        "",
        &[("Content-Type", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")],
        BODY,
    );
    assert!(Form::receive(&charset, &Secrets::default(), json!({})).is_ok());
    assert!(matches!(
        Form::receive(&post(""), &Secrets::default(), json!({})),
        Err(Rejection::Malformed(reason)) if reason.contains("no fields")
    ));
}
