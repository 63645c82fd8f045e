//! Amounts in a currency's minor unit, as Stripe sends them, formatted for
//! people: `1250 eur` → `€12.50 EUR`, `123400 usd` → `$1,234.00 USD`,
//! `1500 jpy` → `¥1,500 JPY`.

/// Stripe's zero-decimal currencies: the amount is already in whole units
/// (<https://docs.stripe.com/currencies#zero-decimal>).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof",
    "xpf",
];

/// Stripe's three-decimal currencies (<https://docs.stripe.com/currencies#three-decimal>).
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// Digits after the decimal point in `currency`'s minor unit (lowercase ISO 4217).
pub fn decimals(currency: &str) -> u32 {
    let currency = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&currency.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&currency.as_str()) {
        3
    } else {
        2
    }
}

/// The symbol shown before the amount, when the currency has a well-known
/// one written before the number (the code always follows, so `$` is not
/// ambiguous).
pub fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency.to_ascii_lowercase().as_str() {
        "usd" | "aud" | "cad" | "nzd" | "sgd" | "hkd" | "mxn" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" | "cny" => "¥",
        "krw" => "₩",
        "inr" => "₹",
        "brl" => "R$",
        "ils" => "₪",
        "try" => "₺",
        "php" => "₱",
        "thb" => "฿",
        "vnd" => "₫",
        "ngn" => "₦",
        _ => return None,
    })
}

/// Formats `minor` units of `currency` as `<symbol><amount> <CODE>`, with
/// thousands separated by commas: `format_amount(123400, "usd")` is
/// `$1,234.00 USD`. A currency that is not three ASCII letters is shown as
/// given, uppercased.
pub fn format_amount(minor: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    let places = decimals(currency);
    let divisor = 10u64.pow(places);
    let magnitude = minor.unsigned_abs();
    let mut text = String::new();
    if minor < 0 {
        text.push('-');
    }
    text.push_str(symbol(currency).unwrap_or_default());
    text.push_str(&group_thousands(magnitude / divisor));
    if places > 0 {
        let fraction = magnitude % divisor;
        text.push_str(&format!(".{fraction:0width$}", width = places as usize));
    }
    text.push(' ');
    text.push_str(&code);
    text
}

/// `1234567` → `1,234,567`.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_currencies() {
        assert_eq!(format_amount(1250, "eur"), "€12.50 EUR");
        assert_eq!(format_amount(123400, "usd"), "$1,234.00 USD");
        assert_eq!(format_amount(5, "gbp"), "£0.05 GBP");
        assert_eq!(format_amount(0, "usd"), "$0.00 USD");
        assert_eq!(format_amount(99_999_999, "usd"), "$999,999.99 USD");
    }

    #[test]
    fn zero_and_three_decimal_currencies() {
        assert_eq!(format_amount(1500, "jpy"), "¥1,500 JPY");
        assert_eq!(format_amount(1_000_000, "KRW"), "₩1,000,000 KRW");
        assert_eq!(format_amount(5124, "kwd"), "5.124 KWD");
        assert_eq!(format_amount(50, "bhd"), "0.050 BHD");
    }

    #[test]
    fn unknown_and_negative() {
        assert_eq!(format_amount(1999, "zar"), "19.99 ZAR");
        assert_eq!(format_amount(-500, "usd"), "-$5.00 USD");
        assert_eq!(format_amount(100, "chf"), "1.00 CHF");
        assert_eq!(format_amount(i64::MIN, "usd"), "-$92,233,720,368,547,758.08 USD");
    }

    #[test]
    fn grouping() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
