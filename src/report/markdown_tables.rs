//! `report/tables/<name>.md`: each analysis table as GitHub-flavoured Markdown with a title, a one-line
//! description (seeds/report_tables.toml) and numbers formatted for reading (counts with thousands
//! separators, rates to one decimal, shares as percentages). Long tables show their first rows and point at
//! the CSV. The `definition` and `definition_sha256` columns, the same in every row, are stated once above the
//! table instead of repeated in it.

use super::workbook::{column_kinds, load_table, present_tables, table_cells, Cell, Kind, TableInfo, WORKBOOK};
use super::ReportError;
use crate::number_format::thousands_f64;
use std::path::Path;

/// Most rows shown in a Markdown table.
pub const MAX_ROWS: usize = 200;

/// Columns stated once above the table when they hold one value throughout.
const PROVENANCE: [&str; 2] = ["definition", "definition_sha256"];


fn trim_decimals(s: String) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A cell as Markdown text (pipes escaped, line breaks flattened).
pub fn format_cell(cell: &Cell, kind: Kind) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        // Text from inputs is text, never markup (escapes `|` too, which would end the cell).
        Cell::Text(t) => super::markdown_text::md(t),
        Cell::Num(x) => {
            let x = *x;
            match kind {
                Kind::Count => thousands_f64(x),
                Kind::OneDp => format!("{x:.1}"),
                Kind::TwoDp => format!("{x:.2}"),
                Kind::Percent => format!("{:.1}%", x * 100.0),
                Kind::PValue if x > 0.0 && x < 0.0001 => "<0.0001".to_string(),
                Kind::PValue => format!("{x:.4}"),
                Kind::General | Kind::Text | Kind::Bool => trim_decimals(format!("{x:.3}")),
            }
        }
    }
}

fn constant_text(cells: &[Cell]) -> Option<String> {
    let first = match cells.first() {
        Some(Cell::Text(t)) => t.clone(),
        _ => return None,
    };
    cells.iter().all(|c| matches!(c, Cell::Text(t) if *t == first)).then_some(first)
}

/// The Markdown text of one table.
pub fn render_table(info: &TableInfo, df: &polars::prelude::DataFrame) -> Result<String, ReportError> {
    let cells = table_cells(df)?;
    let kinds = column_kinds(df, &cells);
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let rows = df.height();
    let mut shown: Vec<usize> = Vec::new();
    let mut provenance: Vec<(String, String)> = Vec::new();
    for (j, name) in names.iter().enumerate() {
        if PROVENANCE.contains(&name.as_str())
            && let Some(v) = constant_text(&cells[j])
        {
            provenance.push((name.clone(), v));
            continue;
        }
        shown.push(j);
    }
    let mut md = String::new();
    md.push_str(&format!("# {}\n\n", info.title));
    if !info.description.is_empty() {
        md.push_str(&format!("{}\n\n", info.description));
    }
    let csv = format!("../../tables/{}.csv", info.name);
    md.push_str(&format!(
        "Table `{}`: {} row{}. Full table: [`tables/{}.csv`]({csv}); also the `{}` sheet of `{WORKBOOK}`.",
        info.name,
        thousands_f64(rows as f64),
        if rows == 1 { "" } else { "s" },
        info.name,
        info.name
    ));
    let def = provenance.iter().find(|(k, _)| k == "definition").map(|(_, v)| v.as_str());
    let sha = provenance.iter().find(|(k, _)| k == "definition_sha256").map(|(_, v)| v.as_str());
    match (def, sha) {
        (Some(d), Some(h)) => md.push_str(&format!(" Definition: {d} (SHA-256 `{h}`).")),
        (Some(d), None) => md.push_str(&format!(" Definition: {d}.")),
        (None, Some(h)) => md.push_str(&format!(" Definition SHA-256 `{h}`.")),
        (None, None) => {}
    }
    md.push_str("\n\n");
    if shown.is_empty() {
        return Ok(md);
    }
    let line = |parts: Vec<String>| format!("| {} |\n", parts.join(" | "));
    md.push_str(&line(shown.iter().map(|&j| format_cell(&Cell::Text(names[j].clone()), Kind::Text)).collect()));
    md.push_str(&format!(
        "|{}|\n",
        shown
            .iter()
            .map(|&j| if matches!(kinds[j], Kind::Text | Kind::Bool) { "---" } else { "---:" })
            .collect::<Vec<_>>()
            .join("|")
    ));
    for i in 0..rows.min(MAX_ROWS) {
        let row: Vec<String> =
            shown.iter().map(|&j| cells[j].get(i).map(|c| format_cell(c, kinds[j])).unwrap_or_default()).collect();
        md.push_str(&line(row));
    }
    if rows == 0 {
        md.push_str("\nThe table has no rows.\n");
    } else if rows > MAX_ROWS {
        md.push_str(&format!(
            "\nFirst {MAX_ROWS} of {} rows shown; the full table is in [`tables/{}.csv`]({csv}).\n",
            thousands_f64(rows as f64),
            info.name
        ));
    }
    Ok(md)
}

/// Write `report/tables/<name>.md` for every table in `<out>/tables/`; returns the files written, relative to
/// `out`.
pub fn write_markdown_tables(out: &Path) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    for info in present_tables(out)? {
        let df = load_table(out, &info.name)?;
        let text = render_table(&info, &df)?;
        let rel = format!("report/tables/{}.md", info.name);
        let path = out.join(&rel);
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| ReportError::Io { path: path.display().to_string(), source })?;
        written.push(rel);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn info() -> TableInfo {
        TableInfo { name: "t".into(), title: "A table".into(), description: "What it holds.".into() }
    }

    #[test]
    fn numbers_are_formatted_by_kind() {
        assert_eq!(format_cell(&Cell::Num(250011.0), Kind::Count), "250,011");
        assert_eq!(format_cell(&Cell::Num(-1234.0), Kind::Count), "-1,234");
        assert_eq!(format_cell(&Cell::Num(999.0), Kind::Count), "999");
        assert_eq!(format_cell(&Cell::Num(17.4992), Kind::OneDp), "17.5");
        assert_eq!(format_cell(&Cell::Num(0.2608), Kind::Percent), "26.1%");
        assert_eq!(format_cell(&Cell::Num(0.00001), Kind::PValue), "<0.0001");
        assert_eq!(format_cell(&Cell::Num(0.69974), Kind::PValue), "0.6997");
        assert_eq!(format_cell(&Cell::Num(0.401212), Kind::General), "0.401");
        assert_eq!(format_cell(&Cell::Num(2.5), Kind::General), "2.5");
        assert_eq!(format_cell(&Cell::Text("a|b\nc".into()), Kind::Text), "a\\|b c");
        assert_eq!(format_cell(&Cell::Empty, Kind::OneDp), "");
    }

    #[test]
    fn renders_header_alignment_and_provenance() {
        let df = df!(
            "definition" => ["d", "d"],
            "definition_sha256" => ["abc", "abc"],
            "ward_name" => ["A", "B"],
            "offences" => [3i64, 4],
            "rate" => [1.25, 2.0],
            "share" => [0.5, 0.25],
        )
        .expect("frame");
        let md = render_table(&info(), &df).expect("renders");
        assert!(md.starts_with("# A table\n\nWhat it holds.\n"));
        assert!(md.contains("Definition: d (SHA-256 `abc`)."));
        assert!(md.contains("| ward_name | offences | rate | share |\n|---|---:|---:|---:|\n"));
        assert!(md.contains("| A | 3 | 1.2 | 50.0% |") || md.contains("| A | 3 | 1.3 | 50.0% |"));
        assert!(md.contains("| B | 4 | 2.0 | 25.0% |"));
    }

    #[test]
    fn long_tables_are_cut_with_a_note() {
        let n = MAX_ROWS + 5;
        let df = df!("i" => (0..n as i64).collect::<Vec<_>>()).expect("frame");
        let md = render_table(&info(), &df).expect("renders");
        let body_rows = md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| i |")).count();
        assert_eq!(body_rows, MAX_ROWS);
        assert!(md.contains(&format!("First {MAX_ROWS} of {n} rows shown")));
        assert!(md.contains("(../../tables/t.csv)"));
    }
}
