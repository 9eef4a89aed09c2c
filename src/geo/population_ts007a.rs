//! Census 2021 TS007A (usual residents by five-year age band) from the Nomis bulk download, one row per LSOA:
//!
//! ```text
//! date,geography,geography code,Age: Total,Age: Aged 4 years and under,Age: Aged 5 to 9 years,...,Age: Aged 85 years and over
//! 2021,City of London 001A,E01000001,1473,52,34,...,35
//! ```
//!
//! Age columns are recognised by their labels, not their positions, and become the long format's bands
//! (`"0-4"`, `"5-9"`, ..., `"85+"`); the bands must tile 0 to open-ended with no gap or overlap. Persons only,
//! so `sex` and `ethnic_group` are [`ALL`]. LSOA rows are summed into the area's wards through the best-fit
//! lookup; rows elsewhere are counted as outside the area, and rows that cannot be read or placed are listed
//! with their line.

use std::path::Path;

use super::csvread;
use super::error::GeoError;
use super::lsoa_lookup::{LsoaLookup, normalise_code};
use super::population::{SeenRows, 
    ALL, Population, PopulationCell, PopulationLoadReport, Route, age_band_bounds, record_lines,
    route_area,
};
use super::wards::WardSet;

/// What a header label means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AgeColumn {
    Total,
    /// Inclusive lower bound and upper bound (`None` = and over).
    Band(u32, Option<u32>),
}

/// Parse `Age: Aged 4 years and under`, `Age: Aged 5 to 9 years`, `Age: Aged 85 years and over`, `Age:
/// Total`; also Nomis's other spellings (`Aged under 1 year`, `Aged 7 years`) and a `; measures: Value` suffix.
/// `None` for anything else (date, geography, percentage measures).
fn parse_age_label(label: &str) -> Option<AgeColumn> {
    let l = label.trim().to_ascii_lowercase();
    let l = match l.split_once(';') {
        Some((head, measure)) if measure.trim() == "measures: value" => head.trim().to_string(),
        Some(_) => return None,
        None => l,
    };
    let rest = l.strip_prefix("age:")?.trim();
    if rest == "total" || rest.starts_with("total:") {
        return Some(AgeColumn::Total);
    }
    let rest = rest.strip_prefix("aged")?.trim();
    let rest = rest
        .strip_suffix("years")
        .or_else(|| rest.strip_suffix("year"))
        .map_or(rest, str::trim);
    let num = |s: &str| s.trim().parse::<u32>().ok();
    if let Some(n) = rest.strip_prefix("under") {
        return num(n)
            .and_then(|n| n.checked_sub(1))
            .map(|hi| AgeColumn::Band(0, Some(hi)));
    }
    if let Some(n) = rest.strip_suffix("and under") {
        let n = n.trim();
        let n = n
            .strip_suffix("years")
            .or_else(|| n.strip_suffix("year"))
            .unwrap_or(n);
        return num(n).map(|hi| AgeColumn::Band(0, Some(hi)));
    }
    if let Some(n) = rest.strip_suffix("and over") {
        let n = n.trim();
        let n = n
            .strip_suffix("years")
            .or_else(|| n.strip_suffix("year"))
            .unwrap_or(n);
        return num(n).map(|lo| AgeColumn::Band(lo, None));
    }
    if let Some((a, b)) = rest.split_once(" to ") {
        let (a, b) = (num(a)?, num(b)?);
        return (a <= b).then_some(AgeColumn::Band(a, Some(b)));
    }
    num(rest).map(|n| AgeColumn::Band(n, Some(n)))
}

/// The band label used throughout (`"0-4"`, `"85+"`); round-trips through [`age_band_bounds`].
fn band_label(lo: u32, hi: Option<u32>) -> String {
    match hi {
        Some(hi) => format!("{lo}-{hi}"),
        None => format!("{lo}+"),
    }
}

/// Load a TS007A Nomis bulk CSV, summing the area's LSOAs into its wards.
///
/// Errors only for an unreadable file, a missing `geography code` or age columns, or age columns that do not
/// tile all ages; every other problem is a bad row in the report. A row whose bands do not add up to its
/// `Age: Total` is bad (a sign of shifted columns).
pub fn load(
    path: impl AsRef<Path>,
    lookup: &LsoaLookup,
    wards: &WardSet,
) -> Result<(Population, PopulationLoadReport), GeoError> {
    let path = path.as_ref();
    let mut rdr = csvread::open(path, true)?;
    let header = csvread::header(&mut rdr, path)?;
    let code_i = header
        .iter()
        .position(|h| h.eq_ignore_ascii_case("geography code"))
        .ok_or_else(|| GeoError::MissingColumn {
            path: path.to_path_buf(),
            expected: "geography code".to_string(),
            found: header.clone(),
        })?;
    let mut total_i = None;
    let mut bands: Vec<(usize, u32, Option<u32>)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match parse_age_label(h) {
            Some(AgeColumn::Total) => total_i = Some(i),
            Some(AgeColumn::Band(lo, hi)) => bands.push((i, lo, hi)),
            None => {}
        }
    }
    if bands.is_empty() {
        return Err(GeoError::MissingColumn {
            path: path.to_path_buf(),
            expected: "age band columns like \"Age: Aged 4 years and under\"".to_string(),
            found: header,
        });
    }
    check_tiling(&mut bands, &header, path)?;
    let labels: Vec<String> = bands
        .iter()
        .map(|&(_, lo, hi)| band_label(lo, hi))
        .collect();
    debug_assert!(labels.iter().all(|l| age_band_bounds(l).is_some()));

    let mut report = PopulationLoadReport::default();
    let mut seen = SeenRows::default();
    let mut cells = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut next_line: u64 = 2; // after the header
    let mut counts = vec![0.0; bands.len()];
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                report.rows_read += 1;
                report
                    .rows_bad
                    .push((next_line, format!("unreadable row: {e}")));
                next_line += 1;
                continue;
            }
        }
        report.rows_read += 1;
        let line = next_line;
        next_line += record_lines(&record);
        let field = |i: usize| -> String {
            record.get(i).map_or(String::new(), |b| {
                String::from_utf8_lossy(b).trim().to_string()
            })
        };
        if record.len() != header.len() {
            report.rows_bad.push((
                line,
                format!(
                    "row has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let code = field(code_i);
        let code = normalise_code(&code);
        if code.is_empty() {
            report
                .rows_bad
                .push((line, "geography code is empty".to_string()));
            continue;
        }
        let mut bad = None;
        for (k, &(i, _, _)) in bands.iter().enumerate() {
            match parse_count(&field(i)) {
                Some(v) => counts[k] = v,
                None => {
                    bad = Some(format!(
                        "{}: \"{}\" is not a non-negative number",
                        header[i],
                        field(i)
                    ));
                    break;
                }
            }
        }
        let sum: f64 = counts.iter().sum();
        if bad.is_none()
            && let Some(ti) = total_i
        {
            match parse_count(&field(ti)) {
                Some(t) if (t - sum).abs() < 0.5 => {}
                Some(t) => {
                    bad = Some(format!(
                        "age bands add up to {sum} but {} is {t}",
                        header[ti]
                    ))
                }
                None => {
                    bad = Some(format!(
                        "{}: \"{}\" is not a non-negative number",
                        header[ti],
                        field(ti)
                    ))
                }
            }
        }
        if let Some(reason) = bad {
            report.rows_bad.push((line, format!("{code}: {reason}")));
            continue;
        }
        if let Some(reason) = seen.repeat(code.to_string(), line, &format!("area {code}")) {
            report.rows_bad.push((line, reason));
            continue;
        }
        match route_area(&code, lookup, wards) {
            Route::Ward(ward_code) => {
                report.rows_used += 1;
                report.population_used += sum;
                cells.extend(labels.iter().zip(&counts).map(|(band, &v)| PopulationCell {
                    ward_code: ward_code.clone(),
                    age_band: band.clone(),
                    sex: ALL.to_string(),
                    ethnic_group: ALL.to_string(),
                    population: v,
                }));
            }
            Route::OutsideArea => {
                report.rows_outside_area += 1;
                report.population_outside_area += sum;
            }
            Route::Unplaceable(reason) => report.rows_bad.push((line, reason)),
        }
    }
    if report.rows_read == 0 {
        return Err(GeoError::EmptyTable {
            path: path.to_path_buf(),
        });
    }
    let population = Population::from_cells(cells);
    report.note_empty_wards(&population, wards);
    Ok((population, report))
}

/// A Census count: a plain non-negative number (Nomis bulk files have no thousands separators).
pub(crate) fn parse_count(s: &str) -> Option<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Sort the bands and require them to run from 0 to an open-ended top band without gaps or overlaps, so the
/// ward's age table covers everyone exactly once.
fn check_tiling(
    bands: &mut [(usize, u32, Option<u32>)],
    header: &[String],
    path: &Path,
) -> Result<(), GeoError> {
    bands.sort_by_key(|&(_, lo, _)| lo);
    let mut next = Some(0u32);
    for &(i, lo, hi) in bands.iter() {
        let problem = match next {
            None => Some(format!("\"{}\" comes after the open-ended band", header[i])),
            Some(n) if lo != n => Some(format!(
                "\"{}\" starts at {lo}; expected a band starting at {n}",
                header[i]
            )),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(GeoError::BadRow {
                path: path.to_path_buf(),
                line: 1,
                problem: format!("age columns must cover every age once: {problem}"),
            });
        }
        next = hi.map(|h| h + 1);
    }
    if let Some(n) = next {
        return Err(GeoError::BadRow {
            path: path.to_path_buf(),
            line: 1,
            problem: format!(
                "age columns must cover every age once: no open-ended band (\"Aged {n} years and over\")"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::population::real_data;
    use crate::geo::testdata;

    const HEADER: &str = "date,geography,geography code,Age: Total,Age: Aged 4 years and under,Age: Aged 5 to 9 years,Age: Aged 10 years and over";

    fn setup(dir: &tempfile::TempDir) -> LsoaLookup {
        testdata::tiny_lookup(dir.path())
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("ts007a.csv");
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn labels() {
        use AgeColumn::*;
        assert_eq!(parse_age_label("Age: Total"), Some(Total));
        assert_eq!(
            parse_age_label("Age: Aged 4 years and under"),
            Some(Band(0, Some(4)))
        );
        assert_eq!(
            parse_age_label("Age: Aged 20 to 24 years"),
            Some(Band(20, Some(24)))
        );
        assert_eq!(
            parse_age_label("Age: Aged 85 years and over"),
            Some(Band(85, None))
        );
        assert_eq!(
            parse_age_label("Age: Aged under 1 year"),
            Some(Band(0, Some(0)))
        );
        assert_eq!(parse_age_label("Age: Aged 7 years"), Some(Band(7, Some(7))));
        assert_eq!(
            parse_age_label("Age: Aged 5 to 9 years; measures: Value"),
            Some(Band(5, Some(9)))
        );
        assert_eq!(
            parse_age_label("Age: Aged 5 to 9 years; measures: Percent"),
            None
        );
        assert_eq!(parse_age_label("geography code"), None);
        assert_eq!(parse_age_label("Age: Aged 9 to 5 years"), None);
        assert_eq!(band_label(0, Some(4)), "0-4");
        assert_eq!(band_label(85, None), "85+");
    }

    #[test]
    fn synthetic_file_rows_outside_and_bad() {
        let dir = tempfile::tempdir().expect("tmp");
        let lookup = setup(&dir);
        let p = write(
            &dir,
            &format!(
                "\u{feff}{HEADER}\r\n\
                 2021,\"Town, North 001A\",E01000001,10,1,2,7\r\n\
                 2021,Town 001B,e01000002,20,5,5,10\r\n\
                 2021,Elsewhere 001C,E01000003,100,10,10,80\r\n\
                 2021,Unknown 001D,E01999999,5,1,1,3\r\n\
                 2021,Bad 001E,E01000001,5,x,1,3\r\n\
                 2021,Sum 001F,E01000001,6,1,1,3\r\n\
                 2021,Short 001G,E01000001,5\r\n\
                 2021,Blank,,5,1,1,3\r\n\
                 2021,Negative,E01000001,5,-1,3,3\r\n\
                 2021,Town 001B again,E01000002,20,5,5,10\r\n"
            ),
        );
        let wards = testdata::grid_bng();
        let (pop, rep) = load(&p, &lookup, &wards).expect("loads");
        assert_eq!(rep.rows_read, 10);
        assert_eq!(rep.rows_used, 2);
        assert_eq!(
            (rep.rows_outside_area, rep.population_outside_area),
            (1, 100.0)
        );
        assert_eq!(rep.population_used, 30.0);
        let lines: Vec<u64> = rep.rows_bad.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![5, 6, 7, 8, 9, 10, 11], "{:?}", rep.rows_bad);
        assert!(rep.rows_bad[6].1.contains("E01000002 appears again (first at line 3)"), "{:?}", rep.rows_bad);
        assert!(
            rep.rows_bad[0]
                .1
                .contains("E01999999 is not in the LSOA-to-ward lookup")
        );
        assert!(
            rep.rows_bad[1]
                .1
                .contains("Age: Aged 4 years and under: \"x\""),
            "{:?}",
            rep.rows_bad[1]
        );
        assert!(
            rep.rows_bad[2]
                .1
                .contains("add up to 5 but Age: Total is 6")
        );
        assert!(rep.rows_bad[3].1.contains("4 fields"));
        assert!(rep.rows_bad[4].1.contains("empty"));
        assert!(rep.rows_bad[5].1.contains("\"-1\""));
        // Two LSOAs summed into ward E05000009, one cell per band, sex and ethnic group "all".
        let got: Vec<(&str, &str, f64)> = pop
            .cells
            .iter()
            .map(|c| (c.ward_code.as_str(), c.age_band.as_str(), c.population))
            .collect();
        assert_eq!(
            got,
            vec![
                ("E05000009", "0-4", 6.0),
                ("E05000009", "10+", 17.0),
                ("E05000009", "5-9", 7.0)
            ]
        );
        assert!(
            pop.cells
                .iter()
                .all(|c| c.sex == ALL && c.ethnic_group == ALL)
        );
        assert_eq!(
            rep.wards_without_population.len(),
            8,
            "9 grid wards, 1 populated"
        );
        assert!(
            !rep.wards_without_population
                .contains(&"E05000009".to_string())
        );
    }

    #[test]
    fn header_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let lookup = setup(&dir);
        let wards = testdata::grid_bng();
        let p = write(
            &dir,
            "date,geography,Age: Aged 4 years and under\n2021,x,1\n",
        );
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(
            matches!(e, GeoError::MissingColumn { ref expected, .. } if expected == "geography code"),
            "{e}"
        );
        let p = write(
            &dir,
            "date,geography,geography code,Age: Total\n2021,x,E01000001,1\n",
        );
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(e.to_string().contains("age band columns"), "{e}");
        let p = write(
            &dir,
            "geography code,Age: Aged 4 years and under,Age: Aged 10 years and over\nE01000001,1,2\n",
        );
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(matches!(e, GeoError::BadRow { line: 1, .. }), "{e}");
        assert!(
            e.to_string().contains("expected a band starting at 5"),
            "{e}"
        );
        let p = write(
            &dir,
            "geography code,Age: Aged 4 years and under,Age: Aged 5 to 9 years\nE01000001,1,2\n",
        );
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(e.to_string().contains("no open-ended band"), "{e}");
        let p = write(&dir, &format!("{HEADER}\n"));
        assert!(matches!(
            load(&p, &lookup, &wards),
            Err(GeoError::EmptyTable { .. })
        ));
        assert!(matches!(
            load(dir.path().join("none.csv"), &lookup, &wards),
            Err(GeoError::Io { .. })
        ));
    }

    #[test]
    fn real_city_of_london() {
        let wards = real_data::city_wards();
        assert_eq!(wards.len(), 25);
        let city_lsoas = real_data::raw_lsoas_in(&[real_data::CITY]);
        assert_eq!(city_lsoas.len(), 6);
        let raw = real_data::raw_ts007a_totals();
        let expected: f64 = city_lsoas.iter().map(|l| raw[l]).sum();
        assert_eq!(expected, 8579.0);

        let (pop, rep) = load(
            testdata::public_file(real_data::TS007A),
            real_data::lookup(),
            &wards,
        )
        .expect("loads");
        assert!(
            rep.rows_bad.is_empty(),
            "{:?}",
            &rep.rows_bad[..rep.rows_bad.len().min(3)]
        );
        assert_eq!(rep.rows_read, 35_672);
        assert_eq!(rep.rows_used, 6);
        assert_eq!(rep.rows_outside_area, 35_672 - 6);
        assert_eq!(rep.population_used, expected);
        assert_eq!(pop.total(), expected);
        let by_ward = pop.total_by_ward();
        assert_eq!(by_ward.len(), 5, "best fit reaches 5 of the 25 City wards");
        assert_eq!(rep.wards_without_population.len(), 20);
        assert!(
            by_ward
                .keys()
                .all(|w| !rep.wards_without_population.contains(w))
        );
        // Every ward has all 18 bands, "0-4" .. "85+".
        let bands: Vec<&str> = pop.tables_in_ward("E05009312")[0]
            .1
            .iter()
            .map(|c| c.age_band.as_str())
            .collect();
        assert_eq!(bands.len(), 18);
        assert!(bands.contains(&"0-4") && bands.contains(&"85+") && bands.contains(&"20-24"));
    }
}
