//! Retry timing: the configured schedule with random jitter, and
//! `Retry-After` honoured within bounds.

use std::time::Duration;

use rand::Rng;

/// The longest `Retry-After` Weir honours; longer requests are capped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The delay before retry number `retry` (1 for the first retry), or `None`
/// when the schedule is exhausted. `jitter` spreads it by ±`jitter`.
pub fn retry_delay(schedule: &[Duration], retry: u32, jitter: f64, rng: &mut impl Rng) -> Option<Duration> {
    let index = usize::try_from(retry.checked_sub(1)?).ok()?;
    let base = *schedule.get(index)?;
    let factor = if jitter > 0.0 {
        rng.random_range(1.0 - jitter..=1.0 + jitter)
    } else {
        1.0
    };
    Some(base.mul_f64(factor.max(0.0)))
}

/// The delay a `Retry-After` value asks for: delta-seconds or an HTTP
/// date, capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_rfc3339_weak(value)
            .ok()
            .or_else(|| httpdate(value))?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(value: &str) -> Option<std::time::SystemTime> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u32 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    humantime::parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}Z")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_schedule_within_jitter() {
        let schedule = [Duration::from_secs(10), Duration::from_secs(100)];
        let mut rng = rand::rng();
        for _ in 0..100 {
            let first = retry_delay(&schedule, 1, 0.2, &mut rng).expect("scheduled");
            assert!(
                first >= Duration::from_secs(8) && first <= Duration::from_secs(12),
                "{first:?}"
            );
        }
        assert_eq!(
            retry_delay(&schedule, 2, 0.0, &mut rng),
            Some(Duration::from_secs(100))
        );
        assert_eq!(retry_delay(&schedule, 3, 0.2, &mut rng), None);
        assert_eq!(retry_delay(&schedule, 0, 0.2, &mut rng), None);
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates_and_is_capped() {
        let now = humantime::parse_rfc3339("2026-11-23T10:00:00Z").expect("time");
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 10:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
