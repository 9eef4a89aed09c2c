//! Ingest one source: every file of it through reader -> header match -> validate -> derive (age,
//! ethnicity, pseudonym, ward) -> staged columns, with every unusable row quarantined.

use super::columns::ColumnKind;
use super::reader::{FileFormat, RowItem, open_table_with};
use super::field_issues::{FieldIssueLog, IssueGroup};
use super::rejects::{Reject, RejectLog};
use super::row::{FieldIssue, Repair, RowReader, Values, ethnic_group};
use super::staged_sink::StagedSink;
use super::{IngestContext, IngestError, SourceInput};
use crate::dictionary::Dictionary;
use crate::dictionary::header_match::{HeaderMap, match_headers_mapped};
use crate::dictionary::mapping::SourceMapping;
use crate::dictionary::values::ParseOptions;
use crate::dictionary::model::FieldType;
use crate::dictionary::values::{Value, age_at};
use crate::geo::crs::wgs84_to_bng;
use chrono::NaiveDateTime;
use serde::Serialize;
use std::collections::BTreeMap;
use compact_str::CompactString;
use std::path::Path;

/// Where a staged row with a unique key went: its 0-based row in the source's staged file and its event
/// time, for linking child rows (victims -> offences).
#[derive(Debug, Clone, Copy)]
pub struct KeyedRow {
    pub row: u64,
    pub event: Option<NaiveDateTime>,
}

/// Key -> staged row of a source. Hashed with foldhash: looked up once per child row, and never iterated.
pub type KeyIndex = foldhash::HashMap<CompactString, KeyedRow>;

/// A row ready to stage. Borrowed where it can be: no heap string per derived cell.
struct StagedRow<'d> {
    values: Values,
    /// Its unique key as read (before pseudonymisation).
    /// The row's unique key as read (inline up to 24 bytes: millions of them are held in the key index).
    key: Option<CompactString>,
    /// (ward index, location status) for a located source.
    located: Option<(Option<usize>, &'static str)>,
    /// Per ethnicity field: (group, scheme).
    groups: Vec<(usize, (&'d str, &'d str))>,
    /// The staged row of its parent (a victim's offence).
    parent_row: Option<u64>,
    /// Values repaired on the way (logged if the row is staged).
    issues: Vec<FieldIssue>,
    /// Fields holding a kept code that is not on their list.
    unknown_kept: Vec<usize>,
    time_unknown: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub sha256: String,
    pub format: FileFormat,
    /// Records read (a header is not one; a line with a stray quote is one, quarantined).
    pub rows_read: u64,
    /// CSV: physical lines of the file, header and blank lines included (XLSX: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_read: Option<u64>,
    pub rows_staged: u64,
    pub rows_rejected: u64,
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Values of staged rows that could not be used as read (see `rejects/<source>_field_issues.csv`);
    /// the rows are staged, so they are not in rows_rejected.
    pub fields_repaired: u64,
    /// Staged rows with at least one repaired value.
    pub rows_repaired: u64,
    /// field -> reason -> values repaired
    pub field_issues: BTreeMap<String, BTreeMap<String, u64>>,
    /// Staged rows whose event time is a date without a time of day (left out of time-of-day tables).
    pub time_unknown: u64,
    /// canonical field -> header it was read from (`Date + Time` for a date-time in two columns)
    pub columns_matched: BTreeMap<String, String>,
    /// headers that matched no field: not staged
    pub columns_ignored: Vec<String>,
    /// headers of free-text fields: matched, but their text is not staged (the code list's value is)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub free_text_not_staged: Vec<String>,
    pub location_status: BTreeMap<String, u64>,
}

pub struct SourceOutcome {
    pub files: Vec<FileReport>,
    pub rejects: RejectLog,
    pub key_index: Option<KeyIndex>,
    /// Repaired values by field and reason, with their commonest values.
    pub field_issues: Vec<IssueGroup>,
}

/// A staged column and where its value comes from.
enum Slot {
    Field(usize),
    EthnicGroup(usize),
    EthnicityScheme(usize),
    /// The resolved ward code, for a located source whose dictionary declares no ward field.
    WardCode,
    /// The parent's row in the parent's staged file (`<parent>_row`): analysis joins on it instead of
    /// hashing the key strings again.
    ParentRow,
    WardName,
    LocationStatus,
    /// Whether a kept code of field `.0` is on its list (`ho_code_known`).
    Known(usize),
    /// The event time has no time of day.
    TimeUnknown,
}

/// Slots in staged-column order; a `Known(fi)` slot always comes right after its `Field(fi)`.
struct StagedSchema {
    slots: Vec<(String, ColumnKind, Slot)>,
}

fn kind_of(t: FieldType) -> ColumnKind {
    match t {
        FieldType::String | FieldType::Code => ColumnKind::Str,
        FieldType::Int => ColumnKind::Int,
        FieldType::Float => ColumnKind::Float,
        FieldType::Bool => ColumnKind::Bool,
        FieldType::Date | FieldType::Month => ColumnKind::Date,
        FieldType::Datetime => ColumnKind::Datetime,
    }
}

impl StagedSchema {
    fn new(dict: &Dictionary) -> StagedSchema {
        let mut slots = Vec::new();
        let event = dict.file.source.event_time.as_ref().and_then(|n| dict.field_index(n));
        for (fi, f) in dict.fields.iter().enumerate() {
            if !f.spec.stage {
                continue;
            }
            slots.push((f.spec.name.clone(), kind_of(f.spec.kind), Slot::Field(fi)));
            if let Some(known) = f.known_column() {
                slots.push((known, ColumnKind::Bool, Slot::Known(fi)));
            }
            if Some(fi) == event && f.spec.kind == FieldType::Datetime {
                slots.push((TIME_UNKNOWN.into(), ColumnKind::Bool, Slot::TimeUnknown));
            }
            if f.spec.ethnicity {
                slots.push(("ethnic_group".into(), ColumnKind::Str, Slot::EthnicGroup(fi)));
                slots.push(("ethnicity_scheme".into(), ColumnKind::Str, Slot::EthnicityScheme(fi)));
            }
        }
        if dict.file.location.is_some() {
            let declares_ward = dict
                .file
                .location
                .as_ref()
                .and_then(|l| l.ward.as_ref())
                .and_then(|w| dict.field_index(w))
                .is_some_and(|i| dict.fields[i].spec.stage);
            if !declares_ward {
                slots.push(("ward_code".into(), ColumnKind::Str, Slot::WardCode));
            }
            slots.push(("ward_name".into(), ColumnKind::Str, Slot::WardName));
            slots.push(("location_status".into(), ColumnKind::Str, Slot::LocationStatus));
        }
        if let Some(parent) = &dict.file.source.parent {
            slots.push((parent_row_column(&parent.source), ColumnKind::Int, Slot::ParentRow));
        }
        StagedSchema { slots }
    }
}

fn str_of(values: &Values, i: Option<usize>) -> Option<&str> {
    match i.and_then(|i| values.get(i)) {
        Some(Some(Value::Str(s))) => Some(s.as_str()),
        _ => None,
    }
}

fn float_of(values: &Values, i: Option<usize>) -> Option<f64> {
    match i.and_then(|i| values.get(i)) {
        Some(Some(Value::Float(f))) => Some(*f),
        Some(Some(Value::Int(v))) => Some(*v as f64),
        _ => None,
    }
}

/// Rows processed together: parsed, validated, pseudonymised and located in parallel, then staged in file
/// order (duplicate keys are decided in that order, so the first of two rows is always the one kept).
const BATCH_ROWS: usize = 8192;

/// The staged column marking records whose event time has no time of day.
pub const TIME_UNKNOWN: &str = "time_unknown";

/// Where a source's outputs go.
pub struct SourceOutputs<'a> {
    pub staged: &'a Path,
    pub field_issues: &'a Path,
    pub provenance: &'a crate::table_io::Provenance,
}

/// Ingest one source's files into `staged` (Parquet, written in chunks, atomically) and return what was
/// done; rejected rows are in the returned log, repaired values in the field-issues file.
pub fn ingest_source(
    ctx: &IngestContext,
    dict: &Dictionary,
    input: &SourceInput,
    parent_index: Option<&KeyIndex>,
    out: &SourceOutputs,
) -> Result<SourceOutcome, IngestError> {
    crate::fsutil::with_atomic_file(out.staged, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| IngestError::io(out.staged, e))?;
        let issues = FieldIssueLog::create(&input.name, out.field_issues).map_err(|e| IngestError::io(out.field_issues, e))?;
        ingest_into(ctx, dict, input, parent_index, file, issues, out.provenance)
    })
}

fn ingest_into(
    ctx: &IngestContext,
    dict: &Dictionary,
    input: &SourceInput,
    parent_index: Option<&KeyIndex>,
    staged_file: std::fs::File,
    mut issues: FieldIssueLog,
    provenance: &crate::table_io::Provenance,
) -> Result<SourceOutcome, IngestError> {
    let files = &input.files;
    use rayon::prelude::*;
    let schema = StagedSchema::new(dict);
    let mut columns: Vec<(String, ColumnKind)> = vec![("source_file".into(), ColumnKind::Str), ("source_line".into(), ColumnKind::Int)];
    columns.extend(schema.slots.iter().map(|(n, k, _)| (n.clone(), *k)));
    let polars_err = |e| IngestError::Polars { context: format!("staging {}", dict.file.source.name), source: e };
    let mut sink = StagedSink::new(staged_file, columns, provenance).map_err(polars_err)?;

    let src = &dict.file.source;
    let idx = |name: &Option<String>| name.as_ref().and_then(|n| dict.field_index(n));
    let unique = idx(&src.unique_key);
    let event_time = idx(&src.event_time);
    let parent_key = src.parent.as_ref().and_then(|p| dict.field_index(&p.key));
    let loc = dict.file.location.clone().unwrap_or_default();
    let (easting, northing, lat, lon, lsoa, ward) =
        (idx(&loc.easting), idx(&loc.northing), idx(&loc.latitude), idx(&loc.longitude), idx(&loc.lsoa), idx(&loc.ward));
    let pseudo_fields: Vec<usize> = (0..dict.fields.len()).filter(|&i| dict.fields[i].spec.pseudonymise).collect();
    let ethnicity_fields: Vec<usize> = (0..dict.fields.len()).filter(|&i| dict.fields[i].spec.ethnicity).collect();

    // Keys as read (before pseudonymisation) -> event time; also the duplicate check.
    let mut keys: KeyIndex = KeyIndex::default();
    // Rows staged so far from all of this source's files: the next row's index in the staged file.
    let mut staged_rows: u64 = 0;
    let mut rejects = RejectLog::default();
    let mut reports = Vec::new();

    for input_file in files {
        let (path, sheet, mapping) = (&input_file.path, input_file.sheet.as_deref(), input_file.mapping.as_ref());
        let display = ctx.display_path(path);
        // The file's hash is read on its own thread, beside the ingest of the same file.
        let hashing = {
            let owned = path.clone();
            std::thread::Builder::new()
                .name("sna-hash".into())
                .spawn(move || crate::fsutil::sha256_file(&owned))
                .map_err(|e| IngestError::io(path, e))?
        };
        let table = super::reshape::apply(dict.file.reshape.as_ref(), path, open_table_with(path, sheet, &ctx.settings.workbook)?)?;
        let headers = map_headers(dict, &input.name, &display, &table.headers, mapping)?;
        let mut report = FileReport {
            path: display.clone(),
            sha256: String::new(),
            format: table.format.clone(),
            rows_read: 0,
            lines_read: None,
            rows_staged: 0,
            rows_rejected: 0,
            rejects_by_reason: BTreeMap::new(),
            fields_repaired: 0,
            rows_repaired: 0,
            field_issues: BTreeMap::new(),
            time_unknown: 0,
            columns_matched: headers
                .columns
                .keys()
                .filter_map(|&fi| Some((dict.fields[fi].spec.name.clone(), headers.describe(fi, &table.headers)?)))
                .collect(),
            columns_ignored: headers.unmatched.clone(),
            free_text_not_staged: headers
                .columns
                .keys()
                .filter(|&&fi| dict.fields[fi].spec.free_text)
                .filter_map(|&fi| headers.describe(fi, &table.headers))
                .collect(),
            location_status: BTreeMap::new(),
        };
        let reader = RowReader::new(dict, &headers, mapping, ParseOptions { excel_serials: table.format.kind == "xlsx" });
        let source_file = file_name(path);
        let bar = ctx.progress.rows(&format!("{} {}", src.name, source_file));
        // Everything about one row that does not depend on earlier rows.
        let process = |row: &super::reader::RawRow| -> Result<StagedRow, Reject> {
            let line = row.line;
            let parsed = reader.parse(line, &row.cells)?;
            let (mut values, mut row_issues) = (parsed.values, parsed.issues);
            let parent = match (parent_key, parent_index) {
                (Some(pk), Some(pi)) => str_of(&values, Some(pk)).and_then(|k| pi.get(k).copied()),
                _ => None,
            };
            let event = match (parent_key, parent_index) {
                (Some(_), Some(_)) => parent.and_then(|p| p.event),
                _ => event_of(&values, event_time),
            };
            row_issues.extend(derive_age(dict, line, &mut values, event));
            if let (Some(pk), Some(_), None) = (parent_key, parent_index, parent) {
                let key = str_of(&values, Some(pk)).unwrap_or("");
                let parent = src.parent.as_ref().map(|p| p.source.as_str()).unwrap_or("parent");
                let f = &dict.fields[pk];
                let shown = if f.spec.may_echo() { key } else { "[redacted]" };
                return Err(Reject::new(line, "orphan_record", &f.spec.name, shown, format!("no staged {parent} row has this key")));
            }
            let key = unique.and_then(|u| str_of(&values, Some(u))).map(CompactString::from);
            for &pf in &pseudo_fields {
                if let Some(Some(Value::Str(raw))) = values.get(pf) {
                    let p = ctx.pseudonymiser.pseudonym(raw);
                    values[pf] = Some(Value::Str(p.into()));
                }
            }
            // Location: a point (BNG, or WGS84 converted), else LSOA, else ward code.
            let mut located = None;
            if dict.file.location.is_some() {
                let point = match (float_of(&values, easting), float_of(&values, northing)) {
                    (Some(e), Some(n)) => Some((e, n)),
                    _ => match (float_of(&values, lon), float_of(&values, lat)) {
                        (Some(x), Some(y)) => wgs84_to_bng(x, y).ok(),
                        _ => None,
                    },
                };
                let resolved = ctx.geography.resolve(point, str_of(&values, lsoa), str_of(&values, ward));
                if let (Some(ei), Some(ni), Some((e, n))) = (easting, northing, point) {
                    values[ei] = Some(Value::Float((e * 10.0).round() / 10.0));
                    values[ni] = Some(Value::Float((n * 10.0).round() / 10.0));
                }
                if let Some(li) = lsoa {
                    if let Some(l) = resolved.lsoa21 {
                        values[li] = Some(Value::Str(l.into()));
                    }
                }
                let w = resolved.ward.filter(|&i| i < ctx.geography.wards.wards.len());
                if let Some(wi) = ward {
                    values[wi] = w.map(|i| Value::Str(ctx.geography.wards.wards[i].code.as_str().into()));
                }
                located = Some((w, resolved.status.as_str()));
            }
            let groups = ethnicity_fields.iter().map(|&fi| (fi, ethnic_group(dict, str_of(&values, Some(fi))))).collect();
            Ok(StagedRow {
                values,
                key,
                located,
                groups,
                parent_row: parent.map(|p| p.row),
                issues: row_issues,
                unknown_kept: parsed.unknown_kept,
                time_unknown: parsed.time_unknown,
            })
        };

        // A reader thread parses the next batch while this one is validated and staged.
        let rows = table.rows;
        let lines = table.lines;
        std::thread::scope(|scope| -> Result<(), IngestError> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RowItem>>(2);
            let spawn_failed = |e| IngestError::io(path, e);
            std::thread::Builder::new().name("sna-read".into()).spawn_scoped(scope, move || {
                let mut rows = rows;
                loop {
                    let batch: Vec<RowItem> = rows.by_ref().take(BATCH_ROWS).collect();
                    // A closed channel means the consumer failed; its error is reported there.
                    if batch.is_empty() || tx.send(batch).is_err() {
                        break;
                    }
                }
            }).map_err(spawn_failed)?;
            // A stager thread stages batch N (in file order) while batch N+1 is processed in parallel here.
            let (tx_done, rx_done) = std::sync::mpsc::sync_channel::<Vec<(u64, Result<StagedRow, Reject>)>>(2);
            let (report, rejects, keys, sink, staged_rows, issues) = (&mut report, &mut rejects, &mut keys, &mut sink, &mut staged_rows, &mut issues);
            let (display, source_file, schema) = (&display, &source_file, &schema);
            let stager = std::thread::Builder::new().name("sna-stage".into()).spawn_scoped(scope, move || -> Result<(), IngestError> {
                for results in rx_done {
                    for (line, result) in results {
                        report.rows_read += 1;
                        // Duplicates in file order: the first row with a key is kept. The key is still the raw value
                        // here (pseudonyms were applied to the values only), so a person id is never echoed.
                        let result = result.and_then(|staged| match (unique, &staged.key) {
                            (Some(u), Some(k)) if keys.contains_key(k) => {
                                let f = &dict.fields[u];
                                let shown = if f.spec.may_echo() { k.as_str() } else { "[redacted]" };
                                Err(Reject::new(line, "duplicate", &f.spec.name, shown, "an earlier row has the same key (the first is kept)".into()))
                            }
                            _ => Ok(staged),
                        });
                        let StagedRow { values, key, located, groups, parent_row, issues: row_issues, unknown_kept, time_unknown } = match result {
                            Err(r) => {
                                report.rows_rejected += 1;
                                rejects.push(display, r);
                                continue;
                            }
                            Ok(v) => v,
                        };
                        report.rows_staged += 1;
                        if !row_issues.is_empty() {
                            report.rows_repaired += 1;
                            report.fields_repaired += row_issues.len() as u64;
                            for i in &row_issues {
                                *report.field_issues.entry(i.field.clone()).or_default().entry(i.reason.clone()).or_default() += 1;
                                issues.push(display, i).map_err(|e| IngestError::io(Path::new(display), e))?;
                            }
                        }
                        report.time_unknown += u64::from(time_unknown);
                        if let Some(k) = key {
                            keys.insert(k, KeyedRow { row: *staged_rows, event: event_of(&values, event_time) });
                        }
                        *staged_rows += 1;
                        let (ward_index, status) = located.unwrap_or((None, ""));
                        if !status.is_empty() {
                            match report.location_status.get_mut(status) {
                                Some(n) => *n += 1,
                                None => {
                                    report.location_status.insert(status.to_string(), 1);
                                }
                            }
                        }
                        let located_ward = ward_index.and_then(|i| ctx.geography.wards.wards.get(i));
                        let b = &mut sink.builders;
                        b[0].push_str(Some(source_file));
                        b[1].push(Some(Value::Int(line as i64)));
                        let group_of = |fi: usize| groups.iter().find(|(f, _)| *f == fi).map(|(_, g)| g);
                        let mut values = values;
                        // Whether the last field slot held a value: its `<field>_known` slot follows it directly.
                        let mut field_present = false;
                        for (bi, (_, _, slot)) in schema.slots.iter().enumerate() {
                            let column = &mut b[bi + 2];
                            match slot {
                                Slot::Field(fi) => {
                                    let v = values.get_mut(*fi).and_then(Option::take);
                                    field_present = v.is_some();
                                    column.push(v);
                                }
                                Slot::EthnicGroup(fi) => column.push_str(Some(group_of(*fi).map_or("", |g| g.0))),
                                Slot::EthnicityScheme(fi) => column.push_str(Some(group_of(*fi).map_or("", |g| g.1))),
                                Slot::WardCode => column.push_str(located_ward.map(|w| w.code.as_str())),
                                Slot::WardName => column.push_str(located_ward.map(|w| w.name.as_str())),
                                Slot::LocationStatus => column.push_str(Some(status)),
                                Slot::ParentRow => column.push(parent_row.map(|r| Value::Int(r as i64))),
                                Slot::Known(fi) => column.push(field_present.then(|| Value::Bool(!unknown_kept.contains(fi)))),
                                Slot::TimeUnknown => column.push(Some(Value::Bool(time_unknown))),
                            }
                        }
                        sink.row_done().map_err(polars_err)?;
                    }
                }
                Ok(())
            }).map_err(spawn_failed)?;
            for batch in rx {
                bar.inc(batch.len() as u64);
                let results: Vec<(u64, Result<StagedRow, Reject>)> = batch
                    .par_iter()
                    .map(|item| match item {
                        RowItem::Row(r) => (r.line, process(r)),
                        RowItem::Bad(b) => (b.line, Err(Reject::new(b.line, b.reason, "", "", b.message.clone()))),
                    })
                    .collect();
                // A closed channel means the stager failed; its error is returned below.
                if tx_done.send(results).is_err() {
                    break;
                }
            }
            drop(tx_done);
            stager.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        bar.finish();
        report.lines_read = lines.map(|l| l.lines());
        report.sha256 = hashing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)).map_err(|e| IngestError::io(path, e))?;
        report.rejects_by_reason = rejects.by_reason(&display);
        reports.push(report);
    }
    sink.finish().map_err(polars_err)?;
    let field_issues = issues.finish().map_err(|e| IngestError::io(Path::new(&input.name), e))?;
    let key_index = unique.map(|_| keys);
    Ok(SourceOutcome { files: reports, rejects, key_index, field_issues })
}

/// Match a file's header row to the dictionary and the pipeline's `columns`. A required field with no
/// column, a mapped header the file does not have, or two columns for one field make the file unreadable
/// (shared with `sna validate`, so both judge a file the same way).
pub fn map_headers(dict: &Dictionary, source: &str, display: &str, found: &[String], mapping: &SourceMapping) -> Result<HeaderMap, IngestError> {
    let specs: Vec<_> = dict.fields.iter().map(|f| f.spec.clone()).collect();
    let headers = match_headers_mapped(&specs, found, mapping).map_err(|m| IngestError::MappedColumn {
        file: display.to_string(),
        key: format!("[sources.{source}] columns.{}", m.field),
        header: m.header,
        found: found.iter().map(|h| format!("\"{}\"", header_for_message(h))).collect::<Vec<_>>().join(", "),
    })?;
    for (fi, f) in dict.fields.iter().enumerate() {
        if f.spec.required && headers.column_of(fi).is_none() {
            let mut expected = vec![f.spec.name.clone()];
            expected.extend(f.spec.aliases.iter().cloned());
            return Err(IngestError::MissingColumn {
                file: display.to_string(),
                source_name: source.to_string(),
                field: f.spec.name.clone(),
                expected: expected.join(", "),
                found: found.iter().map(|h| header_for_message(h)).collect::<Vec<_>>().join(", "),
            });
        }
    }
    if let Some((field, a, b)) = headers.ambiguous.first() {
        return Err(IngestError::File {
            file: display.to_string(),
            message: format!("columns \"{a}\" and \"{b}\" both match field {field}; map one with [sources.{source}] columns.{field} = \"...\""),
        });
    }
    Ok(headers)
}

/// A header as it may appear in an error message: a file that is not text (or not this format) gives
/// "headers" full of control characters, which must not reach the terminal, and of any length.
fn header_for_message(h: &str) -> String {
    const MAX: usize = 60;
    let mut s: String = h.chars().take(MAX).map(|c| if c.is_control() { '?' } else { c }).collect();
    if h.chars().nth(MAX).is_some() {
        s.push_str("...");
    }
    s
}

/// The event time held in field `event_time` of a parsed row (a date counts as its midnight).
pub fn event_of(values: &Values, event_time: Option<usize>) -> Option<NaiveDateTime> {
    match event_time.and_then(|e| values.get(e)) {
        Some(Some(Value::DateTime(t))) => Some(*t),
        Some(Some(Value::Date(d))) => d.and_hms_opt(0, 0, 0),
        _ => None,
    }
}

/// Age at the event from a date of birth, when the row gives no age and the event time is known. A birth
/// after the event, or an age outside the age field's range, leaves the age empty and is reported.
pub fn derive_age(dict: &Dictionary, line: u64, values: &mut Values, event: Option<NaiveDateTime>) -> Option<FieldIssue> {
    let (ai, di) = dict.age_fields?;
    if values.get(ai).is_some_and(|v| v.is_some()) {
        return None;
    }
    let (Some(Some(Value::Date(dob))), Some(ev)) = (values.get(di), event) else { return None };
    let dobf = &dict.fields[di];
    let agef = &dict.fields[ai];
    let issue = |reason: &str, expected: String| {
        Some(FieldIssue { line, field: dobf.spec.name.clone(), reason: reason.to_string(), value: "[redacted]".into(), repair: Repair::Nulled, expected })
    };
    let Some(age) = age_at(*dob, ev.date()) else {
        return issue("bad_date", "a date of birth before the event".into());
    };
    let out = agef.spec.min.map(|m| (age as f64) < m).unwrap_or(false) || agef.spec.max.map(|m| (age as f64) > m).unwrap_or(false);
    if out {
        return issue(agef.spec.range_reason(), format!("a date of birth giving an age in range (it gives {age})"));
    }
    values[ai] = Some(Value::Int(age));
    None
}

/// The staged column holding a child row's parent row, e.g. `police_offences_row`.
pub fn parent_row_column(parent_source: &str) -> String {
    format!("{parent_source}_row")
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Registry;

    #[test]
    fn a_located_source_always_stages_its_ward_code() {
        let reg = Registry::embedded().expect("registry");
        let text = "[source]\nname='x'\ntitle='x'\n[location]\nlsoa='lsoa_code'\n[[field]]\nname='lsoa_code'\ntype='string'\n";
        let dict = Dictionary::from_toml(text, &reg.seeds).expect("dictionary");
        let names: Vec<String> = StagedSchema::new(&dict).slots.iter().map(|(n, _, _)| n.clone()).collect();
        assert_eq!(names, ["lsoa_code", "ward_code", "ward_name", "location_status"]);
        // A dictionary that declares the ward field stages it once, in its own place.
        let offences = reg.get("police_offences").expect("offences");
        let names: Vec<String> = StagedSchema::new(offences).slots.iter().map(|(n, _, _)| n.clone()).collect();
        assert_eq!(names.iter().filter(|n| *n == "ward_code").count(), 1);
    }
}
