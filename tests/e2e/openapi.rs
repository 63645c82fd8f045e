//! `/openapi.json` describes exactly what is served: every documented
//! operation is routed (admin ones answer 401 without a token, never
//! `no_route`), real responses validate against their documented schemas,
//! and `/docs` renders offline.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "openapi-secret";

/// Fills `{param}`s with a syntactically valid placeholder.
fn concrete(path: &str) -> String {
    path.replace("{id}", "dst_01JD8X2V3QH8P0R4GWS5Y6ZT7K")
        .replace("{pack}", "github")
        .replace("{webhook_key}", "wh_unknownunknownunknownunknown0")
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let response = server
        .http
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "served without a token");
    let spec: Value = serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
    assert!(
        spec["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 25, "{} paths", paths.len());
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            let public = operation["security"] == json!([{}]);
            let url = format!("{}{}", server.url, concrete(path));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = server
                .http
                .request(method.clone(), &url)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let body: Value =
                serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null);
            assert_ne!(
                body["error"]["code"], "no_route",
                "{method} {path} is documented but not served"
            );
            assert_ne!(status, 405, "{method} {path} is documented but not served");
            if !public {
                assert_eq!(status, 401, "{method} {path} without a token: {body}");
            }
        }
    }
    assert!(operations >= 40, "{operations} operations");

    let page = server
        .http
        .get(format!("{}/docs", server.url))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("/api/v1/rules/test") && html.contains("schema-Rule"));
    assert!(
        !html.contains("http://") || !html.contains("<script src"),
        "no remote assets"
    );
}

#[tokio::test]
async fn responses_match_their_documented_schemas() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let (_, spec) = server.get("/openapi.json").await;
    let trigger = server.github_trigger(SECRET).await;
    let destination = server.destination(&receiver.url).await;
    let rule = server.rule("github.push", &destination, Some("slack")).await;
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "openapi-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let event = answer["event_ids"][0].as_str().expect("event").to_owned();
    let delivery = eventually("a delivery", Duration::from_secs(20), || async {
        let deliveries = server.deliveries_of(&event).await;
        deliveries
            .first()
            .filter(|d| d["status"] == "delivered")
            .and_then(|d| d["id"].as_str().map(str::to_owned))
    })
    .await;

    let trigger_id = trigger["id"].as_str().expect("id");
    let destination_id = destination["id"].as_str().expect("id");
    let rule_id = rule["id"].as_str().expect("id");
    let checks = [
        ("/api/v1/triggers", "/api/v1/triggers".to_owned()),
        ("/api/v1/triggers/{id}", format!("/api/v1/triggers/{trigger_id}")),
        (
            "/api/v1/triggers/{id}/webhook",
            format!("/api/v1/triggers/{trigger_id}/webhook"),
        ),
        ("/api/v1/destinations", "/api/v1/destinations".to_owned()),
        (
            "/api/v1/destinations/{id}",
            format!("/api/v1/destinations/{destination_id}"),
        ),
        ("/api/v1/rules", "/api/v1/rules".to_owned()),
        ("/api/v1/rules/{id}", format!("/api/v1/rules/{rule_id}")),
        ("/api/v1/events", "/api/v1/events".to_owned()),
        ("/api/v1/events/{id}", format!("/api/v1/events/{event}")),
        ("/api/v1/deliveries", "/api/v1/deliveries".to_owned()),
        (
            "/api/v1/deliveries/{id}",
            format!("/api/v1/deliveries/{delivery}"),
        ),
        ("/api/v1/requests", "/api/v1/requests".to_owned()),
        ("/api/v1/packs", "/api/v1/packs".to_owned()),
        ("/api/v1/tenants", "/api/v1/tenants".to_owned()),
        ("/api/v1/tokens", "/api/v1/tokens".to_owned()),
    ];
    for (template, path) in checks {
        let (status, body) = server.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        check(&spec, template, "get", "200", &body);
    }
    // The check is strict enough to notice a wrong type or a missing field.
    let (_, mut tampered) = server.get(&format!("/api/v1/triggers/{trigger_id}")).await;
    tampered["id"] = json!(5);
    let strict = std::panic::catch_unwind(|| check(&spec, "/api/v1/triggers/{id}", "get", "200", &tampered));
    assert!(strict.is_err(), "a numeric id passed the trigger schema");
    let (_, mut tampered) = server.get(&format!("/api/v1/rules/{rule_id}")).await;
    tampered.as_object_mut().expect("object").remove("destination_id");
    let strict = std::panic::catch_unwind(|| check(&spec, "/api/v1/rules/{id}", "get", "200", &tampered));
    assert!(
        strict.is_err(),
        "a rule without destination passed the rule schema"
    );
    // An error response, against the shared error schema.
    let (status, body) = server.get("/api/v1/rules/rul_01JD8X2V3QH8P0R4GWS5Y6ZT7K").await;
    assert_eq!(status, 404);
    check(&spec, "/api/v1/rules/{id}", "get", "404", &body);
    // A dry run's answer.
    let (status, body) = server
        .post(
            "/api/v1/rules/test",
            &json!({"rule_id": rule_id, "event_id": event}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    check(&spec, "/api/v1/rules/test", "post", "200", &body);
}

/// Validates `body` against the documented response schema.
fn check(spec: &Value, path: &str, method: &str, status: &str, body: &Value) {
    let pointer = format!(
        "#/paths/{}/{method}/responses/{status}/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    );
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("urn:weir:openapi", spec.clone())
        .expect("resource");
    let index = compiler
        .compile(&format!("urn:weir:openapi{pointer}"), &mut schemas)
        .unwrap_or_else(|error| panic!("{method} {path} {status}: no usable schema: {error}"));
    if let Err(error) = schemas.validate(body, index) {
        panic!("{method} {path} {status}: the response does not match its schema:\n{error}\nbody: {body}");
    }
}
