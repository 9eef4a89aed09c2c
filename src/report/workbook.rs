//! `report/tables.xlsx`: every analysis table as a worksheet (bold, frozen header row; numbers stored as
//! numbers with a format chosen from the column name), after a README sheet with the assessment, the
//! definition, the sources read (from the manifest), the methods and a list of the sheets.
//!
//! The helpers shared with the Markdown tables (which tables exist and in what order, their titles and
//! descriptions, and how each column is formatted) live here too.

use super::public::SUPPRESSED;
use super::{ReportError, ReportSettings, Tier};
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
    tables_in(&out.join("tables"), "parquet")
}

/// The tables with a `<name>.<ext>` file in `dir` (none when `dir` does not exist), ordered as in
/// [`present_tables`]; shared by the restricted (parquet) and published (CSV) workbooks.
fn tables_in(dir: &Path, ext: &str) -> Result<Vec<TableInfo>, ReportError> {
    let mut names = BTreeSet::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Io { path: dir.display().to_string(), source })?;
        for e in entries {
            let e = e.map_err(|source| ReportError::Io { path: dir.display().to_string(), source })?;
            let p = e.path();
            if p.is_file()
                && p.extension().is_some_and(|x| x == ext)
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

/// A column's storage type, as far as the kind of a column depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColType {
    Bool,
    Text,
    Int,
    Float,
}

/// Kinds of every column: text and booleans by type; integers are counts; floats by name, with a
/// confidence bound (`lower`, `upper`, `*_lower`, `*_upper`) taking the kind of the estimate before it;
/// otherwise whole-valued floats are counts and the rest general numbers.
pub fn column_kinds(df: &DataFrame, cells: &[Vec<Cell>]) -> Vec<Kind> {
    let cols: Vec<(&str, ColType)> = df
        .columns()
        .iter()
        .map(|c| {
            let dtype = c.dtype();
            let t = if dtype.is_bool() {
                ColType::Bool
            } else if !dtype.is_primitive_numeric() {
                ColType::Text
            } else if dtype.is_integer() {
                ColType::Int
            } else {
                ColType::Float
            };
            (c.name().as_str(), t)
        })
        .collect();
    kinds_of(&cols, cells)
}

/// [`column_kinds`] from column names and storage types (shared by parquet and CSV tables).
fn kinds_of(cols: &[(&str, ColType)], cells: &[Vec<Cell>]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(cols.len());
    let mut last_estimate: Option<Kind> = None;
    for (i, &(name, t)) in cols.iter().enumerate() {
        let kind = match t {
            ColType::Bool => Kind::Bool,
            ColType::Text => Kind::Text,
            ColType::Int => Kind::Count,
            ColType::Float if is_bound(name) => last_estimate.unwrap_or(Kind::General),
            ColType::Float => match kind_from_name(name) {
                Some(k) => k,
                None => {
                    let whole = cells.get(i).is_some_and(|col| {
                        col.iter().all(|v| match v {
                            Cell::Num(x) => x.fract() == 0.0 && x.abs() < 1e15,
                            _ => true,
                        })
                    });
                    if whole { Kind::Count } else { Kind::General }
                }
            },
        };
        if t == ColType::Float && !is_bound(name) {
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

/// A table ready to write: column names, cells column by column, and each column's kind.
struct SheetTable {
    names: Vec<String>,
    cells: Vec<Vec<Cell>>,
    kinds: Vec<Kind>,
    rows: usize,
}

impl SheetTable {
    fn from_frame(df: &DataFrame) -> Result<Self, ReportError> {
        let cells = table_cells(df)?;
        let kinds = column_kinds(df, &cells);
        let names = df.columns().iter().map(|c| c.name().to_string()).collect();
        Ok(SheetTable { names, cells, kinds, rows: df.height() })
    }

    /// A published CSV: a column whose every filled cell is a number or `[c]` is numeric (integers, with
    /// no decimal point, are counts, as integer columns are in the restricted tables; a column with only `[c]`
    /// is a count), `true`/`false` columns are booleans, the rest text. `[c]` stays the text `[c]`; empty
    /// cells (blanked derived values) and non-finite numbers are empty.
    fn from_public_csv(path: &Path) -> Result<Self, ReportError> {
        let fail = |e: csv::Error| ReportError::Table(format!("{}: {e}", path.display()));
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(fail)?;
        let names: Vec<String> = reader.headers().map_err(fail)?.iter().map(str::to_string).collect();
        let mut raw: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut rows = 0;
        for record in reader.records() {
            let record = record.map_err(fail)?;
            for (j, col) in raw.iter_mut().enumerate() {
                col.push(record.get(j).unwrap_or("").to_string());
            }
            rows += 1;
        }
        let number = |v: &str| v.trim().parse::<f64>().ok();
        let is_int = |v: &str| v.trim().parse::<i64>().is_ok();
        let mut types = Vec::with_capacity(names.len());
        let mut cells = Vec::with_capacity(names.len());
        for col in &raw {
            let filled: Vec<&str> = col.iter().map(String::as_str).filter(|v| !v.trim().is_empty()).collect();
            let values: Vec<&str> = filled.iter().copied().filter(|v| *v != SUPPRESSED).collect();
            let t = if filled.is_empty() {
                ColType::Text
            } else if values.iter().all(|v| number(v).is_some()) {
                if values.iter().all(|v| is_int(v)) { ColType::Int } else { ColType::Float }
            } else if filled.len() == values.len() && values.iter().all(|v| matches!(*v, "true" | "false")) {
                ColType::Bool
            } else {
                ColType::Text
            };
            let cell = |v: &String| -> Cell {
                if v.trim().is_empty() {
                    return Cell::Empty;
                }
                match t {
                    _ if v == SUPPRESSED => Cell::Text(v.clone()),
                    ColType::Int | ColType::Float => {
                        number(v).filter(|x| x.is_finite()).map(Cell::Num).unwrap_or(Cell::Empty)
                    }
                    ColType::Bool => Cell::Bool(v == "true"),
                    ColType::Text => Cell::Text(v.clone()),
                }
            };
            cells.push(col.iter().map(cell).collect::<Vec<Cell>>());
            types.push(t);
        }
        let cols: Vec<(&str, ColType)> = names.iter().map(String::as_str).zip(types).collect();
        let kinds = kinds_of(&cols, &cells);
        Ok(SheetTable { names, cells, kinds, rows })
    }
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

/// Write a table's sheet: bold frozen header, numbers as numbers in their column's format, booleans, text;
/// text in a numeric column (the published tier's `[c]`) is right-aligned like the numbers around it.
fn write_sheet(ws: &mut Worksheet, t: &SheetTable, path: &Path) -> Result<(), ReportError> {
    let xe = xerr(path);
    let header = Format::new().set_bold();
    let right = Format::new().set_align(FormatAlign::Right);
    let formats: Vec<Option<Format>> =
        t.kinds.iter().map(|k| k.num_format().map(|f| Format::new().set_num_format(f))).collect();
    for (j, name) in t.names.iter().enumerate() {
        let col = j as u16;
        let numeric = !matches!(t.kinds.get(j), Some(Kind::Text | Kind::Bool) | None);
        let format = formats.get(j).and_then(Option::as_ref);
        ws.write_string_with_format(0, col, name, &header).map_err(&xe)?;
        for (i, v) in t.cells.get(j).into_iter().flatten().enumerate() {
            let row = (i + 1) as u32;
            match v {
                Cell::Empty => {}
                Cell::Num(x) => match format {
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
                Cell::Text(s) if numeric => {
                    ws.write_string_with_format(row, col, s, &right).map_err(&xe)?;
                }
                Cell::Text(s) => {
                    ws.write_string(row, col, s).map_err(&xe)?;
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

/// The methods paragraph lines (also suitable for other report files), as worded for the restricted tier.
pub fn methods_lines(s: &ReportSettings) -> Vec<String> {
    methods_lines_for(s, Tier::Restricted)
}

/// The methods lines; the last says which version of the tables this is.
fn methods_lines_for(s: &ReportSettings, tier: Tier) -> Vec<String> {
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
    suppression.push_str(match tier {
        Tier::Restricted => ". This workbook is the restricted version and is not suppressed.",
        Tier::Public => ". This workbook is the published version: every figure in it has been through this suppression.",
    });
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

/// Which README: the restricted one (sources with files, hashes and row counts from the manifest) or the
/// published one (sources by name and period only, the suppression rule, and the tables not published).
enum Edition<'a> {
    Restricted,
    Public { withheld: &'a Withheld },
}

fn write_readme(
    ws: &mut Worksheet,
    out: &Path,
    s: &ReportSettings,
    sheets: &[SheetEntry],
    edition: &Edition,
    path: &Path,
) -> Result<(), ReportError> {
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
    pair(ws, &mut r, "Run", &format!("{} (the run id in manifest.json and in every staged file and table of this run)", s.run_id))?;
    match edition {
        Edition::Restricted => pair(
            ws,
            &mut r,
            "Restricted",
            "This workbook holds unsuppressed figures. Publish only the suppressed tables in public/.",
        )?,
        Edition::Public { .. } => pair(
            ws,
            &mut r,
            "Published version",
            "This is the published version of the tables. Every sheet is built only from the suppressed tables in \
             public/tables/ (see Suppression below); it holds no unsuppressed counts.",
        )?,
    }
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
    let tier = match edition {
        Edition::Restricted => Tier::Restricted,
        Edition::Public { .. } => Tier::Public,
    };
    if tier == Tier::Public {
        // Names and periods only: the paths and hashes of the restricted extracts are not published.
        let mut names: Vec<String> = Vec::new();
        for n in manifest_sources(out).unwrap_or_default().into_iter().map(|row| row.0) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        if names.is_empty() {
            names = p.sources.iter().map(|c| c.name.clone()).collect();
        }
        let periods = std::iter::once(&p.period)
            .chain(&p.previous)
            .map(|q| format!("{} ({})", q.label(), q.short_label()))
            .collect::<Vec<_>>()
            .join("; ");
        for (j, h) in ["Source", "Periods"].iter().enumerate() {
            ws.write_string_with_format(r, j as u16, *h, &bold).map_err(&xe)?;
        }
        r += 1;
        for n in names {
            ws.write_string(r, 0, &n).map_err(&xe)?;
            ws.write_string_with_format(r, 1, &periods, &wrap).map_err(&xe)?;
            r += 1;
        }
    } else {
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
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Methods", &title).map_err(&xe)?;
    r += 1;
    for line in methods_lines_for(s, tier) {
        ws.write_string_with_format(r, 1, &line, &wrap).map_err(&xe)?;
        r += 1;
    }
    if let Edition::Public { withheld } = edition {
        r += 1;
        ws.write_string_with_format(r, 0, "Suppression", &title).map_err(&xe)?;
        r += 1;
        for (k, v) in suppression_lines(&s.pipeline.privacy) {
            pair(ws, &mut r, k, &v)?;
        }
        r += 1;
        ws.write_string_with_format(r, 0, "Not published", &title).map_err(&xe)?;
        r += 1;
        match withheld {
            Withheld::Listed(list) if list.is_empty() => pair(ws, &mut r, "None", "Every analysis table is published.")?,
            Withheld::Listed(list) => {
                for (name, why) in list {
                    pair(ws, &mut r, name, why)?;
                }
            }
            Withheld::Unknown => pair(
                ws,
                &mut r,
                "Unknown",
                "public/tables/README.md was not found, so the tables not published cannot be listed.",
            )?,
        }
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

/// The tables not published, with the reason, as listed in `public/tables/README.md`.
#[derive(Debug, Clone, PartialEq)]
enum Withheld {
    Listed(Vec<(String, String)>),
    /// The README is missing.
    Unknown,
}

/// The "Not published" section of `public/tables/README.md` (written by [`super::public::readme_text`]):
/// lines "- `name`: reason" up to the next heading.
fn withheld_from_readme(text: &str) -> Vec<(String, String)> {
    let mut list = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            inside = line.trim_start_matches('#').trim().eq_ignore_ascii_case("Not published");
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            let (name, why) = item.split_once(':').unwrap_or((item, ""));
            list.push((name.trim().trim_matches('`').to_string(), why.trim().to_string()));
        }
    }
    list
}

/// The suppression rule in words, from the privacy settings (as `public/tables/README.md` states it).
fn suppression_lines(privacy: &crate::pipeline::config::PrivacyConfig) -> Vec<(&'static str, String)> {
    let t = privacy.suppress_below;
    let primary = if t > 1 {
        format!(
            "Counts from 1 to {} (below the threshold of {t}, [privacy] suppress_below) are shown as {SUPPRESSED}. \
             Zero is shown as 0.",
            t - 1
        )
    } else {
        format!("Off: [privacy] suppress_below is {t}, so no count is suppressed for being small.")
    };
    let rounding = if privacy.round_to > 1 {
        format!(
            "Published counts are rounded to the nearest {} (halves upwards). Rates, shares and intervals are \
             computed from the unrounded counts, so they may not match the rounded counts exactly.",
            privacy.round_to
        )
    } else {
        "None: unsuppressed counts are exact.".to_string()
    };
    vec![
        ("Primary suppression", primary),
        (
            "Complementary suppression",
            "Cells whose sum is published (the wards of a theme, the age bands of a theme and role, the months of a \
             period, the rows and columns of the hour-by-weekday grid, the parts of an area total) form a group. \
             Wherever a group would hold exactly one suppressed cell, which could be worked out from the total, \
             the smallest other cell of the group is suppressed too, repeating until no group holds a single \
             suppressed cell."
                .to_string(),
        ),
        (
            "Derived values",
            format!(
                "Rates, confidence intervals, shares, percentages, ranks, ratios and tests that rest on a suppressed \
                 count are left blank (an empty cell) on that row; rate ratios are blank for a whole group when its \
                 reference group's count is suppressed. Cumulative shares and rolling totals are not published. \
                 {SUPPRESSED} marks a suppressed count; an empty cell is a blanked or missing value."
            ),
        ),
        ("Rounding", rounding),
    ]
}

/// Build a workbook in memory: README first, then a sheet per table of `tables`, each read by `load`.
fn build(
    out: &Path,
    s: &ReportSettings,
    path: &Path,
    title: &str,
    tables: &[TableInfo],
    load: impl Fn(&TableInfo) -> Result<SheetTable, ReportError>,
    edition: &Edition,
) -> Result<Workbook, ReportError> {
    let xe = xerr(path);
    let mut wb = new_workbook(
        s.pipeline.period.end,
        title,
        &format!("Definition {} {}", s.definition.name(), s.definition.sha256),
    )
    .map_err(&xe)?;
    let mut used = BTreeSet::new();
    let readme_name = sheet_name("README", &mut used);
    wb.add_worksheet().set_name(&readme_name).map_err(&xe)?;
    let mut entries = Vec::with_capacity(tables.len());
    for info in tables {
        let t = load(info)?;
        let sheet = sheet_name(&info.name, &mut used);
        let ws = wb.add_worksheet().set_name(&sheet).map_err(&xe)?;
        write_sheet(ws, &t, path)?;
        entries.push(SheetEntry { sheet, info, rows: t.rows });
    }
    let readme = wb.worksheet_from_index(0).map_err(&xe)?;
    write_readme(readme, out, s, &entries, edition, path)?;
    Ok(wb)
}

fn save(wb: &mut Workbook, path: &Path) -> Result<(), ReportError> {
    crate::fsutil::with_atomic_file(path, |tmp| wb.save(tmp).map_err(|e| std::io::Error::other(e.to_string())))
        .map_err(|source| ReportError::Io { path: path.display().to_string(), source })
}

/// Write `report/tables.xlsx` (atomically); returns the file written, relative to `out`.
pub fn write_workbook(out: &Path, settings: &ReportSettings) -> Result<Vec<String>, ReportError> {
    let path = out.join(WORKBOOK);
    let tables = present_tables(out)?;
    let title = format!("{}: tables", settings.pipeline.name);
    let load = |info: &TableInfo| SheetTable::from_frame(&load_table(out, &info.name)?);
    let mut wb = build(out, settings, &path, &title, &tables, load, &Edition::Restricted)?;
    save(&mut wb, &path)?;
    Ok(vec![WORKBOOK.to_string()])
}

/// Write `public/report/tables.xlsx` (atomically) from the suppressed `public/tables/*.csv` only (run it
/// after [`super::public::write_public_tables`]); returns the file written, relative to `out/public`, or
/// nothing when there is no `public/tables` folder.
pub fn write_public_workbook(out: &Path, settings: &ReportSettings) -> Result<Vec<String>, ReportError> {
    let public = out.join("public");
    let dir = public.join("tables");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let path = public.join(WORKBOOK);
    let tables = tables_in(&dir, "csv")?;
    let readme = dir.join("README.md");
    let withheld = match std::fs::read_to_string(&readme) {
        Ok(text) => Withheld::Listed(withheld_from_readme(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Withheld::Unknown,
        Err(source) => return Err(ReportError::Io { path: readme.display().to_string(), source }),
    };
    let title = format!("{}: published tables", settings.pipeline.name);
    let load = |info: &TableInfo| SheetTable::from_public_csv(&dir.join(format!("{}.csv", info.name)));
    let mut wb = build(out, settings, &path, &title, &tables, load, &Edition::Public { withheld: &withheld })?;
    save(&mut wb, &path)?;
    Ok(vec![WORKBOOK.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_settings::settings_parts;

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
        let t = SheetTable::from_frame(df).expect("cells");
        write_sheet(wb.add_worksheet().set_name("place_wards").expect("name"), &t, path).expect("sheet");
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

    #[test]
    fn public_workbook_keeps_suppression_marks_and_is_deterministic() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (p, d) = settings_parts(tmp.path(), "suppress_below = 7\nround_to = 5");
        let s = ReportSettings { pipeline: &p, definition: &d, run_id: "test-run" };
        let out = tmp.path().join("out");
        assert!(write_public_workbook(&out, &s).expect("no folder").is_empty(), "no public/tables: nothing written");

        let tables = out.join("public").join("tables");
        std::fs::create_dir_all(&tables).expect("mkdir");
        std::fs::write(
            tables.join("place_wards.csv"),
            "theme,ward_code,offences,population,rate,lower,upper,share\n\
             sv,E05000001,40,8000.0,5.0,3.6,6.8,0.6\n\
             sv,E05000002,[c],9000.0,,,,\n\
             sv,E05000003,[c],8500.0,,,,\n\
             sv,E05000004,25,7000.0,3.5714,2.3,5.3,0.4\n",
        )
        .expect("csv");
        std::fs::write(tables.join("zz_extra.csv"), "label,flag\na,true\nb,false\n").expect("csv");
        std::fs::write(
            tables.join("README.md"),
            "# Public tables\n\n## Published\n\n| table |\n|---|\n| `place_wards` |\n\n## Not published\n\n\
             - `quality_rejects`: no publication rule (not published by default)\n",
        )
        .expect("readme");

        let written = write_public_workbook(&out, &s).expect("workbook");
        assert_eq!(written, vec!["report/tables.xlsx".to_string()]);
        let path = out.join("public").join("report").join("tables.xlsx");
        let first = std::fs::read(&path).expect("read");
        write_public_workbook(&out, &s).expect("again");
        assert_eq!(first, std::fs::read(&path).expect("read"), "two runs give the same bytes");
        assert!(!out.join("report").exists(), "nothing written outside public/");

        use calamine::{open_workbook, Data, Reader, Xlsx};
        let mut x: Xlsx<_> = open_workbook(&path).expect("opens");
        assert_eq!(x.sheet_names(), vec!["README", "place_wards", "zz_extra"]);
        let wards = x.worksheet_range("place_wards").expect("sheet");
        assert_eq!(wards.get_value((0, 2)), Some(&Data::String("offences".into())));
        assert_eq!(wards.get_value((1, 2)), Some(&Data::Float(40.0)));
        assert_eq!(wards.get_value((2, 2)), Some(&Data::String("[c]".into())), "suppressed count is the text [c]");
        assert_eq!(wards.get_value((1, 4)), Some(&Data::Float(5.0)));
        assert_eq!(wards.get_value((4, 4)), Some(&Data::Float(3.5714)));
        assert!(matches!(wards.get_value((2, 4)), None | Some(Data::Empty)), "blanked rate is empty");
        assert_eq!(wards.get_value((1, 7)), Some(&Data::Float(0.6)));
        let extra = x.worksheet_range("zz_extra").expect("sheet");
        assert_eq!(extra.get_value((1, 1)), Some(&Data::Bool(true)));

        let readme = x.worksheet_range("README").expect("readme");
        let text: Vec<String> = readme.cells().map(|(_, _, v)| v.to_string()).collect();
        let all = text.join("\n");
        assert!(all.contains("published version"), "{all}");
        assert!(all.contains("Counts from 1 to 6") && all.contains("threshold of 7"), "{all}");
        assert!(all.contains("nearest 5"), "{all}");
        assert!(all.contains("Complementary suppression") && all.contains("Derived values"), "{all}");
        assert!(all.contains("quality_rejects"), "tables not published are listed: {all}");
        assert!(all.contains(&d.sha256), "definition hash");
        assert!(all.contains("police_offences") && all.contains("2024-25"), "sources with periods: {all}");
        assert!(!all.contains("off_1.csv"), "no file paths");
    }

    #[test]
    fn public_csv_columns_take_the_restricted_kinds() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.csv");
        std::fs::write(
            &path,
            "theme,offences,population,rate,lower,share,share_lower,p_value,gini,significant\n\
             sv,[c],1000.0,,,,,,0.4,\n\
             sv,12,2000.0,6.0,4.1,0.25,0.2,0.01,0.4,true\n",
        )
        .expect("csv");
        let t = SheetTable::from_public_csv(&path).expect("read");
        use Kind::*;
        assert_eq!(t.kinds, vec![Text, Count, Count, OneDp, OneDp, Percent, Percent, PValue, General, Bool]);
        assert_eq!(t.cells[1], vec![Cell::Text("[c]".into()), Cell::Num(12.0)]);
        assert_eq!(t.cells[3], vec![Cell::Empty, Cell::Num(6.0)]);
        assert_eq!(t.rows, 2);
    }

    #[test]
    fn withheld_tables_are_read_from_the_public_readme() {
        let text = "# Public tables\n\n## Published\n\n- `x`: not this\n\n## Not published\n\n- `a_b`: no rule\n- `c`: the rule names columns the table lacks: d\n";
        assert_eq!(
            withheld_from_readme(text),
            vec![("a_b".to_string(), "no rule".to_string()), ("c".to_string(), "the rule names columns the table lacks: d".to_string())]
        );
        assert!(withheld_from_readme("## Not published\n\nNone.\n").is_empty());
    }
}
