//! Wall-clock time as Weir stores it: milliseconds since the Unix epoch,
//! rendered as RFC 3339 for people and CloudEvents.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; the unit of every stored timestamp.
pub type UnixMillis = u64;

/// The current wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> UnixMillis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Formats `ms` as RFC 3339 with millisecond precision, e.g.
/// `2026-11-23T10:00:00.123Z`.
pub fn rfc3339(ms: UnixMillis) -> String {
    // RFC 3339 has four-digit years: later times are written as the last
    // representable millisecond (the formatter would fail, not truncate).
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms.min(MAX_RFC3339_MS))).to_string()
}

/// 9999-12-31T23:59:59.999Z, the latest time RFC 3339 can write.
pub const MAX_RFC3339_MS: UnixMillis = 253_402_300_799_999;

/// Parses an RFC 3339 timestamp into milliseconds since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Option<UnixMillis> {
    let time = humantime::parse_rfc3339_weak(text).ok()?;
    let since = time.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(since.as_millis()).ok()
}

/// Serde support for timestamps stored as milliseconds and written as
/// RFC 3339 text, so stored records and API answers read the same.
pub mod rfc3339_millis {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::UnixMillis;

    /// Writes `ms` as RFC 3339.
    pub fn serialize<S: Serializer>(ms: &UnixMillis, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rfc3339(*ms))
    }

    /// Reads RFC 3339 text back into milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<UnixMillis, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time")))
    }
}

/// Serde support for durations written the human way: `"5s"`, `"250ms"`,
/// `"3days"`.
pub mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Deserializes `"5s"`-style text into a [`Duration`].
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(&text).map_err(|error| {
            serde::de::Error::custom(format!(
                "`{text}` is not a duration like `5s` or `250ms`: {error}"
            ))
        })
    }

    /// Serializes a [`Duration`] as `"5s"`-style text.
    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&humantime::format_duration(*duration).to_string())
    }

    /// The same for lists of durations, e.g. retry schedules.
    pub mod list {
        use std::time::Duration;

        use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

        /// Deserializes `["5s", "5m"]` into durations.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Duration>, D::Error> {
            Vec::<String>::deserialize(deserializer)?
                .iter()
                .map(|text| {
                    humantime::parse_duration(text).map_err(|error| {
                        serde::de::Error::custom(format!(
                            "`{text}` is not a duration like `5s` or `250ms`: {error}"
                        ))
                    })
                })
                .collect()
        }

        /// Serializes durations as `["5s", "5m"]`.
        pub fn serialize<S: Serializer>(durations: &[Duration], serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(durations.len()))?;
            for duration in durations {
                seq.serialize_element(&humantime::format_duration(*duration).to_string())?;
            }
            seq.end()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_past_year_9999_are_written_as_its_last_millisecond() {
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn rfc3339_round_trips() {
        let ms = 1_795_428_000_123;
        let text = rfc3339(ms);
        assert_eq!(text, "2026-11-23T10:00:00.123Z");
        assert_eq!(parse_rfc3339(&text), Some(ms));
    }
}
