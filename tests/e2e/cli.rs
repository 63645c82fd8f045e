//! The `weir` command line against a real server: admin verbs over the
//! HTTP API (with their exit codes), `weir listen` verifying real
//! deliveries, and `weir export` / `weir import` moving a configuration to
//! a fresh data directory.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{ADMIN_TOKEN, TestDirs, test_config};
use crate::support::{Receiver, TestServer, eventually};

/// Runs `weir <args>` against `url` (off the async runtime).
async fn weir_at(url: &str, args: &[&str]) -> Output {
    let mut full = vec![
        "--url".to_owned(),
        url.to_owned(),
        "--token".to_owned(),
        ADMIN_TOKEN.to_owned(),
    ];
    full.extend(args.iter().map(|arg| (*arg).to_owned()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(&full)
            .env_remove("WEIR_URL")
            .env_remove("WEIR_TOKEN")
            .env_remove("WEIR_ADMIN_TOKEN")
            .output()
            .expect("weir runs")
    })
    .await
    .expect("join")
}

/// Runs `weir <args>` and parses stdout as JSON, panicking on failure.
async fn weir_json(server: &TestServer, args: &[&str]) -> Value {
    let output = weir_at(&server.url, args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "weir {} failed: {stdout}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("weir {} printed no JSON ({e}): {stdout}", args.join(" ")))
}

/// Exit code and stderr of a failing `weir <args>`.
async fn weir_fails(url: &str, args: &[&str]) -> (i32, String) {
    let output = weir_at(url, args).await;
    assert!(!output.status.success(), "weir {} succeeded", args.join(" "));
    (
        output.status.code().expect("exit code"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_verbs_create_list_update_delete_test_and_retry() {
    let receiver = Receiver::start().await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;

    let first = weir_json(
        &server,
        &[
            "triggers",
            "create",
            "--json",
            r#"{"name": "cli one", "connector": "github", "secrets": {"webhook-secret": "s3cret"}}"#,
        ],
    )
    .await;
    let id = first["id"].as_str().expect("trigger id").to_owned();
    let body_file = dirs.data.parent().expect("temp").join("trigger.json");
    std::fs::write(
        &body_file,
        r#"{"name": "cli two", "connector": "github", "secrets": {"webhook-secret": "x"}}"#,
    )
    .expect("write body");
    weir_json(
        &server,
        &["triggers", "create", "--file", &body_file.display().to_string()],
    )
    .await;

    let page = weir_json(&server, &["triggers", "list", "--limit", "1"]).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "{page}");
    assert!(page["next_cursor"].is_string(), "{page}");
    let all = weir_json(&server, &["triggers", "list", "--limit", "1", "--all"]).await;
    let names: Vec<&str> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["cli one", "cli two"], "{all}");

    assert_eq!(
        weir_json(&server, &["triggers", "get", &id]).await["name"],
        "cli one"
    );
    weir_json(
        &server,
        &["triggers", "update", &id, "--json", r#"{"name": "renamed"}"#],
    )
    .await;
    let (status, stored) = server.get(&format!("/api/v1/triggers/{id}")).await;
    assert_eq!(
        (status, stored["name"].as_str()),
        (200, Some("renamed")),
        "{stored}"
    );

    let output = weir_at(&server.url, &["triggers", "delete", &id]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (code, stderr) = weir_fails(&server.url, &["triggers", "get", &id]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: not_found: "), "{stderr}");
    assert_eq!(server.get(&format!("/api/v1/triggers/{id}")).await.0, 404);

    // Usage errors and unreachable servers have their own exit codes.
    let (code, stderr) = weir_fails(&server.url, &["tenants", "update", "ten_x", "--json", "{}"]).await;
    assert_eq!(code, 2, "{stderr}");
    let (code, stderr) = weir_fails(&server.url, &["rules", "create", "--json", "{not json"]).await;
    assert_eq!(code, 2, "{stderr}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let (code, stderr) = weir_fails(&dead_url, &["triggers", "list"]).await;
    assert_eq!(code, 3, "{stderr}");

    // A rule, a dry run of it, a published event and a retried delivery.
    let destination = weir_json(
        &server,
        &[
            "destinations",
            "create",
            "--json",
            &json!({"name": "r", "url": receiver.url}).to_string(),
        ],
    )
    .await;
    let rule = weir_json(
        &server,
        &[
            "rules",
            "create",
            "--json",
            &json!({"event_types": ["invoice.*"], "destination_id": destination["id"],
                     "condition": {"path": "$.amount", "op": "gt", "value": 10}})
            .to_string(),
        ],
    )
    .await;
    let rule_id = rule["id"].as_str().expect("rule id");
    let test = |amount: i64| {
        json!({"rule_id": rule_id, "event": {"type": "invoice.paid", "data": {"amount": amount}}}).to_string()
    };
    let matched = weir_json(&server, &["rules", "test", "--json", &test(50)]).await;
    assert_eq!(matched["matched"], true, "{matched}");
    let missed = weir_json(&server, &["rules", "test", "--json", &test(5)]).await;
    assert_eq!(missed["matched"], false, "{missed}");

    let published = weir_json(
        &server,
        &[
            "events",
            "publish",
            "--type",
            "invoice.paid",
            "--data",
            r#"{"amount": 42}"#,
            "--idempotency-key",
            "inv-1",
        ],
    )
    .await;
    let event_id = published["event_ids"][0].as_str().expect("event id").to_owned();
    let delivery = eventually("the delivery", Duration::from_secs(20), || async {
        server
            .deliveries_of(&event_id)
            .await
            .into_iter()
            .find(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(receiver.successes().len(), 1);
    let delivery_id = delivery["id"].as_str().expect("delivery id");
    weir_json(&server, &["deliveries", "retry", delivery_id]).await;
    let again = eventually("the retried delivery", Duration::from_secs(20), || async {
        let received = receiver.successes();
        (received.len() == 2).then_some(received)
    })
    .await;
    assert_eq!(again[0].header("webhook-id"), again[1].header("webhook-id"));
    server.stop().await;
}

/// A running `weir listen` whose stdout is collected line by line.
struct Listener {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    url: String,
}

impl Listener {
    async fn start(secret: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["listen", "--port", "0", "--secret", secret, "--path", "/hook"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("weir listen starts");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line);
            }
        });
        let first = eventually("weir listen to start", Duration::from_secs(20), || async {
            lines.lock().expect("lines").first().cloned()
        })
        .await;
        let url = first
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{first}`"))
            .to_owned();
        Self { child, lines, url }
    }

    async fn wait_for_verdict(&self) -> String {
        eventually("a signature verdict", Duration::from_secs(20), || async {
            self.lines
                .lock()
                .expect("lines")
                .iter()
                .find(|line| line.starts_with("signature: "))
                .cloned()
        })
        .await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_verifies_deliveries_with_the_destination_secret_and_fails_a_wrong_one() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let wrong = "whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleSBhdCBhbGw=";
    let right_listener = Listener::start(secret).await;
    let wrong_listener = Listener::start(wrong).await;
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    for listener in [&right_listener, &wrong_listener] {
        let (status, destination) = server
            .post(
                "/api/v1/destinations",
                &json!({"name": "listener", "url": listener.url, "signing_secret": secret}),
            )
            .await;
        assert_eq!(status, 201, "{destination}");
        server.rule("order.created", &destination, None).await;
    }
    let (status, published) = server
        .post(
            "/api/v1/events",
            &json!({"type": "order.created", "data": {"order": 7}}),
        )
        .await;
    assert_eq!(status, 202, "{published}");

    assert_eq!(right_listener.wait_for_verdict().await, "signature: VERIFIED");
    let failed = wrong_listener.wait_for_verdict().await;
    assert!(failed.starts_with("signature: FAILED ("), "{failed}");
    let printed = right_listener.lines.lock().expect("lines").join("\n");
    assert!(
        printed.contains("--- POST /hook") && printed.contains("\"order\": 7"),
        "{printed}"
    );
    assert!(printed.contains("webhook-id: "), "{printed}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_moves_the_configuration_to_a_fresh_data_directory() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger("moved secret").await;
    let destination = server.destination("http://127.0.0.1:9/none").await;
    let rule = server.rule("github.push", &destination, None).await;
    let backup = dirs.data.parent().expect("temp").join("backup.jsonl");
    let data_dir = dirs.data.display().to_string();
    let backup_path = backup.display().to_string();

    // A running Weir holds the store.
    let (code, stderr) = weir_fails(
        &server.url,
        &["export", "--data-dir", &data_dir, "--out", &backup_path],
    )
    .await;
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("stop weir first"), "{stderr}");
    server.stop().await;

    let output = weir_at(
        "http://unused",
        &["export", "--data-dir", &data_dir, "--out", &backup_path],
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&backup).expect("backup");
    let header: Value = serde_json::from_str(text.lines().next().expect("header")).expect("header JSON");
    assert_eq!(header["format"], "weir-export");
    assert_eq!(header["counts"]["trigger"], 1, "{header}");
    assert_eq!(header["counts"]["rule"], 1, "{header}");

    let fresh = TestDirs::new(&[]);
    std::fs::create_dir_all(&fresh.data).expect("data dir");
    std::fs::copy(
        dirs.data.join("encryption.key"),
        fresh.data.join("encryption.key"),
    )
    .expect("copy key");
    let fresh_dir = fresh.data.display().to_string();
    let import = [
        "import",
        "--data-dir",
        fresh_dir.as_str(),
        "--in",
        backup_path.as_str(),
    ];
    let output = weir_at("http://unused", &import).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A second import finds the ids taken; `--replace` overwrites them.
    let (code, stderr) = weir_fails("http://unused", &import).await;
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("already exist"), "{stderr}");
    let mut replacing = import.to_vec();
    replacing.push("--replace");
    let output = weir_at("http://unused", &replacing).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let moved = TestServer::start(test_config(&fresh)).await;
    let (_, triggers) = moved.get("/api/v1/triggers").await;
    let trigger_ids: Vec<&Value> = triggers["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(trigger_ids, [&trigger["id"]], "{triggers}");
    let (_, rules) = moved.get("/api/v1/rules").await;
    assert_eq!(rules["data"][0]["id"], rule["id"], "{rules}");
    assert_eq!(rules["data"][0]["destination_id"], destination["id"], "{rules}");
    // The trigger's sealed secret still opens: a signed webhook is accepted.
    let (_, info) = moved
        .get(&format!(
            "/api/v1/triggers/{}",
            trigger["id"].as_str().expect("id")
        ))
        .await;
    let hook = info["webhook_url"].as_str().expect("webhook url");
    let (status, answer) = moved
        .post_github(
            hook,
            "moved secret",
            "push",
            "d-1",
            &crate::support::github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    moved.stop().await;
}
