//! Ward population denominators (residents by age band, sex and ethnic group).
//!
//! Sources come at ward or LSOA level; LSOA rows are summed into wards through the best-fit lookup. Cells are
//! kept long (one row per ward x age band x sex x ethnic group). Readers: the simple long CSV here, Census 2021
//! TS007A age bands ([`super::population_ts007a`]) and the Nomis TS021 ethnic group export
//! ([`super::population_ts021`]). A source without a split uses [`ALL`] for that dimension.
//!
//! # Tables, and how a denominator is chosen
//!
//! Cells from different files coexist, so within one ward the cells fall into *tables* by which dimensions
//! they split ([`Split`]): TS007A gives an age table (`age_band` set, sex and ethnic group [`ALL`]), TS021 an
//! ethnic-group table, a long file typically the full age x sex x ethnic cross-tab. Each table on its own
//! covers the ward's whole population, so cells of different tables must never be added together; the totals
//! of two Census tables also differ slightly, because ONS perturbs each table separately.
//!
//! [`Population::denominator`] answers "how many residents of this ward match these filters" by this rule:
//!
//! 1. **Observed.** If some table splits by every filtered dimension, sum its matching cells (cells of any
//!    extra dimension are summed over). Among such tables the one with the fewest dimensions wins (least
//!    perturbed, least often suppressed); ties prefer a table with age, then sex, then ethnic group, so "all
//!    residents" comes from the age table when TS007A and TS021 are both loaded.
//!    "Residents aged 0-24" is observed from TS007A; "Black residents" from TS021.
//! 2. **Estimated by independence.** If no table has the cross-tab (e.g. "Black residents aged 0-24" from
//!    TS007A + TS021), the filtered dimensions are covered greedily by tables (most still-needed dimensions
//!    first, ties by the order above). The first table gives a count; every further table contributes the
//!    *share* of its ward total matching its newly covered dimensions, and the estimate is their product:
//!    `count(aged 0-24, TS007A) x Black(TS021) / total(TS021)`. This assumes age and ethnic group are
//!    independent within the ward, which they are not (Census 2021: minority groups are younger), so an
//!    estimate is returned as [`Method::EstimatedIndependence`] naming the tables, never as an observation;
//!    reports must say so. Supply a long file with the real cross-tab to get an observed value.
//!
//! An age filter is an inclusive range; it must align with the table's bands (a band wholly inside or wholly
//! outside), otherwise that table cannot answer and the query fails rather than prorating. Category filters
//! (sex, ethnic group) match case-insensitively and must name a value that occurs somewhere in the
//! population, so a typo fails instead of returning zero.

use std::collections::BTreeMap;
use std::path::Path;

use super::csvread::{self, LineCounter};
use super::error::GeoError;
use super::lsoa_lookup::{LsoaLookup, normalise_code};
use super::wards::WardSet;

/// Value of `age_band`, `sex` or `ethnic_group` when the source does not split by that dimension.
pub const ALL: &str = "all";

#[derive(Debug, Clone, PartialEq)]
pub struct PopulationCell {
    pub ward_code: String,
    /// `"0-4"`, `"5-9"`, ..., `"85+"`, or [`ALL`]; see [`age_band_bounds`].
    pub age_band: String,
    pub sex: String,
    pub ethnic_group: String,
    pub population: f64,
}

impl PopulationCell {
    /// Inclusive lower and upper age of the band (`None` upper = open-ended); `None` for [`ALL`] or unparsable.
    pub fn age_bounds(&self) -> Option<(u32, Option<u32>)> {
        age_band_bounds(&self.age_band)
    }

    /// True if every age in the band is within `lo..=hi` (e.g. under-25s: `within_ages(0, 24)`).
    pub fn within_ages(&self, lo: u32, hi: u32) -> bool {
        match self.age_bounds() {
            Some((a, Some(b))) => a >= lo && b <= hi,
            _ => false,
        }
    }
}

/// Parse an age band: `"0-4"` -> (0, Some(4)), `"85+"` -> (85, None). Bounds are inclusive. Also accepts an en
/// dash and surrounding spaces; anything else (including [`ALL`]) is `None`.
pub fn age_band_bounds(band: &str) -> Option<(u32, Option<u32>)> {
    let b = band.trim();
    if let Some(lo) = b.strip_suffix('+') {
        return lo.trim().parse().ok().map(|lo| (lo, None));
    }
    let (lo, hi) = b.split_once('-').or_else(|| b.split_once('\u{2013}'))?;
    let lo: u32 = lo.trim().parse().ok()?;
    let hi: u32 = hi.trim().parse().ok()?;
    (lo <= hi).then_some((lo, Some(hi)))
}

/// England (E01) and Wales (W01) LSOA codes: letter, `01`, six digits.
pub(crate) fn is_lsoa_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && (b.starts_with(b"E01") || b.starts_with(b"W01"))
        && b[3..].iter().all(u8::is_ascii_digit)
}

/// Physical lines a CSV record spans (one plus newlines quoted inside fields), for true line numbers.
pub(crate) fn record_lines(record: &csv::ByteRecord) -> u64 {
    1 + record
        .iter()
        .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum::<u64>()
}

/// England (W05 in Wales) electoral ward codes: letter, `05`, six digits.
fn is_ward_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && (b.starts_with(b"E05") || b.starts_with(b"W05"))
        && b[3..].iter().all(u8::is_ascii_digit)
}

/// What a population reader did with each row, for the run report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PopulationLoadReport {
    /// Data rows read (metadata, blank and footer lines of a Nomis export are not rows; see `lines_skipped`).
    pub rows_read: usize,
    pub rows_used: usize,
    /// Residents in the rows used (for an LSOA file, the area's LSOAs summed).
    pub population_used: f64,
    /// Rows whose area is a ward outside the set or an LSOA whose ward is outside the set. (For the long CSV,
    /// also a code that is neither a ward of the set nor an LSOA in the lookup; an LSOA code with no lookup
    /// given is a bad row. The Census readers report an LSOA missing from the lookup as a bad row.)
    pub rows_outside_area: usize,
    pub population_outside_area: f64,
    /// (Line, 1-based with the file's first line as 1; reason).
    pub rows_bad: Vec<(u64, String)>,
    /// Lines that are not data rows: a Nomis export's title and metadata lines, blank lines and footnotes.
    pub lines_skipped: usize,
    /// Wards of the area that got no residents from this file, sorted. With LSOA files this is expected where
    /// the best-fit lookup assigns no LSOA to a ward (the City of London's 6 LSOAs reach 5 of its 25 wards):
    /// such wards have no denominator and their rates must be reported as unavailable, not as zero.
    pub wards_without_population: Vec<String>,
}

impl PopulationLoadReport {
    /// Fill `wards_without_population` from the loaded cells.
    pub(crate) fn note_empty_wards(&mut self, population: &Population, wards: &WardSet) {
        let totals = population.cell_sum_by_ward();
        self.wards_without_population = wards
            .wards
            .iter()
            .filter(|w| totals.get(w.code.as_str()).is_none_or(|&v| v <= 0.0))
            .map(|w| w.code.clone())
            .collect();
    }
}

/// Where an LSOA-level (or ward-level) row belongs.
pub(crate) enum Route {
    Ward(String),
    OutsideArea,
    /// Cannot be placed: the reason, for the bad-row list.
    Unplaceable(String),
}

/// Place a row of an LSOA file: a ward code of the set is taken as is; an LSOA goes to its best-fit ward;
/// another ward code is outside the area. An LSOA missing from the lookup cannot be placed (it may be in the
/// area), so it is a bad row rather than silently outside.
pub(crate) fn route_area(code: &str, lookup: &LsoaLookup, wards: &WardSet) -> Route {
    if wards.index_of(code).is_some() {
        return Route::Ward(code.to_string());
    }
    if let Some(w) = lookup.ward_for_lsoa(code) {
        return if wards.index_of(&w.code).is_some() {
            Route::Ward(w.code.clone())
        } else {
            Route::OutsideArea
        };
    }
    if is_lsoa_code(code) {
        Route::Unplaceable(format!("LSOA {code} is not in the LSOA-to-ward lookup"))
    } else if is_ward_code(code) {
        Route::OutsideArea
    } else {
        Route::Unplaceable(format!(
            "area code \"{code}\" is neither an LSOA 2021 code (E01/W01) nor a ward code"
        ))
    }
}

/// Population cells for the area's wards.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    /// Sorted by (ward, age band, sex, ethnic group), one cell per combination.
    pub cells: Vec<PopulationCell>,
}

type CellKey = (String, String, String, String);

/// The rows of one population file already read, by area (and split): the same row twice would double
/// the area's residents and halve every rate, so a repeat is a bad row (which fails the run).
#[derive(Default)]
pub(crate) struct SeenRows(std::collections::HashMap<String, u64>);

impl SeenRows {
    /// `None` the first time `key` is seen; the reason when it was already on an earlier line.
    pub(crate) fn repeat(&mut self, key: String, line: u64, what: &str) -> Option<String> {
        match self.0.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => {
                Some(format!("{what} appears again (first at line {}): its residents would be counted twice", e.get()))
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                None
            }
        }
    }
}

impl Population {
    /// Cells merged (same ward, age band, sex, ethnic group summed, e.g. several LSOAs of one ward) and sorted.
    pub fn from_cells(cells: impl IntoIterator<Item = PopulationCell>) -> Population {
        let mut p = Population::default();
        p.extend(cells);
        p
    }

    /// Add cells from another source, keeping the merged, sorted invariant.
    pub fn extend(&mut self, cells: impl IntoIterator<Item = PopulationCell>) {
        let mut map: BTreeMap<CellKey, f64> = BTreeMap::new();
        for c in std::mem::take(&mut self.cells).into_iter().chain(cells) {
            *map.entry((c.ward_code, c.age_band, c.sex, c.ethnic_group))
                .or_insert(0.0) += c.population;
        }
        self.cells = map
            .into_iter()
            .map(
                |((ward_code, age_band, sex, ethnic_group), population)| PopulationCell {
                    ward_code,
                    age_band,
                    sex,
                    ethnic_group,
                    population,
                },
            )
            .collect();
    }

    /// Load the simple long CSV `area_code,age_band,sex,ethnic_group,population` (header names
    /// case-insensitive, any column order, extra columns ignored).
    ///
    /// `area_code` is a ward code of `wards`, or an LSOA code summed into its best-fit ward via `lookup`. Rows
    /// outside the area are counted in the report rather than dropped silently; malformed rows are listed
    /// with their line and reason. Only an unreadable file or a missing column is an error.
    pub fn load_long_csv(
        path: impl AsRef<Path>,
        lookup: Option<&LsoaLookup>,
        wards: &WardSet,
    ) -> Result<(Population, PopulationLoadReport), GeoError> {
        let path = path.as_ref();
        let mut rdr = csvread::open(path, true)?;
        let header: Vec<String> = csvread::header(&mut rdr, path)?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let col = |name: &str| -> Result<usize, GeoError> {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| GeoError::MissingColumn {
                    path: path.to_path_buf(),
                    expected: name.to_string(),
                    found: header.clone(),
                })
        };
        let (ai, bi, si, ei, pi) = (
            col("area_code")?,
            col("age_band")?,
            col("sex")?,
            col("ethnic_group")?,
            col("population")?,
        );

        let mut report = PopulationLoadReport::default();
        let mut cells = Vec::new();
        let mut record = csv::StringRecord::new();
        let mut lines = LineCounter::after_header();
        let mut seen = SeenRows::default();
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // A malformed row (e.g. bad UTF-8) is reported; the reader can continue after it.
                    report.rows_read += 1;
                    report
                        .rows_bad
                        .push((lines.current(), format!("unreadable row: {e}")));
                    lines.skip();
                    continue;
                }
            }
            report.rows_read += 1;
            let line = lines.consume(&record);
            let field = |i: usize| record.get(i).map_or("", str::trim);
            let area = normalise_code(field(ai));
            if area.is_empty() {
                report
                    .rows_bad
                    .push((line, "area_code is empty".to_string()));
                continue;
            }
            let age_band = field(bi);
            if age_band != ALL && age_band_bounds(age_band).is_none() {
                report.rows_bad.push((
                    line,
                    format!("age_band \"{age_band}\" is not like \"0-4\", \"85+\" or \"{ALL}\""),
                ));
                continue;
            }
            let (sex, ethnic_group) = (field(si), field(ei));
            if sex.is_empty() || ethnic_group.is_empty() {
                report.rows_bad.push((
                    line,
                    format!("sex or ethnic_group is empty (use \"{ALL}\")"),
                ));
                continue;
            }
            let population = match field(pi).parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => v,
                _ => {
                    report.rows_bad.push((
                        line,
                        format!("population \"{}\" is not a non-negative number", field(pi)),
                    ));
                    continue;
                }
            };
            let key = format!("{area}|{}|{}|{}", age_band.to_lowercase(), sex.to_lowercase(), ethnic_group.to_lowercase());
            if let Some(reason) = seen.repeat(key, line, &format!("{area} {age_band} {sex} {ethnic_group}")) {
                report.rows_bad.push((line, reason));
                continue;
            }
            if lookup.is_none() && is_lsoa_code(&area) && wards.index_of(&area).is_none() {
                report.rows_bad.push((
                    line,
                    format!(
                        "area_code {area} is an LSOA code but no LSOA-to-ward lookup was given"
                    ),
                ));
                continue;
            }
            let ward_code = if wards.index_of(&area).is_some() {
                Some(area.into_owned())
            } else {
                lookup
                    .and_then(|l| l.ward_for_lsoa(&area))
                    .filter(|w| wards.index_of(&w.code).is_some())
                    .map(|w| w.code.clone())
            };
            let Some(ward_code) = ward_code else {
                report.rows_outside_area += 1;
                report.population_outside_area += population;
                continue;
            };
            report.rows_used += 1;
            report.population_used += population;
            cells.push(PopulationCell {
                ward_code,
                age_band: age_band.to_string(),
                sex: sex.to_string(),
                ethnic_group: ethnic_group.to_string(),
                population,
            });
        }
        let population = Population::from_cells(cells);
        report.note_empty_wards(&population, wards);
        Ok((population, report))
    }

    /// Residents per ward code by the rule in the module docs (the least-split table of each ward, so two
    /// sources covering the same ward are not added together). Wards with no cells are absent.
    pub fn total_by_ward(&self) -> BTreeMap<String, f64> {
        self.ward_codes()
            .filter_map(|w| {
                self.denominator(w, &AgeFilter::Any, &SexFilter::Any, &EthnicFilter::Any)
                    .ok()
                    .map(|d| (w.to_string(), d.value))
            })
            .collect()
    }

    /// Residents of all wards ([`Population::total_by_ward`] summed).
    pub fn total(&self) -> f64 {
        self.total_by_ward().values().sum()
    }

    /// Plain sum of every cell per ward, whatever table it belongs to: only meaningful for one source.
    fn cell_sum_by_ward(&self) -> BTreeMap<&str, f64> {
        let mut out = BTreeMap::new();
        for c in &self.cells {
            *out.entry(c.ward_code.as_str()).or_insert(0.0) += c.population;
        }
        out
    }

    /// Population of the cells matching `pred`, e.g. `|c| c.within_ages(0, 24) && c.ethnic_group == "Black"`.
    /// A raw sum across all cells: with several sources loaded, restrict `pred` to one table (see [`Split`])
    /// or use [`Population::denominator`].
    pub fn sum(&self, pred: impl Fn(&PopulationCell) -> bool) -> f64 {
        self.cells
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.population)
            .sum()
    }
}

// ---- denominators: which table answers a query -------------------------------------------------------

/// Which dimensions a cell (and so its table) is split by; a dimension is split unless it is [`ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Split {
    pub age: bool,
    pub sex: bool,
    pub ethnic: bool,
}

impl Split {
    pub const TOTAL: Split = Split {
        age: false,
        sex: false,
        ethnic: false,
    };

    pub fn of(cell: &PopulationCell) -> Split {
        Split {
            age: cell.age_band != ALL,
            sex: cell.sex != ALL,
            ethnic: cell.ethnic_group != ALL,
        }
    }

    fn dims(self) -> usize {
        usize::from(self.age) + usize::from(self.sex) + usize::from(self.ethnic)
    }

    /// True if this table splits by every dimension `other` does.
    pub fn covers(self, other: Split) -> bool {
        (self.age || !other.age) && (self.sex || !other.sex) && (self.ethnic || !other.ethnic)
    }

    fn and(self, other: Split) -> Split {
        Split {
            age: self.age && other.age,
            sex: self.sex && other.sex,
            ethnic: self.ethnic && other.ethnic,
        }
    }

    fn without(self, other: Split) -> Split {
        Split {
            age: self.age && !other.age,
            sex: self.sex && !other.sex,
            ethnic: self.ethnic && !other.ethnic,
        }
    }

    /// Preference order among tables: fewest dimensions, then age before sex before ethnic group.
    fn rank(self) -> (usize, bool, bool, bool) {
        (self.dims(), !self.age, !self.sex, !self.ethnic)
    }
}

impl std::fmt::Display for Split {
    /// "age band", "age band x ethnic group", or "total" for a table split by nothing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.age, "age band"),
            (self.sex, "sex"),
            (self.ethnic, "ethnic group"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        if names.is_empty() {
            f.write_str("total")
        } else {
            f.write_str(&names.join(" x "))
        }
    }
}

/// Ages to count; bounds inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AgeFilter {
    Any,
    /// `to: None` is open-ended ("65 and over").
    Range {
        from: u32,
        to: Option<u32>,
    },
}

impl AgeFilter {
    /// `between(0, 24)`: residents aged 0 to 24 inclusive.
    pub fn between(from: u32, to: u32) -> AgeFilter {
        AgeFilter::Range { from, to: Some(to) }
    }

    pub fn at_least(from: u32) -> AgeFilter {
        AgeFilter::Range { from, to: None }
    }

    fn is_any(&self) -> bool {
        matches!(self, AgeFilter::Any)
    }

    /// For a band: Some(true) wholly inside, Some(false) wholly outside, None straddling or unparsable.
    fn band_inside(&self, band: &str) -> Option<bool> {
        let AgeFilter::Range { from, to } = self else {
            return Some(true);
        };
        let (lo, hi) = age_band_bounds(band)?;
        let starts_in = lo >= *from && to.is_none_or(|t| lo <= t);
        let ends_in = match (hi, to) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(h), Some(t)) => h <= *t,
        };
        let before = hi.is_some_and(|h| h < *from);
        let after = to.is_some_and(|t| lo > t);
        if starts_in && ends_in {
            Some(true)
        } else if before || after {
            Some(false)
        } else {
            None
        }
    }
}

impl std::fmt::Display for AgeFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgeFilter::Any => f.write_str("all ages"),
            AgeFilter::Range { from, to: None } => write!(f, "aged {from}+"),
            AgeFilter::Range { from, to: Some(t) } => write!(f, "aged {from}-{t}"),
        }
    }
}

/// Values of a categorical dimension (sex, ethnic group) to count; compared trimmed and case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CategoryFilter {
    Any,
    OneOf(Vec<String>),
}

pub type SexFilter = CategoryFilter;
pub type EthnicFilter = CategoryFilter;

impl CategoryFilter {
    /// `CategoryFilter::is("Black")`.
    pub fn is(value: &str) -> CategoryFilter {
        CategoryFilter::OneOf(vec![value.to_string()])
    }

    fn is_any(&self) -> bool {
        matches!(self, CategoryFilter::Any)
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            CategoryFilter::Any => true,
            CategoryFilter::OneOf(vs) => vs
                .iter()
                .any(|v| v.trim().eq_ignore_ascii_case(value.trim())),
        }
    }
}

impl std::fmt::Display for CategoryFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CategoryFilter::Any => f.write_str("any"),
            CategoryFilter::OneOf(vs) => f.write_str(&vs.join(" or ")),
        }
    }
}

/// How a denominator was obtained; reports must show estimates as estimates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    /// Summed from one table that splits by every filtered dimension.
    Observed { table: Split },
    /// No table has the cross-tab: the count from `primary` times, for each of `shares`, the share of that
    /// table's ward total matching its filters, assuming the dimensions are independent within the ward.
    EstimatedIndependence { primary: Split, shares: Vec<Split> },
}

impl Method {
    pub fn is_estimate(&self) -> bool {
        matches!(self, Method::EstimatedIndependence { .. })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Method::Observed { table } => write!(f, "observed ({table} table)"),
            Method::EstimatedIndependence { primary, shares } => {
                let shares: Vec<String> = shares.iter().map(|s| format!("{s} share")).collect();
                write!(
                    f,
                    "estimated assuming independence ({primary} count x {})",
                    shares.join(" x ")
                )
            }
        }
    }
}

/// A ward's (or the area's) residents matching a query, and how the number was obtained.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Denominator {
    pub value: f64,
    pub method: Method,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PopulationQueryError {
    #[error(
        "ward {ward}: no population (no population file reached this ward; with LSOA files, the best-fit lookup assigns it no LSOA)"
    )]
    NoPopulation { ward: String },
    #[error("ward {ward}: no population table splits by {dimension}")]
    NoSplit {
        ward: String,
        dimension: &'static str,
    },
    #[error(
        "ward {ward}: {filter} does not align with the age bands of the {table} table ({bands}); choose ages on band boundaries"
    )]
    AgeBandsMisaligned {
        ward: String,
        filter: String,
        table: Split,
        bands: String,
    },
    #[error("{dimension} \"{value}\" does not occur in the population (values: {known})")]
    UnknownCategory {
        dimension: &'static str,
        value: String,
        known: String,
    },
}

/// The filters of one query.
struct Query<'a> {
    ward: &'a str,
    age: &'a AgeFilter,
    sex: &'a SexFilter,
    ethnic: &'a EthnicFilter,
}

impl Query<'_> {
    fn needs(&self) -> Split {
        Split {
            age: !self.age.is_any(),
            sex: !self.sex.is_any(),
            ethnic: !self.ethnic.is_any(),
        }
    }

    /// Sum of the table's cells matching the filters of the dimensions in `on` (others summed over); an
    /// error naming the table's bands when the age filter straddles a band.
    fn sum(
        &self,
        table: Split,
        cells: &[&PopulationCell],
        on: Split,
    ) -> Result<f64, PopulationQueryError> {
        let mut total = 0.0;
        for c in cells {
            let age_in = if on.age {
                self.age.band_inside(&c.age_band)
            } else {
                Some(true)
            };
            let Some(age_in) = age_in else {
                let mut bands: Vec<&str> = cells.iter().map(|c| c.age_band.as_str()).collect();
                bands.sort_by_key(|b| age_band_bounds(b).map(|(lo, _)| lo));
                bands.dedup();
                return Err(PopulationQueryError::AgeBandsMisaligned {
                    ward: self.ward.to_string(),
                    filter: self.age.to_string(),
                    table,
                    bands: bands.join(", "),
                });
            };
            if age_in
                && (!on.sex || self.sex.matches(&c.sex))
                && (!on.ethnic || self.ethnic.matches(&c.ethnic_group))
            {
                total += c.population;
            }
        }
        Ok(total)
    }
}

impl Population {
    /// Ward codes that have cells, ascending.
    pub fn ward_codes(&self) -> impl Iterator<Item = &str> {
        let mut last: Option<&str> = None;
        self.cells.iter().filter_map(move |c| {
            let w = c.ward_code.as_str();
            if last == Some(w) {
                None
            } else {
                last = Some(w);
                Some(w)
            }
        })
    }

    /// The ward's cells (cells are sorted by ward).
    fn ward_cells(&self, ward: &str) -> &[PopulationCell] {
        let start = self.cells.partition_point(|c| c.ward_code.as_str() < ward);
        let end = self.cells.partition_point(|c| c.ward_code.as_str() <= ward);
        &self.cells[start..end]
    }

    /// Tables (split -> cells) present in the ward, in preference order.
    pub fn tables_in_ward(&self, ward: &str) -> Vec<(Split, Vec<&PopulationCell>)> {
        let mut tables: Vec<(Split, Vec<&PopulationCell>)> = Vec::new();
        for c in self.ward_cells(ward) {
            let s = Split::of(c);
            match tables.iter_mut().find(|(t, _)| *t == s) {
                Some((_, v)) => v.push(c),
                None => tables.push((s, vec![c])),
            }
        }
        tables.sort_by_key(|(s, _)| s.rank());
        tables
    }

    /// A category value must occur somewhere, so a misspelt group fails instead of counting zero.
    fn check_category(
        &self,
        filter: &CategoryFilter,
        dimension: &'static str,
        get: fn(&PopulationCell) -> &str,
    ) -> Result<(), PopulationQueryError> {
        let CategoryFilter::OneOf(values) = filter else {
            return Ok(());
        };
        for v in values {
            let probe = CategoryFilter::is(v);
            if !self
                .cells
                .iter()
                .any(|c| get(c) != ALL && probe.matches(get(c)))
            {
                let mut known: Vec<&str> =
                    self.cells.iter().map(get).filter(|x| *x != ALL).collect();
                known.sort_unstable();
                known.dedup();
                return Err(PopulationQueryError::UnknownCategory {
                    dimension,
                    value: v.clone(),
                    known: if known.is_empty() {
                        "none: no table splits by it".to_string()
                    } else {
                        known.join(", ")
                    },
                });
            }
        }
        Ok(())
    }

    /// Residents of `ward` matching the filters, observed from one table or estimated by independence across
    /// tables (see the module docs for the rule). Ward codes are matched exactly.
    pub fn denominator(
        &self,
        ward: &str,
        age: &AgeFilter,
        sex: &SexFilter,
        ethnic: &EthnicFilter,
    ) -> Result<Denominator, PopulationQueryError> {
        self.check_categories(sex, ethnic)?;
        self.denominator_checked(ward, age, sex, ethnic)
    }

    fn check_categories(
        &self,
        sex: &SexFilter,
        ethnic: &EthnicFilter,
    ) -> Result<(), PopulationQueryError> {
        self.check_category(sex, "sex", |c| c.sex.as_str())?;
        self.check_category(ethnic, "ethnic group", |c| c.ethnic_group.as_str())
    }

    /// [`Population::denominator`] after the category filters were checked against the whole population.
    fn denominator_checked(
        &self,
        ward: &str,
        age: &AgeFilter,
        sex: &SexFilter,
        ethnic: &EthnicFilter,
    ) -> Result<Denominator, PopulationQueryError> {
        let tables = self.tables_in_ward(ward);
        if tables.is_empty() {
            return Err(PopulationQueryError::NoPopulation {
                ward: ward.to_string(),
            });
        }
        let q = Query {
            ward,
            age,
            sex,
            ethnic,
        };
        let need = q.needs();

        // 1. One table with every needed split (the first whose age bands align).
        let mut first_error = None;
        for (split, cells) in tables.iter().filter(|(s, _)| s.covers(need)) {
            match q.sum(*split, cells, need) {
                Ok(value) => {
                    return Ok(Denominator {
                        value,
                        method: Method::Observed { table: *split },
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }

        // 2. No cross-tab: cover the needed dimensions greedily and multiply count by shares.
        for (on, dimension) in [
            (
                Split {
                    age: true,
                    ..Split::TOTAL
                },
                "age band",
            ),
            (
                Split {
                    sex: true,
                    ..Split::TOTAL
                },
                "sex",
            ),
            (
                Split {
                    ethnic: true,
                    ..Split::TOTAL
                },
                "ethnic group",
            ),
        ] {
            if need.covers(on) && !tables.iter().any(|(s, _)| s.covers(on)) {
                return Err(PopulationQueryError::NoSplit {
                    ward: ward.to_string(),
                    dimension,
                });
            }
        }
        let mut remaining = need;
        let mut value = 0.0;
        let mut primary = None;
        let mut shares = Vec::new();
        while remaining.dims() > 0 {
            // Stable sort keeps the preference order among tables of equal coverage.
            let mut candidates: Vec<&(Split, Vec<&PopulationCell>)> = tables
                .iter()
                .filter(|(s, _)| s.and(remaining).dims() > 0)
                .collect();
            candidates.sort_by_key(|(s, _)| std::cmp::Reverse(s.and(remaining).dims()));
            let mut chosen = None;
            let mut first_error = None;
            for (split, cells) in candidates {
                let on = split.and(remaining);
                match q.sum(*split, cells, on) {
                    Ok(part) => {
                        chosen = Some((*split, cells, on, part));
                        break;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            let Some((split, cells, on, part)) = chosen else {
                return Err(first_error.unwrap_or(PopulationQueryError::NoPopulation {
                    ward: ward.to_string(),
                }));
            };
            if primary.is_none() {
                value = part;
                primary = Some(split);
            } else {
                let whole: f64 = cells.iter().map(|c| c.population).sum();
                // No residents in this table for the ward: no share to take; the count is zero anyway.
                value *= if whole > 0.0 { part / whole } else { 0.0 };
                shares.push(split);
            }
            remaining = remaining.without(on);
        }
        Ok(Denominator {
            value,
            method: Method::EstimatedIndependence {
                primary: primary.unwrap_or_default(),
                shares,
            },
        })
    }

    /// [`Population::denominator`] summed over every ward that has cells (wards without cells add nothing).
    /// The method is observed only if every ward's is the same observation; otherwise the first estimate's.
    pub fn area_denominator(
        &self,
        age: &AgeFilter,
        sex: &SexFilter,
        ethnic: &EthnicFilter,
    ) -> Result<Denominator, PopulationQueryError> {
        self.check_categories(sex, ethnic)?;
        let mut value = 0.0;
        let mut method: Option<Method> = None;
        for w in self.ward_codes() {
            let d = self.denominator_checked(w, age, sex, ethnic)?;
            value += d.value;
            method = match method {
                None => Some(d.method),
                Some(m) if m.is_estimate() || m == d.method => Some(m),
                Some(_) if d.method.is_estimate() => Some(d.method),
                // Different observed tables in different wards: still observed; name the first.
                Some(m) => Some(m),
            };
        }
        match method {
            Some(method) => Ok(Denominator { value, method }),
            None => Err(PopulationQueryError::NoPopulation {
                ward: "(all wards)".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::testdata;

    #[test]
    fn age_bands() {
        assert_eq!(age_band_bounds("0-4"), Some((0, Some(4))));
        assert_eq!(age_band_bounds(" 80 - 84 "), Some((80, Some(84))));
        assert_eq!(age_band_bounds("85+"), Some((85, None)));
        assert_eq!(age_band_bounds("10\u{2013}14"), Some((10, Some(14))));
        assert_eq!(age_band_bounds("9-5"), None);
        assert_eq!(age_band_bounds("all"), None);
        assert_eq!(age_band_bounds("-4"), None);
        assert_eq!(age_band_bounds(""), None);
        let cell = |band: &str| PopulationCell {
            ward_code: "W".into(),
            age_band: band.into(),
            sex: ALL.into(),
            ethnic_group: ALL.into(),
            population: 1.0,
        };
        assert!(cell("20-24").within_ages(0, 24));
        assert!(!cell("25-29").within_ages(0, 24));
        assert!(!cell("85+").within_ages(0, 200));
    }

    #[test]
    fn long_csv_with_wards_lsoas_outside_and_bad_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let lk = dir.path().join("lk.csv");
        std::fs::write(
            &lk,
            "LSOA21CD,WD25CD\nE01000001,E05000009\nE01000002,E05000009\nE01000003,E05999999\n",
        )
        .expect("write");
        let lookup = LsoaLookup::from_csv_path(&lk).expect("lookup");
        let p = dir.path().join("pop.csv");
        std::fs::write(
            &p,
            "\u{feff}Area_Code,age_band,sex,ethnic_group,population\r\n\
             E05000009,15-19,F,Black,10\r\n\
             E01000001,15-19,F,Black,5\r\n\
             E01000002,20-24,M,White,7.5\r\n\
             E05000001,85+,F,White,3\r\n\
             E01000003,0-4,M,Black,100\r\n\
             E05123456,0-4,M,Black,50\r\n\
             E05000001,elderly,F,White,3\r\n\
             E05000001,0-4,F,White,-1\r\n\
             ,0-4,F,White,1\r\n",
        )
        .expect("write");
        let wards = testdata::grid_bng();
        let (pop, rep) = Population::load_long_csv(&p, Some(&lookup), &wards).expect("loads");
        assert_eq!(rep.rows_read, 9);
        assert_eq!(rep.rows_used, 4);
        assert_eq!(rep.rows_outside_area, 2);
        assert_eq!(rep.population_outside_area, 150.0);
        assert_eq!(
            rep.rows_bad.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![8, 9, 10]
        );
        assert!(rep.rows_bad[0].1.contains("elderly"));
        assert_eq!(
            pop.cells.len(),
            3,
            "two 15-19 F Black cells for E05000009 merged"
        );
        assert_eq!(pop.total(), 25.5);
        let by_ward = pop.total_by_ward();
        assert_eq!(by_ward.get("E05000009"), Some(&22.5));
        assert_eq!(by_ward.get("E05000001"), Some(&3.0));
        assert_eq!(
            pop.sum(|c| c.within_ages(0, 24) && c.ethnic_group == "Black"),
            15.0
        );

        // Without a lookup, LSOA rows are bad rows that say a lookup is needed.
        let (pop, rep) = Population::load_long_csv(&p, None, &wards).expect("loads");
        assert_eq!(
            (rep.rows_used, rep.rows_outside_area, rep.rows_bad.len()),
            (2, 1, 6)
        );
        assert!(
            rep.rows_bad[0].1.contains("no LSOA-to-ward lookup"),
            "{:?}",
            rep.rows_bad
        );
        assert_eq!(pop.total(), 13.0);
    }

    #[test]
    fn a_population_row_given_twice_is_a_bad_row() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("pop.csv");
        std::fs::write(
            &p,
            "area_code,age_band,sex,ethnic_group,population\nE05000001,0-4,F,all,10\nE05000001,5-9,F,all,12\ne05000001,0-4,f,ALL,10\n",
        )
        .expect("write");
        let (_, rep) = Population::load_long_csv(&p, None, &testdata::grid_bng()).expect("loads");
        assert_eq!(rep.rows_bad.len(), 1, "{:?}", rep.rows_bad);
        assert_eq!(rep.rows_bad[0].0, 4);
        assert!(rep.rows_bad[0].1.contains("appears again (first at line 2)"), "{:?}", rep.rows_bad);
    }

    #[test]
    fn long_csv_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("pop.csv");
        std::fs::write(&p, "area_code,age_band,sex,population\nE05000001,0-4,F,1\n")
            .expect("write");
        let wards = testdata::grid_bng();
        let e = Population::load_long_csv(&p, None, &wards).unwrap_err();
        assert!(
            matches!(e, GeoError::MissingColumn { ref expected, .. } if expected == "ethnic_group"),
            "{e}"
        );
        assert!(matches!(
            Population::load_long_csv(dir.path().join("none.csv"), None, &wards),
            Err(GeoError::Io { .. })
        ));
    }

    #[test]
    fn extend_merges_sources() {
        let c = |w: &str, band: &str, v: f64| PopulationCell {
            ward_code: w.into(),
            age_band: band.into(),
            sex: ALL.into(),
            ethnic_group: ALL.into(),
            population: v,
        };
        let mut p = Population::from_cells([c("B", "0-4", 1.0), c("A", "0-4", 2.0)]);
        p.extend([c("B", "0-4", 3.0), c("A", "85+", 4.0)]);
        let got: Vec<_> = p
            .cells
            .iter()
            .map(|c| (c.ward_code.as_str(), c.age_band.as_str(), c.population))
            .collect();
        assert_eq!(
            got,
            vec![("A", "0-4", 2.0), ("A", "85+", 4.0), ("B", "0-4", 4.0)]
        );
    }
}

/// Real public data shared by the population tests: loaded once per test process, and parsed independently
/// of the readers under test (plain csv, fixed column positions) so the checks are not circular.
#[cfg(test)]
pub(crate) mod real_data {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use super::super::lsoa_lookup::LsoaLookup;
    use super::super::testdata;
    use super::super::wards::{AreaFilter, Ward, WardSet};

    pub const TS007A: &str = "population/census2021_ts007a_age_lsoa.csv";
    pub const TS021: &str = "population/census2021_ts021_ethnicity_lsoa_nomis.csv";
    pub const CITY: &str = "E09000001";
    pub const BEDFORDSHIRE: [&str; 3] = ["E06000055", "E06000056", "E06000032"];

    pub fn lookup() -> &'static LsoaLookup {
        static L: OnceLock<LsoaLookup> = OnceLock::new();
        L.get_or_init(|| {
            LsoaLookup::from_csv_path(testdata::public_file(
                "lookups/lsoa21_to_ward25_lad25_ew.csv",
            ))
            .expect("real LSOA lookup loads")
        })
    }

    /// The City's 25 wards from the 2022 boundaries.
    pub fn city_wards() -> WardSet {
        let filter = AreaFilter {
            property: "LAD22CD".into(),
            equals: vec![CITY.into()],
        };
        WardSet::from_geojson_path(
            testdata::public_file("boundaries/london_wards_2022.geojson"),
            "WD22CD",
            "WD22NM",
            Some(&filter),
        )
        .expect("City wards load")
    }

    /// The lookup's wards in these authorities, without boundaries (as a lookup-only pipeline has them).
    pub fn lookup_wards(lads: &[&str]) -> WardSet {
        let wards = lookup()
            .wards_in_lads(lads)
            .into_iter()
            .map(|w| Ward {
                code: w.code.clone(),
                name: w.name.clone(),
                geometry: geo::MultiPolygon(vec![]),
                properties: serde_json::Map::new(),
            })
            .collect();
        WardSet::new(wards).expect("unique ward codes")
    }

    /// LSOA code -> LAD25CD, read straight from the lookup file (columns 0 and 6).
    pub fn raw_lad_of_lsoa() -> &'static HashMap<String, String> {
        static M: OnceLock<HashMap<String, String>> = OnceLock::new();
        M.get_or_init(|| {
            let mut r = csv::Reader::from_path(testdata::public_file(
                "lookups/lsoa21_to_ward25_lad25_ew.csv",
            ))
            .expect("lookup opens");
            r.records()
                .map(|rec| {
                    let rec = rec.expect("lookup row");
                    (rec[0].to_string(), rec[6].to_string())
                })
                .collect()
        })
    }

    pub fn raw_lsoas_in(lads: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = raw_lad_of_lsoa()
            .iter()
            .filter(|(_, lad)| lads.contains(&lad.as_str()))
            .map(|(l, _)| l.clone())
            .collect();
        v.sort();
        v
    }

    /// TS007A: LSOA -> `Age: Total` (column 3).
    pub fn raw_ts007a_totals() -> &'static HashMap<String, f64> {
        static M: OnceLock<HashMap<String, f64>> = OnceLock::new();
        M.get_or_init(|| {
            let mut r = csv::Reader::from_path(testdata::public_file(TS007A)).expect("opens");
            r.records()
                .map(|rec| {
                    let rec = rec.expect("row");
                    (rec[2].to_string(), rec[3].parse().expect("numeric total"))
                })
                .collect()
        })
    }

    /// TS021 data rows: LSOA -> (total, [Asian, Black, Mixed, White, Other]) from the fixed column positions
    /// 1, 3, 5, 7, 9, 11 seen in the file.
    pub fn raw_ts021_rows() -> &'static HashMap<String, (f64, [f64; 5])> {
        static M: OnceLock<HashMap<String, (f64, [f64; 5])>> = OnceLock::new();
        M.get_or_init(|| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(testdata::public_file(TS021))
                .expect("opens");
            let mut out = HashMap::new();
            for rec in r.records() {
                let rec = rec.expect("row");
                let Some((code, _)) = rec.get(0).and_then(|c| c.split_once(" : ")) else {
                    continue;
                };
                let n = |i: usize| -> f64 { rec[i].parse().expect("numeric count") };
                out.insert(code.to_string(), (n(1), [n(3), n(5), n(7), n(9), n(11)]));
            }
            out
        })
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    fn cell(w: &str, age: &str, sex: &str, eth: &str, v: f64) -> PopulationCell {
        PopulationCell {
            ward_code: w.into(),
            age_band: age.into(),
            sex: sex.into(),
            ethnic_group: eth.into(),
            population: v,
        }
    }

    /// Ward A: an age table (100) and an ethnic table (110, perturbed differently), as TS007A + TS021 give.
    /// Ward B: a full age x sex x ethnic cross-tab (a long file) and the same age table shape.
    fn two_sources() -> Population {
        Population::from_cells([
            cell("A", "0-4", ALL, ALL, 30.0),
            cell("A", "5-9", ALL, ALL, 50.0),
            cell("A", "10+", ALL, ALL, 20.0),
            cell("A", ALL, ALL, "Black", 22.0),
            cell("A", ALL, ALL, "White", 88.0),
            cell("B", "0-4", "F", "Black", 4.0),
            cell("B", "0-4", "M", "White", 6.0),
            cell("B", "5-9", "F", "White", 10.0),
            cell("B", "0-4", ALL, ALL, 11.0),
            cell("B", "5-9", ALL, ALL, 9.0),
        ])
    }

    #[test]
    fn observed_from_the_table_with_the_split() {
        let p = two_sources();
        let any = CategoryFilter::Any;
        let d = p
            .denominator("A", &AgeFilter::between(0, 9), &any, &any)
            .expect("ok");
        assert_eq!(d.value, 80.0);
        assert_eq!(
            d.method,
            Method::Observed {
                table: Split {
                    age: true,
                    ..Split::TOTAL
                }
            }
        );
        let d = p
            .denominator("A", &AgeFilter::Any, &any, &CategoryFilter::is("black"))
            .expect("ok");
        assert_eq!(d.value, 22.0, "case-insensitive group");
        assert_eq!(d.method.to_string(), "observed (ethnic group table)");
        // All residents: the age table (fewest dimensions, age preferred), not the two tables added.
        let d = p.denominator("A", &AgeFilter::Any, &any, &any).expect("ok");
        assert_eq!(d.value, 100.0);
        assert_eq!(p.total_by_ward().get("A"), Some(&100.0));
        // Ward B: the cross-tab answers the 3-way question; the age-only table wins for age alone.
        let d = p
            .denominator(
                "B",
                &AgeFilter::between(0, 4),
                &CategoryFilter::is("F"),
                &CategoryFilter::is("Black"),
            )
            .expect("ok");
        assert_eq!((d.value, d.method.is_estimate()), (4.0, false));
        let d = p
            .denominator("B", &AgeFilter::between(0, 4), &any, &any)
            .expect("ok");
        assert_eq!(d.value, 11.0);
        assert_eq!(p.total(), 120.0);
        assert_eq!(
            p.tables_in_ward("B")
                .iter()
                .map(|(s, _)| s.to_string())
                .collect::<Vec<_>>(),
            vec!["age band", "age band x sex x ethnic group"]
        );
    }

    #[test]
    fn independence_estimate_is_labelled() {
        let p = two_sources();
        let black = CategoryFilter::is("Black");
        let d = p
            .denominator("A", &AgeFilter::between(0, 4), &CategoryFilter::Any, &black)
            .expect("ok");
        // Count aged 0-4 from the age table x Black share of the ethnic table: 30 x 22/110.
        assert!((d.value - 6.0).abs() < 1e-9, "{}", d.value);
        assert_eq!(
            d.method,
            Method::EstimatedIndependence {
                primary: Split {
                    age: true,
                    ..Split::TOTAL
                },
                shares: vec![Split {
                    ethnic: true,
                    ..Split::TOTAL
                }],
            }
        );
        assert!(d.method.is_estimate());
        assert_eq!(
            d.method.to_string(),
            "estimated assuming independence (age band count x ethnic group share)"
        );
        // Over the area: B is observed (4), A estimated (6); the sum says it is an estimate.
        let d = p
            .area_denominator(&AgeFilter::between(0, 4), &CategoryFilter::Any, &black)
            .expect("ok");
        assert!((d.value - 10.0).abs() < 1e-9);
        assert!(d.method.is_estimate());
        // Open-ended filter.
        let d = p
            .denominator(
                "A",
                &AgeFilter::at_least(5),
                &CategoryFilter::Any,
                &CategoryFilter::is("White"),
            )
            .expect("ok");
        assert!((d.value - 70.0 * 88.0 / 110.0).abs() < 1e-9);
    }

    #[test]
    fn query_errors() {
        let p = two_sources();
        let any = CategoryFilter::Any;
        let e = p
            .denominator("A", &AgeFilter::between(0, 6), &any, &any)
            .unwrap_err();
        assert!(
            matches!(e, PopulationQueryError::AgeBandsMisaligned { ref bands, .. } if bands == "0-4, 5-9, 10+"),
            "{e}"
        );
        assert!(e.to_string().contains("aged 0-6"), "{e}");
        let e = p.denominator("Z", &AgeFilter::Any, &any, &any).unwrap_err();
        assert!(
            matches!(e, PopulationQueryError::NoPopulation { .. }),
            "{e}"
        );
        let e = p
            .denominator("A", &AgeFilter::Any, &any, &CategoryFilter::is("Blak"))
            .unwrap_err();
        assert!(
            matches!(e, PopulationQueryError::UnknownCategory { ref known, .. } if known == "Black, White"),
            "{e}"
        );
        // Sex exists (ward B) but no table of ward A splits by it.
        let e = p
            .denominator("A", &AgeFilter::Any, &CategoryFilter::is("F"), &any)
            .unwrap_err();
        assert!(
            matches!(
                e,
                PopulationQueryError::NoSplit {
                    dimension: "sex",
                    ..
                }
            ),
            "{e}"
        );
        let only_age = Population::from_cells([cell("A", "0-4", ALL, ALL, 1.0)]);
        let e = only_age
            .denominator("A", &AgeFilter::Any, &any, &CategoryFilter::is("Black"))
            .unwrap_err();
        assert!(e.to_string().contains("no table splits by it"), "{e}");
    }

    #[test]
    fn age_filter_alignment() {
        let f = AgeFilter::between(0, 24);
        assert_eq!(f.band_inside("20-24"), Some(true));
        assert_eq!(f.band_inside("25-29"), Some(false));
        assert_eq!(f.band_inside("85+"), Some(false));
        assert_eq!(f.band_inside("22-26"), None);
        assert_eq!(f.band_inside("junk"), None);
        let f = AgeFilter::at_least(65);
        assert_eq!(f.band_inside("85+"), Some(true));
        assert_eq!(f.band_inside("60-64"), Some(false));
        assert_eq!(f.band_inside("60+"), None);
        assert_eq!(AgeFilter::Any.band_inside("anything"), Some(true));
    }
}

#[cfg(test)]
mod real_tests {
    use super::real_data::{self, BEDFORDSHIRE};
    use super::*;
    use crate::geo::{population_ts007a, population_ts021, testdata};

    /// Bedford, Central Bedfordshire and Luton: the lookup's wards (no boundaries), both Census files.
    #[test]
    fn real_bedfordshire_totals_match_raw_lsoa_sums() {
        let wards = real_data::lookup_wards(&BEDFORDSHIRE);
        let lsoas = real_data::raw_lsoas_in(&BEDFORDSHIRE);
        let raw007 = real_data::raw_ts007a_totals();
        let raw021 = real_data::raw_ts021_rows();
        let want007: f64 = lsoas.iter().map(|l| raw007[l]).sum();
        let want021: f64 = lsoas.iter().map(|l| raw021[l].0).sum();
        let want_black: f64 = lsoas.iter().map(|l| raw021[l].1[1]).sum();

        let (age, rep) = population_ts007a::load(
            testdata::public_file(real_data::TS007A),
            real_data::lookup(),
            &wards,
        )
        .expect("TS007A loads");
        assert!(rep.rows_bad.is_empty());
        assert_eq!(rep.rows_used, lsoas.len());
        assert_eq!(rep.population_used, want007);
        assert!(
            rep.wards_without_population.is_empty(),
            "every lookup ward has an LSOA"
        );
        let (eth, rep) = population_ts021::load(
            testdata::public_file(real_data::TS021),
            real_data::lookup(),
            &wards,
        )
        .expect("TS021 loads");
        assert!(rep.rows_bad.is_empty());
        assert_eq!(rep.rows_used, lsoas.len());
        assert_eq!(rep.population_used, want021);

        // Per authority, from the ward totals, against the raw sums.
        for lad in BEDFORDSHIRE {
            let lad_wards: Vec<String> = real_data::lookup()
                .wards_in_lads(&[lad])
                .iter()
                .map(|w| w.code.clone())
                .collect();
            let raw: f64 = real_data::raw_lsoas_in(&[lad])
                .iter()
                .map(|l| raw007[l])
                .sum();
            let got: f64 = age
                .total_by_ward()
                .iter()
                .filter(|(w, _)| lad_wards.contains(w))
                .map(|(_, v)| v)
                .sum();
            assert_eq!(got, raw, "{lad}");
        }

        // Both files staged together: the total is the age table's, not both added.
        let mut both = age.clone();
        both.extend(eth.cells.iter().cloned());
        assert_eq!(both.total(), want007);
        let any = CategoryFilter::Any;
        let black = CategoryFilter::is("Black");
        let d = both
            .area_denominator(&AgeFilter::Any, &any, &black)
            .expect("ok");
        assert_eq!((d.value, d.method.is_estimate()), (want_black, false));
        let d = both
            .area_denominator(&AgeFilter::between(0, 24), &any, &any)
            .expect("ok");
        assert!(!d.method.is_estimate());
        let young = d.value;
        let d = both
            .area_denominator(&AgeFilter::between(0, 24), &any, &black)
            .expect("ok");
        assert!(d.method.is_estimate(), "no file has age x ethnic group");
        // Independence per ward, summed, recomputed here.
        let mut expect = 0.0;
        for w in both.ward_codes() {
            let y = age.sum(|c| c.ward_code == w && c.within_ages(0, 24));
            let b = eth.sum(|c| c.ward_code == w && c.ethnic_group == "Black");
            let t = eth.sum(|c| c.ward_code == w);
            expect += y * b / t;
        }
        assert!((d.value - expect).abs() < 1e-6, "{} vs {expect}", d.value);
        assert!(d.value < want_black && d.value < young);
        eprintln!(
            "Bedfordshire: {} wards, {} LSOAs, TS007A {want007}, TS021 {want021}, Black {want_black}, aged 0-24 {young}, Black aged 0-24 (estimated) {:.1}",
            wards.len(),
            lsoas.len(),
            d.value
        );
    }
}
