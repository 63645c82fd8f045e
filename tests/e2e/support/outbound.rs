//! Helpers for the outbound tests: publish events, create destinations
//! and rules from JSON, and wait for deliveries to finish.

use std::time::Duration;

use serde_json::{Value, json};

use super::{TestServer, eventually};

/// How long the outbound tests wait for anything.
pub const WAIT: Duration = Duration::from_secs(30);

/// Publishes an event of `event_type` with `data` (`POST /api/v1/events`);
/// returns its id.
pub async fn publish(server: &TestServer, event_type: &str, data: Value) -> String {
    let (status, answer) = server
        .post("/api/v1/events", &json!({"type": event_type, "data": data}))
        .await;
    assert_eq!(status, 202, "{answer}");
    answer["event_ids"][0].as_str().expect("event id").to_owned()
}

/// Creates a destination from `body`; returns its JSON (with the secret).
pub async fn destination(server: &TestServer, body: Value) -> Value {
    let (status, destination) = server.post("/api/v1/destinations", &body).await;
    assert_eq!(status, 201, "{destination}");
    destination
}

/// Creates a rule sending `event_type` events to `destination`, untransformed.
pub async fn rule(server: &TestServer, event_type: &str, destination: &Value) -> Value {
    let (status, rule) = server
        .post(
            "/api/v1/rules",
            &json!({"event_types": [event_type], "destination_id": destination["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    rule
}

/// The id of the (single) delivery of `event_id`, once the router made it.
pub async fn delivery_id(server: &TestServer, event_id: &str) -> String {
    eventually("the event to be routed", WAIT, || async {
        let deliveries = server.deliveries_of(event_id).await;
        assert!(deliveries.len() <= 1, "one rule, one delivery: {deliveries:?}");
        deliveries
            .first()
            .map(|d| d["id"].as_str().expect("id").to_owned())
    })
    .await
}

/// The delivery `id` with its attempt log, once it is final
/// (`delivered`, `dead` or `skipped`).
pub async fn finished(server: &TestServer, id: &str) -> Value {
    eventually(&format!("delivery {id} to finish"), WAIT, || async {
        let (status, delivery) = server.get(&format!("/api/v1/deliveries/{id}")).await;
        assert_eq!(status, 200, "{delivery}");
        matches!(
            delivery["status"].as_str(),
            Some("delivered" | "dead" | "skipped")
        )
        .then_some(delivery)
    })
    .await
}
