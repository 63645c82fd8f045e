//! Stripe payment events reduced to what a chat message shows.
//!
//! The event data is Stripe's Event object as delivered
//! (`{"object": "event", "type": …, "data": {"object": {…}}}`, see
//! <https://docs.stripe.com/api/events/object>); a bare Charge,
//! PaymentIntent or Invoice object is accepted too.

use serde_json::Value;
use weir_sdk::TransformError;

use crate::Outcome;
use crate::money::format_amount;

/// The Stripe event types that get a payment message (with the `stripe.` prefix).
pub const PAYMENT_EVENT_TYPES: &[&str] = &[
    "stripe.charge.succeeded",
    "stripe.charge.failed",
    "stripe.payment_intent.succeeded",
    "stripe.payment_intent.payment_failed",
    "stripe.invoice.paid",
];

/// Which Stripe object a payment message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// A Charge (`ch_…`).
    Charge,
    /// A PaymentIntent (`pi_…`).
    PaymentIntent,
    /// An Invoice (`in_…`).
    Invoice,
}

/// A payment, ready to be written as a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// What object it is.
    pub kind: PaymentKind,
    /// Succeeded (or paid) vs failed.
    pub outcome: Outcome,
    /// Stripe's id, e.g. `ch_3MmlLrLkdIwHu7ix0snN0B15`.
    pub id: String,
    /// Formatted amount, e.g. `€12.50 EUR`.
    pub amount: String,
    /// Who paid: `Name (email)`, the name or the email, when known.
    pub customer: Option<String>,
    /// The object's description, when set.
    pub description: Option<String>,
    /// Why it failed, e.g. `Your card was declined. (card_declined)`.
    pub failure: Option<String>,
    /// The invoice number, e.g. `F3A9C2D1-0007`.
    pub number: Option<String>,
    /// The object in the Stripe Dashboard (the test-mode Dashboard when
    /// `livemode` is false).
    pub url: String,
    /// False for test-mode objects.
    pub livemode: bool,
}

impl Payment {
    /// A short headline, e.g. `Payment succeeded`, `Invoice F3A9C2D1-0007 paid`.
    pub fn headline(&self) -> String {
        match (self.kind, self.outcome) {
            (PaymentKind::Invoice, _) => match &self.number {
                Some(number) => format!("Invoice {number} paid"),
                None => "Invoice paid".to_owned(),
            },
            (_, Outcome::Failure) => "Payment failed".to_owned(),
            _ => "Payment succeeded".to_owned(),
        }
    }
}

fn unsupported(event_type: &str, why: &str) -> TransformError {
    TransformError::UnsupportedEvent(format!("`{event_type}` data {why}"))
}

/// Reads the payment an event describes; `unsupported-event` for other
/// event types or data of the wrong shape.
pub fn payment(event_type: &str, data: &str) -> Result<Payment, TransformError> {
    let (kind, outcome, object_name) = match event_type {
        "stripe.charge.succeeded" => (PaymentKind::Charge, Outcome::Success, "charge"),
        "stripe.charge.failed" => (PaymentKind::Charge, Outcome::Failure, "charge"),
        "stripe.payment_intent.succeeded" => (PaymentKind::PaymentIntent, Outcome::Success, "payment_intent"),
        "stripe.payment_intent.payment_failed" => {
            (PaymentKind::PaymentIntent, Outcome::Failure, "payment_intent")
        }
        "stripe.invoice.paid" => (PaymentKind::Invoice, Outcome::Success, "invoice"),
        other => {
            return Err(TransformError::UnsupportedEvent(format!(
                "`{other}` is not a Stripe payment event"
            )));
        }
    };
    let data: Value = serde_json::from_str(data).map_err(|_| unsupported(event_type, "is not JSON"))?;
    let object = match data.get("object").and_then(Value::as_str) {
        Some("event") => data.pointer("/data/object").unwrap_or(&Value::Null),
        _ => &data,
    };
    if object.get("object").and_then(Value::as_str) != Some(object_name) {
        return Err(unsupported(
            event_type,
            &format!("does not hold a Stripe `{object_name}` object"),
        ));
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let id = text("id").ok_or_else(|| unsupported(event_type, &format!("has no `{object_name}.id`")))?;
    let amount_key = match (kind, outcome) {
        (PaymentKind::Invoice, _) => "amount_paid",
        (PaymentKind::PaymentIntent, Outcome::Success) if object.get("amount_received").is_some() => {
            "amount_received"
        }
        _ => "amount",
    };
    let minor = object.get(amount_key).and_then(Value::as_i64).ok_or_else(|| {
        unsupported(
            event_type,
            &format!("has no integer `{object_name}.{amount_key}`"),
        )
    })?;
    let currency = text("currency")
        .filter(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_alphabetic()))
        .ok_or_else(|| unsupported(event_type, &format!("has no 3-letter `{object_name}.currency`")))?;
    let livemode = object.get("livemode").and_then(Value::as_bool).unwrap_or(false);
    Ok(Payment {
        kind,
        outcome,
        id: id.to_owned(),
        amount: format_amount(minor, currency),
        customer: customer(kind, object),
        description: text("description").map(str::to_owned),
        failure: (outcome == Outcome::Failure)
            .then(|| failure(kind, object))
            .flatten(),
        number: text("number").map(str::to_owned),
        url: dashboard_url(kind, id, livemode),
        livemode,
    })
}

/// `Name (email)`, the name, or the email, from wherever the object keeps them.
fn customer(kind: PaymentKind, object: &Value) -> Option<String> {
    let at = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (name, email) = match kind {
        PaymentKind::Charge => (
            at("/billing_details/name"),
            at("/billing_details/email").or_else(|| at("/receipt_email")),
        ),
        PaymentKind::PaymentIntent => (at("/shipping/name"), at("/receipt_email")),
        PaymentKind::Invoice => (at("/customer_name"), at("/customer_email")),
    };
    match (name, email) {
        (Some(name), Some(email)) => Some(format!("{name} ({email})")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// The decline message and code, e.g. `Your card has insufficient funds. (insufficient_funds)`.
fn failure(kind: PaymentKind, object: &Value) -> Option<String> {
    let at = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (message, code) = match kind {
        PaymentKind::Charge => (
            at("/failure_message").or_else(|| at("/outcome/seller_message")),
            at("/failure_code").or_else(|| at("/outcome/reason")),
        ),
        PaymentKind::PaymentIntent => (
            at("/last_payment_error/message"),
            at("/last_payment_error/decline_code").or_else(|| at("/last_payment_error/code")),
        ),
        PaymentKind::Invoice => (None, None),
    };
    match (message, code) {
        (Some(message), Some(code)) => Some(format!("{message} ({code})")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// The object's page in the Stripe Dashboard.
pub fn dashboard_url(kind: PaymentKind, id: &str, livemode: bool) -> String {
    let mode = if livemode { "" } else { "test/" };
    let section = match kind {
        PaymentKind::Charge | PaymentKind::PaymentIntent => "payments",
        PaymentKind::Invoice => "invoices",
    };
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("https://dashboard.stripe.com/{mode}{section}/{id}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str, object: Value) -> String {
        json!({"id": "evt_1", "object": "event", "type": kind, "data": {"object": object}}).to_string()
    }

    #[test]
    fn a_charge_in_an_event_envelope() {
        let data = event(
            "charge.succeeded",
            json!({"object": "charge", "id": "ch_1", "amount": 1250, "currency": "eur", "livemode": true,
                   "description": "Order", "billing_details": {"name": "Jenny", "email": "j@example.com"}}),
        );
        let payment = payment("stripe.charge.succeeded", &data).expect("payment");
        assert_eq!(payment.amount, "€12.50 EUR");
        assert_eq!(payment.customer.as_deref(), Some("Jenny (j@example.com)"));
        assert_eq!(payment.url, "https://dashboard.stripe.com/payments/ch_1");
        assert_eq!(payment.headline(), "Payment succeeded");
        assert_eq!(payment.failure, None);
    }

    #[test]
    fn failures_carry_the_reason() {
        let data = json!({"object": "payment_intent", "id": "pi_1", "amount": 8900, "currency": "gbp",
                          "last_payment_error": {"message": "Insufficient funds.", "code": "card_declined",
                                                 "decline_code": "insufficient_funds"}})
        .to_string();
        let payment = payment("stripe.payment_intent.payment_failed", &data).expect("payment");
        assert_eq!(
            payment.failure.as_deref(),
            Some("Insufficient funds. (insufficient_funds)")
        );
        assert_eq!(payment.url, "https://dashboard.stripe.com/test/payments/pi_1");
        assert_eq!(payment.headline(), "Payment failed");
        let charge = event(
            "charge.failed",
            json!({"object": "charge", "id": "ch_2", "amount": 100, "currency": "usd",
                   "failure_message": "Your card was declined.", "failure_code": "card_declined"}),
        );
        let charge = payment_of("stripe.charge.failed", &charge);
        assert_eq!(
            charge.failure.as_deref(),
            Some("Your card was declined. (card_declined)")
        );
    }

    fn payment_of(kind: &str, data: &str) -> Payment {
        payment(kind, data).expect("payment")
    }

    #[test]
    fn invoices_use_amount_paid_and_number() {
        let data = event(
            "invoice.paid",
            json!({"object": "invoice", "id": "in_1", "amount_paid": 150000, "amount_due": 1, "currency": "jpy",
                   "number": "A-7", "customer_email": "x@example.com"}),
        );
        let invoice = payment_of("stripe.invoice.paid", &data);
        assert_eq!(invoice.amount, "¥150,000 JPY");
        assert_eq!(invoice.headline(), "Invoice A-7 paid");
        assert_eq!(invoice.url, "https://dashboard.stripe.com/test/invoices/in_1");
    }

    #[test]
    fn wrong_shapes_are_unsupported() {
        let cases = [
            ("stripe.charge.succeeded", json!({"id": "ch_1"}).to_string()),
            (
                "stripe.charge.succeeded",
                event("charge.succeeded", json!({"object": "invoice", "id": "in_1"})),
            ),
            (
                "stripe.charge.succeeded",
                json!({"object": "charge", "id": "ch_1", "currency": "usd"}).to_string(),
            ),
            (
                "stripe.charge.succeeded",
                json!({"object": "charge", "id": "ch_1", "amount": 1}).to_string(),
            ),
            ("stripe.charge.succeeded", "[".to_owned()),
            ("stripe.customer.created", json!({}).to_string()),
        ];
        for (kind, data) in cases {
            assert!(
                matches!(payment(kind, &data), Err(TransformError::UnsupportedEvent(_))),
                "{kind} {data}"
            );
        }
    }

    #[test]
    fn dashboard_ids_are_sanitised() {
        assert_eq!(
            dashboard_url(PaymentKind::Charge, "ch_1/../x?y", true),
            "https://dashboard.stripe.com/payments/ch_1xy"
        );
    }
}
