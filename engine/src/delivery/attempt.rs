//! One delivery attempt: check the destination and its rate limit,
//! render, sign, send, decide what happens next, record it, and tell
//! destination health how it went.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderName;
use tracing::Instrument as _;

use super::backoff::retry_delay;
use super::health::DestinationHealth;
use super::recorder::AttemptRecorder;
use super::render::render;
use super::send::{Sent, Verdict, from_error, from_response};
use super::signature::signed_headers;
use super::ssrf::AddressPolicy;
use crate::catalog::{ActiveDestination, Catalog};
use crate::config::DeliveryConfig;
use crate::host::PluginHost;
use crate::ids::DestinationId;
use crate::metrics::Metrics;
use crate::model::{Attempt, AttemptOutcome, Delivery, DeliveryStatus, RateLimit, StoredEvent};
use crate::ratelimit::{Rate, RateLimiter};
use crate::store::{Store, StoreError};
use crate::time::now_ms;

/// Headers neither a transformer nor a destination may set: Weir's
/// signature headers and those owned by the HTTP layer.
pub const RESERVED_HEADERS: [&str; 9] = [
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

/// What a [`Deliverer`] needs.
pub struct DelivererParts {
    /// The store.
    pub store: Store,
    /// The plugin host (transformers).
    pub host: Arc<PluginHost>,
    /// Destination snapshots.
    pub catalog: Arc<Catalog>,
    /// The outbound HTTP client.
    pub client: reqwest::Client,
    /// Which addresses may be reached.
    pub policy: Arc<AddressPolicy>,
    /// Delivery settings.
    pub config: DeliveryConfig,
    /// Destination health tracking.
    pub health: DestinationHealth,
    /// Attempt, retry and dead-letter counters.
    pub metrics: Arc<Metrics>,
    /// Writes finished attempts (batched).
    pub recorder: AttemptRecorder,
}

/// Performs delivery attempts.
pub struct Deliverer {
    parts: DelivererParts,
    limiters: RateLimiter<DestinationId>,
}

impl Deliverer {
    /// A deliverer made of `parts`.
    pub fn new(parts: DelivererParts) -> Self {
        Self {
            parts,
            limiters: RateLimiter::default(),
        }
    }

    /// How many attempts to destination `id` may be in flight at once:
    /// its own `max_in_flight`, or `delivery.per_destination_concurrency`.
    pub fn max_in_flight(&self, id: DestinationId) -> usize {
        self.parts
            .catalog
            .destination(id)
            .and_then(|d| d.destination.max_in_flight)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(self.parts.config.per_destination_concurrency)
    }

    /// Attempts `delivery` (claimed, status `sending`) once and records the
    /// attempt and the delivery's next state. A delivery held back by its
    /// destination's rate limit is put back without counting an attempt.
    pub async fn attempt(&self, mut delivery: Delivery) -> Result<Delivery, StoreError> {
        let store = &self.parts.store;
        let destination = self.parts.catalog.destination(delivery.destination_id);
        if let Some(destination) = &destination
            && let Some(limit) = destination.destination.rate_limit
            && let Err(wait) = self.take_token(destination.destination.id, limit)
        {
            let at = now_ms().saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1));
            store.defer(&delivery, at)?;
            return Ok(delivery);
        }
        let started_at_ms = now_ms();
        let clock = Instant::now();
        let number = delivery.attempts + 1;
        // `request_id` is filled in from the event's metadata once it is
        // read, so one id follows a webhook from ingest to every attempt
        // (in logs and in exported traces); the result fields once known.
        let span = tracing::info_span!(
            "delivery_attempt",
            delivery = %delivery.id,
            attempt = number,
            destination = %delivery.destination_id,
            event = %delivery.event_id,
            request_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
            status_code = tracing::field::Empty,
            next = tracing::field::Empty,
        );
        let mut sent = self
            .send(&delivery, destination.as_deref())
            .instrument(span.clone())
            .await;
        let finished_ms = now_ms();
        let schedule = destination
            .as_ref()
            .and_then(|d| d.destination.retry_schedule.as_deref())
            .unwrap_or(&self.parts.config.retry_schedule);
        let (status, next_attempt_at_ms, last_error) = match &sent.verdict {
            Verdict::Delivered => (DeliveryStatus::Delivered, None, None),
            Verdict::Skipped => (DeliveryStatus::Skipped, None, sent.error.clone()),
            Verdict::Permanent => (DeliveryStatus::Dead, None, sent.error.clone()),
            Verdict::Retry { not_before } => {
                let retry = number.saturating_sub(delivery.schedule_base);
                match retry_delay(schedule, retry, self.parts.config.jitter, &mut rand::rng()) {
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
            error: sent.error.clone(),
            // Moved, not copied: health only needs the verdict below.
            response_headers: std::mem::take(&mut sent.response_headers),
            response_body: std::mem::take(&mut sent.response_body),
            next_attempt_at_ms,
        };
        self.parts.recorder.record(&delivery, &attempt).await?;
        self.parts
            .metrics
            .delivery_attempt(attempt.outcome, delivery.status);
        span.record("outcome", attempt.outcome.as_str());
        if let Some(code) = attempt.status_code {
            span.record("status_code", code);
        }
        span.record("next", delivery.status.as_str());
        // The outcome, status and next state are the span's fields.
        tracing::info!(parent: &span, "delivery attempt recorded");
        if let Some(destination) = destination {
            self.update_health(&destination, &sent).await?;
        }
        Ok(delivery)
    }

    async fn update_health(&self, destination: &ActiveDestination, sent: &Sent) -> Result<(), StoreError> {
        let id = destination.destination.id;
        let failing_since = destination.destination.failing_since_ms;
        let health = &self.parts.health;
        if sent.status_code == Some(410) {
            health.disable(id, "the destination answered 410 Gone").await
        } else if sent.verdict == Verdict::Delivered {
            health.succeeded(id, failing_since.is_some())
        } else if sent.destination_failed() {
            health.failed(id, failing_since).await
        } else {
            Ok(())
        }
    }

    fn take_token(&self, id: DestinationId, limit: RateLimit) -> Result<(), Duration> {
        match Rate::new(limit.per_second, limit.burst) {
            Some(rate) => self.limiters.take(id, rate, Instant::now()),
            None => Ok(()),
        }
    }

    async fn send(&self, delivery: &Delivery, destination: Option<&ActiveDestination>) -> Sent {
        let parts = &self.parts;
        let destination = match destination {
            Some(d) if d.destination.enabled => d,
            Some(d) => {
                let reason = d
                    .destination
                    .disabled_reason
                    .as_deref()
                    .unwrap_or("by an operator");
                return Sent::failed(
                    AttemptOutcome::DestinationGone,
                    Verdict::Permanent,
                    format!(
                        "the destination is disabled ({reason}); recover its deliveries once it is enabled"
                    ),
                );
            }
            None => {
                return Sent::failed(
                    AttemptOutcome::DestinationGone,
                    Verdict::Permanent,
                    "the destination was deleted",
                );
            }
        };
        if let Some(problem) = &destination.problem {
            return Sent::failed(
                AttemptOutcome::DestinationGone,
                Verdict::Permanent,
                problem.clone(),
            );
        }
        let event = match self.event(delivery) {
            Ok(event) => event,
            Err(sent) => return sent,
        };
        let outgoing = match render(&parts.host, destination, delivery, event).await {
            Ok(outgoing) => outgoing,
            Err(sent) => return sent,
        };
        let url = destination.destination.url.url().clone();
        if destination.destination.https_only && url.scheme() != "https" {
            return Sent::failed(
                AttemptOutcome::Refused,
                Verdict::Permanent,
                "the destination requires https",
            );
        }
        if let Err(refused) = parts.policy.check_url(&url) {
            return Sent::failed(AttemptOutcome::Refused, Verdict::Permanent, refused.to_string());
        }
        // Through a proxy, the proxy resolves the name: check it here first
        // (the proxy should enforce its own egress policy as well).
        if parts.config.proxy.is_some()
            && let Some(url::Host::Domain(name)) = url.host()
            && let Err(error) = super::ssrf::resolve_checked(&parts.policy, name).await
        {
            return Sent::failed(AttemptOutcome::Refused, Verdict::Permanent, error.to_string());
        }
        let timeout = destination
            .destination
            .timeout_ms
            .map_or(parts.config.timeout, Duration::from_millis);
        let now = now_ms();
        let mut request = parts
            .client
            .post(url)
            .timeout(timeout)
            .header("content-type", outgoing.content_type.as_str());
        for (name, value) in signed_headers(
            &destination.destination.active_secrets(now),
            delivery.id.to_string(),
            now,
            &outgoing.body,
        ) {
            request = request.header(name, value);
        }
        // Transformer headers first; the destination's own (e.g. its auth)
        // win on a clash.
        let headers = outgoing
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value.as_str()))
            .chain(destination.headers.iter().map(|(n, v)| (n.clone(), v.as_str())));
        for (name, value) in headers {
            if RESERVED_HEADERS.contains(&name.as_str()) {
                continue;
            }
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(value),
            ) {
                request = request.header(name, value);
            }
        }
        match request.body(outgoing.body).send().await {
            Ok(response) => from_response(response, parts.config.response_preview_bytes).await,
            Err(error) => from_error(&error),
        }
    }

    /// The delivery's event; a vanished event ends the delivery.
    fn event(&self, delivery: &Delivery) -> Result<StoredEvent, Sent> {
        match self.parts.store.event(delivery.event_id) {
            Ok(Some(event)) => {
                if let Some(id) = &event.draft.weir.request_id {
                    tracing::Span::current().record("request_id", id.as_str());
                }
                Ok(event)
            }
            Ok(None) => Err(Sent::failed(
                AttemptOutcome::DestinationGone,
                Verdict::Permanent,
                "the event is no longer stored",
            )),
            Err(error) => Err(Sent::failed(
                AttemptOutcome::NetworkError,
                Verdict::Retry { not_before: None },
                format!("store error: {error}"),
            )),
        }
    }
}
