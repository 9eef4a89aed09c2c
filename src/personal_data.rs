//! Personal data in the wrong column. Fields known to be personal are never echoed (`sensitive`), but
//! exports slip: a date of birth typed into a notes column, a phone number in a reference field, a header
//! row that is really a person's record. Anything echoed from an extract into rejects, field-issue logs,
//! the manifest or a message passes through [`redact`], which replaces what looks like a date of birth, a
//! phone number, an email address, a UK postcode or an NHS number with a marker saying what was removed.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Dates at least this many years old look like dates of birth (offence and event dates are recent).
const BIRTH_DATE_MIN_AGE_YEARS: i32 = 10;

struct Patterns {
    email: Regex,
    postcode: Regex,
    /// Runs of digits with spaces, dots, hyphens or brackets between them (phone and NHS numbers).
    digits: Regex,
    date: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+").ok()?,
        // Outward code (A9, A99, AA9, AA99, A9A, AA9A) then inward code (9AA), at word boundaries.
        postcode: Regex::new(r"(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b").ok()?,
        // Whole tokens only: hex ids such as run ids (0123456789abcdef) are not phone numbers.
        digits: Regex::new(r"\+?\(?\b\d[\d\s().\-]{7,}\d\b").ok()?,
        // d/m/yyyy, d-m-yyyy, d.m.yyyy, yyyy-mm-dd, d Month yyyy, d-Mon-yyyy
        date: Regex::new(
            r"(?i)\b(\d{1,2}[/.\-]\d{1,2}[/.\-](\d{4})|(\d{4})-\d{1,2}-\d{1,2}|\d{1,2}[\s\-](jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s\-](\d{4}))\b",
        )
        .ok()?,
    })
});

/// NHS numbers are ten digits whose last is a modulus-11 check digit.
fn is_nhs_number(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let sum: u32 = d[..9].iter().enumerate().map(|(i, &c)| u32::from(c - b'0') * (10 - i as u32)).sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && check == u32::from(d[9] - b'0')
}

/// UK phone numbers: 0 then 9 or 10 digits, or +44 then 9 or 10.
fn is_phone_number(d: &[u8], plus: bool) -> bool {
    match d {
        [b'0', rest @ ..] if !plus => (9..=10).contains(&rest.len()),
        [b'4', b'4', rest @ ..] if plus => (9..=10).contains(&rest.len()) || rest.first() == Some(&b'0') && rest.len() == 11,
        _ => false,
    }
}

fn current_year() -> i32 {
    use chrono::Datelike;
    chrono::Local::now().year()
}

/// `text` with personal-looking values replaced by `[redacted: <what>]`; borrowed when nothing was found.
pub fn redact(text: &str) -> Cow<'_, str> {
    // Cheap test first: every pattern needs a digit or an `@`.
    if !text.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
        return Cow::Borrowed(text);
    }
    let Some(p) = PATTERNS.as_ref() else { return Cow::Borrowed(text) };
    let mut out: Cow<str> = Cow::Borrowed(text);
    if p.email.is_match(&out) {
        out = Cow::Owned(p.email.replace_all(&out, "[redacted: email address]").into_owned());
    }
    let latest_birth_year = current_year() - BIRTH_DATE_MIN_AGE_YEARS;
    if p.date.is_match(&out) {
        let replaced = p.date.replace_all(&out, |c: &regex::Captures| {
            let year = [2, 3, 5].iter().find_map(|&i| c.get(i)).and_then(|m| m.as_str().parse::<i32>().ok()).unwrap_or(0);
            if (1900..=latest_birth_year).contains(&year) {
                "[redacted: date of birth?]".to_string()
            } else {
                c[0].to_string()
            }
        });
        out = Cow::Owned(replaced.into_owned());
    }
    if p.digits.is_match(&out) {
        let replaced = p.digits.replace_all(&out, |c: &regex::Captures| {
            let m = &c[0];
            let digits: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).collect();
            if is_phone_number(&digits, m.starts_with('+')) {
                "[redacted: phone number]".to_string()
            } else if is_nhs_number(&digits) {
                "[redacted: NHS number]".to_string()
            } else {
                m.to_string()
            }
        });
        out = Cow::Owned(replaced.into_owned());
    }
    if p.postcode.is_match(&out) {
        out = Cow::Owned(p.postcode.replace_all(&out, "[redacted: postcode]").into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_values_are_redacted_wherever_they_sit() {
        let cases = [
            ("jo.bloggs@example.org", "[redacted: email address]"),
            ("call 07700 900123 after 5", "call [redacted: phone number] after 5"),
            ("+44 7700 900123", "[redacted: phone number]"),
            ("(020) 7946 0958", "[redacted: phone number]"),
            ("943 476 5919", "[redacted: NHS number]"),
            ("SW1A 1AA", "[redacted: postcode]"),
            ("10 Downing St, sw1a2aa", "10 Downing St, [redacted: postcode]"),
            ("DOB 01/02/1990", "DOB [redacted: date of birth?]"),
            ("1990-02-01", "[redacted: date of birth?]"),
            ("3 March 1975", "[redacted: date of birth?]"),
        ];
        for (raw, want) in cases {
            assert_eq!(redact(raw), want, "{raw}");
        }
    }

    #[test]
    fn ordinary_extract_values_pass_unchanged() {
        for v in [
            "31/02/2025 10:00",
            "2025-03-16T01:00:00",
            "CRIS-0001",
            "5201234/25",
            "8N",
            "E05000001",
            "E01000001",
            "530500",
            "expected 9 fields, found 3",
            "Outcome 1 - Charged/Summonsed",
            "35,939 rows",
            "99/99/2025",
            "1234567890", // ten digits failing the NHS check, not a phone number
            "run 0123456789abcdef",
        ] {
            assert_eq!(redact(v), v, "{v}");
        }
        assert!(matches!(redact("no digits here"), Cow::Borrowed(_)));
    }
}
