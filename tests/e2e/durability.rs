//! Durability at the edges: while the store cannot write, ingest answers
//! 503 with `Retry-After` and never 2xx (the failure is injected through
//! the `fault-injection` test hook); a store whose data files were damaged
//! is refused at start with the corrupt-store error, never replaced by an
//! empty one; a delivery attempt whose record the store refused is sent
//! again once the store takes writes, without a restart.

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use serde_json::json;

use weir::Server;
use weir::server::StartError;
use weir::store::StoreError;

use crate::support::outbound::{WAIT, delivery_id, destination, finished, publish, rule};
use crate::support::scripted::{Reply, ScriptedReceiver};
use crate::support::server::{TestDirs, json_body, test_config};
use crate::support::{TestServer, eventually, github_push_payload};

const SECRET: &str = "durability-secret";

#[tokio::test]
async fn ingest_answers_503_with_retry_after_while_the_store_cannot_write() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url");
    let payload = github_push_payload();

    server.fail_store_writes(true);
    for attempt in 0..3 {
        let response = server
            .github_request(url, SECRET, "push", "while-failing", &payload)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 503, "attempt {attempt}");
        let retry_after: u64 = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!(retry_after >= 1);
        assert_eq!(json_body(response).await["error"]["code"], "store_unavailable");
    }
    let (status, answer) = server
        .post(
            "/api/v1/triggers",
            &serde_json::json!({"name": "x", "connector": "github", "secrets": {"webhook-secret": "s"}}),
        )
        .await;
    assert_eq!(status, 503, "admin writes fail the same way: {answer}");
    assert_eq!(answer["error"]["code"], "store_unavailable");

    server.fail_store_writes(false);
    let (status, answer) = server
        .post_github(url, SECRET, "push", "while-failing", &payload)
        .await;
    assert_eq!(
        status, 202,
        "the retry is stored, not a duplicate of a failed write: {answer}"
    );
    let (_, events) = server.get("/api/v1/events").await;
    assert_eq!(events["data"].as_array().expect("list").len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_store_with_damaged_data_files_is_refused_at_start() {
    let dirs = TestDirs::new(&[]);
    let config = test_config(&dirs);
    let server = TestServer::start(config.clone()).await;
    let trigger = server.github_trigger(SECRET).await;
    let url = trigger["webhook_url"].as_str().expect("url");
    let payload = github_push_payload();
    for n in 0..150 {
        let (status, _) = server
            .post_github(url, SECRET, "push", &format!("before-{n}"), &payload)
            .await;
        assert_eq!(status, 202);
    }
    server.stop().await;

    // Overwrite the middle half of sled's log. (A small span can land on
    // superseded page versions sled no longer reads; then nothing is lost
    // and opening is right. Half the file always holds live data.)
    let db = dirs.data.join("db");
    let length = std::fs::metadata(&db).expect("db file").len();
    assert!(length > 256 * 1024, "enough data to damage: {length} bytes");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open db");
    file.seek(SeekFrom::Start(length / 4)).expect("seek");
    let span = usize::try_from(length / 2).expect("fits");
    file.write_all(&vec![0xA5; span]).expect("overwrite");
    file.sync_all().expect("sync");
    drop(file);

    for attempt in 0..2 {
        let error = match Server::start(config.clone()).await {
            Ok(handle) => {
                let _ = handle.shutdown().await;
                panic!("attempt {attempt}: a damaged store was opened");
            }
            Err(error) => error,
        };
        assert!(
            matches!(error, StartError::Store(StoreError::Corrupt { .. })),
            "attempt {attempt}: {error}"
        );
        let message = error.to_string();
        eprintln!("attempt {attempt} refused: {message}");
        assert!(message.contains("corrupt"), "{message}");
        assert!(message.contains(&dirs.data.display().to_string()), "{message}");
    }
    assert!(db.exists(), "the damaged files are left for the operator");
}

#[tokio::test]
async fn data_files_older_than_the_last_checkpoint_are_refused() {
    // sled reads a damaged log up to the damage and would open what
    // precedes it as if nothing were missing. Files put back from an older
    // copy look the same to it: Weir's checkpoint notices either way.
    let dirs = TestDirs::new(&[]);
    let config = test_config(&dirs);
    let server = TestServer::start(config.clone()).await;
    let trigger = server.github_trigger(SECRET).await;
    server.stop().await;
    let old_copy = dirs.data.with_extension("old");
    copy_dir(&dirs.data, &old_copy);

    let server = TestServer::start(config.clone()).await;
    let key = trigger["webhook_key"].as_str().expect("key");
    let url = format!("{}/api/v1/webhooks/{key}", server.url);
    let (status, _) = server
        .post_github(&url, SECRET, "push", "after-the-copy", &github_push_payload())
        .await;
    assert_eq!(status, 202);
    server.stop().await;

    for file in ["db", "conf"] {
        std::fs::copy(old_copy.join(file), dirs.data.join(file)).expect("put the old file back");
    }
    let error = Server::start(config).await.err().expect("refused");
    assert!(
        matches!(error, StartError::Store(StoreError::Corrupt { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("before checkpoint"), "{error}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
        }
    }
}

#[tokio::test]
async fn an_attempt_the_store_could_not_record_is_sent_again_once_it_can() {
    const STALL: Duration = Duration::from_secs(1);
    // The first request is answered after STALL, so the test can make the
    // store refuse writes while it is in flight; later ones at once.
    let receiver = ScriptedReceiver::start(|_, before| {
        let reply = Reply::status(200);
        if before.is_empty() {
            reply.after(STALL)
        } else {
            reply
        }
    })
    .await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let target = destination(&server, json!({"name": "stranded", "url": receiver.url})).await;
    rule(&server, "test.stranded", &target).await;
    let event = publish(&server, "test.stranded", json!({"n": 1})).await;
    let id = delivery_id(&server, &event).await;

    eventually("the first request", WAIT, || async {
        (!receiver.hits().is_empty()).then_some(())
    })
    .await;
    server.fail_store_writes(true);
    // The answer comes after STALL and its record is refused; writes stay
    // off well past that.
    tokio::time::sleep(STALL + Duration::from_secs(4)).await;
    let (_, during) = server.get(&format!("/api/v1/deliveries/{id}")).await;
    assert_eq!(during["status"], "sending", "not recorded: {during}");
    server.fail_store_writes(false);

    // No restart: the delivery is sent again, with the same webhook-id.
    let delivery = finished(&server, &id).await;
    assert_eq!(delivery["status"], "delivered", "{delivery:#}");
    assert_eq!(
        delivery["attempts"], 1,
        "the refused record counted nothing: {delivery:#}"
    );
    let hits = receiver.hits_for(&id);
    assert_eq!(hits.len(), 2, "sent again once");
    assert!(hits.iter().all(|hit| hit.header("webhook-id") == id));
    server.stop().await;
}
