//! Unix seconds to RFC 3339, without a date library (components have no
//! clock or time zone database, and need none for UTC).

/// The latest second this module formats: 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Formats `seconds` since the Unix epoch as RFC 3339 UTC, e.g.
/// `1533204620` → `2018-08-02T10:10:20Z`; `None` before 1970 or after 9999.
pub fn rfc3339_from_unix(seconds: i64) -> Option<String> {
    if !(0..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    ))
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_from_unix(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339_from_unix(1_533_204_620).as_deref(),
            Some("2018-08-02T10:10:20Z")
        );
        assert_eq!(
            rfc3339_from_unix(1_795_428_000).as_deref(),
            Some("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            rfc3339_from_unix(951_825_600).as_deref(),
            Some("2000-02-29T12:00:00Z")
        );
        assert_eq!(
            rfc3339_from_unix(MAX_SECONDS).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
    }

    #[test]
    fn refuses_instants_out_of_range() {
        assert_eq!(rfc3339_from_unix(-1), None);
        assert_eq!(rfc3339_from_unix(MAX_SECONDS + 1), None);
    }
}
