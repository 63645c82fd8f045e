//! Clients that never finish cannot hold Weir: headers that never end are
//! cut off after `http.header_read_timeout`, a webhook body that never
//! arrives gets `408 body_timeout` after `http.body_read_timeout`, a
//! graceful stop closes what is still open after `http.shutdown_drain`,
//! and at most `http.max_connections` are served at once.

use std::time::Duration;

use serde_json::json;
use weir::config::Config;

use crate::support::raw_http::RawConnection;
use crate::support::server::{TestDirs, test_config};
use crate::support::{TestServer, eventually};

const SECRET: &str = "slow-secret";
const WAIT: Duration = Duration::from_secs(20);

/// Weir with the test configuration as `tune` changes it; the directories
/// must live as long as the server.
async fn start(tune: impl FnOnce(&mut Config)) -> (TestDirs, TestServer) {
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    tune(&mut config);
    let server = TestServer::start(config).await;
    (dirs, server)
}

#[tokio::test]
async fn headers_that_never_end_are_cut_off() {
    let (_dirs, server) = start(|c| {
        c.http.header_read_timeout = Duration::from_millis(500);
    })
    .await;
    let mut connection = RawConnection::open(&server.url).await;
    connection
        .send(b"POST /api/v1/webhooks/wh_slow HTTP/1.1\r\nHost: weir\r\n")
        .await;
    let sent = connection.closed_by_server().await;
    assert!(
        !sent.starts_with(b"HTTP/1.1 2"),
        "nothing is accepted: {}",
        String::from_utf8_lossy(&sent)
    );
    // The server is as available as before.
    let (status, _) = server.get("/api/v1/triggers").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_webhook_body_that_never_arrives_gets_408_and_is_logged() {
    let (_dirs, server) = start(|c| {
        c.http.body_read_timeout = Duration::from_millis(500);
    })
    .await;
    let trigger = server.github_trigger(SECRET).await;
    let path = trigger["webhook_url"]
        .as_str()
        .expect("url")
        .trim_start_matches(&server.url)
        .to_owned();
    let mut connection = RawConnection::open(&server.url).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: weir\r\nContent-Type: application/json\r\n\
         X-GitHub-Event: push\r\nX-GitHub-Delivery: slow-1\r\nX-Hub-Signature-256: sha256=00\r\n\
         Content-Length: 100\r\n\r\n{{\"ref\""
    );
    connection.send(head.as_bytes()).await;
    let (status, answer) = connection.response().await;
    assert_eq!(status, 408, "{answer}");
    assert_eq!(answer["error"]["code"], "body_timeout", "{answer}");
    let id = trigger["id"].as_str().expect("id");
    eventually("the request in the log", WAIT, || async {
        let (_, page) = server
            .get(&format!("/api/v1/requests?trigger_id={id}&status=408"))
            .await;
        (page["data"][0]["error_code"] == "body_timeout").then_some(())
    })
    .await;
    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(events["data"], json!([]), "nothing was stored");
    server.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_closes_connections_still_open_after_the_drain() {
    let (_dirs, server) = start(|c| {
        // Long enough not to end the connection before the stop does.
        c.http.header_read_timeout = Duration::from_secs(600);
        c.http.shutdown_drain = Duration::from_millis(500);
    })
    .await;
    let mut connection = RawConnection::open(&server.url).await;
    connection
        .send(b"POST /api/v1/webhooks/wh_slow HTTP/1.1\r\nHost: weir\r\n")
        .await;
    // Let the server take the connection up before stopping.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    tokio::time::timeout(WAIT, server.stop())
        .await
        .expect("the stop does not wait for a client that never finishes");
    connection.closed_by_server().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let (_dirs, server) = start(|c| {
        c.http.max_connections = 1;
    })
    .await;
    // The one slot is taken by a connection that has sent nothing yet.
    let mut holder = RawConnection::open(&server.url).await;
    let waiting = tokio::spawn({
        let http = reqwest::Client::new();
        let url = format!("{}/healthz", server.url);
        async move { http.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a second connection is not served while the first is open"
    );
    holder
        .send(b"GET /healthz HTTP/1.1\r\nHost: weir\r\nConnection: close\r\n\r\n")
        .await;
    let (status, _) = holder.response().await;
    assert_eq!(status, 200);
    drop(holder);
    let status = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("served once the slot is free")
        .expect("task")
        .expect("request");
    assert_eq!(status, 200);
    server.stop().await;
}
