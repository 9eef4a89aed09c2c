//! Close matches: for fields the dictionary's aliases did not place, the file's headers that look like
//! one of the field's names (same words, a shortened form, or a near spelling). Each header is proposed
//! for one field at most, best match first, so the proposal is deterministic for a given header row.

use crate::dictionary::header_match::fold;
use crate::dictionary::mapping::MappedColumn;
use crate::dictionary::model::FieldType;
use crate::dictionary::Dictionary;

/// How a header resembles a field's name or alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closeness {
    /// The same words once abbreviations are spelled out (`Crime No` ~ `Crime Number`).
    SameWords,
    /// Every word of the name is in the header, or the header is a shortening of the name.
    Contains,
    /// A near spelling (`Commited From` ~ `Committed From`).
    Similar,
}

/// The best resemblance of one header to one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Resemblance {
    pub score: f64,
    pub kind: Closeness,
    /// The field name or alias it resembles, as the dictionary writes it.
    pub name: String,
}

/// A header (or a date and a time header) proposed for a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub field: String,
    pub column: MappedColumn,
    /// Why, for the comment beside it.
    pub reason: String,
}

/// A required field no header was proposed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    pub field: String,
    /// Headers that matched equally well (empty when none matched).
    pub tied: Vec<String>,
}

/// The close matches for one file against one dictionary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Proposals {
    pub proposals: Vec<Proposal>,
    /// Required fields still without a column, in dictionary order.
    pub unplaced: Vec<Unplaced>,
}

/// Words spelled one way, so `Ref`, `Reference`; `No`, `Number`; `Start`, `From` compare equal.
fn canonical_word(w: &str) -> &str {
    match w {
        "start" | "begin" | "beginning" | "earliest" | "from" => "from",
        "end" | "finish" | "until" | "latest" | "to" => "to",
        "no" | "num" | "nbr" | "nr" | "number" => "number",
        "ref" | "reference" => "ref",
        "id" | "identifier" => "id",
        "dt" | "date" => "date",
        "tm" | "time" => "time",
        "desc" | "description" => "description",
        "cat" | "category" => "category",
        "yr" | "year" => "year",
        "perp" | "perpetrator" => "perpetrator",
        "pt" | "patient" => "patient",
        other => other,
    }
}

/// Word pairs that mean opposite things in a header: a `from` field never takes a `to` column.
const OPPOSITES: [(&str, &str); 5] =
    [("from", "to"), ("victim", "suspect"), ("victim", "perpetrator"), ("victim", "offender"), ("victim", "accused")];

/// The words of a header or name: split at punctuation, spaces and camelCase, lower case, canonical.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in s.trim_start_matches('\u{feff}').chars() {
        let boundary = match prev {
            _ if !c.is_alphanumeric() => true,
            Some(p) => (p.is_lowercase() && c.is_uppercase()) || (p.is_alphabetic() != c.is_alphabetic()),
            None => false,
        };
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter().map(|w| canonical_word(&w).to_string()).collect()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn contradicts(field_words: &[String], header_words: &[String]) -> bool {
    let has = |ws: &[String], w: &str| ws.iter().any(|x| x == w);
    OPPOSITES.iter().any(|(a, b)| (has(field_words, a) && has(header_words, b)) || (has(field_words, b) && has(header_words, a)))
}

/// How much `header` looks like `name` (a field name or alias), if enough to propose it.
pub fn resemblance(name: &str, header: &str) -> Option<Resemblance> {
    let (n, h) = (fold(name), fold(header));
    if n.len() < 2 || h.len() < 2 || n == h || digits(&n) != digits(&h) {
        return None;
    }
    let (nw, hw) = (words(name), words(header));
    let ndl = strsim::normalized_damerau_levenshtein(&n, &h);
    let ratio = n.len().min(h.len()) as f64 / n.len().max(h.len()) as f64;
    let subset = |a: &[String], b: &[String]| a.iter().all(|w| b.contains(w));
    let mut best: Option<(f64, Closeness)> = None;
    let mut consider = |score: f64, kind: Closeness| {
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, kind));
        }
    };
    let mut sorted_n = nw.clone();
    let mut sorted_h = hw.clone();
    sorted_n.sort();
    sorted_h.sort();
    if sorted_n == sorted_h {
        consider(0.96, Closeness::SameWords);
    }
    // Whole words of the name inside the header: one word only when it is most of the header
    // (`Outcome` in `Outcome Text`, not `Type` in `Outcome Type`).
    if subset(&nw, &hw) && (nw.len() >= 2 || ratio >= 0.5) {
        consider(0.80 + 0.12 * ratio + 0.02 * ndl, Closeness::Contains);
    }
    // A header that shortens a longer name: fewer of its words, or the start of it (`HOC` ~ `HO Code`).
    if hw.len() >= 2 && subset(&hw, &nw) {
        consider(0.80 + 0.12 * ratio + 0.02 * ndl, Closeness::Contains);
    }
    if h.len() >= 3 && n.starts_with(&h) && ratio >= 0.5 {
        consider(0.78 + 0.12 * ratio, Closeness::Contains);
    }
    if n.len().min(h.len()) >= 5 && ndl >= 0.85 && strsim::jaro_winkler(&n, &h) >= 0.9 {
        consider(ndl.min(0.95), Closeness::Similar);
    }
    best.map(|(score, kind)| Resemblance { score, kind, name: name.to_string() })
}

/// The best resemblance of `header` to any of the field's names: its aliases first (they read like
/// headers, so the reason shown is the one a person would give), then its own name.
fn field_resemblance(field_name: &str, aliases: &[String], header: &str) -> Option<Resemblance> {
    let field_words = words(field_name);
    if contradicts(&field_words, &words(header)) {
        return None;
    }
    let mut best: Option<Resemblance> = None;
    for name in aliases.iter().map(String::as_str).chain(std::iter::once(field_name)) {
        if let Some(r) = resemblance(name, header).filter(|r| best.as_ref().is_none_or(|b| r.score > b.score)) {
            best = Some(r);
        }
    }
    best
}

/// Fields worth a close match: required ones and those the analysis or ingest leans on (keys, dates,
/// flags, codes, numbers, ids, locations, ethnicity); free-text strings are left to the aliases.
pub fn important(dict: &Dictionary, fi: usize) -> bool {
    let f = &dict.fields[fi].spec;
    let loc = dict.file.location.as_ref();
    let located = loc.is_some_and(|l| {
        [&l.easting, &l.northing, &l.latitude, &l.longitude, &l.lsoa, &l.ward].iter().any(|x| x.as_deref() == Some(f.name.as_str()))
    });
    let key = dict.file.source.unique_key.as_deref() == Some(f.name.as_str())
        || dict.file.source.parent.as_ref().is_some_and(|p| p.key == f.name);
    f.required || f.pseudonymise || f.ethnicity || located || key || f.kind != FieldType::String
}

/// The time header beside a date header (`Offence Start Date` -> `Offence Start Time`), or the date
/// header beside a time header, among `free` headers.
fn partner(header: &str, headers: &[String], free: &[bool]) -> Option<(usize, bool)> {
    let f = fold(header);
    let (want, is_time) = if f.contains("date") {
        (f.replacen("date", "time", 1), true)
    } else if f.contains("time") {
        (f.replacen("time", "date", 1), false)
    } else {
        return None;
    };
    (0..headers.len()).find(|&i| free[i] && fold(&headers[i]) == want).map(|i| (i, is_time))
}

/// Propose headers for the `fields` (dictionary indices) still unplaced, from the `free` headers.
/// Candidates are taken best score first (required fields before others at equal score, then dictionary
/// and header order); a required field with two equally good headers gets neither, and is reported tied.
pub fn propose(dict: &Dictionary, headers: &[String], mut free: Vec<bool>, fields: &[usize]) -> Proposals {
    struct Cand {
        fi: usize,
        ci: usize,
        r: Resemblance,
    }
    let mut cands: Vec<Cand> = Vec::new();
    for &fi in fields {
        if !important(dict, fi) {
            continue;
        }
        let spec = &dict.fields[fi].spec;
        for ci in (0..headers.len()).filter(|&ci| free[ci]) {
            if let Some(r) = field_resemblance(&spec.name, &spec.aliases, &headers[ci]) {
                cands.push(Cand { fi, ci, r });
            }
        }
    }
    let required = |fi: usize| dict.fields[fi].spec.required;
    cands.sort_by(|a, b| {
        b.r.score
            .total_cmp(&a.r.score)
            .then_with(|| required(b.fi).cmp(&required(a.fi)))
            .then_with(|| a.fi.cmp(&b.fi))
            .then_with(|| a.ci.cmp(&b.ci))
    });
    let mut done = vec![false; dict.fields.len()];
    let mut out = Proposals::default();
    let mut tied: Vec<Unplaced> = Vec::new();
    for c in &cands {
        if done[c.fi] || !free[c.ci] {
            continue;
        }
        let spec = &dict.fields[c.fi].spec;
        if spec.required {
            let equal: Vec<usize> = cands
                .iter()
                .filter(|o| o.fi == c.fi && o.ci != c.ci && free[o.ci] && (o.r.score - c.r.score).abs() < 1e-9)
                .map(|o| o.ci)
                .collect();
            if !equal.is_empty() {
                done[c.fi] = true;
                let mut all: Vec<usize> = std::iter::once(c.ci).chain(equal).collect();
                all.sort();
                tied.push(Unplaced { field: spec.name.clone(), tied: all.into_iter().map(|i| headers[i].clone()).collect() });
                continue;
            }
        }
        done[c.fi] = true;
        free[c.ci] = false;
        let header = headers[c.ci].clone();
        let why = format!("close match: {} ~ {}", quoted(&header), quoted(&c.r.name));
        let pair = if spec.kind == FieldType::Datetime { partner(&header, headers, &free) } else { None };
        let (column, reason) = match pair {
            Some((pi, is_time)) => {
                free[pi] = false;
                let other = headers[pi].clone();
                let reason = format!("{why}; time of day from {}", quoted(if is_time { &other } else { &header }));
                let column = if is_time {
                    MappedColumn::DateAndTime { date: header, time: other }
                } else {
                    MappedColumn::DateAndTime { date: other, time: header }
                };
                (column, reason)
            }
            None => (MappedColumn::Header(header), why),
        };
        out.proposals.push(Proposal { field: spec.name.clone(), column, reason });
    }
    // Written in dictionary order, like the dictionary reads.
    out.proposals.sort_by_key(|p| dict.field_index(&p.field));
    for &fi in fields {
        let spec = &dict.fields[fi].spec;
        if spec.required && !out.proposals.iter().any(|p| p.field == spec.name) {
            let t = tied.iter().find(|t| t.field == spec.name).map(|t| t.tied.clone()).unwrap_or_default();
            out.unplaced.push(Unplaced { field: spec.name.clone(), tied: t });
        }
    }
    out
}

/// A date-time field the aliases placed on a time-only column (`Call Time`) while its date sits beside it
/// (`Call Date`): ingest pairs a date with its time, not a time with its date, so the pair is written out.
pub fn date_for_time(header: &str, headers: &[String], free: &[bool]) -> Option<String> {
    match partner(header, headers, free) {
        Some((i, false)) => Some(headers[i].clone()),
        _ => None,
    }
}

/// A header as a TOML string, for comments and messages.
pub fn quoted(s: &str) -> String {
    super::render::toml_string(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Registry;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_split_case_punctuation_and_spell_abbreviations_one_way() {
        assert_eq!(words("Offence Start Date"), strings(&["offence", "from", "date"]));
        assert_eq!(words("CRIME_REF_NO"), strings(&["crime", "ref", "number"]));
        assert_eq!(words("PatientAge"), strings(&["patient", "age"]));
        assert_eq!(words("Reason1"), strings(&["reason", "1"]));
        assert_eq!(words("\u{feff}Incident No."), strings(&["incident", "number"]));
    }

    #[test]
    fn resemblance_takes_shortenings_and_near_spellings_but_not_lookalikes() {
        let kind = |n: &str, h: &str| resemblance(n, h).map(|r| r.kind);
        assert_eq!(kind("Crime Number", "Crime No"), Some(Closeness::SameWords));
        assert_eq!(kind("Crime Reference Number", "Crime Ref Number"), Some(Closeness::SameWords));
        assert_eq!(kind("Offence Date", "Offence Start Date"), Some(Closeness::Contains));
        assert_eq!(kind("HO Code", "HOC"), Some(Closeness::Contains));
        assert_eq!(kind("Outcome", "Outcome Text"), Some(Closeness::Contains));
        assert_eq!(kind("Committed From", "Commited From"), Some(Closeness::Similar));
        for (n, h) in [
            ("Patient Sex", "Patient Age"),
            ("Victim Number", "Victim Surname"),
            ("Type", "Outcome Type"),
            ("Reason 2", "Reason 1"),
            ("Age", "Agency"),
            ("Crime Ref", "Crime ID"),
            ("Call Date", "Call Time"),
        ] {
            assert_eq!(resemblance(n, h), None, "{n} ~ {h}");
        }
        let s = |n: &str, h: &str| resemblance(n, h).map(|r| r.score).unwrap_or(0.0);
        assert!(s("Crime Number", "Crime No") > s("Offence Date", "Offence Start Date"));
        assert!(s("Offence Date", "Offence Start Date") > s("HO Code", "HOC"));
    }

    #[test]
    fn opposite_words_never_match() {
        assert!(field_resemblance("committed_from", &strings(&["Offence Date"]), "Offence End Date").is_none());
        assert!(field_resemblance("committed_to", &strings(&["Date To"]), "Offence End Date").is_some());
        assert!(field_resemblance("victim_age", &strings(&["Age"]), "Perp Age").is_none());
    }

    fn offences() -> Dictionary {
        Registry::embedded().expect("registry").get("police_offences").expect("offences").clone()
    }

    fn run(dict: &Dictionary, headers: &[&str]) -> Proposals {
        let headers = strings(headers);
        let fields: Vec<usize> = (0..dict.fields.len()).collect();
        propose(dict, &headers, vec![true; headers.len()], &fields)
    }

    #[test]
    fn a_close_date_match_takes_its_time_column_with_it() {
        let d = offences();
        let p = run(&d, &["Ref Code", "Offence Start Date", "Offence Start Time", "HOC", "Offence End Date"]);
        let get = |f: &str| p.proposals.iter().find(|x| x.field == f).map(|x| x.column.clone());
        assert_eq!(
            get("committed_from"),
            Some(MappedColumn::DateAndTime { date: "Offence Start Date".into(), time: "Offence Start Time".into() })
        );
        assert_eq!(get("ho_code"), Some(MappedColumn::Header("HOC".into())));
        assert_eq!(get("committed_to"), Some(MappedColumn::Header("Offence End Date".into())));
        let reason = p.proposals.iter().find(|x| x.field == "ho_code").map(|x| x.reason.clone()).unwrap_or_default();
        assert_eq!(reason, "close match: \"HOC\" ~ \"HO Code\"");
        assert_eq!(p.unplaced, vec![Unplaced { field: "crime_ref".into(), tied: vec![] }]);
    }

    #[test]
    fn each_header_goes_to_one_field_and_equal_matches_for_a_required_field_are_tied() {
        let d = offences();
        let p = run(&d, &["Crime Ref A", "Crime Ref B", "Committed Frm", "HOC"]);
        assert_eq!(p.unplaced, vec![Unplaced { field: "crime_ref".into(), tied: strings(&["Crime Ref A", "Crime Ref B"]) }]);
        assert!(p.proposals.iter().all(|x| x.field != "crime_ref"));
        assert!(p.proposals.iter().any(|x| x.field == "committed_from" && x.column == MappedColumn::Header("Committed Frm".into())));
        // "Outcome Dte" looks like outcome_date (near spelling) and outcome_code ("Outcome"): the better wins.
        let p = run(&d, &["Outcome Dte"]);
        let fields: Vec<&str> = p.proposals.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, vec!["outcome_date"]);
    }

    #[test]
    fn a_time_only_alias_column_finds_its_date() {
        let headers = strings(&["Call Date", "Call Time"]);
        assert_eq!(date_for_time("Call Time", &headers, &[true, false]), Some("Call Date".into()));
        assert_eq!(date_for_time("Call Time", &headers, &[false, false]), None);
        assert_eq!(date_for_time("Call Date", &headers, &[false, true]), None);
    }
}
