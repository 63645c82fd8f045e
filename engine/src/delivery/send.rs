//! Sending one request: what an attempt produced ([`Sent`]) and what it
//! means for the delivery ([`Verdict`]), from the HTTP response or error.

use std::time::{Duration, SystemTime};

use super::backoff::parse_retry_after;
use super::ssrf::find_refusal;
use crate::model::AttemptOutcome;

/// Most response headers kept per attempt.
const MAX_RESPONSE_HEADERS: usize = 32;

/// What an attempt means for its delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Done: delivered.
    Delivered,
    /// Done: the transformer asked to skip.
    Skipped,
    /// Done: will not succeed by retrying (dead-lettered, replayable).
    Permanent,
    /// Try again later, not before `not_before` if the receiver asked.
    Retry {
        /// The floor the receiver asked for (`Retry-After`), if any.
        not_before: Option<Duration>,
    },
}

/// The result of an attempt, before it is recorded.
#[derive(Debug)]
pub struct Sent {
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// What it means.
    pub verdict: Verdict,
    /// The response status, if there was one.
    pub status_code: Option<u16>,
    /// What went wrong, for people.
    pub error: Option<String>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// The first bytes of the response body.
    pub response_body: String,
}

impl Sent {
    /// An attempt that ended without a response.
    pub fn failed(outcome: AttemptOutcome, verdict: Verdict, error: impl Into<String>) -> Self {
        Self {
            outcome,
            verdict,
            status_code: None,
            error: Some(error.into()),
            response_headers: Vec::new(),
            response_body: String::new(),
        }
    }

    /// True when the destination itself misbehaved (as opposed to a pack,
    /// the store, or the delivery's own content).
    pub fn destination_failed(&self) -> bool {
        matches!(
            self.outcome,
            AttemptOutcome::HttpError | AttemptOutcome::Timeout | AttemptOutcome::NetworkError
        )
    }
}

/// Classifies a transport error.
pub fn from_error(error: &reqwest::Error) -> Sent {
    if let Some(refused) = find_refusal(error) {
        return Sent::failed(AttemptOutcome::Refused, Verdict::Permanent, refused.to_string());
    }
    let outcome = if error.is_timeout() {
        AttemptOutcome::Timeout
    } else {
        AttemptOutcome::NetworkError
    };
    Sent::failed(
        outcome,
        Verdict::Retry { not_before: None },
        crate::error::error_chain(error),
    )
}

/// Reads the status, headers and at most `preview_bytes` of the body, and
/// classifies the answer: 2xx delivered; 408, 429 and 5xx retried
/// (`Retry-After` honoured for 429 and 503); 3xx retried and never
/// followed; any other 4xx permanent.
pub async fn from_response(mut response: reqwest::Response, preview_bytes: usize) -> Sent {
    let status = response.status();
    let response_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .take(MAX_RESPONSE_HEADERS)
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, SystemTime::now()));
    let mut preview = Vec::new();
    while preview.len() < preview_bytes {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = preview_bytes - preview.len();
                preview.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let code = status.as_u16();
    let (outcome, verdict, error) = if status.is_success() {
        (AttemptOutcome::Delivered, Verdict::Delivered, None)
    } else {
        let verdict = match code {
            408 | 429 | 500..=599 => Verdict::Retry {
                not_before: retry_after.filter(|_| matches!(code, 429 | 503)),
            },
            300..=399 => Verdict::Retry { not_before: None },
            _ => Verdict::Permanent,
        };
        let hint = if status.is_redirection() {
            " (redirects are not followed)"
        } else {
            ""
        };
        (
            AttemptOutcome::HttpError,
            verdict,
            Some(format!("HTTP {code}{hint}")),
        )
    };
    Sent {
        outcome,
        verdict,
        status_code: Some(code),
        error,
        response_headers,
        response_body: String::from_utf8_lossy(&preview).into_owned(),
    }
}
