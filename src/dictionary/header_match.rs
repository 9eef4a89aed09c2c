//! Header matching: a dictionary field matches a column when its name or any alias is equal after folding
//! case and dropping spaces and punctuation (`Crime Ref`, `CRIME_REF`, `crime-ref` all fold to `crimeref`).

use super::mapping::{MappedColumn, SourceMapping};
use super::model::{FieldSpec, FieldType};
use std::collections::BTreeMap;

/// Fold a header for comparison: lower case, letters and digits only.
pub fn fold(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Result of matching a file's header row against a dictionary.
#[derive(Debug, Clone, Default)]
pub struct HeaderMap {
    /// field index in the dictionary -> column index in the file
    pub columns: BTreeMap<usize, usize>,
    /// file columns that matched no field (ignored, reported)
    pub unmatched: Vec<String>,
    /// two columns that both matched the same field: (field, first header, second header)
    pub ambiguous: Vec<(String, String, String)>,
    /// date-time field index -> the column holding its time of day (its date is in `columns`)
    pub time_columns: BTreeMap<usize, usize>,
}

impl HeaderMap {
    pub fn column_of(&self, field_index: usize) -> Option<usize> {
        self.columns.get(&field_index).copied()
    }

    pub fn time_column_of(&self, field_index: usize) -> Option<usize> {
        self.time_columns.get(&field_index).copied()
    }

    /// The header(s) a field is read from, as reports show them: `Start Date + Start Time` for a pair.
    pub fn describe(&self, field_index: usize, headers: &[String]) -> Option<String> {
        let h = headers.get(self.column_of(field_index)?)?.clone();
        match self.time_column_of(field_index).and_then(|t| headers.get(t)) {
            Some(t) => Some(format!("{h} + {t}")),
            None => Some(h),
        }
    }
}

/// A header the pipeline file maps a field to is not in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMappedHeader {
    pub field: String,
    pub header: String,
}

/// The fold of the time header that goes with a date header: `Committed Date` -> `committedtime`,
/// `Date From` -> `timefrom`, `Call Date` -> `calltime`.
fn time_partner(folded_date: &str) -> Option<String> {
    folded_date.contains("date").then(|| folded_date.replacen("date", "time", 1))
}

/// [`match_headers`] with a source's `columns` mapping: a mapped field reads exactly the header the pipeline
/// names (its aliases are not used), and a date-time field matched to a date column takes the time of day
/// from the column named like it (`Offence Date` + `Offence Time`), so a time kept apart is never lost.
pub fn match_headers_mapped(fields: &[FieldSpec], headers: &[String], mapping: &SourceMapping) -> Result<HeaderMap, MissingMappedHeader> {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let find = |field: &str, h: &str| -> Result<usize, MissingMappedHeader> {
        let f = fold(h);
        folded.iter().position(|x| *x == f).ok_or_else(|| MissingMappedHeader { field: field.to_string(), header: h.to_string() })
    };
    let mut fixed: BTreeMap<usize, usize> = BTreeMap::new();
    let mut time_columns: BTreeMap<usize, usize> = BTreeMap::new();
    for (fi, field) in fields.iter().enumerate() {
        match mapping.columns.get(&field.name) {
            None => {}
            Some(MappedColumn::Header(h)) => {
                fixed.insert(fi, find(&field.name, h)?);
            }
            Some(MappedColumn::DateAndTime { date, time }) => {
                fixed.insert(fi, find(&field.name, date)?);
                time_columns.insert(fi, find(&field.name, time)?);
            }
        }
    }
    let mut claimed = vec![false; headers.len()];
    for &ci in fixed.values().chain(time_columns.values()) {
        claimed[ci] = true;
    }
    let (mut map, mut claimed) = match_unclaimed(fields, headers, &folded, claimed, |fi| fixed.contains_key(&fi));
    map.columns.extend(fixed);
    // Date-time fields found by alias in a date column: look for the time column beside it.
    for (fi, field) in fields.iter().enumerate() {
        if field.kind != FieldType::Datetime || time_columns.contains_key(&fi) || mapping.columns.contains_key(&field.name) {
            continue;
        }
        let Some(ci) = map.column_of(fi) else { continue };
        let Some(partner) = time_partner(&folded[ci]) else { continue };
        if let Some(ti) = (0..headers.len()).find(|&t| !claimed[t] && folded[t] == partner) {
            claimed[ti] = true;
            time_columns.insert(fi, ti);
        }
    }
    map.time_columns = time_columns;
    map.unmatched = headers.iter().enumerate().filter(|(ci, _)| !claimed[*ci]).map(|(_, h)| h.clone()).collect();
    Ok(map)
}

/// Match headers to fields. A column equal to a field's own name wins over an alias match.
pub fn match_headers(fields: &[FieldSpec], headers: &[String]) -> HeaderMap {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    match_unclaimed(fields, headers, &folded, vec![false; headers.len()], |_| false).0
}

/// Match the columns not yet `claimed` to the fields not `skip`ped: exact canonical names first, then
/// aliases, so `age` beats `Victim Age` for field `age`. Returns the map and which columns are now claimed.
fn match_unclaimed(
    fields: &[FieldSpec],
    headers: &[String],
    folded: &[String],
    mut claimed: Vec<bool>,
    skip: impl Fn(usize) -> bool,
) -> (HeaderMap, Vec<bool>) {
    let mut map = HeaderMap::default();
    for pass in 0..2 {
        for (fi, field) in fields.iter().enumerate() {
            if map.columns.contains_key(&fi) || skip(fi) {
                continue;
            }
            let names: Vec<String> = if pass == 0 {
                vec![fold(&field.name)]
            } else {
                field.aliases.iter().map(|a| fold(a)).collect()
            };
            let hits: Vec<usize> = (0..headers.len())
                .filter(|&ci| !claimed[ci] && names.iter().any(|n| *n == folded[ci]))
                .collect();
            if let Some(&first) = hits.first() {
                map.columns.insert(fi, first);
                claimed[first] = true;
                for &other in &hits[1..] {
                    map.ambiguous.push((field.name.clone(), headers[first].clone(), headers[other].clone()));
                    claimed[other] = true;
                }
            }
        }
    }
    map.unmatched = headers
        .iter()
        .enumerate()
        .filter(|(ci, _)| !claimed[*ci])
        .map(|(_, h)| h.clone())
        .collect();
    (map, claimed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::model::FieldType;

    fn field(name: &str, aliases: &[&str]) -> FieldSpec {
        toml::from_str::<FieldSpec>(&format!(
            "name = \"{name}\"\ntype = \"string\"\naliases = [{}]",
            aliases.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",")
        ))
        .map(|mut f| {
            f.kind = FieldType::String;
            f
        })
        .expect("valid test field")
    }

    #[test]
    fn folding_ignores_case_space_punctuation_and_bom() {
        assert_eq!(fold("Crime Ref"), "crimeref");
        assert_eq!(fold("CRIME_REF"), "crimeref");
        assert_eq!(fold("\u{feff}crime-ref"), "crimeref");
        assert_eq!(fold("crime ref no"), "crimerefno");
    }

    #[test]
    fn aliases_match_and_extra_columns_are_reported() {
        let fields = vec![field("crime_ref", &["CRIS No", "Crime Reference"]), field("age", &["Victim Age"])];
        let headers: Vec<String> = ["cris no", "Victim Surname", "VICTIM_AGE"].iter().map(|s| s.to_string()).collect();
        let m = match_headers(&fields, &headers);
        assert_eq!(m.column_of(0), Some(0));
        assert_eq!(m.column_of(1), Some(2));
        assert_eq!(m.unmatched, vec!["Victim Surname".to_string()]);
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mapped_columns_override_aliases_and_times_pair_with_dates() {
        let mut from = field("committed_from", &["Committed Date", "Offence Date"]);
        from.kind = FieldType::Datetime;
        let mut reported = field("reported_at", &["Reported Date"]);
        reported.kind = FieldType::Datetime;
        let fields = vec![field("crime_ref", &["Crime Ref"]), from, reported];
        // No mapping: the alias finds the date column and its time column is taken beside it.
        let headers = strings(&["Crime Ref", "Committed Date", "Committed Time", "Reported Date", "Notes"]);
        let m = match_headers_mapped(&fields, &headers, &SourceMapping::default()).expect("matched");
        assert_eq!((m.column_of(1), m.time_column_of(1)), (Some(1), Some(2)));
        assert_eq!(m.time_column_of(2), None, "no Reported Time column");
        assert_eq!(m.describe(1, &headers).as_deref(), Some("Committed Date + Committed Time"));
        assert_eq!(m.unmatched, strings(&["Notes"]));
        // A mapping names the headers exactly; the alias column is left alone.
        let headers = strings(&["Occurrence", "Offence Date", "Start Date", "Start Time"]);
        let mapping = SourceMapping {
            columns: BTreeMap::from([
                ("crime_ref".to_string(), MappedColumn::Header("OCCURRENCE".into())),
                ("committed_from".to_string(), MappedColumn::DateAndTime { date: "start date".into(), time: "Start_Time".into() }),
            ]),
            values: BTreeMap::new(),
        };
        let m = match_headers_mapped(&fields, &headers, &mapping).expect("matched");
        assert_eq!((m.column_of(0), m.column_of(1), m.time_column_of(1)), (Some(0), Some(2), Some(3)));
        assert_eq!(m.unmatched, strings(&["Offence Date"]));
        let missing = SourceMapping {
            columns: BTreeMap::from([("crime_ref".to_string(), MappedColumn::Header("URN".into()))]),
            values: BTreeMap::new(),
        };
        let e = match_headers_mapped(&fields, &headers, &missing).expect_err("URN is not a header");
        assert_eq!(e, MissingMappedHeader { field: "crime_ref".into(), header: "URN".into() });
    }

    #[test]
    fn canonical_name_beats_alias_and_duplicates_are_flagged() {
        let fields = vec![field("age", &["Victim Age"])];
        let headers: Vec<String> = ["Victim Age", "Age"].iter().map(|s| s.to_string()).collect();
        let m = match_headers(&fields, &headers);
        assert_eq!(m.column_of(0), Some(1));
        let headers: Vec<String> = ["Age", "AGE"].iter().map(|s| s.to_string()).collect();
        let m = match_headers(&fields, &headers);
        assert_eq!(m.column_of(0), Some(0));
        assert_eq!(m.ambiguous.len(), 1);
    }
}
