//! The real public files in ../shared/data/public: data.police.uk street-level crime for the City of London
//! (against real 2022 ward boundaries) and Bedfordshire (wards through the LSOA lookup only). Expected
//! figures are computed independently here from the raw CSVs, not taken from sna's own output.

use crate::support::{read_json, sna};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub fn public_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public");
    assert!(dir.is_dir(), "real public data folder {} is missing: these tests need ../shared beside the repository", dir.display());
    dir
}

/// Independent tally of police.uk files: rows, repeated Crime IDs (after the first), rows with neither a
/// point nor an LSOA, and the remaining rows' LSOA codes.
struct Tally {
    rows: u64,
    duplicates: u64,
    no_location: u64,
    lsoas: Vec<String>,
}

fn tally(files: &[PathBuf]) -> Tally {
    let mut t = Tally { rows: 0, duplicates: 0, no_location: 0, lsoas: Vec::new() };
    let mut seen = HashSet::new();
    for f in files {
        let mut r = csv::Reader::from_path(f).expect("police.uk csv");
        let h = r.headers().expect("header").clone();
        let col = |name: &str| h.iter().position(|c| c.trim_start_matches('\u{feff}') == name).expect("column");
        let (id, lon, lsoa) = (col("Crime ID"), col("Longitude"), col("LSOA code"));
        for rec in r.records() {
            let rec = rec.expect("record");
            t.rows += 1;
            if !rec[id].is_empty() && !seen.insert(rec[id].to_string()) {
                t.duplicates += 1;
                continue;
            }
            if rec[lon].is_empty() && rec[lsoa].is_empty() {
                t.no_location += 1;
            } else {
                t.lsoas.push(rec[lsoa].to_string());
            }
        }
    }
    t
}

/// Census 2021 residents (TS007A "Age: Total") of the LSOAs that the lookup puts in these authorities,
/// summed straight from the raw files.
fn census_residents(data: &Path, lads: &[&str]) -> f64 {
    let mut r = csv::Reader::from_path(data.join("lookups/lsoa21_to_ward25_lad25_ew.csv")).expect("lookup");
    let h = r.headers().expect("h").clone();
    let lad = h.iter().position(|c| c == "LAD25CD").expect("LAD25CD");
    let lsoas: HashSet<String> = r.records().map(|x| x.expect("rec")).filter(|x| lads.contains(&&x[lad])).map(|x| x[0].to_string()).collect();
    let mut r = csv::Reader::from_path(data.join("population/census2021_ts007a_age_lsoa.csv")).expect("ts007a");
    let h = r.headers().expect("h").clone();
    let (code, total) = (h.iter().position(|c| c == "geography code").expect("code"), h.iter().position(|c| c == "Age: Total").expect("total"));
    r.records().map(|x| x.expect("rec")).filter(|x| lsoas.contains(&x[code])).map(|x| x[total].parse::<f64>().expect("count")).sum()
}

fn csvs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "csv")).collect();
    v.sort();
    v
}

fn run_ingest(pipeline_text: &str) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("pipeline.toml");
    std::fs::write(&p, pipeline_text).expect("write");
    run_pipeline_file(&p, dir)
}

/// `sna run` a pipeline file into a temporary output folder.
fn run_pipeline_file(pipeline: &Path, dir: tempfile::TempDir) -> (tempfile::TempDir, serde_json::Value) {
    let out = dir.path().join("out");
    sna()
        .args(["--quiet", "run"])
        .arg(pipeline)
        .arg("--out")
        .arg(&out)
        .env("SNA_IT_KEY", "integration-test-key-0123456789")
        .env("SNA_PSEUDONYM_KEY", "integration-test-key-0123456789")
        .assert()
        .success();
    let m = read_json(&out.join("manifest.json"));
    (dir, m)
}

fn shipped_pipeline(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join(name)
}

fn totals(source: &serde_json::Value) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut reasons = BTreeMap::new();
    let mut status = BTreeMap::new();
    for f in source["files"].as_array().expect("files") {
        assert_eq!(f["rows_read"].as_u64(), Some(f["rows_staged"].as_u64().unwrap_or(0) + f["rows_rejected"].as_u64().unwrap_or(0)));
        for (k, v) in f["rejects_by_reason"].as_object().expect("reasons") {
            *reasons.entry(k.clone()).or_insert(0) += v.as_u64().unwrap_or(0);
        }
        for (k, v) in f["location_status"].as_object().expect("status") {
            *status.entry(k.clone()).or_insert(0) += v.as_u64().unwrap_or(0);
        }
    }
    (reasons, status)
}

#[test]
fn city_of_london_police_uk_every_row_accounted_for() {
    let data = public_data();
    let files = csvs(&data.join("police_uk/city-of-london"));
    assert_eq!(files.len(), 24);
    let t = tally(&files);
    assert_eq!(t.rows, 18_867, "the README's row count");
    let (dir, m) = run_pipeline_file(&shipped_pipeline("city-of-london-2024.toml"), tempfile::tempdir().expect("tempdir"));
    let source = &m["sources"][0];
    assert_eq!(source["rows_read"].as_u64(), Some(t.rows));
    let (reasons, status) = totals(source);
    assert_eq!(reasons, BTreeMap::from([("duplicate".to_string(), t.duplicates)]), "only repeated Crime IDs are rejected");
    assert_eq!(status.get("unlocated").copied(), Some(t.no_location), "\"No location\" rows are staged as unlocated");
    let outside = status.get("outside_area").copied().unwrap_or(0);
    let placed = status.get("point").copied().unwrap_or(0);
    assert_eq!(placed + outside + t.no_location + t.duplicates, t.rows);
    // About 5% of located rows fall in neighbouring boroughs (README), plus a few far away.
    let share = outside as f64 / (placed + outside) as f64;
    assert!((0.02..0.12).contains(&share), "outside-area share {share}");
    assert_eq!(m["reference"]["wards"].as_u64(), Some(25));
    // Denominators: the City's Census residents, all of them, on the wards its LSOAs best-fit to.
    assert_eq!(m["reference"]["residents"].as_f64(), Some(census_residents(&data, &["E09000001"])));
    let without = m["reference"]["wards_without_population"].as_array().expect("list").len();
    assert_eq!(without, 20, "the City's 6 LSOAs reach only 5 of its 25 wards, and the manifest says so");
    // Every staged LSOA is a 2021 code (2011-only codes were translated).
    let lookup: HashSet<String> = {
        let mut r = csv::Reader::from_path(data.join("lookups/lsoa21_to_ward25_lad25_ew.csv")).expect("lookup");
        r.records().map(|x| x.expect("rec")[0].to_string()).collect()
    };
    let staged = sna::table_io::read_parquet(&dir.path().join("out/staged/police_uk.parquet")).expect("staged");
    let lsoas = staged.column("lsoa_code").and_then(|c| c.str().cloned()).expect("lsoa");
    // (These 2024-25 files carry 2021 codes already; the 2011 -> 2021 translation is unit-tested in geo.)
    for l in lsoas.iter().flatten() {
        assert!(lookup.contains(l), "staged LSOA {l} is not a 2021 code");
    }
    // No free text staged.
    for c in staged.get_column_names() {
        assert!(!["context", "location", "lsoa_name"].contains(&c.as_str()), "staged {c}");
    }
    // The run completes: no offence records, so the report says so instead of failing.
    let summary = std::fs::read_to_string(dir.path().join("out/report/summary.md")).expect("summary");
    assert!(summary.contains("No record-level police offences"), "{summary}");
    // The open data still gives place and month profiles of the crime types that can hold serious violence,
    // stated as upper bounds, and the summary says plainly what police.uk cannot show.
    assert!(summary.contains("### Open data: data.police.uk street-level crime"), "{summary}");
    assert!(summary.contains("an upper bound") && summary.contains("Not available from open data"), "{summary}");
    let open = sna::table_io::read_parquet(&dir.path().join("out/tables/open_place_wards.parquet")).expect("open_place_wards");
    assert_eq!(open.height(), 25 * 3, "25 wards for the proxy and each mapped crime type");
    let months = sna::table_io::read_parquet(&dir.path().join("out/tables/open_time_months.parquet")).expect("open_time_months");
    assert!(months.height() >= 12 * 3, "a row per month and crime-type group");
}

#[test]
fn bedfordshire_through_the_lsoa_lookup_every_row_accounted_for() {
    let data = public_data();
    let files = csvs(&data.join("police_uk/bedfordshire"));
    let t = tally(&files);
    assert_eq!(t.rows, 62_422, "the README's row count");
    let lads: HashSet<&str> = ["E06000055", "E06000056", "E06000032"].into_iter().collect();
    let lsoa_lad: HashMap<String, String> = {
        let mut r = csv::Reader::from_path(data.join("lookups/lsoa21_to_ward25_lad25_ew.csv")).expect("lookup");
        let h = r.headers().expect("h").clone();
        let lad = h.iter().position(|c| c == "LAD25CD").expect("LAD25CD");
        r.records().map(|x| x.expect("rec")).map(|x| (x[0].to_string(), x[lad].to_string())).collect()
    };
    let inside = t.lsoas.iter().filter(|l| lsoa_lad.get(*l).is_some_and(|lad| lads.contains(lad.as_str()))).count() as u64;
    let (_dir, m) = run_pipeline_file(&shipped_pipeline("bedfordshire-2025.toml"), tempfile::tempdir().expect("tempdir"));
    let source = &m["sources"][0];
    assert_eq!(source["rows_read"].as_u64(), Some(t.rows));
    let (reasons, status) = totals(source);
    assert_eq!(reasons.values().sum::<u64>(), t.duplicates);
    assert_eq!(status.get("lsoa").copied(), Some(inside), "rows whose LSOA is in the three authorities");
    assert_eq!(status.get("unlocated").copied(), Some(t.no_location));
    assert_eq!(status.get("outside_area").copied(), Some(t.rows - t.duplicates - inside - t.no_location));
    // Wards are the lookup's wards in Bedford, Central Bedfordshire and Luton.
    let wards: HashSet<String> = {
        let mut r = csv::Reader::from_path(data.join("lookups/lsoa21_to_ward25_lad25_ew.csv")).expect("lookup");
        let h = r.headers().expect("h").clone();
        let (wd, lad) = (h.iter().position(|c| c == "WD25CD").expect("WD25CD"), h.iter().position(|c| c == "LAD25CD").expect("LAD"));
        r.records().map(|x| x.expect("rec")).filter(|x| lads.contains(&x[lad])).map(|x| x[wd].to_string()).collect()
    };
    assert_eq!(m["reference"]["wards"].as_u64(), Some(wards.len() as u64));
    assert_eq!(m["reference"]["residents"].as_f64(), Some(census_residents(&data, &["E06000055", "E06000056", "E06000032"])));
}

#[test]
fn mps_ward_level_crime_is_staged_long_with_every_count() {
    use polars::prelude::*;
    let data = public_data();
    let file = data.join("mps_ward/mps_ward_level_crime_2024-01_to_2025-12.csv");
    // Independent tally of the wide file: rows, month columns, the grand total and the distinct wards.
    let mut r = csv::Reader::from_path(&file).expect("mps csv");
    let header = r.headers().expect("header").clone();
    let months: Vec<usize> = (0..header.len()).filter(|&i| header[i].len() == 6 && header[i].chars().all(|c| c.is_ascii_digit())).collect();
    let ward_col = header.iter().position(|h| h == "WardCode").expect("WardCode");
    let (mut rows, mut total, mut wards) = (0u64, 0i64, HashSet::new());
    for rec in r.records() {
        let rec = rec.expect("record");
        rows += 1;
        wards.insert(rec[ward_col].to_string());
        total += months.iter().map(|&i| rec[i].parse::<i64>().expect("count")).sum::<i64>();
    }
    assert_eq!((rows, months.len()), (18_707, 24), "the README's shape");
    let text = format!(
        r#"
[assessment]
name = "London wards"
area = "London"
period = {{ start = "2025-01-01", end = "2025-12-31" }}
definition = "london-vru"
[geography]
wards = "{d}/boundaries/london_wards_2022.geojson"
ward_code_property = "WD22CD"
ward_name_property = "WD22NM"
[sources.mps_ward]
files = ["{d}/mps_ward/*.csv"]
[privacy]
pseudonym_key_env = "SNA_IT_KEY"
"#,
        d = data.display()
    );
    let (dir, m) = run_ingest(&text);
    let source = &m["sources"][0];
    assert_eq!(source["rows_read"].as_u64(), Some(rows * 24), "one record per ward x category x month");
    assert_eq!(source["rows_rejected"].as_u64(), Some(0));
    let staged = sna::table_io::read_parquet(&dir.path().join("out/staged/mps_ward.parquet")).expect("staged");
    let summary = staged
        .lazy()
        .select([
            col("count").sum().alias("total"),
            col("ward_code").n_unique().alias("wards"),
            col("month").n_unique().alias("months"),
            col("month").min().cast(DataType::String).alias("first"),
            col("month").max().cast(DataType::String).alias("last"),
        ])
        .collect()
        .expect("summary");
    let get = |c: &str| summary.column(c).expect(c).get(0).expect("value").to_string();
    assert_eq!(get("total"), total.to_string(), "every count staged");
    assert_eq!(get("wards"), wards.len().to_string());
    assert_eq!(get("months"), "24");
    assert_eq!(get("first"), "\"2024-01-01\"");
    assert_eq!(get("last"), "\"2025-12-01\"");
}
