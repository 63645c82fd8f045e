//! Native unit tests of the GitLab connector.

use super::*;
use weir_sdk::testing;

const TOKEN: &str = "s3cr3t-gitlab-token";
const PUSH: &str = include_str!("../fixtures/push.json");
const MERGE_REQUEST: &str = include_str!("../fixtures/merge-request.json");
const PIPELINE: &str = include_str!("../fixtures/pipeline.json");
const MEMBER: &str = include_str!("../fixtures/member.json");

fn request(headers: &[(&str, &str)], body: &str) -> WebhookRequest {
    testing::request("POST", headers, body)
}

fn hook(event: &str, token: &str, body: &str) -> WebhookRequest {
    request(
        &[
            ("X-Gitlab-Event", event),
            ("X-Gitlab-Token", token),
            ("Idempotency-Key", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f"),
        ],
        body,
    )
}

fn secrets(values: &[&str]) -> Secrets {
    testing::secrets(SECRET_NAME, values)
}

fn receive(request: &WebhookRequest) -> Result<Receipt, Rejection> {
    Gitlab::receive(request, &secrets(&[TOKEN]), NoConfig {})
}

#[test]
fn the_documented_push_becomes_gitlab_push_about_its_ref() {
    let receipt = receive(&hook("Push Hook", TOKEN, PUSH)).expect("accepted");
    let event = &receipt.events[0];
    assert_eq!(event.event_type, "gitlab.push");
    assert_eq!(event.idempotency_key, "f5e5f430-f57b-4e6e-9fac-d9128cd7232f");
    assert_eq!(event.subject.as_deref(), Some("refs/heads/master"));
    assert_eq!(event.data, PUSH);
}

#[test]
fn merge_requests_pipelines_and_members_get_their_kind_and_subject() {
    let cases = [
        (
            "Merge Request Hook",
            MERGE_REQUEST,
            "gitlab.merge_request",
            Some("merge_requests/1"),
        ),
        ("Pipeline Hook", PIPELINE, "gitlab.pipeline", Some("pipelines/31")),
        ("Member Hook", MEMBER, "gitlab.user_add_to_group", None),
        (
            "Issue Hook",
            r#"{"object_kind":"issue","object_attributes":{"iid":23}}"#,
            "gitlab.issue",
            Some("issues/23"),
        ),
        (
            "Job Hook",
            r#"{"object_kind":"build","build_id":1977}"#,
            "gitlab.build",
            Some("jobs/1977"),
        ),
        (
            "Note Hook",
            r#"{"object_kind":"note","merge_request":{"iid":1}}"#,
            "gitlab.note",
            Some("merge_requests/1"),
        ),
        ("Emoji Hook", "{}", "gitlab.emoji", None),
    ];
    for (header, body, event_type, subject) in cases {
        let receipt = receive(&hook(header, TOKEN, body)).expect("accepted");
        assert_eq!(receipt.events[0].event_type, event_type, "{header}");
        assert_eq!(receipt.events[0].subject.as_deref(), subject, "{header}");
    }
}

#[test]
fn a_trigger_mid_rotation_accepts_either_token() {
    let request = hook("Push Hook", TOKEN, PUSH);
    for tokens in [[TOKEN, "next-token"], ["next-token", TOKEN]] {
        assert!(Gitlab::receive(&request, &secrets(&tokens), NoConfig {}).is_ok());
    }
    assert!(matches!(
        Gitlab::receive(&request, &secrets(&["next-token", "older-token"]), NoConfig {}),
        Err(Rejection::Unauthorized(_))
    ));
}

#[test]
fn wrong_missing_or_prefixed_tokens_are_unauthorized() {
    let wrong = hook("Push Hook", "not-the-token", PUSH);
    assert!(
        matches!(receive(&wrong), Err(Rejection::Unauthorized(reason)) if reason.contains("does not match"))
    );
    let prefix = hook("Push Hook", &TOKEN[..5], PUSH);
    assert!(matches!(receive(&prefix), Err(Rejection::Unauthorized(_))));
    let missing = request(&[("X-Gitlab-Event", "Push Hook")], PUSH);
    assert!(
        matches!(receive(&missing), Err(Rejection::Unauthorized(reason)) if reason.contains("x-gitlab-token"))
    );
}

#[test]
fn the_idempotency_key_prefers_the_retry_stable_header() {
    let uuid_only = request(
        &[
            ("X-Gitlab-Event", "Push Hook"),
            ("X-Gitlab-Token", TOKEN),
            ("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e"),
            ("X-Gitlab-Webhook-UUID", "02affd2d-2cba-4033-917d-ec22d5dc4b38"),
        ],
        PUSH,
    );
    let body_hash = host::digest_hex(HashAlgorithm::Sha256, PUSH.as_bytes());
    assert_eq!(
        idempotency_key(&uuid_only).expect("key"),
        format!("13792a34-cac6-4fda-95a8-c58e00a3954e:{}", &body_hash[..16])
    );
    let bare = request(
        &[("X-Gitlab-Webhook-UUID", "02affd2d-2cba-4033-917d-ec22d5dc4b38")],
        PUSH,
    );
    assert_eq!(idempotency_key(&bare).expect("key"), body_hash);
    let long = "k".repeat(MAX_KEY_LEN + 1);
    let too_long = request(&[("Idempotency-Key", long.as_str())], PUSH);
    assert!(matches!(idempotency_key(&too_long), Err(Rejection::Malformed(_))));
}

#[test]
fn bad_requests_are_refused_with_the_right_kind() {
    let mut get = hook("Push Hook", TOKEN, "");
    get.method = "GET".into();
    assert!(matches!(receive(&get), Err(Rejection::MethodNotAllowed(_))));
    let no_event = request(&[("X-Gitlab-Token", TOKEN)], PUSH);
    assert!(
        matches!(receive(&no_event), Err(Rejection::Malformed(reason)) if reason.contains("x-gitlab-event"))
    );
    let truncated = hook("Push Hook", TOKEN, &PUSH[..PUSH.len() / 2]);
    assert!(
        matches!(receive(&truncated), Err(Rejection::Malformed(reason)) if reason.contains("not valid JSON"))
    );
    let odd_kind = hook("Push Hook", TOKEN, r#"{"object_kind":"Push Event!"}"#);
    assert!(matches!(receive(&odd_kind), Err(Rejection::Malformed(_))));
    assert!(matches!(
        Gitlab::receive(&hook("Push Hook", TOKEN, PUSH), &Secrets::default(), NoConfig {}),
        Err(Rejection::Misconfigured(reason)) if reason.contains(SECRET_NAME)
    ));
}

#[test]
fn hook_names_become_kinds() {
    assert_eq!(kind_from_hook("Merge Request Hook"), "merge_request");
    assert_eq!(kind_from_hook("Subgroup Hook"), "subgroup");
    assert_eq!(
        kind_from_hook(" Resource Access Token Hook "),
        "resource_access_token"
    );
}
