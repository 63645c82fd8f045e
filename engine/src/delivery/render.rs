//! The body a delivery sends: the transformer's output (or the event data
//! as it came in), encrypted to the receiver's key when the destination
//! asks for it.

use super::send::{Sent, Verdict};
use crate::catalog::ActiveDestination;
use crate::crypto::envelope;
use crate::host::{CallError, Event, Outgoing, PluginHost, TransformError};
use crate::model::{AttemptOutcome, Delivery, StoredEvent};

/// Produces the outgoing body for `delivery` of `event` (taken by value:
/// its data moves into the body or the transformer's input uncopied).
pub async fn render(
    host: &PluginHost,
    destination: &ActiveDestination,
    delivery: &Delivery,
    event: StoredEvent,
) -> Result<Outgoing, Sent> {
    let outgoing = transform(host, delivery, event).await?;
    let Some(key) = &destination.encryption_key else {
        return Ok(outgoing);
    };
    let key_id = destination
        .destination
        .encryption
        .as_ref()
        .and_then(|e| e.key_id.as_deref());
    let sealed = envelope::seal(
        key,
        key_id,
        &delivery.id.to_string(),
        &outgoing.content_type,
        &outgoing.body,
    )
    .map_err(|error| {
        Sent::failed(
            AttemptOutcome::TransformFailed,
            Verdict::Permanent,
            error.to_string(),
        )
    })?;
    Ok(Outgoing {
        body: sealed,
        content_type: "application/json".to_owned(),
        headers: outgoing.headers,
    })
}

async fn transform(host: &PluginHost, delivery: &Delivery, event: StoredEvent) -> Result<Outgoing, Sent> {
    let data = String::from(Box::<str>::from(event.draft.data));
    let Some(transformer) = &delivery.transformer else {
        return Ok(Outgoing {
            body: data.into_bytes(),
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
        });
    };
    let input = Event {
        id: event.id.to_string(),
        source: event.draft.source,
        event_type: event.draft.event_type,
        subject: event.draft.subject,
        time: event.draft.time,
        data,
    };
    let config = delivery.transformer_config.to_string();
    match host.transform(transformer, &input, &config).await {
        Ok(Ok(outgoing)) => Ok(outgoing),
        Ok(Err(TransformError::Skip(reason))) => {
            Err(Sent::failed(AttemptOutcome::Skipped, Verdict::Skipped, reason))
        }
        Ok(Err(error)) => Err(Sent::failed(
            AttemptOutcome::TransformFailed,
            Verdict::Permanent,
            format!("transformer `{transformer}`: {}", describe(&error)),
        )),
        // A missing, busy, quarantined or crashing transformer may be fixed
        // or freed before the schedule runs out: retry (not before a
        // quarantine ends), dead-lettered with the reason once exhausted.
        Err(error) => Err(Sent::failed(
            AttemptOutcome::TransformFailed,
            Verdict::Retry {
                not_before: error
                    .retry_after()
                    .filter(|_| matches!(error, CallError::Quarantined { .. })),
            },
            error.to_string(),
        )),
    }
}

/// A transformer's typed error, for people.
pub fn describe(error: &TransformError) -> String {
    match error {
        TransformError::InvalidConfig(reason) => format!("invalid config: {reason}"),
        TransformError::UnsupportedEvent(reason) => format!("unsupported event: {reason}"),
        TransformError::Skip(reason) => format!("skipped: {reason}"),
        TransformError::Failed(reason) => format!("failed: {reason}"),
    }
}
