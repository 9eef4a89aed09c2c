//! A source's own layout, as the pipeline file maps it onto the dictionary: `columns` (the file's header
//! for a canonical field, or a date header and a time header joined into one date-time) and `values`
//! (local codes -> canonical values). These override the dictionary's aliases for that source only, so a
//! real export reads without renaming its headers or rebuilding `sna`.

use super::header_match::fold;
use super::model::FieldType;
use super::Dictionary;
use std::collections::BTreeMap;

/// Where a field's value is in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappedColumn {
    Header(String),
    /// A date in one column and its time of day in another.
    DateAndTime { date: String, time: String },
}

impl MappedColumn {
    /// The headers it names, for messages.
    pub fn describe(&self) -> String {
        match self {
            MappedColumn::Header(h) => format!("\"{h}\""),
            MappedColumn::DateAndTime { date, time } => format!("[\"{date}\", \"{time}\"]"),
        }
    }
}

/// `columns` and `values` of one `[sources.<name>]` table, checked against the source's dictionary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMapping {
    /// canonical field -> where it is in the file
    pub columns: BTreeMap<String, MappedColumn>,
    /// canonical field -> (folded value in the file -> value to read instead)
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The key a value is looked up by: the same folding codes use (trimmed, lower case).
pub fn value_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

impl SourceMapping {
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty() && self.values.is_empty()
    }

    /// Check `columns` and `values` against `dict`. Errors are (key, message), the key as the pipeline file
    /// writes it (`columns.committed_from`).
    pub fn new(
        dict: &Dictionary,
        columns: BTreeMap<String, MappedColumn>,
        values: BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<SourceMapping, (String, String)> {
        let known = || dict.fields.iter().map(|f| f.spec.name.as_str()).collect::<Vec<_>>().join(", ");
        let mut seen_headers: BTreeMap<String, String> = BTreeMap::new();
        for (field, column) in &columns {
            let key = format!("columns.{field}");
            let Some(fi) = dict.field_index(field) else {
                return Err((key, format!("{} has no field {field} (fields: {})", dict.name(), known())));
            };
            let spec = &dict.fields[fi].spec;
            let headers: Vec<&String> = match column {
                MappedColumn::Header(h) => vec![h],
                MappedColumn::DateAndTime { date, time } => {
                    if spec.kind != FieldType::Datetime {
                        return Err((
                            key,
                            format!("a [date, time] pair is for date-time fields; {field} is a {} field", spec.kind.as_str()),
                        ));
                    }
                    vec![date, time]
                }
            };
            for h in headers {
                if fold(h).is_empty() {
                    return Err((key, format!("\"{h}\" is not a header name")));
                }
                if let Some(other) = seen_headers.insert(fold(h), field.clone()) {
                    return Err((key, format!("header \"{h}\" is already mapped to {other}")));
                }
            }
        }
        let mut folded_values = BTreeMap::new();
        for (field, map) in values {
            let key = format!("values.{field}");
            let Some(fi) = dict.field_index(&field) else {
                return Err((key, format!("{} has no field {field} (fields: {})", dict.name(), known())));
            };
            let f = &dict.fields[fi];
            let mut folded = BTreeMap::new();
            for (from, to) in map {
                // A code field's target must be one of its codes (or a spelling of one), else every mapped
                // value would be rejected as unknown later, row by row.
                if let Some(codes) = &f.codes {
                    if codes.canonical(&to).is_none() {
                        let list = codes.codes();
                        let shown = if list.len() > 30 { format!("{} codes, e.g. {}", list.len(), list[..10].join(", ")) } else { list.join(", ") };
                        return Err((format!("{key}.\"{from}\""), format!("\"{to}\" is not a {field} code ({shown})")));
                    }
                }
                if folded.insert(value_key(&from), to).is_some() {
                    return Err((format!("{key}.\"{from}\""), "is given twice (values are matched ignoring case and spaces)".into()));
                }
            }
            folded_values.insert(field, folded);
        }
        Ok(SourceMapping { columns, values: folded_values })
    }

    /// The replacement for a raw value of `field`, if the pipeline maps it.
    pub fn value(&self, field: &str, raw: &str) -> Option<&str> {
        self.values.get(field)?.get(&value_key(raw)).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Registry;

    #[test]
    fn mappings_are_checked_against_the_dictionary() {
        let reg = Registry::embedded().expect("registry");
        let off = reg.get("police_offences").expect("offences");
        let pair = MappedColumn::DateAndTime { date: "Start Date".into(), time: "Start Time".into() };
        let cols = BTreeMap::from([("committed_from".to_string(), pair.clone()), ("crime_ref".to_string(), MappedColumn::Header("Occurrence".into()))]);
        let vals = BTreeMap::from([("location_type".to_string(), BTreeMap::from([("PUBLIC HOUSE".to_string(), "licensed premises".to_string())]))]);
        let m = SourceMapping::new(off, cols, vals).expect("valid");
        assert_eq!(m.value("location_type", " public house "), Some("licensed premises"));
        assert_eq!(m.value("location_type", "pub"), None);

        let err = |cols: BTreeMap<String, MappedColumn>, vals| SourceMapping::new(off, cols, vals).expect_err("invalid");
        let (k, m) = err(BTreeMap::from([("committed_fromm".to_string(), MappedColumn::Header("x".into()))]), BTreeMap::new());
        assert_eq!(k, "columns.committed_fromm");
        assert!(m.contains("no field committed_fromm") && m.contains("committed_from"), "{m}");
        let (k, m) = err(BTreeMap::from([("ho_code".to_string(), pair)]), BTreeMap::new());
        assert_eq!(k, "columns.ho_code");
        assert!(m.contains("date-time fields"), "{m}");
        let two = BTreeMap::from([("crime_ref".to_string(), MappedColumn::Header("Ref".into())), ("ho_code".to_string(), MappedColumn::Header("REF".into()))]);
        assert!(err(two, BTreeMap::new()).1.contains("already mapped"));
        let bad = BTreeMap::from([("location_type".to_string(), BTreeMap::from([("PH".to_string(), "boozer".to_string())]))]);
        let (k, m) = err(BTreeMap::new(), bad);
        assert_eq!(k, "values.location_type.\"PH\"");
        assert!(m.contains("\"boozer\" is not a location_type code") && m.contains("licensed premises"), "{m}");
    }
}
