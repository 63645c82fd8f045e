//! Native unit tests of the Google Calendar connector.

use super::*;
use weir_sdk::testing;

/// The example notification in Google's Calendar API push guide.
const DOC_HEADERS: [(&str, &str); 9] = [
    ("Content-Type", "application/json; utf-8"),
    ("Content-Length", "0"),
    ("X-Goog-Channel-ID", "4ba78bf0-6a47-11e2-bcfd-0800200c9a66"),
    ("X-Goog-Channel-Token", "398348u3tu83ut8uu38"),
    ("X-Goog-Channel-Expiration", "Tue, 19 Nov 2013 01:13:52 GMT"),
    ("X-Goog-Resource-ID", " ret08u3rv24htgh289g"),
    (
        "X-Goog-Resource-URI",
        "https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events",
    ),
    ("X-Goog-Resource-State", " exists"),
    ("X-Goog-Message-Number", "10"),
];

fn request(headers: &[(&str, &str)]) -> WebhookRequest {
    testing::request("POST", headers, "")
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    DOC_HEADERS
        .iter()
        .copied()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .collect()
}

fn replaced(name: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut headers = without(name);
    headers.push((
        DOC_HEADERS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("x", |(n, _)| n),
        value,
    ));
    headers
}

fn tokens(values: &[&str]) -> Secrets {
    testing::secrets(TOKEN_SECRET, values)
}

fn receive(request: &WebhookRequest, secrets: &Secrets) -> Result<Receipt, Rejection> {
    GoogleCalendar::receive(request, secrets, CalendarConfig::default())
}

#[test]
fn the_documented_notification_becomes_one_event() {
    let receipt = receive(&request(&DOC_HEADERS), &tokens(&["398348u3tu83ut8uu38"])).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "google-calendar.exists");
    assert_eq!(event.idempotency_key, "4ba78bf0-6a47-11e2-bcfd-0800200c9a66:10");
    assert_eq!(event.subject.as_deref(), Some("ret08u3rv24htgh289g"));
    let data: serde_json::Value = serde_json::from_str(&event.data).expect("JSON");
    assert_eq!(
        data,
        serde_json::json!({
            "channel_id": "4ba78bf0-6a47-11e2-bcfd-0800200c9a66",
            "channel_expiration": "Tue, 19 Nov 2013 01:13:52 GMT",
            "resource_id": "ret08u3rv24htgh289g",
            "resource_uri": "https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events",
            "resource_state": "exists",
            "message_number": 10
        })
    );
    assert!(
        !event.data.contains("398348u3tu83ut8uu38"),
        "the channel token stays out of the data"
    );
}

#[test]
fn a_rotated_channel_token_matches_either_value() {
    let doc = request(&DOC_HEADERS);
    assert!(receive(&doc, &tokens(&["next-token", "398348u3tu83ut8uu38"])).is_ok());
    assert!(receive(&doc, &tokens(&["398348u3tu83ut8uu38", "next-token"])).is_ok());
    assert!(matches!(
        receive(&doc, &tokens(&["next-token", "older-token"])),
        Err(Rejection::Unauthorized(reason)) if reason.contains("does not match")
    ));
}

#[test]
fn the_token_is_required_only_when_the_trigger_has_one() {
    let unsigned = request(&without("X-Goog-Channel-Token"));
    assert!(receive(&unsigned, &Secrets::default()).is_ok());
    assert!(receive(&request(&DOC_HEADERS), &Secrets::default()).is_ok());
    assert!(matches!(
        receive(&unsigned, &tokens(&["398348u3tu83ut8uu38"])),
        Err(Rejection::Unauthorized(reason)) if reason.contains("x-goog-channel-token")
    ));
}

#[test]
fn sync_is_emitted_unless_the_trigger_ignores_it() {
    let sync = request(&replaced("X-Goog-Resource-State", "sync"));
    let receipt = receive(&sync, &Secrets::default()).expect("accepted");
    assert_eq!(receipt.events[0].event_type, "google-calendar.sync");
    assert!(matches!(
        GoogleCalendar::receive(&sync, &Secrets::default(), CalendarConfig { ignore_sync: true }),
        Err(Rejection::Ignored(_))
    ));
    let parsed: Result<CalendarConfig, _> =
        serde_json::from_str(r#"{"ignore_sync": true, "sync": "ignore"}"#);
    assert!(parsed.is_err(), "unknown settings are refused");
}

#[test]
fn missing_or_invalid_headers_are_malformed() {
    let cases = [
        (without("X-Goog-Channel-ID"), "x-goog-channel-id"),
        (without("X-Goog-Resource-ID"), "x-goog-resource-id"),
        (without("X-Goog-Resource-State"), "x-goog-resource-state"),
        (without("X-Goog-Message-Number"), "x-goog-message-number"),
        (replaced("X-Goog-Resource-State", "update"), "not one of"),
        (replaced("X-Goog-Message-Number", "ten"), "whole number"),
        (replaced("X-Goog-Channel-ID", "has space"), "visible ASCII"),
    ];
    for (headers, expected) in cases {
        match receive(&request(&headers), &Secrets::default()) {
            Err(Rejection::Malformed(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("expected malformed mentioning {expected}, got {other:?}"),
        }
    }
    let expiring = request(&without("X-Goog-Channel-Expiration"));
    let receipt = receive(&expiring, &Secrets::default()).expect("expiration is optional");
    assert!(!receipt.events[0].data.contains("channel_expiration"));
}

#[test]
fn only_post_is_accepted() {
    let mut get = request(&DOC_HEADERS);
    get.method = "GET".into();
    assert!(matches!(
        receive(&get, &Secrets::default()),
        Err(Rejection::MethodNotAllowed(_))
    ));
}
