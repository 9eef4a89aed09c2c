//! `sna validate`: the quality report, its JSON form, exit codes, redaction of personal values, and that it
//! writes nothing.

use crate::bad_inputs::{good_table, registry, run, write_pipeline, DDE};
use crate::support::read_json;
use sna::dictionary::Dictionary;
use sna::ingest::validate::validate_files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Every file below `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, Option<SystemTime>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            let meta = std::fs::metadata(&p).expect("metadata");
            let bytes = if p.is_file() { std::fs::read(&p).expect("read") } else { Vec::new() };
            out.insert(p, (bytes, meta.modified().ok()));
        }
    }
    out
}

/// An offences extract with one of each problem, under analyst-style headers.
fn messy_offences() -> String {
    [
        "CRIS No,Committed From,HO Code,Offence Description,Easting,Northing,LSOA Code,Ward Code,Officer Notes",
        "CRIS-0001,15/03/2025 23:15,8N,SYN assault,530500,180500,E01000001,,SYN NOTE",
        "CRIS-0002,2025-03-16T01:00:00,105A,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",0,0,,E05000001,",
        "CRIS-0003,31/02/2025 10:00,8N,SYN,,,not-an-lsoa,,",
        "CRIS-0001,17/03/2025 09:00,8N,SYN repeat,530600,180600,,,",
        "CRIS-0004,+cmd|' /C calc'!A0,ZZZ,SYN,,,,,",
        ",18/03/2025,8N,SYN no ref,700000,1300000,,,",
        "CRIS-0005,01/04/2024 00:00,8N,SYN,,,,,",
        "CRIS-0006,19/03/2025 12:00,99z,SYN code not on the list,,,,,",
    ]
    .join("\n")
        + "\n"
}

#[test]
fn report_covers_format_mapping_problems_dates_duplicates_and_location_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("offences.csv"), messy_offences()).expect("write");
    let before = snapshot(dir.path());
    let r = run(dir.path(), &["validate", "--source", "police_offences", "offences.csv"]);
    assert_eq!(r.code, 0, "invalid rows are not a failure: {}{}", r.stdout, r.stderr);
    assert_eq!(snapshot(dir.path()), before, "validate must write nothing");
    let out = &r.stdout;
    for want in [
        "police_offences",
        "format: csv, utf-8, delimiter \",\"",
        "crime_ref <- \"CRIS No\"",
        "committed_from <- \"Committed From\"",
        "ignored columns (not staged): \"Officer Notes\"",
        "rows: 8 read, 4 would be staged (1 with values repaired), 4 would be quarantined",
        "quarantined rows",
        "bad_date",
        "repaired values (the row is staged)",
        "unknown_code",
        "e.g. \"99z\"",
        "missing_required",
        "e.g. \"31/02/2025 10:00\"",
        "committed_from: 2024-04-01 00:00 to 2025-03-19 12:00",
        "duplicate crime_ref: 1 row(s) repeat 1 key(s), e.g. \"CRIS-0001\" at 5",
        "fields with no column: committed_to",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // Location: rows 2,3(0,0 is a placeholder),5,7 have coordinates; 2 and 5 plausible; LSOA 2 (1 good).
    assert!(out.contains("coordinates 50.0% (2 of 4 inside the GB grid)"), "{out}");
    assert!(out.contains("LSOA code 25.0% (1 of 2 well-formed)"), "{out}");
    assert!(out.contains("ward code 12.5% (1 of 1 well-formed)"), "{out}");
    // The report never runs a formula or echoes it unshortened into a terminal: it is just text.
    assert!(out.contains(DDE), "{out}");
}

#[test]
fn json_report_has_the_same_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("offences.csv"), messy_offences()).expect("write");
    let r = run(dir.path(), &["validate", "--source", "police_offences", "--json", "offences.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    let s = &j["overall"];
    assert_eq!((s["rows_read"].as_u64(), s["rows_valid"].as_u64(), s["rows_invalid"].as_u64()), (Some(8), Some(4), Some(4)));
    let group = |reason: &str, field: &str| {
        s["invalid"].as_array().expect("invalid").iter().find(|g| g["reason"] == reason && g["field"] == field).cloned()
    };
    let bad = group("bad_date", "committed_from").expect("bad_date group");
    assert_eq!(bad["count"], 2);
    assert_eq!(bad["examples"][0]["line"], 4);
    let repaired = s["repaired"].as_array().expect("repaired").iter().find(|g| g["reason"] == "unknown_code" && g["field"] == "ho_code").cloned();
    assert_eq!(repaired.expect("unknown_code repaired")["examples"][0]["line"], 9);
    assert!(group("unknown_code", "ho_code").is_none(), "a code not on the list does not quarantine");
    assert_eq!(group("missing_required", "crime_ref").expect("missing")["examples"][0]["line"], 7);
    assert_eq!(s["duplicates"]["rows"], 1);
    assert_eq!(s["event_time"]["first"], "2024-04-01 00:00");
    let completeness = |f: &str| s["completeness"].as_array().expect("c").iter().find(|c| c["field"] == f).cloned().expect("field");
    assert_eq!(completeness("crime_ref")["percent"], 87.5);
    assert_eq!(completeness("reported_at")["column"], false);
    let file = &j["files"][0];
    assert_eq!(file["format"]["encoding"], "utf-8");
    assert_eq!(file["columns_ignored"][0], "Officer Notes");
    assert!(file["error"].is_null());
}

#[test]
fn validate_agrees_with_ingest_on_what_is_quarantined() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("raw")).expect("mkdir");
    std::fs::write(dir.path().join("raw/offences.csv"), messy_offences()).expect("write");
    let p = write_pipeline(dir.path(), &[("police_offences".into(), vec!["raw/offences.csv".into()])]);
    let ing = run(dir.path(), &["--quiet", "ingest", p.to_str().expect("utf8")]);
    assert_eq!(ing.code, 0, "{}", ing.stderr);
    let m = read_json(&dir.path().join("out/manifest.json"));
    let f = &m["sources"][0]["files"][0];
    let reg = registry();
    let report = validate_files(reg.get("police_offences").expect("dict"), &Default::default(), &[dir.path().join("raw/offences.csv")], None);
    assert_eq!(Some(report.overall.rows_read), f["rows_read"].as_u64());
    assert_eq!(Some(report.overall.rows_invalid), f["rows_rejected"].as_u64());
    // Staged as text, defused in the rejects file.
    let rejects = std::fs::read_to_string(dir.path().join("out/rejects/police_offences.csv")).expect("rejects");
    assert!(rejects.contains(&format!("'{DDE}")), "{rejects}");
    let df = sna::table_io::read_parquet(&dir.path().join("out/staged/police_offences.parquet")).expect("staged");
    // Offence descriptions are free text: never staged as typed; the HO code list's description is.
    let col = df.column("offence_description").and_then(|c| c.str().cloned()).expect("text");
    let staged: Vec<&str> = col.iter().flatten().collect();
    assert!(!staged.iter().any(|v| v.contains("HYPERLINK") || v.contains("SYN")), "{staged:?}");
    assert!(staged.contains(&"Assault with injury") && staged.contains(&"Assault without injury"), "{staged:?}");
    assert_eq!(f["free_text_not_staged"][0], "Offence Description");
}

#[test]
fn exit_codes_unreadable_files_unknown_sources_and_usage() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.csv"), good_table(&registry(), registry().get("police_offences").expect("d")).csv()).expect("w");
    std::fs::write(dir.path().join("empty.csv"), "").expect("w");
    std::fs::write(dir.path().join("pipe.csv"), "CRIS No|Committed From|HO Code\nCRIS-0001|15/03/2025|8N\n").expect("w");
    let r = run(dir.path(), &["validate", "--source", "police_offences", "good.csv", "empty.csv", "pipe.csv"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("rows: 6 read, 6 would be staged (0 with values repaired), 0 would be quarantined"), "the readable file is still reported: {}", r.stdout);
    assert!(r.stderr.contains("2 of 3 file(s) could not be read") && r.stderr.contains("empty.csv"), "{}", r.stderr);
    assert!(r.stdout.contains("no column for required field crime_ref"), "{}", r.stdout);
    assert!(r.stdout.contains("hint: the header row is a single column containing '|'"), "{}", r.stdout);
    let r = run(dir.path(), &["validate", "--source", "police_offences", "nowhere.csv"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nowhere.csv"), "{}", r.stderr);
    let r = run(dir.path(), &["validate", "--source", "no_such_source", "good.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown source") && r.stderr.contains("police_offences"), "{}", r.stderr);
    assert_eq!(run(dir.path(), &["validate", "--source", "police_offences"]).code, 2);
    assert_eq!(run(dir.path(), &["validate", "good.csv"]).code, 2);
}

#[test]
fn personal_values_are_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "Crime Ref,Victim ID,Age,Date of Birth,Sex,Ethnicity\n\
                CRIS-0001,PER-0001,,31/02/1999,F,W1\n\
                CRIS-0002,PER-0002,,14/03/99,Q,W1\n\
                CRIS-0003,PER-0003,34,15/03/1990,M,IC3\n\
                CRIS-0004,PER-0004,150,,M,\n\
                ,PER-0005,30,,M,\n";
    std::fs::write(dir.path().join("victims.csv"), text).expect("write");
    for json in [false, true] {
        let mut args = vec!["validate", "--source", "police_victims", "victims.csv"];
        if json {
            args.push("--json");
        }
        let r = run(dir.path(), &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for secret in ["PER-000", "31/02/1999", "14/03/99", "15/03/1990"] {
            assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "echoed {secret}:\n{}", r.stdout);
        }
        assert!(r.stdout.contains("[redacted]"), "{}", r.stdout);
        assert!(r.stdout.contains("age_out_of_range"), "{}", r.stdout);
    }
    let r = run(dir.path(), &["validate", "--source", "police_victims", "victims.csv"]);
    assert!(r.stdout.contains("links to police_offences by crime_ref"), "{}", r.stdout);
}

/// A dictionary whose unique key is a person id: neither validate nor ingest may echo it as a duplicate.
#[test]
fn duplicate_person_keys_are_redacted_in_validate_and_ingest() {
    use sna::geo::{Geography, WardSet};
    use sna::ingest::pseudonymise::{Pseudonymiser, DEMO_KEY};
    use sna::ingest::IngestContext;
    let reg = registry();
    let toml = "[source]\nname = \"people\"\ntitle = \"People\"\nunique_key = \"person_id\"\n\
                [[field]]\nname = \"person_id\"\ntype = \"string\"\nrequired = true\npseudonymise = true\n\
                [[field]]\nname = \"note\"\ntype = \"string\"\n";
    let dict = Dictionary::from_toml(toml, &reg.seeds).expect("dictionary");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("people.csv");
    std::fs::write(&path, "person_id,note\nPER-0001,a\nPER-0002,b\nPER-0001,c\n").expect("write");
    let report = validate_files(&dict, &Default::default(), std::slice::from_ref(&path), None);
    let json = serde_json::to_string(&report).expect("json");
    assert_eq!(report.overall.duplicates.as_ref().map(|d| d.rows), Some(1));
    assert!(!json.contains("PER-0001") && json.contains("[redacted]"), "{json}");
    let wards = WardSet::from_geojson_str(crate::bad_inputs::WARDS_GEOJSON, Path::new("w.geojson"), "WD22CD", "WD22NM", None).expect("wards");
    let geography = Geography::new(wards, None, None);
    let pseudonymiser = Pseudonymiser::new(DEMO_KEY.as_bytes()).expect("key");
    let ctx = IngestContext { geography: &geography, pseudonymiser: &pseudonymiser, progress: sna::progress::Progress::silent(), base_dir: dir.path(), settings: Default::default(), run_id: "test-run" };
    let outcome = crate::support::ingest_one(&ctx, &dict, &path, &dir.path().join("staged.parquet")).expect("ingest");
    let rejects = outcome.rejects.rows();
    assert_eq!(rejects.len(), 1);
    assert_eq!((rejects[0].1.reason.as_str(), rejects[0].1.value.as_str()), ("duplicate", "[redacted]"));
}

#[test]
fn xlsx_sheets_dates_numbers_and_duplicates_across_files() {
    let reg = registry();
    let dict = reg.get("police_offences").expect("dict");
    let dir = tempfile::tempdir().expect("tempdir");
    let good = good_table(&reg, dict);
    good.xlsx(&dir.path().join("behind.xlsx"), true);
    let r = run(dir.path(), &["validate", "--source", "police_offences", "behind.xlsx"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("behind.xlsx") && r.stderr.contains("empty"), "{}", r.stderr);
    let r = run(dir.path(), &["validate", "--source", "police_offences", "--sheet", "Data", "behind.xlsx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("format: xlsx, sheet \"Data\"") && r.stdout.contains("rows: 6 read, 6 would be staged"), "{}", r.stdout);
    // Excel date cells read as the same date-times as the CSV's text.
    assert!(r.stdout.contains("committed_from: 2025-03-01 18:15 to 2025-03-06 23:15"), "{}", r.stdout);
    // The same rows again in a CSV: every key is a duplicate of the workbook's.
    std::fs::write(dir.path().join("again.csv"), good.csv()).expect("write");
    let r = run(dir.path(), &["validate", "--source", "police_offences", "--sheet", "Data", "behind.xlsx", "again.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("all 2 readable files"), "{}", r.stdout);
    assert!(r.stdout.contains("duplicate crime_ref: 6 row(s) repeat 6 key(s)"), "{}", r.stdout);
    assert!(r.stdout.contains("again.csv:2"), "{}", r.stdout);
}
