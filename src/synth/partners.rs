//! What the five partner sources (ambulance, A&E, youth justice, MARAC, school exclusions) share: their
//! parameters (`seeds/synth/partner_params.csv`), file layouts as lists of (header, column), UK-style date text,
//! home locations coded to LSOAs or wards, UPN-style child identifiers common to the youth justice and
//! exclusions extracts, and planted rows with the reason and field each must produce: bad rows (extra rows
//! ingest must quarantine) and repaired rows (real records written with one bad value, which ingest must
//! stage with that value repaired and logged as a field issue).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::calendar::{self, YEARS};
use super::data::GenData;
use super::error::SynthError;
use super::geometry::Borough;
use super::layout::{Planted, Row, RowTag, Sink, is_leap};
use super::lsoa::Lsoas;
use super::population::Population;
use super::rng::{self, SynthRng, Weighted, mix64};
use super::writers::Cell;

const PARAMS: &str = include_str!("../../seeds/synth/partner_params.csv");

/// Planted sizes and shares of the partner sources.
#[derive(Debug, Clone)]
pub struct PartnerParams {
    pub lsoas_min_per_ward: usize,
    pub lsoas_max_per_ward: usize,
    pub neighbour_lsoas: usize,
    pub las_callouts_per_year_per_scale: f64,
    pub las_no_police_share: f64,
    pub las_match_radius_m: f64,
    pub las_match_hours: f64,
    pub las_weekend_night_share: f64,
    pub ae_attendances_per_year_per_scale: f64,
    pub ae_weekend_night_share: f64,
    pub ae_outside_area_share: f64,
    pub ae_missing_lsoa_share: f64,
    pub yot_children_per_year_per_scale: f64,
    pub yot_slcn_share: f64,
    pub yot_in_exclusions_share: f64,
    pub marac_referrals_per_year_per_scale: f64,
    pub marac_female_share: f64,
    pub marac_disability_share: f64,
    pub marac_repeat_share: f64,
    pub pupil_share_of_school_age: f64,
    pub exclusion_violent_rate_white: f64,
    pub exclusion_other_rate_white: f64,
    pub black_white_violent_exclusion_rate_ratio: f64,
    pub repeat_excluded_pupil_share: f64,
    pub partner_bad_row_share: f64,
}

impl PartnerParams {
    pub fn load() -> Result<PartnerParams, SynthError> {
        const FILE: &str = "partner_params.csv";
        #[derive(Deserialize)]
        struct Row {
            key: String,
            value: f64,
        }
        let rows: Vec<Row> = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(PARAMS.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .map_err(|e| SynthError::seed(FILE, e.to_string()))?;
        let map: BTreeMap<String, f64> = rows.into_iter().map(|r| (r.key, r.value)).collect();
        let get = |k: &str| map.get(k).copied().ok_or_else(|| SynthError::seed(FILE, format!("missing key {k}")));
        let share = |k: &str| {
            get(k).and_then(|v| {
                if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(SynthError::seed(FILE, format!("{k} must be 0..1"))) }
            })
        };
        let p = PartnerParams {
            lsoas_min_per_ward: get("lsoas_min_per_ward")? as usize,
            lsoas_max_per_ward: get("lsoas_max_per_ward")? as usize,
            neighbour_lsoas: get("neighbour_lsoas")? as usize,
            las_callouts_per_year_per_scale: get("las_callouts_per_year_per_scale")?,
            las_no_police_share: share("las_no_police_share")?,
            las_match_radius_m: get("las_match_radius_m")?,
            las_match_hours: get("las_match_hours")?,
            las_weekend_night_share: share("las_weekend_night_share")?,
            ae_attendances_per_year_per_scale: get("ae_attendances_per_year_per_scale")?,
            ae_weekend_night_share: share("ae_weekend_night_share")?,
            ae_outside_area_share: share("ae_outside_area_share")?,
            ae_missing_lsoa_share: share("ae_missing_lsoa_share")?,
            yot_children_per_year_per_scale: get("yot_children_per_year_per_scale")?,
            yot_slcn_share: share("yot_slcn_share")?,
            yot_in_exclusions_share: share("yot_in_exclusions_share")?,
            marac_referrals_per_year_per_scale: get("marac_referrals_per_year_per_scale")?,
            marac_female_share: share("marac_female_share")?,
            marac_disability_share: share("marac_disability_share")?,
            marac_repeat_share: share("marac_repeat_share")?,
            pupil_share_of_school_age: share("pupil_share_of_school_age")?,
            exclusion_violent_rate_white: share("exclusion_violent_rate_white")?,
            exclusion_other_rate_white: share("exclusion_other_rate_white")?,
            black_white_violent_exclusion_rate_ratio: get("black_white_violent_exclusion_rate_ratio")?,
            repeat_excluded_pupil_share: share("repeat_excluded_pupil_share")?,
            partner_bad_row_share: share("partner_bad_row_share")?,
        };
        if p.lsoas_min_per_ward == 0 || p.lsoas_min_per_ward > p.lsoas_max_per_ward || p.neighbour_lsoas == 0 {
            return Err(SynthError::seed(FILE, "LSOA counts must be positive and min <= max"));
        }
        Ok(p)
    }
}

/// Everything a partner generator reads.
pub struct Ctx<'a> {
    pub seed: u64,
    pub scale: u32,
    pub borough: &'a Borough,
    pub pop: &'a Population,
    pub data: &'a GenData,
    pub params: &'a PartnerParams,
    pub lsoas: &'a Lsoas,
}

impl Ctx<'_> {
    /// Records per financial year at this scale.
    pub fn per_year(&self, per_scale: f64) -> usize {
        (per_scale * f64::from(self.scale)).round().max(1.0) as usize
    }

    /// Wards weighted by residents, the two hot wards multiplied by `hot_factor`.
    pub fn ward_weights(&self, hot_factor: f64) -> Result<Weighted, SynthError> {
        let b = self.borough;
        Weighted::new((0..b.wards.len()).map(|w| {
            let f = if b.hot.contains(&w) { hot_factor } else { 1.0 };
            self.pop.ward_total(w) as f64 * f
        }))
        .ok_or_else(|| SynthError::Geometry("no ward has residents".into()))
    }

    pub fn draw_home(&self, wards: &Weighted, outside: f64, missing: f64, rng: &mut SynthRng) -> Home {
        let u = rng::unit(rng);
        if u < missing {
            Home::Missing
        } else if u < missing + outside {
            Home::Outside { lsoa: self.lsoas.random_outside(rng) }
        } else {
            let ward = wards.sample(rng);
            Home::In { ward, lsoa: self.lsoas.random_in_ward(ward, rng) }
        }
    }

    /// Borough-wide residents of each ethnic group in the age bands overlapping `min_age..=max_age`.
    pub fn ethnic_weights(&self, min_age: u32, max_age: u32) -> [f64; 5] {
        let mut w = [0.0; 5];
        for ward in &self.pop.cells {
            for (b, band) in ward.iter().enumerate() {
                let bd = &self.data.bands[b];
                if bd.max_age < min_age || bd.min_age > max_age {
                    continue;
                }
                for sex in band {
                    for (e, v) in sex.iter().enumerate() {
                        w[e] += *v as f64;
                    }
                }
            }
        }
        w
    }

    /// An SDE code for ethnic group `eth`, as the borough's people are coded.
    pub fn sde(&self, eth: usize, rng: &mut SynthRng) -> String {
        rng::pick(rng, &self.data.ethnic[eth].sde).clone()
    }
}

/// Where a person lives (or an assault happened), as an extract codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// In the borough: ward index and LSOA index.
    In { ward: usize, lsoa: usize },
    /// In the neighbouring borough (an LSOA the lookup maps to a ward outside the area).
    Outside { lsoa: usize },
    /// Not recorded.
    Missing,
}

/// Which location column a file gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeField {
    Lsoa,
    Ward,
}

impl Home {
    pub fn cell(self, field: HomeField, lsoas: &Lsoas, borough: &Borough) -> Cell {
        match (self, field) {
            (Home::Missing, _) => Cell::Empty,
            (Home::In { lsoa, .. } | Home::Outside { lsoa }, HomeField::Lsoa) => {
                Cell::Text(lsoas.list[lsoa].code.clone())
            }
            (Home::In { ward, .. }, HomeField::Ward) => Cell::Text(borough.wards[ward].code.clone()),
            (Home::Outside { lsoa }, HomeField::Ward) => Cell::Text(lsoas.ward_code_of(lsoa).to_string()),
        }
    }

    /// The `location_status` ingest should give the row.
    pub fn status(self, field: HomeField) -> &'static str {
        match (self, field) {
            (Home::Missing, _) => "unlocated",
            (Home::Outside { .. }, _) => "outside_area",
            (Home::In { .. }, HomeField::Lsoa) => "lsoa",
            (Home::In { .. }, HomeField::Ward) => "ward_code",
        }
    }
}

/// How dates are written as text in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextDate {
    /// `31/01/2025 23:15`
    Uk,
    /// `31/01/2025 23:15:00`
    UkSeconds,
    /// `2025-01-31T23:15:00`
    Iso,
    /// `31-01-2025`
    Dashed,
}

pub fn date_text(d: NaiveDate, style: TextDate) -> String {
    let (y, m, dd) = (d.year(), d.month(), d.day());
    match style {
        TextDate::Uk | TextDate::UkSeconds => format!("{dd:02}/{m:02}/{y:04}"),
        TextDate::Iso => format!("{y:04}-{m:02}-{dd:02}"),
        TextDate::Dashed => format!("{dd:02}-{m:02}-{y:04}"),
    }
}

pub fn datetime_text(t: NaiveDateTime, style: TextDate) -> String {
    let (hh, mm, ss) = (t.hour(), t.minute(), t.second());
    match style {
        TextDate::Uk | TextDate::Dashed => format!("{} {hh:02}:{mm:02}", date_text(t.date(), style)),
        TextDate::UkSeconds => format!("{} {hh:02}:{mm:02}:{ss:02}", date_text(t.date(), style)),
        TextDate::Iso => format!("{}T{hh:02}:{mm:02}:{ss:02}", date_text(t.date(), style)),
    }
}

/// A date that cannot exist (31 April, 30 February, ...) near `d`'s month, written in `style`, with `time` if given.
pub fn impossible_text(d: NaiveDate, time: Option<NaiveTime>, style: TextDate, rng: &mut SynthRng) -> String {
    let mut options: Vec<(u32, u32)> = vec![(31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11)];
    if !is_leap(d.year()) {
        options.push((29, 2));
    }
    let dist = |m: u32| {
        let x = (i64::from(m) - i64::from(d.month())).rem_euclid(12);
        x.min(12 - x)
    };
    let best = options.iter().map(|&(_, m)| dist(m)).min().unwrap_or(0);
    options.retain(|&(_, m)| dist(m) == best);
    let (dd, m) = options[rng.random_range(0..options.len())];
    let y = d.year();
    let date = match style {
        TextDate::Uk | TextDate::UkSeconds => format!("{dd:02}/{m:02}/{y:04}"),
        TextDate::Iso => format!("{y:04}-{m:02}-{dd:02}"),
        TextDate::Dashed => format!("{dd:02}-{m:02}-{y:04}"),
    };
    match (time, style) {
        (None, _) => date,
        (Some(t), TextDate::Iso) => format!("{date}T{:02}:{:02}:00", t.hour(), t.minute()),
        (Some(t), _) => format!("{date} {:02}:{:02}", t.hour(), t.minute()),
    }
}

/// A two-digit-year date as typed by hand: `14/03/24` (with ` 22:10` when `time` is given).
pub fn two_digit_text(d: NaiveDate, time: Option<NaiveTime>) -> String {
    let date = format!("{:02}/{:02}/{:02}", d.day(), d.month(), d.year() % 100);
    match time {
        Some(t) => format!("{date} {:02}:{:02}", t.hour(), t.minute()),
        None => date,
    }
}

/// The kinds of bad row a partner extract invites. A bad required value (an impossible or two-digit date,
/// a missing identifier) or a duplicate quarantines the row; a bad optional value or an unknown code does
/// not (see [`Bad::repaired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    ImpossibleDate,
    TwoDigitYear,
    UnknownCode,
    AgeOutOfRange,
    /// A score outside its scale (e.g. DASH 31 of 27).
    OutOfRange,
    MissingId,
    Duplicate,
}

impl Bad {
    pub fn name(self) -> &'static str {
        match self {
            Bad::ImpossibleDate => "impossible_date",
            Bad::TwoDigitYear => "two_digit_year",
            Bad::UnknownCode => "unknown_code",
            Bad::AgeOutOfRange => "age_out_of_range",
            Bad::OutOfRange => "out_of_range",
            Bad::MissingId => "missing_id",
            Bad::Duplicate => "duplicate",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Bad::ImpossibleDate | Bad::TwoDigitYear => "bad_date",
            Bad::UnknownCode => "unknown_code",
            Bad::AgeOutOfRange => "age_out_of_range",
            Bad::OutOfRange => "out_of_range",
            Bad::MissingId => "missing_required",
            Bad::Duplicate => "duplicate",
        }
    }

    /// Whether ingest stages the row with the value repaired (logged as a field issue) rather than
    /// quarantining it: out-of-range values and unknown codes. Such a row is a real record.
    pub fn repaired(self) -> bool {
        matches!(self, Bad::UnknownCode | Bad::AgeOutOfRange | Bad::OutOfRange)
    }

    pub fn tag(self, field: &'static str) -> RowTag {
        let planted = Planted { kind: self.name(), reason: self.reason(), field };
        if self.repaired() { RowTag::Repaired(planted) } else { RowTag::Planted(planted) }
    }
}

/// `n` distinct clean rows of `rows` (positions, in the order drawn) to be written with one bad value each:
/// repaired rows are real records, so they are corrupted copies of the source's own records, never extras.
pub fn pick_clean(rows: &[Row], n: usize, rng: &mut SynthRng) -> Vec<usize> {
    pick_distinct((0..rows.len()).filter(|&i| rows[i].tag == RowTag::Clean).collect(), n, rng)
}

/// `n` distinct items of `from` (all of them if it holds fewer), in the order drawn.
pub fn pick_distinct(mut from: Vec<usize>, n: usize, rng: &mut SynthRng) -> Vec<usize> {
    let n = n.min(from.len());
    for k in 0..n {
        let j = rng.random_range(k..from.len());
        from.swap(k, j);
    }
    from.truncate(n);
    from
}

/// Bad rows of each kind for a file of `n_clean` rows: about `share` of them in all, at least two per kind.
pub fn bad_plan(n_clean: usize, share: f64, kinds: &[(Bad, f64)]) -> Vec<(Bad, usize)> {
    let total: f64 = kinds.iter().map(|(_, w)| w).sum();
    kinds.iter().map(|&(k, w)| (k, ((n_clean as f64 * share * w / total).round() as usize).max(2))).collect()
}

/// A file layout: where, in what form, and its columns in order (header text and what the column holds).
pub struct Layout<C: 'static> {
    pub path: &'static str,
    pub sink: Sink,
    pub dates: TextDate,
    pub columns: &'static [(&'static str, C)],
}

impl<C: Copy + PartialEq> Layout<C> {
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(h, _)| *h).collect()
    }

    pub fn pos(&self, c: C) -> Option<usize> {
        self.columns.iter().position(|(_, x)| *x == c)
    }

    pub fn xlsx(&self) -> bool {
        matches!(self.sink, Sink::Xlsx { .. })
    }

    /// A date-time cell: a real Excel date-time in workbooks, text in CSV.
    pub fn datetime(&self, t: NaiveDateTime) -> Cell {
        if self.xlsx() { Cell::DateTime(t) } else { Cell::Text(datetime_text(t, self.dates)) }
    }

    pub fn date(&self, d: NaiveDate) -> Cell {
        if self.xlsx() { Cell::Date(d) } else { Cell::Text(date_text(d, self.dates)) }
    }

    /// A whole number: a number cell in workbooks, text in CSV.
    pub fn int(&self, v: i64) -> Cell {
        if self.xlsx() { Cell::Number(v as f64) } else { Cell::Text(v.to_string()) }
    }

    /// Replace column `c` of `cells` (no-op when the layout lacks it).
    pub fn set(&self, cells: &mut [Cell], c: C, v: Cell) {
        if let Some(i) = self.pos(c) {
            cells[i] = v;
        }
    }
}

/// Insert `extra` rows at random positions among `rows` (the order of `rows` is kept).
pub fn scatter(rows: Vec<Row>, extra: Vec<Row>, rng: &mut SynthRng) -> Vec<Row> {
    let n = rows.len();
    let mut at: Vec<(usize, usize)> = (0..extra.len()).map(|i| (rng.random_range(0..=n), i)).collect();
    at.sort_unstable();
    let mut extra: Vec<Option<Row>> = extra.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(n + extra.len());
    let mut k = 0;
    for (pos, row) in rows.into_iter().enumerate() {
        while k < at.len() && at[k].0 == pos {
            if let Some(r) = extra[at[k].1].take() {
                out.push(r);
            }
            k += 1;
        }
        out.push(row);
    }
    for &(_, i) in &at[k..] {
        if let Some(r) = extra[i].take() {
            out.push(r);
        }
    }
    out
}

/// Insert `n` exact copies of distinct clean rows, each a little after its original (a re-exported record).
pub fn add_duplicates(rows: Vec<Row>, n: usize, field: &'static str, rng: &mut SynthRng) -> Vec<Row> {
    let clean: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].tag == RowTag::Clean).collect();
    if clean.is_empty() {
        return rows;
    }
    let mut picks = std::collections::BTreeSet::new();
    for _ in 0..n * 20 {
        if picks.len() == n.min(clean.len()) {
            break;
        }
        picks.insert(clean[rng.random_range(0..clean.len())]);
    }
    let mut inserts: Vec<(usize, usize)> =
        picks.into_iter().map(|i| ((i + rng::int(rng, 1, 40) as usize).min(rows.len() - 1), i)).collect();
    inserts.sort_unstable();
    let copies: Vec<(usize, Vec<Cell>)> = inserts.iter().map(|&(at, i)| (at, rows[i].cells.clone())).collect();
    let mut copies = copies.into_iter().peekable();
    let mut out = Vec::with_capacity(rows.len() + n);
    for (pos, row) in rows.into_iter().enumerate() {
        out.push(row);
        while let Some((_, cells)) = copies.next_if(|(at, _)| *at == pos) {
            out.push(Row { cells, tag: Bad::Duplicate.tag(field) });
        }
    }
    out
}

/// Unique pupil numbers (UPN-like: a check letter and 12 digits), one pool for every child in the borough, so
/// the youth justice service and the schools hold the same identifier for the same child.
pub struct UpnPool {
    next: u64,
    rng: SynthRng,
}

const UPN_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

impl UpnPool {
    pub fn new(seed: u64) -> UpnPool {
        let mut rng = rng::keyed(seed, rng::streams::YOT, &[0x55504E]);
        let next = rng::int(&mut rng, 10_000, 60_000);
        UpnPool { next, rng }
    }

    pub fn next_upn(&mut self) -> String {
        self.next += rng::int(&mut self.rng, 1, 5);
        let letter = UPN_LETTERS[(mix64(self.next) % UPN_LETTERS.len() as u64) as usize] as char;
        // LA 999 (no real authority), then an establishment and serial made from the counter.
        format!("{letter}999{:09}", 200_000_000 + (self.next * 37) % 700_000_000)
    }
}

/// What one partner source wrote: files (rows tagged clean or bad) and what ingest should stage.
pub struct PartnerFile {
    pub path: &'static str,
    pub header: Vec<&'static str>,
    pub sink: Sink,
    pub rows: Vec<Row>,
}

/// Expected ingest outcome of one partner source.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceTruth {
    pub files: Vec<String>,
    /// Rows written (header excluded), bad rows included.
    pub rows_written: usize,
    /// Rows ingest should stage: clean rows and repaired rows (`rows_written - bad_rows`).
    pub staged_rows: usize,
    /// Of `staged_rows`, those written with one bad value that ingest repairs (see `repaired_rows` at the
    /// top of truth.json).
    pub repaired_rows: usize,
    /// Rows ingest should quarantine.
    pub bad_rows: usize,
    /// Staged rows by financial year of the event.
    pub staged_by_year: BTreeMap<String, usize>,
    /// Expected `location_status` of the staged rows.
    pub location_status: BTreeMap<String, usize>,
}

impl SourceTruth {
    /// From the written files and the (financial year, location status) of every staged record.
    pub fn new(files: &[PartnerFile], staged: impl Iterator<Item = (usize, &'static str)>) -> SourceTruth {
        let rows = || files.iter().flat_map(|f| f.rows.iter());
        let rows_written = rows().count();
        let bad_rows = rows().filter(|r| !r.tag.staged()).count();
        let repaired_rows = rows().filter(|r| matches!(r.tag, RowTag::Repaired(_))).count();
        let mut staged_by_year: BTreeMap<String, usize> = YEARS.iter().map(|(y, _)| (y.to_string(), 0)).collect();
        let mut location_status = BTreeMap::new();
        for (year, status) in staged {
            *staged_by_year.entry(YEARS[year.min(YEARS.len() - 1)].0.to_string()).or_default() += 1;
            *location_status.entry(status.to_string()).or_default() += 1;
        }
        SourceTruth {
            files: files.iter().map(|f| f.path.to_string()).collect(),
            rows_written,
            staged_rows: rows_written - bad_rows,
            repaired_rows,
            bad_rows,
            staged_by_year,
            location_status,
        }
    }
}

/// The financial year (index into [`YEARS`]) holding `d`.
pub fn year_of(d: NaiveDate) -> Option<usize> {
    YEARS.iter().position(|&(_, y)| {
        let start = NaiveDate::from_ymd_opt(y, 4, 1);
        let end = NaiveDate::from_ymd_opt(y + 1, 3, 31);
        matches!((start, end), (Some(s), Some(e)) if d >= s && d <= e)
    })
}

/// First and last day of the generated window (1 April of the first year to 31 March after the last).
pub fn window() -> Result<(NaiveDate, NaiveDate), SynthError> {
    Ok((calendar::ymd(YEARS[0].1, 4, 1)?, calendar::ymd(YEARS[YEARS.len() - 1].1 + 1, 3, 31)?))
}

/// A uniformly random day of financial year `year`.
pub fn random_day(year: usize, rng: &mut SynthRng) -> Result<NaiveDate, SynthError> {
    let start = calendar::ymd(YEARS[year].1, 4, 1)?;
    let end = calendar::ymd(YEARS[year].1 + 1, 3, 31)?;
    let span = (end - start).num_days();
    Ok(start + Duration::days(rng.random_range(0..=span)))
}

/// A random weekday of financial year `year` (agencies refer and schools exclude on working days).
pub fn random_weekday(year: usize, rng: &mut SynthRng) -> Result<NaiveDate, SynthError> {
    loop {
        let d = random_day(year, rng)?;
        if d.weekday().num_days_from_monday() < 5 {
            return Ok(d);
        }
    }
}

/// An integer age drawn from (min, max, weight) bands.
pub fn age_from(bands: &[(u32, u32, f64)], rng: &mut SynthRng) -> u32 {
    let (lo, hi, _) = *rng::pick(rng, &bands.iter().map(|b| (*b, b.2)).collect::<Vec<_>>());
    rng::int(rng, u64::from(lo), u64::from(hi)) as u32
}
