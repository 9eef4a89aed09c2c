//! Hostile and careless extracts through the real binary (issue 13): a stray quote that would swallow the
//! rest of a file, workbooks that expand into gigabytes or are not workbooks at all, and personal data
//! typed into the wrong column. Each must fail loudly or lose nothing but the bad line, and no planted
//! personal value may reach any file `sna` writes.

use crate::bad_inputs::{good_table_from, registry, run, write_pipeline, Table};
use crate::support::read_json;
use std::path::Path;

/// A police offences extract of `rows` good rows (canonical headers, synthetic values).
fn offences(rows: usize) -> Table {
    let reg = registry();
    let dict = reg.get("police_offences").expect("dictionary");
    let mut t = good_table_from(&reg, dict, 0);
    let blocks = rows.div_ceil(t.rows.len());
    t.rows = (0..blocks).flat_map(|k| good_table_from(&reg, dict, 100 * k).rows).take(rows).collect();
    t
}

fn ingest(dir: &Path, file: &str, extra: &str) -> crate::bad_inputs::Run {
    let p = write_pipeline(dir, &[("police_offences".into(), vec![file.into()])]);
    if !extra.is_empty() {
        let mut text = std::fs::read_to_string(&p).expect("pipeline");
        text.push_str(extra);
        std::fs::write(&p, text).expect("pipeline");
    }
    run(dir, &["--quiet", "ingest", p.to_str().expect("utf8")])
}

fn every_file_text(dir: &Path) -> String {
    let mut all = String::new();
    for entry in walk(dir) {
        if let Ok(bytes) = std::fs::read(&entry) {
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    all
}

/// Every file below `dir`, as full paths.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    crate::support::files_below(dir).into_iter().map(|p| dir.join(p)).collect()
}

#[test]
fn a_stray_quote_in_a_fifty_line_extract_loses_one_line_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = offences(49);
    let text = String::from_utf8(t.csv()).expect("utf8");
    let mut bytes = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 5 {
            // `"` opening the first field of line 6 and never closing it.
            bytes.push(b'"');
        }
        bytes.extend_from_slice(line.as_bytes());
    }
    std::fs::write(dir.path().join("offences.csv"), bytes).expect("write");
    let r = ingest(dir.path(), "offences.csv", "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = read_json(&dir.path().join("out/manifest.json"));
    let f = &m["sources"][0]["files"][0];
    assert_eq!((f["lines_read"].as_u64(), f["rows_read"].as_u64()), (Some(50), Some(49)), "{f}");
    assert_eq!((f["rows_staged"].as_u64(), f["rows_rejected"].as_u64()), (Some(48), Some(1)), "{f}");
    assert_eq!(f["rejects_by_reason"]["unbalanced_quote"], 1, "{f}");
    let rejects = std::fs::read_to_string(dir.path().join("out/rejects/police_offences.csv")).expect("rejects");
    assert!(rejects.lines().any(|l| l.contains(",6,unbalanced_quote,")), "{rejects}");
}

#[test]
fn workbooks_beyond_the_limits_or_not_workbooks_are_refused_naming_file_and_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A real workbook with more cells than a lowered limit allows.
    offences(40).xlsx(&dir.path().join("offences.xlsx"), false);
    let r = ingest(dir.path(), "offences.xlsx", "[ingest]\nxlsx_max_cells = 100\n");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("offences.xlsx") && r.stderr.contains("xlsx_max_cells") && r.stderr.contains("100 cells"), "{}", r.stderr);
    // The same workbook within the default limits is read.
    let ok = ingest(dir.path(), "offences.xlsx", "");
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    // A zip bomb: a few kilobytes that inflate past a lowered limit.
    {
        use std::io::Write;
        let f = std::fs::File::create(dir.path().join("bomb.xlsx")).expect("create");
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/sharedStrings.xml", opts).expect("entry");
        z.write_all(&vec![b'a'; 3 << 20]).expect("bytes");
        z.finish().expect("zip");
    }
    let r = ingest(dir.path(), "bomb.xlsx", "[ingest]\nxlsx_max_uncompressed_mb = 2\n");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("bomb.xlsx") && r.stderr.contains("xlsx_max_uncompressed_mb"), "{}", r.stderr);

    // A CSV saved under an .xlsx name.
    std::fs::write(dir.path().join("export.xlsx"), offences(3).csv()).expect("write");
    let r = ingest(dir.path(), "export.xlsx", "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("export.xlsx") && r.stderr.contains("rename it to .csv"), "{}", r.stderr);
    assert!(!r.stderr.contains("EOCD"), "{}", r.stderr);
}

#[test]
fn personal_data_in_the_wrong_column_never_reaches_an_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = offences(12);
    let col = |h: &str| t.col(h).unwrap_or_else(|| panic!("column {h}"));
    let (date, ho, outcome, desc) = (col("committed_from"), col("ho_code"), col("outcome_code"), col("offence_description"));
    let planted = [
        (0, date, "14/13/1987 10:00"),        // an impossible date in the shape of a date of birth: quarantined
        (1, ho, "07700 900123"),              // a phone number as an HO code: kept off the list, logged
        (2, outcome, "jo.bloggs@example.org"), // an email as an outcome: nulled, logged
        (3, outcome, "SW1A 2AA"),             // a postcode
        (4, ho, "943 476 5919"),              // an NHS number
        (5, desc, "Victim J Bloggs DOB 02/03/1990 of 10 High St"), // free text: never staged
    ];
    for &(row, c, v) in &planted {
        t.rows[row][c] = v.to_string();
    }
    std::fs::write(dir.path().join("offences.csv"), t.csv()).expect("write");
    let r = ingest(dir.path(), "offences.csv", "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = read_json(&dir.path().join("out/manifest.json"));
    let f = &m["sources"][0]["files"][0];
    assert_eq!(f["rows_rejected"], 1, "{f}");
    assert!(f["fields_repaired"].as_u64().unwrap_or(0) >= 4, "{f}");
    let everything = every_file_text(&dir.path().join("out")) + &r.stderr + &r.stdout;
    for needle in ["14/13/1987", "900123", "bloggs", "Bloggs", "SW1A", "476 5919", "High St", "02/03/1990"] {
        assert!(!everything.contains(needle), "{needle} reached an output");
    }
    // Staged Parquet is checked too (the text above reads its bytes, but strings may be compressed).
    let df = sna::table_io::read_parquet(&dir.path().join("out/staged/police_offences.parquet")).expect("staged");
    let text = format!("{df:?}");
    for needle in ["Bloggs", "High St", "900123"] {
        assert!(!text.contains(needle), "{needle} staged");
    }
    let issues = std::fs::read_to_string(dir.path().join("out/rejects/police_offences_field_issues.csv")).expect("issues");
    assert!(issues.contains("[redacted: phone number]") && issues.contains("[redacted: email address]"), "{issues}");
}

#[test]
fn swapped_easting_and_northing_stop_the_run_before_anything_is_written_and_name_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = offences(40);
    let (e, n) = (t.col("easting").expect("easting"), t.col("northing").expect("northing"));
    for r in &mut t.rows {
        r.swap(e, n);
    }
    std::fs::write(dir.path().join("offences.csv"), t.csv()).expect("write");
    let r = ingest(dir.path(), "offences.csv", "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("offences.csv") && r.stderr.contains("look swapped"), "{}", r.stderr);
    assert!(r.stderr.contains(r#"columns = { easting = "northing", northing = "easting" }"#), "{}", r.stderr);
    assert!(!dir.path().join("out/staged").exists(), "nothing may be written");
    // The fix the message names works.
    let p = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(&p).expect("pipeline");
    let fixed = text.replace("files = [\"offences.csv\"]", "files = [\"offences.csv\"]\ncolumns = { easting = \"northing\", northing = \"easting\" }");
    std::fs::write(&p, fixed).expect("pipeline");
    let ok = run(dir.path(), &["--quiet", "ingest", p.to_str().expect("utf8")]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let m = read_json(&dir.path().join("out/manifest.json"));
    assert_eq!(m["sources"][0]["files"][0]["rows_staged"], 40);
}

/// Every cell of every CSV under `dir` that a spreadsheet would run as a formula.
fn live_formula_cells(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in walk(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "csv")) {
        let Ok(mut r) = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&path) else { continue };
        for rec in r.records().flatten() {
            for cell in rec.iter() {
                if matches!(sna::formula_cells::defuse_formula(cell), std::borrow::Cow::Owned(_)) {
                    found.push(format!("{}: {cell}", path.display()));
                }
            }
        }
    }
    found
}

#[test]
fn names_and_labels_from_inputs_never_become_markup_or_formulas() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("offences.csv"), offences(40).csv()).expect("write");
    let p = write_pipeline(dir.path(), &[("police_offences".into(), vec!["offences.csv".into()])]);
    let hostile_ward = r#"=HYPERLINK(\"http://x\",\"y\") <script>alert(1)</script>"#;
    let wards = crate::bad_inputs::WARDS_GEOJSON.replace("Synthetic Ward", hostile_ward);
    std::fs::write(dir.path().join("wards.geojson"), wards).expect("wards");
    let text = std::fs::read_to_string(&p).expect("pipeline")
        .replace("area = \"Testham\"", "area = \"<img src=x onerror=alert(4)>\"")
        .replace("name = \"Bad input test\"", "name = \"@SUM(1+1) [x](javascript:alert(2))\"");
    std::fs::write(&p, text).expect("pipeline");
    let r = run(dir.path(), &["--quiet", "run", p.to_str().expect("utf8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("out");
    for page in [out.join("report/index.html"), out.join("public/report/index.html")] {
        let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        for raw in ["<img src=x", "<script>alert", "href=\"javascript"] {
            assert!(!html.contains(raw), "{} holds {raw}", page.display());
        }
    }
    let summary = std::fs::read_to_string(out.join("report/summary.md")).expect("summary");
    assert!(!summary.replace("\\<", "").contains("<img") && summary.contains("\\<img src=x"), "{summary}");
    let live = live_formula_cells(&out);
    assert!(live.is_empty(), "formula cells: {live:#?}");
}
