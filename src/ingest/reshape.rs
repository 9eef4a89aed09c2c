//! Reshaping wide extracts into one record per value before validation. The London Datastore "MPS Ward
//! Level Crime" file has one column per month (`202401` ...); it is read as one record per ward x category
//! x month, each carrying the file line it came from, so rejects still point at the right line. For such
//! sources a "row" in the accounting (read = staged + rejected) is one of these records.

use super::reader::{RawRow, RowItem, TableReader};
use super::IngestError;
use crate::dictionary::model::{Reshape, ReshapeKind};
use crate::dictionary::values::parse_month;
use std::path::Path;

/// Apply the dictionary's reshape, if any.
pub fn apply(reshape: Option<&Reshape>, path: &Path, table: TableReader) -> Result<TableReader, IngestError> {
    match reshape.map(|r| r.kind) {
        None => Ok(table),
        Some(ReshapeKind::MonthsWide) => months_wide(reshape.map(|r| r.month_field.as_str()).unwrap_or("month"), reshape.map(|r| r.value_field.as_str()).unwrap_or("count"), path, table),
    }
}

/// A header that names a month column: `YYYYMM` or `YYYY-MM`.
fn is_month_header(h: &str) -> bool {
    let t = h.trim();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    (t.len() == 6 && digits == 6 || t.len() == 7 && digits == 6 && t.as_bytes()[4] == b'-') && parse_month(t).is_ok()
}

fn months_wide(month_field: &str, value_field: &str, path: &Path, table: TableReader) -> Result<TableReader, IngestError> {
    let month_cols: Vec<usize> = (0..table.headers.len()).filter(|&i| is_month_header(&table.headers[i])).collect();
    if month_cols.is_empty() {
        return Err(IngestError::file(path, "no month columns (headers like 202401) found in a month-per-column file"));
    }
    // A month given twice would be counted twice: refuse it (`202401` and `2024-01` are the same month).
    let mut seen: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for &c in &month_cols {
        let h = table.headers[c].trim();
        let month = parse_month(h).map(|m| m.format("%Y-%m").to_string()).unwrap_or_else(|_| h.to_string());
        if let Some(first) = seen.insert(month.clone(), h) {
            return Err(IngestError::file(
                path,
                &format!("month {month} has two columns (\"{first}\" and \"{h}\"): its offences would be counted twice; remove one of them"),
            ));
        }
    }
    let id_cols: Vec<usize> = (0..table.headers.len()).filter(|i| !month_cols.contains(i)).collect();
    let mut headers: Vec<String> = id_cols.iter().map(|&i| table.headers[i].clone()).collect();
    headers.push(month_field.to_string());
    headers.push(value_field.to_string());
    let month_names: Vec<String> = month_cols.iter().map(|&i| table.headers[i].trim().to_string()).collect();
    let rows = table.rows.flat_map(move |item| -> Vec<RowItem> {
        match item {
            RowItem::Bad(b) => vec![RowItem::Bad(b)],
            RowItem::Row(r) => {
                let ids: Vec<String> = id_cols.iter().map(|&i| r.cells.get(i).unwrap_or_default().to_string()).collect();
                month_cols
                    .iter()
                    .zip(&month_names)
                    .map(|(&c, m)| {
                        let mut cells = ids.clone();
                        cells.push(m.clone());
                        cells.push(r.cells.get(c).unwrap_or_default().to_string());
                        RowItem::Row(RawRow { line: r.line, cells: csv::StringRecord::from(cells) })
                    })
                    .collect()
            }
        }
    });
    Ok(TableReader { headers, format: table.format, rows: Box::new(rows), lines: table.lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::model::{Reshape, ReshapeKind};

    #[test]
    fn wide_months_become_one_record_per_month_with_the_file_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.csv");
        std::fs::write(&path, "MajorText,WardCode,202401,202402\r\nROBBERY,E05000001,3,0\r\nBURGLARY,E05000002,1\r\n").expect("write");
        let table = super::super::reader::open_table(&path, None).expect("open");
        let spec = Reshape { kind: ReshapeKind::MonthsWide, month_field: "month".into(), value_field: "count".into() };
        let long = apply(Some(&spec), &path, table).expect("reshape");
        assert_eq!(long.headers, vec!["MajorText", "WardCode", "month", "count"]);
        let items: Vec<RowItem> = long.rows.collect();
        assert_eq!(items.len(), 3, "two records from line 2, the short line 3 stays one bad row");
        match &items[1] {
            RowItem::Row(r) => assert_eq!((r.line, r.cells.iter().collect::<Vec<_>>()), (2, vec!["ROBBERY", "E05000001", "202402", "0"])),
            RowItem::Bad(_) => panic!("expected a record"),
        }
        assert!(matches!(&items[2], RowItem::Bad(b) if b.line == 3));
        assert!(is_month_header("2025-12") && !is_month_header("WardCode") && !is_month_header("202413"));
    }

    #[test]
    fn a_month_with_two_columns_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.csv");
        std::fs::write(&path, "MajorText,WardCode,202401,202402,2024-01\nROBBERY,E05000001,3,0,3\n").expect("write");
        let table = super::super::reader::open_table(&path, None).expect("open");
        let spec = Reshape { kind: ReshapeKind::MonthsWide, month_field: "month".into(), value_field: "count".into() };
        let e = apply(Some(&spec), &path, table).err().expect("refused").to_string();
        assert!(e.contains("w.csv") && e.contains("2024-01 has two columns") && e.contains("\"202401\""), "{e}");
    }
}
