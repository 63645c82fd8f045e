//! [`ComponentRef`]: how triggers and rules name a pack component.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A reference to a component: `<pack>/<component>`, or just `<pack>` when
/// the pack has a component of the same name (`github` means
/// `github/github`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentRef {
    /// Pack name, e.g. `github`.
    pub pack: String,
    /// Component name within the pack, e.g. `github`.
    pub component: String,
}

/// Text that is not a component reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a component reference: use `<pack>` or `<pack>/<component>` with lowercase letters, digits and `-`"
)]
pub struct InvalidComponentRef(pub String);

impl ComponentRef {
    /// A reference to `component` in `pack`.
    pub fn new(pack: impl Into<String>, component: impl Into<String>) -> Self {
        Self {
            pack: pack.into(),
            component: component.into(),
        }
    }
}

/// Pack and component names: 1–64 of `a-z`, `0-9`, `-`, starting with a letter.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && name.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FromStr for ComponentRef {
    type Err = InvalidComponentRef;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (pack, component) = text.split_once('/').unwrap_or((text, text));
        if is_valid_name(pack) && is_valid_name(component) {
            Ok(Self::new(pack, component))
        } else {
            Err(InvalidComponentRef(text.to_owned()))
        }
    }
}

impl fmt::Display for ComponentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pack == self.component {
            f.write_str(&self.pack)
        } else {
            write!(f, "{}/{}", self.pack, self.component)
        }
    }
}

impl Serialize for ComponentRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ComponentRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms() {
        let short: ComponentRef = "github".parse().expect("valid");
        assert_eq!(short, ComponentRef::new("github", "github"));
        assert_eq!(short.to_string(), "github");
        let long: ComponentRef = "chat/slack-blocks".parse().expect("valid");
        assert_eq!(long.to_string(), "chat/slack-blocks");
        for bad in ["", "GitHub", "a/b/c", "9lives", "x/", "a b"] {
            assert!(bad.parse::<ComponentRef>().is_err(), "{bad}");
        }
    }
}

crate::string_schema!(
    ComponentRef,
    "A component of a loaded pack: `pack/component`, or `pack` when the component has the pack's name.",
    Some("^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9_-]*)?$"),
    "slack"
);
