//! Trigger policies at the webhook door: body size (declared and chunked),
//! IP allowlists in IPv4 and IPv6 behind a trusted proxy, allowed methods,
//! rate limits per key and per tenant, and a daily quota that survives a
//! restart — each refused before the connector runs.

use serde_json::{Value, json};

use crate::support::raw_http::RawConnection;
use crate::support::server::{ADMIN_TOKEN, TestDirs, github_signature, json_body, test_config};
use crate::support::{TestServer, connector_calls, github_push_payload, tenant_with_token};

const SECRET: &str = "policy-secret";

/// Creates a GitHub trigger with `policy` using `token`.
async fn trigger_with(server: &TestServer, token: &str, policy: Value) -> Value {
    let (status, trigger) = server
        .call(
            "POST",
            "/api/v1/triggers",
            token,
            Some(&json!({
                "name": "with policy", "connector": "github",
                "secrets": {"webhook-secret": SECRET}, "policy": policy
            })),
        )
        .await;
    assert_eq!(status, 201, "{trigger}");
    trigger
}

fn url(trigger: &Value) -> String {
    trigger["webhook_url"].as_str().expect("url").to_owned()
}

/// The head of a signed GitHub request with a chunked body.
fn chunked_head(trigger: &Value, delivery: &str, signature: &str) -> Vec<u8> {
    let path = url(trigger)
        .split_once("/api/")
        .map(|(_, rest)| format!("/api/{rest}"))
        .expect("path");
    format!(
        "POST {path} HTTP/1.1\r\nHost: weir\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nX-GitHub-Event: star\r\nX-GitHub-Delivery: {delivery}\r\n\
         X-Hub-Signature-256: {signature}\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_declared_or_chunked_before_they_end() {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.ingest.max_body_bytes = 4096;
    let server = TestServer::start(config).await;
    let (status, refused) = server
        .post(
            "/api/v1/triggers",
            &json!({"name": "x", "connector": "github", "secrets": {"webhook-secret": SECRET},
                    "policy": {"max_body_bytes": 8192}}),
        )
        .await;
    assert_eq!(status, 422, "a trigger cannot exceed the instance cap: {refused}");
    assert_eq!(refused["error"]["code"], "invalid_policy");
    let trigger = trigger_with(&server, ADMIN_TOKEN, json!({"max_body_bytes": 512})).await;

    // A chunked body crossing 512 bytes is answered 413 while the client
    // is still sending: the last chunk is never sent, and the answer comes.
    let mut connection = RawConnection::open(&server.url).await;
    connection
        .send(&chunked_head(&trigger, "chunked-big", "sha256=00"))
        .await;
    for _ in 0..3 {
        connection.send_chunk(&[b'x'; 256]).await;
    }
    let (status, answer) = connection.response().await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "body_too_large");

    // A declared length over the limit is refused before any byte is sent.
    let mut connection = RawConnection::open(&server.url).await;
    let mut head = chunked_head(&trigger, "declared-big", "sha256=00");
    let text = String::from_utf8(head.clone())
        .expect("ascii")
        .replace("Transfer-Encoding: chunked", "Content-Length: 100000");
    head = text.into_bytes();
    connection.send(&head).await;
    let (status, answer) = connection.response().await;
    assert_eq!(status, 413, "{answer}");

    // A chunked body under the limit is read whole and accepted.
    let body = br#"{"action": "created", "starred_at": "2026-11-23T10:00:00Z"}"#;
    let mut connection = RawConnection::open(&server.url).await;
    connection
        .send(&chunked_head(
            &trigger,
            "chunked-small",
            &github_signature(SECRET, body),
        ))
        .await;
    connection.send_chunk(&body[..20]).await;
    connection.send_chunk(&body[20..]).await;
    connection.send(b"0\r\n\r\n").await;
    let (status, answer) = connection.response().await;
    assert_eq!(status, 202, "{answer}");

    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(
        events["data"].as_array().expect("list").len(),
        1,
        "only the small body"
    );
    server.stop().await;
}

#[tokio::test]
async fn allowlists_match_ipv4_and_ipv6_through_a_trusted_proxy_and_methods_are_checked_first() {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    // Requests come from 127.0.0.1, a trusted proxy: its X-Forwarded-For
    // names the client.
    config.ingest.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    let server = TestServer::start(config).await;
    let trigger = trigger_with(
        &server,
        ADMIN_TOKEN,
        json!({"allowed_ips": ["2001:db8::/32", "198.51.100.7"], "allowed_methods": ["POST"]}),
    )
    .await;
    let url = url(&trigger);
    let payload = github_push_payload();
    let send = |forwarded: Option<&'static str>, delivery: String| {
        let mut request = server.github_request(&url, SECRET, "push", &delivery, &payload);
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            (status, json_body(response).await)
        }
    };
    let cases = [
        (Some("2001:db8::42"), 202, "an IPv6 client inside the /32"),
        (Some("2001:db9::1"), 403, "an IPv6 client outside it"),
        (Some("198.51.100.7"), 202, "the one IPv4 host allowed"),
        (Some("198.51.100.8"), 403, "its neighbour"),
        (
            Some("198.51.100.7, 203.0.113.5"),
            403,
            "a forged left-most entry is not believed",
        ),
        (None, 403, "the proxy itself"),
    ];
    for (n, (forwarded, expected, why)) in cases.into_iter().enumerate() {
        let (status, answer) = send(forwarded, format!("ip-{n}")).await;
        assert_eq!(status, expected, "{why}: {answer}");
        if expected == 403 {
            assert_eq!(answer["error"]["code"], "ip_not_allowed", "{why}");
        }
    }
    let (_, events) = server.get("/api/v1/events").await;
    let clients: Vec<&str> = events["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["weir"]["client_address"].as_str())
        .collect();
    assert_eq!(clients, ["198.51.100.7", "2001:db8::42"], "newest first");

    // A GET from an allowed address is refused 405 without a connector call.
    let calls_before = connector_calls(&server, "github").await;
    let response = server
        .http
        .get(&url)
        .header("x-forwarded-for", "2001:db8::42")
        .send()
        .await
        .expect("request");
    assert_refused_method_allows_post(response).await;
    assert_eq!(connector_calls(&server, "github").await, calls_before);
    server.stop().await;
}

#[tokio::test]
async fn rate_limits_per_key_and_per_tenant_answer_429_with_retry_after() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    // One request per 10 s after a burst of 2: the third comes far sooner.
    let limited = trigger_with(&server, ADMIN_TOKEN, json!({"rate_per_second": 0.1, "burst": 2})).await;
    let other = trigger_with(&server, ADMIN_TOKEN, json!({})).await;
    let payload = github_push_payload();
    for n in 0..2 {
        let (status, answer) = server
            .post_github(&url(&limited), SECRET, "push", &format!("rl-{n}"), &payload)
            .await;
        assert_eq!(status, 202, "{answer}");
    }
    let calls_before = connector_calls(&server, "github").await;
    let response = server
        .github_request(&url(&limited), "wrong secret", "push", "rl-2", &payload)
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        429,
        "the limit applies before the signature is checked"
    );
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert_eq!(json_body(response).await["error"]["code"], "rate_limited");
    assert_eq!(
        connector_calls(&server, "github").await,
        calls_before,
        "no connector call"
    );
    let (status, _) = server
        .post_github(&url(&other), SECRET, "push", "other-1", &payload)
        .await;
    assert_eq!(status, 202, "another key has its own bucket");

    // A tenant's limit spans all its triggers.
    let (_, token) = tenant_with_token(
        &server,
        "metered",
        "operator",
        json!({"rate_per_second": 0.1, "burst": 3}),
    )
    .await;
    let first = trigger_with(&server, &token, json!({})).await;
    let second = trigger_with(&server, &token, json!({})).await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        let target = if n % 2 == 0 { &first } else { &second };
        let response = server
            .github_request(&url(target), SECRET, "push", &format!("t-{n}"), &payload)
            .send()
            .await
            .expect("request");
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            assert_eq!(json_body(response).await["error"]["code"], "tenant_rate_limited");
        }
    }
    assert_eq!(statuses, [202, 202, 202, 429]);
    server.stop().await;
}

#[tokio::test]
async fn the_daily_quota_counts_accepted_requests_and_survives_a_restart() {
    let dirs = TestDirs::new(&[]);
    let config = test_config(&dirs);
    let server = TestServer::start(config.clone()).await;
    let (_, token) = tenant_with_token(&server, "quota", "operator", json!({"daily_quota": 2})).await;
    let trigger = trigger_with(&server, &token, json!({})).await;
    let url = url(&trigger);
    let payload = github_push_payload();
    let (status, _) = server
        .post_github(&url, "wrong secret", "push", "q-bad", &payload)
        .await;
    assert_eq!(status, 401, "a rejected request uses no quota");
    for n in 0..2 {
        let (status, answer) = server
            .post_github(&url, SECRET, "push", &format!("q-{n}"), &payload)
            .await;
        assert_eq!(status, 202, "{answer}");
    }
    let over = |server: &TestServer| {
        // The path, on whichever port this server listens.
        let path = url.split_once("/api/").map(|(_, path)| path).expect("path");
        let url = format!("{}/api/{path}", server.url);
        let request = server.github_request(&url, SECRET, "push", "q-over", &payload);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let retry_after: Option<u64> = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            (status, retry_after, json_body(response).await)
        }
    };
    let (status, retry_after, answer) = over(&server).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["code"], "quota_exceeded");
    assert!(
        retry_after.is_some_and(|secs| (1..=86_400).contains(&secs)),
        "until UTC midnight: {retry_after:?}"
    );
    server.stop().await;

    let server = TestServer::start(config).await;
    let (status, _, answer) = over(&server).await;
    assert_eq!(status, 429, "the day's count was stored: {answer}");
    server.stop().await;
}

/// Rates too slow for any wait to be expressed (found by a hostile
/// client: `1e-300` made every rate-limited request panic) are refused
/// where they are set, with the key named.
#[tokio::test]
async fn rates_slower_than_one_a_day_are_refused_where_they_are_set() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let path = format!("/api/v1/triggers/{}", trigger["id"].as_str().expect("id"));
    for rate in [1e-300, 5e-324, 1e-6] {
        let (status, error) = server
            .patch(&path, &json!({"policy": {"rate_per_second": rate}}))
            .await;
        assert_eq!(status, 422, "{rate}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("rate_per_second"), "{message}");
    }
    let (status, error) = server
        .post(
            "/api/v1/tenants",
            &json!({"name": "tiny", "limits": {"rate_per_second": 1e-300}}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("invalid_limits")),
        "{error}"
    );
    let (status, error) = server
        .post(
            "/api/v1/destinations",
            &json!({"name": "rl", "url": "https://example.com/hook",
                    "rate_limit": {"per_second": 1e-300, "burst": 1}}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("invalid_rate_limit")),
        "{error}"
    );

    // One a day is the slowest allowed: the second request waits a day.
    let (status, answer) = server
        .patch(
            &path,
            &json!({"policy": {"rate_per_second": 1.0 / 86_400.0, "burst": 1}}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let url = trigger["webhook_url"].as_str().expect("url");
    let payload = github_push_payload();
    let (first, _) = server.post_github(url, SECRET, "push", "slow-1", &payload).await;
    assert_eq!(first, 202);
    let refused = server
        .github_request(url, SECRET, "push", "slow-2", &payload)
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(refused.status().as_u16(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((86_000..=86_401).contains(&retry_after), "{retry_after}");
}

/// A method the policy lets through but the connector refuses (GET on
/// github, which has no handshake) is a 405 that says what is allowed.
#[tokio::test]
async fn a_method_the_connector_refuses_is_answered_with_what_is_allowed() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let response = server
        .http
        .get(trigger["webhook_url"].as_str().expect("url"))
        .send()
        .await
        .expect("request");
    assert_refused_method_allows_post(response).await;
}

/// Checks a `405 method_not_allowed` whose `Allow` lists only `POST`.
async fn assert_refused_method_allows_post(response: reqwest::Response) {
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let answer = json_body(response).await;
    assert_eq!(answer["error"]["code"], "method_not_allowed");
}
