//! Deliberately bad rows, of the kinds real extracts contain, and the exact record of where they are.
//! Rows ingest must quarantine ([`BadKind`]) are extra offences with their own crime refs (so rejecting one
//! never orphans a victim), except duplicates, which are exact re-exports of an earlier good row of the same
//! file. Rows ingest must stage with one value repaired ([`Repair`]) are real records: offences with an HO
//! code on no list (extra offences, no victims), and existing victims whose age is written impossibly.

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
    /// empty crime reference
    MissingCrimeRef,
    /// an exact re-export of an earlier row
    Duplicate,
    /// a crime reference that no offence file holds
    Orphan,
}

impl BadKind {
    pub const ALL: [BadKind; 5] =
        [BadKind::ImpossibleDate, BadKind::TwoDigitYear, BadKind::MissingCrimeRef, BadKind::Duplicate, BadKind::Orphan];

    pub fn name(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate => "impossible_date",
            BadKind::TwoDigitYear => "two_digit_year",
            BadKind::MissingCrimeRef => "missing_crime_ref",
            BadKind::Duplicate => "duplicate",
            BadKind::Orphan => "orphan_record",
        }
    }

    /// The reject reason ingest must give.
    pub fn reason(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate | BadKind::TwoDigitYear => "bad_date",
            BadKind::MissingCrimeRef => "missing_required",
            BadKind::Duplicate => "duplicate",
            BadKind::Orphan => "orphan_record",
        }
    }

    /// The canonical field ingest must name.
    pub fn field(self) -> &'static str {
        match self {
            BadKind::ImpossibleDate | BadKind::TwoDigitYear => "committed_from",
            BadKind::MissingCrimeRef | BadKind::Duplicate | BadKind::Orphan => "crime_ref",
        }
    }
}

/// A police record written with one bad value that ingest must repair, not quarantine: the record is
/// staged, the value nulled (or, for an HO code, kept with `ho_code_known = false`) and logged as a field
/// issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// An offence whose HO code is `UNKNOWN_CODES[.0]`: staged with that code, in no offence category.
    UnknownCode(u8),
    /// A victim whose age is written as 212 (or a date of birth giving it): staged with its age unknown.
    AgeOutOfRange,
}

impl Repair {
    pub fn name(self) -> &'static str {
        match self {
            Repair::UnknownCode(_) => "unknown_code",
            Repair::AgeOutOfRange => "age_out_of_range",
        }
    }

    /// The field-issue reason ingest must log.
    pub fn reason(self) -> &'static str {
        match self {
            Repair::UnknownCode(i) => UNKNOWN_CODES[usize::from(i) % UNKNOWN_CODES.len()].1,
            Repair::AgeOutOfRange => "age_out_of_range",
        }
    }

    /// The HO code written for an unknown-code offence.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Repair::UnknownCode(i) => Some(UNKNOWN_CODES[usize::from(i) % UNKNOWN_CODES.len()].0),
            Repair::AgeOutOfRange => None,
        }
    }
}

/// HO codes that exist in no classification (never in seeds/ho_codes.csv), with the field-issue reason
/// ingest gives each: a well-formed code is `unknown_code`; `ABH` (an offence typed where its code should
/// be) has no HO code's shape (`malformed_code`).
pub const UNKNOWN_CODES: [(&str, &str); 5] =
    [("99Z", "unknown_code"), ("12X", "unknown_code"), ("8Z", "unknown_code"), ("45Q", "unknown_code"), ("ABH", "malformed_code")];

/// Every kind gets at least this many rows in each file that carries it.
const MIN_PER_FILE: usize = 3;

/// Rows of each weighted kind for a file of `n_clean` clean rows: `share` of them in all, at least
/// [`MIN_PER_FILE`] per kind.
fn plan<K: Copy>(n_clean: usize, share: f64, weights: &[(K, f64)]) -> Vec<(K, usize)> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    weights
        .iter()
        .map(|&(k, w)| (k, ((n_clean as f64 * share * w / total).round() as usize).max(MIN_PER_FILE)))
        .collect()
}

/// A planted police row: quarantined, or staged with one value repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Planted {
    Bad(BadKind),
    Repaired,
}

/// What one police file carries: quarantined rows by kind, and how many staged rows carry a repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub bad: Vec<(BadKind, usize)>,
    pub repaired: usize,
}

fn file_plan(n_clean: usize, share: f64, weights: &[(Planted, f64)]) -> FilePlan {
    let mut out = FilePlan { bad: Vec::new(), repaired: 0 };
    for (k, n) in plan(n_clean, share, weights) {
        match k {
            Planted::Bad(kind) => out.bad.push((kind, n)),
            Planted::Repaired => out.repaired += n,
        }
    }
    out
}

/// Planted offence rows for one year's file (two-digit years only in the dd/mm/yyyy files); the repaired
/// ones are offences with an unknown HO code.
pub fn offence_plan(year: usize, n_clean: usize, share: f64) -> FilePlan {
    let mut w = vec![
        (Planted::Bad(BadKind::ImpossibleDate), 0.22),
        (Planted::Bad(BadKind::TwoDigitYear), 0.15),
        (Planted::Repaired, 0.18),
        (Planted::Bad(BadKind::MissingCrimeRef), 0.15),
        (Planted::Bad(BadKind::Duplicate), 0.30),
    ];
    if year == 2 {
        w.retain(|(k, _)| *k != Planted::Bad(BadKind::TwoDigitYear));
    }
    file_plan(n_clean, share, &w)
}

/// Planted victim rows for one year's file; the repaired ones are victims whose age is written as 212.
pub fn victim_plan(_year: usize, n_clean: usize, share: f64) -> FilePlan {
    file_plan(
        n_clean,
        share,
        &[(Planted::Repaired, 0.45), (Planted::Bad(BadKind::Orphan), 0.40), (Planted::Bad(BadKind::MissingCrimeRef), 0.15)],
    )
}

pub fn suspect_plan(_year: usize, n_clean: usize, share: f64) -> Vec<(BadKind, usize)> {
    plan(n_clean, share, &[(BadKind::Orphan, 0.6), (BadKind::MissingCrimeRef, 0.4)])
}

/// A day that cannot exist (31 February, 31 April, ...) in a month next to the offence's real one:
/// (day, month, year).
fn impossible_day(o: &Offence, rng: &mut SynthRng) -> (u32, u32, i32) {
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
    (d, m, year_of(m))
}

/// A date-time that cannot exist, in the layout's style.
fn impossible_datetime(o: &Offence, style: DateStyle, rng: &mut SynthRng) -> String {
    let (d, m, y) = impossible_day(o, rng);
    let (hh, mm) = (o.from.hour(), o.from.minute());
    match style {
        DateStyle::Uk => format!("{d:02}/{m:02}/{y:04} {hh:02}:{mm:02}"),
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:00"),
    }
}

/// A date that cannot exist, `31/02/2024`, for exports that give the time in a column of its own.
pub fn impossible_date(o: &Offence, rng: &mut SynthRng) -> String {
    let (d, m, y) = impossible_day(o, rng);
    format!("{d:02}/{m:02}/{y:04}")
}

/// A date with a two-digit year, `14/03/24`, as typed by hand.
pub fn two_digit_date(dt: NaiveDateTime) -> String {
    format!("{:02}/{:02}/{:02}", dt.day(), dt.month(), dt.year() % 100)
}

fn two_digit_year(dt: NaiveDateTime) -> String {
    format!("{:02}/{:02}/{:02} {:02}:{:02}", dt.day(), dt.month(), dt.year() % 100, dt.hour(), dt.minute())
}

/// Damage a rendered offence row as its bad kind says.
pub fn corrupt_offence(cells: &mut [Cell], o: &Offence, kind: BadKind, layout: &OffenceLayout, rng: &mut SynthRng) {
    match kind {
        BadKind::ImpossibleDate => cells[col::FROM] = Cell::Text(impossible_datetime(o, layout.dates, rng)),
        BadKind::TwoDigitYear => cells[col::FROM] = Cell::Text(two_digit_year(o.from)),
        BadKind::MissingCrimeRef => cells[col::REF] = Cell::Empty,
        BadKind::Duplicate | BadKind::Orphan => {}
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
