//! [`Ledger`]: the request log record of one webhook request, filled in as
//! the request goes through ingest and handed to the request log writer
//! when the answer is known — or, if the request is abandoned (the client
//! went away and the handler was dropped), when it is dropped, as `499`.
//! The same facts go onto the request's `ingest` tracing span.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::Instant;

use axum::http::header::{CONTENT_LENGTH, USER_AGENT};
use axum::http::{HeaderMap, Method, StatusCode};
use tracing::field::Empty;

use super::request_log::RequestLog;
use crate::ids::EventId;
use crate::metrics::Metrics;
use crate::model::{RequestOutcome, RequestRecord, Trigger};
use crate::time::UnixMillis;

/// Longest `User-Agent` kept.
const MAX_USER_AGENT: usize = 256;
/// The status recorded for requests abandoned before an answer (nginx's
/// "client closed request").
const CLIENT_CLOSED: u16 = 499;

/// One request's record in the making.
pub struct Ledger<'a> {
    span: tracing::Span,
    log: &'a RequestLog,
    metrics: &'a Metrics,
    started: Instant,
    record: Option<RequestRecord>,
    all_duplicates: bool,
    duplicates: usize,
}

impl<'a> Ledger<'a> {
    /// Starts the record of a request that arrived at `received_at` (wall
    /// clock) and `started` (monotonic), and its `ingest` span (a child of
    /// the current one, the `request` span with the request id).
    pub fn new(
        log: &'a RequestLog,
        metrics: &'a Metrics,
        started: Instant,
        received_at: UnixMillis,
        method: &Method,
        client: IpAddr,
        headers: &HeaderMap,
    ) -> Self {
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|text| text[..text.floor_char_boundary(MAX_USER_AGENT)].to_owned());
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        // `debug`: log lines already have the `request` span with the
        // request id, and trace export takes Weir's spans down to `debug`
        // (see `telemetry`), so on the hot path this span costs nothing
        // unless traces are exported. Fields are recorded as they become
        // known.
        let span = tracing::debug_span!(
            "ingest",
            trigger = Empty,
            tenant = Empty,
            outcome = Empty,
            status = Empty,
            error_code = Empty,
            events = Empty,
        );
        Self {
            span,
            log,
            metrics,
            started,
            all_duplicates: false,
            duplicates: 0,
            record: Some(RequestRecord {
                id: log.next_id(received_at),
                received_at,
                trigger_id: None,
                tenant_id: None,
                method: method_name(method),
                status: 0,
                outcome: RequestOutcome::Rejected,
                error_code: None,
                event_ids: Vec::new(),
                client_address: client,
                user_agent,
                body_bytes: declared,
                duration_us: 0,
            }),
        }
    }

    /// The `ingest` span, to run the request's handling in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// The request named `trigger`'s key.
    pub fn trigger(&mut self, trigger: &Trigger) {
        self.span.record("trigger", tracing::field::display(trigger.id));
        self.span
            .record("tenant", tracing::field::display(trigger.tenant_id));
        if let Some(record) = &mut self.record {
            record.trigger_id = Some(trigger.id);
            record.tenant_id = Some(trigger.tenant_id);
        }
    }

    /// The body was read: `bytes` long.
    pub fn body_read(&mut self, bytes: usize) {
        if let Some(record) = &mut self.record {
            record.body_bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        }
    }

    /// The request's events, `duplicates` of them already stored before.
    pub fn events(&mut self, ids: Vec<EventId>, duplicates: usize) {
        self.all_duplicates = duplicates == ids.len() && !ids.is_empty();
        self.duplicates = duplicates;
        if let Some(record) = &mut self.record {
            record.event_ids = ids;
        }
    }

    /// Records the answer: `status`, and `error_code` when it is an error.
    pub fn finish(mut self, status: StatusCode, error_code: Option<&'static str>) {
        self.send(status.as_u16(), error_code.map(Cow::Borrowed));
    }

    fn send(&mut self, status: u16, error_code: Option<Cow<'static, str>>) {
        let Some(mut record) = self.record.take() else {
            return;
        };
        record.status = status;
        record.outcome = RequestOutcome::of(status, self.all_duplicates);
        record.error_code = match (record.outcome, error_code) {
            (RequestOutcome::Rejected, None) => Some(Cow::Borrowed("connector_reply")),
            (RequestOutcome::Rejected, code) => code,
            _ => None,
        };
        record.duration_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.span.record("status", status);
        self.span.record("outcome", outcome_label(record.outcome));
        self.span.record("events", record.event_ids.len());
        if let Some(code) = &record.error_code {
            self.span.record("error_code", code.as_ref());
        }
        let trigger = record
            .trigger_id
            .map_or_else(|| "unknown".to_owned(), |id| id.to_string());
        match (record.outcome, &record.error_code) {
            (RequestOutcome::Rejected, code) => self
                .metrics
                .webhook_rejected(&trigger, code.as_deref().unwrap_or("unknown")),
            _ if !record.event_ids.is_empty() => {
                let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
                let duplicates = self.duplicates.min(record.event_ids.len());
                self.metrics.webhook_events(
                    &trigger,
                    count(record.event_ids.len() - duplicates),
                    count(duplicates),
                );
            }
            _ => {}
        }
        self.log.record(record);
    }
}

impl Drop for Ledger<'_> {
    fn drop(&mut self) {
        if self.record.is_some() {
            self.send(CLIENT_CLOSED, Some(Cow::Borrowed("client_closed_request")));
        }
    }
}

/// The outcome as the request log's API spells it.
fn outcome_label(outcome: RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Accepted => "accepted",
        RequestOutcome::Duplicate => "duplicate",
        RequestOutcome::Rejected => "rejected",
    }
}

/// The method's name, without allocating for the common ones.
fn method_name(method: &Method) -> Cow<'static, str> {
    let known = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    const NAMES: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    known.iter().position(|m| m == method).map_or_else(
        || Cow::Owned(method.as_str().to_owned()),
        |i| Cow::Borrowed(NAMES[i]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_methods_are_borrowed() {
        assert!(matches!(method_name(&Method::POST), Cow::Borrowed("POST")));
        let custom = Method::from_bytes(b"PURGE").expect("method");
        assert_eq!(method_name(&custom), "PURGE");
    }
}
