//! ONS lookups: LSOA 2021 -> electoral ward -> local authority (best fit), and LSOA 2011 -> LSOA 2021.
//!
//! Column names carry the vintage (`WD25CD`, `LAD24NM`, ...), which changes every year, so columns are found by
//! pattern (`LSOA<yy>CD`, `WD<yy>CD`, ...) rather than by exact name.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::csvread::{self, LineCounter};
use super::error::GeoError;

/// A ward as named in the lookup (not necessarily one of the assessment area's wards).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WardRef {
    pub code: String,
    /// Empty when the lookup has no `WD..NM` column.
    pub name: String,
    /// Empty when the lookup has no `LAD..CD` column.
    pub lad_code: String,
    /// Empty when the lookup has no `LAD..NM` column.
    pub lad_name: String,
}

/// LSOA -> ward best-fit lookup.
#[derive(Debug, Clone, Default)]
pub struct LsoaLookup {
    /// Distinct wards, sorted by code.
    wards: Vec<WardRef>,
    /// LSOA code -> index into `wards`.
    by_lsoa: HashMap<String, usize>,
    /// Header names actually used, e.g. `["LSOA21CD", "WD25CD", ...]`, for provenance in reports.
    pub columns: Vec<String>,
}

/// `<prefix><2 digits><suffix>`, case-insensitive: `LSOA21CD`, `WD25NM`; not `WD25NMW` (the Welsh name).
fn matches_pattern(name: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let rest = upper.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) {
        rest.parse().ok()
    } else {
        None
    }
}

/// Every column matching the pattern, as (index, two-digit year).
fn find_all(header: &[String], prefix: &str, suffix: &str) -> Vec<(usize, u32)> {
    header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| matches_pattern(h, prefix, suffix).map(|y| (i, y)))
        .collect()
}

fn pattern_name(prefix: &str, suffix: &str) -> String {
    format!("{prefix}<yy>{suffix}")
}

/// The single column matching the pattern; `Ok(None)` when absent and optional.
fn find_one(
    header: &[String],
    prefix: &str,
    suffix: &str,
    path: &Path,
    required: bool,
) -> Result<Option<usize>, GeoError> {
    let found = find_all(header, prefix, suffix);
    match found.as_slice() {
        [] if required => Err(GeoError::MissingColumn {
            path: path.to_path_buf(),
            expected: pattern_name(prefix, suffix),
            found: header.to_vec(),
        }),
        [] => Ok(None),
        [(i, _)] => Ok(Some(*i)),
        _ => Err(GeoError::AmbiguousColumn {
            path: path.to_path_buf(),
            expected: pattern_name(prefix, suffix),
            found: found.iter().map(|(i, _)| header[*i].clone()).collect(),
        }),
    }
}

/// Codes are compared trimmed and upper-case (`e01000001 ` in an extract is still an LSOA code).
pub(crate) fn normalise_code(code: &str) -> std::borrow::Cow<'_, str> {
    let t = code.trim();
    if t.bytes().any(|b| b.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(t.to_ascii_uppercase())
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

impl LsoaLookup {
    /// Load an ONS LSOA-to-ward lookup CSV (e.g. `LSOA21CD,LSOA21NM,WD25CD,WD25NM,LAD25CD,LAD25NM,...`).
    ///
    /// `LSOA..CD` and `WD..CD` columns are required; names and LAD columns are optional. An LSOA listed twice
    /// with different wards is an error (a best-fit lookup assigns each LSOA to exactly one ward).
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<LsoaLookup, GeoError> {
        let path = path.as_ref();
        let mut rdr = csvread::open(path, false)?;
        let header = csvread::header(&mut rdr, path)?;
        let lsoa_i = find_one(&header, "LSOA", "CD", path, true)?;
        let ward_i = find_one(&header, "WD", "CD", path, true)?;
        let (Some(lsoa_i), Some(ward_i)) = (lsoa_i, ward_i) else {
            return Err(GeoError::MissingColumn {
                path: path.to_path_buf(),
                expected: "LSOA<yy>CD and WD<yy>CD".to_string(),
                found: header,
            });
        };
        let ward_nm = find_one(&header, "WD", "NM", path, false)?;
        let lad_cd = find_one(&header, "LAD", "CD", path, false)?;
        let lad_nm = find_one(&header, "LAD", "NM", path, false)?;
        let columns = [Some(lsoa_i), Some(ward_i), ward_nm, lad_cd, lad_nm]
            .iter()
            .flatten()
            .map(|&i| header[i].clone())
            .collect();

        let mut wards: BTreeMap<String, WardRef> = BTreeMap::new();
        let mut lsoa_ward: HashMap<String, (String, u64)> = HashMap::new();
        let mut record = csv::StringRecord::new();
        let mut lines = LineCounter::after_header();
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csvread::csv_error(path, lines.current(), e)),
            }
            let line = lines.consume(&record);
            let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map_or("", str::trim);
            let lsoa = normalise_code(get(Some(lsoa_i))).into_owned();
            let ward = normalise_code(get(Some(ward_i))).into_owned();
            if lsoa.is_empty() || ward.is_empty() {
                return Err(GeoError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    problem: format!(
                        "empty {} or {}; expected an LSOA code and a ward code",
                        header[lsoa_i], header[ward_i]
                    ),
                });
            }
            let wr = WardRef {
                code: ward.clone(),
                name: get(ward_nm).to_string(),
                lad_code: get(lad_cd).to_string(),
                lad_name: get(lad_nm).to_string(),
            };
            if let Some(prev) = wards.get(&ward)
                && prev.lad_code != wr.lad_code
            {
                return Err(GeoError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    problem: format!(
                        "ward {ward} is in local authority {} here but {} on an earlier line; expected one",
                        wr.lad_code, prev.lad_code
                    ),
                });
            }
            wards.entry(ward.clone()).or_insert(wr);
            if let Some((prev, prev_line)) = lsoa_ward.get(&lsoa) {
                if *prev != ward {
                    return Err(GeoError::BadRow {
                        path: path.to_path_buf(),
                        line,
                        problem: format!(
                            "LSOA {lsoa} maps to ward {ward} here but to {prev} on line {prev_line}; expected one best-fit ward"
                        ),
                    });
                }
                continue;
            }
            lsoa_ward.insert(lsoa, (ward, line));
        }
        if lsoa_ward.is_empty() {
            return Err(GeoError::EmptyTable {
                path: path.to_path_buf(),
            });
        }
        let wards: Vec<WardRef> = wards.into_values().collect();
        let index: HashMap<&str, usize> = wards
            .iter()
            .enumerate()
            .map(|(i, w)| (w.code.as_str(), i))
            .collect();
        let by_lsoa = lsoa_ward
            .into_iter()
            .filter_map(|(lsoa, (ward, _))| index.get(ward.as_str()).map(|&i| (lsoa, i)))
            .collect();
        Ok(LsoaLookup {
            wards,
            by_lsoa,
            columns,
        })
    }

    /// The best-fit ward of an LSOA code (trimmed, case-insensitive).
    pub fn ward_for_lsoa(&self, lsoa_code: &str) -> Option<&WardRef> {
        let code = normalise_code(lsoa_code);
        self.by_lsoa.get(code.as_ref()).map(|&i| &self.wards[i])
    }

    pub fn contains_lsoa(&self, lsoa_code: &str) -> bool {
        self.by_lsoa
            .contains_key(normalise_code(lsoa_code).as_ref())
    }

    /// Wards of the given local authorities, sorted by ward code (to check boundary files against the lookup).
    pub fn wards_in_lads(&self, lad_codes: &[&str]) -> Vec<&WardRef> {
        let lads: Vec<_> = lad_codes.iter().map(|c| normalise_code(c)).collect();
        self.wards
            .iter()
            .filter(|w| lads.iter().any(|l| l.as_ref() == w.lad_code))
            .collect()
    }

    /// LSOA codes whose best-fit ward is `ward_code`, sorted.
    pub fn lsoas_in_ward(&self, ward_code: &str) -> Vec<&str> {
        let code = normalise_code(ward_code);
        let Ok(wi) = self
            .wards
            .binary_search_by(|w| w.code.as_str().cmp(code.as_ref()))
        else {
            return Vec::new();
        };
        let mut out: Vec<&str> = self
            .by_lsoa
            .iter()
            .filter(|&(_, &i)| i == wi)
            .map(|(l, _)| l.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    /// Number of LSOAs in the lookup.
    pub fn len(&self) -> usize {
        self.by_lsoa.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_lsoa.is_empty()
    }

    /// Number of distinct wards.
    pub fn ward_count(&self) -> usize {
        self.wards.len()
    }
}

/// LSOA 2011 -> LSOA 2021, for sources (older police.uk files) still using 2011 codes.
#[derive(Debug, Clone, Default)]
pub struct Lsoa11Lookup {
    /// 2011 code -> all its 2021 codes, sorted ascending (several when the LSOA was split).
    map: HashMap<String, Vec<String>>,
    pub columns: Vec<String>,
}

impl Lsoa11Lookup {
    /// Load the ONS LSOA 2011 -> 2021 lookup (`LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,...`).
    ///
    /// The two `LSOA<yy>CD` columns are found by pattern; the older year is the source.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Lsoa11Lookup, GeoError> {
        let path = path.as_ref();
        let mut rdr = csvread::open(path, false)?;
        let header = csvread::header(&mut rdr, path)?;
        let mut cols = find_all(&header, "LSOA", "CD");
        cols.sort_by_key(|&(_, y)| y);
        let (from_i, to_i) = match cols.as_slice() {
            [(a, ya), (b, yb)] if ya < yb => (*a, *b),
            _ => {
                return Err(GeoError::MissingColumn {
                    path: path.to_path_buf(),
                    expected:
                        "two LSOA<yy>CD columns of different years (e.g. LSOA11CD and LSOA21CD)"
                            .to_string(),
                    found: header,
                });
            }
        };
        let columns = vec![header[from_i].clone(), header[to_i].clone()];
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let mut record = csv::StringRecord::new();
        let mut lines = LineCounter::after_header();
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csvread::csv_error(path, lines.current(), e)),
            }
            let line = lines.consume(&record);
            let from = normalise_code(record.get(from_i).unwrap_or("")).into_owned();
            let to = normalise_code(record.get(to_i).unwrap_or("")).into_owned();
            if from.is_empty() || to.is_empty() {
                return Err(GeoError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    problem: format!(
                        "empty {} or {}; expected two LSOA codes",
                        columns[0], columns[1]
                    ),
                });
            }
            map.entry(from).or_default().push(to);
        }
        if map.is_empty() {
            return Err(GeoError::EmptyTable {
                path: path.to_path_buf(),
            });
        }
        for v in map.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Ok(Lsoa11Lookup { map, columns })
    }

    /// The 2021 code for a 2011 code. Unchanged and merged LSOAs have exactly one; for a 2011 LSOA split into
    /// several 2021 LSOAs (change indicator S or X) this returns the lowest 2021 code, a deterministic choice
    /// that keeps the record inside the old LSOA's footprint (the parts usually share a ward).
    pub fn to_2021(&self, code_2011: &str) -> Option<&str> {
        self.all_2021(code_2011).first().map(String::as_str)
    }

    /// Every 2021 code the 2011 LSOA became, sorted; empty when the code is not a 2011 LSOA.
    pub fn all_2021(&self, code_2011: &str) -> &[String] {
        self.map
            .get(normalise_code(code_2011).as_ref())
            .map_or(&[], Vec::as_slice)
    }

    /// Number of 2011 codes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::testdata;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn synthetic_lookup_with_bom_and_other_years() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(
            &dir,
            "l.csv",
            "\u{feff}LSOA21CD,LSOA21NM,WD24CD,WD24NM,WD24NMW,LAD24CD,LAD24NM\r\nE01000001,A 001A,E05000001,One,,E09000001,Lad One\r\nE01000002,A 001B,E05000001,One,,E09000001,Lad One\r\ne01000003 ,B 001A,E05000002,Two,,E09000002,Lad Two\r\n",
        );
        let l = LsoaLookup::from_csv_path(&p).expect("loads");
        assert_eq!(l.len(), 3);
        assert_eq!(l.ward_count(), 2);
        assert_eq!(
            l.columns,
            vec!["LSOA21CD", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"]
        );
        let w = l.ward_for_lsoa(" e01000002").expect("known");
        assert_eq!(
            (w.code.as_str(), w.name.as_str(), w.lad_code.as_str()),
            ("E05000001", "One", "E09000001")
        );
        assert_eq!(
            l.ward_for_lsoa("E01000003").map(|w| w.code.as_str()),
            Some("E05000002")
        );
        assert!(l.ward_for_lsoa("E01999999").is_none());
        let in_lad: Vec<_> = l
            .wards_in_lads(&["E09000002"])
            .iter()
            .map(|w| w.code.as_str())
            .collect();
        assert_eq!(in_lad, vec!["E05000002"]);
        assert_eq!(l.lsoas_in_ward("E05000001"), vec!["E01000001", "E01000002"]);
    }

    #[test]
    fn lookup_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(&dir, "a.csv", "LSOA21CD,LAD24CD\nE01000001,E09000001\n");
        let e = LsoaLookup::from_csv_path(&p).unwrap_err();
        assert!(
            matches!(e, GeoError::MissingColumn { ref expected, .. } if expected == "WD<yy>CD"),
            "{e}"
        );
        let p = write(
            &dir,
            "b.csv",
            "LSOA21CD,WD24CD\nE01000001,E05000001\nE01000001,E05000002\n",
        );
        let e = LsoaLookup::from_csv_path(&p).unwrap_err();
        assert!(matches!(e, GeoError::BadRow { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("line 2"), "{e}");
        let p = write(
            &dir,
            "c.csv",
            "LSOA21CD,WD24CD,WD25CD\nE01000001,E05000001,E05000001\n",
        );
        assert!(matches!(
            LsoaLookup::from_csv_path(&p),
            Err(GeoError::AmbiguousColumn { .. })
        ));
        let p = write(&dir, "d.csv", "LSOA21CD,WD24CD\nE01000001\n");
        assert!(matches!(
            LsoaLookup::from_csv_path(&p),
            Err(GeoError::Csv { .. })
        ));
        let p = write(&dir, "e.csv", "LSOA21CD,WD24CD\n");
        assert!(matches!(
            LsoaLookup::from_csv_path(&p),
            Err(GeoError::EmptyTable { .. })
        ));
        let p = write(&dir, "f.csv", "LSOA21CD,WD24CD\n,E05000001\n");
        assert!(matches!(
            LsoaLookup::from_csv_path(&p),
            Err(GeoError::BadRow { line: 2, .. })
        ));
        assert!(matches!(
            LsoaLookup::from_csv_path(dir.path().join("missing.csv")),
            Err(GeoError::Io { .. })
        ));
    }

    #[test]
    fn synthetic_2011_lookup_split_takes_lowest() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(
            &dir,
            "l11.csv",
            "\u{feff}LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND\nE01000010,x,E01000010,x,U\nE01000011,x,E01030002,x,S\nE01000011,x,E01030001,x,S\nE01000012,x,E01030003,x,M\nE01000013,x,E01030003,x,M\n",
        );
        let l = Lsoa11Lookup::from_csv_path(&p).expect("loads");
        assert_eq!(l.to_2021("E01000010"), Some("E01000010"));
        assert_eq!(l.to_2021("E01000011"), Some("E01030001"));
        assert_eq!(l.all_2021("E01000011").len(), 2);
        assert_eq!(l.to_2021("E01000013"), Some("E01030003"));
        assert_eq!(
            l.to_2021("E01030003"),
            None,
            "a 2021-only code is not a 2011 code"
        );
        let p = write(&dir, "bad.csv", "LSOA21CD,WD24CD\nE01000001,E05000001\n");
        assert!(matches!(
            Lsoa11Lookup::from_csv_path(&p),
            Err(GeoError::MissingColumn { .. })
        ));
    }

    #[test]
    fn real_lsoa21_to_ward_lookup() {
        let l = LsoaLookup::from_csv_path(testdata::public_file(
            "lookups/lsoa21_to_ward25_lad25_ew.csv",
        ))
        .expect("loads");
        assert_eq!(l.len(), 35_672);
        assert_eq!(
            l.columns,
            vec!["LSOA21CD", "WD25CD", "WD25NM", "LAD25CD", "LAD25NM"]
        );
        // City of London 001F -> Walbrook.
        let w = l.ward_for_lsoa("E01032739").expect("City LSOA");
        assert_eq!(
            (w.code.as_str(), w.name.as_str()),
            ("E05009312", "Walbrook")
        );
        assert_eq!(
            (w.lad_code.as_str(), w.lad_name.as_str()),
            ("E09000001", "City of London")
        );
        // The City has 25 wards but only 6 LSOAs, so best fit reaches just 5 of its wards.
        assert_eq!(l.wards_in_lads(&["E09000001"]).len(), 5);
        assert_eq!(l.lsoas_in_ward("E05009302"), vec!["E01000002", "E01000003"]);
    }

    #[test]
    fn real_lsoa11_lookup() {
        let l = Lsoa11Lookup::from_csv_path(testdata::public_file(
            "lookups/lsoa11_to_lsoa21_lad22_ew.csv",
        ))
        .expect("loads");
        assert_eq!(l.columns, vec!["LSOA11CD", "LSOA21CD"]);
        assert_eq!(l.len(), 34_753);
        assert_eq!(l.to_2021("E01000001"), Some("E01000001"), "unchanged");
        assert_eq!(
            l.to_2021("E01000048"),
            Some("E01034479"),
            "merged (Barking and Dagenham 021B)"
        );
        assert_eq!(
            l.all_2021("E01027931"),
            ["E01033778", "E01033779", "E01033781"],
            "split"
        );
        assert_eq!(l.to_2021("E01027931"), Some("E01033778"));
    }
}
