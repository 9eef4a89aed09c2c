//! Which source a file is: its header row against every dictionary. A dictionary's fields are placed by
//! its aliases as ingest places them, then by close matches; the score weighs the share of required fields
//! placed heavily, and the share of all fields after it.

use super::propose::{date_for_time, propose, quoted, Proposal, Proposals};
use crate::dictionary::header_match::match_headers_mapped;
use crate::dictionary::mapping::{MappedColumn, SourceMapping};
use crate::dictionary::model::{FieldSpec, FieldType};
use crate::dictionary::{Dictionary, Registry};
use crate::ingest::reader::{FileFormat, TableReader};
use std::collections::BTreeMap;
use std::path::Path;

/// Weight of the required share against the share of all fields.
const REQUIRED_WEIGHT: f64 = 3.0;
/// Below this share of fields placed a file is not recognised as the source.
const MIN_FIELD_SHARE: f64 = 0.3;
/// ... unless it has every required field and at least this many fields in all.
const MIN_MINIMAL_FIELDS: usize = 3;

/// One file's headers against one dictionary.
#[derive(Debug, Clone)]
pub struct SourceMatch {
    pub source: String,
    pub fields: usize,
    pub required: usize,
    /// Fields the aliases place (ingest needs no `columns` entry for them), dictionary order.
    pub by_alias: Vec<String>,
    /// `columns` entries to write, and required fields still without a column.
    pub proposals: Proposals,
    /// Two headers matched one field's aliases: (field, first, other, required). Ingest reads the first.
    pub ambiguous: Vec<(String, String, String, bool)>,
    /// The header each placed field is read from (the date header of a pair), after any reshape.
    pub columns: BTreeMap<String, String>,
    /// Headers no field reads, in file order: shown so a column the dictionary does not know (a flag
    /// under an unfamiliar name) is seen, not silently dropped.
    pub unused: Vec<String>,
    pub score: f64,
}

impl SourceMatch {
    pub fn placed(&self) -> usize {
        self.columns.len()
    }

    pub fn required_placed(&self) -> usize {
        self.required - self.proposals.unplaced.len()
    }

    /// Good enough to assign the file to this source: some required field placed, and a fair share of the
    /// fields, or every required field and a few besides (a minimal extract of a wide source).
    pub fn recognised(&self) -> bool {
        let share = self.placed() as f64 >= MIN_FIELD_SHARE * self.fields as f64;
        let minimal = self.required_placed() == self.required && self.placed() >= MIN_MINIMAL_FIELDS;
        self.required_placed() > 0 && (share || minimal)
    }

    /// `police_offences: 14 of 24 fields, all 3 required`
    pub fn describe(&self) -> String {
        format!("{}: {}", self.source, self.counts())
    }

    /// `14 of 24 fields, all 3 required`
    pub fn counts(&self) -> String {
        let req = match (self.required_placed(), self.required) {
            (p, r) if p == r && r == 1 => "the required one".to_string(),
            (p, r) if p == r => format!("all {r} required"),
            (0, r) => format!("none of {r} required"),
            (p, r) => format!("{p} of {r} required"),
        };
        let close = self.proposals.proposals.iter().filter(|p| p.reason.starts_with("close match")).count();
        let paired = self.proposals.proposals.len() - close;
        let mut extra = String::new();
        if close > 0 {
            extra.push_str(&format!(", {close} by close match"));
        }
        if paired > 0 {
            extra.push_str(&format!(", {paired} time column paired with its date"));
        }
        format!("{} of {} fields, {req}{extra}", self.placed(), self.fields)
    }

    /// Whether two files read the same way: the same `columns` and the same required fields missing.
    pub fn layout_key(&self) -> String {
        let cols: Vec<String> = self.proposals.proposals.iter().map(|p| format!("{}={}", p.field, p.column.describe())).collect();
        let missing: Vec<&str> = self.proposals.unplaced.iter().map(|u| u.field.as_str()).collect();
        format!("{}|{}", cols.join(";"), missing.join(";"))
    }
}

/// Headers as the dictionary's reshape sees them (month columns become `month` and `count`); the file's
/// own headers when it has no reshape or the reshape does not fit.
fn reshaped(dict: &Dictionary, path: &Path, headers: &[String]) -> Vec<String> {
    if dict.file.reshape.is_none() {
        return headers.to_vec();
    }
    let table = TableReader {
        headers: headers.to_vec(),
        format: FileFormat { kind: "csv", encoding: None, encoding_note: None, delimiter: None, sheet: None },
        rows: Box::new(std::iter::empty()),
        lines: None,
    };
    match crate::ingest::reshape::apply(dict.file.reshape.as_ref(), path, table) {
        Ok(t) => t.headers,
        Err(_) => headers.to_vec(),
    }
}

/// Match `headers` against `dict`: aliases first (exactly as ingest), then close matches.
pub fn assess(dict: &Dictionary, path: &Path, headers: &[String]) -> SourceMatch {
    let headers = reshaped(dict, path, headers);
    let specs: Vec<FieldSpec> = dict.fields.iter().map(|f| f.spec.clone()).collect();
    let map = match match_headers_mapped(&specs, &headers, &SourceMapping::default()) {
        Ok(m) => m,
        Err(_) => crate::dictionary::header_match::match_headers(&specs, &headers),
    };
    // `unmatched` is the in-order subsequence of headers nothing claimed.
    let mut free = vec![false; headers.len()];
    let mut next = map.unmatched.iter().peekable();
    for (i, h) in headers.iter().enumerate() {
        if next.peek().is_some_and(|u| *u == h) {
            free[i] = true;
            next.next();
        }
    }
    let mut columns = BTreeMap::new();
    let mut by_alias = Vec::new();
    let mut time_fixes: Vec<Proposal> = Vec::new();
    let mut unplaced = Vec::new();
    for (fi, f) in specs.iter().enumerate() {
        let Some(ci) = map.column_of(fi) else {
            unplaced.push(fi);
            continue;
        };
        let h = headers[ci].clone();
        by_alias.push(f.name.clone());
        let time_only = f.kind == FieldType::Datetime && map.time_column_of(fi).is_none();
        if let Some(date) = time_only.then(|| date_for_time(&h, &headers, &free)).flatten() {
            if let Some(di) = headers.iter().position(|x| *x == date) {
                free[di] = false;
            }
            time_fixes.push(Proposal {
                field: f.name.clone(),
                column: MappedColumn::DateAndTime { date: date.clone(), time: h.clone() },
                reason: format!("the aliases take only the time of day from {}; its date is in {}", quoted(&h), quoted(&date)),
            });
            columns.insert(f.name.clone(), date);
            continue;
        }
        columns.insert(f.name.clone(), h);
    }
    let mut proposals = propose(dict, &headers, free, &unplaced);
    for p in &proposals.proposals {
        let h = match &p.column {
            MappedColumn::Header(h) => h.clone(),
            MappedColumn::DateAndTime { date, .. } => date.clone(),
        };
        columns.insert(p.field.clone(), h);
    }
    proposals.proposals.splice(0..0, time_fixes);
    let mut used: Vec<&str> = columns.values().map(String::as_str).collect();
    used.extend(map.time_columns.values().filter_map(|&ci| headers.get(ci)).map(String::as_str));
    used.extend(map.ambiguous.iter().map(|(_, _, b)| b.as_str()));
    for p in &proposals.proposals {
        if let MappedColumn::DateAndTime { time, .. } = &p.column {
            used.push(time);
        }
    }
    let unused: Vec<String> = headers.iter().filter(|h| !used.contains(&h.as_str())).cloned().collect();
    let fields = specs.len();
    let required = specs.iter().filter(|f| f.required).count();
    let mut m = SourceMatch {
        source: dict.name().to_string(),
        fields,
        required,
        by_alias,
        proposals,
        ambiguous: map
            .ambiguous
            .iter()
            .map(|(f, a, b)| (f.clone(), a.clone(), b.clone(), dict.field_index(f).is_some_and(|i| specs[i].required)))
            .collect(),
        columns,
        unused,
        score: 0.0,
    };
    let req_share = if required == 0 { 0.0 } else { m.required_placed() as f64 / required as f64 };
    m.score = REQUIRED_WEIGHT * req_share + m.placed() as f64 / fields.max(1) as f64;
    m
}

/// Every source's match for `headers`, best first: recognised ones before the rest (a source with one
/// required field scores high on a single match), then by score, fields placed and name.
pub fn rank(registry: &Registry, path: &Path, headers: &[String]) -> Vec<SourceMatch> {
    let mut all: Vec<SourceMatch> = registry.dictionaries.values().map(|d| assess(d, path, headers)).collect();
    all.sort_by(|a, b| {
        b.recognised()
            .cmp(&a.recognised())
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| b.placed().cmp(&a.placed()))
            .then_with(|| a.source.cmp(&b.source))
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn best(headers: &[&str]) -> SourceMatch {
        let reg = Registry::embedded().expect("registry");
        rank(&reg, Path::new("x.csv"), &strings(headers)).remove(0)
    }

    #[test]
    fn scores_weigh_required_fields_and_tell_victims_from_suspects() {
        let v = best(&["CRIS No", "Victim ID", "Victim Surname", "Age", "Sex", "Ethnicity", "Relationship to Suspect", "Injury Level"]);
        assert_eq!(v.source, "police_victims");
        assert_eq!(v.describe(), "police_victims: 7 of 8 fields, the required one");
        let s = best(&["CRIS No", "Suspect ID", "Age", "Sex", "Ethnic Appearance", "Status"]);
        assert_eq!(s.source, "police_suspects");
        // Only the required fields: the offences, though suspects scores higher on its one required field.
        let o = best(&["CRIS No", "Committed From", "HO Code"]);
        assert_eq!((o.source.as_str(), o.required_placed(), o.placed()), ("police_offences", 3, 3));
        let o = best(&["CRIS No", "Committed From", "HO Code", "Easting", "Northing"]);
        assert_eq!((o.source.as_str(), o.required_placed(), o.placed()), ("police_offences", 3, 5));
        assert!(o.recognised());
        let reg = Registry::embedded().expect("registry");
        let h = strings(&["CRIS No", "Committed From", "HO Code"]);
        let off = assess(reg.get("police_offences").expect("d"), Path::new("x.csv"), &h);
        let vic = assess(reg.get("police_victims").expect("d"), Path::new("x.csv"), &h);
        assert!((off.score - (3.0 + 3.0 / off.fields as f64)).abs() < 1e-9, "{}", off.score);
        assert!((vic.score - (3.0 + 1.0 / vic.fields as f64)).abs() < 1e-9, "{}", vic.score);
    }

    #[test]
    fn poor_matches_are_not_recognised() {
        assert!(!best(&["Name", "Address", "Notes"]).recognised());
        // pupils on roll: "Year" is an exclusions alias, but no required field is there
        assert!(!best(&["year", "ethnic_group", "headcount"]).recognised());
        // one required field of many is not enough either
        let m = best(&["CRIS No", "Notes", "Officer", "Station", "Team", "Shift", "Unit", "Desk", "Beat"]);
        assert!(m.placed() < 3);
    }

    #[test]
    fn month_columns_count_for_a_wide_source() {
        let m = best(&["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName", "202401", "202402"]);
        assert_eq!(m.source, "mps_ward");
        assert_eq!(m.required_placed(), m.required);
        assert_eq!(m.placed(), m.fields);
    }

    #[test]
    fn renamed_exports_are_recognised_with_close_matches() {
        let m = best(&["Occurrence Number", "Offence Start Date", "Offence Start Time", "HOC", "Outcome Text", "Zz Beat Code"]);
        assert_eq!(m.source, "police_offences");
        assert_eq!(m.required_placed(), 3);
        assert!(m.by_alias.contains(&"crime_ref".to_string()), "Occurrence Number is an alias");
        let cols: Vec<(String, MappedColumn)> = m.proposals.proposals.iter().map(|p| (p.field.clone(), p.column.clone())).collect();
        assert!(cols.contains(&("ho_code".into(), MappedColumn::Header("HOC".into()))), "{cols:?}");
        assert!(cols.contains(&(
            "committed_from".into(),
            MappedColumn::DateAndTime { date: "Offence Start Date".into(), time: "Offence Start Time".into() }
        )));
        assert!(cols.contains(&("outcome_code".into(), MappedColumn::Header("Outcome Text".into()))));
        assert_eq!(m.unused, ["Zz Beat Code"], "only the column no field takes is listed as not read");
    }

    #[test]
    fn two_alias_matches_for_one_field_are_reported() {
        let m = best(&["CRIS No", "Crime Reference", "Committed From", "HO Code", "DA Flag"]);
        assert_eq!(m.source, "police_offences");
        assert_eq!(m.ambiguous, vec![("crime_ref".to_string(), "CRIS No".to_string(), "Crime Reference".to_string(), true)]);
    }

    #[test]
    fn a_time_only_alias_match_is_paired_with_its_date() {
        let reg = Registry::embedded().expect("registry");
        let m = assess(reg.get("las").expect("las"), Path::new("x.csv"), &strings(&["Incident Number", "Call Date", "Call Time", "Call Category"]));
        let p = m.proposals.proposals.iter().find(|p| p.field == "call_at").expect("call_at pair");
        assert_eq!(p.column, MappedColumn::DateAndTime { date: "Call Date".into(), time: "Call Time".into() });
        assert_eq!(m.columns.get("call_at").map(String::as_str), Some("Call Date"));
    }
}
