//! What Weir sends, checked by independent Python implementations (see
//! `support::python` and `tests/e2e/python/`): Standard Webhooks signatures
//! with the reference library `standardwebhooks`, across a secret rotation;
//! HPKE-encrypted payloads opened with `pyhpke`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::outbound::{WAIT, delivery_id, destination, finished, publish, rule};
use crate::support::python;
use crate::support::scripted::{Hit, Reply, ScriptedReceiver, save_hits};
use crate::support::server::{TestDirs, test_config};
use crate::support::{TestServer, eventually, github_push_payload};

/// `standardwebhooks.Webhook(secret).verify` on each request: true where
/// it accepted.
async fn verifies(secret: &str, files: &[PathBuf]) -> Vec<bool> {
    let mut args = vec![secret.to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let results = python::run("verify_standard_webhooks.py", args).await;
    results
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["ok"].as_bool().expect("ok"))
        .collect()
}

/// Publishes one event and returns the request that delivered it.
async fn deliver_one(server: &TestServer, receiver: &ScriptedReceiver, n: u64) -> Hit {
    let event = publish(server, "test.signed", json!({"n": n})).await;
    let id = delivery_id(server, &event).await;
    assert_eq!(finished(server, &id).await["status"], "delivered");
    receiver.hits_for(&id).pop().expect("the delivered request")
}

#[tokio::test]
async fn signatures_verify_with_the_reference_library_across_a_rotation() {
    const GRACE_SECS: u64 = 5;
    let receiver = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let dirs = TestDirs::new(&[]);
    let saved = dirs.data.with_file_name("saved");
    let server = TestServer::start(test_config(&dirs)).await;
    let target = destination(&server, json!({"name": "signed", "url": receiver.url})).await;
    let id = target["id"].as_str().expect("id").to_owned();
    let old = target["signing_secret"].as_str().expect("secret").to_owned();
    rule(&server, "test.signed", &target).await;
    // A secret that never signed anything: the verifier must say no.
    let stranger = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    let before = save_hits(&saved, &[deliver_one(&server, &receiver, 1).await]);
    assert_eq!(verifies(&old, &before).await, [true]);
    assert_eq!(verifies(stranger, &before).await, [false]);

    let (status, rotated) = server
        .post(
            &format!("/api/v1/destinations/{id}/rotate-secret"),
            &json!({"grace_secs": GRACE_SECS}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["active_secrets"], 2);
    let new = rotated["signing_secret"].as_str().expect("new secret").to_owned();
    assert_ne!(new, old);

    let during = deliver_one(&server, &receiver, 2).await;
    let expires = weir_time(rotated["previous_secret_expires_at"].as_str().expect("expiry"));
    let signed_at: u64 = during.header("webhook-timestamp").parse().expect("timestamp");
    assert!(
        (signed_at + 1) * 1000 <= expires,
        "the machine took over {GRACE_SECS}s to deliver; cannot check the grace period"
    );
    assert_eq!(
        during.header("webhook-signature").split(' ').count(),
        2,
        "two signatures"
    );
    let during = save_hits(&saved, &[during]);
    assert_eq!(
        verifies(&old, &during).await,
        [true],
        "the old secret still verifies"
    );
    assert_eq!(verifies(&new, &during).await, [true], "the new secret verifies");
    assert_eq!(verifies(stranger, &during).await, [false]);

    eventually(
        "the grace period to end",
        Duration::from_secs(GRACE_SECS + 20),
        || async {
            let (_, read) = server.get(&format!("/api/v1/destinations/{id}")).await;
            let secrets = read["signing_secrets"].as_array().cloned().unwrap_or_default();
            (secrets.len() == 2 && secrets[0]["active"] == true && secrets[1]["active"] == false)
                .then_some(())
        },
    )
    .await;
    let after = deliver_one(&server, &receiver, 3).await;
    assert_eq!(
        after.header("webhook-signature").split(' ').count(),
        1,
        "one signature"
    );
    let after = save_hits(&saved, &[after]);
    assert_eq!(verifies(&new, &after).await, [true], "the new secret verifies");
    assert_eq!(
        verifies(&old, &after).await,
        [false],
        "the old secret no longer does"
    );
    server.stop().await;
}

/// Milliseconds since the epoch of an RFC 3339 time, as Weir writes them.
fn weir_time(text: &str) -> u64 {
    let time = humantime::parse_rfc3339(text).expect("rfc3339");
    u64::try_from(
        time.duration_since(std::time::UNIX_EPOCH)
            .expect("after epoch")
            .as_millis(),
    )
    .expect("u64")
}

#[tokio::test]
async fn encrypted_payloads_open_with_pyhpke_to_what_a_plain_destination_got() {
    use base64::Engine as _;
    const SECRET: &str = "It's a Secret to Everybody";
    let keys = python::run("hpke_open.py", vec!["keygen".to_owned()]).await;
    let private_key = keys["private_key"].as_str().expect("private").to_owned();
    let public_key = keys["public_key"].as_str().expect("public");

    let plain = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let sealed = ScriptedReceiver::start(|_, _| Reply::status(200)).await;
    let dirs = TestDirs::new(&[]);
    let saved = dirs.data.with_file_name("saved");
    let server = TestServer::start(test_config(&dirs)).await;
    let trigger = server.github_trigger(SECRET).await;
    let plain_target = destination(&server, json!({"name": "plain", "url": plain.url})).await;
    let sealed_target = destination(
        &server,
        json!({
            "name": "sealed", "url": sealed.url,
            "encryption": {"public_key": public_key, "key_id": "receiver-2026"},
        }),
    )
    .await;
    server.rule("github.push", &plain_target, Some("slack")).await;
    server.rule("github.push", &sealed_target, Some("slack")).await;

    let (status, answer) = server
        .post_github(
            trigger["webhook_url"].as_str().expect("url"),
            SECRET,
            "push",
            "hpke-1",
            &github_push_payload(),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let (plain_hit, sealed_hit) = eventually("both deliveries", WAIT, || async {
        let p = plain.hits().into_iter().find(|h| h.status == 200)?;
        let s = sealed.hits().into_iter().find(|h| h.status == 200)?;
        Some((p, s))
    })
    .await;
    let expected: Value = serde_json::from_slice(&plain_hit.body).expect("plain json");
    assert!(
        expected["text"]
            .as_str()
            .is_some_and(|t| t.contains("octocat pushed")),
        "{expected}"
    );
    assert!(
        !String::from_utf8_lossy(&sealed_hit.body).contains("octocat"),
        "the encrypted body does not leak the plaintext"
    );
    assert_eq!(sealed_hit.header("content-type"), "application/json");

    let files = save_hits(&saved, std::slice::from_ref(&sealed_hit));
    let mut args = vec!["open".to_owned(), private_key.clone()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let opened = python::run("hpke_open.py", args).await;
    let opened = &opened[0];
    assert!(opened["error"].is_null(), "pyhpke could not open it: {opened:#}");
    let envelope = &opened["envelope"];
    assert_eq!(envelope["encryption"], "hpke-base-x25519-sha256-aes256gcm");
    assert_eq!(envelope["key_id"], "receiver-2026");
    assert_eq!(envelope["content_type"], "application/json");
    let plaintext = base64::engine::general_purpose::STANDARD
        .decode(opened["plaintext_base64"].as_str().expect("plaintext"))
        .expect("base64");
    assert_eq!(
        plaintext,
        plain_hit.body.to_vec(),
        "the same bytes the plain destination got"
    );

    // The envelope is what is signed; and the ciphertext is bound to its
    // webhook-id (the associated data): under another id it does not open.
    let signing_secret = sealed_target["signing_secret"].as_str().expect("secret");
    assert_eq!(verifies(signing_secret, &files).await, [true]);
    let mut moved = sealed_hit.clone();
    moved.headers.insert(
        "webhook-id",
        plain_hit.headers.get("webhook-id").expect("id").clone(),
    );
    assert_ne!(moved.header("webhook-id"), sealed_hit.header("webhook-id"));
    let moved = save_hits(&saved, &[moved]);
    let opened = python::run(
        "hpke_open.py",
        vec!["open".to_owned(), private_key, moved[0].display().to_string()],
    )
    .await;
    assert!(
        opened[0]["plaintext_base64"].is_null(),
        "opened under another id: {opened:#}"
    );
    server.stop().await;
}
