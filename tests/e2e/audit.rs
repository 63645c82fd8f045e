//! The audit log: admin mutations are recorded with actor, tenant and
//! field-level changes, secrets redacted; tenants see only their own
//! entries; only administrators may read it.

use serde_json::{Value, json};

use crate::support::server::{TestDirs, test_config};
use crate::support::{TestServer, tenant_with_token};

const TRIGGER_SECRET: &str = "audit-trigger-secret-value";

async fn audit(server: &TestServer, token: &str, query: &str) -> (u16, Value) {
    server
        .call("GET", &format!("/api/v1/audit{query}"), token, None)
        .await
}

#[tokio::test]
async fn mutations_are_audited_with_secrets_redacted_and_tenants_apart() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let admin = crate::support::server::ADMIN_TOKEN;
    let (tenant_a, admin_a) = tenant_with_token(&server, "a", "admin", json!({})).await;
    let (_tenant_b, admin_b) = tenant_with_token(&server, "b", "admin", json!({})).await;
    let (_, viewer_a) = tenant_with_token(&server, "a-view", "viewer", json!({})).await;

    // Tenant a's administrator creates and changes a trigger and a destination.
    let (status, trigger) = server
        .call(
            "POST",
            "/api/v1/triggers",
            &admin_a,
            Some(
                &json!({"name": "one", "connector": "github", "secrets": {"webhook-secret": TRIGGER_SECRET}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    let trigger_id = trigger["id"].as_str().expect("id");
    let webhook_key = trigger["webhook_key"].as_str().expect("key");
    let (status, updated) = server
        .call(
            "PATCH",
            &format!("/api/v1/triggers/{trigger_id}"),
            &admin_a,
            Some(&json!({"name": "two", "secrets": {"webhook-secret": "another-secret-value"}})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/v1/triggers/{trigger_id}/webhook/regenerate"),
            &admin_a,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, destination) = server
        .call(
            "POST",
            "/api/v1/destinations",
            &admin_a,
            Some(&json!({"name": "d", "url": "https://example.com/hook", "headers": {"Authorization": "Bearer sealed-header-value"}})),
        )
        .await;
    assert_eq!(status, 201, "{destination}");
    let destination_id = destination["id"].as_str().expect("id");
    let signing_secret = destination["signing_secret"].as_str().expect("secret").to_owned();
    let (status, rotated) = server
        .call(
            "POST",
            &format!("/api/v1/destinations/{destination_id}/rotate-secret"),
            &admin_a,
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["signing_secret"].as_str().expect("secret").to_owned();

    let (status, page) = audit(&server, &admin_a, "").await;
    assert_eq!(status, 200, "{page}");
    let entries = page["data"].as_array().expect("list");
    let text = page.to_string();
    for secret in [
        TRIGGER_SECRET,
        "another-secret-value",
        webhook_key,
        &signing_secret,
        &new_secret,
        "sealed-header-value",
    ] {
        assert!(
            !text.contains(secret),
            "`{secret}` leaked into the audit log: {text}"
        );
    }
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["resource_type"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("trigger", "create"),
        ("trigger", "update"),
        ("trigger", "regenerate"),
        ("destination", "create"),
        ("destination", "rotate"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    let update = entries
        .iter()
        .find(|e| e["action"] == "update" && e["resource_id"] == trigger_id)
        .expect("the update");
    assert_eq!(update["tenant_id"], tenant_a.as_str());
    assert!(
        update["actor"].as_str().expect("actor").starts_with("weir_"),
        "{update}"
    );
    assert!(update["request_id"].is_string(), "{update}");
    let change = |field: &str| {
        update["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["field"] == field)
            .cloned()
            .unwrap_or_else(|| panic!("no change of `{field}` in {update}"))
    };
    assert_eq!(change("name")["before"], "one");
    assert_eq!(change("name")["after"], "two");
    assert_eq!(change("secrets")["after"], "[redacted]");
    assert!(
        update["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["field"] != "connector"),
        "unchanged fields are not listed: {update}"
    );

    // Filters and pagination.
    let (_, only) = audit(
        &server,
        &admin_a,
        &format!("?resource_type=trigger&resource_id={trigger_id}"),
    )
    .await;
    assert_eq!(only["data"].as_array().expect("list").len(), 3, "{only}");
    let (_, first) = audit(&server, &admin_a, "?limit=2").await;
    assert_eq!(first["data"].as_array().expect("list").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more follow");
    let (_, second) = audit(&server, &admin_a, &format!("?limit=2&cursor={cursor}")).await;
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);
    let (_, by_bootstrap) = audit(&server, admin, "?actor=bootstrap&resource_type=tenant").await;
    assert_eq!(
        by_bootstrap["data"].as_array().expect("list").len(),
        3,
        "{by_bootstrap}"
    );
    let (status, _) = audit(&server, admin, "?since=yesterday").await;
    assert_eq!(status, 400);

    // The instance administrator sees everything; tenant b nothing of a's;
    // a viewer is refused.
    let (_, all) = audit(&server, admin, &format!("?resource_id={trigger_id}")).await;
    assert_eq!(all["data"].as_array().expect("list").len(), 3);
    let (status, other) = audit(&server, &admin_b, "").await;
    assert_eq!(status, 200);
    assert!(
        other["data"]
            .as_array()
            .expect("list")
            .iter()
            .all(|e| e["tenant_id"] != tenant_a.as_str()),
        "{other}"
    );
    assert!(!other.to_string().contains(trigger_id));
    let (status, refused) = audit(&server, &viewer_a, "").await;
    assert_eq!(status, 403, "{refused}");
    server.stop().await;
}
