//! `delivery.proxy`: deliveries go through the operator's proxy (here a
//! receiver standing in for a forward proxy, which sees the absolute-form
//! request), and destination names are still checked first.

use std::time::Duration;

use serde_json::json;

use crate::support::server::{TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually, github_push_payload};

const SECRET: &str = "proxy-secret";

#[tokio::test]
async fn deliveries_go_through_the_configured_proxy() {
    let proxy = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.delivery.proxy = Some(proxy.url.trim_end_matches("/hook").to_owned());
    let server = TestServer::start(config).await;
    let trigger = server.github_trigger(SECRET).await;
    // Nothing listens on port 1: only the proxy can answer for it.
    let destination = server.destination("http://localhost:1/hook").await;
    server.rule("github.push", &destination, None).await;
    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "proxied-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let forwarded = eventually("the proxied request", Duration::from_secs(20), || async {
        proxy.successes().into_iter().next()
    })
    .await;
    assert_eq!(forwarded.header("host"), "localhost:1");
    assert!(forwarded.header("webhook-id").starts_with("del_"));

    // Internal addresses are still refused, proxy or not.
    let (status, refused) = server
        .post(
            "/api/v1/destinations",
            &json!({"name": "private", "url": "http://10.1.2.3/hook"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
}
