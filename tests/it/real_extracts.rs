//! Extracts as analysts receive them, in layouts the synthetic borough never writes: the pipeline file's
//! `columns` and `values` map them; dates, codes, outcomes, ethnicity and flags in the forms exports print
//! are read; bad optional values are repaired and logged, not quarantined; heavy losses are loud and a
//! source that stages nothing fails the run.

use crate::bad_inputs::{run, WARDS_GEOJSON};
use crate::support::read_json;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const OFFENCES: &str = "\u{feff}Occurrence Number,Offence Start Date,Offence Start Time,HOC,DA Marker,Premises Type,Grid Easting,Grid Northing,HO Outcome,Date Reported,Officer Notes\r\n\
OCC/1,31/01/2025,23:15,08N,Y,Street,530500,180500,Outcome 1 - Charged/Summonsed,2025-02-01T09:30:00Z,SYN\r\n\
OCC/2,01/02/2025,,105a,,Dwelling,530510,180510,Investigation complete: no suspect identified,2025-07-01T23:30:00Z,SYN\r\n\
OCC/3,02-Feb-2025,01:30,8U,Y,PH,530520,180520,Under investigation,,SYN\r\n\
OCC/4,3 February 2025,11:15 PM,99X,,Shop,530530,180530,Cautioned by a sergeant,,SYN\r\n\
OCC/5,04/02/2025,12:00,46,,Retail,530540,180540,18,,SYN\r\n\
OCC/6,,10:00,8N,,Street,530550,180550,,,SYN\r\n\
OCC/7,06/02/2025,25:99,19C,Y,Dwelling,530560,180560,,,SYN\r\n";

const VICTIMS: &str = "Occurrence Number,Victim Person ID,Victim Age,Victim Gender,Victim Ethnicity\n\
OCC/1,V-1,24,Female,W1 - White British\n\
OCC/2,V-2,31,Male,Black or Black British - African (B2)\n\
OCC/3,V-3,212,Female,White - British\n\
OCC/4,V-4,45,Unknown,IC3\n\
OCC/5,V-5,19,Male,Martian\n\
OCC/7,V-7,30,Female,Mixed - White and Black Caribbean\n";

const MAPPING: &str = "columns = { committed_from = [\"Offence Start Date\", \"Offence Start Time\"], ho_code = \"HOC\", flag_domestic = \"DA Marker\", location_type = \"Premises Type\", easting = \"Grid Easting\", northing = \"Grid Northing\", outcome_code = \"HO Outcome\" }\nvalues.location_type = { \"PH\" = \"licensed premises\" }\n";

fn pipeline(dir: &Path, offences_table: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("wards.geojson"), WARDS_GEOJSON).expect("wards");
    let text = format!(
        "[assessment]\nname = \"Real extract test\"\narea = \"Testham\"\nperiod = {{ start = \"2024-04-01\", end = \"2025-03-31\" }}\n\
         definition = \"london-vru\"\n[geography]\nwards = \"wards.geojson\"\nward_code_property = \"WD22CD\"\nward_name_property = \"WD22NM\"\n\
         [privacy]\ndemo_key = true\n[output]\ndir = \"out\"\n\
         [sources.police_offences]\nfiles = [\"raw/offences.csv\"]\n{offences_table}\
         [sources.police_victims]\nfiles = [\"raw/victims.csv\"]\n"
    );
    let p = dir.join("pipeline.toml");
    std::fs::write(&p, text).expect("pipeline");
    p
}

fn folder(offences: &str, victims: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("raw")).expect("raw");
    std::fs::write(dir.path().join("raw/offences.csv"), offences).expect("offences");
    std::fs::write(dir.path().join("raw/victims.csv"), victims).expect("victims");
    dir
}

fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    c.str().expect("text").iter().map(|v| v.map(str::to_string)).collect()
}

fn bools(df: &DataFrame, name: &str) -> Vec<Option<bool>> {
    df.column(name).unwrap_or_else(|e| panic!("{name}: {e}")).bool().expect("bool").iter().collect()
}

fn datetimes(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap_or_else(|e| panic!("{name}: {e}")).cast(&DataType::String).expect("cast");
    c.str().expect("text").iter().map(|v| v.map(|s| s[..16.min(s.len())].to_string())).collect()
}

/// (line, field, reason, repair) of a source's field issues.
fn issues(out: &Path, source: &str) -> Vec<(u64, String, String, String, String)> {
    let mut r = csv::Reader::from_path(out.join(format!("rejects/{source}_field_issues.csv"))).expect("field issues file");
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[2].parse().expect("line"), rec[3].to_string(), rec[4].to_string(), rec[5].to_string(), rec[6].to_string())
        })
        .collect()
}

#[test]
fn an_export_in_its_own_layout_is_read_through_the_pipeline_mapping() {
    let dir = folder(OFFENCES, VICTIMS);
    let p = pipeline(dir.path(), &MAPPING.replace(" }\nvalues", ", reported_at = \"Date Reported\" }\nvalues"));
    let r = run(dir.path(), &["--quiet", "ingest", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = dir.path().join("out");
    let m = read_json(&out.join("manifest.json"));
    let source = |name: &str| m["sources"].as_array().expect("sources").iter().find(|s| s["source"] == name).cloned().expect("source");
    let off = source("police_offences");
    let f = &off["files"][0];
    // Rows read = staged + rejected; the one row without a date is the only reject.
    assert_eq!((f["rows_read"].as_u64(), f["rows_staged"].as_u64(), f["rows_rejected"].as_u64()), (Some(7), Some(6), Some(1)));
    assert_eq!(f["rejects_by_reason"]["missing_required"], 1);
    assert_eq!(f["columns_matched"]["committed_from"], "Offence Start Date + Offence Start Time");
    assert_eq!(f["time_unknown"], 2, "OCC/2 has no time and OCC/7 an unreadable one");

    let df = sna::table_io::read_parquet(&out.join("staged/police_offences.parquet")).expect("staged offences");
    assert_eq!(strings(&df, "crime_ref"), ["OCC/1", "OCC/2", "OCC/3", "OCC/4", "OCC/5", "OCC/7"].map(|s| Some(s.to_string())));
    assert_eq!(
        datetimes(&df, "committed_from"),
        ["2025-01-31 23:15", "2025-02-01 00:00", "2025-02-02 01:30", "2025-02-03 23:15", "2025-02-04 12:00", "2025-02-06 00:00"].map(|s| Some(s.to_string()))
    );
    assert_eq!(bools(&df, "time_unknown"), [false, true, false, false, false, true].map(Some));
    // UTC timestamps become UK local time: GMT in winter, BST (UTC+1) in summer.
    assert_eq!(datetimes(&df, "reported_at")[..2], [Some("2025-02-01 09:30".to_string()), Some("2025-07-02 00:30".to_string())]);
    // Codes tidied; a well-formed code off the list is kept and marked.
    assert_eq!(strings(&df, "ho_code"), ["8N", "105A", "8U", "99X", "46", "19C"].map(|s| Some(s.to_string())));
    assert_eq!(bools(&df, "ho_code_known"), [true, true, true, false, true, true].map(Some));
    assert_eq!(strings(&df, "mps_minor")[2].as_deref(), Some("STALKING AND HARASSMENT"), "filled from the HO code");
    // Outcome text and numbers; "under investigation" is no outcome yet; an unknown text is nulled.
    assert_eq!(strings(&df, "outcome_code"), [Some("1".to_string()), Some("18".to_string()), None, None, Some("18".to_string()), None]);
    assert_eq!(bools(&df, "sanction_detection")[0], Some(true));
    // `Y` or blank flags; local premises codes through `values`.
    assert_eq!(bools(&df, "flag_domestic"), [Some(true), None, Some(true), None, None, Some(true)]);
    assert_eq!(strings(&df, "location_type")[2].as_deref(), Some("licensed premises"));

    let got = issues(&out, "police_offences");
    let at = |line: u64| got.iter().filter(|i| i.0 == line).map(|i| (i.1.as_str(), i.2.as_str(), i.4.as_str())).collect::<Vec<_>>();
    assert_eq!(at(5), [("ho_code", "unknown_code", "kept as read, not on the code list"), ("outcome_code", "unknown_code", "nulled")]);
    assert_eq!(at(8), [("committed_from", "bad_time", "date kept, time unknown")]);
    assert!(at(4).is_empty(), "under investigation is not an issue: {got:?}");
    assert_eq!(off["fields_repaired"], 3);

    // Victims: ethnicity text to codes and groups; an impossible age nulled, the victim kept.
    let v = sna::table_io::read_parquet(&out.join("staged/police_victims.parquet")).expect("staged victims");
    assert_eq!(v.height(), 6, "every victim links to a staged offence");
    assert_eq!(strings(&v, "ethnicity_code"), [Some("W1".into()), Some("B2".into()), Some("WBRI".into()), Some("IC3".into()), None, Some("M1".into())]);
    assert_eq!(strings(&v, "ethnic_group"), ["White", "Black", "White", "Black", "Not stated", "Mixed"].map(|s| Some(s.to_string())));
    assert_eq!(strings(&v, "sex"), ["F", "M", "F", "U", "M", "F"].map(|s| Some(s.to_string())));
    let ages: Vec<Option<i64>> = v.column("age").expect("age").i64().expect("int").iter().collect();
    assert_eq!(ages, [Some(24), Some(31), None, Some(45), Some(19), Some(30)]);
    let vi = issues(&out, "police_victims");
    let fields: BTreeMap<(u64, String), String> = vi.iter().map(|i| ((i.0, i.1.clone()), i.2.clone())).collect();
    assert_eq!(fields.get(&(4, "age".into())).map(String::as_str), Some("age_out_of_range"));
    assert_eq!(fields.get(&(6, "ethnicity_code".into())).map(String::as_str), Some("unknown_code"));
    assert_eq!(vi.len(), 2);
    assert_eq!(source("police_victims")["rows_rejected"], 0);
}

#[test]
fn mapping_errors_name_the_key_and_the_headers_found() {
    let dir = folder(OFFENCES, VICTIMS);
    let p = pipeline(dir.path(), &MAPPING.replace("\"Offence Start Date\", \"Offence Start Time\"", "\"Start Date\", \"Offence Start Time\""));
    for args in [vec!["--quiet", "ingest"], vec!["validate", "--pipeline"]] {
        let mut a = args.clone();
        a.push(p.to_str().expect("utf8"));
        let r = run(dir.path(), &a);
        assert_eq!(r.code, 2, "{args:?}: a mapping that does not fit is a pipeline-file error: {}{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("[sources.police_offences] columns.committed_from") && all.contains("\"Start Date\""), "{all}");
        assert!(all.contains("headers found: \"Occurrence Number\", \"Offence Start Date\""), "{all}");
    }
    assert!(!dir.path().join("out/staged/police_offences.parquet").exists());
    let p = pipeline(dir.path(), "columns = { crime_reference = \"Occurrence Number\" }\n");
    let r = run(dir.path(), &["--quiet", "ingest", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("columns.crime_reference") && r.stderr.contains("no field crime_reference"), "{}", r.stderr);
}

#[test]
fn validate_pipeline_prints_what_would_be_staged_and_repaired_and_writes_nothing() {
    let dir = folder(OFFENCES, VICTIMS);
    let p = pipeline(dir.path(), MAPPING);
    let r = run(dir.path(), &["validate", "--pipeline", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for want in [
        "police_offences: 1 file(s): 7 rows read, 6 would be staged (2 with values repaired), 1 would be quarantined",
        "committed_from <- \"Offence Start Date + Offence Start Time\"",
        "quarantined by reason: missing_required 1",
        "repaired outcome_code: unknown_code 1",
        "no time of day: 2 row(s)",
        "values of ho_code (unknown_code, kept as read, not on the code list): \"99X\" (1)",
        "reported_at <- \"Date Reported\"",
        "ignored columns (not staged): \"Officer Notes\"",
        "police_victims: 1 file(s): 6 rows read, 6 would be staged (2 with values repaired), 0 would be quarantined",
        "Nothing was written",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?} in:\n{}", r.stdout);
    }
    assert!(!dir.path().join("out").exists(), "validate --pipeline writes no output folder");
}

/// Rows with a required date nobody can read: `n_bad` of them among `n` offences.
fn offences_with_bad_dates(n: usize, n_bad: usize) -> String {
    let mut s = String::from("CRIS No,Committed From,HO Code,Easting,Northing\n");
    for i in 0..n {
        let date = if i < n_bad { "31/02/2025 10:00".to_string() } else { format!("{:02}/03/2025 10:00", i % 28 + 1) };
        s.push_str(&format!("C{i},{date},8N,530500,180500\n"));
    }
    s
}

#[test]
fn a_source_that_stages_nothing_fails_the_run_and_says_why() {
    let dir = folder(&offences_with_bad_dates(20, 20), "CRIS No,Victim ID\nC1,V1\n");
    let p = pipeline(dir.path(), "");
    let r = run(dir.path(), &["--quiet", "run", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("police_offences: none of its 20 rows could be staged: bad_date in committed_from: 20 (100.0%), e.g. \"31/02/2025 10:00\""), "{}", r.stderr);
    assert!(r.stderr.contains("police_victims: none of its 1 rows could be staged: orphan_record"), "{}", r.stderr);
    assert!(!dir.path().join("out/report/summary.md").exists(), "no report of zeros");
    assert!(!dir.path().join("out/tables").exists(), "nothing analysed");
    // What was found is kept for the analyst: the manifest and the rejects.
    assert!(dir.path().join("out/rejects/police_offences.csv").is_file());
    assert_eq!(read_json(&dir.path().join("out/manifest.json"))["sources"][0]["rows_rejected"], 20);
}

#[test]
fn heavy_losses_warn_loudly_and_strict_fails_on_them() {
    let dir = folder(&offences_with_bad_dates(20, 6), "CRIS No,Victim ID,Age\nC10,V1,30\n");
    let p = pipeline(dir.path(), "");
    let r = run(dir.path(), &["--quiet", "run", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("warning: police_offences: 6 of 20 rows (30.0%) were quarantined: bad_date in committed_from: 6 (30.0%)"), "{}", r.stderr);
    let summary = std::fs::read_to_string(dir.path().join("out/report/summary.md")).expect("summary");
    let warn = summary.find("## Warnings about the data").expect("warnings section");
    let findings = summary.find("## Summary of the Strategic Needs Assessment").expect("findings");
    assert!(warn < findings, "warnings come before the findings");
    assert!(summary.contains("6 of 20 rows (30.0%) were quarantined"), "{summary}");
    let m = read_json(&dir.path().join("out/manifest.json"));
    assert_eq!(m["warnings"][0]["kind"], "quarantined");
    let r = run(dir.path(), &["--quiet", "--strict", "run", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--strict: 1 warning(s)"), "{}", r.stderr);
    // Under the threshold, no warning.
    let dir = folder(&offences_with_bad_dates(20, 2), "CRIS No,Victim ID,Age\nC10,V1,30\n");
    let p = pipeline(dir.path(), "");
    let r = run(dir.path(), &["--quiet", "--strict", "ingest", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}
