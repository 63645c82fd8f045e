//! Timestamps as providers send them (unix seconds or milliseconds) turned
//! into the RFC 3339 text events carry.

/// The last second the `checked` functions format: 9999-12-31T23:59:59Z.
const MAX_CHECKED_SECS: i64 = 253_402_300_799;

/// RFC 3339 UTC with milliseconds for `millis` since the Unix epoch, e.g.
/// `2026-11-23T10:00:00.000Z`. Works without a clock or time zone data.
pub fn rfc3339_from_unix_millis(millis: i64) -> String {
    let ms = millis.rem_euclid(1000);
    format_utc(millis.div_euclid(1000), &format!(".{ms:03}"))
}

/// RFC 3339 UTC for `secs` since the Unix epoch.
pub fn rfc3339_from_unix_secs(secs: i64) -> String {
    rfc3339_from_unix_millis(secs.saturating_mul(1000))
}

/// RFC 3339 UTC for `millis` since the Unix epoch, written as providers
/// write it: whole seconds without a fraction (`2018-08-02T10:10:20Z`),
/// milliseconds only when there are some (`2016-03-23T00:25:52.478Z`).
/// `None` before 1970 or after 9999, where a provider's number is more
/// likely garbage than a date: leave the event's time unset then.
pub fn rfc3339_checked_from_unix_millis(millis: i64) -> Option<String> {
    let secs = millis.div_euclid(1000);
    if !(0..=MAX_CHECKED_SECS).contains(&secs) {
        return None;
    }
    let ms = millis.rem_euclid(1000);
    let fraction = if ms == 0 {
        String::new()
    } else {
        format!(".{ms:03}")
    };
    Some(format_utc(secs, &fraction))
}

/// [`rfc3339_checked_from_unix_millis`] for whole seconds: e.g.
/// `1533204620` → `2018-08-02T10:10:20Z`; `None` before 1970 or after 9999.
pub fn rfc3339_checked_from_unix_secs(secs: i64) -> Option<String> {
    rfc3339_checked_from_unix_millis(secs.checked_mul(1000)?)
}

/// `YYYY-MM-DDTHH:MM:SS{fraction}Z` for `secs` since the Unix epoch.
fn format_utc(secs: i64, fraction: &str) -> String {
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339_from_unix_secs(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_from_unix_millis(1_795_428_000_123),
            "2026-11-23T10:00:00.123Z"
        );
        assert_eq!(rfc3339_from_unix_secs(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_from_unix_secs(-1), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn checked_times_read_like_the_providers_and_refuse_odd_numbers() {
        assert_eq!(
            rfc3339_checked_from_unix_secs(1_533_204_620).as_deref(),
            Some("2018-08-02T10:10:20Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_millis(1_458_692_752_478).as_deref(),
            Some("2016-03-23T00:25:52.478Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_millis(1_458_692_752_000).as_deref(),
            Some("2016-03-23T00:25:52Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_secs(0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_secs(951_782_400).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_secs(MAX_CHECKED_SECS).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(
            rfc3339_checked_from_unix_millis(MAX_CHECKED_SECS * 1000 + 999).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        for secs in [-1, MAX_CHECKED_SECS + 1, i64::MAX, i64::MIN] {
            assert_eq!(rfc3339_checked_from_unix_secs(secs), None, "{secs}");
        }
        assert_eq!(rfc3339_checked_from_unix_millis(-1), None);
        assert_eq!(rfc3339_checked_from_unix_millis(i64::MAX), None);
    }
}
