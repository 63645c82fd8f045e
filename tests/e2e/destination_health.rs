//! Destination health on the outbound side: `410 Gone` disables the
//! destination and publishes `weir.destination.disabled` (which a rule can
//! route like any event); other 4xx end the delivery without retrying and
//! leave the destination alone.

use serde_json::json;

use crate::support::outbound::{WAIT, delivery_id, destination, finished, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, test_config};
use crate::support::{TestServer, eventually};

#[tokio::test]
async fn gone_disables_the_destination_and_publishes_an_operational_event() {
    let gone = ScriptedReceiver::start(|_, _| Reply::status(410)).await;
    let pager = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let target = destination(&server, json!({"name": "gone", "url": gone.url})).await;
    let ops = destination(&server, json!({"name": "pager", "url": pager.url})).await;
    let target_id = target["id"].as_str().expect("id");
    rule(&server, "test.gone", &target).await;
    rule(&server, "weir.destination.disabled", &ops).await;

    let event = publish(&server, "test.gone", json!({"n": 1})).await;
    let first = finished(&server, &delivery_id(&server, &event).await).await;
    assert_eq!(first["status"], "dead", "{first:#}");
    assert_eq!(first["attempts"], 1, "410 is not retried: {first:#}");
    assert_eq!(first["attempt_log"][0]["status_code"], 410);

    let (_, read) = server.get(&format!("/api/v1/destinations/{target_id}")).await;
    assert_eq!(read["enabled"], false, "{read:#}");
    let reason = read["disabled_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("410"), "{reason}");

    // The operational event is in the log and was routed to the pager.
    let page = eventually("the disabled event at the pager", WAIT, || async {
        pager.hits().into_iter().find(|h| (200..300).contains(&h.status))
    })
    .await;
    let data = page.json();
    assert_eq!(data["destination_id"], target_id, "{data:#}");
    assert!(
        data["reason"].as_str().unwrap_or_default().contains("410"),
        "{data:#}"
    );
    let (_, events) = server.get("/api/v1/events").await;
    let disabled: Vec<_> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "weir.destination.disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "published once: {events:#}");
    assert_eq!(disabled[0]["subject"], target_id);
    // Nobody else can publish one: the pager would believe it.
    let (status, error) = server
        .post(
            "/api/v1/events",
            &json!({"type": "weir.destination.disabled", "data": {"destination_id": target_id}}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("reserved_event_type")),
        "{error}"
    );

    // Later deliveries are not sent to a disabled destination.
    let event = publish(&server, "test.gone", json!({"n": 2})).await;
    let second = finished(&server, &delivery_id(&server, &event).await).await;
    assert_eq!(second["status"], "dead", "{second:#}");
    assert_eq!(second["attempt_log"][0]["outcome"], "destination_gone");
    assert_eq!(gone.hits().len(), 1, "nothing more reached the receiver");
    server.stop().await;
}

#[tokio::test]
async fn other_client_errors_are_not_retried_and_do_not_disable() {
    const CODES: [u16; 7] = [400, 401, 403, 404, 405, 413, 422];
    let receiver = ScriptedReceiver::start(|hit, _| {
        Reply::status(u16::try_from(hit.json()["code"].as_u64().expect("code")).expect("u16"))
    })
    .await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let target = destination(&server, json!({"name": "picky", "url": receiver.url})).await;
    rule(&server, "test.picky", &target).await;

    for code in CODES {
        let event = publish(&server, "test.picky", json!({"code": code})).await;
        let delivery = finished(&server, &delivery_id(&server, &event).await).await;
        assert_eq!(delivery["status"], "dead", "{code}: {delivery:#}");
        assert_eq!(delivery["attempts"], 1, "{code} is not retried: {delivery:#}");
        assert_eq!(delivery["attempt_log"][0]["status_code"], code);
        assert!(delivery["next_attempt_at_ms"].is_null());
    }
    assert_eq!(receiver.hits().len(), CODES.len(), "one request per delivery");
    let (_, read) = server
        .get(&format!(
            "/api/v1/destinations/{}",
            target["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(read["enabled"], true, "{read:#}");
    let (_, events) = server.get("/api/v1/events").await;
    assert!(
        !events["data"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["type"] == "weir.destination.disabled"),
        "{events:#}"
    );
    server.stop().await;
}
