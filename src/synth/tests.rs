//! Tests of the synthetic borough: determinism, tiling, population, every planted truth (re-measured from
//! the files as written), and the exact location of every bad row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::calendar;
use super::data::GenData;
use super::geometry::{self, Borough, point_in_ring};
use super::population::Population;
use super::*;

const HO_CODES: &str = include_str!("../../seeds/ho_codes.csv");

fn ho_codes() -> BTreeSet<String> {
    HO_CODES.lines().skip(1).filter_map(|l| l.split(',').next()).map(str::to_string).collect()
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------------------
// Seed data

#[test]
fn seed_data_parses_and_uses_only_known_ho_codes() {
    let data = GenData::load().unwrap();
    let known = ho_codes();
    for t in &data.mix {
        assert!(known.contains(&t.ho_code), "{} is not in seeds/ho_codes.csv", t.ho_code);
    }
    for (c, _) in bad_rows::UNKNOWN_CODES {
        assert!(!known.contains(c), "{c} must be unknown");
    }
    let sv: BTreeSet<&str> = data.mix.iter().filter(|t| t.serious_violence).map(|t| t.ho_code.as_str()).collect();
    let london: BTreeSet<&str> = [
        "1", "4/1", "2", "5D", "8N", "8P", "8S", "3B", "19C", "19D", "19E", "19F", "19G", "19H", "17A", "17B", "20A",
        "20B", "34B",
    ]
    .into_iter()
    .collect();
    assert_eq!(sv, london);
    for c in ["105A", "8Q", "8L", "34A", "10D", "58A"] {
        assert!(data.mix.iter().any(|t| t.ho_code == c && !t.serious_violence), "{c} should be non-SV in the mix");
    }
    // Some descriptions need Windows-1252 (and differ from UTF-8).
    assert!(data.mix.iter().any(|t| t.description.contains('£')));
}

#[test]
fn invalid_scale_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(generate(dir.path(), &SynthOptions { seed: 1, scale: 0, ..SynthOptions::default() }), Err(SynthError::Options(_))));
    let too_big = SynthOptions { seed: 1, scale: MAX_SCALE + 1, ..SynthOptions::default() };
    assert!(matches!(generate(dir.path(), &too_big), Err(SynthError::Options(_))));
}

// ---------------------------------------------------------------------------------------------------------
// Geometry

fn geo_polygon(ring: &[[f64; 2]]) -> ::geo::Polygon<f64> {
    let mut pts: Vec<::geo::Coord<f64>> = ring.iter().map(|p| ::geo::Coord { x: p[0], y: p[1] }).collect();
    pts.push(pts[0]);
    ::geo::Polygon::new(::geo::LineString::new(pts), vec![])
}

fn check_tiling(b: &Borough, n_wards: usize, samples: usize) {
    use ::geo::{Area, BooleanOps};
    assert_eq!(b.wards.len(), n_wards);
    let codes: Vec<&str> = b.wards.iter().map(|w| w.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert_eq!(codes[0], "E05099001");
    // Areas: every ward 1-6 km², and together exactly the borough.
    let sum: f64 = b.wards.iter().map(|w| w.area_m2).sum();
    assert!(((sum - b.area_m2) / b.area_m2).abs() < 1e-6, "{sum} vs {}", b.area_m2);
    for w in &b.wards {
        let km2 = w.area_m2 / 1e6;
        assert!((1.0..=6.0).contains(&km2), "{} is {km2} km²", w.code);
        assert!(geometry::signed_area(&w.ring) > 0.0, "{} is not counter-clockwise", w.code);
    }
    let across = (b.bbox[2] - b.bbox[0]).max(b.bbox[3] - b.bbox[1]) / 1000.0;
    assert!(
        across >= 7.0 * (n_wards as f64 / 20.0).sqrt() && across <= 11.5 * (n_wards as f64 / 20.0).sqrt(),
        "{across} km across"
    );
    // No overlaps: pairwise intersection areas vanish, and the union is the borough.
    let polys: Vec<::geo::Polygon<f64>> = b.wards.iter().map(|w| geo_polygon(&w.ring)).collect();
    for i in 0..polys.len() {
        for j in i + 1..polys.len() {
            let (bi, bj) = (&b.wards[i].bbox, &b.wards[j].bbox);
            if bi[0] > bj[2] || bj[0] > bi[2] || bi[1] > bj[3] || bj[1] > bi[3] {
                continue;
            }
            let inter = polys[i].intersection(&polys[j]).unsigned_area();
            assert!(inter < 1.0, "wards {i} and {j} overlap by {inter} m²");
        }
    }
    let outline = geo_polygon(&b.outline);
    assert!(((outline.unsigned_area() - sum) / sum).abs() < 1e-6);
    // Random points: in at most one ward; inside the borough, in exactly one.
    let mut r = rng::stream(99, 1);
    let mut inside = 0;
    for _ in 0..samples {
        let p = [rng::uniform(&mut r, b.bbox[0], b.bbox[2]), rng::uniform(&mut r, b.bbox[1], b.bbox[3])];
        let n = b.wards.iter().filter(|w| point_in_ring(p, &w.ring)).count();
        assert!(n <= 1, "{p:?} is in {n} wards");
        if point_in_ring(p, &b.outline) {
            inside += 1;
            assert_eq!(n, 1, "{p:?} is in the borough but in {n} wards");
            assert!(b.ward_at(p).is_some());
        } else {
            assert_eq!(n, 0);
        }
    }
    assert!(inside > samples / 3);
    // The hot wards are adjacent.
    assert!(b.neighbours[b.hot[0]].contains(&b.hot[1]));
}

#[test]
fn wards_tile_the_borough() {
    let b = geometry::build(5, 20, CENTRE_BNG, 4600.0).unwrap();
    check_tiling(&b, 20, 20_000);
    // Edges really are irregular: far more vertices than a Voronoi cell has.
    assert!(b.wards.iter().all(|w| w.ring.len() > 30));
}

#[test]
fn wards_tile_for_other_seeds_and_scales() {
    for seed in [1u64, 2, 3] {
        check_tiling(&geometry::build(seed, 20, CENTRE_BNG, 4600.0).unwrap(), 20, 3_000);
    }
    check_tiling(&geometry::build(8, 40, CENTRE_BNG, 4600.0 * 2f64.sqrt()).unwrap(), 40, 5_000);
    let a = geometry::build(1, 20, CENTRE_BNG, 4600.0).unwrap();
    let b = geometry::build(2, 20, CENTRE_BNG, 4600.0).unwrap();
    assert_ne!(a.outline, b.outline);
}

#[test]
fn ward_names_are_unique_and_word_like() {
    let data = GenData::load().unwrap();
    for n in [20usize, 200] {
        let names = names::ward_names(3, n, &data.syllables).unwrap();
        let set: BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), n);
        assert!(names.iter().all(|s| s.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')));
    }
}

// ---------------------------------------------------------------------------------------------------------
// Population

#[test]
fn population_totals_and_shared_age_structure() {
    let data = GenData::load().unwrap();
    let pop = Population::build(17, 20, 1, &data);
    let total = pop.total();
    assert!((248_000..=252_000).contains(&total), "{total}");
    for w in 0..20 {
        let t = pop.ward_total(w);
        assert!((9_000..=16_000).contains(&t), "ward {w}: {t}");
        // Age structure is the same in every ethnic group of a ward (up to rounding).
        for e in 0..population::N_ETH {
            let g: u64 = pop.cells[w].iter().map(|b| b[0][e] + b[1][e]).sum();
            let young: u64 = pop.cells[w][..5].iter().map(|b| b[0][e] + b[1][e]).sum();
            let all_young: u64 = pop.cells[w][..5].iter().flatten().flatten().sum();
            let share = young as f64 / g as f64;
            let ward_share = all_young as f64 / t as f64;
            assert!((share - ward_share).abs() < 0.01 + 5.0 / g as f64, "ward {w} group {e}");
        }
    }
    let pop3 = Population::build(17, 60, 3, &data);
    assert!((740_000..=760_000).contains(&pop3.total()));
}

// ---------------------------------------------------------------------------------------------------------
// The generated borough, read back from disk

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let opts = SynthOptions { seed: 314, scale: 1, ..SynthOptions::default() };
    let ta = generate(a.path(), &opts).unwrap();
    let tb = generate(b.path(), &opts).unwrap();
    assert_eq!(ta, tb);
    let fa = files_under(a.path());
    assert_eq!(fa, files_under(b.path()));
    // truth.json, 4 reference files, 9 police extracts, 14 partner extracts.
    assert_eq!(fa.len(), 28, "{fa:?}");
    for f in &fa {
        let (x, y) = (std::fs::read(a.path().join(f)).unwrap(), std::fs::read(b.path().join(f)).unwrap());
        assert!(x == y, "{} differs between runs", f.display());
    }
    // No temporary files left behind.
    assert!(fa.iter().all(|f| !f.to_string_lossy().contains(".tmp-")));
}

/// The file's text split into physical lines (line 1 = header), BOM and line ends removed.
fn physical_lines(text: &str, crlf: bool) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = text.strip_suffix(if crlf { "\r\n" } else { "\n" }).unwrap_or(text);
    body.split(if crlf { "\r\n" } else { "\n" }).map(str::to_string).collect()
}

struct CsvFile {
    lines: Vec<String>,
    rows: Vec<Vec<String>>, // rows[i] is physical line i + 1
}

fn read_csv(path: &Path, delimiter: u8, crlf: bool, cp1252: bool) -> CsvFile {
    let bytes = std::fs::read(path).unwrap();
    let text = if cp1252 {
        let (t, _, had_errors) = encoding_rs::WINDOWS_1252.decode(&bytes);
        assert!(!had_errors);
        t.into_owned()
    } else {
        String::from_utf8(bytes).unwrap()
    };
    if !crlf {
        assert!(!text.contains('\r'), "{} should use LF only", path.display());
    }
    let lines = physical_lines(&text, crlf);
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).from_reader(body.as_bytes());
    let mut rows = Vec::with_capacity(lines.len());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        // No field spans lines, so record i is physical line i + 1 (checked by the count below too).
        assert!(rec.iter().all(|f| !f.contains('\n') && !f.contains('\r')), "{}", path.display());
        rows.push(rec.iter().map(str::to_string).collect::<Vec<_>>());
    }
    assert_eq!(rows.len(), lines.len(), "{}: a field spans lines", path.display());
    CsvFile { lines, rows }
}

fn parse_uk(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M").ok().filter(|d| d.year() >= 1900)
}

fn parse_iso(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok()
}

#[derive(Debug, Clone)]
struct ReadOffence {
    year: usize,
    crime_ref: String,
    from: NaiveDateTime,
    code: String,
    da: bool,
    location: String,
    bng: [f64; 2],
    outcome: Option<u8>,
}

/// Line -> kind of the planted rows of `file` in `list` (`bad_rows` or `repaired_rows`).
fn planted_lines(truth: &serde_json::Value, list: &str, file: &str) -> BTreeMap<usize, String> {
    truth[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["file"] == file)
        .map(|b| (b["line"].as_u64().unwrap() as usize, b["kind"].as_str().unwrap().to_string()))
        .collect()
}

fn truth_lines(truth: &serde_json::Value, file: &str) -> BTreeMap<usize, String> {
    planted_lines(truth, "bad_rows", file)
}

fn repaired_lines(truth: &serde_json::Value, file: &str) -> BTreeMap<usize, String> {
    planted_lines(truth, "repaired_rows", file)
}

#[test]
fn generated_files_hold_the_planted_truths_and_bad_rows_where_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let t0 = std::time::Instant::now();
    let truth = generate(out, &SynthOptions { seed: 2024, scale: 1, ..SynthOptions::default() }).unwrap();
    eprintln!("generate (debug build): {:?}", t0.elapsed());
    let tj: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    assert_eq!(tj["seed"], 2024);
    assert_eq!(tj["area"]["ward_count"], 20);
    assert_eq!(tj["area"]["lad_name"], "Exampleton");
    let known = ho_codes();

    // --- wards.geojson ---
    let gj_text = std::fs::read_to_string(out.join("reference/wards.geojson")).unwrap();
    let gj: geojson::GeoJson = gj_text.parse().unwrap();
    assert!(matches!(gj, geojson::GeoJson::FeatureCollection(_)));
    let gv: serde_json::Value = serde_json::from_str(&gj_text).unwrap();
    assert!(gv.get("crs").is_none());
    let feats = gv["features"].as_array().unwrap();
    assert_eq!(feats.len(), 20);
    let mut names = BTreeSet::new();
    let mut rings_ll: Vec<Vec<[f64; 2]>> = Vec::new();
    for (i, f) in feats.iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["WD23CD"], format!("E05099{:03}", i + 1));
        assert_eq!(p["LAD23CD"], "E09099001");
        assert_eq!(p["LAD23NM"], "Exampleton");
        assert!(names.insert(p["WD23NM"].as_str().unwrap().to_string()));
        let ring: Vec<[f64; 2]> = f["geometry"]["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()])
            .collect();
        assert_eq!(ring.first(), ring.last());
        assert!(ring.iter().all(|c| (-0.25..0.05).contains(&c[0]) && (51.4..51.65).contains(&c[1])));
        rings_ll.push(ring[..ring.len() - 1].to_vec());
    }
    assert!(
        gj_text.contains(".")
            && gj_text
                .split(['[', ','])
                .filter(|s| s.starts_with("51."))
                .all(|s| { s.trim_end_matches(']').split('.').nth(1).is_some_and(|d| d.len() >= 6) })
    );
    // The WGS84 rings still tile: sample points in lon/lat.
    let mut r = rng::stream(5, 5);
    let (minx, maxx) = rings_ll.iter().flatten().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p[0]), a.1.max(p[0])));
    let (miny, maxy) = rings_ll.iter().flatten().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p[1]), a.1.max(p[1])));
    for _ in 0..4000 {
        let p = [rng::uniform(&mut r, minx, maxx), rng::uniform(&mut r, miny, maxy)];
        assert!(rings_ll.iter().filter(|ring| point_in_ring(p, ring)).count() <= 1);
    }
    let rings_bng: Vec<Vec<[f64; 2]>> = rings_ll
        .iter()
        .map(|ring| {
            ring.iter().map(|p| crate::geo::crs::wgs84_to_bng(p[0], p[1]).map(|(e, n)| [e, n]).unwrap()).collect()
        })
        .collect();
    let bboxes: Vec<[f64; 4]> = rings_bng.iter().map(|r| geometry::bbox(r)).collect();
    let ward_of = |p: [f64; 2]| {
        (0..rings_bng.len()).find(|&w| {
            let b = &bboxes[w];
            p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && point_in_ring(p, &rings_bng[w])
        })
    };
    let hot_codes: Vec<String> =
        tj["hot_wards"]["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    let hot_idx: Vec<usize> = hot_codes.iter().map(|c| c[6..].parse::<usize>().unwrap() - 1).collect();
    assert_eq!(hot_idx.len(), 2);

    // --- population.csv ---
    let pop = read_csv(&out.join("reference/population.csv"), b',', false, false);
    assert_eq!(pop.lines[0], "area_code,age_band,sex,ethnic_group,population");
    assert_eq!(pop.rows.len() - 1, 20 * 18 * 2 * 5);
    let mut pop_u25: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u64;
    let u25_bands = ["0-4", "5-9", "10-14", "15-19", "20-24"];
    for row in &pop.rows[1..] {
        let n: u64 = row[4].parse().unwrap();
        total += n;
        if u25_bands.contains(&row[1].as_str()) {
            *pop_u25.entry(row[3].clone()).or_default() += n;
        }
    }
    assert_eq!(total, truth.area.total_residents);
    assert!((245_000..=255_000).contains(&total));
    assert_eq!(pop.rows[1][1], "0-4");
    assert!(pop.rows.iter().any(|r| r[1] == "85+"));

    // --- encodings and dialects ---
    let raw23 = std::fs::read(out.join("raw/police/offences_2023-24.csv")).unwrap();
    assert!(raw23.starts_with(b"\xEF\xBB\xBFCRIS No,Committed From,"));
    let lf = raw23.iter().filter(|&&b| b == b'\n').count();
    let crlf = raw23.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(lf, crlf, "every line of the 2023-24 file ends CRLF");
    let raw24 = std::fs::read(out.join("raw/police/offences_2024-25.csv")).unwrap();
    assert!(!raw24.starts_with(b"\xEF\xBB\xBF"));
    assert!(std::str::from_utf8(&raw24).is_err(), "the 2024-25 file must not be valid UTF-8");
    assert!(raw24.starts_with(b"Crime Reference;Date From;"));
    let (dec24, _, _) = encoding_rs::WINDOWS_1252.decode(&raw24);
    assert!(dec24.contains('£') && dec24.contains('–'));
    let raw25 = std::fs::read(out.join("raw/police/offences_2025-26.csv")).unwrap();
    assert!(raw25.starts_with(b"URN,Committed From,") && std::str::from_utf8(&raw25).is_ok());
    let sus24 = std::fs::read_to_string(out.join("raw/police/suspects_2024-25.csv")).unwrap();
    assert!(sus24.starts_with("CRIS No\tSuspect ID\tAge\tSex\tEthnic Appearance\tStatus\n"));

    // --- offences, read back with every bad line checked ---
    let data = GenData::load().unwrap();
    let sv_codes: BTreeSet<&str> = data.mix.iter().filter(|t| t.serious_violence).map(|t| t.ho_code.as_str()).collect();
    let specs: [(&str, u8, bool, bool); 3] = [
        ("raw/police/offences_2023-24.csv", b',', true, false),
        ("raw/police/offences_2024-25.csv", b';', false, true),
        ("raw/police/offences_2025-26.csv", b',', false, false),
    ];
    let mut all_refs: BTreeSet<String> = BTreeSet::new();
    let mut clean_refs: Vec<BTreeMap<String, NaiveDateTime>> = vec![BTreeMap::new(); 3];
    let mut offences: Vec<ReadOffence> = Vec::new();
    let outside: BTreeMap<(String, usize), String> = tj["outside_area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                (o["file"].as_str().unwrap().to_string(), o["line"].as_u64().unwrap() as usize),
                o["crime_ref"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut total_rows = 0usize;
    for (year, &(file, delim, crlf, cp1252)) in specs.iter().enumerate() {
        let f = read_csv(&out.join(file), delim, crlf, cp1252);
        let bad = truth_lines(&tj, file);
        let repaired = repaired_lines(&tj, file);
        assert!(repaired.len() >= 3 && repaired.values().all(|k| k == "unknown_code"), "{file}: {repaired:?}");
        let flags: [&str; 2] = [["Y", "Yes", "TRUE"][year], ["N", "No", "FALSE"][year]];
        let mut seen_lines: BTreeMap<String, usize> = BTreeMap::new();
        let mut kinds_here = BTreeSet::new();
        assert_eq!(f.rows[0].len(), 17);
        for line in 2..=f.rows.len() {
            total_rows += 1;
            let row = &f.rows[line - 1];
            assert_eq!(row.len(), 17, "{file}:{line}");
            let raw_line = &f.lines[line - 1];
            let from = if year == 2 { parse_iso(&row[1]) } else { parse_uk(&row[1]) };
            match bad.get(&line).map(String::as_str) {
                Some(kind) => {
                    kinds_here.insert(kind.to_string());
                    match kind {
                        "impossible_date" => {
                            assert!(from.is_none(), "{file}:{line} {}", row[1]);
                            let shape = if year == 2 {
                                row[1].len() == 19 && &row[1][10..11] == "T"
                            } else {
                                row[1].len() == 16 && &row[1][5..6] == "/"
                            };
                            assert!(shape, "{file}:{line} {}", row[1]);
                        }
                        "two_digit_year" => {
                            assert!(
                                from.is_none() && row[1].len() == 14 && row[1].as_bytes()[8] == b' ',
                                "{file}:{line} {}",
                                row[1]
                            );
                        }
                        "missing_crime_ref" => assert!(row[0].is_empty(), "{file}:{line}"),
                        "duplicate" => {
                            let first = seen_lines.get(raw_line).copied();
                            assert!(
                                first.is_some_and(|l| l < line && !bad.contains_key(&l)),
                                "{file}:{line} is no duplicate of a good row"
                            );
                        }
                        other => panic!("{file}:{line}: unexpected kind {other}"),
                    }
                    if kind != "missing_crime_ref" {
                        all_refs.insert(row[0].clone());
                    }
                }
                None => {
                    let from = from.unwrap_or_else(|| panic!("{file}:{line}: bad committed_from {}", row[1]));
                    // A staged offence: its code is on the list, unless it was planted under a code on no list.
                    let unknown = repaired.contains_key(&line);
                    assert!(!row[0].is_empty() && known.contains(&row[4]) != unknown, "{file}:{line} {}", row[4]);
                    assert!(!unknown || bad_rows::UNKNOWN_CODES.iter().any(|(c, _)| *c == row[4]), "{file}:{line}");
                    assert!(all_refs.insert(row[0].clone()), "{file}:{line}: {} repeated", row[0]);
                    assert!(row[0].starts_with(layout::REF_PREFIX[year]));
                    for v in &row[6..12] {
                        assert!(flags.contains(&v.as_str()), "{file}:{line} flag {v}");
                    }
                    assert!(data::LOCATION_TYPES.contains(&row[12].as_str()));
                    let is_outside = outside.contains_key(&(file.to_string(), line));
                    let bng = if year == 2 {
                        let (lat, lon): (f64, f64) = (row[13].parse().unwrap(), row[14].parse().unwrap());
                        assert_eq!(row[13].split('.').nth(1).unwrap().len(), 6);
                        assert!((51.4..51.7).contains(&lat) || is_outside);
                        if sv_codes.contains(row[4].as_str()) || is_outside {
                            let (e, n) = crate::geo::crs::wgs84_to_bng(lon, lat).unwrap();
                            [e, n]
                        } else {
                            [f64::NAN, f64::NAN]
                        }
                    } else {
                        [row[13].parse::<i64>().unwrap() as f64, row[14].parse::<i64>().unwrap() as f64]
                    };
                    let to = if row[2].is_empty() {
                        None
                    } else {
                        Some(if year == 2 { parse_iso(&row[2]) } else { parse_uk(&row[2]) }.unwrap())
                    };
                    let reported = if year == 2 { parse_iso(&row[3]) } else { parse_uk(&row[3]) }.unwrap();
                    if let Some(to) = to {
                        assert!(to >= from && to - from <= chrono::Duration::hours(12));
                    }
                    assert!(reported >= from && reported - from <= chrono::Duration::days(7), "{file}:{line}");
                    let outcome = if row[15].is_empty() { None } else { Some(row[15].parse::<u8>().unwrap()) };
                    assert_eq!(outcome.is_some(), !row[16].is_empty());
                    assert!(outcome.is_none_or(|c| (1..=22).contains(&c)));
                    if let Some(cr) = outside.get(&(file.to_string(), line)) {
                        assert_eq!(cr, &row[0]);
                        assert!(ward_of(bng).is_none(), "{file}:{line} is recorded outside but lies in a ward");
                    } else {
                        let fy = calendar::YEARS[year].1;
                        assert!(from.date() >= NaiveDate::from_ymd_opt(fy, 4, 1).unwrap());
                        assert!(from.date() <= NaiveDate::from_ymd_opt(fy + 1, 3, 31).unwrap());
                        clean_refs[year].insert(row[0].clone(), from);
                        offences.push(ReadOffence {
                            year,
                            crime_ref: row[0].clone(),
                            from,
                            code: row[4].clone(),
                            da: row[6] == flags[0],
                            location: row[12].clone(),
                            bng,
                            outcome,
                        });
                    }
                    seen_lines.entry(raw_line.clone()).or_insert(line);
                }
            }
        }
        // Every bad line recorded exists.
        assert!(bad.keys().all(|&l| l >= 2 && l <= f.rows.len()), "{file}");
        let expect: BTreeSet<String> = if year == 2 {
            ["impossible_date", "missing_crime_ref", "duplicate"].map(String::from).into()
        } else {
            ["impossible_date", "two_digit_year", "missing_crime_ref", "duplicate"].map(String::from).into()
        };
        assert_eq!(kinds_here, expect, "{file}");
    }
    assert_eq!(
        outside.len(),
        tj["years"].as_array().unwrap().iter().map(|y| y["outside_area"].as_u64().unwrap() as usize).sum::<usize>()
    );

    // Yearly totals.
    for year in 0..3 {
        let n = offences.iter().filter(|o| o.year == year).count();
        assert_eq!(n, truth.years[year].offences);
        assert!((14_000..=16_500).contains(&n), "{n} offences in year {year}");
        assert_eq!(offences.iter().filter(|o| o.year == year && o.da).count(), truth.years[year].da_offences);
        let unknown = offences.iter().filter(|o| o.year == year && !known.contains(&o.code)).count();
        assert_eq!(unknown, truth.years[year].unknown_code_offences);
    }

    // --- planted truths, re-measured from the files ---
    let is_sv = |o: &ReadOffence| sv_codes.contains(o.code.as_str());
    let share = |num: usize, den: usize| num as f64 / den as f64;
    for year in 0..3 {
        let sv: Vec<&ReadOffence> = offences.iter().filter(|o| o.year == year && is_sv(o)).collect();
        let located: Vec<usize> = sv.iter().filter_map(|o| ward_of(o.bng)).collect();
        assert_eq!(located.len(), sv.len());
        let hot = located.iter().filter(|w| hot_idx.contains(w)).count();
        let s = share(hot, located.len());
        assert!((s - 0.45).abs() < 0.03, "hot-ward SV share {s} in year {year}");
        let recorded =
            tj["truths"]["hot_ward_sv_share"]["by_year"][calendar::YEARS[year].0]["realised"].as_f64().unwrap();
        assert!((s - recorded).abs() < 1e-12, "{s} vs recorded {recorded}");
    }
    let non_da_sv: Vec<&ReadOffence> = offences.iter().filter(|o| is_sv(o) && !o.da).collect();
    let wk = share(non_da_sv.iter().filter(|o| calendar::is_weekend_night(o.from)).count(), non_da_sv.len());
    assert!((wk - 0.30).abs() < 0.02, "weekend-night share {wk}");
    assert!((wk - truth.truths.weekend_night_sv_share.realised).abs() < 1e-12);
    // Outside the window, 10 random hours of the week hold far less (~6%).
    let da: Vec<&ReadOffence> = offences.iter().filter(|o| o.da).collect();
    let dwelling = share(da.iter().filter(|o| o.location == "dwelling").count(), da.len());
    assert!((dwelling - 0.80).abs() < 0.02, "DA dwelling {dwelling}");
    let evening = share(da.iter().filter(|o| o.from.hour() >= 18).count(), da.len());
    assert!(evening > 0.55 && (evening - truth.truths.da_evening_share.realised).abs() < 1e-12, "DA evening {evening}");
    let da_by_year: Vec<usize> = (0..3).map(|y| da.iter().filter(|o| o.year == y).count()).collect();
    let g1 = share(da_by_year[1], da_by_year[0]);
    let g2 = share(da_by_year[2], da_by_year[1]);
    assert!((g1 - 1.0).abs() < 0.03 && (g2 - 1.10).abs() < 0.03, "DA growth {g1} {g2}");
    let sd = share(offences.iter().filter(|o| o.outcome.is_some_and(|c| c <= 8)).count(), offences.len());
    assert!((sd - 0.12).abs() < 0.015, "sanction detections {sd}");

    // --- victims ---
    let da_refs: BTreeSet<&str> = da.iter().map(|o| o.crime_ref.as_str()).collect();
    let from_of: BTreeMap<&str, NaiveDateTime> = offences.iter().map(|o| (o.crime_ref.as_str(), o.from)).collect();
    let mut victim_rows: Vec<(String, u32, String, String, String)> = Vec::new(); // ref, age, sex, ethnicity, id
    let victim_specs = [("raw/police/victims_2023-24.csv", false), ("raw/police/victims_2024-25.csv", true)];
    for (year, &(file, dob)) in victim_specs.iter().enumerate() {
        let f = read_csv(&out.join(file), b',', false, false);
        let expect_header = if dob {
            "CRIS No,Victim ID,Victim Surname,Date of Birth,Sex,Ethnicity,Relationship to Suspect,Injury Level"
        } else {
            "CRIS No,Victim ID,Victim Surname,Age,Sex,Ethnicity,Relationship to Suspect,Injury Level"
        };
        assert_eq!(f.lines[0], expect_header);
        let bad = truth_lines(&tj, file);
        let repaired = repaired_lines(&tj, file);
        assert!(repaired.len() >= 3 && repaired.values().all(|k| k == "age_out_of_range"), "{file}");
        let mut kinds_here = BTreeSet::new();
        for line in 2..=f.rows.len() {
            total_rows += 1;
            let row = &f.rows[line - 1];
            assert!(row[1].starts_with("PER-") && row[1].len() == 11, "{}", row[1]);
            assert!(row[2].starts_with("SURNAME-") && row[2].len() == 13, "{}", row[2]);
            let age = |at: Option<NaiveDateTime>| -> u32 {
                if dob {
                    let d = NaiveDate::parse_from_str(&row[3], "%d/%m/%Y").unwrap();
                    calendar::age_on(d, at.unwrap().date())
                } else {
                    row[3].parse().unwrap()
                }
            };
            match bad.get(&line).map(String::as_str) {
                Some(kind) => {
                    kinds_here.insert(kind.to_string());
                    match kind {
                        "orphan_record" => {
                            assert!(!row[0].is_empty() && !all_refs.contains(&row[0]), "{file}:{line} {}", row[0]);
                        }
                        "missing_crime_ref" => assert!(row[0].is_empty()),
                        other => panic!("{file}:{line}: unexpected kind {other}"),
                    }
                }
                None => {
                    assert!(clean_refs[year].contains_key(&row[0]), "{file}:{line}: {} is not a clean offence", row[0]);
                    let a = age(from_of.get(row[0].as_str()).copied());
                    // A staged victim; one planted with an impossible age is written as 212.
                    assert!(if repaired.contains_key(&line) { a == 212 } else { a <= 100 }, "{file}:{line}: age {a}");
                    victim_rows.push((row[0].clone(), a, row[4].clone(), row[5].clone(), row[1].clone()));
                }
            }
        }
        assert_eq!(kinds_here.len(), 2, "{file}: {kinds_here:?}");
    }
    {
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let file = "raw/police/victims_2025-26.xlsx";
        let mut wb: Xlsx<_> = open_workbook(out.join(file)).unwrap();
        assert_eq!(wb.sheet_names()[0], "Victims");
        let range = wb.worksheet_range("Victims").unwrap();
        let text = |r: u32, c: u32| match range.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Float(f)) => f.to_string(),
            Some(Data::Int(i)) => i.to_string(),
            _ => String::new(),
        };
        assert_eq!(text(0, 0), "Crime Reference");
        assert_eq!(text(0, 3), "Age");
        let bad = truth_lines(&tj, file);
        let repaired = repaired_lines(&tj, file);
        assert!(repaired.len() >= 3, "{file}");
        let (end_row, _) = range.end().unwrap();
        let mut kinds_here = BTreeSet::new();
        for r in 1..=end_row {
            total_rows += 1;
            let line = r as usize + 1;
            let age = match range.get_value((r, 3)) {
                Some(Data::Float(f)) => *f as u32,
                Some(Data::Int(i)) => *i as u32,
                other => panic!("{file} row {line}: age {other:?} is not a number"),
            };
            let cref = text(r, 0);
            match bad.get(&line).map(String::as_str) {
                Some("orphan_record") => {
                    kinds_here.insert("orphan");
                    assert!(!cref.is_empty() && !all_refs.contains(&cref));
                }
                Some("missing_crime_ref") => {
                    kinds_here.insert("missing");
                    assert!(cref.is_empty());
                }
                Some(other) => panic!("unexpected {other}"),
                None => {
                    assert!(clean_refs[2].contains_key(&cref), "{file} row {line}");
                    assert!(if repaired.contains_key(&line) { age == 212 } else { age <= 100 }, "{file} row {line}");
                    victim_rows.push((cref, age, text(r, 4), text(r, 5), text(r, 1)));
                }
            }
        }
        assert_eq!(kinds_here.len(), 2);
    }
    let n_victims: usize = truth.years.iter().map(|y| y.victims).sum();
    assert_eq!(victim_rows.len(), n_victims);
    let age_unknown: usize = truth.years.iter().map(|y| y.victims_age_unknown).sum();
    assert_eq!(victim_rows.iter().filter(|v| v.1 == 212).count(), age_unknown);
    // Disproportionality: Black under-25s are victims at 2.3x the rate of White under-25s.
    let count = |letter: char| victim_rows.iter().filter(|v| v.1 < 25 && v.3.starts_with(letter)).count();
    let rr = (count('B') as f64 / pop_u25["Black"] as f64) / (count('W') as f64 / pop_u25["White"] as f64);
    assert!((rr - 2.3).abs() < 0.25, "rate ratio {rr}");
    assert!((rr - truth.truths.black_white_u25_victim_rate_ratio.realised).abs() < 1e-9, "{rr}");
    let stated = victim_rows.iter().filter(|v| !v.3.is_empty() && v.3 != "NS").count();
    let ns = 1.0 - share(stated, victim_rows.len());
    assert!((ns - 0.15).abs() < 0.02, "not stated {ns}");
    // DA victims: ~75% female, all 16+, ~8% repeat within 12 months.
    let da_v: Vec<&(String, u32, String, String, String)> =
        victim_rows.iter().filter(|v| da_refs.contains(v.0.as_str())).collect();
    let female = share(da_v.iter().filter(|v| v.2 == "F").count(), da_v.len());
    assert!((female - 0.75).abs() < 0.05, "DA female {female}");
    assert!(da_v.iter().all(|v| v.1 >= 16));
    let mut by_person: BTreeMap<&str, Vec<NaiveDate>> = BTreeMap::new();
    for v in &da_v {
        by_person.entry(v.4.as_str()).or_default().push(from_of[v.0.as_str()].date());
    }
    for d in by_person.values_mut() {
        d.sort();
    }
    let repeat = by_person
        .values()
        .filter(|d| d.windows(2).any(|w| w[1] <= w[0].checked_add_months(chrono::Months::new(12)).unwrap()))
        .count();
    let rep = share(repeat, by_person.len());
    assert!((rep - 0.08).abs() < 0.025, "repeat DA victims {rep}");
    assert!((rep - truth.truths.da_repeat_victim_share.realised).abs() < 1e-12);
    // People recur across years and roles.
    let ids_by_year: Vec<BTreeSet<&str>> = (0..3)
        .map(|y| victim_rows.iter().filter(|v| v.0.starts_with(layout::REF_PREFIX[y])).map(|v| v.4.as_str()).collect())
        .collect();
    assert!(ids_by_year[0].intersection(&ids_by_year[1]).count() > 50);

    // --- suspects ---
    let mut suspect_ids = BTreeSet::new();
    let mut with_suspect = BTreeSet::new();
    for (year, (file, delim)) in [
        ("raw/police/suspects_2023-24.csv", b','),
        ("raw/police/suspects_2024-25.csv", b'\t'),
        ("raw/police/suspects_2025-26.csv", b','),
    ]
    .into_iter()
    .enumerate()
    {
        let f = read_csv(&out.join(file), delim, false, false);
        let bad = truth_lines(&tj, file);
        let mut kinds_here = BTreeSet::new();
        for line in 2..=f.rows.len() {
            total_rows += 1;
            let row = &f.rows[line - 1];
            assert_eq!(row.len(), 6);
            assert!(["IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9"].contains(&row[4].as_str()), "{}", row[4]);
            assert!(["suspect", "accused", "charged"].contains(&row[5].as_str()));
            match bad.get(&line).map(String::as_str) {
                Some("orphan_record") => {
                    kinds_here.insert("orphan");
                    assert!(!row[0].is_empty() && !all_refs.contains(&row[0]));
                }
                Some("missing_crime_ref") => {
                    kinds_here.insert("missing");
                    assert!(row[0].is_empty());
                }
                Some(other) => panic!("{other}"),
                None => {
                    assert!(clean_refs[year].contains_key(&row[0]), "{file}:{line}");
                    suspect_ids.insert(row[1].clone());
                    with_suspect.insert(row[0].clone());
                }
            }
        }
        assert_eq!(kinds_here.len(), 2);
    }
    let victim_ids: BTreeSet<String> = victim_rows.iter().map(|v| v.4.clone()).collect();
    assert!(suspect_ids.intersection(&victim_ids).count() > 100, "victims who are also suspects");
    let ws = share(with_suspect.len(), offences.len());
    assert!((ws - 0.60).abs() < 0.05, "offences with a suspect {ws}");

    // --- planted-row bookkeeping ---
    let police_rows = |list: &str| {
        tj[list].as_array().unwrap().iter().filter(|b| b["file"].as_str().unwrap().starts_with("raw/police/")).count()
    };
    let (bad, repaired) = (police_rows("bad_rows"), police_rows("repaired_rows"));
    let planted_share = (bad + repaired) as f64 / total_rows as f64;
    assert!((0.02..=0.04).contains(&planted_share), "planted rows are {planted_share} of all rows");
    assert!(bad > repaired && repaired > 100, "{bad} bad rows, {repaired} repaired");
    for list in ["bad_row_counts", "repaired_row_counts"] {
        for (kind, n) in tj[list].as_object().unwrap() {
            assert!(n.as_u64().unwrap() >= 3, "{list} {kind}: {n}");
        }
    }
    let by_file = &tj["bad_row_counts_by_file"];
    assert!(by_file["raw/police/offences_2024-25.csv"]["impossible_date"].as_u64().unwrap() >= 3);
    let by_file = &tj["repaired_row_counts_by_file"];
    assert!(by_file["raw/police/victims_2025-26.xlsx"]["age_out_of_range"].as_u64().unwrap() >= 3);
    assert!(by_file["raw/police/offences_2025-26.csv"]["unknown_code"].as_u64().unwrap() >= 3);
    // A victim's impossible age given as a date of birth is logged against the date of birth.
    for r in tj["repaired_rows"].as_array().unwrap() {
        let file = r["file"].as_str().unwrap();
        if file.starts_with("raw/police/victims") {
            let want = if file == "raw/police/victims_2024-25.csv" { "date_of_birth" } else { "age" };
            assert_eq!((r["reason"].as_str(), r["field"].as_str()), (Some("age_out_of_range"), Some(want)), "{r}");
        }
    }
    let files: Vec<&str> = tj["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 27, "4 reference files, 9 police and 14 partner extracts");
    for f in files {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn streamed_extract_is_cris_shaped_and_inside_the_borough() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    write_offence_extract(&path, 3_000, 9).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFCRIS No,Committed From,Committed To,Reported Date,HO Code,"));
    let f = read_csv(&path, b',', true, false);
    assert_eq!(f.rows.len(), 3_001);
    let data = GenData::load().unwrap();
    let b = build_borough(9, 1, &data).unwrap();
    let known = ho_codes();
    let refs: BTreeSet<&String> = f.rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(refs.len(), 3_000);
    for row in &f.rows[1..] {
        assert!(parse_uk(&row[1]).is_some() && known.contains(&row[4]));
        let p = [row[13].parse::<f64>().unwrap(), row[14].parse::<f64>().unwrap()];
        assert!(b.ward_at(p).is_some(), "{p:?} outside the borough");
    }
    // Same seed, same bytes.
    let path2 = dir.path().join("big2.csv");
    write_offence_extract(&path2, 3_000, 9).unwrap();
    assert_eq!(bytes, std::fs::read(&path2).unwrap());
}

// ---------------------------------------------------------------------------------------------------------
// Scale and streaming

#[test]
fn streamed_csv_is_byte_identical_to_whole_file_csv() {
    let dir = tempfile::tempdir().unwrap();
    let header = ["Ref", "Text", "Amount"];
    // Enough rows that the CSV writer's buffer splits multi-byte characters across writes.
    let rows: Vec<Vec<Cell>> = (0..6_000)
        .map(|i| {
            vec![
                Cell::Text(format!("R{i:05}")),
                Cell::Text(if i % 3 == 0 { format!("£{i} café; \"quoted\", x") } else { "plain".into() }),
                if i % 7 == 0 { Cell::Empty } else { Cell::Number(f64::from(i) * 1.5) },
            ]
        })
        .collect();
    for encoding in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Windows1252] {
        for (delimiter, crlf) in [(b',', false), (b';', true), (b'\t', false)] {
            let fmt = CsvFormat { delimiter, encoding, crlf };
            let path = dir.path().join(format!("{}-{delimiter}-{crlf}.csv", encoding.name()));
            let mut s = writers::CsvStream::create(&path, &header, fmt).unwrap();
            for r in &rows {
                s.write(r).unwrap();
            }
            s.finish().unwrap();
            let expected = writers::csv_bytes(&path, &header, &rows, fmt).unwrap();
            assert!(std::fs::read(&path).unwrap() == expected, "{} differs", path.display());
        }
    }
    // A character Windows-1252 cannot hold is an error and leaves nothing behind.
    let fmt = CsvFormat { delimiter: b',', encoding: Encoding::Windows1252, crlf: false };
    let path = dir.path().join("bad.csv");
    let mut s = writers::CsvStream::create(&path, &header, fmt).unwrap();
    let res = s.write(&[Cell::text("tick \u{2713}"), Cell::Empty, Cell::Empty]).and_then(|()| s.finish());
    assert!(matches!(res, Err(SynthError::Encoding { .. })), "{res:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("bad.csv"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Column 0 (the crime reference) of every data row of a police extract, by physical line.
fn first_column(out: &Path, f: &truth::FileTruth) -> BTreeMap<usize, String> {
    let path = out.join(&f.path);
    if f.format == "xlsx" {
        use calamine::{Data, Reader, open_workbook_auto};
        let mut wb = open_workbook_auto(&path).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        return range
            .rows()
            .enumerate()
            .skip(1)
            .map(|(i, r)| {
                let v = match &r[0] {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                };
                (i + 1, v)
            })
            .collect();
    }
    let delimiter = match f.delimiter.as_deref() {
        Some("semicolon") => b';',
        Some("tab") => b'\t',
        _ => b',',
    };
    let crlf = f.line_ending.as_deref() == Some("crlf");
    let cp1252 = f.encoding.as_deref() == Some("windows-1252");
    let csv = read_csv(&path, delimiter, crlf, cp1252);
    csv.rows.iter().enumerate().skip(1).map(|(i, r)| (i + 1, r[0].clone())).collect()
}

#[test]
fn scale_two_doubles_the_borough_with_consistent_references() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let t1 = generate(d1.path(), &SynthOptions { seed: 5, scale: 1, ..SynthOptions::default() }).unwrap();
    let t2 = generate(d2.path(), &SynthOptions { seed: 5, scale: 2, ..SynthOptions::default() }).unwrap();
    assert_eq!(t2.area.ward_count, 2 * t1.area.ward_count);
    let near_double = |a: usize, b: usize, what: &str| {
        let r = b as f64 / a as f64;
        assert!((1.85..=2.15).contains(&r), "{what}: {a} at scale 1, {b} at scale 2 (ratio {r:.3})");
    };
    near_double(t1.area.total_residents as usize, t2.area.total_residents as usize, "residents");
    let file = |t: &Truth, prefix: &str| {
        t.files.iter().find(|f| f.path.starts_with(prefix)).cloned().unwrap_or_else(|| panic!("no {prefix}"))
    };
    for (year, &(fy, _)) in calendar::YEARS.iter().enumerate() {
        let off_path = layout::OFFENCES[year].path;
        near_double(file(&t1, off_path).rows, file(&t2, off_path).rows, off_path);
        let offences = file(&t2, off_path);
        let refs: BTreeSet<String> = first_column(d2.path(), &offences).into_values().collect();
        for kind in ["victims", "suspects"] {
            let prefix = format!("raw/police/{kind}_{fy}");
            near_double(file(&t1, &prefix).rows, file(&t2, &prefix).rows, &prefix);
            let f = file(&t2, &prefix);
            let bad: BTreeSet<usize> = t2.bad_rows.iter().filter(|b| b.file == f.path).map(|b| b.line).collect();
            let rows = first_column(d2.path(), &f);
            assert_eq!(rows.len(), f.rows, "{}", f.path);
            for (line, r) in rows {
                if bad.contains(&line) {
                    continue; // orphaned or missing references, planted and recorded
                }
                assert!(!r.is_empty() && refs.contains(&r), "{} line {line}: {r:?} is in no offence row", f.path);
            }
        }
    }
}

#[test]
fn a_workbook_too_big_for_xlsx_is_written_as_csv_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::default();
    let header = ["Crime Reference", "Age"];
    for (rel, n) in [("raw/x/small.xlsx", 2), ("raw/x/big.xlsx", XLSX_MAX_ROWS + 1)] {
        let mut f = ledger.open(dir.path(), rel, &header, Sink::Xlsx { sheet: "Victims" }, n).unwrap();
        f.push(vec![Cell::text("A-1"), Cell::Number(30.0)], RowTag::Clean).unwrap();
        f.push(vec![Cell::Empty, Cell::Number(212.0)], RowTag::Bad(BadKind::MissingCrimeRef)).unwrap();
        f.finish().unwrap();
    }
    let (small, big) = (&ledger.files[0], &ledger.files[1]);
    assert_eq!((small.path.as_str(), small.format.as_str(), small.note.is_none()), ("raw/x/small.xlsx", "xlsx", true));
    assert_eq!((big.path.as_str(), big.format.as_str(), big.rows, big.bad_rows), ("raw/x/big.csv", "csv", 2, 1));
    assert!(big.note.as_deref().is_some_and(|n| n.contains("CSV")), "{:?}", big.note);
    assert!(dir.path().join("raw/x/small.xlsx").is_file() && !dir.path().join("raw/x/big.xlsx").exists());
    let bytes = std::fs::read(dir.path().join("raw/x/big.csv")).unwrap();
    assert_eq!(bytes, b"\xEF\xBB\xBFCrime Reference,Age\r\nA-1,30\r\n,212\r\n");
    let lines: Vec<(&str, usize)> = ledger.bad_rows.iter().map(|b| (b.file.as_str(), b.line)).collect();
    assert_eq!(lines, [("raw/x/small.xlsx", 3), ("raw/x/big.csv", 3)]);
}

#[test]
fn ward_and_lsoa_codes_keep_their_length_and_scale_one_form_at_large_scales() {
    assert_eq!(geometry::ward_code(0), "E05099001");
    assert_eq!(geometry::ward_code(899), "E05099900");
    assert_eq!(geometry::ward_code(900), "E05100901");
    assert_eq!(lsoa::lsoa_code(0), "E01990001");
    assert_eq!(lsoa::lsoa_code(9_998), "E01999999");
    assert_eq!(lsoa::lsoa_code(9_999), "E01810000");
    // Every code of a scale-200 borough: nine characters, unique, clear of the neighbouring borough's.
    let wards: BTreeSet<String> = (0..4_000).map(geometry::ward_code).collect();
    assert_eq!(wards.len(), 4_000);
    assert!(wards.iter().all(|c| c.len() == 9 && !["E05099901", "E05099902", "E05099903"].contains(&c.as_str())));
    let lsoas: BTreeSet<String> = (0..45_000).map(lsoa::lsoa_code).collect();
    assert_eq!(lsoas.len(), 45_000);
    assert!(lsoas.iter().all(|c| c.len() == 9));
}
