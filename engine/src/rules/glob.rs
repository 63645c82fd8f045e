//! [`EventTypePattern`]: globs over dotted event types (`github.*`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A glob over event types. `*` matches any run of characters, dots
/// included: `github.*` matches `github.push`, `stripe.*` matches
/// `stripe.invoice.paid`, `*` matches everything. Other characters match
/// themselves.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EventTypePattern(String);

/// Text that is not an event type pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an event type pattern: use 1-200 of letters, digits, `.`, `_`, `-`, `:`, `/` and `*`")]
pub struct InvalidPattern(pub String);

impl EventTypePattern {
    /// True when `event_type` matches.
    pub fn matches(&self, event_type: &str) -> bool {
        wildcard_match(self.0.as_bytes(), event_type.as_bytes())
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Iterative glob matching with backtracking to the last `*`: linear in
/// practice and never exponential.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

impl FromStr for EventTypePattern {
    type Err = InvalidPattern;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid = !text.is_empty()
            && text.len() <= 200
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-:/*".contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidPattern(text.to_owned()))
        }
    }
}

impl fmt::Display for EventTypePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EventTypePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventTypePattern({})", self.0)
    }
}

impl Serialize for EventTypePattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EventTypePattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, event_type: &str) -> bool {
        pattern
            .parse::<EventTypePattern>()
            .expect("valid")
            .matches(event_type)
    }

    #[test]
    fn globs_match_as_documented() {
        assert!(matches("github.*", "github.push"));
        assert!(matches("github.*", "github.pull_request"));
        assert!(!matches("github.*", "gitlab.push"));
        assert!(!matches("github.*", "github"));
        assert!(matches("stripe.*", "stripe.invoice.paid"));
        assert!(matches("*.push", "gitlab.push"));
        assert!(matches("*", "anything.at.all"));
        assert!(matches("github.push", "github.push"));
        assert!(!matches("github.push", "github.pushed"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in ["", "github push", "github.$", &"x".repeat(201)] {
            assert!(bad.parse::<EventTypePattern>().is_err(), "{bad}");
        }
    }
}

crate::string_schema!(
    EventTypePattern,
    "An event type glob: `*` matches any run of characters, e.g. `github.*`.",
    None,
    "github.*"
);
