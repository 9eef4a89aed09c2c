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
