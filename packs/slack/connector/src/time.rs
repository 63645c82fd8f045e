//! RFC 3339 text for Unix times, without a date library.

/// Latest second this module formats: 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// `seconds` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`, or `None` when
/// it is before 1970 or after the year 9999.
pub fn rfc3339_from_seconds(seconds: i64) -> Option<String> {
    if !(0..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    ))
}

/// Year, month and day of the day `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_from_seconds(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339_from_seconds(1_531_420_618).as_deref(),
            Some("2018-07-12T18:36:58Z")
        );
        assert_eq!(
            rfc3339_from_seconds(951_782_400).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
        assert_eq!(
            rfc3339_from_seconds(1_795_428_000).as_deref(),
            Some("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            rfc3339_from_seconds(MAX_SECONDS).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
    }

    #[test]
    fn refuses_out_of_range_instants() {
        assert_eq!(rfc3339_from_seconds(-1), None);
        assert_eq!(rfc3339_from_seconds(MAX_SECONDS + 1), None);
    }
}
