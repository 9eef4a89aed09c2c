//! Broken extracts, generated at run time for every source in the registry (obviously synthetic values:
//! `CRIS-0001`, `PER-0001`, `SYN-0001`). Each goes through `sna validate` and a full `sna ingest`: neither
//! may panic; a file is either refused with a clear error naming it, or read with unusable rows quarantined
//! with a reason, and every file read balances in the manifest (rows read = staged + rejected).

use crate::support::{read_json, sna};
use sna::dictionary::header_match::match_headers;
use sna::dictionary::{Dictionary, Registry};
use sna::geo::{bng_to_wgs84, Geography, WardSet};
use sna::ingest::pseudonymise::{Pseudonymiser, DEMO_KEY};
use sna::ingest::reader::{open_table, RowItem};
use sna::ingest::row::RowReader;
use sna::ingest::validate::{validate_files, ValidationReport};
use sna::ingest::IngestContext;
use sna::progress::Progress;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rows in a generated good file (the mixed-date case uses six).
pub const ROWS: usize = 6;
/// The one test ward: a 1 km square of British National Grid near Trafalgar Square.
pub const WARD: &str = "E05000001";
pub const WARDS_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
"properties":{"WD22CD":"E05000001","WD22NM":"Synthetic Ward"},"geometry":{"type":"Polygon",
"coordinates":[[[530000,180000],[531000,180000],[531000,181000],[530000,181000],[530000,180000]]]}}]}"#;
/// Month columns of a month-per-column (reshaped) source.
const MONTHS: [&str; 2] = ["202501", "202502"];
/// The formula-looking values every formula case plants.
pub const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"y\")";
pub const DDE: &str = "+cmd|' /C calc'!A0";

pub fn registry() -> Registry {
    Registry::embedded().expect("embedded registry")
}

/// A synthetic key: `CRIS-0001` for crime references, `<SOURCE>-0001` otherwise.
pub fn key_value(source: &str, field: &str, i: usize) -> String {
    let prefix = if field == "crime_ref" { "CRIS".to_string() } else { source.replace('_', "").to_uppercase() };
    format!("{prefix}-{:04}", i + 1)
}

/// A table of text cells, with each column's dictionary type (for typed XLSX cells).
#[derive(Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub kinds: Vec<Option<&'static str>>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn col(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }

    pub fn add_column(&mut self, header: &str, value: impl Fn(usize) -> String) {
        self.headers.push(header.to_string());
        self.kinds.push(None);
        for (i, r) in self.rows.iter_mut().enumerate() {
            r.push(value(i));
        }
    }

    pub fn drop_column(&mut self, c: usize) {
        self.headers.remove(c);
        self.kinds.remove(c);
        for r in &mut self.rows {
            r.remove(c);
        }
    }

    pub fn csv_with(&self, delimiter: u8, crlf: bool) -> Vec<u8> {
        let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let mut w = csv::WriterBuilder::new().delimiter(delimiter).terminator(terminator).from_writer(Vec::new());
        w.write_record(&self.headers).expect("header");
        for r in &self.rows {
            w.write_record(r).expect("row");
        }
        w.into_inner().expect("csv bytes")
    }

    pub fn csv(&self) -> Vec<u8> {
        self.csv_with(b',', false)
    }

    /// Write as XLSX: dates as Excel date cells, numbers as numeric cells, the rest as text; optionally
    /// behind an empty first sheet.
    pub fn xlsx(&self, path: &Path, empty_first_sheet: bool) {
        use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut wb = Workbook::new();
        if empty_first_sheet {
            wb.add_worksheet();
        }
        let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
        let time_fmt = Format::new().set_num_format("dd/mm/yyyy hh:mm");
        let ws = wb.add_worksheet();
        ws.set_name("Data").expect("sheet name");
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string(0, c as u16, h.as_str()).expect("header cell");
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (rr, cc) = (r as u32 + 1, c as u16);
                let kind = self.kinds[c].unwrap_or("string");
                let date = NaiveDate::parse_from_str(v, "%d/%m/%Y").ok().filter(|_| kind == "date");
                let time = NaiveDateTime::parse_from_str(v, "%d/%m/%Y %H:%M").ok().filter(|_| kind == "datetime");
                let number = v.parse::<f64>().ok().filter(|_| kind == "int" || kind == "float");
                if let Some(d) = date {
                    let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).expect("excel date");
                    ws.write_datetime_with_format(rr, cc, &x, &date_fmt).expect("date cell");
                } else if let Some(t) = time {
                    let x = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
                        .and_then(|x| x.and_hms(t.hour() as u16, t.minute() as u8, 0.0))
                        .expect("excel date-time");
                    ws.write_datetime_with_format(rr, cc, &x, &time_fmt).expect("date-time cell");
                } else if let Some(x) = number {
                    ws.write_number(rr, cc, x).expect("number cell");
                } else if !v.is_empty() {
                    ws.write_string(rr, cc, v.as_str()).expect("text cell");
                }
            }
        }
        wb.save(path).expect("save xlsx");
    }
}

fn is_location_field(dict: &Dictionary, name: &str) -> bool {
    dict.file.location.as_ref().is_some_and(|l| {
        [&l.easting, &l.northing, &l.latitude, &l.longitude, &l.lsoa, &l.ward].iter().any(|f| f.as_deref() == Some(name))
    })
}

fn is_dob(dict: &Dictionary, name: &str) -> bool {
    dict.file.age.as_ref().and_then(|a| a.date_of_birth.as_deref()) == Some(name)
}

/// A valid synthetic value for field `fi` on row `i`, whose keys and person ids are number `key`.
fn good_value(reg: &Registry, dict: &Dictionary, fi: usize, i: usize, key: usize) -> String {
    let f = &dict.fields[fi].spec;
    let name = f.name.as_str();
    let src = &dict.file.source;
    if src.unique_key.as_deref() == Some(name) {
        return key_value(&src.name, name, key);
    }
    if let Some(p) = src.parent.as_ref().filter(|p| p.key == name) {
        let parent_key = reg.get(&p.source).ok().and_then(|d| d.file.source.unique_key.clone()).unwrap_or_else(|| p.key.clone());
        return key_value(&p.source, &parent_key, key);
    }
    if f.pseudonymise {
        return format!("PER-{:04}", key + 1);
    }
    if is_dob(dict, name) {
        return String::new(); // the age column is given
    }
    if f.ethnicity {
        // Codes of every scheme ingest reads, as exports write them.
        return ["W1", "B2", "IC3", "A1 - Indian", "Mixed - White and Black Caribbean", "NS"][i % 6].to_string();
    }
    let (e, n) = (530_100.0 + 100.0 * i as f64, 180_100.0 + 100.0 * i as f64);
    if let Some(loc) = &dict.file.location {
        let is = |x: &Option<String>| x.as_deref() == Some(name);
        let (lon, lat) = bng_to_wgs84(e, n).expect("inside the grid");
        if is(&loc.easting) {
            return format!("{e}");
        } else if is(&loc.northing) {
            return format!("{n}");
        } else if is(&loc.longitude) {
            return format!("{lon:.6}");
        } else if is(&loc.latitude) {
            return format!("{lat:.6}");
        } else if is(&loc.lsoa) {
            return String::new(); // no LSOA lookup in these pipelines
        } else if is(&loc.ward) {
            return WARD.to_string();
        }
    }
    let mid = match (f.min, f.max) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        (Some(a), None) => a + 1.0,
        (None, Some(b)) => b - 1.0,
        (None, None) => 3.0,
    };
    match f.kind.as_str() {
        "string" if f.sensitive => format!("SECRET-{:04}", i + 1),
        "string" => format!("SYN-{:04}", i + 1),
        "int" => format!("{}", mid.floor() as i64),
        "float" => format!("{mid}"),
        "bool" => if i.is_multiple_of(2) { "Y" } else { "N" }.to_string(),
        "date" => format!("{:02}/03/2025", i + 1),
        "datetime" => format!("{:02}/03/2025 {:02}:15", i + 1, (18 + i) % 24),
        "month" => "2025-03".to_string(),
        "code" => dict.fields[fi].codes.as_ref().and_then(|c| c.codes().first().map(|s| s.to_string())).unwrap_or_default(),
        _ => format!("SYN-{:04}", i + 1),
    }
}

/// Cases in a corpus get disjoint keys (`KEY_STRIDE` apart), so all of a source's files can be ingested
/// together without duplicates; a parent's good file holds the keys of `KEY_BLOCKS` cases.
const KEY_STRIDE: usize = 100;
const KEY_BLOCKS: usize = 24;

/// A good file for a source: every dictionary field as a column under its canonical name (a reshaped
/// source gets month columns instead of its month and value fields); keys start at number `first_key`.
pub fn good_table_from(reg: &Registry, dict: &Dictionary, first_key: usize) -> Table {
    let reshape = dict.file.reshape.as_ref();
    let skip: Vec<&str> = reshape.map(|r| vec![r.month_field.as_str(), r.value_field.as_str()]).unwrap_or_default();
    let fields: Vec<usize> = (0..dict.fields.len()).filter(|&fi| !skip.contains(&dict.fields[fi].spec.name.as_str())).collect();
    let mut t = Table {
        headers: fields.iter().map(|&fi| dict.fields[fi].spec.name.clone()).collect(),
        kinds: fields.iter().map(|&fi| Some(dict.fields[fi].spec.kind.as_str())).collect(),
        rows: (0..ROWS).map(|i| fields.iter().map(|&fi| good_value(reg, dict, fi, i, first_key + i)).collect()).collect(),
    };
    if let Some(r) = reshape {
        let value_field = dict.field_index(&r.value_field);
        for m in MONTHS {
            t.add_column(m, |i| value_field.map(|vf| good_value(reg, dict, vf, i, first_key + i)).unwrap_or_else(|| "3".into()));
            if let Some(k) = t.kinds.last_mut() {
                *k = Some("int");
            }
        }
    }
    t
}

pub fn good_table(reg: &Registry, dict: &Dictionary) -> Table {
    good_table_from(reg, dict, 0)
}

/// The column to carry free text: a staged-or-not plain string field, else an extra (ignored) column.
fn text_column(dict: &Dictionary, t: &mut Table) -> usize {
    let src = &dict.file.source;
    let field = dict.fields.iter().find(|f| {
        let s = &f.spec;
        s.kind.as_str() == "string"
            && !s.required
            && !s.pseudonymise
            && !s.sensitive
            && !s.ethnicity
            && s.fill_from.is_none()
            && src.unique_key.as_deref() != Some(s.name.as_str())
            && src.parent.as_ref().is_none_or(|p| p.key != s.name)
            && !is_location_field(dict, &s.name)
    });
    match field.and_then(|f| t.col(&f.spec.name)) {
        Some(c) => c,
        None => {
            t.add_column("Zz Free Text", |i| format!("SYN NOTE {}", i + 1));
            t.headers.len() - 1
        }
    }
}

/// The date column for the mixed-format case: the event time if it is a date column, else any date column.
fn date_column(dict: &Dictionary, t: &Table) -> Option<(usize, bool)> {
    let is_date = |c: &usize| matches!(t.kinds[*c], Some("date" | "datetime"));
    let event = dict.file.source.event_time.as_deref().and_then(|e| t.col(e)).filter(is_date);
    let c = event.or_else(|| (0..t.headers.len()).find(is_date))?;
    Some((c, t.kinds[c] == Some("datetime")))
}

pub enum Content {
    Bytes(Vec<u8>),
    Xlsx { table: Table, empty_first_sheet: bool },
}

pub enum Outcome {
    /// The file cannot be read: exit 1, the error names the file and contains these.
    Refused(Vec<String>),
    /// Read: this many records, quarantined by reason.
    Read { rows: u64, rejects: BTreeMap<String, u64> },
}

pub struct Case {
    pub name: &'static str,
    pub file: String,
    pub content: Content,
    pub outcome: Outcome,
    /// (physical line, reason) of a reject that must appear.
    pub reject_at: Option<(u64, &'static str)>,
    /// Text the staged column `.0` must hold on some row.
    pub staged_text: Option<(String, String)>,
    /// Values ingest must repair (null and log) in staged rows, when the case says.
    pub repaired: Option<u64>,
}

fn read(rows: u64, rejects: &[(&str, u64)]) -> Outcome {
    Outcome::Read { rows, rejects: rejects.iter().filter(|(_, n)| *n > 0).map(|(r, n)| (r.to_string(), *n)).collect() }
}

fn refused(file: &str, also: &str) -> Outcome {
    Outcome::Refused(vec![file.to_string(), also.to_string()])
}

/// The broken-file corpus for one source.
pub fn corpus(reg: &Registry, dict: &Dictionary) -> Vec<Case> {
    // Shapes (headers, types) come from `good`; each case's rows from `fresh()`, with its own keys.
    let good = good_table(reg, dict);
    let block = std::cell::Cell::new(0usize);
    let fresh = || {
        let k = block.get();
        block.set(k + 1);
        good_table_from(reg, dict, KEY_STRIDE * k)
    };
    let per_row: u64 = if dict.file.reshape.is_some() { MONTHS.len() as u64 } else { 1 };
    let all = ROWS as u64 * per_row;
    let staged_field = |t: &Table, c: usize| {
        let h = &t.headers[c];
        dict.field_index(h).filter(|&fi| dict.fields[fi].spec.stage).map(|_| h.clone())
    };
    let case = |name: &'static str, ext: &str, content: Content, outcome: Outcome| Case {
        name,
        file: format!("{name}.{ext}"),
        content,
        outcome,
        reject_at: None,
        staged_text: None,
        repaired: None,
    };
    let mut cases = vec![
        case("good", "csv", Content::Bytes(fresh().csv()), read(all, &[])),
        case("empty", "csv", Content::Bytes(Vec::new()), refused("empty.csv", "empty")),
        case("header_only", "csv", Content::Bytes(Table { rows: vec![], ..fresh() }.csv()), read(0, &[])),
    ];

    let required = good.headers.iter().find(|h| dict.field_index(h).is_some_and(|fi| dict.fields[fi].spec.required)).cloned();
    if let Some(req) = &required {
        let mut t = fresh();
        if let Some(c) = t.col(req) {
            t.drop_column(c);
        }
        cases.push(case("missing_required", "csv", Content::Bytes(t.csv()), refused("missing_required.csv", req)));
        // A month-per-column source fails earlier, on finding no month columns.
        let needle = if dict.file.reshape.is_some() { "" } else { req.as_str() };
        cases.push(case("pipe_delimited", "csv", Content::Bytes(fresh().csv_with(b'|', false)), refused("pipe_delimited.csv", needle)));
    }

    let mut t = fresh();
    t.add_column("Zz Unknown Column", |i| format!("SYN EXTRA {i}"));
    t.add_column("Another Unknown", |_| String::new());
    cases.push(case("extra_columns", "csv", Content::Bytes(t.csv()), read(all, &[])));

    // Last row cut short with no final newline.
    let g = fresh();
    let mut bytes = Table { rows: g.rows[..ROWS - 1].to_vec(), ..g.clone() }.csv();
    bytes.extend(g.rows[ROWS - 1][..2].join(",").as_bytes());
    let mut c = case("truncated_last_line", "csv", Content::Bytes(bytes), read(all - per_row + 1, &[("unparseable_row", 1)]));
    c.reject_at = Some((ROWS as u64 + 1, "unparseable_row"));
    cases.push(c);

    let g = fresh();
    let mut bytes = Table { rows: g.rows[..ROWS - 1].to_vec(), ..g }.csv();
    bytes.extend(b"\"SYN-9999,an opening quote that never closes");
    cases.push(case("unterminated_quote", "csv", Content::Bytes(bytes), read(all - per_row + 1, &[("unparseable_row", 1)])));

    let date = date_column(dict, &good);
    let date_required = |dc: usize| dict.field_index(&good.headers[dc]).is_some_and(|fi| dict.fields[fi].spec.required);
    if let Some((dc, with_time)) = date {
        let year = if is_dob(dict, &good.headers[dc]) { 1999 } else { 2025 };
        let t2 = if with_time { " 10:00" } else { "" };
        let iso_t = if with_time { "T11:00:00" } else { "" };
        let values = [
            format!("15/03/{year}{t2}"),
            format!("{year}-03-16{iso_t}"),
            format!("31/02/{year}{t2}"),                // impossible
            format!("14/03/{}{t2}", year % 100),        // two-digit year
            format!("{year}-03-17"),
            format!("17.03.{year}"),
        ];
        let mut t = fresh();
        for (i, v) in values.iter().enumerate() {
            t.rows[i][dc] = v.clone();
        }
        // An unreadable required date quarantines the row; an unreadable optional one (a date of birth) is
        // nulled and logged, and the row is staged.
        let required = date_required(dc);
        let mut c = if required {
            case("mixed_dates", "csv", Content::Bytes(t.csv()), read(all, &[("bad_date", 2 * per_row)]))
        } else {
            case("mixed_dates", "csv", Content::Bytes(t.csv()), read(all, &[]))
        };
        c.repaired = Some(if required { 0 } else { 2 * per_row });
        cases.push(c);
    }

    let mut t = fresh();
    let tc = text_column(dict, &mut t);
    t.rows[0][tc] = "Café £5 naïve".to_string();
    let text = String::from_utf8(t.csv()).expect("utf8");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let mut c = case("windows_1252", "csv", Content::Bytes(bytes.into_owned()), read(all, &[]));
    c.staged_text = staged_field(&t, tc).map(|f| (f, "Café £5 naïve".to_string()));
    cases.push(c);

    // Rows appended by two tools: UTF-8 lines and a Windows-1252 line in one file; each decoded as what it is.
    let mut t = fresh();
    let tc = text_column(dict, &mut t);
    t.rows[0][tc] = "Café £5 naïve".to_string();
    t.rows[2][tc] = "Zoë Ünal".to_string();
    let text = String::from_utf8(t.csv()).expect("utf8");
    let mut bytes = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 3 {
            bytes.extend_from_slice(&encoding_rs::WINDOWS_1252.encode(line).0);
        } else {
            bytes.extend_from_slice(line.as_bytes());
        }
    }
    let mut c = case("mixed_utf8_windows_1252", "csv", Content::Bytes(bytes), read(all, &[]));
    c.staged_text = staged_field(&t, tc).map(|f| (f, "Café £5 naïve".to_string()));
    cases.push(c);

    // "Unicode text" saved without a byte-order mark.
    let mut bytes = Vec::new();
    for u in String::from_utf8(fresh().csv_with(b',', true)).expect("utf8").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    cases.push(case("utf16_without_bom", "csv", Content::Bytes(bytes), read(all, &[])));

    // A stray quote opening a field in the middle of the file: only that line is lost, and said so.
    let text = String::from_utf8(fresh().csv()).expect("utf8");
    let mut bytes = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 2 {
            bytes.push(b'"');
        }
        bytes.extend_from_slice(line.as_bytes());
    }
    let mut c = case("stray_quote", "csv", Content::Bytes(bytes), read(all - per_row + 1, &[("unbalanced_quote", 1)]));
    c.reject_at = Some((3, "unbalanced_quote"));
    cases.push(c);

    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(fresh().csv_with(b',', true));
    cases.push(case("utf8_bom", "csv", Content::Bytes(bytes), read(all, &[])));

    let mut t = fresh();
    let tc = text_column(dict, &mut t);
    let big = "SYN1".repeat(256 * 1024);
    t.rows[1][tc] = big.clone();
    let mut c = case("one_megabyte_field", "csv", Content::Bytes(t.csv()), read(all, &[]));
    c.staged_text = staged_field(&t, tc).map(|f| (f, big));
    cases.push(c);

    let mut t = fresh();
    let tc = text_column(dict, &mut t);
    t.rows[0][tc] = HYPERLINK.to_string();
    t.rows[1][tc] = "@SUM(1+1)".to_string();
    t.rows[3][tc] = "-2+3".to_string();
    // A formula in a required date quarantines the row; in an optional one (a date of birth) it is nulled.
    let (bad_dates, repaired) = match date {
        Some((dc, _)) => {
            t.rows[2][dc] = DDE.to_string();
            if date_required(dc) { (per_row, 0) } else { (0, per_row) }
        }
        None => {
            t.rows[2][tc] = DDE.to_string();
            (0, 0)
        }
    };
    let mut c = case("formulas", "csv", Content::Bytes(t.csv()), read(all, &[("bad_date", bad_dates)]));
    c.staged_text = staged_field(&t, tc).map(|f| (f, HYPERLINK.to_string()));
    c.repaired = Some(repaired);
    if bad_dates > 0 {
        c.reject_at = Some((4, "bad_date"));
    }
    cases.push(c);

    // A quoted value spanning two lines: later rows keep their physical line numbers.
    let mut t = fresh();
    let tc = text_column(dict, &mut t);
    t.rows[1][tc] = "line one\nline two, with a comma; a semicolon and \"quotes\"".to_string();
    let (bad_dates, repaired) = match date {
        Some((dc, _)) => {
            t.rows[3][dc] = "99/99/2025".to_string();
            if date_required(dc) { (per_row, 0) } else { (0, per_row) }
        }
        None => (0, 0),
    };
    let mut c = case("quoted_newlines", "csv", Content::Bytes(t.csv()), read(all, &[("bad_date", bad_dates)]));
    c.repaired = Some(repaired);
    if bad_dates > 0 {
        c.reject_at = Some((6, "bad_date"));
    }
    cases.push(c);

    cases.push(case("semicolon_crlf", "csv", Content::Bytes(fresh().csv_with(b';', true)), read(all, &[])));
    cases.push(case("good", "xlsx", Content::Xlsx { table: fresh(), empty_first_sheet: false }, read(all, &[])));
    cases.push(case(
        "empty_first_sheet",
        "xlsx",
        Content::Xlsx { table: fresh(), empty_first_sheet: true },
        Outcome::Refused(vec!["empty_first_sheet.xlsx".into(), "is empty".into(), "other sheets: Data".into()]),
    ));
    cases
}

pub fn write_content(content: &Content, path: &Path) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    match content {
        Content::Bytes(b) => std::fs::write(path, b).expect("write case"),
        Content::Xlsx { table, empty_first_sheet } => table.xlsx(path, *empty_first_sheet),
    }
}

/// A pipeline file `dir/<file>` ingesting `files` for each source into `dir/<out>`, over the one test
/// ward, with the demo key.
pub fn write_pipeline_as(dir: &Path, file: &str, out: &str, sources: &[(String, Vec<String>)]) -> PathBuf {
    std::fs::write(dir.join("wards.geojson"), WARDS_GEOJSON).expect("wards");
    let mut text = format!(
        "[assessment]\nname = \"Bad input test\"\narea = \"Testham\"\nperiod = {{ start = \"2024-04-01\", end = \"2025-03-31\" }}\n\
         definition = \"london-vru\"\n[geography]\nwards = \"wards.geojson\"\nward_code_property = \"WD22CD\"\n\
         ward_name_property = \"WD22NM\"\n[privacy]\ndemo_key = true\n[output]\ndir = \"{out}\"\n"
    );
    for (name, files) in sources {
        let list: Vec<String> = files.iter().map(|f| format!("\"{f}\"")).collect();
        text.push_str(&format!("[sources.{name}]\nfiles = [{}]\n", list.join(", ")));
    }
    let p = dir.join(file);
    std::fs::write(&p, text).expect("pipeline");
    p
}

pub fn write_pipeline(dir: &Path, sources: &[(String, Vec<String>)]) -> PathBuf {
    write_pipeline_as(dir, "pipeline.toml", "out", sources)
}

/// The parent chain of a source (parent first), each with a good file written under `dir/parents/`.
fn parents(reg: &Registry, dict: &Dictionary, dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut next = dict.file.source.parent.as_ref().map(|p| p.source.clone());
    while let Some(name) = next {
        let d = reg.get(&name).expect("parent dictionary");
        let rel = format!("parents/{name}.csv");
        let mut t = good_table(reg, d);
        t.rows = (0..KEY_BLOCKS).flat_map(|k| good_table_from(reg, d, KEY_STRIDE * k).rows).collect();
        write_content(&Content::Bytes(t.csv()), &dir.join(&rel));
        out.insert(0, (name.clone(), vec![rel]));
        next = d.file.source.parent.as_ref().map(|p| p.source.clone());
    }
    out
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    let out = sna().current_dir(dir).args(args).output().expect("sna runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        matches!(run.code, 0..=2),
        "sna {} exited {} (a panic is 101)\nstderr: {}",
        args.join(" "),
        run.code,
        run.stderr
    );
    run
}

/// A reject value a spreadsheet would run as a formula.
fn live_formula(v: &str) -> bool {
    match v.chars().next() {
        Some('=' | '+' | '@') => true,
        Some('-') => v.parse::<f64>().is_err(),
        _ => false,
    }
}

/// Values of person-identifying and sensitive columns, which no output may echo.
fn private_values(dict: &Dictionary, content: &Content) -> Vec<String> {
    let Content::Bytes(bytes) = content else { return Vec::new() };
    let Ok(text) = std::str::from_utf8(bytes) else { return Vec::new() };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let Ok(headers) = rdr.headers().cloned() else { return Vec::new() };
    let private: Vec<usize> = (0..headers.len())
        .filter(|&c| dict.field_index(&headers[c]).is_some_and(|fi| !dict.fields[fi].spec.may_echo()))
        .collect();
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        out.extend(private.iter().filter_map(|&c| rec.get(c)).filter(|v| v.trim().len() >= 6).map(|v| v.trim().to_string()));
    }
    out
}

/// Check every file entry of a manifest balances; return the entry for `rel`.
fn balanced_entry(manifest: &serde_json::Value, rel: &str, what: &str) -> serde_json::Value {
    let mut mine = None;
    for s in manifest["sources"].as_array().expect("sources") {
        for f in s["files"].as_array().expect("files") {
            let n = |k: &str| f[k].as_u64().unwrap_or_else(|| panic!("{what}: manifest file lacks {k}"));
            assert_eq!(n("rows_read"), n("rows_staged") + n("rows_rejected"), "{what}: {} does not balance", f["path"]);
            let by_reason: u64 = f["rejects_by_reason"].as_object().map(|m| m.values().filter_map(|x| x.as_u64()).sum()).unwrap_or(0);
            assert_eq!(by_reason, n("rows_rejected"), "{what}: rejects by reason");
            if f["path"] == rel {
                mine = Some(f.clone());
            }
        }
    }
    mine.unwrap_or_else(|| panic!("{what}: {rel} is not in the manifest"))
}

/// One case through `validate` in process: refused exactly when expected, and never echoing a personal value.
fn check_validate(dict: &Dictionary, case: &Case, dir: &Path) -> ValidationReport {
    let path = dir.join("raw").join(&case.file);
    let what = format!("{} / {}", dict.name(), case.file);
    let report = validate_files(dict, &Default::default(), std::slice::from_ref(&path), None);
    let text = sna::ingest::validate::render_text(&report);
    let json = serde_json::to_string(&report).expect("report serialises");
    for p in private_values(dict, &case.content) {
        assert!(!text.contains(p.as_str()) && !json.contains(p.as_str()), "{what}: validate echoed {p}");
    }
    match &case.outcome {
        Outcome::Refused(needles) => {
            let err = report.failure().unwrap_or_else(|| panic!("{what}: validate should refuse the file"));
            assert!(text.contains("CANNOT READ"), "{what}: {text}");
            for n in needles {
                assert!(err.to_string().contains(n.as_str()), "{what}: validate error lacks {n:?}: {err}");
            }
        }
        Outcome::Read { .. } => assert!(report.failure().is_none(), "{what}: validate refused it: {text}"),
    }
    report
}

/// What the source's joint ingest wrote: the manifest, the rejects file's rows and the staged table.
struct Ingested {
    manifest: serde_json::Value,
    rejects: Vec<csv::StringRecord>,
    staged: polars::prelude::DataFrame,
}

impl Ingested {
    fn read(out: &Path, source: &str) -> Ingested {
        let mut rdr = csv::Reader::from_path(out.join(format!("rejects/{source}.csv"))).expect("rejects file");
        Ingested {
            manifest: read_json(&out.join("manifest.json")),
            rejects: rdr.records().map(|r| r.expect("rejects row")).collect(),
            staged: sna::table_io::read_parquet(&out.join(format!("staged/{source}.parquet"))).expect("staged"),
        }
    }
}

/// A readable case in the source's joint ingest; `strict` also checks the exact expected counts and that
/// `validate` predicted what ingest quarantined.
fn check_ingested(dict: &Dictionary, case: &Case, report: &ValidationReport, ing: &Ingested, strict: bool) {
    let Outcome::Read { rows, rejects } = &case.outcome else { return };
    let source = dict.name();
    let rel = format!("raw/{}", case.file);
    let what = format!("{source} / {}", case.file);
    let mine = balanced_entry(&ing.manifest, &rel, &what);
    let (read_n, rejected_n) = (mine["rows_read"].as_u64().unwrap_or(0), mine["rows_rejected"].as_u64().unwrap_or(0));

    // The rejects file: one line per rejected row of this file, each with a reason, no live formula.
    let private = private_values(dict, &case.content);
    let mut lines = Vec::new();
    for rec in &ing.rejects {
        assert!(!live_formula(&rec[5]), "{what}: live formula in rejects: {}", &rec[5]);
        if &rec[1] == rel.as_str() {
            assert!(!rec[3].is_empty(), "{what}: reject without a reason");
            for p in &private {
                assert!(!rec.iter().any(|c| c.contains(p.as_str())), "{what}: rejects echo {p}");
            }
            lines.push((rec[2].parse::<u64>().expect("line"), rec[3].to_string(), rec[5].to_string()));
        }
    }
    assert_eq!(lines.len() as u64, rejected_n, "{what}: rejects file vs manifest");

    let same = report.overall.rows_read == read_n && report.overall.rows_invalid == rejected_n;
    if !strict {
        if !same {
            eprintln!("note: {what}: validate saw {} read / {} invalid, ingest {read_n} / {rejected_n}", report.overall.rows_read, report.overall.rows_invalid);
        }
        return;
    }
    assert_eq!(read_n, *rows, "{what}: rows read");
    let got: BTreeMap<String, u64> =
        mine["rejects_by_reason"].as_object().map(|m| m.iter().map(|(k, x)| (k.clone(), x.as_u64().unwrap_or(0))).collect()).unwrap_or_default();
    assert_eq!(&got, rejects, "{what}: rejects by reason");
    assert!(same, "{what}: validate saw {} read / {} invalid, ingest {read_n} / {rejected_n}", report.overall.rows_read, report.overall.rows_invalid);
    if let Some(n) = case.repaired {
        assert_eq!(mine["fields_repaired"].as_u64(), Some(n), "{what}: values repaired: {}", mine["field_issues"]);
        assert_eq!(report.overall.rows_repaired, n, "{what}: validate's repaired rows");
    }
    if let Some((line, reason)) = case.reject_at {
        assert!(lines.iter().any(|(l, r, _)| *l == line && r == reason), "{what}: no {reason} at line {line}: {lines:?}");
    }
    if case.name == "formulas" && !lines.is_empty() {
        assert!(lines.iter().any(|(_, _, v)| *v == format!("'{DDE}") || v == "[redacted]"), "{what}: {lines:?}");
    }
    if let Some((column, text)) = &case.staged_text {
        let col = ing.staged.column(column).and_then(|c| c.str().cloned()).expect("staged text column");
        assert!(col.iter().flatten().any(|v| v == text.as_str()), "{what}: {column} lacks the planted text");
    }
}

/// The whole corpus for one source. `sna validate` reads every file in one run (each is also validated in
/// process); `sna ingest` runs once per refused file, and once over all the readable files together (each
/// case has its own keys, so they do not collide). Police sources are strict; another source is strict when
/// the generic good file is fully valid for it (otherwise only the no-panic and balance invariants hold).
fn run_corpus(reg: &Registry, name: &str, must_be_strict: bool) {
    let dict = reg.get(name).expect("dictionary");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let good = dir.join("good.csv");
    std::fs::write(&good, good_table(reg, dict).csv()).expect("write");
    let r = validate_files(dict, &Default::default(), &[good], None);
    let strict = r.failure().is_none() && r.overall.rows_invalid == 0;
    if must_be_strict {
        assert!(strict, "{name}: the generated good file is not valid: {}", sna::ingest::validate::render_text(&r));
    } else if !strict {
        eprintln!("note: {name}: the generic good file is not fully valid, checking invariants only");
    }
    let cases = corpus(reg, dict);
    let parent_sources = parents(reg, dict, dir);
    let with = |files: Vec<String>| {
        let mut s = parent_sources.clone();
        s.push((name.to_string(), files));
        s
    };
    let files: Vec<String> = cases.iter().map(|c| format!("raw/{}", c.file)).collect();
    for (case, rel) in cases.iter().zip(&files) {
        write_content(&case.content, &dir.join(rel));
    }
    let reports: Vec<ValidationReport> = cases.iter().map(|c| check_validate(dict, c, dir)).collect();

    let refused: Vec<&Case> = cases.iter().filter(|c| matches!(c.outcome, Outcome::Refused(_))).collect();
    let mut args = vec!["validate", "--source", name];
    args.extend(files.iter().map(String::as_str));
    let v = run(dir, &args);
    assert_eq!(v.code, if refused.is_empty() { 0 } else { 1 }, "{name}: validate over the corpus\n{}", v.stderr);
    assert_eq!(v.stdout.matches("CANNOT READ").count(), refused.len(), "{name}: {}", v.stdout);
    for f in &files {
        assert!(v.stdout.contains(&format!("\n{f}\n")), "{name}: no section for {f}");
    }
    for p in cases.iter().flat_map(|c| private_values(dict, &c.content)) {
        assert!(!v.stdout.contains(p.as_str()) && !v.stderr.contains(p.as_str()), "{name}: validate printed {p}");
    }

    for (i, case) in refused.iter().enumerate() {
        let Outcome::Refused(needles) = &case.outcome else { continue };
        let p = format!("refused{i}.toml");
        write_pipeline_as(dir, &p, &format!("out_refused{i}"), &with(vec![format!("raw/{}", case.file)]));
        let ing = run(dir, &["--quiet", "ingest", &p]);
        assert_eq!(ing.code, 1, "{name} / {}: ingest should refuse it\n{}", case.file, ing.stderr);
        for n in needles {
            assert!(ing.stderr.contains(n.as_str()), "{name} / {}: error lacks {n:?}: {}", case.file, ing.stderr);
        }
    }
    let readable: Vec<String> = cases.iter().filter(|c| matches!(c.outcome, Outcome::Read { .. })).map(|c| format!("raw/{}", c.file)).collect();
    write_pipeline_as(dir, "readable.toml", "out", &with(readable));
    let ing = run(dir, &["--quiet", "ingest", "readable.toml"]);
    assert_eq!(ing.code, 0, "{name}: ingest of every readable file\n{}", ing.stderr);
    let ingested = Ingested::read(&dir.join("out"), name);
    for (case, report) in cases.iter().zip(&reports) {
        check_ingested(dict, case, report, &ingested, strict);
    }
}

#[test]
fn police_offences_corpus() {
    run_corpus(&registry(), "police_offences", true);
}

#[test]
fn police_victims_corpus() {
    run_corpus(&registry(), "police_victims", true);
}

#[test]
fn every_other_registered_source_survives_the_corpus() {
    let reg = registry();
    let others: Vec<String> =
        reg.dictionaries.keys().filter(|n| !["police_offences", "police_victims"].contains(&n.as_str())).cloned().collect();
    assert!(!others.is_empty());
    // Two at a time: the machine has two cores.
    for pair in others.chunks(2) {
        std::thread::scope(|s| {
            for name in pair {
                let reg = &reg;
                s.spawn(move || run_corpus(reg, name, false));
            }
        });
    }
}

/// A deterministic xorshift generator: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    const SPICY: &[u8] = b"\",;\t\n\r|= \x00\xff\xe9\xef\xbb\xbf0/:-";
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(b.len() + 1);
        match rng.below(6) {
            0 if at < b.len() => b[at] = SPICY[rng.below(SPICY.len())],
            1 => {
                for _ in 0..1 + rng.below(3) {
                    b.insert(at.min(b.len()), SPICY[rng.below(SPICY.len())]);
                }
            }
            2 => {
                let end = (at + 1 + rng.below(20)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + 1 + rng.below(60)).min(b.len());
                let chunk = b[at.min(end)..end].to_vec();
                let to = rng.below(b.len() + 1);
                b.splice(to..to, chunk);
            }
            4 => b.truncate(at),
            _ => {
                let end = at.min(b.len());
                b[..end].reverse();
            }
        }
    }
    b
}

/// Byte mutations of good files through the reader, the row parser, `validate` and the ingest of one
/// source, in process: nothing panics, and whenever a file is read it balances and both agree.
#[test]
fn byte_mutations_never_panic_and_always_balance() {
    let reg = registry();
    let dir = tempfile::tempdir().expect("tempdir");
    let wards = WardSet::from_geojson_str(WARDS_GEOJSON, Path::new("wards.geojson"), "WD22CD", "WD22NM", None).expect("wards");
    let geography = Geography::new(wards, None, None);
    let pseudonymiser = Pseudonymiser::new(DEMO_KEY.as_bytes()).expect("key");
    let ctx = IngestContext { geography: &geography, pseudonymiser: &pseudonymiser, progress: Progress::silent(), base_dir: dir.path(), settings: Default::default(), run_id: "test-run" };
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    for (name, count) in [("police_offences", 160), ("police_victims", 40)] {
        let dict = reg.get(name).expect("dictionary");
        let mut t = good_table(&reg, dict);
        let tc = text_column(dict, &mut t);
        t.rows[1][tc] = "two\nlines, \"quoted\"".into();
        t.rows[2][tc] = HYPERLINK.into();
        let base = t.csv();
        let specs: Vec<_> = dict.fields.iter().map(|f| f.spec.clone()).collect();
        for i in 0..count {
            let bytes = mutate(&base, &mut rng);
            let path = dir.path().join(format!("{name}_{i:03}.csv"));
            std::fs::write(&path, &bytes).expect("write");
            if let Ok(table) = open_table(&path, None) {
                let headers = match_headers(&specs, &table.headers);
                for item in table.rows {
                    if let RowItem::Row(r) = item {
                        let mapping = Default::default();
                        let reader = RowReader::new(dict, &headers, &mapping, Default::default());
                        let _ = reader.parse(r.line, &r.cells);
                    }
                }
            }
            let report = validate_files(dict, &Default::default(), std::slice::from_ref(&path), None);
            let _ = sna::ingest::validate::render_text(&report);
            let staged = path.with_extension("staged.parquet");
            match crate::support::ingest_one(&ctx, dict, &path, &staged) {
                Ok(outcome) => {
                    let f = &outcome.files[0];
                    assert_eq!(f.rows_read, f.rows_staged + f.rows_rejected, "{name} mutation {i}");
                    let frame = sna::table_io::read_parquet(&staged).expect("staged parquet");
                    assert_eq!(frame.height() as u64, f.rows_staged, "{name} mutation {i}");
                    assert!(report.failure().is_none(), "{name} mutation {i}: ingest read what validate refused");
                    assert_eq!((report.overall.rows_read, report.overall.rows_invalid), (f.rows_read, f.rows_rejected), "{name} mutation {i}");
                }
                Err(e) => {
                    assert!(report.failure().is_some(), "{name} mutation {i}: validate read what ingest refused ({e})");
                }
            }
        }
    }
}
