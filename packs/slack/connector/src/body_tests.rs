//! Tests of body handling (signatures are tested in `signature`).

use super::*;
use crate::testing::{DOC_BODY, request};

const SIGNED_AT: i64 = 1_795_428_000;

fn json(body: &str) -> WebhookRequest {
    request("POST", &[("Content-Type", "application/json")], body, 0)
}

fn form(body: &str) -> WebhookRequest {
    request(
        "POST",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
        0,
    )
}

/// The `app_mention` example from Slack's event reference.
const APP_MENTION: &str = r#"{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> is it everything a river should be?","ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522000016"},"type":"event_callback","event_id":"Ev123ABC456","event_time":123456789}"#;

#[test]
fn url_verification_is_answered_with_the_challenge() {
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let receipt = receipt(&json(body), SIGNED_AT).expect("accepted");
    assert!(receipt.events.is_empty());
    let reply = receipt.reply.expect("a reply");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    assert!(matches!(
        super::receipt(&json(r#"{"type":"url_verification"}"#), SIGNED_AT),
        Err(Rejection::Malformed(reason)) if reason.contains("challenge")
    ));
}

#[test]
fn an_event_callback_becomes_one_event() {
    let receipt = receipt(&json(APP_MENTION), SIGNED_AT).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "slack.app_mention");
    assert_eq!(event.idempotency_key, "Ev123ABC456");
    assert_eq!(event.subject.as_deref(), Some("C123ABC456"));
    assert_eq!(event.time.as_deref(), Some("1973-11-29T21:33:09Z"));
    assert_eq!(event.data, APP_MENTION);
}

#[test]
fn channels_are_found_as_objects_and_in_items() {
    let created = r#"{"type":"event_callback","event_id":"Ev1","event_time":1360782804,"event":{"type":"channel_created","channel":{"id":"C024BE91L","name":"fun"}}}"#;
    let reaction = r#"{"type":"event_callback","event_id":"Ev2","event":{"type":"reaction_added","item":{"type":"message","channel":"C0G9QF9GZ"}}}"#;
    let created = receipt(&json(created), SIGNED_AT).expect("accepted");
    assert_eq!(created.events[0].subject.as_deref(), Some("C024BE91L"));
    let reaction = receipt(&json(reaction), SIGNED_AT).expect("accepted");
    assert_eq!(reaction.events[0].subject.as_deref(), Some("C0G9QF9GZ"));
    assert_eq!(reaction.events[0].time, None);
}

#[test]
fn bad_envelopes_are_malformed_or_ignored() {
    let cases = [
        ("{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}", "no `event`"),
        (
            "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}}",
            "event_id",
        ),
        (
            "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"Bad Type\"}}",
            "not a Slack type",
        ),
        ("{\"event_id\":\"Ev1\"}", "no `type`"),
        ("{\"type\":", "not valid JSON"),
    ];
    for (body, expected) in cases {
        match receipt(&json(body), SIGNED_AT) {
            Err(Rejection::Malformed(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("{body}: expected malformed, got {other:?}"),
        }
    }
    let limited = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","type":"app_rate_limited","team_id":"T123456","minute_rate_limited":1518467820,"api_app_id":"A123456"}"#;
    assert!(matches!(
        receipt(&json(limited), SIGNED_AT),
        Err(Rejection::Ignored(_))
    ));
}

#[test]
fn a_slash_command_becomes_an_event_of_its_fields() {
    let receipt = receipt(&form(DOC_BODY), SIGNED_AT).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "slack.command");
    assert_eq!(event.time.as_deref(), Some("2026-11-23T10:00:00Z"));
    let data: Value = serde_json::from_str(&event.data).expect("JSON data");
    assert_eq!(data["command"], "/webhook-collect");
    assert_eq!(data["text"], "");
    assert_eq!(
        data["response_url"],
        "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"
    );
    let no_trigger = form("command=%2Fdeploy&channel_id=C1");
    assert!(matches!(
        super::receipt(&no_trigger, SIGNED_AT),
        Err(Rejection::Malformed(reason)) if reason.contains("trigger_id")
    ));
}

#[test]
fn an_interaction_payload_becomes_an_interaction_event() {
    let payload = r#"{"type":"block_actions","trigger_id":"12466734323.1395872398","container":{"type":"message","channel_id":"C123ABC456"},"actions":[]}"#;
    let body = format!("payload={}", encode(payload));
    let receipt = receipt(&form(&body), SIGNED_AT).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "slack.interaction.block_actions");
    assert_eq!(event.idempotency_key, "12466734323.1395872398");
    assert_eq!(event.subject.as_deref(), Some("C123ABC456"));
    assert_eq!(event.data, payload);
}

#[test]
fn an_interaction_without_trigger_id_is_keyed_by_its_hash() {
    let payload = r#"{"type":"view_closed","view":{"id":"V0PKB1ZFV"},"is_cleared":false}"#;
    let receipt = receipt(&form(&format!("payload={}", encode(payload))), SIGNED_AT).expect("accepted");
    assert_eq!(
        receipt.events[0].idempotency_key,
        host::digest_hex(HashAlgorithm::Sha256, payload.as_bytes())
    );
    assert_eq!(receipt.events[0].subject, None);
}

#[test]
fn forms_without_payload_or_command_are_malformed() {
    assert!(matches!(
        receipt(&form("token=x&team_id=T1"), SIGNED_AT),
        Err(Rejection::Malformed(reason)) if reason.contains("neither")
    ));
    assert!(matches!(
        receipt(&form("payload=%7Bnot+json"), SIGNED_AT),
        Err(Rejection::Malformed(reason)) if reason.contains("`payload`")
    ));
}

#[test]
fn bodies_without_content_type_are_sniffed() {
    let bare = request("POST", &[], APP_MENTION, 0);
    assert_eq!(
        receipt(&bare, SIGNED_AT).expect("json").events[0].event_type,
        "slack.app_mention"
    );
    let bare = request("POST", &[], DOC_BODY, 0);
    assert_eq!(
        receipt(&bare, SIGNED_AT).expect("form").events[0].event_type,
        "slack.command"
    );
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
