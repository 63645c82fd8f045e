//! Every resource, every verb: another tenant's token gets 404 (never 403,
//! never data) for reads, updates, deletes and replays of tenant A's
//! objects, and its lists never show them; A's viewer reads but every
//! mutation is 403. Afterwards A's objects are untouched.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload, tenant_with_token};

const SECRET: &str = "isolation-secret";

/// Whether an operation only reads.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    Write,
}

#[tokio::test]
async fn other_tenants_get_404_and_viewers_cannot_mutate_on_every_resource() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let (tenant_a, a) = tenant_with_token(&server, "acme", "admin", json!({})).await;
    let (_, b) = tenant_with_token(&server, "globex", "admin", json!({})).await;
    let (status, viewer) = server
        .call(
            "POST",
            "/api/v1/tokens",
            &a,
            Some(&json!({"name": "acme viewer", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 201, "{viewer}");
    let viewer = viewer["token"].as_str().expect("token").to_owned();

    // Tenant A's objects: trigger, destination, rule, event, delivery, token.
    let created = |(status, body): (u16, Value)| {
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    };
    let (status, trigger) = server
        .call(
            "POST",
            "/api/v1/triggers",
            &a,
            Some(&json!({"name": "t", "connector": "github", "secrets": {"webhook-secret": SECRET}})),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    let trigger_id = trigger["id"].as_str().expect("id").to_owned();
    let destination_id = created(
        server
            .call(
                "POST",
                "/api/v1/destinations",
                &a,
                Some(&json!({"name": "d", "url": receiver.url})),
            )
            .await,
    );
    let rule_id = created(
        server
            .call(
                "POST",
                "/api/v1/rules",
                &a,
                Some(&json!({"event_types": ["github.*"], "destination_id": destination_id})),
            )
            .await,
    );
    let token_id = created(
        server
            .call(
                "POST",
                "/api/v1/tokens",
                &a,
                Some(&json!({"name": "spare", "role": "viewer"})),
            )
            .await,
    );
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "isolation-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("event").to_owned();
    let delivery_id = eventually("A's delivery", Duration::from_secs(20), || async {
        let (_, list) = server
            .call(
                "GET",
                &format!("/api/v1/deliveries?event_id={event_id}"),
                &a,
                None,
            )
            .await;
        // Wait for the first attempt to be recorded: the end of the test
        // checks that B's replays added none.
        let delivery = &list["data"][0];
        (delivery["status"] == "delivered")
            .then(|| delivery["id"].as_str().map(str::to_owned))
            .flatten()
    })
    .await;

    let sample = json!({"type": "github.push", "data": {}});
    let operations: Vec<(Kind, &str, String, Option<Value>)> = vec![
        (Kind::Read, "GET", format!("/api/v1/triggers/{trigger_id}"), None),
        (
            Kind::Read,
            "GET",
            format!("/api/v1/triggers/{trigger_id}/webhook"),
            None,
        ),
        (
            Kind::Write,
            "PATCH",
            format!("/api/v1/triggers/{trigger_id}"),
            Some(json!({"name": "x"})),
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/triggers/{trigger_id}/webhook/disable"),
            None,
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/triggers/{trigger_id}/webhook/enable"),
            None,
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/triggers/{trigger_id}/webhook/regenerate"),
            None,
        ),
        (
            Kind::Write,
            "DELETE",
            format!("/api/v1/triggers/{trigger_id}"),
            None,
        ),
        (
            Kind::Read,
            "GET",
            format!("/api/v1/destinations/{destination_id}"),
            None,
        ),
        (
            Kind::Write,
            "PATCH",
            format!("/api/v1/destinations/{destination_id}"),
            Some(json!({"name": "x"})),
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/destinations/{destination_id}/rotate-secret"),
            Some(json!({})),
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/destinations/{destination_id}/recover"),
            Some(json!({})),
        ),
        (
            Kind::Write,
            "DELETE",
            format!("/api/v1/destinations/{destination_id}"),
            None,
        ),
        (Kind::Read, "GET", format!("/api/v1/rules/{rule_id}"), None),
        (
            Kind::Read,
            "POST",
            "/api/v1/rules/test".to_owned(),
            Some(json!({"rule_id": rule_id, "event": sample})),
        ),
        (
            Kind::Write,
            "PATCH",
            format!("/api/v1/rules/{rule_id}"),
            Some(json!({"name": "x"})),
        ),
        (Kind::Write, "DELETE", format!("/api/v1/rules/{rule_id}"), None),
        (Kind::Read, "GET", format!("/api/v1/events/{event_id}"), None),
        (
            Kind::Read,
            "POST",
            "/api/v1/rules/test".to_owned(),
            Some(json!({"rule": {"event_types": ["*"]}, "event_id": event_id})),
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/events/{event_id}/reroute"),
            Some(json!({})),
        ),
        (
            Kind::Read,
            "GET",
            format!("/api/v1/deliveries/{delivery_id}"),
            None,
        ),
        (
            Kind::Write,
            "POST",
            format!("/api/v1/deliveries/{delivery_id}/retry"),
            None,
        ),
        (Kind::Write, "DELETE", format!("/api/v1/tokens/{token_id}"), None),
        (Kind::Read, "GET", format!("/api/v1/tenants/{tenant_a}"), None),
    ];
    for (kind, method, path, body) in &operations {
        let (status, answer) = server.call(method, path, &b, body.as_ref()).await;
        assert_eq!(status, 404, "another tenant: {method} {path} → {answer}");
        assert_eq!(answer["error"]["code"], "not_found", "{method} {path}");
        let (status, answer) = server.call(method, path, &viewer, body.as_ref()).await;
        match kind {
            Kind::Read => assert_eq!(status, 200, "viewer reads {method} {path}: {answer}"),
            Kind::Write => assert_eq!(status, 403, "viewer writes {method} {path}: {answer}"),
        }
    }

    // B's lists never show A's objects.
    let a_ids = [
        &trigger_id,
        &destination_id,
        &rule_id,
        &event_id,
        &delivery_id,
        &token_id,
        &tenant_a,
    ];
    for list in [
        "/api/v1/triggers",
        "/api/v1/destinations",
        "/api/v1/rules",
        "/api/v1/events",
        "/api/v1/deliveries",
        &format!("/api/v1/deliveries?event_id={event_id}"),
        "/api/v1/requests",
        "/api/v1/tokens",
        "/api/v1/tenants",
    ] {
        let (status, answer) = server.call("GET", list, &b, None).await;
        assert_eq!(status, 200, "{list}: {answer}");
        let text = answer.to_string();
        for id in a_ids {
            assert!(
                !text.contains(id.as_str()),
                "{list} shows A's `{id}` to B: {answer}"
            );
        }
    }

    // Nothing B or the viewer tried changed A's objects.
    for path in [
        format!("/api/v1/triggers/{trigger_id}"),
        format!("/api/v1/destinations/{destination_id}"),
        format!("/api/v1/rules/{rule_id}"),
    ] {
        let (status, object) = server.call("GET", &path, &a, None).await;
        assert_eq!(status, 200, "{path}: {object}");
        assert_ne!(object["name"], "x", "{path} was renamed: {object}");
    }
    let (_, webhook) = server
        .call("GET", &format!("/api/v1/triggers/{trigger_id}/webhook"), &a, None)
        .await;
    assert_eq!(webhook["webhook_key"], trigger["webhook_key"], "{webhook}");
    let (_, tokens) = server.call("GET", "/api/v1/tokens", &a, None).await;
    assert!(tokens.to_string().contains(&token_id), "{tokens}");
    let (_, attempts) = server
        .call("GET", &format!("/api/v1/deliveries/{delivery_id}"), &a, None)
        .await;
    assert_eq!(
        attempts["attempt_log"].as_array().map(Vec::len),
        Some(1),
        "no replay ran: {attempts}"
    );
}
