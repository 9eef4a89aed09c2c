//! `sna demo` end to end on the synthetic borough: conservation, every planted bad row quarantined with
//! the right reason, every planted repaired row staged with its value repaired and logged as a field issue,
//! planted truths visible in the tables, no raw identifiers staged, reproducible output.

use crate::support::{demo_out, files_below, read_json, run_demo_threads};
use polars::prelude::*;
use sna::table_io::read_parquet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

fn truth() -> serde_json::Value {
    read_json(&demo_out().join("input").join("truth.json"))
}

fn manifest() -> serde_json::Value {
    read_json(&demo_out().join("manifest.json"))
}

fn u(v: &serde_json::Value, k: &str) -> u64 {
    v.get(k).and_then(|x| x.as_u64()).unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn every_file_conserves_rows_and_matches_what_was_written() {
    let m = manifest();
    let t = truth();
    let written = crate::support::files_written(&t);
    let mut files_seen = 0;
    for source in m["sources"].as_array().expect("sources") {
        let (read, staged, rejected) = (u(source, "rows_read"), u(source, "rows_staged"), u(source, "rows_rejected"));
        assert_eq!(read, staged + rejected, "source {}", source["source"]);
        for f in source["files"].as_array().expect("files") {
            let path = f["path"].as_str().expect("path");
            assert_eq!(u(f, "rows_read"), u(f, "rows_staged") + u(f, "rows_rejected"), "{path}");
            assert_eq!(f["sha256"].as_str().map(|s| s.len()), Some(64), "{path}");
            let by_reason: u64 = f["rejects_by_reason"].as_object().expect("reasons").values().map(|v| v.as_u64().unwrap_or(0)).sum();
            assert_eq!(by_reason, u(f, "rows_rejected"), "{path}");
            if let Some(&(rows, bad, repaired)) = written.get(path) {
                assert_eq!(u(f, "rows_read"), rows, "{path}: rows read vs rows the generator wrote");
                // Only the planted bad rows are quarantined, and only the planted repaired rows need a repair.
                assert_eq!((u(f, "rows_rejected"), u(f, "rows_repaired")), (bad, repaired), "{path}: rejected and repaired rows");
                files_seen += 1;
            }
        }
    }
    let raw_files = written.keys().filter(|p| p.starts_with("raw/")).count();
    assert_eq!(files_seen, raw_files, "every raw file the generator wrote was ingested");
    assert_eq!(files_seen, 23, "9 police extracts and 14 partner extracts (las, ae, yot, marac, exclusions)");
    // Staged Parquet row counts agree with the manifest.
    for source in m["sources"].as_array().expect("sources") {
        let df = read_parquet(&demo_out().join(source["staged"].as_str().expect("staged"))).expect("staged parquet");
        assert_eq!(df.height() as u64, u(source, "rows_staged"));
    }
    // Partner sources stage exactly their clean and repaired rows, located as the generator coded them.
    for (name, expected) in t["partner_sources"].as_object().expect("partner_sources") {
        let source = m["sources"].as_array().expect("sources").iter().find(|s| s["source"] == name.as_str()).unwrap_or_else(|| panic!("{name} not ingested"));
        assert_eq!(u(source, "rows_staged"), u(expected, "staged_rows"), "{name}");
        assert_eq!(u(source, "rows_repaired"), u(expected, "repaired_rows"), "{name}");
        assert!(u(expected, "repaired_rows") >= 6, "{name}: repaired rows planted");
        assert_eq!(u(source, "rows_rejected"), u(expected, "bad_rows"), "{name}");
        let mut status: BTreeMap<String, u64> = BTreeMap::new();
        for f in source["files"].as_array().expect("files") {
            for (k, v) in f["location_status"].as_object().expect("location_status") {
                *status.entry(k.clone()).or_insert(0) += v.as_u64().unwrap_or(0);
            }
        }
        let want: BTreeMap<String, u64> = expected["location_status"].as_object().expect("status").iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect();
        assert_eq!(status, want, "{name}: location status");
    }
}

/// The files of the demo's rejects folder: quarantined rows (`<source>.csv`) or repaired values
/// (`<source>_field_issues.csv`).
fn rejects_files(field_issues: bool) -> Vec<std::path::PathBuf> {
    let dir = demo_out().join("rejects");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rejects dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with("_field_issues.csv") == field_issues)
        .collect();
    files.sort();
    assert!(files.len() >= 8, "a file per source: {files:?}");
    files
}

/// (file, line) -> (reason, field) from every rejects CSV.
fn rejects() -> HashMap<(String, u64), (String, String)> {
    let mut out = HashMap::new();
    let files = rejects_files(false);
    for path in files {
        let mut r = csv::Reader::from_path(&path).expect("rejects csv");
        for rec in r.records() {
            let rec = rec.expect("record");
            let line: u64 = rec[2].parse().expect("line number");
            out.insert((rec[1].to_string(), line), (rec[3].to_string(), rec[4].to_string()));
        }
    }
    out
}

#[test]
fn every_planted_bad_row_is_quarantined_with_the_right_reason() {
    let t = truth();
    let got = rejects();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for b in t["bad_rows"].as_array().expect("bad_rows") {
        let file = b["file"].as_str().expect("file").to_string();
        let line = b["line"].as_u64().expect("line");
        let (reason, field) = got.get(&(file.clone(), line)).unwrap_or_else(|| panic!("planted {b} was not quarantined"));
        assert_eq!(reason, b["reason"].as_str().expect("reason"), "{b}");
        assert_eq!(field, b["field"].as_str().expect("field"), "{b}");
        *kinds.entry(b["kind"].as_str().expect("kind").to_string()).or_insert(0) += 1;
    }
    for kind in ["duplicate", "impossible_date", "missing_crime_ref", "orphan_record", "two_digit_year"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) >= 3, "planted kind {kind} missing from truth.json");
    }
    // Every partner source has planted rows of its own (at least 15, as before the repaired ones were told
    // apart), and quarantined ones among them like the police ones.
    for source in ["las", "ae", "yot", "marac", "exclusions"] {
        let count = |list: &str| t[list].as_array().expect(list).iter().filter(|b| b["file"].as_str().is_some_and(|f| f.starts_with(&format!("raw/{source}/")))).count();
        let (bad, repaired) = (count("bad_rows"), count("repaired_rows"));
        assert!(bad + repaired >= 15 && bad >= 10, "{source}: {bad} bad and {repaired} repaired rows planted");
    }
    assert!(kinds.get("missing_id").copied().unwrap_or(0) >= 3, "planted kind missing_id missing from truth.json");
    assert_eq!(got.len(), t["bad_rows"].as_array().expect("bad_rows").len(), "no clean or repaired row was quarantined");
}

/// (file, line) -> [(reason, field)] from every field-issues CSV.
fn field_issues() -> HashMap<(String, u64), Vec<(String, String)>> {
    let mut out: HashMap<(String, u64), Vec<(String, String)>> = HashMap::new();
    for path in rejects_files(true) {
        let mut r = csv::Reader::from_path(&path).expect("field issues csv");
        assert_eq!(r.headers().expect("header").iter().collect::<Vec<_>>(), ["source", "file", "line", "field", "reason", "value", "repair", "expected"]);
        for rec in r.records() {
            let rec = rec.expect("record");
            let line: u64 = rec[2].parse().expect("line number");
            out.entry((rec[1].to_string(), line)).or_default().push((rec[4].to_string(), rec[3].to_string()));
        }
    }
    out
}

#[test]
fn every_planted_repaired_row_is_staged_with_its_field_issue() {
    let t = truth();
    let m = manifest();
    let issues = field_issues();
    let repaired = t["repaired_rows"].as_array().expect("repaired_rows");
    // Which source read each file, and the (source_file, source_line) of every row it staged.
    let mut source_of: HashMap<String, String> = HashMap::new();
    let mut staged: HashMap<String, DataFrame> = HashMap::new();
    for source in m["sources"].as_array().expect("sources") {
        let name = source["source"].as_str().expect("name").to_string();
        for f in source["files"].as_array().expect("files") {
            source_of.insert(f["path"].as_str().expect("path").to_string(), name.clone());
        }
        staged.insert(name, read_parquet(&demo_out().join(source["staged"].as_str().expect("staged"))).expect("staged parquet"));
    }
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_source: BTreeMap<String, u64> = BTreeMap::new();
    for r in repaired {
        let file = r["file"].as_str().expect("file").to_string();
        let line = r["line"].as_u64().expect("line");
        let (reason, field) = (r["reason"].as_str().expect("reason"), r["field"].as_str().expect("field"));
        // Exactly one value of the row was repaired: the planted one.
        let logged = issues.get(&(file.clone(), line)).unwrap_or_else(|| panic!("planted {r} has no field issue"));
        assert_eq!(logged, &vec![(reason.to_string(), field.to_string())], "{r}");
        // The row is staged, its repaired value unknown (or, for a code the dictionary keeps, marked not known).
        let source = source_of.get(&file).unwrap_or_else(|| panic!("{file} was not ingested"));
        let df = &staged[source];
        let name = Path::new(&file).file_name().expect("name").to_string_lossy().to_string();
        let files = df.column("source_file").and_then(|c| c.str().cloned()).expect("source_file");
        let lines = df.column("source_line").and_then(|c| c.i64().cloned()).expect("source_line");
        let at = (0..df.height()).filter(|&i| files.get(i) == Some(name.as_str()) && lines.get(i) == Some(line as i64)).collect::<Vec<_>>();
        assert_eq!(at.len(), 1, "{r} is not staged once");
        let known = format!("{field}_known");
        let column = if field == "date_of_birth" { ["age", "age_at_offence"].into_iter().find(|c| df.column(c).is_ok()).expect("age column") } else { field };
        if let Ok(k) = df.column(&known) {
            assert_eq!(k.bool().expect("bool").get(at[0]), Some(false), "{r}: {known}");
            assert!(!df.column(field).expect("field").is_null().get(at[0]).unwrap_or(true), "{r}: kept as read");
        } else {
            assert_eq!(df.column(column).expect("repaired column").is_null().get(at[0]), Some(true), "{r}: {column} not nulled");
        }
        *kinds.entry(r["kind"].as_str().expect("kind").to_string()).or_insert(0) += 1;
        *by_source.entry(source.clone()).or_insert(0) += 1;
    }
    // Only the offences planted under a code on no list are staged as not known.
    let known = staged["police_offences"].column("ho_code_known").and_then(|c| c.bool().cloned()).expect("ho_code_known");
    let unknown_codes = repaired.iter().filter(|r| r["field"] == "ho_code").count();
    assert_eq!((known.null_count(), known.iter().filter(|k| *k == Some(false)).count()), (0, unknown_codes));
    for kind in ["unknown_code", "age_out_of_range", "out_of_range"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) >= 3, "planted repaired kind {kind} missing from truth.json: {kinds:?}");
    }
    for source in ["police_offences", "police_victims", "las", "ae", "yot", "marac", "exclusions"] {
        assert!(by_source.get(source).copied().unwrap_or(0) >= 6, "{source}: {by_source:?}");
    }
    // No clean row needed a repair: every field issue is a planted repaired row.
    let planted: BTreeSet<(String, u64)> = repaired.iter().map(|r| (r["file"].as_str().expect("file").to_string(), r["line"].as_u64().expect("line"))).collect();
    let logged: BTreeSet<(String, u64)> = issues.keys().cloned().collect();
    let unplanted: Vec<_> = logged.difference(&planted).take(10).collect();
    assert!(unplanted.is_empty(), "field issues on rows the generator wrote clean: {unplanted:?}");
    assert_eq!(logged.len(), planted.len());
}

#[test]
fn rows_outside_the_borough_are_kept_as_outside_area() {
    let t = truth();
    let df = read_parquet(&demo_out().join("staged/police_offences.parquet")).expect("staged offences");
    let refs = df.column("crime_ref").and_then(|c| c.str().cloned()).expect("crime_ref");
    let status = df.column("location_status").and_then(|c| c.str().cloned()).expect("status");
    let ward = df.column("ward_code").and_then(|c| c.str().cloned()).expect("ward");
    let by_ref: HashMap<&str, (Option<&str>, Option<&str>)> =
        (0..df.height()).filter_map(|i| refs.get(i).map(|r| (r, (status.get(i), ward.get(i))))).collect();
    let outside = t["outside_area"].as_array().expect("outside_area");
    assert!(outside.len() >= 3);
    for o in outside {
        let r = o["crime_ref"].as_str().expect("crime_ref");
        assert_eq!(by_ref.get(r), Some(&(Some("outside_area"), None)), "{o}");
    }
    // Everything else found a ward by its point.
    let located = (0..df.height()).filter(|&i| status.get(i) == Some("point")).count();
    assert_eq!(located + outside.len(), df.height());
}

#[test]
fn planted_hot_wards_rank_first_and_second() {
    let t = truth();
    let hot: BTreeSet<String> = t["hot_wards"]["codes"].as_array().expect("hot").iter().map(|c| c.as_str().expect("code").to_string()).collect();
    assert_eq!(hot.len(), 2);
    let df = read_parquet(&demo_out().join("tables/place_wards.parquet")).expect("place_wards");
    let df = df.lazy().filter(col("theme").eq(lit("serious_violence"))).collect().expect("filter");
    let code = df.column("ward_code").and_then(|c| c.str().cloned()).expect("code");
    let rank = df.column("rank").and_then(|c| c.u32().cloned()).expect("rank");
    let count_rank = df.column("count_rank").and_then(|c| c.u32().cloned()).expect("count_rank");
    let mut top_by_rate = BTreeSet::new();
    let mut top_by_count = BTreeSet::new();
    for i in 0..df.height() {
        let c = code.get(i).expect("code").to_string();
        if rank.get(i).expect("rank") <= 2 {
            top_by_rate.insert(c.clone());
        }
        if count_rank.get(i).expect("count rank") <= 2 {
            top_by_count.insert(c);
        }
    }
    assert_eq!(top_by_rate, hot);
    assert_eq!(top_by_count, hot);
    // The two wards hold about 45% of serious violence, as planted.
    let share = df.column("share").and_then(|c| c.f64().cloned()).expect("share");
    let hot_share: f64 = (0..df.height()).filter(|&i| hot.contains(code.get(i).expect("code"))).map(|i| share.get(i).unwrap_or(0.0)).sum();
    assert!((0.40..0.50).contains(&hot_share), "hot-ward share {hot_share}");
    let summary = std::fs::read_to_string(demo_out().join("report/summary.md")).expect("summary");
    let names: Vec<&str> = t["hot_wards"]["names"].as_array().expect("names").iter().map(|n| n.as_str().expect("name")).collect();
    assert!(summary.contains("of serious violence offences") && names.iter().all(|n| summary.contains(n)), "{summary}");
}

#[test]
fn tables_carry_method_confidence_multiplier_and_definition() {
    let df = read_parquet(&demo_out().join("tables/place_wards.parquet")).expect("place_wards");
    for c in ["method", "confidence", "multiplier", "definition", "definition_sha256", "rate", "lower", "upper", "rank", "share", "cumulative_share"] {
        assert!(df.column(c).is_ok(), "place_wards lacks {c}");
    }
    let methods = df.column("method").and_then(|c| c.str().cloned()).expect("method");
    let counts = df.column("offences").and_then(|c| c.u64().cloned()).expect("offences");
    for i in 0..df.height() {
        let expected = if counts.get(i).unwrap_or(0) >= 10 { "Byars" } else { "Exact" };
        assert_eq!(methods.get(i), Some(expected));
    }
    let prov = sna::table_io::read_provenance(&demo_out().join("tables/place_wards.parquet")).expect("provenance");
    let def_hash = manifest()["definition"]["sha256"].as_str().expect("definition hash").to_string();
    assert!(prov.iter().any(|(k, v)| k == "definition_sha256" && *v == def_hash), "{prov:?}");
    let area = read_parquet(&demo_out().join("tables/place_area_totals.parquet")).expect("area totals");
    let total = area.column("offences").and_then(|c| c.u64().cloned()).expect("offences");
    let in_wards = area.column("offences_in_wards").and_then(|c| c.u64().cloned()).expect("in wards");
    let outside = area.column("offences_outside_area").and_then(|c| c.u64().cloned()).expect("outside");
    let unlocated = area.column("offences_unlocated").and_then(|c| c.u64().cloned()).expect("unlocated");
    for i in 0..area.height() {
        assert_eq!(total.get(i), Some(in_wards.get(i).unwrap_or(0) + outside.get(i).unwrap_or(0) + unlocated.get(i).unwrap_or(0)));
    }
}

/// Raw person ids and dates of birth from the extracts as the generator wrote them.
fn raw_identifiers(input: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    use calamine::{open_workbook_auto, Reader};
    let mut ids = BTreeSet::new();
    let mut dobs = BTreeSet::new();
    for entry in std::fs::read_dir(input.join("raw/police")).expect("raw dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !(name.starts_with("victims") || name.starts_with("suspects")) {
            continue;
        }
        let rows: Vec<Vec<String>> = if name.ends_with(".xlsx") {
            let mut wb = open_workbook_auto(&path).expect("xlsx");
            let sheet = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&sheet).expect("sheet");
            range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
        } else {
            let text = std::fs::read(&path).expect("read");
            let delim = if text.iter().take_while(|b| **b != b'\n').any(|b| *b == b'\t') { b'\t' } else { b',' };
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(text.as_slice());
            r.records().map(|rec| rec.expect("record").iter().map(|s| s.to_string()).collect()).collect()
        };
        let header = &rows[0];
        let id_col = header.iter().position(|h| h.ends_with(" ID")).expect("id column");
        let dob_col = header.iter().position(|h| h == "Date of Birth");
        for row in &rows[1..] {
            if let Some(v) = row.get(id_col).filter(|v| !v.is_empty()) {
                ids.insert(v.clone());
            }
            if let Some(v) = dob_col.and_then(|c| row.get(c)).filter(|v| !v.is_empty()) {
                dobs.insert(v.clone());
            }
        }
    }
    (ids, dobs)
}

#[test]
fn no_staged_value_is_a_raw_person_id_name_or_date_of_birth() {
    let (ids, dobs) = raw_identifiers(&demo_out().join("input"));
    assert!(ids.len() > 1000 && dobs.len() > 100, "{} ids, {} dobs", ids.len(), dobs.len());
    let dob_dates: BTreeSet<String> = dobs
        .iter()
        .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%d/%m/%Y").ok())
        .map(|d| d.to_string())
        .collect();
    for name in ["police_victims", "police_suspects", "police_offences"] {
        let df = read_parquet(&demo_out().join(format!("staged/{name}.parquet"))).expect("staged");
        for c in df.get_column_names() {
            assert!(!c.contains("surname") && !c.contains("birth"), "{name} stages column {c}");
        }
        for column in df.columns() {
            let s = column.cast(&DataType::String).expect("cast to text");
            let s = s.str().expect("text");
            for v in s.iter().flatten() {
                assert!(!ids.contains(v), "{name}.{} holds raw id {v}", column.name());
                assert!(!dobs.contains(v), "{name}.{} holds a date of birth {v}", column.name());
                // Offence dates may coincide with someone's birthday; person tables must hold no such date.
                if name != "police_offences" {
                    assert!(!dob_dates.contains(v), "{name}.{} holds a date of birth {v}", column.name());
                }
                assert!(!v.starts_with("SURNAME-"), "{name}.{} holds a name {v}", column.name());
            }
        }
    }
    // Pseudonyms link: the same person appears across years and roles under one pseudonym.
    let v = read_parquet(&demo_out().join("staged/police_victims.parquet")).expect("victims");
    let ids = v.column("person_id").and_then(|c| c.str().cloned()).expect("person_id");
    assert!(ids.iter().flatten().all(|p| p.len() == 25 && p.starts_with('P')));
    // Ages were derived for the file that gives dates of birth.
    let ages = v.column("age").and_then(|c| c.i64().cloned()).expect("age");
    let files = v.column("source_file").and_then(|c| c.str().cloned()).expect("file");
    let dob_rows = (0..v.height()).filter(|&i| files.get(i) == Some("victims_2024-25.csv")).count();
    let dob_aged = (0..v.height()).filter(|&i| files.get(i) == Some("victims_2024-25.csv") && ages.get(i).is_some()).count();
    // Every one but the victims planted with a date of birth giving an impossible age (left unknown).
    let impossible = truth()["repaired_rows"].as_array().expect("repaired_rows").iter().filter(|r| r["file"] == "raw/police/victims_2024-25.csv").count();
    assert!(impossible >= 3 && dob_rows > 1000 && dob_aged == dob_rows - impossible, "{dob_aged} of {dob_rows} aged, {impossible} impossible");
}

#[test]
fn runs_with_one_and_two_threads_give_byte_identical_outputs() {
    let a = demo_out(); // two threads
    let b = run_demo_threads(42, 1);
    for folder in ["tables", "staged", "rejects", "charts", "report", "maps", "public"] {
        let fa = files_below(&a.join(folder));
        let fb = files_below(&b.join(folder));
        assert_eq!(fa, fb, "{folder}: same files");
        assert!(!fa.is_empty(), "{folder} is empty");
        for f in fa {
            let (x, y) = (std::fs::read(a.join(folder).join(&f)).expect("a"), std::fs::read(b.join(folder).join(&f)).expect("b"));
            assert!(x == y, "{folder}/{} differs between runs", f.display());
        }
    }
}

/// Rows of a raw extract as text: CSV in any dialect the generator writes (BOM, Windows-1252, comma, semicolon
/// or tab) or the first sheet of a workbook.
fn read_raw(path: &Path) -> Vec<Vec<String>> {
    use calamine::{open_workbook_auto, Reader};
    if path.extension().is_some_and(|e| e == "xlsx") {
        let mut wb = open_workbook_auto(path).expect("xlsx");
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).expect("sheet");
        // Dates as ISO dates, the form a staged date column takes as text.
        let text = |c: &calamine::Data| match c {
            calamine::Data::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
            other => other.to_string(),
        };
        return range.rows().map(|r| r.iter().map(text).collect()).collect();
    }
    let bytes = std::fs::read(path).expect("read");
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    };
    let first = text.lines().next().unwrap_or_default();
    let delim = if first.contains('\t') {
        b'\t'
    } else if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(text.as_bytes());
    r.records().map(|rec| rec.expect("record").iter().map(|s| s.to_string()).collect()).collect()
}

/// Every non-empty raw value of a dictionary field across a partner source's files (the column found by the
/// dictionary's own name and aliases).
fn raw_values(source: &str, field: &str) -> BTreeSet<String> {
    use sna::dictionary::header_match::fold;
    let reg = sna::dictionary::Registry::embedded().expect("registry");
    let dict = reg.get(source).expect("dictionary");
    let spec = &dict.fields[dict.field_index(field).expect("field")].spec;
    let names: BTreeSet<String> = std::iter::once(&spec.name).chain(spec.aliases.iter()).map(|n| fold(n)).collect();
    let t = truth();
    let mut out = BTreeSet::new();
    for f in t["partner_sources"][source]["files"].as_array().expect("files") {
        let rows = read_raw(&demo_out().join("input").join(f.as_str().expect("path")));
        let Some(col) = rows[0].iter().position(|h| names.contains(&fold(h))) else { continue };
        out.extend(rows[1..].iter().filter_map(|r| r.get(col)).filter(|v| !v.trim().is_empty()).cloned());
    }
    out
}

/// Every value of a staged table as text.
fn staged_text(name: &str) -> (Vec<String>, BTreeSet<String>) {
    let df = read_parquet(&demo_out().join(format!("staged/{name}.parquet"))).expect("staged");
    let columns = df.get_column_names().iter().map(|c| c.to_string()).collect();
    let mut values = BTreeSet::new();
    for column in df.columns() {
        let s = column.cast(&DataType::String).expect("cast to text");
        values.extend(s.str().expect("text").iter().flatten().map(str::to_string));
    }
    (columns, values)
}

#[test]
fn ae_free_text_location_is_never_staged_or_echoed() {
    let texts = raw_values("ae", "assault_location_description");
    assert!(texts.len() > 1000, "{} free-text descriptions", texts.len());
    let (columns, values) = staged_text("ae");
    assert!(!columns.iter().any(|c| c.contains("description") && c.contains("location")), "{columns:?}");
    assert!(columns.iter().any(|c| c == "assault_location_type") && columns.iter().any(|c| c == "ward_code"), "{columns:?}");
    let leaked: Vec<&String> = values.iter().filter(|v| texts.contains(*v)).collect();
    assert!(leaked.is_empty(), "staged A&E holds free text: {leaked:?}");
    // Nor do the quarantined rows echo it.
    let mut r = csv::Reader::from_path(demo_out().join("rejects/ae.csv")).expect("rejects");
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.expect("record");
        n += 1;
        for cell in rec.iter() {
            assert!(!texts.iter().any(|t| cell.contains(t.as_str())), "rejects/ae.csv echoes free text: {cell}");
        }
    }
    assert!(n > 50, "{n} A&E rejects");
}

#[test]
fn yot_children_link_to_their_exclusions_by_pseudonym_only() {
    let t = truth();
    let ids = |name: &str, column: &str| -> BTreeSet<String> {
        let df = read_parquet(&demo_out().join(format!("staged/{name}.parquet"))).expect("staged");
        let c = df.column(column).and_then(|c| c.str().cloned()).expect("id column");
        c.iter().flatten().map(str::to_string).collect()
    };
    let yot = ids("yot", "child_id");
    let excluded = ids("exclusions", "pupil_id");
    let both = yot.intersection(&excluded).count();
    let planted = &t["truths"]["yot_in_exclusions_share"];
    let share = both as f64 / yot.len() as f64;
    assert!((share - planted["target"].as_f64().expect("target")).abs() < 0.05, "{both} of {} YOT children excluded", yot.len());
    assert_eq!((both as u64, yot.len() as u64), (u(planted, "numerator"), u(planted, "denominator")));
    // What links them is the keyed pseudonym: no raw identifier or date of birth reaches staged data.
    assert!(yot.iter().chain(excluded.iter()).all(|p| p.len() == 25 && p.starts_with('P')));
    let mut raw = raw_values("yot", "child_id");
    raw.extend(raw_values("exclusions", "pupil_id"));
    raw.extend(raw_values("marac", "victim_id"));
    assert!(raw.len() > 5000, "{} raw ids", raw.len());
    let dobs = raw_values("yot", "date_of_birth");
    assert!(dobs.len() > 100 && dobs.iter().all(|d| d.starts_with("20")), "{dobs:?}");
    for name in ["yot", "exclusions", "marac"] {
        let (columns, values) = staged_text(name);
        assert!(!columns.iter().any(|c| c.contains("birth")), "{name}: {columns:?}");
        assert!(values.iter().all(|v| !raw.contains(v)), "{name} stages a raw identifier");
        if name == "yot" {
            assert!(values.iter().all(|v| !dobs.contains(v)), "yot stages a date of birth");
        }
    }
}


/// Write rows as a one-sheet workbook: numbers as numbers (unless a leading zero makes them codes), the rest as text.
fn write_xlsx(path: &Path, rows: &[Vec<String>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v.parse::<f64>() {
                Ok(x) if r > 0 && !v.starts_with('0') && !v.is_empty() => ws.write_number(r, c, x).map(|_| ()),
                _ if v.is_empty() => Ok(()),
                _ => ws.write_string(r, c, v).map(|_| ()),
            }
            .expect("cell");
        }
    }
    wb.save(path).expect("save xlsx");
}

#[test]
fn every_partner_source_stages_a_good_file_and_its_xlsx_version_identically() {
    let t = truth();
    let input = demo_out().join("input");
    let bad: BTreeSet<(String, u64)> =
        t["bad_rows"].as_array().expect("bad_rows").iter().map(|b| (b["file"].as_str().expect("file").to_string(), b["line"].as_u64().expect("line"))).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = ["las", "ae", "yot", "marac", "exclusions"];
    let mut good_rows = BTreeMap::new();
    for name in sources {
        // The source's first CSV extract without its planted bad rows: a good file.
        let file = t["partner_sources"][name]["files"].as_array().expect("files").iter().filter_map(|f| f.as_str()).find(|f| f.ends_with(".csv")).expect("a CSV extract");
        let rows: Vec<Vec<String>> = read_raw(&input.join(file)).into_iter().enumerate().filter(|(i, _)| !bad.contains(&(file.to_string(), *i as u64 + 1))).map(|(_, r)| r).collect();
        let mut w = csv::Writer::from_path(dir.path().join(format!("{name}.csv"))).expect("csv");
        for r in &rows {
            w.write_record(r).expect("record");
        }
        w.flush().expect("flush");
        write_xlsx(&dir.path().join(format!("{name}.xlsx")), &rows);
        good_rows.insert(name, rows.len() as u64 - 1);
    }
    let q = |p: &str| format!("{:?}", input.join(p).display().to_string());
    let mut staged = Vec::new();
    for ext in ["csv", "xlsx"] {
        let mut text = format!(
            "[assessment]\nname = \"good files\"\narea = \"Exampleton\"\nperiod = {{ start = \"2025-04-01\", end = \"2026-03-31\" }}\ndefinition = \"london-vru\"\n\n\
             [geography]\nwards = {}\nward_code_property = \"WD23CD\"\nward_name_property = \"WD23NM\"\nlsoa_lookup = {}\n\n\
             [population]\nfiles = [{{ path = {}, format = \"long\" }}]\n\n[privacy]\ndemo_key = true\n",
            q("reference/wards.geojson"),
            q("reference/lsoa21_to_ward.csv"),
            q("reference/population.csv")
        );
        for name in sources {
            text.push_str(&format!("\n[sources.{name}]\nfiles = [\"{name}.{ext}\"]\n"));
        }
        let pipeline = dir.path().join(format!("{ext}.toml"));
        std::fs::write(&pipeline, text).expect("pipeline");
        let out = dir.path().join(format!("out-{ext}"));
        crate::support::sna().args(["--quiet", "ingest"]).arg(&pipeline).arg("--out").arg(&out).assert().success();
        let m = read_json(&out.join("manifest.json"));
        for source in m["sources"].as_array().expect("sources") {
            let name = source["source"].as_str().expect("name");
            assert_eq!((u(source, "rows_read"), u(source, "rows_rejected")), (good_rows[name], 0), "{name}.{ext}");
            assert!(source["files"][0]["columns_ignored"].as_array().is_some_and(|c| c.is_empty()), "{name}.{ext}");
        }
        staged.push(out);
    }
    // The workbook stages exactly what the CSV stages (only the file name differs).
    for name in sources {
        let read = |out: &Path| {
            let df = read_parquet(&out.join(format!("staged/{name}.parquet"))).expect("staged");
            df.drop("source_file").expect("source_file column")
        };
        let (a, b) = (read(&staged[0]), read(&staged[1]));
        assert_eq!(a.height() as u64, good_rows[name]);
        assert!(a.equals_missing(&b), "{name}: CSV and XLSX stage differently\n{a}\n{b}");
    }
}
