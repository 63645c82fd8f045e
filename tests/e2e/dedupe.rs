//! Dedupe under concurrency: 64 posts of one GitHub delivery at once store
//! exactly one event; the other 63 answer `200 duplicate` naming it, and
//! the webhook's counters say exactly that.

use std::time::Duration;

use crate::support::server::{TestDirs, json_body, test_config};
use crate::support::{TestServer, eventually, github_push_payload};

const SECRET: &str = "dedupe-secret";
const CONCURRENT: usize = 64;

#[tokio::test]
async fn sixty_four_concurrent_duplicates_store_exactly_one_event() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url");
    let payload = github_push_payload();
    let delivery = "6ad1c1e0-cc78-11e3-81ab-4c9367dc0958";

    // Built first, then released together.
    let requests: Vec<_> = (0..CONCURRENT)
        .map(|_| server.github_request(url, SECRET, "push", delivery, &payload))
        .collect();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(CONCURRENT));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let start = std::sync::Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let response = request.send().await.expect("request");
                let status = response.status().as_u16();
                (status, json_body(response).await)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }

    let stored: Vec<_> = answers.iter().filter(|(status, _)| *status == 202).collect();
    assert_eq!(stored.len(), 1, "exactly one is stored: {answers:?}");
    let event_id = stored[0].1["event_ids"][0].clone();
    let duplicates: Vec<_> = answers.iter().filter(|(status, _)| *status == 200).collect();
    assert_eq!(duplicates.len(), CONCURRENT - 1, "{answers:?}");
    for (_, answer) in &duplicates {
        assert_eq!(answer["status"], "duplicate");
        assert_eq!(answer["event_ids"][0], event_id, "each names the stored event");
    }

    let (_, events) = server.get("/api/v1/events").await;
    let events = events["data"].as_array().expect("list");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], event_id);

    let id = trigger["id"].as_str().expect("id");
    let (_, info) = server.get(&format!("/api/v1/triggers/{id}/webhook")).await;
    assert_eq!(info["stats"]["events_accepted"], 1, "{info}");
    assert_eq!(info["stats"]["duplicates"], CONCURRENT - 1, "{info}");
    eventually("the request log", Duration::from_secs(20), || async {
        let (_, accepted) = server
            .get(&format!("/api/v1/requests?trigger_id={id}&outcome=accepted"))
            .await;
        let (_, duplicate) = server
            .get(&format!(
                "/api/v1/requests?trigger_id={id}&outcome=duplicate&limit=500"
            ))
            .await;
        let count = |page: &serde_json::Value| page["data"].as_array().map_or(0, Vec::len);
        (count(&accepted) == 1 && count(&duplicate) == CONCURRENT - 1).then_some(())
    })
    .await;
    server.stop().await;
}
