//! One raw row -> typed, validated values for every dictionary field, or the first reason it cannot be
//! used. Pure: no I/O, no state beyond what is passed in.

use super::rejects::Reject;
use crate::dictionary::header_match::HeaderMap;
use crate::dictionary::model::FieldType;
use crate::dictionary::values::{parse_bool, parse_date, parse_datetime, parse_float, parse_int, parse_month, Value};
use crate::dictionary::{CompiledField, Dictionary, OnUnknown};

/// Typed values in dictionary field order (None = empty).
pub type Values = Vec<Option<Value>>;

fn reject(line: u64, f: &CompiledField, reason: &str, raw: &str, message: String) -> Reject {
    let value = if f.spec.may_echo() { raw } else { "[redacted]" };
    Reject::new(line, reason, &f.spec.name, value, message)
}

/// Parse one cell for one field.
pub fn parse_cell(line: u64, f: &CompiledField, raw: &str) -> Result<Option<Value>, Reject> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let name = &f.spec.name;
    let bad = |reason: &str, expected: &str| reject(line, f, reason, s, format!("{name} \"{}\" is not {expected}", shown(f, s)));
    let v = match f.spec.kind {
        FieldType::String => Value::Str(s.into()),
        FieldType::Int => Value::Int(parse_int(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Float => Value::Float(parse_float(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Bool => Value::Bool(parse_bool(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Date => Value::Date(parse_date(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Datetime => Value::DateTime(parse_datetime(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Month => Value::Date(parse_month(s).map_err(|e| bad(e.reason, e.expected))?),
        FieldType::Code => {
            let lookup = f.codes.as_ref();
            match lookup.and_then(|c| c.canonical(s)) {
                Some(code) => Value::Str(code.into()),
                None => match &f.on_unknown {
                    OnUnknown::Reject => return Err(bad("unknown_code", "a known code")),
                    OnUnknown::Null => return Ok(None),
                    OnUnknown::MapTo(code) => Value::Str(code.as_str().into()),
                },
            }
        }
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
            return Err(reject(line, f, f.spec.range_reason(), s, format!("{name} {} is outside {range}", shown(f, s))));
        }
    }
    Ok(Some(v))
}

fn shown<'a>(f: &CompiledField, s: &'a str) -> &'a str {
    if f.spec.may_echo() { s } else { "[redacted]" }
}

/// Parse every field of a row, then fill empty fields from seed tables and check required fields.
pub fn parse_row(dict: &Dictionary, headers: &HeaderMap, line: u64, cells: &csv::StringRecord) -> Result<Values, Reject> {
    let mut values: Values = Vec::with_capacity(dict.fields.len());
    for (fi, f) in dict.fields.iter().enumerate() {
        let raw = headers.column_of(fi).and_then(|ci| cells.get(ci)).unwrap_or("");
        values.push(parse_cell(line, f, raw)?);
    }
    for (fi, f) in dict.fields.iter().enumerate() {
        if values[fi].is_some() {
            continue;
        }
        if let Some((table, key_index, column)) = &f.fill {
            if let Some(Some(Value::Str(key))) = values.get(*key_index) {
                if let Some(v) = table.get_at(key, *column) {
                    values[fi] = parse_cell(line, f, v).unwrap_or(None);
                }
            }
        }
    }
    for (fi, f) in dict.fields.iter().enumerate() {
        if f.spec.required && values[fi].is_none() {
            return Err(reject(line, f, "missing_required", "", format!("{} is required but empty", f.spec.name)));
        }
    }
    Ok(values)
}

/// The 5-group ethnicity and coding scheme of a raw ethnicity code ("Not stated" when empty or unknown).
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
