//! Tenants and tokens: another tenant's resources answer 404, viewers
//! cannot change anything, nobody mints a token above their own role, a
//! revoked token stops working at once, and one tenant's rules never see
//! another tenant's events.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{TestDirs, json_body, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

/// Calls the admin API with `token`; returns status and JSON.
async fn call(
    server: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", server.url);
    let request = match method {
        "GET" => server.http.get(url),
        "DELETE" => server.http.delete(url),
        _ => server.http.post(url),
    }
    .bearer_auth(token);
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json")),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, json_body(response).await)
}

async fn tenant_with_token(server: &TestServer, name: &str, role: &str) -> (String, String) {
    let (status, tenant) = server.post("/api/v1/tenants", &json!({"name": name})).await;
    assert_eq!(status, 201, "{tenant}");
    let tenant_id = tenant["id"].as_str().expect("id").to_owned();
    let (status, token) = server
        .post(
            "/api/v1/tokens",
            &json!({"name": format!("{name} {role}"), "role": role, "tenant_id": tenant_id}),
        )
        .await;
    assert_eq!(status, 201, "{token}");
    (
        tenant_id,
        token["token"].as_str().expect("token shown once").to_owned(),
    )
}

#[tokio::test]
async fn tenants_see_only_their_own_resources_and_events() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let (tenant_a, a) = tenant_with_token(&server, "acme", "admin").await;
    let (_tenant_b, b) = tenant_with_token(&server, "globex", "admin").await;
    let receiver_a = Receiver::start().await;
    let receiver_b = Receiver::start().await;

    let (status, trigger) = call(
        &server,
        &a,
        "POST",
        "/api/v1/triggers",
        Some(json!({"name": "a", "connector": "github", "secrets": {"webhook-secret": "s"}})),
    )
    .await;
    assert_eq!(status, 201, "{trigger}");
    assert_eq!(trigger["tenant_id"], tenant_a.as_str());
    let (_, destination_a) = call(
        &server,
        &a,
        "POST",
        "/api/v1/destinations",
        Some(json!({"name": "a", "url": receiver_a.url})),
    )
    .await;
    let (status, rule_a) = call(
        &server,
        &a,
        "POST",
        "/api/v1/rules",
        Some(json!({"event_types": ["*"], "destination_id": destination_a["id"]})),
    )
    .await;
    assert_eq!(status, 201, "{rule_a}");

    // Tenant B: lists are empty, A's objects are 404, and A's destination
    // cannot be used in B's rules.
    for (path, id) in [
        ("triggers", &trigger["id"]),
        ("destinations", &destination_a["id"]),
        ("rules", &rule_a["id"]),
    ] {
        let (status, list) = call(&server, &b, "GET", &format!("/api/v1/{path}"), None).await;
        assert_eq!(status, 200);
        assert_eq!(list["data"], json!([]), "{path} of another tenant are not listed");
        let (status, body) = call(
            &server,
            &b,
            "GET",
            &format!("/api/v1/{path}/{}", id.as_str().expect("id")),
            None,
        )
        .await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, body) = call(
        &server,
        &b,
        "POST",
        "/api/v1/rules",
        Some(json!({"event_types": ["*"], "destination_id": destination_a["id"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_destination"))
    );

    // B has a catch-all rule of its own; A's event must not reach it.
    let (_, destination_b) = call(
        &server,
        &b,
        "POST",
        "/api/v1/destinations",
        Some(json!({"name": "b", "url": receiver_b.url})),
    )
    .await;
    let (status, _) = call(
        &server,
        &b,
        "POST",
        "/api/v1/rules",
        Some(json!({"event_types": ["*"], "destination_id": destination_b["id"]})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            "s",
            "push",
            "t-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202);
    let event_id = answer["event_ids"][0].as_str().expect("id");
    eventually("A's delivery", Duration::from_secs(20), || async {
        (!receiver_a.successes().is_empty()).then_some(())
    })
    .await;
    let (status, _) = call(&server, &a, "GET", &format!("/api/v1/events/{event_id}"), None).await;
    assert_eq!(status, 200);
    let (status, _) = call(&server, &b, "GET", &format!("/api/v1/events/{event_id}"), None).await;
    assert_eq!(status, 404);
    let (_, events) = call(&server, &b, "GET", "/api/v1/events", None).await;
    assert_eq!(events["data"], json!([]));
    let (_, deliveries) = call(
        &server,
        &b,
        "GET",
        &format!("/api/v1/deliveries?event_id={event_id}"),
        None,
    )
    .await;
    assert_eq!(deliveries["data"], json!([]));
    assert!(
        receiver_b.received().is_empty(),
        "B's catch-all rule never saw A's event"
    );
    server.stop().await;
}

#[tokio::test]
async fn roles_limit_what_tokens_do_and_revocation_is_immediate() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let (tenant, operator) = tenant_with_token(&server, "acme", "operator").await;

    // An operator cannot mint an admin token, nor a token for another tenant.
    let (status, body) = call(
        &server,
        &operator,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "x", "role": "admin"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("role_too_high"))
    );
    let (_, other) = server.post("/api/v1/tenants", &json!({"name": "other"})).await;
    let (status, _) = call(
        &server,
        &operator,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "x", "role": "viewer", "tenant_id": other["id"]})),
    )
    .await;
    assert_eq!(status, 404);
    // It can mint a viewer for its tenant; the viewer reads but cannot write.
    let (status, viewer) = call(
        &server,
        &operator,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "v", "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 201, "{viewer}");
    assert_eq!(viewer["tenant_id"], tenant.as_str());
    let viewer_token = viewer["token"].as_str().expect("token").to_owned();
    let (status, _) = call(&server, &viewer_token, "GET", "/api/v1/triggers", None).await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &server,
        &viewer_token,
        "POST",
        "/api/v1/destinations",
        Some(json!({"name": "d", "url": "http://127.0.0.1:9/x"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("insufficient_role"))
    );
    // Tenant tokens cannot reach instance-wide administration.
    let (status, _) = call(
        &server,
        &operator,
        "POST",
        "/api/v1/tenants",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(&server, &operator, "POST", "/api/v1/packs/reload", None).await;
    assert_eq!(status, 403);

    // Revocation takes effect on the next request; the list shows only prefixes.
    let (status, _) = call(
        &server,
        &operator,
        "DELETE",
        &format!("/api/v1/tokens/{}", viewer["id"].as_str().expect("id")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(&server, &viewer_token, "GET", "/api/v1/triggers", None).await;
    assert_eq!(status, 401);
    let (_, tokens) = call(&server, &operator, "GET", "/api/v1/tokens", None).await;
    let listed = tokens.to_string();
    assert!(!listed.contains(&viewer_token), "token secrets are never listed");
    assert!(listed.contains(viewer["prefix"].as_str().expect("prefix")));

    // An expired token is refused.
    let (_, short) = call(
        &server,
        &operator,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "s", "role": "viewer", "expires_in_secs": 1})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = call(
        &server,
        short["token"].as_str().expect("token"),
        "GET",
        "/api/v1/triggers",
        None,
    )
    .await;
    assert_eq!(status, 401);
    server.stop().await;
}
