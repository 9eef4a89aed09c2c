//! Census 2021 TS021 (ethnic group, 5 broad groups) as a Nomis web export, one row per LSOA:
//!
//! ```text
//! TS021 - Ethnic group,,,,          <- title and metadata lines
//! ...
//! 2021 super output area - lower layer,Total: All usual residents,%,"Asian, Asian British or Asian Welsh",%,...
//! ,,,,                              <- blank line
//! E01011954 : Hartlepool 001A,2284,100,19,0.8,0,0,6,0.3,2248,98.4,11,0.5
//! ...
//! ,"In order to protect against disclosure ...",,   <- footnotes
//! ```
//!
//! Nomis changes the number of metadata and footer lines with the options chosen, so nothing relies on line
//! counts: the header is the first line with a `Total` column and ethnic group columns, data rows are those
//! whose first cell starts with a GSS code (`CODE : name` or a bare code), and blank lines and footnotes are
//! skipped and counted. Count columns are found by label; the `%` columns beside them are ignored. Each row
//! gives five cells (`Asian`, `Black`, `Mixed`, `White`, `Other`, as in the long format) with `age_band` and
//! `sex` [`ALL`]; a row whose groups do not add up to its total is bad (a sign of a shifted column).
//!
//! Read line by line (not with a CSV reader, which silently drops empty lines) so reported line numbers are
//! the file's own; a quoted field spanning lines is joined.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::error::GeoError;
use super::lsoa_lookup::{LsoaLookup, normalise_code};
use super::population::{SeenRows, ALL, Population, PopulationCell, PopulationLoadReport, Route, route_area};
use super::population_ts007a::parse_count;
use super::wards::WardSet;

/// The broad groups, as written to `ethnic_group` (the long format's labels).
pub const GROUPS: [&str; 5] = ["Asian", "Black", "Mixed", "White", "Other"];

/// Which broad group a header label names: `"Asian, Asian British or Asian Welsh"` -> Asian, ...; `None` for
/// the detailed categories (`"Asian, Asian British or Asian Welsh: Bangladeshi"`), `%` and anything else.
fn group_of(label: &str) -> Option<usize> {
    let l = label.trim().to_ascii_lowercase();
    if l.contains(':') {
        return None;
    }
    let prefixes = ["asian", "black", "mixed", "white", "other"];
    prefixes.iter().position(|p| {
        l.strip_prefix(p).is_some_and(|rest| {
            rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphabetic())
        })
    })
}

fn is_total(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    l == "total" || l.starts_with("total:")
}

/// A GSS code at the start of an area cell: letter, 8 digits (`E01011954`), before an optional ` : name`.
fn area_code(cell: &str) -> Option<String> {
    let code = cell.split_once(':').map_or(cell, |(c, _)| c);
    let code = normalise_code(code);
    let b = code.as_bytes();
    (b.len() == 9 && b[0].is_ascii_alphabetic() && b[1..].iter().all(u8::is_ascii_digit))
        .then(|| code.into_owned())
}

/// Split one CSV line into fields: commas separate, double quotes enclose, `""` inside quotes is a quote.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Column positions from the header.
struct Columns {
    area: usize,
    total: usize,
    groups: [usize; 5],
    width: usize,
}

/// `Ok(None)` if `cells` is not the header; an error if it is but lacks or repeats a needed column.
fn header_columns(cells: &[String], path: &Path) -> Result<Option<Columns>, GeoError> {
    let totals: Vec<usize> = (0..cells.len()).filter(|&i| is_total(&cells[i])).collect();
    let any_group = cells.iter().any(|c| group_of(c).is_some());
    if totals.is_empty() || !any_group {
        return Ok(None);
    }
    let found = || cells.to_vec();
    if totals.len() > 1 {
        return Err(GeoError::AmbiguousColumn {
            path: path.to_path_buf(),
            expected: "Total".to_string(),
            found: totals.iter().map(|&i| cells[i].clone()).collect(),
        });
    }
    let mut groups = [0usize; 5];
    for (g, name) in GROUPS.iter().enumerate() {
        let hits: Vec<usize> = (0..cells.len())
            .filter(|&i| group_of(&cells[i]) == Some(g))
            .collect();
        match hits.as_slice() {
            [i] => groups[g] = *i,
            [] => {
                return Err(GeoError::MissingColumn {
                    path: path.to_path_buf(),
                    expected: format!("the {name} ethnic group count column"),
                    found: found(),
                });
            }
            _ => {
                return Err(GeoError::AmbiguousColumn {
                    path: path.to_path_buf(),
                    expected: format!("the {name} ethnic group count column"),
                    found: hits.iter().map(|&i| cells[i].clone()).collect(),
                });
            }
        }
    }
    // The area column is the first that is neither a count nor a percentage (Nomis puts it first).
    let area = (0..cells.len())
        .find(|&i| !is_total(&cells[i]) && group_of(&cells[i]).is_none() && cells[i].trim() != "%")
        .ok_or_else(|| GeoError::MissingColumn {
            path: path.to_path_buf(),
            expected: "an area column (e.g. \"2021 super output area - lower layer\")".to_string(),
            found: found(),
        })?;
    Ok(Some(Columns {
        area,
        total: totals[0],
        groups,
        width: cells.len(),
    }))
}

/// Load a Nomis TS021 export, summing the area's LSOAs into its wards.
///
/// Errors only for an unreadable file, no recognisable header, a header lacking a group, or no data rows;
/// every other problem is a bad row in the report.
pub fn load(
    path: impl AsRef<Path>,
    lookup: &LsoaLookup,
    wards: &WardSet,
) -> Result<(Population, PopulationLoadReport), GeoError> {
    let path = path.as_ref();
    let io_err = |source| GeoError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut input = BufReader::new(std::fs::File::open(path).map_err(io_err)?);
    let mut report = PopulationLoadReport::default();
    let mut seen = SeenRows::default();
    let mut cells = Vec::new();
    let mut columns: Option<Columns> = None;
    let mut first_seen: Option<Vec<String>> = None;
    let mut buf = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        // One logical record: a physical line, joined with the next while a quote is open.
        buf.clear();
        let start = line_no + 1;
        let mut text = String::new();
        loop {
            let n = input.read_until(b'\n', &mut buf).map_err(io_err)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            // Lossy: Nomis names may be Latin-1; only the code and numbers matter.
            text = String::from_utf8_lossy(&buf).into_owned();
            if text.matches('"').count().is_multiple_of(2) {
                break;
            }
        }
        if text.is_empty() {
            break;
        }
        let text = text.trim_end_matches(['\r', '\n']);
        let text = if start == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        let fields = split_csv_line(text);
        let blank = fields.iter().all(|f| f.trim().is_empty());

        let Some(cols) = &columns else {
            if !blank && first_seen.is_none() {
                first_seen = Some(fields.clone());
            }
            columns = header_columns(&fields, path)?;
            report.lines_skipped += usize::from(columns.is_none());
            continue;
        };
        let get = |i: usize| fields.get(i).map_or("", |f| f.trim());
        let area_cell = get(cols.area);
        let count_cells_empty = std::iter::once(cols.total)
            .chain(cols.groups)
            .all(|i| get(i).is_empty());
        let code = area_code(area_cell);
        let Some(code) = code else {
            if blank || area_cell.is_empty() || count_cells_empty {
                // Blank line or footnote.
                report.lines_skipped += 1;
            } else {
                report.rows_read += 1;
                report.rows_bad.push((
                    start,
                    format!("area \"{area_cell}\" is not like \"E01011954 : Hartlepool 001A\""),
                ));
            }
            continue;
        };
        report.rows_read += 1;
        if fields.len() < cols.width {
            report.rows_bad.push((
                start,
                format!(
                    "{code}: row has {} fields; the header has {}",
                    fields.len(),
                    cols.width
                ),
            ));
            continue;
        }
        let total = parse_count(get(cols.total));
        let counts: Vec<Option<f64>> = cols.groups.iter().map(|&i| parse_count(get(i))).collect();
        let bad_col = std::iter::once((cols.total, total))
            .chain(cols.groups.iter().copied().zip(counts.iter().copied()))
            .find(|(_, v)| v.is_none());
        if let Some((i, _)) = bad_col {
            report.rows_bad.push((
                start,
                format!(
                    "{code}: column {} (\"{}\") is not a non-negative number",
                    i + 1,
                    get(i)
                ),
            ));
            continue;
        }
        let counts: Vec<f64> = counts.into_iter().flatten().collect();
        let total = total.unwrap_or_default();
        let sum: f64 = counts.iter().sum();
        if (sum - total).abs() >= 0.5 {
            report.rows_bad.push((
                start,
                format!("{code}: the five groups add up to {sum} but the total is {total}"),
            ));
            continue;
        }
        if let Some(reason) = seen.repeat(code.to_string(), start, &format!("area {code}")) {
            report.rows_bad.push((start, reason));
            continue;
        }
        match route_area(&code, lookup, wards) {
            Route::Ward(ward_code) => {
                report.rows_used += 1;
                report.population_used += total;
                cells.extend(GROUPS.iter().zip(&counts).map(|(g, &v)| PopulationCell {
                    ward_code: ward_code.clone(),
                    age_band: ALL.to_string(),
                    sex: ALL.to_string(),
                    ethnic_group: (*g).to_string(),
                    population: v,
                }));
            }
            Route::OutsideArea => {
                report.rows_outside_area += 1;
                report.population_outside_area += total;
            }
            Route::Unplaceable(reason) => report.rows_bad.push((start, reason)),
        }
    }
    if columns.is_none() {
        return Err(GeoError::MissingColumn {
            path: path.to_path_buf(),
            expected: "a header line with a \"Total\" column and the ethnic group columns (Asian, Black, Mixed, White, Other)"
                .to_string(),
            found: first_seen.unwrap_or_default(),
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::population::real_data;
    use crate::geo::testdata;

    const HEADER: &str = "2021 super output area - lower layer,Total: All usual residents,%,\"Asian, Asian British or Asian Welsh\",%,\"Black, Black British, Black Welsh, Caribbean or African\",%,Mixed or Multiple ethnic groups,%,White,%,Other ethnic group,%";

    fn setup(dir: &tempfile::TempDir) -> LsoaLookup {
        testdata::tiny_lookup(dir.path())
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("ts021.csv");
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn pieces() {
        assert_eq!(group_of("Asian, Asian British or Asian Welsh"), Some(0));
        assert_eq!(
            group_of("Black, Black British, Black Welsh, Caribbean or African"),
            Some(1)
        );
        assert_eq!(group_of("Mixed or Multiple ethnic groups"), Some(2));
        assert_eq!(group_of(" White "), Some(3));
        assert_eq!(group_of("Other ethnic group"), Some(4));
        assert_eq!(
            group_of("White: English, Welsh, Scottish, Northern Irish or British"),
            None
        );
        assert_eq!(group_of("Whitechapel"), None);
        assert_eq!(group_of("%"), None);
        assert_eq!(
            area_code("E01011954 : Hartlepool 001A").as_deref(),
            Some("E01011954")
        );
        assert_eq!(area_code("e01011954").as_deref(), Some("E01011954"));
        assert_eq!(area_code("Hartlepool 001A"), None);
        assert_eq!(
            split_csv_line("\"E01 : Poole, 003A\",1,\"a \"\"q\"\"\",,x"),
            vec!["E01 : Poole, 003A", "1", "a \"q\"", "", "x"]
        );
    }

    #[test]
    fn synthetic_export_with_metadata_footer_and_bad_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let lookup = setup(&dir);
        // Two metadata lines (not six), an empty line and a blank row before data, footnotes in two styles.
        let text = format!(
            "TS021 - Ethnic group,,,,,,,,,,,,\r\n\
             Date       :,2021,,,,,,,,,,,\r\n\
             {HEADER}\r\n\
             \r\n\
             ,,,,,,,,,,,,\r\n\
             E01000001 : Town 001A,100,100,10,10,20,20,5,5,60,60,5,5\r\n\
             \"E01000002 : Town, North 001B\",50,100,0,0,0,0,0,0,50,100,0,0\r\n\
             E01000003 : Elsewhere 001C,40,100,0,0,0,0,0,0,40,100,0,0\r\n\
             E01999999 : Unknown 001D,1,100,0,0,0,0,0,0,1,100,0,0\r\n\
             E01000001 : Town 001A,10,100,x,0,0,0,0,0,10,100,0,0\r\n\
             E01000001 : Town 001A,10,100,1,0,0,0,0,0,10,100,0,0\r\n\
             Town 001A,10,100,0,0,0,0,0,0,10,100,0,0\r\n\
             E01000001 : Short,10,100\r\n\
             ,,,,,,,,,,,,\r\n\
             ,\"In order to protect against disclosure of personal information, records\",,,,,,,,,,,\r\n\
             Source: ONS Census 2021,,,,,,,,,,,,\r\n\
             ,affected.,,,,,,,,,,,"
        );
        let p = write(&dir, &text);
        let wards = testdata::grid_bng();
        let (pop, rep) = load(&p, &lookup, &wards).expect("loads");
        assert_eq!(
            rep.rows_read, 8,
            "\"Source: ...\" in the first column is a footnote, not a row"
        );
        assert_eq!(rep.rows_used, 2);
        assert_eq!(
            (rep.rows_outside_area, rep.population_outside_area),
            (1, 40.0)
        );
        assert_eq!(rep.population_used, 150.0);
        assert_eq!(
            rep.lines_skipped,
            2 + 2 + 4,
            "metadata, blank lines, footnotes"
        );
        let lines: Vec<u64> = rep.rows_bad.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![9, 10, 11, 12, 13], "{:?}", rep.rows_bad);
        assert!(rep.rows_bad[0].1.contains("not in the LSOA-to-ward lookup"));
        assert!(
            rep.rows_bad[1].1.contains("column 4 (\"x\")"),
            "{:?}",
            rep.rows_bad[1]
        );
        assert!(
            rep.rows_bad[2]
                .1
                .contains("add up to 11 but the total is 10")
        );
        assert!(rep.rows_bad[3].1.contains("\"Town 001A\" is not like"));
        assert!(rep.rows_bad[4].1.contains("3 fields"));
        let got: Vec<(&str, f64)> = pop
            .cells
            .iter()
            .map(|c| (c.ethnic_group.as_str(), c.population))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Asian", 10.0),
                ("Black", 20.0),
                ("Mixed", 5.0),
                ("Other", 5.0),
                ("White", 110.0)
            ]
        );
        assert!(
            pop.cells
                .iter()
                .all(|c| c.ward_code == "E05000009" && c.age_band == ALL && c.sex == ALL)
        );
        assert_eq!(rep.wards_without_population.len(), 8);
    }

    #[test]
    fn header_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let lookup = setup(&dir);
        let wards = testdata::grid_bng();
        // No Other column.
        let p = write(
            &dir,
            "x,,\narea,Total,Asian,Black,Mixed,White\nE01000001 : a,1,0,0,0,1\n",
        );
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(
            matches!(e, GeoError::MissingColumn { ref expected, .. } if expected.contains("Other")),
            "{e}"
        );
        let p = write(&dir, "area,Total,Asian,White,White,Black,Mixed,Other\n");
        assert!(matches!(
            load(&p, &lookup, &wards),
            Err(GeoError::AmbiguousColumn { .. })
        ));
        // No header at all.
        let p = write(&dir, "TS021 - Ethnic group,,\nE01000001 : a,1,1\n");
        let e = load(&p, &lookup, &wards).unwrap_err();
        assert!(
            e.to_string()
                .contains("a header line with a \"Total\" column"),
            "{e}"
        );
        // Header, no data.
        let p = write(&dir, &format!("{HEADER}\n,,,\n"));
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
    fn real_groups_add_up_to_the_total_for_every_lsoa() {
        let raw = real_data::raw_ts021_rows();
        assert_eq!(raw.len(), 35_672);
        for (code, (total, groups)) in raw {
            assert_eq!(groups.iter().sum::<f64>(), *total, "{code}");
        }
    }

    #[test]
    fn real_city_of_london() {
        let wards = real_data::city_wards();
        let city_lsoas = real_data::raw_lsoas_in(&[real_data::CITY]);
        assert_eq!(city_lsoas.len(), 6);
        let raw = real_data::raw_ts021_rows();
        let expected: f64 = city_lsoas.iter().map(|l| raw[l].0).sum();
        assert_eq!(
            expected, 8588.0,
            "TS021 is perturbed separately from TS007A (8,579)"
        );
        let expected_black: f64 = city_lsoas.iter().map(|l| raw[l].1[1]).sum();

        let (pop, rep) = load(
            testdata::public_file(real_data::TS021),
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
        assert_eq!(
            rep.lines_skipped,
            6 + 1 + 7,
            "6 metadata lines, blank line, 7 footer lines"
        );
        assert_eq!((rep.rows_used, rep.rows_outside_area), (6, 35_666));
        assert_eq!(rep.population_used, expected);
        assert_eq!(pop.total(), expected);
        assert_eq!(rep.wards_without_population.len(), 20);
        let any = crate::geo::population::CategoryFilter::Any;
        let black = pop
            .area_denominator(
                &crate::geo::population::AgeFilter::Any,
                &any,
                &crate::geo::population::CategoryFilter::is("Black"),
            )
            .expect("ok");
        assert_eq!(black.value, expected_black);
        assert!(!black.method.is_estimate());
    }
}
