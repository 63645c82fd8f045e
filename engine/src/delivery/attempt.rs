//! One delivery attempt: load what it needs, transform, sign, send, read a
//! bounded preview of the answer, decide what happens next, record it.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::HeaderName;

use super::backoff::{parse_retry_after, retry_delay};
use super::signature::sign;
use super::ssrf::{AddressPolicy, find_refusal};
use crate::config::DeliveryConfig;
use crate::host::{CallError, Event, Outgoing, PluginHost, TransformError};
use crate::model::{Attempt, AttemptOutcome, Delivery, DeliveryStatus, Destination, StoredEvent};
use crate::store::{Store, StoreError};
use crate::time::now_ms;

/// Most response headers kept per attempt.
const MAX_RESPONSE_HEADERS: usize = 32;
/// Headers a transformer may not set: Weir's signature headers and those
/// owned by the HTTP layer.
const RESERVED_HEADERS: [&str; 9] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "upgrade",
];

/// Performs delivery attempts.
pub struct Deliverer {
    store: Store,
    host: Arc<PluginHost>,
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    config: DeliveryConfig,
}

/// What the attempt means for the delivery.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Done: delivered.
    Delivered,
    /// Done: the transformer asked to skip.
    Skipped,
    /// Done: will not succeed by retrying (dead-lettered, replayable).
    Permanent,
    /// Try again later, not before `not_before` if the receiver asked.
    Retry { not_before: Option<Duration> },
}

/// The result of sending, before it is recorded.
struct Sent {
    outcome: AttemptOutcome,
    verdict: Verdict,
    status_code: Option<u16>,
    error: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: String,
}

impl Sent {
    fn failed(outcome: AttemptOutcome, verdict: Verdict, error: impl Into<String>) -> Self {
        Self {
            outcome,
            verdict,
            status_code: None,
            error: Some(error.into()),
            response_headers: Vec::new(),
            response_body: String::new(),
        }
    }
}

impl Deliverer {
    /// A deliverer sending with `client` under `policy`.
    pub fn new(
        store: Store,
        host: Arc<PluginHost>,
        client: reqwest::Client,
        policy: Arc<AddressPolicy>,
        config: DeliveryConfig,
    ) -> Self {
        Self {
            store,
            host,
            client,
            policy,
            config,
        }
    }

    /// Attempts `delivery` (claimed, status `sending`) once and records the
    /// attempt and the delivery's next state.
    pub async fn attempt(&self, mut delivery: Delivery) -> Result<Delivery, StoreError> {
        let started_at_ms = now_ms();
        let clock = Instant::now();
        let number = delivery.attempts + 1;
        let sent = self.send(&delivery).await;
        let finished_ms = now_ms();

        let (status, next_attempt_at_ms, last_error) = match &sent.verdict {
            Verdict::Delivered => (DeliveryStatus::Delivered, None, None),
            Verdict::Skipped => (DeliveryStatus::Skipped, None, sent.error.clone()),
            Verdict::Permanent => (DeliveryStatus::Dead, None, sent.error.clone()),
            Verdict::Retry { not_before } => {
                match retry_delay(
                    &self.config.retry_schedule,
                    number,
                    self.config.jitter,
                    &mut rand::rng(),
                ) {
                    Some(delay) => {
                        let delay = not_before.map_or(delay, |floor| delay.max(floor));
                        let at =
                            finished_ms.saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                        (DeliveryStatus::Pending, Some(at), sent.error.clone())
                    }
                    None => (
                        DeliveryStatus::Dead,
                        None,
                        Some(format!(
                            "gave up after {number} attempts; last error: {}",
                            sent.error.as_deref().unwrap_or("unknown")
                        )),
                    ),
                }
            }
        };
        delivery.status = status;
        delivery.attempts = number;
        delivery.next_attempt_at_ms = next_attempt_at_ms;
        delivery.last_error = last_error;
        delivery.updated_at_ms = finished_ms;
        let attempt = Attempt {
            delivery_id: delivery.id,
            number,
            started_at_ms,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            outcome: sent.outcome,
            status_code: sent.status_code,
            error: sent.error,
            response_headers: sent.response_headers,
            response_body: sent.response_body,
            next_attempt_at_ms,
        };
        self.store.record_attempt(&delivery, &attempt)?;
        tracing::debug!(delivery = %delivery.id, attempt = number, outcome = ?attempt.outcome, status = ?delivery.status, "attempt recorded");
        Ok(delivery)
    }

    async fn send(&self, delivery: &Delivery) -> Sent {
        let (destination, event) = match self.load(delivery) {
            Ok(loaded) => loaded,
            Err(sent) => return sent,
        };
        let outgoing = match self.render(delivery, &event).await {
            Ok(outgoing) => outgoing,
            Err(sent) => return sent,
        };
        let url = destination.url.url().clone();
        if let Err(refused) = self.policy.check_url(&url) {
            return Sent::failed(AttemptOutcome::Refused, Verdict::Permanent, refused.to_string());
        }
        let timeout = destination
            .timeout_ms
            .map_or(self.config.timeout, Duration::from_millis);
        let message_id = delivery.id.to_string();
        let timestamp = now_ms() / 1000;
        let signature = sign(
            &destination.signing_secrets,
            &message_id,
            timestamp,
            &outgoing.body,
        );
        let mut request = self
            .client
            .post(url)
            .timeout(timeout)
            .header("content-type", outgoing.content_type.as_str())
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
        for header in &outgoing.headers {
            let name = header.name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&name.as_str()) {
                continue;
            }
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(&header.value),
            ) {
                request = request.header(name, value);
            }
        }
        match request.body(outgoing.body).send().await {
            Ok(response) => self.read_response(response).await,
            Err(error) => {
                if let Some(refused) = find_refusal(&error) {
                    return Sent::failed(AttemptOutcome::Refused, Verdict::Permanent, refused.to_string());
                }
                let outcome = if error.is_timeout() {
                    AttemptOutcome::Timeout
                } else {
                    AttemptOutcome::NetworkError
                };
                Sent::failed(outcome, Verdict::Retry { not_before: None }, error_chain(&error))
            }
        }
    }

    /// The destination and event; a missing one ends the delivery.
    fn load(&self, delivery: &Delivery) -> Result<(Destination, StoredEvent), Sent> {
        let retry_on_store_error = |error: StoreError| {
            Sent::failed(
                AttemptOutcome::NetworkError,
                Verdict::Retry { not_before: None },
                format!("store error: {error}"),
            )
        };
        let destination = match self
            .store
            .destination(delivery.destination_id)
            .map_err(retry_on_store_error)?
        {
            Some(destination) if destination.enabled => destination,
            Some(_) => {
                return Err(Sent::failed(
                    AttemptOutcome::DestinationGone,
                    Verdict::Permanent,
                    "the destination is disabled",
                ));
            }
            None => {
                return Err(Sent::failed(
                    AttemptOutcome::DestinationGone,
                    Verdict::Permanent,
                    "the destination was deleted",
                ));
            }
        };
        let event = self
            .store
            .event(delivery.event_id)
            .map_err(retry_on_store_error)?
            .ok_or_else(|| {
                Sent::failed(
                    AttemptOutcome::DestinationGone,
                    Verdict::Permanent,
                    "the event is no longer stored",
                )
            })?;
        Ok((destination, event))
    }

    /// The body to send: the transformer's output, or the event's data.
    async fn render(&self, delivery: &Delivery, event: &StoredEvent) -> Result<Outgoing, Sent> {
        let Some(transformer) = &delivery.transformer else {
            return Ok(Outgoing {
                body: event.draft.data.get().as_bytes().to_vec(),
                content_type: "application/json".to_owned(),
                headers: Vec::new(),
            });
        };
        let input = Event {
            id: event.id.to_string(),
            source: event.draft.source.clone(),
            event_type: event.draft.event_type.clone(),
            subject: event.draft.subject.clone(),
            time: event.draft.time.clone(),
            data: event.draft.data.get().to_owned(),
        };
        let config = delivery.transformer_config.to_string();
        match self.host.transform(transformer, &input, &config).await {
            Ok(Ok(outgoing)) => Ok(outgoing),
            Ok(Err(TransformError::Skip(reason))) => {
                Err(Sent::failed(AttemptOutcome::Skipped, Verdict::Skipped, reason))
            }
            Ok(Err(error)) => Err(Sent::failed(
                AttemptOutcome::TransformFailed,
                Verdict::Permanent,
                format!("transformer `{transformer}`: {}", describe(&error)),
            )),
            // A missing, busy, quarantined or crashing transformer may be
            // fixed or freed before the schedule runs out: retry (not
            // before a quarantine ends), dead-lettered with the reason when
            // the schedule is exhausted.
            Err(error @ (CallError::NotFound { .. } | CallError::Busy | CallError::Quarantined { .. })) => {
                Err(Sent::failed(
                    AttemptOutcome::TransformFailed,
                    Verdict::Retry {
                        not_before: error.retry_after(),
                    },
                    error.to_string(),
                ))
            }
            Err(error) => Err(Sent::failed(
                AttemptOutcome::TransformFailed,
                Verdict::Retry { not_before: None },
                error.to_string(),
            )),
        }
    }

    async fn read_response(&self, mut response: reqwest::Response) -> Sent {
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
        let cap = self.config.response_preview_bytes;
        let mut preview = Vec::new();
        while preview.len() < cap {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = cap - preview.len();
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
}

/// An error and its causes, `: `-separated.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A transformer's typed error, for people.
fn describe(error: &TransformError) -> String {
    match error {
        TransformError::InvalidConfig(reason) => format!("invalid config: {reason}"),
        TransformError::UnsupportedEvent(reason) => format!("unsupported event: {reason}"),
        TransformError::Skip(reason) => format!("skipped: {reason}"),
        TransformError::Failed(reason) => format!("failed: {reason}"),
    }
}
