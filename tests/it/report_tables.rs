//! The report's tables: `report/tables.xlsx` (README first, a sheet per analysis table with the table's
//! columns as a header row and numbers stored as numbers) and `report/tables/<name>.md`.

use crate::support::{demo_out, read_json};
use calamine::{open_workbook, Data, Reader, Xlsx};
use sna::table_io::read_parquet;
use std::path::{Path, PathBuf};

/// (table name, parquet path) for every table of the demo run, sorted.
fn parquet_tables(out: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(out.join("tables"))
        .expect("tables folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .map(|p| (p.file_stem().expect("stem").to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    assert!(v.len() >= 20, "expected the demo's analysis tables, found {}", v.len());
    v
}

fn columns(path: &Path) -> Vec<String> {
    let df = read_parquet(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    df.get_column_names().iter().map(|n| n.to_string()).collect()
}

#[test]
fn workbook_has_readme_and_a_sheet_per_table_with_typed_cells() {
    let out = demo_out();
    let path = out.join("report").join("tables.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let names = wb.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("README"));
    let tables = parquet_tables(out);
    assert_eq!(names.len(), tables.len() + 1, "sheets: {names:?}");

    // README: the assessment, definition hash, sources and methods, and every sheet listed.
    let readme = wb.worksheet_range("README").expect("README sheet");
    let readme_text: Vec<String> = readme.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    let all = readme_text.join("\n");
    let manifest = read_json(&out.join("manifest.json"));
    let sha = manifest["definition"]["sha256"].as_str().expect("definition hash in the manifest");
    assert!(all.contains(sha), "README lacks the definition hash {sha}");
    for needle in ["Exampleton", "Previous periods", "Wilson", "Byar", "Gi*", "Aoristic", "suppress", "Rows read"] {
        assert!(all.to_lowercase().contains(&needle.to_lowercase()), "README lacks {needle:?}");
    }
    assert!(all.contains("raw/ae/istv_assaults_2023-24.csv"), "README lists the source files");

    for (name, pq) in &tables {
        assert!(readme_text.iter().any(|c| c == name), "README does not list sheet {name}");
        let range = wb.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
        let header: Vec<String> = range.rows().next().expect("header row").iter().map(|c| c.to_string()).collect();
        assert_eq!(header, columns(pq), "header of sheet {name}");
        let df = read_parquet(pq).expect("parquet");
        assert_eq!(range.height(), df.height() + 1, "rows of sheet {name}");
    }

    // Numbers are numbers, text is text.
    let wards = wb.worksheet_range("place_wards").expect("place_wards sheet");
    let header: Vec<String> = wards.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap_or_else(|| panic!("no column {n}"));
    let first = wards.rows().nth(1).expect("a data row");
    assert!(matches!(first[col("offences")], Data::Float(_) | Data::Int(_)), "offences: {:?}", first[col("offences")]);
    assert!(matches!(first[col("rate")], Data::Float(x) if x > 0.0), "rate: {:?}", first[col("rate")]);
    assert!(matches!(first[col("share")], Data::Float(x) if (0.0..=1.0).contains(&x)), "share: {:?}", first[col("share")]);
    assert!(matches!(first[col("ward_name")], Data::String(_)), "ward_name: {:?}", first[col("ward_name")]);
}

#[test]
fn workbook_and_markdown_are_listed_in_the_manifest() {
    let out = demo_out();
    let manifest = read_json(&out.join("manifest.json"));
    let files: Vec<String> = manifest["report"]["files"]
        .as_array()
        .expect("report.files")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(files.contains(&"report/tables.xlsx".to_string()), "{files:?}");
    for (name, _) in parquet_tables(out) {
        let md = format!("report/tables/{name}.md");
        assert!(files.contains(&md), "{md} not in report.files");
    }
}

#[test]
fn markdown_table_per_table_with_its_header_row() {
    let out = demo_out();
    for (name, pq) in parquet_tables(out) {
        let path = out.join("report").join("tables").join(format!("{name}.md"));
        let md = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(md.starts_with("# "), "{name}: no title");
        // The constant provenance columns are stated above the table rather than repeated in it.
        let shown: Vec<String> =
            columns(&pq).into_iter().filter(|c| c != "definition" && c != "definition_sha256").collect();
        let header = format!("| {} |\n", shown.join(" | "));
        assert!(md.contains(&header), "{name}: header row {header:?} missing");
        assert!(md.contains(&format!("tables/{name}.csv")), "{name}: no link to the CSV");
        let rows = read_parquet(&pq).expect("parquet").height();
        if rows > 200 {
            assert!(md.contains("First 200 of"), "{name}: long table not cut");
        }
    }
}
