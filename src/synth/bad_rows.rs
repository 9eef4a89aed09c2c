//! Deliberately bad rows, of the kinds real extracts contain, and the exact record of where they are.
//! Bad offence rows are extra offences with their own crime refs (so rejecting one never orphans a victim),
//! except duplicates, which are exact re-exports of an earlier good row of the same file.

use chrono::{Datelike, NaiveDateTime, Timelike};
use rand::Rng;
use serde::Serialize;

use super::calendar::YEARS;
use super::layout::{DateStyle, OffenceLayout, col, is_leap};
use super::police::Offence;
use super::rng::{self, SynthRng};
use super::writers::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadKind {
    /// `31/02/2024 22:10`
    ImpossibleDate,
    /// `14/03/24 22:10`
    TwoDigitYear,
    /// `99Z`
    UnknownCode,
    /// victim age 212
    AgeOutOfRange,
    /// empty crime reference
    MissingCrimeRef,
    /// an exact re-export of an earlier row
    Duplicate,
    /// a crime reference that no offence file holds
    Orphan,
}

impl BadKind {
    pub const ALL: [BadKind; 7] = [
        BadKind::ImpossibleDate,
        BadKind::TwoDigitYear,
        BadKind::UnknownCode,
        BadKind::AgeOutOfRange,
        BadKind::MissingCrimeRef,
        BadKind::Duplicate,
        BadKind::Orphan,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate => "impossible_date",
            BadKind::TwoDigitYear => "two_digit_year",
            BadKind::UnknownCode => "unknown_code",
            BadKind::AgeOutOfRange => "age_out_of_range",
            BadKind::MissingCrimeRef => "missing_crime_ref",
            BadKind::Duplicate => "duplicate",
            BadKind::Orphan => "orphan_record",
        }
    }

    /// The reject reason ingest must give.
    pub fn reason(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate | BadKind::TwoDigitYear => "bad_date",
            BadKind::UnknownCode => "unknown_code",
            BadKind::AgeOutOfRange => "age_out_of_range",
            BadKind::MissingCrimeRef => "missing_required",
            BadKind::Duplicate => "duplicate",
            BadKind::Orphan => "orphan_record",
        }
    }

    /// The canonical field ingest must name.
    pub fn field(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate | BadKind::TwoDigitYear => "committed_from",
            BadKind::UnknownCode => "ho_code",
            BadKind::AgeOutOfRange => "age",
            BadKind::MissingCrimeRef | BadKind::Duplicate | BadKind::Orphan => "crime_ref",
        }
    }
}

/// HO codes that exist in no classification (never in seeds/ho_codes.csv).
pub const UNKNOWN_CODES: [&str; 5] = ["99Z", "12X", "8Z", "45Q", "0Z"];

/// Every kind gets at least this many rows in each file that carries it.
const MIN_PER_FILE: usize = 3;

fn plan(n_clean: usize, share: f64, weights: &[(BadKind, f64)]) -> Vec<(BadKind, usize)> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    weights
        .iter()
        .map(|&(k, w)| (k, ((n_clean as f64 * share * w / total).round() as usize).max(MIN_PER_FILE)))
        .collect()
}

/// Bad offence rows for one year's file (two-digit years only in the dd/mm/yyyy files).
pub fn offence_plan(year: usize, n_clean: usize, share: f64) -> Vec<(BadKind, usize)> {
    let mut w = vec![
        (BadKind::ImpossibleDate, 0.22),
        (BadKind::TwoDigitYear, 0.15),
        (BadKind::UnknownCode, 0.18),
        (BadKind::MissingCrimeRef, 0.15),
        (BadKind::Duplicate, 0.30),
    ];
    if year == 2 {
        w.retain(|(k, _)| *k != BadKind::TwoDigitYear);
    }
    plan(n_clean, share, &w)
}

pub fn victim_plan(_year: usize, n_clean: usize, share: f64) -> Vec<(BadKind, usize)> {
    plan(n_clean, share, &[(BadKind::AgeOutOfRange, 0.45), (BadKind::Orphan, 0.40), (BadKind::MissingCrimeRef, 0.15)])
}

pub fn suspect_plan(_year: usize, n_clean: usize, share: f64) -> Vec<(BadKind, usize)> {
    plan(n_clean, share, &[(BadKind::Orphan, 0.6), (BadKind::MissingCrimeRef, 0.4)])
}

/// A date-time that cannot exist (31 February, 31 April, ...), in a month next to the offence's real one.
fn impossible_datetime(o: &Offence, style: DateStyle, rng: &mut SynthRng) -> String {
    let month = o.from.month();
    let year_of = |m: u32| if m >= 4 { YEARS[o.year].1 } else { YEARS[o.year].1 + 1 };
    let mut options: Vec<(u32, u32)> = vec![(31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11)];
    if !is_leap(year_of(2)) {
        options.push((29, 2));
    }
    // Circular month distance; keep the nearest options.
    let dist = |m: u32| {
        let d = (i64::from(m) - i64::from(month)).rem_euclid(12);
        d.min(12 - d)
    };
    let best = options.iter().map(|&(_, m)| dist(m)).min().unwrap_or(0);
    options.retain(|&(_, m)| dist(m) == best);
    let (d, m) = options[rng.random_range(0..options.len())];
    let y = year_of(m);
    let (hh, mm) = (o.from.hour(), o.from.minute());
    match style {
        DateStyle::Uk => format!("{d:02}/{m:02}/{y:04} {hh:02}:{mm:02}"),
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:00"),
    }
}

fn two_digit_year(dt: NaiveDateTime) -> String {
    format!("{:02}/{:02}/{:02} {:02}:{:02}", dt.day(), dt.month(), dt.year() % 100, dt.hour(), dt.minute())
}

/// Damage a rendered offence row as its bad kind says.
pub fn corrupt_offence(cells: &mut [Cell], o: &Offence, kind: BadKind, layout: &OffenceLayout, rng: &mut SynthRng) {
    match kind {
        BadKind::ImpossibleDate => cells[col::FROM] = Cell::Text(impossible_datetime(o, layout.dates, rng)),
        BadKind::TwoDigitYear => cells[col::FROM] = Cell::Text(two_digit_year(o.from)),
        BadKind::UnknownCode => {
            cells[col::HO_CODE] = Cell::text(UNKNOWN_CODES[rng.random_range(0..UNKNOWN_CODES.len())]);
        }
        BadKind::MissingCrimeRef => cells[col::REF] = Cell::Empty,
        BadKind::AgeOutOfRange | BadKind::Duplicate | BadKind::Orphan => {}
    }
}

/// Where `n` exact copies of distinct clean rows go, each some way after its original: `(insert after
/// position, original position)`, sorted. `clean` lists the positions of the clean rows among `n_rows`.
pub fn duplicate_plan(clean: &[usize], n_rows: usize, n: usize, rng: &mut SynthRng) -> Vec<(usize, usize)> {
    if clean.is_empty() || n_rows == 0 {
        return Vec::new();
    }
    let mut picks: Vec<usize> = Vec::with_capacity(n);
    let mut taken = std::collections::BTreeSet::new();
    for _ in 0..n * 20 {
        if picks.len() == n || taken.len() == clean.len() {
            break;
        }
        let i = clean[rng.random_range(0..clean.len())];
        if taken.insert(i) {
            picks.push(i);
        }
    }
    let mut inserts: Vec<(usize, usize)> =
        picks.into_iter().map(|i| ((i + rng::int(rng, 1, 300) as usize).min(n_rows - 1), i)).collect();
    inserts.sort_unstable();
    inserts
}
