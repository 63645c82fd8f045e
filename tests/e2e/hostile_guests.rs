//! A hostile connector fails only its own call, with a typed error, and
//! the engine goes on serving other webhooks.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::server::{TestDirs, json_body, test_config};
use crate::support::{TestServer, github_push_payload};

const SECRET: &str = "hostile-test-secret";

async fn hostile_trigger(server: &TestServer, mode: &str) -> String {
    let (status, trigger) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": format!("hostile {mode}"), "connector": "hostile", "config": {"mode": mode}}),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    trigger["webhook_url"].as_str().expect("url").to_owned()
}

async fn post(server: &TestServer, url: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = server.http.post(url).body("{}").send().await.expect("request");
    let status = response.status().as_u16();
    (status, json_body(response).await, started.elapsed())
}

#[tokio::test]
async fn each_hostile_call_fails_alone_with_a_typed_error() {
    let dirs = TestDirs::new(&["hostile"]);
    let mut config = test_config(&dirs);
    config.packs.max_output_bytes = 1024 * 1024;
    // Each case is one failure of the same component; this test is about
    // the failures, not the quarantine they would add up to.
    config.packs.quarantine_after = 0;
    let server = TestServer::start(config).await;
    let github = server.github_trigger(SECRET).await;
    let github_url = github["webhook_url"].as_str().expect("url").to_owned();

    let cases = [
        ("loop", "timeout"),
        ("alloc", "memory_limit"),
        ("trap", "trap"),
        ("recurse", "stack_overflow"),
        ("recurse-shadow", "trap"),
        ("huge-output", "output_too_large"),
    ];
    for (round, (mode, kind)) in cases.into_iter().enumerate() {
        let url = hostile_trigger(&server, mode).await;
        let (status, body, elapsed) = post(&server, &url).await;
        eprintln!("hostile `{mode}`: {status} after {elapsed:?}: {body}");
        assert_eq!(status, 500, "{mode}: {body}");
        assert_eq!(body["error"]["code"], "connector_failed", "{mode}");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("({kind})")),
            "{mode}: expected {kind} in {message}"
        );

        // The next webhook, on a well-behaved pack, is served normally.
        let (status, answer) = server
            .post_github(
                &github_url,
                SECRET,
                "push",
                &format!("after-{round}"),
                &github_push_payload(),
            )
            .await;
        assert_eq!(status, 202, "after {mode}: {answer}");
    }

    // A pack that floods stdout is captured and bounded, not failed.
    let url = hostile_trigger(&server, "print").await;
    let (status, body, _) = post(&server, &url).await;
    assert_eq!(status, 202, "{body}");

    // Every failure was counted against the hostile component, by kind,
    // and none against the github connector that kept serving.
    let (_, packs) = server.get("/api/v1/packs").await;
    let packs = packs["data"].as_array().expect("list").clone();
    let health = |pack: &str, component: &str| {
        packs
            .iter()
            .find(|p| p["name"] == pack)
            .map(|p| p["health"][component].clone())
            .unwrap_or(Value::Null)
    };
    let hostile = health("hostile", "hostile/hostile");
    for (kind, count) in [
        ("timeout", 1),
        ("memory_limit", 1),
        ("trap", 2),
        ("stack_overflow", 1),
        ("output_too_large", 1),
    ] {
        assert_eq!(hostile["errors"][kind], count, "{kind} in {hostile}");
    }
    assert_eq!(hostile["calls"], 7);
    let github = health("github", "github/github");
    assert_eq!(github["calls"], 6);
    assert_eq!(github["errors"], serde_json::json!({}));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_instance_pool_means_retry_later() {
    let dirs = TestDirs::new(&["hostile"]);
    let mut config = test_config(&dirs);
    config.packs.max_instances = 2;
    config.packs.quarantine_after = 0;
    let server = TestServer::start(config).await;
    let looping = hostile_trigger(&server, "loop").await;
    let spinners: Vec<_> = (0..6)
        .map(|_| {
            let http = server.http.clone();
            let url = looping.clone();
            tokio::spawn(async move {
                let response = http.post(url).body("{}").send().await.expect("response");
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                (status, retry_after, json_body(response).await)
            })
        })
        .collect();
    let mut busy = 0;
    for spinner in spinners {
        let (status, retry_after, body) = spinner.await.expect("task");
        match status {
            500 => assert_eq!(body["error"]["code"], "connector_failed"),
            503 => {
                assert_eq!(body["error"]["code"], "connector_busy", "{body}");
                assert!(retry_after, "busy answers carry Retry-After");
                busy += 1;
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert!(
        busy >= 1,
        "six spinning calls on two slots: some are told to retry"
    );
    // The pool recovers: the next call runs normally.
    let github = server.github_trigger(SECRET).await;
    let (status, answer) = server
        .post_github(
            github["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "after-pool",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn concurrent_hostile_calls_do_not_starve_other_webhooks() {
    let dirs = TestDirs::new(&["hostile"]);
    let server = TestServer::start(test_config(&dirs)).await;
    let github = server.github_trigger(SECRET).await;
    let github_url = github["webhook_url"].as_str().expect("url").to_owned();
    let looping = hostile_trigger(&server, "loop").await;

    let spinners: Vec<_> = (0..8)
        .map(|_| {
            let http = server.http.clone();
            let url = looping.clone();
            tokio::spawn(async move {
                http.post(url)
                    .body("{}")
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // While eight calls spin, a normal webhook still gets through.
    let (status, answer) = server
        .post_github(&github_url, SECRET, "push", "during-spin", &github_push_payload())
        .await;
    assert_eq!(status, 202, "{answer}");
    for spinner in spinners {
        assert_eq!(spinner.await.expect("task").expect("response"), 500);
    }
    server.stop().await;
}
