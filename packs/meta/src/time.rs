//! RFC 3339 text for the Unix times Meta sends, without a date library.

/// Latest second this module formats: 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;
/// Times above this are taken to be milliseconds: as seconds they would be
/// after the year 5000, as milliseconds they are after March 1973.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// An entry's `time` as RFC 3339. Graph API notifications give seconds,
/// Messenger ones milliseconds; both are recognised by size.
pub fn rfc3339_from_entry_time(time: i64) -> Option<String> {
    if time > MILLIS_THRESHOLD {
        rfc3339(time.div_euclid(1000), time.rem_euclid(1000))
    } else {
        rfc3339(time, 0)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z`, or `None` outside 1970 to 9999.
fn rfc3339(seconds: i64, millis: i64) -> Option<String> {
    if !(0..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    let fraction = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}")
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
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
    fn seconds_and_milliseconds_are_told_apart() {
        assert_eq!(
            rfc3339_from_entry_time(1_520_383_571).as_deref(),
            Some("2018-03-07T00:46:11Z")
        );
        assert_eq!(
            rfc3339_from_entry_time(1_458_692_752_478).as_deref(),
            Some("2016-03-23T00:25:52.478Z")
        );
        assert_eq!(
            rfc3339_from_entry_time(1_458_692_752_000).as_deref(),
            Some("2016-03-23T00:25:52Z")
        );
        assert_eq!(
            rfc3339_from_entry_time(0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339_from_entry_time(951_782_400).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
    }

    #[test]
    fn out_of_range_times_give_none() {
        assert_eq!(rfc3339_from_entry_time(-1), None);
        assert_eq!(rfc3339_from_entry_time(i64::MAX), None);
    }
}
