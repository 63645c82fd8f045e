//! Discord embeds and the limits Discord enforces on them
//! (<https://discord.com/developers/docs/resources/message#embed-object-embed-limits>).
//!
//! Lengths are counted in UTF-16 code units, which is never less than the
//! number of characters Discord counts, so a text cut here always fits.

use serde::Serialize;
use weir_pack_chat_events::Outcome;

/// Longest embed title.
pub const MAX_TITLE: usize = 256;
/// Longest embed description.
pub const MAX_DESCRIPTION: usize = 4096;
/// Longest field name.
pub const MAX_FIELD_NAME: usize = 256;
/// Longest field value.
pub const MAX_FIELD_VALUE: usize = 1024;
/// Most fields in one embed.
pub const MAX_FIELDS: usize = 25;
/// Longest footer text.
pub const MAX_FOOTER: usize = 2048;
/// Most characters in all of an embed's titles, descriptions, field names
/// and values and footer together.
pub const MAX_TOTAL: usize = 6000;

/// Green, for successes (Discord's brand green).
pub const GREEN: u32 = 0x57F287;
/// Red, for failures (Discord's brand red).
pub const RED: u32 = 0xED4245;
/// Blurple, for everything else (Discord's brand colour).
pub const BLURPLE: u32 = 0x5865F2;

/// The colour for an outcome.
pub fn color(outcome: Outcome) -> u32 {
    match outcome {
        Outcome::Success => GREEN,
        Outcome::Failure => RED,
        Outcome::Neutral => BLURPLE,
    }
}

/// One embed of a Discord webhook message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Embed {
    /// Title, plain text.
    pub title: String,
    /// Where the title links to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Markdown body.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Side-bar colour, `0xRRGGBB`.
    pub color: u32,
    /// Name/value pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// RFC 3339 time shown under the embed.
    pub timestamp: String,
    /// Small text under the embed.
    pub footer: Footer,
}

/// An embed field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Field {
    /// Name, plain text.
    pub name: String,
    /// Markdown value; Discord refuses empty values.
    pub value: String,
    /// Shown side by side with other inline fields.
    pub inline: bool,
}

impl Field {
    /// An inline field.
    pub fn inline(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
            inline: true,
        }
    }
}

/// An embed footer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Footer {
    /// Plain text.
    pub text: String,
}

/// Length as Discord may count it (UTF-16 code units, an upper bound).
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to at most `max` units, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if length(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() > max - 1 {
            break;
        }
        used += c.len_utf16();
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// Backslash-escapes Discord Markdown in event-provided text: emphasis,
/// code, spoilers and link brackets anywhere, and heading, quote and list
/// markers at the start of a line.
pub fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut line_start = true;
    for c in text.chars() {
        let special = matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']')
            || (line_start && matches!(c, '#' | '>' | '-'));
        if special {
            escaped.push('\\');
        }
        escaped.push(c);
        line_start = c == '\n' || (line_start && c == ' ');
    }
    escaped
}

impl Embed {
    /// Cuts every part to Discord's limits: each text to its own maximum,
    /// at most 25 fields (empty ones dropped), then the description and, if
    /// still needed, trailing fields until the whole embed fits in 6000.
    pub fn enforce_limits(&mut self) {
        self.title = truncate(&self.title, MAX_TITLE);
        self.description = truncate(&self.description, MAX_DESCRIPTION);
        self.footer.text = truncate(&self.footer.text, MAX_FOOTER);
        self.fields
            .retain(|field| !field.name.trim().is_empty() && !field.value.trim().is_empty());
        self.fields.truncate(MAX_FIELDS);
        for field in &mut self.fields {
            field.name = truncate(&field.name, MAX_FIELD_NAME);
            field.value = truncate(&field.value, MAX_FIELD_VALUE);
        }
        let others = self.total() - length(&self.description);
        if others + length(&self.description) > MAX_TOTAL {
            self.description = truncate(&self.description, MAX_TOTAL.saturating_sub(others));
        }
        while self.total() > MAX_TOTAL && self.fields.pop().is_some() {}
    }

    /// The length Discord checks against [`MAX_TOTAL`].
    pub fn total(&self) -> usize {
        length(&self.title)
            + length(&self.description)
            + length(&self.footer.text)
            + self
                .fields
                .iter()
                .map(|field| length(&field.name) + length(&field.value))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embed(description: &str, fields: Vec<Field>) -> Embed {
        Embed {
            title: "t".repeat(300),
            url: None,
            description: description.to_owned(),
            color: BLURPLE,
            fields,
            timestamp: "2026-11-23T10:00:00Z".into(),
            footer: Footer { text: "f".into() },
        }
    }

    #[test]
    fn truncation_counts_utf16_and_marks_the_cut() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello!", 5), "hell…");
        assert_eq!(truncate("😀😀😀", 5), "😀😀…");
        assert_eq!(length(&truncate("😀😀😀", 4)), 3);
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn every_limit_is_enforced() {
        let fields = (0..40)
            .map(|i| Field::inline(&"n".repeat(300), format!("{i}{}", "v".repeat(2000))))
            .collect();
        let mut embed = embed(&"d".repeat(5000), fields);
        embed.enforce_limits();
        assert_eq!(length(&embed.title), MAX_TITLE);
        assert!(embed.fields.len() <= MAX_FIELDS);
        assert!(embed.fields.iter().all(|f| length(&f.name) <= MAX_FIELD_NAME));
        assert!(embed.fields.iter().all(|f| length(&f.value) <= MAX_FIELD_VALUE));
        assert!(embed.total() <= MAX_TOTAL, "{}", embed.total());
        assert!(
            !embed.fields.is_empty(),
            "fields are kept before the description is emptied"
        );
    }

    #[test]
    fn a_long_description_is_cut_to_fit_the_total() {
        let fields = vec![Field::inline("a", "v".repeat(1024)); 2];
        let mut embed = embed(&"d".repeat(4096), fields);
        embed.enforce_limits();
        assert_eq!(embed.total(), MAX_TOTAL);
        assert!(embed.description.ends_with('…'));
        assert_eq!(embed.fields.len(), 2);
    }

    #[test]
    fn empty_fields_are_dropped() {
        let mut embed = embed("d", vec![Field::inline("a", " "), Field::inline("b", "x")]);
        embed.enforce_limits();
        assert_eq!(embed.fields, vec![Field::inline("b", "x")]);
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(escape_markdown("*a_b* [x](y) #1"), "\\*a\\_b\\* \\[x\\](y) #1");
        assert_eq!(escape_markdown("# h\n> q\n - l"), "\\# h\n\\> q\n \\- l");
    }
}
