//! Data dictionaries: one TOML per source (`data-dictionaries/`), loaded and checked into a form ingest
//! can apply row by row. Adding a source is a new TOML file, not new code paths.

pub mod header_match;
pub mod mapping;
pub mod model;
pub mod print;
pub mod seeds;
pub mod values;

use model::{DictionaryFile, FieldSpec, FieldType};
use seeds::SeedTable;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DictionaryError {
    #[error("unknown source \"{name}\" (known sources: {known})")]
    UnknownSource { name: String, known: String },
    #[error("data dictionary {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("seed tables: {0}")]
    Seed(String),
}

impl DictionaryError {
    pub fn is_usage(&self) -> bool {
        matches!(self, DictionaryError::UnknownSource { .. })
    }
}

/// What to do with a value outside a field's code list. None of them quarantines the record.
#[derive(Debug, Clone, PartialEq)]
pub enum OnUnknown {
    /// Stage the value as read, with `<field>_known = false`.
    Keep,
    Null,
    MapTo(String),
}

/// How raw codes are tidied before they are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalise {
    /// Home Office classification codes: ` 08n ` -> `8N`, `4/01` -> `4/1`.
    HoCode,
}

impl Normalise {
    pub fn from_name(name: &str) -> Option<Normalise> {
        match name {
            "ho_code" => Some(Normalise::HoCode),
            _ => None,
        }
    }

    pub fn apply(self, raw: &str) -> String {
        match self {
            Normalise::HoCode => {
                let compact: String = raw.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
                compact
                    .split('/')
                    .map(|part| {
                        // Leading zeros of the number go (`08N` -> `8N`), but never its last digit (`0Z`, `0`).
                        let zeros = part.bytes().take_while(|&b| b == b'0').count();
                        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
                        &part[zeros.min(digits.saturating_sub(1))..]
                    })
                    .collect::<Vec<_>>()
                    .join("/")
            }
        }
    }

    /// Whether a tidied code has the shape of one of this kind (a code not on the list may still be real).
    pub fn well_formed(self, code: &str) -> bool {
        match self {
            Normalise::HoCode => {
                let (main, sub) = match code.split_once('/') {
                    Some((m, s)) => (m, Some(s)),
                    None => (code, None),
                };
                let digits = main.bytes().take_while(u8::is_ascii_digit).count();
                let rest = &main[digits..];
                (1..=3).contains(&digits)
                    && rest.len() <= 1
                    && rest.bytes().all(|c| c.is_ascii_uppercase())
                    && sub.is_none_or(|s| (1..=2).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit()))
            }
        }
    }
}

/// A field's code list compiled for lookups: folded spelling -> canonical code.
#[derive(Debug, Clone, Default)]
pub struct CodeLookup {
    /// Hashed, not ordered: looked up once per cell of every row.
    map: foldhash::HashMap<String, String>,
    /// Descriptions and other spellings with case, spaces and punctuation ignored (`Charged / summonsed`);
    /// codes themselves are not here (`4/1` and `41` are different HO codes). Spellings that would name
    /// two codes are left out.
    loose: foldhash::HashMap<String, String>,
    normalise: Option<Normalise>,
}

/// Lower case letters and digits only.
fn loose_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

impl CodeLookup {
    /// From (code, spellings) pairs: each code and spelling matched case-insensitively.
    fn build(entries: Vec<(String, Vec<String>)>, normalise: Option<Normalise>) -> CodeLookup {
        let mut map = foldhash::HashMap::default();
        let mut loose: foldhash::HashMap<String, Option<String>> = foldhash::HashMap::default();
        for (code, _) in &entries {
            map.insert(code.to_lowercase(), code.clone());
        }
        for (code, spellings) in &entries {
            for s in spellings.iter().filter(|s| !s.trim().is_empty()) {
                map.entry(s.trim().to_lowercase()).or_insert_with(|| code.clone());
                let key = loose_key(s);
                if key.is_empty() {
                    continue;
                }
                let e = loose.entry(key).or_insert_with(|| Some(code.clone()));
                if e.as_deref() != Some(code.as_str()) {
                    *e = None;
                }
            }
        }
        let loose = loose.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        CodeLookup { map, loose, normalise }
    }

    /// The canonical code for a raw value: as written; tidied (HO codes); a spelling or description with
    /// punctuation ignored; or either side of `code - description` / `description (code)`, as exports
    /// print them (`Outcome 1 - Charged/Summonsed`, `W1 - White British`, `Black - African (B2)`).
    pub fn canonical(&self, raw: &str) -> Option<&str> {
        if let Some(c) = self.map.get(fold_case(raw, false).as_ref()) {
            return Some(c);
        }
        self.resolve_slow(raw.trim())
    }

    fn resolve_slow(&self, raw: &str) -> Option<&str> {
        if raw.is_empty() {
            return None;
        }
        if let Some(n) = self.normalise {
            if let Some(c) = self.map.get(&n.apply(raw).to_lowercase()) {
                return Some(c);
            }
        }
        if let Some(c) = self.loose.get(&loose_key(raw)) {
            return Some(c);
        }
        // `description (code)`
        if let Some(inner) = raw.strip_suffix(')').and_then(|r| r.rsplit_once('(')).map(|(_, i)| i.trim()) {
            if let Some(c) = self.exact(inner) {
                return Some(c);
            }
        }
        // `code - description` or `description - code`: the code side first, then the description side.
        for sep in [" - ", " – ", ": ", " : "] {
            if let Some((a, b)) = raw.split_once(sep) {
                for part in [a, b] {
                    if let Some(c) = self.exact(part.trim()) {
                        return Some(c);
                    }
                }
                for part in [b, a] {
                    if let Some(c) = self.loose.get(&loose_key(part)) {
                        return Some(c);
                    }
                }
            }
        }
        None
    }

    /// A code or spelling as written (case aside), or tidied.
    fn exact(&self, part: &str) -> Option<&str> {
        self.map
            .get(&part.to_lowercase())
            .or_else(|| self.normalise.and_then(|n| self.map.get(&n.apply(part).to_lowercase())))
            .map(String::as_str)
    }

    /// How the field tidies raw codes, if it does.
    pub fn normaliser(&self) -> Option<Normalise> {
        self.normalise
    }

    pub fn codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.map.values().map(|s| s.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A seed table as a code list: its keys, and its `description` and `aliases` (`|`-separated) columns when
/// it has them, as spellings.
fn seed_lookup(table: &SeedTable, normalise: Option<Normalise>) -> CodeLookup {
    let desc = table.column_index("description");
    let aliases = table.column_index("aliases");
    let mut entries: Vec<(String, Vec<String>)> = table
        .rows()
        .filter_map(|row| {
            let code = row.first()?.clone();
            let mut spellings = Vec::new();
            if let Some(d) = desc.and_then(|i| row.get(i)) {
                spellings.push(d.clone());
            }
            if let Some(a) = aliases.and_then(|i| row.get(i)) {
                spellings.extend(a.split('|').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
            }
            Some((code, spellings))
        })
        .collect();
    // Deterministic order: which spelling wins a clash must not depend on hashing.
    entries.sort();
    CodeLookup::build(entries, normalise)
}

/// `raw` trimmed and upper- or lower-cased, borrowing when it already is (lookups run once per cell, and
/// most codes arrive in the case the tables use).
pub fn fold_case(raw: &str, upper: bool) -> std::borrow::Cow<'_, str> {
    let t = raw.trim();
    let folded = if upper { !t.chars().any(char::is_lowercase) } else { !t.chars().any(char::is_uppercase) };
    if folded && t.is_ascii() {
        std::borrow::Cow::Borrowed(t)
    } else if upper {
        std::borrow::Cow::Owned(t.to_uppercase())
    } else {
        std::borrow::Cow::Owned(t.to_lowercase())
    }
}

#[derive(Debug, Clone)]
pub struct CompiledField {
    pub spec: FieldSpec,
    pub codes: Option<CodeLookup>,
    pub on_unknown: OnUnknown,
    /// (seed table, key field index, column index) for `fill_from`
    pub fill: Option<(Arc<SeedTable>, usize, usize)>,
}

impl CompiledField {
    /// The staged column saying whether a kept code was on the list (`ho_code_known`).
    pub fn known_column(&self) -> Option<String> {
        (self.on_unknown == OnUnknown::Keep && self.codes.is_some()).then(|| format!("{}_known", self.spec.name))
    }
}

/// A loaded, checked dictionary.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub file: DictionaryFile,
    pub fields: Vec<CompiledField>,
    pub text: String,
    /// SHA-256 of the dictionary file.
    pub hash: String,
    /// Ethnicity code -> (5-group, scheme), shared by every ethnicity field.
    pub ethnicity: Arc<SeedTable>,
    /// Columns of the 5-group and the scheme in `ethnicity` (None if the table lacks them).
    pub ethnicity_columns: Option<(usize, usize)>,
    /// (age field, date-of-birth field) indices when `[age]` derives ages from dates of birth: resolved once,
    /// not per row.
    pub age_fields: Option<(usize, usize)>,
    /// Ethnicity codes with their descriptions and the text forms exports use (`W1 - White British`,
    /// `White - British`, `IC3`), for fields with `ethnicity = true`.
    pub ethnicity_codes: Arc<CodeLookup>,
    /// Index of the `event_time` field, resolved once (rows look it up).
    pub event_field: Option<usize>,
}

impl Dictionary {
    pub fn name(&self) -> &str {
        &self.file.source.name
    }

    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.spec.name == name)
    }

    /// Parse and check a dictionary's TOML text against the seed tables.
    pub fn from_toml(text: &str, seeds: &BTreeMap<String, Arc<SeedTable>>) -> Result<Dictionary, DictionaryError> {
        let file: DictionaryFile = toml::from_str(text).map_err(|e| DictionaryError::Invalid {
            name: "(unparsed)".into(),
            message: e.to_string(),
        })?;
        let name = file.source.name.clone();
        let invalid = |message: String| DictionaryError::Invalid { name: name.clone(), message };
        let ethnicity = seeds
            .get("ethnicity_codes")
            .cloned()
            .ok_or_else(|| invalid("seed table ethnicity_codes is missing".into()))?;
        let mut seen = BTreeMap::new();
        for (i, f) in file.fields.iter().enumerate() {
            if seen.insert(f.name.clone(), i).is_some() {
                return Err(invalid(format!("field {} is defined twice", f.name)));
            }
        }
        let mut fields = Vec::with_capacity(file.fields.len());
        for f in &file.fields {
            let normalise = match f.normalise.as_deref() {
                None => None,
                Some(n) => Some(Normalise::from_name(n).ok_or_else(|| invalid(format!("field {}: normalise \"{n}\" is not known (known: ho_code)", f.name)))?),
            };
            let codes = match (&f.codes, &f.code_list) {
                (Some(_), Some(_)) => return Err(invalid(format!("field {}: give codes or code_list, not both", f.name))),
                (Some(inline), None) => {
                    Some(CodeLookup::build(inline.iter().map(|(c, s)| (c.clone(), s.clone())).collect(), normalise))
                }
                (None, Some(list)) => {
                    let table = seeds.get(list).ok_or_else(|| invalid(format!("field {}: unknown code_list {list}", f.name)))?;
                    Some(seed_lookup(table, normalise))
                }
                (None, None) => None,
            };
            if codes.is_some() && f.kind != FieldType::Code {
                return Err(invalid(format!("field {}: a code list needs type = \"code\"", f.name)));
            }
            if f.kind == FieldType::Code && codes.is_none() {
                return Err(invalid(format!("field {}: type code needs codes or code_list", f.name)));
            }
            let on_unknown = match f.on_unknown.as_deref() {
                None if f.required => OnUnknown::Keep,
                None => OnUnknown::Null,
                Some("keep") => OnUnknown::Keep,
                Some("null") => OnUnknown::Null,
                Some("reject") => {
                    return Err(invalid(format!(
                        "field {}: on_unknown = \"reject\" is not allowed: an unknown code never quarantines a record (use \"keep\", \"null\" or a code)",
                        f.name
                    )))
                }
                Some(code) => {
                    let known = codes.as_ref().and_then(|c| c.canonical(code)).map(|s| s.to_string());
                    OnUnknown::MapTo(known.ok_or_else(|| invalid(format!("field {}: on_unknown \"{code}\" is not one of its codes", f.name)))?)
                }
            };
            if f.required && on_unknown == OnUnknown::Null {
                return Err(invalid(format!(
                    "field {}: a required field cannot null unknown codes (that would quarantine the record); use \"keep\"",
                    f.name
                )));
            }
            let fill = match &f.fill_from {
                None => None,
                Some(ff) => {
                    let table = seeds.get(&ff.seed).ok_or_else(|| invalid(format!("field {}: unknown seed {}", f.name, ff.seed)))?;
                    let column = table
                        .column_index(&ff.column)
                        .ok_or_else(|| invalid(format!("field {}: seed {} has no column {}", f.name, ff.seed, ff.column)))?;
                    let key = *seen.get(&ff.key).ok_or_else(|| invalid(format!("field {}: fill_from key {} is not a field", f.name, ff.key)))?;
                    Some((table.clone(), key, column))
                }
            };
            if f.free_text && f.stage && fill.is_none() {
                return Err(invalid(format!(
                    "field {}: free_text needs fill_from (stage the code list's value) or stage = false",
                    f.name
                )));
            }
            fields.push(CompiledField { spec: f.clone(), codes, on_unknown, fill });
        }
        let check_ref = |what: &str, r: &Option<String>| -> Result<(), DictionaryError> {
            match r {
                Some(n) if !seen.contains_key(n) => Err(invalid(format!("{what} names field {n}, which is not defined"))),
                _ => Ok(()),
            }
        };
        check_ref("unique_key", &file.source.unique_key)?;
        check_ref("event_time", &file.source.event_time)?;
        if let Some(p) = &file.source.parent {
            check_ref("parent.key", &Some(p.key.clone()))?;
        }
        if let Some(loc) = &file.location {
            for r in [&loc.easting, &loc.northing, &loc.latitude, &loc.longitude, &loc.lsoa, &loc.ward] {
                check_ref("location", r)?;
            }
        }
        if let Some(age) = &file.age {
            check_ref("age.field", &Some(age.field.clone()))?;
            check_ref("age.date_of_birth", &age.date_of_birth)?;
        }
        let age_fields = file.age.as_ref().and_then(|a| Some((*seen.get(&a.field)?, *seen.get(a.date_of_birth.as_ref()?)?)));
        let ethnicity_columns = ethnicity.column_index("ethnic_group").zip(ethnicity.column_index("scheme"));
        let ethnicity_codes = Arc::new(seed_lookup(&ethnicity, None));
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        let event_field = file.source.event_time.as_ref().and_then(|n| seen.get(n).copied());
        Ok(Dictionary { file, fields, text: text.to_string(), hash, ethnicity, ethnicity_columns, age_fields, ethnicity_codes, event_field })
    }
}

/// The dictionaries and seed tables shipped with sna.
#[derive(Debug, Clone)]
pub struct Registry {
    pub dictionaries: BTreeMap<String, Dictionary>,
    pub seeds: BTreeMap<String, Arc<SeedTable>>,
}

impl Registry {
    pub fn embedded() -> Result<Registry, DictionaryError> {
        let seeds: BTreeMap<String, Arc<SeedTable>> = seeds::embedded_seeds()
            .map_err(DictionaryError::Seed)?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect();
        let mut dictionaries = BTreeMap::new();
        for (name, text) in crate::embedded::DICTIONARIES {
            let d = Dictionary::from_toml(text, &seeds)?;
            if d.name() != *name {
                return Err(DictionaryError::Invalid {
                    name: name.to_string(),
                    message: format!("file declares source name {}", d.name()),
                });
            }
            dictionaries.insert(name.to_string(), d);
        }
        Ok(Registry { dictionaries, seeds })
    }

    pub fn get(&self, name: &str) -> Result<&Dictionary, DictionaryError> {
        self.dictionaries.get(name).ok_or_else(|| DictionaryError::UnknownSource {
            name: name.to_string(),
            known: self.dictionaries.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_case_borrows_when_nothing_changes_and_matches_std_otherwise() {
        assert!(matches!(fold_case(" W1 ", true), std::borrow::Cow::Borrowed("W1")));
        assert!(matches!(fold_case("male", false), std::borrow::Cow::Borrowed("male")));
        assert_eq!(fold_case("w1", true), "W1");
        assert_eq!(fold_case(" Male ", false), "male");
        assert_eq!(fold_case("Straße", true), "Straße".to_uppercase());
    }

    #[test]
    fn every_embedded_dictionary_loads() {
        let reg = Registry::embedded().expect("embedded dictionaries are valid");
        for name in ["police_offences", "police_victims", "police_suspects"] {
            assert!(reg.get(name).is_ok(), "{name}");
        }
        let off = reg.get("police_offences").expect("offences");
        let ho = &off.fields[off.field_index("ho_code").expect("ho_code")];
        assert_eq!(ho.codes.as_ref().and_then(|c| c.canonical("105a")), Some("105A"));
        let lt = &off.fields[off.field_index("location_type").expect("location_type")];
        assert_eq!(lt.codes.as_ref().and_then(|c| c.canonical("Café")), Some("licensed premises"));
        assert_eq!(lt.codes.as_ref().and_then(|c| c.canonical("Licensed-Premises")), Some("licensed premises"));
        assert!(matches!(reg.get("nope"), Err(DictionaryError::UnknownSource { .. })));
    }

    #[test]
    fn ho_codes_are_tidied_and_checked_for_shape() {
        let n = Normalise::HoCode;
        assert_eq!(n.apply(" 08n "), "8N");
        assert_eq!(n.apply("4/01"), "4/1");
        assert_eq!(n.apply("105 a"), "105A");
        assert_eq!(n.apply("0"), "0");
        assert_eq!(n.apply("0Z"), "0Z");
        assert_eq!(n.apply("000"), "0");
        for ok in ["8N", "105A", "4/1", "4/10", "802", "1", "99Z"] {
            assert!(n.well_formed(ok), "{ok}");
        }
        for bad in ["", "ASSAULT", "8NN", "1234", "4/", "4/123", "N8"] {
            assert!(!n.well_formed(bad), "{bad}");
        }
        let reg = Registry::embedded().expect("embedded");
        let off = reg.get("police_offences").expect("offences");
        let ho = off.fields[off.field_index("ho_code").expect("ho_code")].codes.clone().expect("codes");
        for raw in ["8n", " 8N ", "08N", "008n", "8 N"] {
            assert_eq!(ho.canonical(raw), Some("8N"), "{raw}");
        }
        assert_eq!(ho.canonical("04/01"), Some("4/1"));
        assert_eq!(ho.canonical("99Z"), None);
        assert_eq!(off.fields[off.field_index("ho_code").expect("ho_code")].known_column().as_deref(), Some("ho_code_known"));
    }

    #[test]
    fn codes_are_found_on_either_side_of_code_description_texts() {
        let entries = vec![
            ("1".to_string(), vec!["Charged/summonsed".to_string(), "outcome 1".to_string()]),
            ("18".to_string(), vec!["Investigation complete: no suspect identified".to_string()]),
            ("B2".to_string(), vec!["Black: African".to_string()]),
        ];
        let c = CodeLookup::build(entries, None);
        assert_eq!(c.canonical("Charged / Summonsed"), Some("1"));
        assert_eq!(c.canonical("Outcome 1 - Charged/Summonsed"), Some("1"));
        assert_eq!(c.canonical("Investigation complete; no suspect identified"), Some("18"));
        assert_eq!(c.canonical("18 - Investigation complete"), Some("18"));
        assert_eq!(c.canonical("Black or Black British - African (B2)"), Some("B2"));
        assert_eq!(c.canonical("Black - African"), Some("B2"));
        assert_eq!(c.canonical("Cautioned"), None);
        // A spelling shared by two codes names neither.
        let c = CodeLookup::build(vec![("A".into(), vec!["same".into()]), ("B".into(), vec!["Same!".into()])], None);
        assert_eq!(c.canonical("s-a-m-e"), None);
    }

    #[test]
    fn broken_dictionaries_are_explained() {
        let reg = Registry::embedded().expect("embedded");
        let bad = "[source]\nname='x'\ntitle='x'\nunique_key='missing'\n[[field]]\nname='a'\ntype='string'\n";
        let err = Dictionary::from_toml(bad, &reg.seeds).expect_err("unique_key names no field");
        assert!(err.to_string().contains("unique_key names field missing"), "{err}");
        let bad = "[source]\nname='x'\ntitle='x'\n[[field]]\nname='a'\ntype='code'\n";
        assert!(Dictionary::from_toml(bad, &reg.seeds).is_err());
        let bad = "[source]\nname='x'\ntitle='x'\n[[field]]\nname='a'\ntype='code'\ncodes={A=[]}\non_unknown='reject'\n";
        assert!(Dictionary::from_toml(bad, &reg.seeds).expect_err("reject").to_string().contains("never quarantines"));
        let bad = "[source]\nname='x'\ntitle='x'\nbogus=1\n[[field]]\nname='a'\ntype='string'\n";
        assert!(Dictionary::from_toml(bad, &reg.seeds).expect_err("unknown key").to_string().contains("bogus"));
    }
}
