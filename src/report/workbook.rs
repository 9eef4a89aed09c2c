//! `report/tables.xlsx`: every analysis table as a worksheet (bold, frozen header row; numbers stored as
//! numbers with a format chosen from the column name), after a README sheet with the assessment, the
//! definition, the sources read (from the manifest), the methods and a list of the sheets.
//!
//! The helpers shared with the Markdown tables (which tables exist and in what order, their titles and
//! descriptions, and how each column is formatted) live here too.

use super::{ReportError, ReportSettings};
use crate::table_io::read_parquet;
use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Path of the workbook, relative to the output folder.
pub const WORKBOOK: &str = "report/tables.xlsx";

/// Excel's limit on worksheet names.
const MAX_SHEET_NAME: usize = 31;
/// Widest a column is autofitted to (long notes and method descriptions would otherwise be very wide).
const MAX_AUTOFIT_PX: u32 = 480;

// ---------------------------------------------------------------------------------------------------------
// Table catalogue (seeds/report_tables.toml)

/// Title and one-line description of an analysis table.
#[derive(Debug, Clone, Deserialize)]
pub struct TableInfo {
    pub name: String,
    pub title: String,
    pub description: String,
}

#[derive(Deserialize)]
struct Catalogue {
    #[serde(default)]
    table: Vec<TableInfo>,
}

/// The tables the report knows, in report order.
pub fn catalogue() -> Result<Vec<TableInfo>, ReportError> {
    toml::from_str::<Catalogue>(crate::embedded::REPORT_TABLES)
        .map(|c| c.table)
        .map_err(|e| ReportError::Table(format!("seeds/report_tables.toml: {e}")))
}

/// The tables present in `<out>/tables/*.parquet`: those in the catalogue in its order, then any others
/// alphabetically (with their name as the title).
pub fn present_tables(out: &Path) -> Result<Vec<TableInfo>, ReportError> {
    let dir = out.join("tables");
    let mut names = BTreeSet::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(&dir).map_err(|source| ReportError::Io { path: dir.display().to_string(), source })?;
        for e in entries {
            let e = e.map_err(|source| ReportError::Io { path: dir.display().to_string(), source })?;
            let p = e.path();
            if p.is_file()
                && p.extension().is_some_and(|x| x == "parquet")
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                && !stem.starts_with('.')
            {
                names.insert(stem.to_string());
            }
        }
    }
    let mut out_list = Vec::new();
    for info in catalogue()? {
        if names.remove(&info.name) {
            out_list.push(info);
        }
    }
    out_list.extend(names.into_iter().map(|name| TableInfo {
        title: name.replace('_', " "),
        description: String::new(),
        name,
    }));
    Ok(out_list)
}

pub fn load_table(out: &Path, name: &str) -> Result<DataFrame, ReportError> {
    let path = out.join("tables").join(format!("{name}.parquet"));
    read_parquet(&path).map_err(|e| ReportError::Table(e.to_string()))
}

// ---------------------------------------------------------------------------------------------------------
// Column kinds and cell values

/// How a column is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Bool,
    /// Whole numbers: counts, populations, ranks, indexes.
    Count,
    /// One decimal: rates and their intervals, percentage changes, aoristic weights.
    OneDp,
    /// Two decimals: ratios and z-scores.
    TwoDp,
    /// A share held as a fraction, shown as a percentage.
    Percent,
    /// P-values, four decimals.
    PValue,
    /// Any other number (up to three decimals in Markdown, unformatted in the workbook).
    General,
}

impl Kind {
    /// The workbook number format, if any.
    pub fn num_format(self) -> Option<&'static str> {
        match self {
            Kind::Count => Some("0"),
            Kind::OneDp => Some("0.0"),
            Kind::TwoDp => Some("0.00"),
            Kind::Percent => Some("0.0%"),
            Kind::PValue => Some("0.0000"),
            Kind::Text | Kind::Bool | Kind::General => None,
        }
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Num(f64),
    Bool(bool),
    Text(String),
}

fn is_bound(name: &str) -> bool {
    matches!(name, "lower" | "upper") || name.ends_with("_lower") || name.ends_with("_upper")
}

/// The kind a numeric column's name implies, if it implies one.
fn kind_from_name(name: &str) -> Option<Kind> {
    let n = name.to_ascii_lowercase();
    if n == "p_value" || n.starts_with("p_") || n.ends_with("_p_value") {
        Some(Kind::PValue)
    } else if n.contains("ratio") || n.ends_with("_z") || n == "z" || n == "alpha" {
        Some(Kind::TwoDp)
    } else if n.contains("share") || n.contains("proportion") || n == "completeness" || n == "confidence" {
        Some(Kind::Percent)
    } else if n.contains("rate") || n.contains("percent") || n == "weight" || n.ends_with("_per_week") {
        Some(Kind::OneDp)
    } else {
        None
    }
}

/// Kinds of every column: text and booleans by type; integers are counts; floats by name, with a
/// confidence bound (`lower`, `upper`, `*_lower`, `*_upper`) taking the kind of the estimate before it;
/// otherwise whole-valued floats are counts and the rest general numbers.
pub fn column_kinds(df: &DataFrame, cells: &[Vec<Cell>]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(df.width());
    let mut last_estimate: Option<Kind> = None;
    for (i, c) in df.columns().iter().enumerate() {
        let name = c.name().as_str();
        let dtype = c.dtype();
        let kind = if dtype.is_bool() {
            Kind::Bool
        } else if !dtype.is_primitive_numeric() {
            Kind::Text
        } else if dtype.is_integer() {
            Kind::Count
        } else if is_bound(name) {
            last_estimate.unwrap_or(Kind::General)
        } else if let Some(k) = kind_from_name(name) {
            k
        } else {
            let whole = cells.get(i).is_some_and(|col| {
                col.iter().all(|v| match v {
                    Cell::Num(x) => x.fract() == 0.0 && x.abs() < 1e15,
                    _ => true,
                })
            });
            if whole { Kind::Count } else { Kind::General }
        };
        if matches!(dtype, DataType::Float32 | DataType::Float64) && !is_bound(name) {
            last_estimate = Some(kind);
        }
        kinds.push(kind);
    }
    kinds
}

/// The cells of one column: numbers (finite only) as numbers, booleans, everything else as text.
pub fn column_cells(c: &Column) -> Result<Vec<Cell>, ReportError> {
    let terr = |e: PolarsError| ReportError::Table(format!("column {}: {e}", c.name()));
    let dtype = c.dtype();
    if dtype.is_bool() {
        let b = c.bool().map_err(terr)?;
        return Ok(b.iter().map(|v| v.map(Cell::Bool).unwrap_or(Cell::Empty)).collect());
    }
    if dtype.is_primitive_numeric() {
        let f = c.cast(&DataType::Float64).map_err(terr)?;
        let f = f.f64().map_err(terr)?;
        return Ok(f.iter().map(|v| v.filter(|x| x.is_finite()).map(Cell::Num).unwrap_or(Cell::Empty)).collect());
    }
    match c.cast(&DataType::String) {
        Ok(s) => {
            let s = s.str().map_err(terr)?;
            Ok(s.iter().map(|v| v.map(|t| Cell::Text(t.to_string())).unwrap_or(Cell::Empty)).collect())
        }
        // Types with no string cast (lists, structs): their display form.
        Err(_) => (0..c.len())
            .map(|i| {
                let v = c.get(i).map_err(terr)?;
                Ok(if v.is_null() { Cell::Empty } else { Cell::Text(v.to_string()) })
            })
            .collect(),
    }
}

/// Every column's cells, column by column.
pub fn table_cells(df: &DataFrame) -> Result<Vec<Vec<Cell>>, ReportError> {
    df.columns().iter().map(column_cells).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Sheet names

/// A worksheet name for `name`: characters Excel forbids replaced, at most 31 characters, unique among
/// `used` (a numeric suffix is added when needed). Excel compares sheet names case-insensitively.
pub fn sheet_name(name: &str, used: &mut BTreeSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|ch| if matches!(ch, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '_' } else { ch })
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let clean = if clean.is_empty() { "table".to_string() } else { clean };
    let truncate = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut candidate = truncate(&clean, MAX_SHEET_NAME);
    let mut i = 2;
    while used.contains(&candidate.to_lowercase()) {
        let suffix = format!("~{i}");
        candidate = format!("{}{suffix}", truncate(&clean, MAX_SHEET_NAME - suffix.chars().count()));
        i += 1;
    }
    used.insert(candidate.to_lowercase());
    candidate
}

// ---------------------------------------------------------------------------------------------------------
// Writing

fn xerr(path: &Path) -> impl Fn(XlsxError) -> ReportError + '_ {
    move |e| ReportError::Io { path: path.display().to_string(), source: std::io::Error::other(e.to_string()) }
}

/// Write one table's sheet: bold frozen header, typed cells, autofit.
fn write_table_sheet(ws: &mut Worksheet, df: &DataFrame, path: &Path) -> Result<(), ReportError> {
    let xe = xerr(path);
    let header = Format::new().set_bold();
    let cells = table_cells(df)?;
    let kinds = column_kinds(df, &cells);
    let formats: Vec<Option<Format>> =
        kinds.iter().map(|k| k.num_format().map(|f| Format::new().set_num_format(f))).collect();
    for (j, c) in df.columns().iter().enumerate() {
        let col = j as u16;
        ws.write_string_with_format(0, col, c.name().as_str(), &header).map_err(&xe)?;
        for (i, v) in cells[j].iter().enumerate() {
            let row = (i + 1) as u32;
            match v {
                Cell::Empty => {}
                Cell::Num(x) => match &formats[j] {
                    Some(f) => {
                        ws.write_number_with_format(row, col, *x, f).map_err(&xe)?;
                    }
                    None => {
                        ws.write_number(row, col, *x).map_err(&xe)?;
                    }
                },
                Cell::Bool(b) => {
                    ws.write_boolean(row, col, *b).map_err(&xe)?;
                }
                Cell::Text(t) => {
                    ws.write_string(row, col, t).map_err(&xe)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(&xe)?;
    ws.set_autofit_max_width(MAX_AUTOFIT_PX);
    ws.autofit();
    Ok(())
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p}%") }
}

/// The methods paragraph lines (also suitable for other report files).
pub fn methods_lines(s: &ReportSettings) -> Vec<String> {
    let a = &s.pipeline.analysis;
    let conf = pct(a.confidence);
    let privacy = &s.pipeline.privacy;
    let mut suppression = if privacy.suppress_below > 1 {
        format!(
            "Public tier (public/): counts from 1 to {} are suppressed (primary suppression), with secondary suppression \
             so no suppressed count can be recovered from row or column totals; rates, confidence intervals and \
             percentages based on a suppressed count are suppressed too",
            privacy.suppress_below - 1
        )
    } else {
        "Public tier (public/): no suppression threshold is set ([privacy] suppress_below)".to_string()
    };
    if privacy.round_to > 1 {
        suppression.push_str(&format!("; published counts are rounded to the nearest {}", privacy.round_to));
    }
    suppression.push_str(". This workbook is the restricted version and is not suppressed.");
    vec![
        format!(
            "Rates: per 1,000 residents (per 100 pupils for school exclusions) with {conf} confidence intervals: exact \
             Poisson (Gamma) limits for counts under 10, Byar's approximation from 10 upwards."
        ),
        format!("Proportions and shares: Wilson score intervals ({conf})."),
        format!(
            "Rate ratios (disproportionality against the reference group \"{}\", and period on period): log-normal \
             intervals, with the exact conditional (binomial) interval when a count is small or zero.",
            a.reference_group
        ),
        format!(
            "Change on the previous period: exact conditional test of the split of the two counts given their total, \
             allowing for the periods' lengths; \"significant\" means p < {}.",
            a.alpha
        ),
        format!(
            "Hot and cold spots: Getis-Ord Gi* on ward rates with queen contiguity of the ward boundaries (tolerance {} m); \
             p-values adjusted for multiple testing by {} at alpha {}.",
            a.contiguity_tolerance_m, a.fdr_method, a.alpha
        ),
        "Concentration: share of offences in the top wards, the fewest wards holding half of offences, and the Gini \
         coefficient over ward counts."
            .to_string(),
        "Time of day: aoristic apportioning (Ratcliffe 2002) of each offence uniformly over the time between its \
         earliest and latest possible times, into 168 hour x weekday bins; offences with no end time count in their \
         start hour, and those spanning a week or more 1/168 in every hour."
            .to_string(),
        suppression,
    ]
}

/// Source and file rows from the manifest: (source, file, sha256, rows read, rows staged, rows rejected).
type SourceRow = (String, String, String, Option<f64>, Option<f64>, Option<f64>);

fn manifest_sources(out: &Path) -> Option<Vec<SourceRow>> {
    let text = std::fs::read_to_string(out.join("manifest.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut rows = Vec::new();
    for src in v.get("sources")?.as_array()? {
        let name = src.get("source").and_then(|x| x.as_str()).unwrap_or("").to_string();
        let files = src.get("files").and_then(|f| f.as_array()).cloned().unwrap_or_default();
        for f in files {
            let num = |k: &str| f.get(k).and_then(|x| x.as_f64());
            rows.push((
                name.clone(),
                f.get("path").and_then(|x| x.as_str()).unwrap_or("").to_string(),
                f.get("sha256").and_then(|x| x.as_str()).unwrap_or("").to_string(),
                num("rows_read"),
                num("rows_staged"),
                num("rows_rejected"),
            ));
        }
    }
    Some(rows)
}

/// (sheet name, table) pairs listed on the README sheet.
struct SheetEntry<'a> {
    sheet: String,
    info: &'a TableInfo,
    rows: usize,
}

fn write_readme(ws: &mut Worksheet, out: &Path, s: &ReportSettings, sheets: &[SheetEntry], path: &Path) -> Result<(), ReportError> {
    let xe = xerr(path);
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let count = Format::new().set_num_format("#,##0");
    ws.set_column_width(0, 24).map_err(&xe)?;
    ws.set_column_width(1, 90).map_err(&xe)?;
    ws.set_column_width(2, 66).map_err(&xe)?;
    for c in 3..=5 {
        ws.set_column_width(c, 13).map_err(&xe)?;
    }
    let p = s.pipeline;
    let d = s.definition;
    let mut r: u32 = 0;
    ws.write_string_with_format(r, 0, &p.name, &title).map_err(&xe)?;
    r += 2;
    let pair = |ws: &mut Worksheet, r: &mut u32, k: &str, v: &str| -> Result<(), ReportError> {
        ws.write_string_with_format(*r, 0, k, &bold).map_err(&xe)?;
        ws.write_string_with_format(*r, 1, v, &wrap).map_err(&xe)?;
        *r += 1;
        Ok(())
    };
    pair(ws, &mut r, "Assessment", &p.name)?;
    pair(ws, &mut r, "Area", &p.area)?;
    pair(ws, &mut r, "Period", &format!("{} ({})", p.period.label(), p.period.short_label()))?;
    let previous = if p.previous.is_empty() {
        "none".to_string()
    } else {
        p.previous.iter().map(|q| format!("{} ({})", q.label(), q.short_label())).collect::<Vec<_>>().join("; ")
    };
    pair(ws, &mut r, "Previous periods", &previous)?;
    pair(ws, &mut r, "Produced by", &format!("sna {}", env!("CARGO_PKG_VERSION")))?;
    pair(
        ws,
        &mut r,
        "Restricted",
        "This workbook holds unsuppressed figures. Publish only the suppressed tables in public/.",
    )?;
    r += 1;
    ws.write_string_with_format(r, 0, "Definition", &title).map_err(&xe)?;
    r += 1;
    let meta = &d.file.definition;
    pair(ws, &mut r, "Name", &format!("{} ({})", d.name(), meta.title))?;
    pair(ws, &mut r, "Version", &meta.version)?;
    pair(ws, &mut r, "SHA-256", &d.sha256)?;
    pair(ws, &mut r, "Source", &meta.source)?;
    pair(ws, &mut r, "Text", meta.text.trim())?;
    if !meta.notes.trim().is_empty() {
        pair(ws, &mut r, "Notes", meta.notes.trim())?;
    }
    let themes = d.themes().into_iter().map(|t| format!("{} ({})", t.label, t.key)).collect::<Vec<_>>().join("; ");
    pair(ws, &mut r, "Themes", &themes)?;
    r += 1;
    ws.write_string_with_format(r, 0, "Sources", &title).map_err(&xe)?;
    r += 1;
    match manifest_sources(out) {
        Some(rows) if !rows.is_empty() => {
            for (j, h) in ["Source", "File", "SHA-256", "Rows read", "Rows staged", "Rows rejected"].iter().enumerate() {
                ws.write_string_with_format(r, j as u16, *h, &bold).map_err(&xe)?;
            }
            r += 1;
            for (src, file, sha, read, staged, rejected) in rows {
                ws.write_string(r, 0, &src).map_err(&xe)?;
                ws.write_string(r, 1, &file).map_err(&xe)?;
                ws.write_string(r, 2, &sha).map_err(&xe)?;
                for (j, v) in [read, staged, rejected].into_iter().enumerate() {
                    if let Some(v) = v {
                        ws.write_number_with_format(r, 3 + j as u16, v, &count).map_err(&xe)?;
                    }
                }
                r += 1;
            }
        }
        _ => {
            let configured =
                p.sources.iter().map(|c| format!("{} ({} files)", c.name, c.files.len())).collect::<Vec<_>>().join("; ");
            pair(ws, &mut r, "Configured", &configured)?;
            pair(ws, &mut r, "Note", "manifest.json has no sources: run `sna ingest` for file hashes and row counts.")?;
        }
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Methods", &title).map_err(&xe)?;
    r += 1;
    for line in methods_lines(s) {
        ws.write_string_with_format(r, 1, &line, &wrap).map_err(&xe)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Sheets", &title).map_err(&xe)?;
    r += 1;
    for (j, h) in ["Sheet", "Contents", "Table file", "Rows"].iter().enumerate() {
        ws.write_string_with_format(r, j as u16, *h, &bold).map_err(&xe)?;
    }
    r += 1;
    for e in sheets {
        ws.write_string(r, 0, &e.sheet).map_err(&xe)?;
        let line =
            if e.info.description.is_empty() { e.info.title.clone() } else { format!("{}: {}", e.info.title, e.info.description) };
        ws.write_string_with_format(r, 1, &line, &wrap).map_err(&xe)?;
        ws.write_string(r, 2, format!("tables/{}.csv", e.info.name)).map_err(&xe)?;
        ws.write_number_with_format(r, 3, e.rows as f64, &count).map_err(&xe)?;
        r += 1;
    }
    Ok(())
}

/// An empty workbook whose document properties are fixed by its arguments: the creation time is `created`
/// (the end of the assessment period) rather than the clock, so the same tables give the same bytes
/// (rust_xlsxwriter already fixes the zip entries' timestamps).
fn new_workbook(created: chrono::NaiveDate, title: &str, comment: &str) -> Result<Workbook, XlsxError> {
    use chrono::Datelike;
    let created = ExcelDateTime::from_ymd(created.year().clamp(1900, 9999) as u16, created.month() as u8, created.day() as u8)?;
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new().set_title(title).set_author("sna").set_comment(comment).set_creation_datetime(&created),
    );
    Ok(wb)
}

/// Build the workbook in memory.
fn build(out: &Path, s: &ReportSettings, path: &Path) -> Result<Workbook, ReportError> {
    let xe = xerr(path);
    let tables = present_tables(out)?;
    let mut wb = new_workbook(
        s.pipeline.period.end,
        &format!("{}: tables", s.pipeline.name),
        &format!("Definition {} {}", s.definition.name(), s.definition.sha256),
    )
    .map_err(&xe)?;
    let mut used = BTreeSet::new();
    let readme_name = sheet_name("README", &mut used);
    wb.add_worksheet().set_name(&readme_name).map_err(&xe)?;
    let mut entries = Vec::with_capacity(tables.len());
    for info in &tables {
        let df = load_table(out, &info.name)?;
        let sheet = sheet_name(&info.name, &mut used);
        let ws = wb.add_worksheet().set_name(&sheet).map_err(&xe)?;
        write_table_sheet(ws, &df, path)?;
        entries.push(SheetEntry { sheet, info, rows: df.height() });
    }
    let readme = wb.worksheet_from_index(0).map_err(&xe)?;
    write_readme(readme, out, s, &entries, path)?;
    Ok(wb)
}

/// Write `report/tables.xlsx` (atomically); returns the file written, relative to `out`.
pub fn write_workbook(out: &Path, settings: &ReportSettings) -> Result<Vec<String>, ReportError> {
    let path = out.join(WORKBOOK);
    let mut wb = build(out, settings, &path)?;
    crate::fsutil::with_atomic_file(&path, |tmp| wb.save(tmp).map_err(|e| std::io::Error::other(e.to_string())))
        .map_err(|source| ReportError::Io { path: path.display().to_string(), source })?;
    Ok(vec![WORKBOOK.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_unique_and_legal() {
        let mut used = BTreeSet::new();
        let long = "partners_exclusions_reasons_by_ward_and_theme";
        let a = sheet_name(long, &mut used);
        let b = sheet_name(long, &mut used);
        let c = sheet_name("a/b:c?", &mut used);
        assert_eq!(a.chars().count(), 31);
        assert!(b.chars().count() <= 31);
        assert_ne!(a.to_lowercase(), b.to_lowercase());
        assert_eq!(c, "a_b_c_");
        assert_eq!(sheet_name("README", &mut used), "README");
        assert_ne!(sheet_name("readme", &mut used).to_lowercase(), "readme");
    }

    #[test]
    fn catalogue_parses_and_names_are_unique() {
        let cat = catalogue().expect("catalogue parses");
        assert!(cat.len() >= 20);
        let names: BTreeSet<_> = cat.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), cat.len());
        assert!(cat.iter().all(|t| !t.title.is_empty() && !t.description.is_empty() && !t.description.contains('\n')));
    }

    #[test]
    fn kinds_follow_names_and_bounds_follow_estimates() {
        let df = df!(
            "ward_name" => ["a", "b"],
            "offences" => [1i64, 2],
            "population" => [1000.0, 2000.0],
            "rate" => [1.234, 2.5],
            "lower" => [1.0, 2.0],
            "upper" => [1.5, 3.0],
            "share" => [0.25, 0.75],
            "share_lower" => [0.2, 0.7],
            "rate_ratio" => [1.1, 0.9],
            "rate_ratio_upper" => [1.3, 1.2],
            "p_value" => [0.01, 0.5],
            "gini" => [0.4012, 0.4012],
            "significant" => [true, false],
        )
        .expect("frame");
        let cells = table_cells(&df).expect("cells");
        let kinds = column_kinds(&df, &cells);
        use Kind::*;
        assert_eq!(
            kinds,
            vec![Text, Count, Count, OneDp, OneDp, OneDp, Percent, Percent, TwoDp, TwoDp, PValue, General, Bool]
        );
    }

    fn big_wards_table(n_wards: usize, themes: &[&str]) -> DataFrame {
        let n = n_wards * themes.len();
        let theme: Vec<String> = (0..n).map(|i| themes[i / n_wards].to_string()).collect();
        let code: Vec<String> = (0..n).map(|i| format!("E05{:06}", i % n_wards)).collect();
        let offences: Vec<i64> = (0..n).map(|i| (i * 7 % 500) as i64).collect();
        let population: Vec<f64> = (0..n).map(|i| 8000.0 + (i % 97) as f64 * 50.0).collect();
        let rate: Vec<f64> = offences.iter().zip(&population).map(|(o, p)| *o as f64 * 1000.0 / p).collect();
        let lower: Vec<Option<f64>> = rate.iter().map(|r| if *r > 0.0 { Some(r * 0.8) } else { None }).collect();
        let upper: Vec<f64> = rate.iter().map(|r| r * 1.2 + 0.5).collect();
        let share: Vec<f64> = offences.iter().map(|o| *o as f64 / 100_000.0).collect();
        df!(
            "theme" => theme, "ward_code" => code, "offences" => offences, "population" => population,
            "rate" => rate, "lower" => lower, "upper" => upper, "share" => share,
        )
        .expect("frame")
    }

    fn save_to_bytes(df: &DataFrame) -> Vec<u8> {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
        let mut wb = new_workbook(date, "t", "c").expect("workbook");
        let path = Path::new("mem.xlsx");
        write_table_sheet(wb.add_worksheet().set_name("place_wards").expect("name"), df, path).expect("sheet");
        wb.save_to_buffer().expect("saved")
    }

    #[test]
    fn big_tables_are_written_quickly_and_deterministically() {
        let df = big_wards_table(700, &["serious_violence", "under_25", "domestic_abuse", "sexual_violence", "knife"]);
        let t = std::time::Instant::now();
        let a = save_to_bytes(&df);
        let elapsed = t.elapsed();
        let b = save_to_bytes(&df);
        assert!(elapsed.as_secs() < 20, "3,500-row sheet took {elapsed:?}");
        assert_eq!(a, b, "two builds give the same bytes");
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("big.xlsx");
        std::fs::write(&path, &a).expect("write");
        use calamine::{open_workbook, Data, Reader, Xlsx};
        let mut x: Xlsx<_> = open_workbook(&path).expect("opens");
        let range = x.worksheet_range("place_wards").expect("sheet");
        assert_eq!(range.height(), 3501);
        assert_eq!(range.get_value((0, 4)), Some(&Data::String("rate".into())));
        assert!(matches!(range.get_value((1, 2)), Some(Data::Float(_)) | Some(Data::Int(_))));
        // A null bound is an empty cell.
        assert!(matches!(range.get_value((1, 5)), None | Some(Data::Empty)));
    }

    #[test]
    fn cells_keep_numbers_and_nulls() {
        let df = df!("x" => [Some(1.5), None, Some(f64::NAN)], "t" => [Some("a"), None, Some("c")]).expect("frame");
        let cells = table_cells(&df).expect("cells");
        assert_eq!(cells[0], vec![Cell::Num(1.5), Cell::Empty, Cell::Empty]);
        assert_eq!(cells[1], vec![Cell::Text("a".into()), Cell::Empty, Cell::Text("c".into())]);
    }
}
