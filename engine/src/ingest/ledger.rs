//! [`Ledger`]: the request log record of one webhook request, filled in as
//! the request goes through ingest and handed to the request log writer
//! when the answer is known — or, if the request is abandoned (the client
//! went away and the handler was dropped), when it is dropped, as `499`.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::Instant;

use axum::http::header::{CONTENT_LENGTH, USER_AGENT};
use axum::http::{HeaderMap, Method, StatusCode};

use super::request_log::RequestLog;
use crate::ids::EventId;
use crate::model::{RequestOutcome, RequestRecord, Trigger};
use crate::time::UnixMillis;

/// Longest `User-Agent` kept.
const MAX_USER_AGENT: usize = 256;
/// The status recorded for requests abandoned before an answer (nginx's
/// "client closed request").
const CLIENT_CLOSED: u16 = 499;

/// One request's record in the making.
pub struct Ledger<'a> {
    log: &'a RequestLog,
    started: Instant,
    record: Option<RequestRecord>,
    all_duplicates: bool,
}

impl<'a> Ledger<'a> {
    /// Starts the record of a request that arrived at `received_at` (wall
    /// clock) and `started` (monotonic).
    pub fn new(
        log: &'a RequestLog,
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
        Self {
            log,
            started,
            all_duplicates: false,
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

    /// The request named `trigger`'s key.
    pub fn trigger(&mut self, trigger: &Trigger) {
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

    /// The request's events, and whether every one was a duplicate.
    pub fn events(&mut self, ids: Vec<EventId>, all_duplicates: bool) {
        self.all_duplicates = all_duplicates && !ids.is_empty();
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
