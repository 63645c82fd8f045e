//! The SSRF guard end to end: internal literals are refused when saved
//! (422 naming the range) unless allowlisted, in any spelling; a name that
//! resolves to loopback is refused when sending; redirects are never
//! followed, so an allowed receiver cannot bounce a delivery inward.

use serde_json::json;

use crate::support::TestServer;
use crate::support::outbound::{delivery_id, destination, finished, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, test_config};

#[tokio::test]
async fn internal_addresses_are_refused_on_save_and_names_on_send() {
    let receiver = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let port = receiver.base.rsplit(':').next().expect("port").to_owned();
    let dirs = TestDirs::new(&[]);
    let mut config = test_config(&dirs);
    config.delivery.allow_private_networks = Vec::new();
    let server = TestServer::start(config).await;

    for (url, reason) in [
        (receiver.url.clone(), "loopback"),
        ("http://10.0.0.1/hook".to_owned(), "private"),
        ("http://192.168.1.10/hook".to_owned(), "private"),
        ("http://172.20.0.1/hook".to_owned(), "private"),
        ("http://100.64.1.1/hook".to_owned(), "carrier-grade NAT"),
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "link-local",
        ),
        ("http://0.0.0.0/".to_owned(), "\"this\" network"),
        ("http://2130706433/".to_owned(), "loopback"),
        ("http://0x7f.1/".to_owned(), "loopback"),
        ("http://0177.0.0.1/".to_owned(), "loopback"),
        (format!("http://127.1:{port}/hook"), "loopback"),
        (format!("http://[::1]:{port}/hook"), "loopback"),
        ("http://[::ffff:127.0.0.1]/".to_owned(), "IPv4-mapped"),
        ("http://[::ffff:a9fe:a9fe]/".to_owned(), "IPv4-mapped"),
        ("http://[64:ff9b::a00:1]/".to_owned(), "NAT64"),
        ("http://[2002:7f00:1::]/".to_owned(), "6to4"),
        ("http://[fd00::1]/".to_owned(), "unique local"),
        ("http://[fe80::1]/".to_owned(), "link-local"),
    ] {
        let (status, answer) = server
            .post("/api/v1/destinations", &json!({"name": "inward", "url": url}))
            .await;
        assert_eq!(status, 422, "{url}: {answer}");
        assert_eq!(answer["error"]["code"], "destination_refused", "{url}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{url}: `{message}` should name `{reason}`"
        );
    }

    // A name is checked where it resolves: `localhost` is saved, but the
    // attempt is refused before connecting, for good (no retries).
    let named = destination(
        &server,
        json!({"name": "named", "url": format!("http://localhost:{port}/hook")}),
    )
    .await;
    let (status, answer) = server
        .patch(
            &format!("/api/v1/destinations/{}", named["id"].as_str().expect("id")),
            &json!({"url": "http://0x7f000001/"}),
        )
        .await;
    assert_eq!(status, 422, "a PATCH is checked too: {answer}");
    rule(&server, "test.inward", &named).await;
    let event = publish(&server, "test.inward", json!({"n": 1})).await;
    let delivery = finished(&server, &delivery_id(&server, &event).await).await;
    assert_eq!(delivery["status"], "dead", "{delivery:#}");
    assert_eq!(delivery["attempts"], 1, "{delivery:#}");
    assert_eq!(delivery["attempt_log"][0]["outcome"], "refused", "{delivery:#}");
    let error = delivery["attempt_log"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("loopback"), "{error}");
    assert!(
        receiver.hits().is_empty(),
        "nothing reached the loopback receiver"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_allowlist_is_exact_and_redirects_inward_are_not_followed() {
    // The internal target is on 127.0.0.2, outside the allowlist
    // (127.0.0.1/32); the allowed receiver redirects every request there.
    let internal = ScriptedReceiver::start_on([127, 0, 0, 2].into(), |_, _| Reply::status(200)).await;
    let location = internal.url.clone();
    let bouncer = ScriptedReceiver::start(move |hit, _| {
        let status = if hit.json()["n"] == 1 { 302 } else { 307 };
        Reply::status(status).header("location", &location)
    })
    .await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;

    let (status, answer) = server
        .post(
            "/api/v1/destinations",
            &json!({"name": "inward", "url": internal.url}),
        )
        .await;
    assert_eq!(status, 422, "127.0.0.2 is not in 127.0.0.1/32: {answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("loopback"),
        "{answer}"
    );

    let target = destination(
        &server,
        json!({"name": "bouncer", "url": bouncer.url, "retry_schedule": ["50ms"]}),
    )
    .await;
    rule(&server, "test.bounce", &target).await;
    for n in [1, 2] {
        let event = publish(&server, "test.bounce", json!({"n": n})).await;
        let delivery = finished(&server, &delivery_id(&server, &event).await).await;
        assert_eq!(delivery["status"], "dead", "{delivery:#}");
        for attempt in delivery["attempt_log"].as_array().expect("attempts") {
            assert_eq!(attempt["outcome"], "http_error", "{attempt:#}");
            assert!(
                matches!(attempt["status_code"].as_u64(), Some(302 | 307)),
                "{attempt:#}"
            );
            let error = attempt["error"].as_str().unwrap_or_default();
            assert!(error.contains("redirects are not followed"), "{error}");
        }
    }
    assert!(!bouncer.hits().is_empty());
    assert!(bouncer.hits().iter().all(|h| h.path == "/hook"));
    assert!(internal.hits().is_empty(), "the redirect target got nothing");
    server.stop().await;
}
