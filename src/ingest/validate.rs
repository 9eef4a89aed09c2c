//! `sna validate`: read extracts against a source's dictionary and summarise their quality without a
//! pipeline and without writing anything. It uses the ingest reader, header matching and row parser, so a
//! row it calls invalid is a row `sna ingest` would quarantine (links to a parent source apart: those need
//! the parent's files, and which ward a record falls in needs the pipeline's boundaries).

use super::reader::{open_table, FileFormat, RowItem};
use super::rejects::Reject;
use super::row::{FieldIssue, RowReader};
use super::source::{derive_age, event_of, map_headers};
use super::IngestError;
use crate::dictionary::mapping::SourceMapping;
use crate::dictionary::model::FieldType;
use crate::dictionary::values::{parse_float, ParseOptions, Value};
use crate::dictionary::Dictionary;
use crate::geo::{bng_to_wgs84, wgs84_to_bng};
use chrono::NaiveDateTime;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Example line numbers (and values) kept per problem.
const EXAMPLES: usize = 3;
/// Longest value shown in an example; longer values are cut (a field can be a megabyte).
const SHOW_CHARS: usize = 40;

#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub source: String,
    pub title: String,
    pub dictionary_sha256: String,
    pub files: Vec<FileValidation>,
    /// All readable files together (duplicates are found across files, as ingest does).
    pub overall: Summary,
    /// Checks ingest makes that validation cannot.
    pub not_checked: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileValidation {
    pub path: String,
    /// Why the file cannot be read at all (then `summary` is empty).
    pub error: Option<String>,
    pub hint: Option<String>,
    pub format: Option<FileFormat>,
    pub columns_matched: Vec<ColumnMatch>,
    /// Dictionary fields with no column in this file.
    pub columns_missing: Vec<String>,
    /// Columns that match no field: ingest ignores them.
    pub columns_ignored: Vec<String>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnMatch {
    pub field: String,
    pub header: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub rows_read: u64,
    /// Rows ingest would stage (rows_repaired of them with a value repaired).
    pub rows_valid: u64,
    /// Rows ingest would quarantine.
    pub rows_invalid: u64,
    pub rows_repaired: u64,
    /// Why rows would be quarantined (one reason per row: the first ingest meets).
    pub invalid: Vec<InvalidGroup>,
    /// Values of staged rows that would be repaired (nulled, kept off-list, time unknown).
    pub repaired: Vec<InvalidGroup>,
    /// Rows whose event time is a date without a time of day.
    pub time_unknown: u64,
    pub completeness: Vec<FieldCompleteness>,
    pub event_time: Option<EventRange>,
    pub duplicates: Option<Duplicates>,
    pub location: Option<LocationCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvalidGroup {
    pub reason: String,
    pub field: String,
    pub count: u64,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub file: String,
    pub line: u64,
    /// Shortened and stripped of control characters; `[redacted]` for personal fields; absent when empty.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldCompleteness {
    pub field: String,
    pub column: bool,
    pub non_empty: u64,
    /// Share of rows read with a non-empty value, 0..100.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRange {
    pub field: String,
    /// Rows whose value parses.
    pub values: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Duplicates {
    pub field: String,
    /// Rows repeating a key already seen on a valid row (ingest rejects them as `duplicate`).
    pub rows: u64,
    pub keys: u64,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LocationCoverage {
    pub rows: u64,
    pub coordinates: u64,
    /// Coordinates that convert within the OS grid of Great Britain (and are not 0).
    pub coordinates_in_gb: u64,
    pub lsoa: u64,
    /// Values shaped like an English or Welsh LSOA code (E01/W01 and six digits).
    pub lsoa_plausible: u64,
    pub ward: u64,
    /// Values shaped like a ward code (E05, W05, S13 or N08 and six digits).
    pub ward_plausible: u64,
    /// Rows with at least one plausible location.
    pub any_plausible: u64,
}

/// Counts gathered row by row for one file (or all of them).
#[derive(Default)]
struct Tally {
    rows_read: u64,
    rows_valid: u64,
    rows_invalid: u64,
    rows_repaired: u64,
    time_unknown: u64,
    invalid: BTreeMap<(String, String), (u64, Vec<Example>)>,
    repaired: BTreeMap<(String, String), (u64, Vec<Example>)>,
    non_empty: Vec<u64>,
    present: Vec<bool>,
    event_values: u64,
    event_min: Option<NaiveDateTime>,
    event_max: Option<NaiveDateTime>,
    dup_rows: u64,
    dup_keys: BTreeSet<String>,
    dup_examples: Vec<Example>,
    location: LocationCoverage,
}

impl Tally {
    fn new(fields: usize) -> Tally {
        Tally { non_empty: vec![0; fields], present: vec![false; fields], ..Tally::default() }
    }

    fn problem(&mut self, file: &str, r: &Reject) {
        let e = self.invalid.entry((r.reason.clone(), r.field.clone())).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(example(file, r.line, &r.value));
        }
    }

    fn repair(&mut self, file: &str, i: &FieldIssue) {
        let e = self.repaired.entry((i.reason.clone(), i.field.clone())).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(example(file, i.line, &i.value));
        }
    }

    fn event(&mut self, t: NaiveDateTime) {
        self.event_values += 1;
        self.event_min = Some(self.event_min.map_or(t, |m| m.min(t)));
        self.event_max = Some(self.event_max.map_or(t, |m| m.max(t)));
    }

    fn absorb(&mut self, o: &Tally) {
        self.rows_read += o.rows_read;
        self.rows_valid += o.rows_valid;
        self.rows_invalid += o.rows_invalid;
        self.rows_repaired += o.rows_repaired;
        self.time_unknown += o.time_unknown;
        for (mine, theirs) in [(&mut self.invalid, &o.invalid), (&mut self.repaired, &o.repaired)] {
            for (k, (n, ex)) in theirs {
                let e = mine.entry(k.clone()).or_default();
                e.0 += n;
                let room = EXAMPLES.saturating_sub(e.1.len());
                e.1.extend(ex.iter().take(room).cloned());
            }
        }
        for (i, n) in o.non_empty.iter().enumerate() {
            if let Some(s) = self.non_empty.get_mut(i) {
                *s += n;
            }
            if let (Some(p), Some(q)) = (self.present.get_mut(i), o.present.get(i)) {
                *p |= q;
            }
        }
        self.event_values += o.event_values;
        self.event_min = match (self.event_min, o.event_min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.event_max = match (self.event_max, o.event_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.dup_rows += o.dup_rows;
        self.dup_keys.extend(o.dup_keys.iter().cloned());
        let room = EXAMPLES.saturating_sub(self.dup_examples.len());
        self.dup_examples.extend(o.dup_examples.iter().take(room).cloned());
        let (l, m) = (&mut self.location, &o.location);
        l.rows += m.rows;
        l.coordinates += m.coordinates;
        l.coordinates_in_gb += m.coordinates_in_gb;
        l.lsoa += m.lsoa;
        l.lsoa_plausible += m.lsoa_plausible;
        l.ward += m.ward;
        l.ward_plausible += m.ward_plausible;
        l.any_plausible += m.any_plausible;
    }

    fn summary(&self, dict: &Dictionary) -> Summary {
        let pct = |n: u64| if self.rows_read == 0 { 0.0 } else { (n as f64 * 1000.0 / self.rows_read as f64).round() / 10.0 };
        let src = &dict.file.source;
        let event_field = src.event_time.as_ref().and_then(|n| dict.field_index(n));
        let show = |t: NaiveDateTime| match event_field.map(|i| dict.fields[i].spec.kind) {
            Some(FieldType::Date) => t.format("%Y-%m-%d").to_string(),
            _ => t.format("%Y-%m-%d %H:%M").to_string(),
        };
        let groups = |m: &BTreeMap<(String, String), (u64, Vec<Example>)>| -> Vec<InvalidGroup> {
            m.iter()
                .map(|((reason, field), (count, examples))| InvalidGroup {
                    reason: reason.clone(),
                    field: field.clone(),
                    count: *count,
                    examples: examples.clone(),
                })
                .collect()
        };
        Summary {
            rows_read: self.rows_read,
            rows_valid: self.rows_valid,
            rows_invalid: self.rows_invalid,
            rows_repaired: self.rows_repaired,
            invalid: groups(&self.invalid),
            repaired: groups(&self.repaired),
            time_unknown: self.time_unknown,
            completeness: dict
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let n = self.non_empty.get(i).copied().unwrap_or(0);
                    FieldCompleteness {
                        field: f.spec.name.clone(),
                        column: self.present.get(i).copied().unwrap_or(false),
                        non_empty: n,
                        percent: pct(n),
                    }
                })
                .collect(),
            event_time: src.event_time.as_ref().map(|field| EventRange {
                field: field.clone(),
                values: self.event_values,
                first: self.event_min.map(show),
                last: self.event_max.map(show),
            }),
            duplicates: src.unique_key.as_ref().map(|field| Duplicates {
                field: field.clone(),
                rows: self.dup_rows,
                keys: self.dup_keys.len() as u64,
                examples: self.dup_examples.clone(),
            }),
            location: dict.file.location.as_ref().map(|_| self.location.clone()),
        }
    }
}

/// A value as it may be shown: personal fields are already `[redacted]` in rejects, personal-looking values
/// elsewhere are redacted; control characters (which could drive a terminal) become `?`, and long values
/// are cut.
fn shown(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let value = crate::personal_data::redact(value);
    let total = value.chars().count();
    let mut s: String = value.chars().take(SHOW_CHARS).map(|c| if c.is_control() { '?' } else { c }).collect();
    if total > SHOW_CHARS {
        let _ = write!(s, "... ({total} characters)");
    }
    Some(s)
}

fn example(file: &str, line: u64, value: &str) -> Example {
    Example { file: file.to_string(), line, value: shown(value) }
}

/// Field indexes of the dictionary's location fields.
struct LocationFields {
    easting: Option<usize>,
    northing: Option<usize>,
    latitude: Option<usize>,
    longitude: Option<usize>,
    lsoa: Option<usize>,
    ward: Option<usize>,
}

impl LocationFields {
    fn new(dict: &Dictionary) -> Option<LocationFields> {
        let loc = dict.file.location.as_ref()?;
        let idx = |n: &Option<String>| n.as_ref().and_then(|n| dict.field_index(n));
        Some(LocationFields {
            easting: idx(&loc.easting),
            northing: idx(&loc.northing),
            latitude: idx(&loc.latitude),
            longitude: idx(&loc.longitude),
            lsoa: idx(&loc.lsoa),
            ward: idx(&loc.ward),
        })
    }
}

fn gss_like(code: &str, prefixes: &[&str]) -> bool {
    let c = code.trim().to_ascii_uppercase();
    c.len() == 9 && prefixes.iter().any(|p| c.starts_with(p)) && c[3..].bytes().all(|b| b.is_ascii_digit())
}

/// Presence and plausibility of a row's location (which ward it is in needs the pipeline's boundaries).
fn tally_location<'a>(t: &mut LocationCoverage, loc: &LocationFields, cell: &dyn Fn(Option<usize>) -> &'a str) {
    t.rows += 1;
    let pair = |a: Option<usize>, b: Option<usize>| {
        let (x, y) = (cell(a), cell(b));
        (!x.trim().is_empty() && !y.trim().is_empty()).then(|| (parse_float(x).ok(), parse_float(y).ok()))
    };
    // 0,0 is a common placeholder for "no location", so it never counts as plausible.
    let bng = pair(loc.easting, loc.northing)
        .map(|p| matches!(p, (Some(e), Some(n)) if e > 0.0 && n > 0.0 && bng_to_wgs84(e, n).is_ok()));
    let wgs = pair(loc.longitude, loc.latitude)
        .map(|p| matches!(p, (Some(x), Some(y)) if (x, y) != (0.0, 0.0) && wgs84_to_bng(x, y).is_ok()));
    let coords_ok = bng == Some(true) || wgs == Some(true);
    if bng.is_some() || wgs.is_some() {
        t.coordinates += 1;
        t.coordinates_in_gb += u64::from(coords_ok);
    }
    let lsoa = cell(loc.lsoa).trim();
    let lsoa_ok = gss_like(lsoa, &["E01", "W01"]);
    if !lsoa.is_empty() {
        t.lsoa += 1;
        t.lsoa_plausible += u64::from(lsoa_ok);
    }
    let ward = cell(loc.ward).trim();
    let ward_ok = gss_like(ward, &["E05", "W05", "S13", "N08"]);
    if !ward.is_empty() {
        t.ward += 1;
        t.ward_plausible += u64::from(ward_ok);
    }
    t.any_plausible += u64::from(coords_ok || lsoa_ok || ward_ok);
}

/// When a header row came out as one column, the file probably uses another delimiter.
fn delimiter_hint(headers: &[String]) -> Option<String> {
    let [only] = headers else { return None };
    let found: Vec<char> = ['|', ':', '^', '~'].into_iter().filter(|c| only.contains(*c)).collect();
    let found = found.first()?;
    Some(format!(
        "the header row is a single column containing '{found}': the file may be delimited by '{found}'; sna reads comma, semicolon or tab"
    ))
}

struct KeyState {
    /// key -> (file, line) of the first valid row holding it
    seen: HashMap<String, (String, u64)>,
}

fn validate_file(
    dict: &Dictionary,
    mapping: &SourceMapping,
    path: &Path,
    sheet: Option<&str>,
    keys: &mut KeyState,
    loc: Option<&LocationFields>,
) -> (FileValidation, Tally) {
    let display = path.display().to_string();
    let mut out = FileValidation {
        path: display.clone(),
        error: None,
        hint: None,
        format: None,
        columns_matched: Vec::new(),
        columns_missing: Vec::new(),
        columns_ignored: Vec::new(),
        summary: Summary::default(),
    };
    let mut tally = Tally::new(dict.fields.len());
    let table = match open_table(path, sheet).and_then(|t| super::reshape::apply(dict.file.reshape.as_ref(), path, t)) {
        Ok(t) => t,
        Err(e) => {
            out.error = Some(e.to_string());
            return (out, tally);
        }
    };
    out.format = Some(table.format.clone());
    let specs: Vec<_> = dict.fields.iter().map(|f| f.spec.clone()).collect();
    // Report what matched even when the file is then refused, so the analyst sees what was found.
    let matched = crate::dictionary::header_match::match_headers_mapped(&specs, &table.headers, mapping)
        .unwrap_or_else(|_| crate::dictionary::header_match::match_headers(&specs, &table.headers));
    for (fi, f) in dict.fields.iter().enumerate() {
        match matched.describe(fi, &table.headers) {
            Some(h) => out.columns_matched.push(ColumnMatch { field: f.spec.name.clone(), header: h }),
            None => out.columns_missing.push(f.spec.name.clone()),
        }
    }
    out.columns_ignored = matched.unmatched.clone();
    let headers = match map_headers(dict, &dict.file.source.name, &display, &table.headers, mapping) {
        Ok(h) => h,
        Err(e) => {
            out.error = Some(e.to_string());
            out.hint = delimiter_hint(&table.headers);
            return (out, tally);
        }
    };
    for (fi, p) in tally.present.iter_mut().enumerate() {
        *p = headers.column_of(fi).is_some();
    }
    let reader = RowReader::new(dict, &headers, mapping, ParseOptions { excel_serials: table.format.kind == "xlsx" });
    let src = &dict.file.source;
    let event_time = src.event_time.as_ref().and_then(|n| dict.field_index(n));
    let unique = src.unique_key.as_ref().and_then(|n| dict.field_index(n));
    for item in table.rows {
        tally.rows_read += 1;
        let row = match item {
            RowItem::Row(r) => r,
            RowItem::Bad(b) => {
                tally.rows_invalid += 1;
                tally.problem(&display, &Reject::new(b.line, b.reason, "", "", b.message));
                continue;
            }
        };
        let line = row.line;
        let cell = |fi: Option<usize>| -> &str {
            fi.and_then(|fi| headers.column_of(fi)).and_then(|ci| row.cells.get(ci)).unwrap_or("")
        };
        for (fi, f) in dict.fields.iter().enumerate() {
            if !f.spec.is_empty_value(cell(Some(fi)).trim()) {
                tally.non_empty[fi] += 1;
            }
        }
        if let Some(loc) = loc {
            tally_location(&mut tally.location, loc, &cell);
        }
        let mut problems: Vec<Reject> = Vec::new();
        let mut repaired: Vec<FieldIssue> = Vec::new();
        let mut time_unknown = false;
        match reader.parse(line, &row.cells) {
            Err(r) => problems.push(r),
            Ok(parsed) => {
                let mut values = parsed.values;
                repaired = parsed.issues;
                time_unknown = parsed.time_unknown;
                match event_of(&values, event_time) {
                    Some(t) if src.parent.is_none() => tally.event(t),
                    _ => {}
                }
                // A child's event time is in its parent's rows, which validation does not have.
                let event = if src.parent.is_some() { None } else { event_of(&values, event_time) };
                repaired.extend(derive_age(dict, line, &mut values, event));
                if let (Some(u), Some(Some(Value::Str(k)))) = (unique, unique.and_then(|u| values.get(u))) {
                    let f = &dict.fields[u];
                    let value = if f.spec.may_echo() { k.as_str() } else { "[redacted]" };
                    if let Some((first_file, first_line)) = keys.seen.get(k.as_str()) {
                        let r = Reject::new(line, "duplicate", &f.spec.name, value, format!("first seen at {first_file} line {first_line}"));
                        tally.dup_rows += 1;
                        tally.dup_keys.insert(k.to_string());
                        if tally.dup_examples.len() < EXAMPLES {
                            tally.dup_examples.push(example(&display, line, value));
                        }
                        problems.push(r);
                    } else {
                        keys.seen.insert(k.to_string(), (display.clone(), line));
                    }
                }
            }
        }
        if problems.is_empty() {
            tally.time_unknown += u64::from(time_unknown);
        }
        if problems.is_empty() && !repaired.is_empty() {
            tally.rows_repaired += 1;
            for i in &repaired {
                tally.repair(&display, i);
            }
        }
        if problems.is_empty() {
            tally.rows_valid += 1;
        } else {
            tally.rows_invalid += 1;
            for p in &problems {
                tally.problem(&display, p);
            }
        }
    }
    out.summary = tally.summary(dict);
    (out, tally)
}

/// Read `files` against `dict` and summarise them. Never writes; a file that cannot be read is reported in
/// its entry (see [`ValidationReport::failure`]).
pub fn validate_files(dict: &Dictionary, mapping: &SourceMapping, files: &[PathBuf], sheet: Option<&str>) -> ValidationReport {
    let loc = LocationFields::new(dict);
    let mut keys = KeyState { seen: HashMap::new() };
    let mut all = Tally::new(dict.fields.len());
    let mut out = Vec::new();
    for path in files {
        let (fv, tally) = validate_file(dict, mapping, path, sheet, &mut keys, loc.as_ref());
        all.absorb(&tally);
        out.push(fv);
    }
    let src = &dict.file.source;
    let mut not_checked = Vec::new();
    if let Some(p) = &src.parent {
        not_checked.push(format!("links to {} by {} (ingest rejects unlinked rows as orphan_record)", p.source, p.key));
        if dict.file.age.as_ref().is_some_and(|a| a.date_of_birth.is_some()) {
            not_checked.push(format!("age from date of birth (the event time is in {})", p.source));
        }
    }
    if dict.file.location.is_some() {
        not_checked.push("which ward each record is in (needs the pipeline's ward boundaries and lookups)".into());
    }
    ValidationReport {
        source: src.name.clone(),
        title: src.title.clone(),
        dictionary_sha256: dict.hash.clone(),
        files: out,
        overall: all.summary(dict),
        not_checked,
    }
}

impl ValidationReport {
    /// The error for files that could not be read at all, if any.
    pub fn failure(&self) -> Option<IngestError> {
        let bad: Vec<&FileValidation> = self.files.iter().filter(|f| f.error.is_some()).collect();
        let first = bad.first()?;
        Some(IngestError::File {
            file: format!("{} of {} file(s) could not be read", bad.len(), self.files.len()),
            message: first.error.clone().unwrap_or_default(),
        })
    }
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 { "-".into() } else { format!("{:.1}%", n as f64 * 100.0 / of as f64) }
}

fn lines(ex: &[Example], with_file: bool) -> String {
    ex.iter()
        .map(|e| if with_file { format!("{}:{}", e.file, e.line) } else { e.line.to_string() })
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_groups(out: &mut String, title: &str, groups: &[InvalidGroup], with_file: bool) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title} (reason, field, count, example {}):", if with_file { "rows" } else { "lines" });
    for g in groups {
        let field = if g.field.is_empty() { "(whole row)" } else { g.field.as_str() };
        let values: Vec<String> = g.examples.iter().filter_map(|e| e.value.as_ref()).map(|v| format!("\"{v}\"")).collect();
        let eg = if values.is_empty() { String::new() } else { format!("  e.g. {}", values.join(", ")) };
        let _ = writeln!(out, "    {:<18} {:<24} {:>7}  {}{eg}", g.reason, field, g.count, lines(&g.examples, with_file));
    }
}

fn render_summary(out: &mut String, s: &Summary, with_file: bool) {
    let _ = writeln!(
        out,
        "  rows: {} read, {} would be staged ({} with values repaired), {} would be quarantined",
        s.rows_read, s.rows_valid, s.rows_repaired, s.rows_invalid
    );
    render_groups(out, "quarantined rows", &s.invalid, with_file);
    render_groups(out, "repaired values (the row is staged)", &s.repaired, with_file);
    if s.time_unknown > 0 {
        let _ = writeln!(out, "  event time without a time of day: {} row(s) (left out of time-of-day tables)", s.time_unknown);
    }
    if s.completeness.iter().any(|c| c.column) {
        let _ = writeln!(out, "  completeness (non-empty, of rows read):");
        for c in s.completeness.iter().filter(|c| c.column) {
            let _ = writeln!(out, "    {:<24} {:>7}", c.field, pct(c.non_empty, s.rows_read));
        }
    }
    let absent: Vec<&str> = s.completeness.iter().filter(|c| !c.column).map(|c| c.field.as_str()).collect();
    if !absent.is_empty() {
        let _ = writeln!(out, "  fields with no column: {}", absent.join(", "));
    }
    if let Some(e) = &s.event_time {
        match (&e.first, &e.last) {
            (Some(a), Some(b)) => {
                let _ = writeln!(out, "  {}: {a} to {b} ({} readable values)", e.field, e.values);
            }
            _ => {
                let _ = writeln!(out, "  {}: no readable values", e.field);
            }
        }
    }
    if let Some(d) = &s.duplicates {
        if d.rows == 0 {
            let _ = writeln!(out, "  duplicate {}: none", d.field);
        } else {
            let keys: Vec<String> = d.examples.iter().filter_map(|e| e.value.as_ref()).map(|v| format!("\"{v}\"")).collect();
            let _ = writeln!(
                out,
                "  duplicate {}: {} row(s) repeat {} key(s), e.g. {} at {}",
                d.field,
                d.rows,
                d.keys,
                keys.join(", "),
                lines(&d.examples, with_file)
            );
        }
    }
    if let Some(l) = &s.location {
        let n = s.rows_read;
        let part = |what: &str, has: u64, ok: u64, good: &str| {
            if has == 0 { format!("{what} none") } else { format!("{what} {} ({ok} of {has} {good})", pct(has, n)) }
        };
        let _ = writeln!(
            out,
            "  location (of rows read): {}, {}, {}; some plausible location {}",
            part("coordinates", l.coordinates, l.coordinates_in_gb, "inside the GB grid"),
            part("LSOA code", l.lsoa, l.lsoa_plausible, "well-formed"),
            part("ward code", l.ward, l.ward_plausible, "well-formed"),
            pct(l.any_plausible, n)
        );
    }
}

/// The report as text for a terminal.
pub fn render_text(r: &ValidationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}): {} file(s); nothing is written", r.title, r.source, r.files.len());
    for f in &r.files {
        let _ = writeln!(out, "\n{}", f.path);
        if let Some(fmt) = &f.format {
            let detail = match (fmt.encoding, &fmt.delimiter, &fmt.sheet) {
                (Some(e), Some(d), _) => format!(", {}, delimiter \"{d}\"", e.as_str()),
                (_, _, Some(s)) => format!(", sheet \"{s}\""),
                _ => String::new(),
            };
            let _ = writeln!(out, "  format: {}{detail}", fmt.kind);
            if let Some(note) = &fmt.encoding_note {
                let _ = writeln!(out, "  encoding: {note}");
            }
        }
        if !f.columns_matched.is_empty() {
            let cols: Vec<String> =
                f.columns_matched.iter().map(|c| format!("{} <- \"{}\"", c.field, shown(&c.header).unwrap_or_default())).collect();
            let _ = writeln!(out, "  columns: {}", cols.join(", "));
        }
        if !f.columns_ignored.is_empty() {
            let cols: Vec<String> = f.columns_ignored.iter().map(|c| format!("\"{}\"", shown(c).unwrap_or_default())).collect();
            let _ = writeln!(out, "  ignored columns (not staged): {}", cols.join(", "));
        }
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  CANNOT READ: {e}");
            if let Some(h) = &f.hint {
                let _ = writeln!(out, "  hint: {h}");
            }
            continue;
        }
        render_summary(&mut out, &f.summary, false);
    }
    let readable = r.files.iter().filter(|f| f.error.is_none()).count();
    if readable > 1 {
        let _ = writeln!(out, "\nall {readable} readable files");
        render_summary(&mut out, &r.overall, true);
    }
    if !r.not_checked.is_empty() {
        let _ = writeln!(out, "\nnot checked here (sna ingest checks them): {}", r.not_checked.join("; "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Registry;

    fn report(text: &[u8], name: &str) -> ValidationReport {
        let reg = Registry::embedded().expect("registry");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        validate_files(reg.get("police_offences").expect("dict"), &SourceMapping::default(), &[path], None)
    }

    #[test]
    fn counts_invalid_values_duplicates_dates_and_location() {
        let r = report(
            b"CRIS No,Committed From,HO Code,Easting,Northing,LSOA\n\
              CRIS-0001,15/03/2025 23:15,8N,530500,180500,E01000001\n\
              CRIS-0001,16/03/2025,8N,0,0,\n\
              CRIS-0002,31/02/2025,ZZ,,,nonsense\n\
              CRIS-0003,2025-01-02T03:04:05,8N\n\
              CRIS-0004,17/03/2025,99z,-5,180500,\n",
            "o.csv",
        );
        assert!(r.failure().is_none());
        let s = &r.overall;
        assert_eq!((s.rows_read, s.rows_valid, s.rows_invalid, s.rows_repaired), (5, 2, 3, 1));
        let count = |reason: &str, field: &str| s.invalid.iter().find(|g| g.reason == reason && g.field == field).map(|g| g.count);
        assert_eq!(count("bad_date", "committed_from"), Some(1));
        assert_eq!(count("duplicate", "crime_ref"), Some(1));
        assert_eq!(count("unparseable_row", ""), Some(1));
        // A well-formed code not on the list and a coordinate out of range are repairs, not rejects.
        let repaired = |reason: &str, field: &str| s.repaired.iter().find(|g| g.reason == reason && g.field == field).map(|g| g.count);
        assert_eq!(repaired("unknown_code", "ho_code"), Some(1));
        assert_eq!(repaired("bad_coordinates", "easting"), Some(1));
        assert_eq!(s.time_unknown, 1, "17/03/2025 has no time of day (the duplicate on 16/03 is not staged)");
        let e = s.event_time.as_ref().expect("event range");
        assert_eq!((e.first.as_deref(), e.last.as_deref(), e.values), (Some("2025-03-15 23:15"), Some("2025-03-17 00:00"), 3));
        let d = s.duplicates.as_ref().expect("dups");
        assert_eq!((d.rows, d.keys, d.examples[0].line), (1, 1, 3));
        let l = s.location.as_ref().expect("location");
        assert_eq!((l.coordinates, l.coordinates_in_gb, l.lsoa, l.lsoa_plausible, l.any_plausible), (3, 1, 2, 1, 1));
        let c = s.completeness.iter().find(|c| c.field == "lsoa_code").expect("lsoa");
        assert_eq!((c.column, c.non_empty, c.percent), (true, 2, 40.0));
        assert!(!s.completeness.iter().find(|c| c.field == "reported_at").expect("reported_at").column);
    }

    #[test]
    fn unreadable_files_are_reported_with_a_delimiter_hint() {
        let r = report(b"CRIS No|Committed From|HO Code\nCRIS-0001|15/03/2025|8N\n", "pipe.csv");
        let f = &r.files[0];
        assert!(f.error.as_deref().is_some_and(|e| e.contains("crime_ref")), "{:?}", f.error);
        assert!(f.hint.as_deref().is_some_and(|h| h.contains('|')));
        assert!(r.failure().is_some());
        assert!(render_text(&r).contains("CANNOT READ"));
    }

    #[test]
    fn long_and_control_values_are_shortened() {
        let v = shown(&format!("\u{1b}[31m{}", "x".repeat(1000))).expect("shown");
        assert!(v.starts_with("?[31m") && v.ends_with("(1005 characters)"), "{v}");
        assert_eq!(shown(""), None);
    }
}
