//! Email addresses, checked minimally: one `@`, no whitespace inside the
//! address, and no line breaks or other control characters anywhere — a
//! CR/LF in an address or subject would let event data add mail headers.

use std::fmt;

/// Longest address accepted (RFC 5321's path limit).
pub const MAX_ADDRESS_LEN: usize = 254;

/// An address with an optional display name: `Acme Forms <forms@acme.test>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Display name, e.g. `Acme Forms`.
    pub name: Option<String>,
    /// The address itself, e.g. `forms@acme.test`.
    pub email: String,
}

impl Address {
    /// Parses `addr@example.com` or `Display Name <addr@example.com>`;
    /// the error says what is wrong (without the field name).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().any(|c| c == '\r' || c == '\n') {
            return Err("contains a line break, which would inject mail headers".to_owned());
        }
        if text.chars().any(char::is_control) {
            return Err("contains a control character".to_owned());
        }
        let text = text.trim();
        let (name, email) = match text.find('<') {
            Some(open) => {
                let inner = text[open + 1..]
                    .strip_suffix('>')
                    .ok_or("has a `<` without a closing `>` at the end")?;
                let name = text[..open].trim().trim_matches('"').trim();
                if name.contains(['<', '>', '"']) {
                    return Err("has `<`, `>` or `\"` inside its display name".to_owned());
                }
                ((!name.is_empty()).then(|| name.to_owned()), inner.trim())
            }
            None => (None, text),
        };
        check_email(email)?;
        Ok(Self {
            name,
            email: email.to_owned(),
        })
    }

    /// The address as a header value: `"Acme, Inc." <a@acme.test>`, with the
    /// name quoted when it holds characters that are special in headers.
    pub fn header_value(&self) -> String {
        match &self.name {
            None => self.email.clone(),
            Some(name) if name.contains(|c: char| "()<>[]:;@\\,.\"".contains(c)) => {
                format!(
                    "\"{}\" <{}>",
                    name.replace('\\', "\\\\").replace('"', "\\\""),
                    self.email
                )
            }
            Some(name) => format!("{name} <{}>", self.email),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header_value())
    }
}

/// One `@` with text on both sides, no whitespace or separators, ≤ 254 bytes.
fn check_email(email: &str) -> Result<(), String> {
    if email.is_empty() {
        return Err("is empty".to_owned());
    }
    if email.len() > MAX_ADDRESS_LEN {
        return Err(format!("is longer than {MAX_ADDRESS_LEN} bytes"));
    }
    if email.matches('@').count() != 1 {
        return Err("must contain exactly one `@`".to_owned());
    }
    if email.contains(|c: char| c.is_whitespace() || "<>,;\"()[]\\".contains(c)) {
        return Err("contains whitespace or one of <>,;\"()[]\\ (give one address per entry)".to_owned());
    }
    let (local, domain) = email.split_once('@').unwrap_or_default();
    if local.is_empty() || domain.is_empty() {
        return Err("needs text before and after the `@`".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_named_addresses() {
        assert_eq!(
            Address::parse(" a@example.com ").expect("ok"),
            Address {
                name: None,
                email: "a@example.com".into()
            }
        );
        let named = Address::parse("\"Acme Forms\" <forms@acme.test>").expect("ok");
        assert_eq!(named.name.as_deref(), Some("Acme Forms"));
        assert_eq!(named.header_value(), "Acme Forms <forms@acme.test>");
        let special = Address::parse("Acme, Inc. <a@acme.test>").expect("ok");
        assert_eq!(special.header_value(), "\"Acme, Inc.\" <a@acme.test>");
    }

    #[test]
    fn header_injection_is_refused() {
        for bad in [
            "a@example.com\r\nBcc: x@evil.test",
            "a@example.com\nBcc: x",
            "Name\r <a@b.c>",
        ] {
            assert!(
                Address::parse(bad).expect_err("refused").contains("line break"),
                "{bad:?}"
            );
        }
        assert!(
            Address::parse("a@b.c\u{0}")
                .expect_err("refused")
                .contains("control")
        );
    }

    #[test]
    fn malformed_addresses_say_why() {
        let why = |text: &str| Address::parse(text).expect_err(text);
        assert!(why("ab.example.com").contains("exactly one `@`"));
        assert!(why("a@@b.example").contains("exactly one `@`"));
        assert!(why("a@b.c, d@e.f").contains("exactly one `@`"));
        assert!(why("a b@c.d").contains("whitespace"));
        assert!(why("@b.c").contains("before and after"));
        assert!(why("Name <a@b.c").contains("closing `>`"));
        assert!(why("").contains("empty"));
        assert!(why(&format!("{}@b.c", "a".repeat(300))).contains("longer"));
    }
}
