//! Data dictionaries: one TOML per source (`data-dictionaries/`), loaded and checked into a form ingest
//! can apply row by row. Adding a source is a new TOML file, not new code paths.

pub mod header_match;
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

/// What to do with a value outside a field's code list.
#[derive(Debug, Clone, PartialEq)]
pub enum OnUnknown {
    Reject,
    Null,
    MapTo(String),
}

/// A field's code list compiled for lookups: folded spelling -> canonical code.
#[derive(Debug, Clone, Default)]
pub struct CodeLookup {
    /// Hashed, not ordered: looked up once per cell of every row.
    map: foldhash::HashMap<String, String>,
}

impl CodeLookup {
    pub fn canonical(&self, raw: &str) -> Option<&str> {
        self.map.get(fold_case(raw, false).as_ref()).map(|s| s.as_str())
    }
    pub fn codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.map.values().map(|s| s.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }
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
            let codes = match (&f.codes, &f.code_list) {
                (Some(_), Some(_)) => return Err(invalid(format!("field {}: give codes or code_list, not both", f.name))),
                (Some(inline), None) => {
                    let mut map = foldhash::HashMap::default();
                    for (code, spellings) in inline {
                        map.insert(code.to_lowercase(), code.clone());
                        for s in spellings {
                            map.insert(s.to_lowercase(), code.clone());
                        }
                    }
                    Some(CodeLookup { map })
                }
                (None, Some(list)) => {
                    let table = seeds.get(list).ok_or_else(|| invalid(format!("field {}: unknown code_list {list}", f.name)))?;
                    let map = table.keys().map(|k| (k.to_lowercase(), k.to_string())).collect();
                    Some(CodeLookup { map })
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
                None | Some("reject") => OnUnknown::Reject,
                Some("null") => OnUnknown::Null,
                Some(code) => {
                    let known = codes.as_ref().and_then(|c| c.canonical(code)).map(|s| s.to_string());
                    OnUnknown::MapTo(known.ok_or_else(|| invalid(format!("field {}: on_unknown \"{code}\" is not one of its codes", f.name)))?)
                }
            };
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
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        Ok(Dictionary { file, fields, text: text.to_string(), hash, ethnicity, ethnicity_columns, age_fields })
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
        assert!(matches!(reg.get("nope"), Err(DictionaryError::UnknownSource { .. })));
    }

    #[test]
    fn broken_dictionaries_are_explained() {
        let reg = Registry::embedded().expect("embedded");
        let bad = "[source]\nname='x'\ntitle='x'\nunique_key='missing'\n[[field]]\nname='a'\ntype='string'\n";
        let err = Dictionary::from_toml(bad, &reg.seeds).expect_err("unique_key names no field");
        assert!(err.to_string().contains("unique_key names field missing"), "{err}");
        let bad = "[source]\nname='x'\ntitle='x'\n[[field]]\nname='a'\ntype='code'\n";
        assert!(Dictionary::from_toml(bad, &reg.seeds).is_err());
        let bad = "[source]\nname='x'\ntitle='x'\nbogus=1\n[[field]]\nname='a'\ntype='string'\n";
        assert!(Dictionary::from_toml(bad, &reg.seeds).expect_err("unknown key").to_string().contains("bogus"));
    }
}
