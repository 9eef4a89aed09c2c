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

const DATE_EXPECTED: &str = "a date like 31/01/2025, 2025-01-31 or 31-Jan-2025";
const DATETIME_EXPECTED: &str = "a date/time like 31/01/2025 23:15, 2025-01-31T23:15:00 or 2025-01-31T23:15:00Z";
const TIME_EXPECTED: &str = "a time like 23:15, 23:15:07 or 11:15 PM";

/// How a file writes its values where that changes their meaning: a bare number in a date column of a
/// workbook is an Excel serial date, while in a CSV it is just a number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    pub excel_serials: bool,
}

/// A date-time as read, and whether the text gave a time of day (`31/01/2025` alone gives none: the
/// record's time is unknown, not midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeRead {
    pub at: NaiveDateTime,
    pub time_given: bool,
}

/// `raw` split into its date text and its time text (which may carry AM/PM and a UTC offset):
/// `2025-01-31T23:15Z`, `31/01/2025 23:15`, `31 January 2025 11:15 pm`.
fn split_date_time(s: &str) -> (&str, Option<&str>) {
    let t = s.trim();
    let b = t.as_bytes();
    // The common forms first, in one scan: `31/01/2025 23:15` and `2025-01-31T23:15:00`.
    if let Some(i) = b.iter().position(|&c| c == b' ' || c == b'T') {
        let rest = &t[i + 1..];
        if i > 0 && b[i - 1].is_ascii_digit() && rest.as_bytes().first().is_some_and(u8::is_ascii_digit) && (b[i] == b'T' || rest.contains(':')) {
            return (&t[..i], Some(rest.trim()));
        }
    }
    // ISO `T` between the date's last digit and the hour.
    if let Some(i) = t.find('T') {
        if i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return (&t[..i], Some(t[i + 1..].trim()));
        }
    }
    // Otherwise the time starts at the first space-separated word holding a ':' (dates never do).
    let mut pos = 0;
    for word in t.split(' ') {
        if word.contains(':') && pos > 0 {
            return (t[..pos].trim_end(), Some(t[pos..].trim()));
        }
        pos += word.len() + 1;
    }
    (t, None)
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// A month name or its three-letter abbreviation (`Jan`, `January`, `Sept`), any case.
fn month_of_name(w: &str) -> Option<u32> {
    let lower = w.trim_end_matches('.').to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let full = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
    (0..12)
        .find(|&i| lower == MONTHS[i] || lower == full[i] || (i == 8 && lower == "sept"))
        .map(|i| i as u32 + 1)
}

fn four_digit_year(ys: &str) -> Result<i32, ParseFailure> {
    if ys.len() != 4 || !ys.bytes().all(|c| c.is_ascii_digit()) {
        if !ys.is_empty() && ys.len() < 4 && ys.bytes().all(|c| c.is_ascii_digit()) {
            return Err(fail("bad_date", "a four-digit year (two-digit years are not guessed)"));
        }
        return Err(fail("bad_date", DATE_EXPECTED));
    }
    ys.parse::<i32>().map_err(|_| fail("bad_date", DATE_EXPECTED))
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, ParseFailure> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| fail("bad_date", "a real calendar date"))
}

/// `31-Jan-2025`, `31 Jan 2025`, `1 January 2025`, `1st January 2025`.
fn parse_text_month_date(d: &str) -> Result<NaiveDate, ParseFailure> {
    let words: Vec<&str> = d.split([' ', '-', ',']).filter(|w| !w.is_empty()).collect();
    let [day, month, year] = words.as_slice() else { return Err(fail("bad_date", DATE_EXPECTED)) };
    let day = day.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let dd = day.parse::<u32>().map_err(|_| fail("bad_date", DATE_EXPECTED))?;
    let m = month_of_name(month).ok_or_else(|| fail("bad_date", DATE_EXPECTED))?;
    ymd(four_digit_year(year)?, m, dd)
}

fn parse_date_part(d: &str) -> Result<NaiveDate, ParseFailure> {
    if d.bytes().any(|c| c.is_ascii_alphabetic()) {
        return parse_text_month_date(d);
    }
    let (sep, day_first) = if d.contains('/') {
        // 31/01/2025, or 2025/01/31 when the year comes first
        ('/', d.find('/').map(|i| i <= 2).unwrap_or(true))
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
    let y = four_digit_year(ys)?;
    match (ms.parse::<u32>(), ds.parse::<u32>()) {
        (Ok(m), Ok(dd)) => ymd(y, m, dd),
        _ => Err(fail("bad_date", DATE_EXPECTED)),
    }
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

/// A UTC offset at the end of a time (`Z`, `+01:00`, `-0500`, `+01`), split off; seconds east of UTC.
fn split_offset(t: &str) -> Result<(&str, Option<i32>), ParseFailure> {
    if let Some(rest) = t.strip_suffix(['Z', 'z']) {
        return Ok((rest.trim_end(), Some(0)));
    }
    let Some(i) = t.rfind(['+', '-']) else { return Ok((t, None)) };
    let (clock, off) = (t[..i].trim_end(), &t[i + 1..]);
    let sign = if t.as_bytes()[i] == b'-' { -1 } else { 1 };
    let digits: String = off.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
        return Err(fail("bad_date", DATETIME_EXPECTED));
    }
    let h: i32 = digits[..2].parse().map_err(|_| fail("bad_date", DATETIME_EXPECTED))?;
    let m: i32 = if digits.len() == 4 { digits[2..].parse().map_err(|_| fail("bad_date", DATETIME_EXPECTED))? } else { 0 };
    if h > 18 || m > 59 {
        return Err(fail("bad_date", DATETIME_EXPECTED));
    }
    Ok((clock, Some(sign * (h * 3600 + m * 60))))
}

/// A clock time: `23:15`, `23:15:07`, `23:15:07.250`, `2315`, `11:15 PM`, `11.15pm`.
fn parse_clock(t: &str) -> Result<NaiveTime, ParseFailure> {
    let t = t.trim();
    if let Some(v) = quick_time(t) {
        return Ok(v);
    }
    let lower = t.to_ascii_lowercase();
    let (clock, pm) = match (lower.strip_suffix("pm"), lower.strip_suffix("am")) {
        (Some(c), _) => (c.trim_end().to_string(), Some(true)),
        (_, Some(c)) => (c.trim_end().to_string(), Some(false)),
        _ => (lower, None),
    };
    let clock = clock.replace('.', ":");
    let parsed = ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%H%M"]
        .iter()
        .find_map(|fmt| NaiveTime::parse_from_str(&clock, fmt).ok())
        .or_else(|| if pm.is_some() { clock.parse::<u32>().ok().and_then(|h| NaiveTime::from_hms_opt(h, 0, 0)) } else { None })
        .or_else(|| {
            // `23:15:07:250`-style milliseconds after a colon, as some systems write them.
            let (hms, frac) = clock.rsplit_once(':')?;
            let base = NaiveTime::parse_from_str(hms, "%H:%M:%S").ok()?;
            (frac.len() == 3).then(|| frac.parse::<i64>().ok()).flatten().map(|ms| base + chrono::Duration::milliseconds(ms))
        })
        .ok_or_else(|| fail("bad_time", TIME_EXPECTED))?;
    match pm {
        None => Ok(parsed),
        Some(pm) => {
            use chrono::Timelike;
            let h = parsed.hour();
            if h == 0 || h > 12 {
                return Err(fail("bad_time", TIME_EXPECTED));
            }
            let h24 = match (pm, h) {
                (false, 12) => 0,
                (false, h) => h,
                (true, 12) => 12,
                (true, h) => h + 12,
            };
            parsed.with_hour(h24).ok_or_else(|| fail("bad_time", TIME_EXPECTED))
        }
    }
}

/// A date-time written with a UTC offset, as UK local time (GMT or BST, whichever was in force).
fn to_uk_local(at: NaiveDateTime, offset_seconds: i32) -> Result<NaiveDateTime, ParseFailure> {
    use chrono::TimeZone;
    let utc = at - chrono::Duration::seconds(i64::from(offset_seconds));
    Ok(chrono_tz::Europe::London.from_utc_datetime(&utc).naive_local())
}

/// Excel's serial date (1900 date system): day 1 is 1900-01-01 and day 60 the 29 February 1900 that Excel
/// pretends existed, so later serials count from 1899-12-30. The fraction is the time of day.
pub fn excel_serial(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, if days < 60 { 31 } else { 30 })?;
    let ms = ((serial - serial.floor()) * 86_400_000.0).round() as i64;
    base.and_hms_opt(0, 0, 0).map(|d| d + chrono::Duration::days(days) + chrono::Duration::milliseconds(ms))
}

/// A bare number as an Excel serial date-time, when the file is a workbook.
fn serial_of(s: &str, opts: ParseOptions) -> Option<DateTimeRead> {
    if !opts.excel_serials || !s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    excel_serial(v).map(|at| DateTimeRead { at, time_given: v.fract() != 0.0 })
}

/// A date-time in any of the forms exports write: `31/01/2025 23:15[:07]`, `2025-01-31[T ]23:15[:07[.250]]`
/// with a UTC offset or `Z` (converted to UK local time), `31-Jan-2025 23:15`, `1 January 2025`, a date
/// alone (time not given), or an Excel serial in a workbook. Two-digit years are rejected.
pub fn parse_datetime_read(s: &str, opts: ParseOptions) -> Result<DateTimeRead, ParseFailure> {
    let s = s.trim();
    if let Some(v) = serial_of(s, opts) {
        return Ok(v);
    }
    let (d, time) = split_date_time(s);
    let date = parse_date_part(d).map_err(|f| if f.expected == DATE_EXPECTED { fail("bad_date", DATETIME_EXPECTED) } else { f })?;
    let Some(t) = time.filter(|t| !t.is_empty()) else {
        return Ok(DateTimeRead { at: NaiveDateTime::new(date, NaiveTime::MIN), time_given: false });
    };
    let (clock, offset) = split_offset(t)?;
    let at = NaiveDateTime::new(date, parse_clock(clock).map_err(|_| fail("bad_date", DATETIME_EXPECTED))?);
    let at = match offset {
        Some(off) => to_uk_local(at, off)?,
        None => at,
    };
    Ok(DateTimeRead { at, time_given: true })
}

/// As [`parse_datetime_read`], without saying whether the time was given (a date alone is its midnight).
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, ParseFailure> {
    parse_datetime_read(s, ParseOptions::default()).map(|r| r.at)
}

/// A date in any of the forms [`parse_datetime_read`] takes; a time after it (a date exported as a
/// date-time at midnight) is allowed and ignored, but must be a real time.
pub fn parse_date_with(s: &str, opts: ParseOptions) -> Result<NaiveDate, ParseFailure> {
    let s = s.trim();
    if let Some(v) = serial_of(s, opts) {
        return Ok(v.at.date());
    }
    let (d, time) = split_date_time(s);
    let date = parse_date_part(d)?;
    if let Some(t) = time.filter(|t| !t.is_empty()) {
        let (clock, _) = split_offset(t)?;
        parse_clock(clock).map_err(|_| fail("bad_date", DATE_EXPECTED))?;
    }
    Ok(date)
}

pub fn parse_date(s: &str) -> Result<NaiveDate, ParseFailure> {
    parse_date_with(s, ParseOptions::default())
}

/// A time of day in its own column: a clock time, a date-time whose time is taken (spreadsheets turn a
/// time cell into `1899-12-31T23:15:00`), or in a workbook the fraction of a day.
pub fn parse_time_with(s: &str, opts: ParseOptions) -> Result<NaiveTime, ParseFailure> {
    let s = s.trim();
    if opts.excel_serials {
        if let Ok(v) = s.parse::<f64>() {
            if (0.0..1.0).contains(&v) {
                let ms = (v * 86_400_000.0).round() as i64;
                return Ok(NaiveTime::MIN.overflowing_add_signed(chrono::Duration::milliseconds(ms)).0);
            }
        }
    }
    if let Ok(t) = parse_clock(s) {
        return Ok(t);
    }
    match parse_datetime_read(s, opts) {
        Ok(r) if r.time_given => Ok(r.at.time()),
        _ => Err(fail("bad_time", TIME_EXPECTED)),
    }
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

    fn read(s: &str) -> DateTimeRead {
        parse_datetime_read(s, ParseOptions::default()).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn day_first_dates_with_and_without_time() {
        assert_eq!(read("31/01/2025"), DateTimeRead { at: dt("2025-01-31 00:00:00"), time_given: false });
        assert_eq!(read("31/01/2025 23:15"), DateTimeRead { at: dt("2025-01-31 23:15:00"), time_given: true });
        assert_eq!(read("31/01/2025 00:00"), DateTimeRead { at: dt("2025-01-31 00:00:00"), time_given: true });
        assert_eq!(read("31-01-2025 23:15:07").at, dt("2025-01-31 23:15:07"));
        assert_eq!(read("31.01.2025").at, dt("2025-01-31 00:00:00"));
        assert_eq!(read("2025/01/31 08:05").at, dt("2025-01-31 08:05:00"));
    }

    #[test]
    fn iso_datetimes_with_fractions_and_offsets_become_uk_local_time() {
        assert_eq!(read("2025-01-31T23:15").at, dt("2025-01-31 23:15:00"));
        assert_eq!(read("2025-01-31 23:15:07").at, dt("2025-01-31 23:15:07"));
        let ms = read("2025-01-31T23:15:07.250").at;
        assert_eq!(ms, dt("2025-01-31 23:15:07") + chrono::Duration::milliseconds(250));
        // Winter: UTC is UK time. Summer: UK time is UTC + 1 (BST).
        assert_eq!(read("2025-01-31T23:15:00Z").at, dt("2025-01-31 23:15:00"));
        assert_eq!(read("2025-07-01T22:30:00Z").at, dt("2025-07-01 23:30:00"));
        assert_eq!(read("2025-07-01T23:30:00.000Z").at, dt("2025-07-02 00:30:00"));
        assert_eq!(read("2025-07-01T23:30:00+01:00").at, dt("2025-07-01 23:30:00"));
        assert_eq!(read("2025-07-01T18:30:00-0400").at, dt("2025-07-01 23:30:00"));
        assert_eq!(read("2025-01-31T23:15:00+01").at, dt("2025-01-31 22:15:00"));
        // The clocks go forward at 01:00 UTC on the last Sunday of March.
        assert_eq!(read("2025-03-30T00:59:00Z").at, dt("2025-03-30 00:59:00"));
        assert_eq!(read("2025-03-30T01:00:00Z").at, dt("2025-03-30 02:00:00"));
        assert!(read("2025-01-31T23:15:00Z").time_given);
    }

    #[test]
    fn month_names_and_am_pm() {
        assert_eq!(read("31-Jan-2025").at, dt("2025-01-31 00:00:00"));
        assert!(!read("31-JAN-2025").time_given);
        assert_eq!(read("31-Jan-2025 23:15").at, dt("2025-01-31 23:15:00"));
        assert_eq!(read("1 January 2025").at, dt("2025-01-01 00:00:00"));
        assert_eq!(read("1st September 2025 11:15 PM").at, dt("2025-09-01 23:15:00"));
        assert_eq!(read("3 Sept 2025 12:05 am").at, dt("2025-09-03 00:05:00"));
        assert_eq!(parse_date("7 Mar 2024"), Ok(NaiveDate::from_ymd_opt(2024, 3, 7).expect("d")));
        assert!(parse_datetime("31-Foo-2025").is_err());
        assert!(parse_datetime("31-Feb-2025").is_err());
    }

    #[test]
    fn excel_serials_only_in_workbooks() {
        let xlsx = ParseOptions { excel_serials: true };
        assert_eq!(parse_datetime_read("45688", xlsx), Ok(DateTimeRead { at: dt("2025-01-31 00:00:00"), time_given: false }));
        assert_eq!(parse_datetime_read("45688.96875", xlsx), Ok(DateTimeRead { at: dt("2025-01-31 23:15:00"), time_given: true }));
        assert_eq!(parse_date_with("45688", xlsx), Ok(NaiveDate::from_ymd_opt(2025, 1, 31).expect("d")));
        assert_eq!(excel_serial(1.0), Some(dt("1900-01-01 00:00:00")));
        assert_eq!(excel_serial(61.0), Some(dt("1900-03-01 00:00:00")));
        assert!(parse_datetime_read("45688", ParseOptions::default()).is_err(), "a number in a CSV is not a date");
        assert_eq!(parse_time_with("0.96875", xlsx), Ok(NaiveTime::from_hms_opt(23, 15, 0).expect("t")));
    }

    #[test]
    fn times_in_their_own_column() {
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("t");
        let o = ParseOptions::default();
        assert_eq!(parse_time_with("23:15", o), Ok(t(23, 15, 0)));
        assert_eq!(parse_time_with("23:15:07", o), Ok(t(23, 15, 7)));
        assert_eq!(parse_time_with("2315", o), Ok(t(23, 15, 0)));
        assert_eq!(parse_time_with("11:15 PM", o), Ok(t(23, 15, 0)));
        assert_eq!(parse_time_with("12:30am", o), Ok(t(0, 30, 0)));
        assert_eq!(parse_time_with("1899-12-31T23:15:00", o), Ok(t(23, 15, 0)));
        assert_eq!(parse_time_with("25:99", o).map_err(|f| f.reason), Err("bad_time"));
        assert!(parse_time_with("13:00 PM", o).is_err());
    }

    #[test]
    fn impossible_and_two_digit_year_dates_are_rejected() {
        assert_eq!(parse_datetime("31/02/2024 22:10").map_err(|f| f.reason), Err("bad_date"));
        let two = parse_datetime("14/03/24").expect_err("two-digit year");
        assert!(two.expected.contains("four-digit"));
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("31/01/2025 25:99").is_err());
        assert!(parse_datetime("31-Jan-25").expect_err("two-digit year").expected.contains("four-digit"));
        assert!(parse_datetime("2025-01-31T23:15:00+25:00").is_err());
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
