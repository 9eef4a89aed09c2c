//! One raw row -> typed values for every dictionary field, the repairs made on the way, or the reason the
//! row cannot be used. Pure: no I/O, no state beyond what is passed in.
//!
//! A row is quarantined only when a required field is missing or unreadable. A bad optional value (an age
//! of 212, an unknown outcome, a sex or location type nobody coded) nulls that field and is logged as a
//! field issue; a code the dictionary keeps (the HO code) is staged as read with `<field>_known = false`.

use super::rejects::Reject;
use crate::dictionary::header_match::HeaderMap;
use crate::dictionary::mapping::SourceMapping;
use crate::dictionary::model::FieldType;
use crate::dictionary::values::{
    parse_bool, parse_date_with, parse_datetime_read, parse_float, parse_int, parse_month, parse_time_with, ParseOptions, Value,
};
use crate::dictionary::{CompiledField, Dictionary, OnUnknown};
use chrono::NaiveDateTime;

/// Typed values in dictionary field order (None = empty).
pub type Values = Vec<Option<Value>>;

/// What was done with a value that could not be used as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The field was left empty.
    Nulled,
    /// The value was staged as read (a code not on the list; `<field>_known = false`).
    Kept,
    /// The dictionary's stand-in code was staged instead (`on_unknown = "U"`).
    SetTo(String),
    /// The date was kept and its time of day left unknown.
    TimeUnknown,
}

impl Repair {
    pub fn describe(&self) -> String {
        match self {
            Repair::Nulled => "nulled".into(),
            Repair::Kept => "kept as read, not on the code list".into(),
            Repair::SetTo(code) => format!("set to {code}"),
            Repair::TimeUnknown => "date kept, time unknown".into(),
        }
    }
}

/// A repaired value: the record is staged, and this is logged in `rejects/<source>_field_issues.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldIssue {
    pub line: u64,
    pub field: String,
    pub reason: String,
    /// The value as read, or `[redacted]` for personal fields.
    pub value: String,
    pub repair: Repair,
    pub expected: String,
}

/// A row's values and what happened to them.
#[derive(Debug, Clone, Default)]
pub struct ParsedRow {
    pub values: Values,
    pub issues: Vec<FieldIssue>,
    /// Fields holding a kept code that is not on their list.
    pub unknown_kept: Vec<usize>,
    /// The event time was given as a date without a time of day.
    pub time_unknown: bool,
}

/// Everything a row is read with: the dictionary, where each field is in this file, the pipeline's value
/// mapping, and whether bare numbers in date columns are Excel serials (workbooks).
pub struct RowReader<'a> {
    dict: &'a Dictionary,
    mapping: &'a SourceMapping,
    opts: ParseOptions,
    /// Per field: (column, time-of-day column, whether `values` maps it), resolved once per file rather than
    /// looked up for every cell.
    slots: Vec<(Option<usize>, Option<usize>, bool)>,
}

/// Why a cell cannot be used as its field's type.
struct Problem {
    reason: String,
    expected: String,
}

fn problem(reason: &str, expected: &str) -> Problem {
    Problem { reason: reason.to_string(), expected: expected.to_string() }
}

fn shown<'a>(f: &CompiledField, s: &'a str) -> &'a str {
    if f.spec.may_echo() { s } else { "[redacted]" }
}

/// A cell read as its field's type: the value, and whether a date-time gave its time of day.
fn read_typed(f: &CompiledField, s: &str, opts: ParseOptions) -> Result<(Value, bool), Problem> {
    let as_problem = |e: crate::dictionary::values::ParseFailure| problem(e.reason, e.expected);
    let v = match f.spec.kind {
        FieldType::String => Value::Str(s.into()),
        FieldType::Int => Value::Int(parse_int(s).map_err(as_problem)?),
        FieldType::Float => Value::Float(parse_float(s).map_err(as_problem)?),
        FieldType::Bool => Value::Bool(parse_bool(s).map_err(as_problem)?),
        FieldType::Date => Value::Date(parse_date_with(s, opts).map_err(as_problem)?),
        FieldType::Datetime => {
            let r = parse_datetime_read(s, opts).map_err(as_problem)?;
            return Ok((Value::DateTime(r.at), r.time_given));
        }
        FieldType::Month => Value::Date(parse_month(s).map_err(as_problem)?),
        FieldType::Code => match f.codes.as_ref().and_then(|c| c.canonical(s)) {
            Some(code) => Value::Str(code.into()),
            None => {
                let malformed = f.codes.as_ref().and_then(|c| c.normaliser()).is_some_and(|n| !n.well_formed(&n.apply(s)));
                let reason = if malformed { "malformed_code" } else { "unknown_code" };
                return Err(problem(reason, "a code on the field's list"));
            }
        },
    };
    let numeric = match v {
        Value::Int(i) => Some(i as f64),
        Value::Float(x) => Some(x),
        _ => None,
    };
    if let Some(x) = numeric {
        let below = f.spec.min.map(|m| x < m).unwrap_or(false);
        let above = f.spec.max.map(|m| x > m).unwrap_or(false);
        if below || above {
            let range = format!("{}..{}", f.spec.min.unwrap_or(f64::NEG_INFINITY), f.spec.max.unwrap_or(f64::INFINITY));
            return Err(Problem { reason: f.spec.range_reason().to_string(), expected: format!("a value in {range}") });
        }
    }
    Ok((v, true))
}

/// One cell's outcome: its value (None = empty), and the issue when it was repaired. Boxed issue and reject:
/// a cell is returned for every field of every row, and repairs are rare, so the common value stays small.
pub struct Cell {
    pub value: Option<Value>,
    pub time_given: bool,
    pub issue: Option<Box<FieldIssue>>,
    pub unknown_kept: bool,
}

impl Cell {
    fn plain(value: Option<Value>, time_given: bool) -> Cell {
        Cell { value, time_given, issue: None, unknown_kept: false }
    }
}

/// Read one cell for one field (and, for a date-time split over two columns, its time cell). A required
/// field that cannot be read rejects the row; anything else is repaired and reported.
pub fn parse_cell(line: u64, f: &CompiledField, raw: &str, time: Option<&str>, opts: ParseOptions) -> Result<Cell, Box<Reject>> {
    let s = raw.trim();
    if f.spec.is_empty_value(s) {
        return Ok(Cell::plain(None, false));
    }
    let name = &f.spec.name;
    let issue = |reason: String, expected: String, repair: Repair| {
        Box::new(FieldIssue { line, field: name.clone(), reason, value: shown(f, s).to_string(), repair, expected })
    };
    match read_typed(f, s, opts) {
        Ok((Value::DateTime(at), given)) if time.is_some() => Ok(join_time(line, f, at, given, time.unwrap_or(""), opts)),
        Ok((v, given)) => Ok(Cell::plain(Some(v), given)),
        Err(p) if p.reason == "unknown_code" || p.reason == "malformed_code" => match &f.on_unknown {
            OnUnknown::Keep => {
                let kept = f.codes.as_ref().and_then(|c| c.normaliser()).map_or_else(|| s.to_string(), |n| n.apply(s));
                // A value kept off its list is staged: personal data typed into a code column is not.
                let kept = match crate::personal_data::redact(s) {
                    std::borrow::Cow::Borrowed(_) => kept,
                    std::borrow::Cow::Owned(redacted) => redacted,
                };
                Ok(Cell { value: Some(Value::Str(kept.as_str().into())), time_given: true, issue: Some(issue(p.reason, p.expected, Repair::Kept)), unknown_kept: true })
            }
            OnUnknown::Null if f.spec.required => Err(reject_of(line, f, &p, s)),
            OnUnknown::Null => Ok(Cell { value: None, time_given: false, issue: Some(issue(p.reason, p.expected, Repair::Nulled)), unknown_kept: false }),
            OnUnknown::MapTo(code) => Ok(Cell {
                value: Some(Value::Str(code.as_str().into())),
                time_given: true,
                issue: Some(issue(p.reason, p.expected, Repair::SetTo(code.clone()))),
                unknown_kept: false,
            }),
        },
        Err(p) if f.spec.required => Err(reject_of(line, f, &p, s)),
        Err(p) => Ok(Cell { value: None, time_given: false, issue: Some(issue(p.reason, p.expected, Repair::Nulled)), unknown_kept: false }),
    }
}

fn reject_of(line: u64, f: &CompiledField, p: &Problem, s: &str) -> Box<Reject> {
    let name = &f.spec.name;
    Box::new(Reject::new(line, &p.reason, name, shown(f, s), format!("{name} \"{}\" is not {}", shown(f, s), p.expected)))
}

/// A date from the date column and the time of day from its time column. No time: the date at 00:00, time
/// unknown. An unreadable time: the same, logged.
fn join_time(line: u64, f: &CompiledField, at: NaiveDateTime, date_had_time: bool, time: &str, opts: ParseOptions) -> Cell {
    let t = time.trim();
    if t.is_empty() {
        return Cell::plain(Some(Value::DateTime(at)), date_had_time);
    }
    match parse_time_with(t, opts) {
        Ok(clock) => Cell::plain(Some(Value::DateTime(at.date().and_time(clock))), true),
        Err(e) => Cell {
            value: Some(Value::DateTime(at)),
            time_given: false,
            issue: Some(Box::new(FieldIssue {
                line,
                field: f.spec.name.clone(),
                reason: e.reason.to_string(),
                value: shown(f, t).to_string(),
                repair: Repair::TimeUnknown,
                expected: e.expected.to_string(),
            })),
            unknown_kept: false,
        },
    }
}

impl<'a> RowReader<'a> {
    pub fn new(dict: &'a Dictionary, headers: &HeaderMap, mapping: &'a SourceMapping, opts: ParseOptions) -> RowReader<'a> {
        let slots = (0..dict.fields.len())
            .map(|fi| (headers.column_of(fi), headers.time_column_of(fi), mapping.values.contains_key(&dict.fields[fi].spec.name)))
            .collect();
        RowReader { dict, mapping, opts, slots }
    }

    /// The raw text of field `fi` in this row, after the pipeline's `values` mapping.
    fn raw<'c>(&'c self, fi: usize, cells: &'c csv::StringRecord) -> &'c str {
        let (col, _, mapped) = self.slots[fi];
        let raw = col.and_then(|ci| cells.get(ci)).unwrap_or("");
        if mapped { self.mapping.value(&self.dict.fields[fi].spec.name, raw).unwrap_or(raw) } else { raw }
    }

    /// Parse every field of a row, then fill empty fields from seed tables and check required fields.
    pub fn parse(&self, line: u64, cells: &csv::StringRecord) -> Result<ParsedRow, Reject> {
        let dict = self.dict;
        let event = dict.event_field;
        let mut row = ParsedRow { values: Vec::with_capacity(dict.fields.len()), ..ParsedRow::default() };
        for (fi, f) in dict.fields.iter().enumerate() {
            if f.spec.free_text {
                // Never read: filled from the code list below.
                row.values.push(None);
                continue;
            }
            let time = self.slots[fi].1.map(|ci| cells.get(ci).unwrap_or(""));
            let mut cell = parse_cell(line, f, self.raw(fi, cells), time, self.opts).map_err(|r| *r)?;
            if f.spec.ethnicity {
                cell = canonical_ethnicity(line, dict, f, cell);
            }
            if Some(fi) == event && f.spec.kind == FieldType::Datetime && cell.value.is_some() && !cell.time_given {
                row.time_unknown = true;
            }
            if cell.unknown_kept {
                row.unknown_kept.push(fi);
            }
            row.issues.extend(cell.issue.map(|i| *i));
            row.values.push(cell.value);
        }
        for (fi, f) in dict.fields.iter().enumerate() {
            if row.values[fi].is_some() {
                continue;
            }
            if let Some((table, key_index, column)) = &f.fill {
                if let Some(Some(Value::Str(key))) = row.values.get(*key_index) {
                    if let Some(v) = table.get_at(key, *column) {
                        row.values[fi] = parse_cell(line, f, v, None, self.opts).ok().and_then(|c| c.value);
                    }
                }
            }
        }
        for (fi, f) in dict.fields.iter().enumerate() {
            if f.spec.required && row.values[fi].is_none() {
                return Err(Reject::new(line, "missing_required", &f.spec.name, "", format!("{} is required but empty", f.spec.name)));
            }
        }
        Ok(row)
    }
}

/// An ethnicity field holds the code of its scheme (`W1 - White British` -> `W1`, `IC3` stays `IC3`); text
/// that names no code is nulled and logged (its group is then "Not stated").
fn canonical_ethnicity(line: u64, dict: &Dictionary, f: &CompiledField, cell: Cell) -> Cell {
    let Some(Value::Str(raw)) = &cell.value else { return cell };
    match dict.ethnicity_codes.canonical(raw) {
        Some(code) if code == raw.as_str() => cell,
        Some(code) => Cell { value: Some(Value::Str(code.into())), ..cell },
        None => Cell {
            value: None,
            time_given: false,
            issue: Some(Box::new(FieldIssue {
                line,
                field: f.spec.name.clone(),
                reason: "unknown_code".into(),
                value: shown(f, raw).to_string(),
                repair: Repair::Nulled,
                expected: "an ethnicity code (SDE 18+1, IC or Census) or its description".into(),
            })),
            unknown_kept: false,
        },
    }
}

/// The 5-group ethnicity and coding scheme of an ethnicity code ("Not stated" when empty).
pub fn ethnic_group<'d>(dict: &'d Dictionary, code: Option<&str>) -> (&'d str, &'d str) {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => ("Not stated", "none"),
        Some(c) => {
            let columns = dict.ethnicity_columns;
            match columns.and_then(|(g, s)| Some((dict.ethnicity.get_at(c, g)?, dict.ethnicity.get_at(c, s)?))) {
                Some(found) => found,
                None => ("Not stated", "unrecognised"),
            }
        }
    }
}
