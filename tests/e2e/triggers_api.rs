//! The triggers API: update (secrets replaced, never shown), enable,
//! disable, regenerate (the old key stops at once), webhook info with its
//! statistics, delete, cursor pagination, and tenant scoping.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{TestDirs, test_config};
use crate::support::{TestServer, eventually, github_push_payload, tenant_with_token};

const SECRET: &str = "first-secret";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_trigger_is_updated_disabled_regenerated_and_deleted() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let id = trigger["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/triggers/{id}");
    let old_url = trigger["webhook_url"].as_str().expect("url").to_owned();
    let payload = github_push_payload();

    // Secrets are replaced as a whole and never come back.
    let (status, updated) = server
        .patch(
            &path,
            &json!({"name": "renamed", "secrets": {"webhook-secret": "second-secret"},
                    "config": {}, "policy": {"allowed_methods": ["POST"]}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "renamed");
    assert_eq!(updated["secret_names"], json!(["webhook-secret"]));
    assert_eq!(updated["policy"]["allowed_methods"], json!(["POST"]));
    assert!(updated["updated_at"].is_string());
    let (_, read) = server.get(&path).await;
    for shown in [&updated, &read] {
        let text = shown.to_string();
        assert!(
            !text.contains("second-secret") && !text.contains(SECRET),
            "{text}"
        );
    }
    let (status, _) = server
        .post_github(&old_url, SECRET, "push", "s-0", &payload)
        .await;
    assert_eq!(status, 401, "the replaced secret no longer verifies");
    for n in 1..=2 {
        let (status, answer) = server
            .post_github(&old_url, "second-secret", "push", &format!("s-{n}"), &payload)
            .await;
        assert_eq!(status, 202, "{answer}");
    }

    for (body, code) in [
        (json!({"secrets": {"nope": "x"}}), "unknown_secret"),
        (json!({"secrets": {}}), "missing_secret"),
        (json!({"name": "  "}), "invalid_name"),
        (json!({"config": [1]}), "invalid_config"),
        (
            json!({"policy": {"max_body_bytes": 1_000_000_000}}),
            "invalid_policy",
        ),
        (json!({"policy": {"allowed_ips": ["not-an-ip"]}}), "invalid_json"),
        (json!({"enabled": false}), "invalid_json"),
    ] {
        let (status, answer) = server.patch(&path, &body).await;
        assert_eq!(answer["error"]["code"], code, "{body}: {status} {answer}");
        assert!(status == 422 || status == 400, "{status}");
    }

    // Disabled: 403 until enabled again.
    let (status, disabled) = server.post(&format!("{path}/webhook/disable"), &json!({})).await;
    assert_eq!((status, &disabled["enabled"]), (200, &json!(false)));
    let (status, answer) = server
        .post_github(&old_url, "second-secret", "push", "s-3", &payload)
        .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "webhook_disabled");
    let (status, _) = server.post(&format!("{path}/webhook/enable"), &json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = server
        .post_github(&old_url, "second-secret", "push", "s-3", &payload)
        .await;
    assert_eq!(status, 202);

    // Regenerated: the answer carries the new key and URL; the old key is
    // unknown from then on.
    let (status, regenerated) = server
        .post(&format!("{path}/webhook/regenerate"), &json!({}))
        .await;
    assert_eq!(status, 200, "{regenerated}");
    let new_key = regenerated["webhook_key"].as_str().expect("key");
    let new_url = regenerated["webhook_url"].as_str().expect("url").to_owned();
    assert!(new_key.starts_with("wh_") && new_key.len() == 35, "{new_key}");
    assert!(new_url.ends_with(new_key));
    assert_ne!(new_url, old_url);
    let (status, answer) = server
        .post_github(&old_url, "second-secret", "push", "s-4", &payload)
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "unknown_webhook");
    let (status, _) = server
        .post_github(&new_url, "second-secret", "push", "s-4", &payload)
        .await;
    assert_eq!(status, 202);
    let (status, _) = server
        .post_github(&new_url, "second-secret", "push", "s-4", &payload)
        .await;
    assert_eq!(status, 200, "a duplicate");

    // The webhook's info: full URL, state and counters.
    let info = eventually("the rejections to be counted", WAIT, || async {
        let (status, info) = server.get(&format!("{path}/webhook")).await;
        assert_eq!(status, 200, "{info}");
        (info["stats"]["rejected"] == 2).then_some(info)
    })
    .await;
    assert_eq!(info["url"], new_url.as_str());
    assert_eq!(info["enabled"], true);
    assert_eq!(info["effective_policy"]["allowed_methods"], json!(["POST"]));
    let stats = &info["stats"];
    assert_eq!(stats["events_accepted"], 4, "{stats}");
    assert_eq!(stats["duplicates"], 1, "{stats}");
    assert_eq!(
        stats["rejections"],
        json!({"signature_invalid": 1, "webhook_disabled": 1}),
        "the request to the old key is not this webhook's"
    );
    assert!(stats["last_used_at"].is_string() && stats["last_accepted_at"].is_string());

    // Deleted: gone from the API and from the door, events kept.
    let (status, _) = server.delete(&path).await;
    assert_eq!(status, 204);
    let (status, _) = server.get(&path).await;
    assert_eq!(status, 404);
    let (status, _) = server.delete(&path).await;
    assert_eq!(status, 404);
    let (status, _) = server
        .post_github(&new_url, "second-secret", "push", "s-5", &payload)
        .await;
    assert_eq!(status, 404);
    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(events["data"].as_array().expect("list").len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn triggers_are_listed_page_by_page_and_only_to_their_tenant() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(server.github_trigger(SECRET).await["id"].clone());
    }
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/triggers?limit=2&cursor={cursor}"),
            None => "/api/v1/triggers?limit=2".to_owned(),
        };
        let (status, page) = server.get(&path).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|t| t["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every trigger once, oldest first");

    for (query, code) in [
        ("cursor=evt_nope", "invalid_cursor"),
        ("limit=0", "invalid_query"),
        ("limit=many", "invalid_query"),
        ("colour=blue", "invalid_query"),
    ] {
        let (status, answer) = server.get(&format!("/api/v1/triggers?{query}")).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }

    // Another tenant sees none of them and can touch none of them.
    let (_, token) = tenant_with_token(&server, "other", "admin", json!({})).await;
    let (status, page) = server.call("GET", "/api/v1/triggers", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(page["data"], json!([]));
    let id = created[0].as_str().expect("id");
    for (method, path) in [
        ("GET", format!("/api/v1/triggers/{id}")),
        ("PATCH", format!("/api/v1/triggers/{id}")),
        ("DELETE", format!("/api/v1/triggers/{id}")),
        ("GET", format!("/api/v1/triggers/{id}/webhook")),
        ("POST", format!("/api/v1/triggers/{id}/webhook/regenerate")),
        ("POST", format!("/api/v1/triggers/{id}/webhook/disable")),
    ] {
        let (status, answer) = server.call(method, &path, &token, Some(&json!({}))).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    // A viewer may look but not change.
    let (status, viewer) = server
        .post("/api/v1/tokens", &json!({"name": "viewer", "role": "viewer"}))
        .await;
    assert_eq!(status, 201, "{viewer}");
    let viewer = viewer["token"].as_str().expect("token").to_owned();
    let (status, _) = server
        .call(
            "PATCH",
            &format!("/api/v1/triggers/{id}"),
            &viewer,
            Some(&json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .call("GET", &format!("/api/v1/triggers/{id}/webhook"), &viewer, None)
        .await;
    assert_eq!(status, 200);
    server.stop().await;
}
