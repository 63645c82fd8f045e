//! Tests of notification parsing (signatures are tested in `verify`).

use super::*;

/// Meta's sample notification (Graph API "Webhooks" overview).
const USER_PHOTOS: &str = r#"{"entry":[{"time":1520383571,"changes":[{"field":"photos","value":{"verb":"update","object_id":"10211885744794461"}}],"id":"10210299214172187","uid":"10210299214172187"}],"object":"user"}"#;

/// Meta's Messenger message sample (Messenger Platform webhook reference).
const MESSENGER: &str = r#"{"object":"page","entry":[{"id":"PAGE_ID","time":1458692752478,"messaging":[{"sender":{"id":"PSID"},"recipient":{"id":"PAGE_ID"},"timestamp":1458692752478,"message":{"mid":"mid.1457764197618:41d102a3e1ae206a38","text":"hello, world!"}}]}]}"#;

#[test]
fn a_change_becomes_one_event_with_context() {
    let receipt = receipt(USER_PHOTOS.as_bytes()).expect("accepted");
    assert_eq!(receipt.events.len(), 1);
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "meta.user.photos");
    assert_eq!(event.subject.as_deref(), Some("10210299214172187"));
    assert_eq!(event.time.as_deref(), Some("2018-03-07T00:46:11Z"));
    let data: Value = serde_json::from_str(&event.data).expect("JSON");
    assert_eq!(
        data,
        json!({"object": "user", "entry_id": "10210299214172187", "entry_time": 1520383571, "field": "photos",
               "value": {"verb": "update", "object_id": "10211885744794461"}})
    );
    let item = r#"{"field":"photos","value":{"object_id":"10211885744794461","verb":"update"}}"#;
    let expected = host::digest_hex(
        HashAlgorithm::Sha256,
        format!("10210299214172187\n1520383571\nchanges/0\n{item}").as_bytes(),
    );
    assert_eq!(event.idempotency_key, expected);
}

#[test]
fn messaging_items_are_events_with_millisecond_times() {
    let receipt = receipt(MESSENGER.as_bytes()).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "meta.page.messaging");
    assert_eq!(event.subject.as_deref(), Some("PAGE_ID"));
    assert_eq!(event.time.as_deref(), Some("2016-03-23T00:25:52.478Z"));
}

#[test]
fn every_item_of_every_entry_gets_its_own_key() {
    let body = r#"{"object":"page","entry":[
        {"id":"1","time":1700000000,"changes":[{"field":"feed","value":{"a":1}},{"field":"feed","value":{"a":1}}]},
        {"id":"2","time":1700000000,"changes":[{"field":"feed","value":{"a":1}}],"standby":[{"sender":{"id":"9"}}]}]}"#;
    let receipt = receipt(body.as_bytes()).expect("accepted");
    let types: Vec<&str> = receipt.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "meta.page.feed",
            "meta.page.feed",
            "meta.page.feed",
            "meta.page.standby"
        ]
    );
    let mut keys: Vec<&str> = receipt
        .events
        .iter()
        .map(|e| e.idempotency_key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        keys.len(),
        4,
        "identical items at different places are different events"
    );
}

#[test]
fn the_key_does_not_depend_on_key_order_or_spacing() {
    let reordered = r#"{ "object": "user", "entry": [ { "uid": "10210299214172187", "id": "10210299214172187",
        "changes": [ { "value": { "object_id": "10211885744794461", "verb": "update" }, "field": "photos" } ],
        "time": 1520383571 } ] }"#;
    let first = receipt(USER_PHOTOS.as_bytes()).expect("accepted");
    let second = receipt(reordered.as_bytes()).expect("accepted");
    assert_eq!(first.events[0].idempotency_key, second.events[0].idempotency_key);
}

#[test]
fn whatsapp_entries_without_time_have_no_time() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"WHATSAPP_BUSINESS_ACCOUNT_ID","changes":[{"value":{"messaging_product":"whatsapp"},"field":"messages"}]}]}"#;
    let receipt = receipt(body.as_bytes()).expect("accepted");
    assert_eq!(
        receipt.events[0].event_type,
        "meta.whatsapp_business_account.messages"
    );
    assert_eq!(receipt.events[0].time, None);
}

#[test]
fn bad_notifications_are_refused() {
    let cases = [
        (r#"{"entry":[]}"#, "no `object`"),
        (r#"{"object":"page"}"#, "no `entry`"),
        (r#"{"object":"Page Object","entry":[]}"#, "not a Meta object"),
        (
            r#"{"object":"page","entry":[{"time":1,"changes":[{"field":"feed"}]}]}"#,
            "has no `id`",
        ),
        (
            r#"{"object":"page","entry":[{"id":"1","changes":[{"value":{}}]}]}"#,
            "has no `field`",
        ),
        (
            r#"{"object":"page","entry":[{"id":"1""#,
            "not a Meta notification",
        ),
    ];
    for (body, expected) in cases {
        match receipt(body.as_bytes()) {
            Err(Rejection::Malformed(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("{body}: expected malformed, got {other:?}"),
        }
    }
    assert!(matches!(
        receipt(br#"{"object":"page","entry":[{"id":"1","time":1}]}"#),
        Err(Rejection::Ignored(_))
    ));
}

#[test]
fn canonical_json_sorts_keys_at_every_level() {
    let value: Value = serde_json::from_str(r#"{"b":[{"d":1,"c":"x\"y"}],"a":null}"#).expect("JSON");
    assert_eq!(canonical(&value), r#"{"a":null,"b":[{"c":"x\"y","d":1}]}"#);
}

#[test]
fn entry_times_in_seconds_and_milliseconds_are_told_apart() {
    assert_eq!(entry_time(1_520_383_571).as_deref(), Some("2018-03-07T00:46:11Z"));
    assert_eq!(
        entry_time(1_458_692_752_478).as_deref(),
        Some("2016-03-23T00:25:52.478Z")
    );
    assert_eq!(
        entry_time(1_458_692_752_000).as_deref(),
        Some("2016-03-23T00:25:52Z")
    );
    assert_eq!(entry_time(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(entry_time(-1), None);
    assert_eq!(entry_time(i64::MAX), None);
}
