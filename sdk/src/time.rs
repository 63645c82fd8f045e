//! Timestamps as providers send them (unix seconds or milliseconds) turned
//! into the RFC 3339 text events carry.

/// RFC 3339 UTC with milliseconds for `millis` since the Unix epoch, e.g.
/// `2026-11-23T10:00:00.000Z`. Works without a clock or time zone data.
pub fn rfc3339_from_unix_millis(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

/// RFC 3339 UTC for `secs` since the Unix epoch.
pub fn rfc3339_from_unix_secs(secs: i64) -> String {
    rfc3339_from_unix_millis(secs.saturating_mul(1000))
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
}
