//! SIGTERM under load, with the real `weir` binary: webhooks posted from
//! several tasks while the process is told to stop. Every request
//! answered 2xx must be in the store after a restart; every other one must
//! have been answered 503 or failed to connect; the process exits 0.

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::process::{free_port, serve_command, terminate, wait_exit, wait_ready};
use crate::support::server::{ADMIN_TOKEN, TestDirs, github_signature, json_body};
use crate::support::{eventually, github_push_payload};

const SECRET: &str = "shutdown-secret";
const SENDERS: usize = 6;
const WAIT: Duration = Duration::from_secs(60);

fn start_weir(dirs: &TestDirs, port: u16, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("log file");
    serve_command(dirs, port)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("weir starts")
}

/// What happened to one webhook request.
enum Answer {
    Accepted(Vec<String>),
    Refused(u16, Value),
    ConnectionFailed,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_loses_no_acknowledged_webhook() {
    let dirs = TestDirs::new(&[]);
    let log = dirs.data.with_file_name("weir.log");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut child = start_weir(&dirs, port, &log);
    wait_ready(&http, &base).await;
    let response = http
        .post(format!("{base}/api/v1/triggers"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(
            json!({"name": "load", "connector": "github", "secrets": {"webhook-secret": SECRET}}).to_string(),
        )
        .send()
        .await
        .expect("create trigger");
    assert_eq!(response.status(), 201);
    let trigger = json_body(response).await;
    let url = trigger["webhook_url"].as_str().expect("url").to_owned();

    let answered = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(github_push_payload());
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (http, url, body, answered) = (
            http.clone(),
            url.clone(),
            Arc::clone(&body),
            Arc::clone(&answered),
        );
        senders.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for n in 0.. {
                let result = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-github-event", "push")
                    .header("x-github-delivery", format!("load-{sender}-{n}"))
                    .header("x-hub-signature-256", github_signature(SECRET, body.as_bytes()))
                    .body(body.as_str().to_owned())
                    .send()
                    .await;
                let answer = match result {
                    Ok(response) if response.status().is_success() => {
                        let json = json_body(response).await;
                        let ids = json["event_ids"]
                            .as_array()
                            .map(|ids| {
                                ids.iter()
                                    .filter_map(|id| id.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        Answer::Accepted(ids)
                    }
                    Ok(response) => {
                        let status = response.status().as_u16();
                        Answer::Refused(status, json_body(response).await)
                    }
                    Err(_) => Answer::ConnectionFailed,
                };
                answered.fetch_add(1, Ordering::SeqCst);
                let stop = matches!(answer, Answer::ConnectionFailed);
                answers.push(answer);
                if stop {
                    break;
                }
            }
            answers
        }));
    }

    // Mid-stream: once plenty have been answered, SIGTERM.
    eventually("webhooks to flow", WAIT, || async {
        (answered.load(Ordering::SeqCst) >= 60).then_some(())
    })
    .await;
    terminate(&child);
    let status = wait_exit(&mut child).await;
    let mut answers = Vec::new();
    for sender in senders {
        answers.extend(sender.await.expect("sender"));
    }
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "weir exited with {status}:\n{stderr}");

    let mut acknowledged = Vec::new();
    for answer in &answers {
        match answer {
            Answer::Accepted(ids) => acknowledged.extend(ids.iter().cloned()),
            Answer::Refused(status, body) => {
                assert_eq!(*status, 503, "a request during shutdown got {status}: {body}");
            }
            Answer::ConnectionFailed => {}
        }
    }
    assert!(
        acknowledged.len() >= 10,
        "too few acknowledged: {}",
        acknowledged.len()
    );
    assert!(
        answers.iter().any(|a| matches!(a, Answer::ConnectionFailed)),
        "the senders should have been cut off"
    );

    // Restart on the same store: every acknowledged event is there.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_weir(&dirs, port, &log);
    wait_ready(&http, &base).await;
    for id in &acknowledged {
        let response = http
            .get(format!("{base}/api/v1/events/{id}"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("read event");
        assert_eq!(
            response.status(),
            200,
            "acknowledged event {id} is missing after the restart"
        );
    }
    terminate(&child);
    let status = wait_exit(&mut child).await;
    assert!(status.success(), "{status}");
}
