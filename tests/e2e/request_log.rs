//! The inbound request log: every request to `/api/v1/webhooks/…` —
//! accepted, duplicate, or rejected with its reason (404, 401, 413, 429,
//! 5xx) — is recorded and queryable by trigger, outcome, status and time,
//! page by page, each tenant seeing its own; old records are pruned.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{ADMIN_TOKEN, TestDirs, test_config};
use crate::support::{TestServer, eventually, github_push_payload, tenant_with_token};

const SECRET: &str = "log-secret";
const WAIT: Duration = Duration::from_secs(20);

async fn trigger(server: &TestServer, connector: &str, config: Value, policy: Value) -> Value {
    let secrets = if connector == "github" {
        json!({"webhook-secret": SECRET})
    } else {
        json!({})
    };
    let (status, trigger) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": connector, "connector": connector, "secrets": secrets,
                    "config": config, "policy": policy}),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    trigger
}

/// Every record `token` sees with `query`, following the cursor.
async fn all_records(server: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/requests?limit=3&{query}{cursor}");
        let (status, page) = server.call("GET", &path, token, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        records.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return records,
        }
    }
}

#[tokio::test]
async fn every_request_is_logged_with_its_outcome_and_found_by_filters() {
    let dirs = TestDirs::new(&["hostile"]);
    let mut config = test_config(&dirs);
    config.packs.quarantine_after = 0;
    let server = TestServer::start(config).await;
    let github = trigger(&server, "github", json!({}), json!({})).await;
    let small = trigger(&server, "github", json!({}), json!({"max_body_bytes": 64})).await;
    let limited = trigger(
        &server,
        "github",
        json!({}),
        json!({"rate_per_second": 0.1, "burst": 1}),
    )
    .await;
    let broken = trigger(&server, "hostile", json!({"mode": "trap"}), json!({})).await;
    let url = |t: &Value| t["webhook_url"].as_str().expect("url").to_owned();
    let payload = github_push_payload();

    let mut expected = Vec::new();
    let mut send = async |target: String, secret: &str, delivery: &str, want: u16| {
        let (status, answer) = server
            .post_github(&target, secret, "push", delivery, &payload)
            .await;
        assert_eq!(status, want, "{answer}");
        expected.push(status);
        answer
    };
    let accepted = send(url(&github), SECRET, "log-1", 202).await;
    let duplicate = send(url(&github), SECRET, "log-1", 200).await;
    send(url(&github), "wrong", "log-2", 401).await;
    send(
        format!("{}/api/v1/webhooks/wh_unknown", server.url),
        SECRET,
        "log-3",
        404,
    )
    .await;
    send(url(&small), SECRET, "log-4", 413).await;
    send(url(&limited), SECRET, "log-5", 202).await;
    send(url(&limited), SECRET, "log-6", 429).await;
    send(url(&broken), SECRET, "log-7", 500).await;
    assert_eq!(accepted["event_ids"], duplicate["event_ids"]);

    let records = eventually("every request in the log", WAIT, || async {
        let records = all_records(&server, ADMIN_TOKEN, "").await;
        (records.len() == expected.len()).then_some(records)
    })
    .await;
    let statuses: Vec<u64> = records
        .iter()
        .rev()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(statuses, [202, 200, 401, 404, 413, 202, 429, 500], "oldest last");
    let by_status = |status: u64| {
        records
            .iter()
            .find(|r| r["status"] == status)
            .cloned()
            .expect("a record")
    };
    for (status, outcome, code) in [
        (200, "duplicate", None),
        (401, "rejected", Some("signature_invalid")),
        (404, "rejected", Some("unknown_webhook")),
        (413, "rejected", Some("body_too_large")),
        (429, "rejected", Some("rate_limited")),
        (500, "rejected", Some("connector_failed")),
    ] {
        let record = by_status(status);
        assert_eq!(record["outcome"], outcome, "{record}");
        assert_eq!(record["error_code"].as_str(), code, "{record}");
    }
    let oldest = &records[records.len() - 1];
    assert_eq!(oldest["outcome"], "accepted");
    assert_eq!(oldest["event_ids"], accepted["event_ids"]);
    assert_eq!(oldest["trigger_id"], github["id"]);
    assert_eq!(oldest["tenant_id"], github["tenant_id"]);
    assert_eq!(oldest["method"], "POST");
    assert_eq!(oldest["client_address"], "127.0.0.1");
    assert_eq!(oldest["user_agent"], "GitHub-Hookshot/044aadd");
    assert_eq!(oldest["body_bytes"].as_u64(), Some(payload.len() as u64));
    assert!(oldest["duration_us"].is_u64() && oldest["received_at"].is_string());
    assert_eq!(by_status(200)["event_ids"], accepted["event_ids"]);
    assert!(by_status(404)["trigger_id"].is_null() && by_status(404)["tenant_id"].is_null());

    // Filters.
    let count = async |query: &str| all_records(&server, ADMIN_TOKEN, query).await.len();
    assert_eq!(count("outcome=rejected").await, 5);
    assert_eq!(count("outcome=duplicate").await, 1);
    assert_eq!(count("status=401").await, 1);
    let github_id = github["id"].as_str().expect("id");
    assert_eq!(count(&format!("trigger_id={github_id}")).await, 3);
    let first_at = oldest["received_at"].as_str().expect("time");
    assert_eq!(count("until=2000-01-01T00:00:00Z").await, 0);
    assert_eq!(count(&format!("since={first_at}")).await, 8);
    assert_eq!(count(&format!("until={first_at}")).await, 1);
    for query in ["outcome=maybe", "since=yesterday", "status=abc", "cursor=trg_x"] {
        let (status, answer) = server.get(&format!("/api/v1/requests?{query}")).await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(
            answer["error"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("invalid_"))
        );
    }
    let (_, page) = server.get("/api/v1/requests").await;
    assert_eq!(page["dropped_since_start"], 0);

    // Tenants see their own requests; unknown keys are the instance's.
    let (_, token) = tenant_with_token(&server, "other", "viewer", json!({})).await;
    assert!(all_records(&server, &token, "").await.is_empty());
    let (status, viewer) = server
        .post(
            "/api/v1/tokens",
            &json!({"name": "instance viewer", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201);
    let viewer = viewer["token"].as_str().expect("token");
    let seen = all_records(&server, viewer, "").await;
    assert_eq!(seen.len(), 7, "everything but the unknown key");
    assert!(seen.iter().all(|r| r["status"] != 404));
    server.stop().await;
}

#[tokio::test]
async fn records_older_than_the_retention_are_pruned() {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.ingest.request_log_retention = Duration::from_millis(500);
    config.ingest.prune_interval = Duration::from_millis(100);
    let server = TestServer::start(config).await;
    let response = server
        .http
        .post(format!("{}/api/v1/webhooks/wh_nobody", server.url))
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    eventually("the request to be logged", WAIT, || async {
        let (_, page) = server.get("/api/v1/requests").await;
        (page["data"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    eventually("the record to be pruned", WAIT, || async {
        let (_, page) = server.get("/api/v1/requests").await;
        (page["data"].as_array().map(Vec::len) == Some(0)).then_some(())
    })
    .await;
    server.stop().await;
}
