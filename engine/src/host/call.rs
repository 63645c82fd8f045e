//! One pack call: a fresh `Store` with limits and a deadline, instantiate,
//! call, classify any failure into a typed [`CallError`], enforce the
//! output cap and forward the guest's stdout/stderr to the log — all in a
//! `pack_call` tracing span (component, kind, outcome).

use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument as _;
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use super::PluginHost;
use super::bindings::{Event, Outgoing, Receipt, Rejection, Secret, TransformError, WebhookRequest};
use super::loader::CallLimits;
use super::state::CallState;
use crate::model::ComponentRef;

/// Bytes of a guest's stdout/stderr kept per call.
const GUEST_OUTPUT_CAP: usize = 16 * 1024;

/// A pack call that failed for a reason other than the pack's own typed
/// answer (a rejection or transform error). Each variant is counted per
/// component and maps to a retry decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No loaded pack provides the component.
    #[error("no {kind} `{reference}` is loaded")]
    NotFound {
        /// `connector` or `transformer`.
        kind: &'static str,
        /// The reference asked for.
        reference: String,
    },
    /// The call ran past its deadline and was interrupted.
    #[error("{component} ran past its {limit_ms} ms deadline and was stopped")]
    Timeout {
        /// `pack/component`.
        component: String,
        /// The deadline.
        limit_ms: u64,
    },
    /// The call tried to use more memory than allowed.
    #[error("{component} exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit {
        /// `pack/component`.
        component: String,
        /// The limit.
        limit_bytes: usize,
    },
    /// The call recursed past the stack limit.
    #[error("{component} exhausted its stack")]
    StackOverflow {
        /// `pack/component`.
        component: String,
    },
    /// The call returned more output than allowed.
    #[error("{component} returned {size} bytes, over the {limit} byte output limit")]
    OutputTooLarge {
        /// `pack/component`.
        component: String,
        /// What it returned.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The guest trapped (panicked, hit `unreachable`, …).
    #[error("{component} trapped: {message}")]
    Trap {
        /// `pack/component`.
        component: String,
        /// The trap.
        message: String,
    },
    /// Every pack instance slot is in use; retry later.
    #[error("all pack instance slots are busy; retry later")]
    Busy,
    /// The component failed repeatedly and is quarantined until `until_ms`.
    #[error("{component} is quarantined ({reason})")]
    Quarantined {
        /// `pack/component`.
        component: String,
        /// When the quarantine ends, in milliseconds since the epoch.
        until_ms: u64,
        /// Why it was quarantined.
        reason: String,
    },
}

impl CallError {
    /// A stable name for metrics and error codes, e.g. `timeout`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Timeout { .. } => "timeout",
            Self::MemoryLimit { .. } => "memory_limit",
            Self::StackOverflow { .. } => "stack_overflow",
            Self::OutputTooLarge { .. } => "output_too_large",
            Self::Trap { .. } => "trap",
            Self::Busy => "busy",
            Self::Quarantined { .. } => "quarantined",
        }
    }

    /// True for failures that are the component's own doing (and count
    /// towards its quarantine), as opposed to the host's situation.
    pub fn is_component_fault(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::MemoryLimit { .. }
                | Self::StackOverflow { .. }
                | Self::OutputTooLarge { .. }
                | Self::Trap { .. }
        )
    }

    /// For `Quarantined`: how long until it ends.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Quarantined { until_ms, .. } => Some(std::time::Duration::from_millis(
                until_ms.saturating_sub(crate::time::now_ms()),
            )),
            Self::Busy => Some(std::time::Duration::from_secs(1)),
            _ => None,
        }
    }
}

impl PluginHost {
    /// Runs connector `reference` on `request`.
    pub async fn receive(
        &self,
        reference: &ComponentRef,
        request: &WebhookRequest,
        secrets: &[Secret],
        config: &str,
    ) -> Result<Result<Receipt, Rejection>, CallError> {
        let connector = self
            .registry()
            .connector(reference)
            .ok_or_else(|| CallError::NotFound {
                kind: "connector",
                reference: reference.to_string(),
            })?;
        self.health.check(&connector.label)?;
        let span = call_span(&connector.label, "connector");
        let started = Instant::now();
        let mut store = self.new_store(Arc::clone(&connector.label), connector.limits);
        let result = async {
            let instance = connector.pre.instantiate_async(&mut store).await?;
            instance
                .weir_pack_inbound()
                .call_receive(&mut store, request, secrets, config)
                .await
        }
        .instrument(span.clone())
        .await;
        let result = span.in_scope(|| {
            self.finish(&mut store, connector.limits, result, |answer| match answer {
                Ok(receipt) => receipt_size(receipt),
                Err(_) => 0,
            })
        });
        self.conclude(&span, &connector.label, started, &result, "rejected");
        result
    }

    /// Runs transformer `reference` on `event`.
    pub async fn transform(
        &self,
        reference: &ComponentRef,
        event: &Event,
        config: &str,
    ) -> Result<Result<Outgoing, TransformError>, CallError> {
        let transformer = self
            .registry()
            .transformer(reference)
            .ok_or_else(|| CallError::NotFound {
                kind: "transformer",
                reference: reference.to_string(),
            })?;
        self.health.check(&transformer.label)?;
        let span = call_span(&transformer.label, "transformer");
        let started = Instant::now();
        let mut store = self.new_store(Arc::clone(&transformer.label), transformer.limits);
        let result = async {
            let instance = transformer.pre.instantiate_async(&mut store).await?;
            instance
                .weir_pack_outbound()
                .call_transform(&mut store, event, config)
                .await
        }
        .instrument(span.clone())
        .await;
        let result = span.in_scope(|| {
            self.finish(&mut store, transformer.limits, result, |answer| match answer {
                Ok(outgoing) => {
                    outgoing.body.len()
                        + outgoing.content_type.len()
                        + outgoing
                            .headers
                            .iter()
                            .map(|h| h.name.len() + h.value.len())
                            .sum::<usize>()
                }
                Err(_) => 0,
            })
        });
        self.conclude(&span, &transformer.label, started, &result, "transform_error");
        result
    }

    /// Records a finished call's outcome on its span (`ok`, `refused` when
    /// the pack answered with its own error, or the call error's kind) and
    /// in the component's health.
    fn conclude<T, E>(
        &self,
        span: &tracing::Span,
        label: &str,
        started: Instant,
        result: &Result<Result<T, E>, CallError>,
        refused: &'static str,
    ) {
        let outcome = match result {
            Ok(Ok(_)) => "ok",
            Ok(Err(_)) => refused,
            Err(error) => error.kind(),
        };
        span.record("outcome", outcome);
        self.health
            .record(label, started.elapsed(), result.as_ref().err());
    }

    /// A store for one call: memory limit, deadline checked every epoch
    /// tick (yielding to other tasks in between), captured output.
    fn new_store(&self, component: Arc<str>, limits: CallLimits) -> Store<CallState> {
        let deadline = Instant::now() + std::time::Duration::from_millis(limits.call_timeout_ms);
        let state = CallState::new(component, limits.memory_bytes, deadline, GUEST_OUTPUT_CAP);
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|context| {
            if Instant::now() >= context.data().deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    fn finish<T>(
        &self,
        store: &mut Store<CallState>,
        limits: CallLimits,
        result: wasmtime::Result<T>,
        output_size: impl Fn(&T) -> usize,
    ) -> Result<T, CallError> {
        let state = store.data();
        let component = state.component.to_string();
        forward_output(state);
        match result {
            Ok(value) => {
                let size = output_size(&value);
                if size > self.limits.max_output_bytes {
                    Err(CallError::OutputTooLarge {
                        component,
                        size,
                        limit: self.limits.max_output_bytes,
                    })
                } else {
                    Ok(value)
                }
            }
            Err(error) => {
                let error = classify(&error, state, component, limits);
                tracing::warn!(error = %error, kind = error.kind(), "pack call failed");
                Err(error)
            }
        }
    }
}

/// The span of one call of `component` (`pack/component`), a `kind`
/// (`connector` or `transformer`); `outcome` is recorded at the end: `ok`,
/// the pack's own refusal (`rejected`, `transform_error`) or the
/// [`CallError::kind`]. `debug`, like `ingest`: nothing is spent on it
/// unless traces are exported (or `RUST_LOG` asks for it).
fn call_span(component: &str, kind: &'static str) -> tracing::Span {
    tracing::debug_span!("pack_call", component, kind, outcome = tracing::field::Empty)
}

/// Turns a wasmtime error into the typed failure it stands for.
fn classify(error: &wasmtime::Error, state: &CallState, component: String, limits: CallLimits) -> CallError {
    if state.limiter.memory_exceeded {
        return CallError::MemoryLimit {
            component,
            limit_bytes: limits.memory_bytes,
        };
    }
    if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        return CallError::Busy;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Timeout {
            component,
            limit_ms: limits.call_timeout_ms,
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow { component },
        _ => CallError::Trap {
            component,
            message: format!("{error:#}").lines().next().unwrap_or_default().to_owned(),
        },
    }
}

fn receipt_size(receipt: &Receipt) -> usize {
    let events: usize = receipt
        .events
        .iter()
        .map(|e| {
            e.event_type.len()
                + e.idempotency_key.len()
                + e.data.len()
                + e.subject.as_ref().map_or(0, String::len)
                + e.time.as_ref().map_or(0, String::len)
        })
        .sum();
    let reply = receipt.reply.as_ref().map_or(0, |r| {
        r.body.len()
            + r.headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>()
    });
    events + reply
}

/// Writes what the guest printed to the log, one event per call.
fn forward_output(state: &CallState) {
    let (bytes, dropped) = state.output.take();
    if bytes.is_empty() && dropped == 0 {
        return;
    }
    let text = String::from_utf8_lossy(&bytes);
    tracing::info!(
        target: "weir::pack",
        component = &*state.component,
        dropped_bytes = dropped,
        "guest output: {}",
        text.trim_end()
    );
}
