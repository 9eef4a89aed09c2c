//! Parsing raw cell text into typed values, UK conventions: day-first dates, `Y`/`N` flags. Two-digit
//! years are rejected rather than guessed (is `14/03/24` 1924 or 2024?).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Inline up to 24 bytes (codes, ids, ward codes): no heap string per cell on the ingest hot path.
    Str(compact_str::CompactString),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

/// Why a cell could not be read; `reason` is the reject reason code.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseFailure {
    pub reason: &'static str,
    pub expected: &'static str,
}

fn fail(reason: &'static str, expected: &'static str) -> ParseFailure {
    ParseFailure { reason, expected }
}

/// Accepts Y/N, Yes/No, 1/0, TRUE/FALSE, T/F in any case.
pub fn parse_bool(s: &str) -> Result<bool, ParseFailure> {
    let t = s.trim();
    let is = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if is(&["y", "yes", "1", "true", "t"]) {
        Ok(true)
    } else if is(&["n", "no", "0", "false", "f"]) {
        Ok(false)
    } else {
        Err(fail("bad_bool", "Y/N, Yes/No, 1/0 or TRUE/FALSE"))
    }
}

/// Whole numbers; `34.0` (as spreadsheets write them) is accepted, `34.5` is not.
pub fn parse_int(s: &str) -> Result<i64, ParseFailure> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(fail("bad_number", "a whole number")),
    }
}

pub fn parse_float(s: &str) -> Result<f64, ParseFailure> {
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(fail("bad_number", "a number")),
    }
}

const DATE_EXPECTED: &str = "a date like 31/01/2025 or 2025-01-31";
const DATETIME_EXPECTED: &str = "a date/time like 31/01/2025 23:15 or 2025-01-31T23:15:00";

/// Split `date[ T]time` into its parts.
fn split_date_time(s: &str) -> (&str, Option<&str>) {
    let t = s.trim();
    match t.find(['T', ' ']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    }
}

fn parse_date_part(d: &str) -> Result<NaiveDate, ParseFailure> {
    let (sep, day_first) = if d.contains('/') {
        ('/', true)
    } else if d.contains('-') {
        // 2025-01-31 (ISO) or 31-01-2025
        ('-', d.find('-').map(|i| i <= 2).unwrap_or(false))
    } else if d.contains('.') {
        ('.', true)
    } else {
        return Err(fail("bad_date", DATE_EXPECTED));
    };
    let mut split = d.split(sep);
    let parts = match (split.next(), split.next(), split.next(), split.next()) {
        (Some(a), Some(b), Some(c), None) => [a, b, c],
        _ => return Err(fail("bad_date", DATE_EXPECTED)),
    };
    if parts.iter().any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit())) {
        return Err(fail("bad_date", DATE_EXPECTED));
    }
    let (ys, ms, ds) = if day_first { (parts[2], parts[1], parts[0]) } else { (parts[0], parts[1], parts[2]) };
    if ys.len() != 4 {
        return Err(fail("bad_date", "a four-digit year (two-digit years are not guessed)"));
    }
    let (y, m, dd) = match (ys.parse::<i32>(), ms.parse::<u32>(), ds.parse::<u32>()) {
        (Ok(y), Ok(m), Ok(dd)) => (y, m, dd),
        _ => return Err(fail("bad_date", DATE_EXPECTED)),
    };
    NaiveDate::from_ymd_opt(y, m, dd).ok_or_else(|| fail("bad_date", "a real calendar date"))
}

/// `HH:MM` or `HH:MM:SS` read directly: nearly every extract writes one of these, and chrono's format
/// parser costs more than the rest of a row's validation. Anything else goes to the general formats.
fn quick_time(t: &str) -> Option<NaiveTime> {
    let b = t.as_bytes();
    let two = |i: usize| -> Option<u32> {
        let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
    };
    match b.len() {
        5 if b[2] == b':' => NaiveTime::from_hms_opt(two(0)?, two(3)?, 0),
        8 if b[2] == b':' && b[5] == b':' => NaiveTime::from_hms_opt(two(0)?, two(3)?, two(6)?),
        _ => None,
    }
}

fn parse_time_part(t: &str) -> Result<NaiveTime, ParseFailure> {
    let t = t.trim_end_matches('Z');
    let t = t.split(['+']).next().unwrap_or(t);
    if let Some(v) = quick_time(t) {
        return Ok(v);
    }
    for fmt in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H%M"] {
        if let Ok(v) = NaiveTime::parse_from_str(t, fmt) {
            return Ok(v);
        }
    }
    Err(fail("bad_date", DATETIME_EXPECTED))
}

pub fn parse_date(s: &str) -> Result<NaiveDate, ParseFailure> {
    let (d, time) = split_date_time(s);
    let date = parse_date_part(d)?;
    // A date field given as a date-time at midnight (common in exports) is still a date.
    if let Some(t) = time {
        parse_time_part(t)?;
    }
    Ok(date)
}

pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, ParseFailure> {
    let (d, time) = split_date_time(s);
    let date = parse_date_part(d).map_err(|f| if f.expected == DATE_EXPECTED { fail("bad_date", DATETIME_EXPECTED) } else { f })?;
    let time = match time {
        Some(t) if !t.is_empty() => parse_time_part(t)?,
        _ => NaiveTime::MIN,
    };
    Ok(NaiveDateTime::new(date, time))
}

/// A month given as `2024-01`, `202401` or `01/2024`: the first day of that month.
pub fn parse_month(s: &str) -> Result<NaiveDate, ParseFailure> {
    const EXPECTED: &str = "a month like 2024-01, 202401 or 01/2024";
    let t = s.trim();
    let (y, m) = if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
        (&t[..4], &t[4..])
    } else if let Some((a, b)) = t.split_once(['-', '/']) {
        if a.len() == 4 { (a, b) } else { (b, a) }
    } else {
        return Err(fail("bad_date", EXPECTED));
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return Err(fail("bad_date", EXPECTED));
    }
    match (y.parse::<i32>(), m.parse::<u32>()) {
        (Ok(y), Ok(m)) => NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| fail("bad_date", EXPECTED)),
        _ => Err(fail("bad_date", EXPECTED)),
    }
}

/// Whole years between a date of birth and an event date (None if the event precedes the birth).
pub fn age_at(date_of_birth: NaiveDate, event: NaiveDate) -> Option<i64> {
    use chrono::Datelike;
    if event < date_of_birth {
        return None;
    }
    let mut years = i64::from(event.year() - date_of_birth.year());
    if (event.month(), event.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    Some(years)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test literal")
    }

    #[test]
    fn uk_and_iso_datetimes() {
        assert_eq!(parse_datetime("31/01/2025 23:15"), Ok(dt("2025-01-31 23:15:00")));
        assert_eq!(parse_datetime("31/01/2025 23:15:07"), Ok(dt("2025-01-31 23:15:07")));
        assert_eq!(parse_datetime("2025-01-31T23:15:00"), Ok(dt("2025-01-31 23:15:00")));
        assert_eq!(parse_datetime("2025-01-31 23:15"), Ok(dt("2025-01-31 23:15:00")));
        assert_eq!(parse_datetime("1/2/2025"), Ok(dt("2025-02-01 00:00:00")));
        assert_eq!(parse_datetime("2025-01-31T23:15:00.000Z"), Ok(dt("2025-01-31 23:15:00")));
    }

    #[test]
    fn impossible_and_two_digit_year_dates_are_rejected() {
        assert_eq!(parse_datetime("31/02/2024 22:10").map_err(|f| f.reason), Err("bad_date"));
        let two = parse_datetime("14/03/24").expect_err("two-digit year");
        assert!(two.expected.contains("four-digit"));
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("31/01/2025 25:99").is_err());
        assert!(parse_date("2025-13-01").is_err());
    }

    #[test]
    fn months_in_the_formats_open_data_uses() {
        let jan = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        assert_eq!(parse_month("2024-01"), Ok(jan));
        assert_eq!(parse_month("202401"), Ok(jan));
        assert_eq!(parse_month("01/2024"), Ok(jan));
        assert!(parse_month("2024-13").is_err());
        assert!(parse_month("24-01").is_err());
        assert!(parse_month("January").is_err());
    }

    #[test]
    fn flags_numbers_and_ages() {
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool("FALSE"), Ok(false));
        assert!(parse_bool("maybe").is_err());
        assert_eq!(parse_int("34.0"), Ok(34));
        assert!(parse_int("34.5").is_err());
        assert!(parse_float("NaN").is_err());
        let dob = NaiveDate::from_ymd_opt(2000, 6, 15).expect("date");
        assert_eq!(age_at(dob, NaiveDate::from_ymd_opt(2025, 6, 14).expect("date")), Some(24));
        assert_eq!(age_at(dob, NaiveDate::from_ymd_opt(2025, 6, 15).expect("date")), Some(25));
        assert_eq!(age_at(dob, NaiveDate::from_ymd_opt(1999, 1, 1).expect("date")), None);
    }
}
