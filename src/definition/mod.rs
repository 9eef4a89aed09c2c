//! Serious-violence definitions as data: which HO codes form which categories, which offences count as
//! serious violence, and the themes (under-25, domestic abuse, sexual violence). Applying a definition
//! adds flag columns to offences; switching definition changes flags, not code.

pub mod apply;
pub mod model;

use crate::dictionary::seeds::SeedTable;
use model::DefinitionFile;
use sha2::{Digest, Sha256};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DefinitionError {
    #[error("definition {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("definition {origin}: cannot read: {source}")]
    Read { origin: String, source: std::io::Error },
}

impl DefinitionError {
    pub fn is_usage(&self) -> bool {
        true
    }
}

/// The theme key used for serious violence as a whole.
pub const SERIOUS_VIOLENCE: &str = "serious_violence";

#[derive(Debug, Clone)]
pub struct Definition {
    pub file: DefinitionFile,
    pub text: String,
    pub sha256: String,
    pub origin: String,
}

/// One reporting theme: serious violence overall or one of the definition's themes.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeRef {
    pub key: String,
    pub label: String,
}

impl Definition {
    pub fn name(&self) -> &str {
        &self.file.definition.name
    }

    pub fn short_hash(&self) -> &str {
        &self.sha256[..12.min(self.sha256.len())]
    }

    pub fn from_preset(name: &str, ho_codes: &SeedTable) -> Result<Definition, DefinitionError> {
        let text = crate::embedded::definition_text(name).ok_or_else(|| DefinitionError::Invalid {
            origin: name.to_string(),
            message: "no such preset".into(),
        })?;
        Definition::from_toml(text, &format!("preset {name}"), ho_codes)
    }

    pub fn from_path(path: &Path, ho_codes: &SeedTable) -> Result<Definition, DefinitionError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DefinitionError::Read { origin: origin.clone(), source })?;
        Definition::from_toml(&text, &origin, ho_codes)
    }

    pub fn from_toml(text: &str, origin: &str, ho_codes: &SeedTable) -> Result<Definition, DefinitionError> {
        let invalid = |message: String| DefinitionError::Invalid { origin: origin.to_string(), message };
        let mut file: DefinitionFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut owner: std::collections::BTreeMap<String, String> = Default::default();
        for (key, cat) in file.categories.iter_mut() {
            for code in cat.ho_codes.iter_mut() {
                // Store the seed's spelling so codes compare equal to staged (canonical) values.
                match ho_codes.canonical_key(code) {
                    Some(canonical) => *code = canonical.to_string(),
                    None => return Err(invalid(format!("category {key}: HO code {code} is not in seeds/ho_codes.csv"))),
                }
                if let Some(other) = owner.insert(code.to_uppercase(), key.clone()) {
                    return Err(invalid(format!("HO code {code} is in both {other} and {key}")));
                }
            }
        }
        let known_cat = |c: &String, what: &str| -> Result<(), DefinitionError> {
            if file.categories.contains_key(c) { Ok(()) } else { Err(invalid(format!("{what} names unknown category {c}"))) }
        };
        for c in &file.serious_violence.categories {
            known_cat(c, "serious_violence.categories")?;
        }
        for t in &file.serious_violence.within_themes {
            if !file.themes.contains_key(t) {
                return Err(invalid(format!("serious_violence.within_themes names unknown theme {t}")));
            }
        }
        for (key, theme) in &file.themes {
            if key == SERIOUS_VIOLENCE {
                return Err(invalid(format!("theme key {SERIOUS_VIOLENCE} is reserved")));
            }
            for c in &theme.categories {
                known_cat(c, &format!("themes.{key}.categories"))?;
            }
            if let Some(b) = &theme.base {
                if b != "in_scope" && b != "all" {
                    return Err(invalid(format!("themes.{key}.base: \"{b}\" must be in_scope or all")));
                }
            }
            for p in &theme.persons {
                if p != "victim" && p != "suspect" {
                    return Err(invalid(format!("themes.{key}.persons: \"{p}\" must be victim or suspect")));
                }
            }
            if theme.person_age_under.is_some() != !theme.persons.is_empty() {
                return Err(invalid(format!("themes.{key}: person_age_under and persons go together")));
            }
        }
        for (crime_type, mapping) in &file.police_uk {
            for c in &mapping.categories {
                known_cat(c, &format!("police_uk.\"{crime_type}\""))?;
            }
        }
        for t in &file.definition.theme_order {
            if !file.themes.contains_key(t) {
                return Err(invalid(format!("definition.theme_order names unknown theme {t}")));
            }
        }
        let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        Ok(Definition { file, text: text.to_string(), sha256, origin: origin.to_string() })
    }

    /// Serious violence first, then the themes in presentation order.
    pub fn themes(&self) -> Vec<ThemeRef> {
        let mut keys: Vec<String> = self.file.definition.theme_order.clone();
        for k in &self.file.serious_violence.within_themes {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        for k in self.file.themes.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        let mut out = vec![ThemeRef { key: SERIOUS_VIOLENCE.into(), label: "Serious violence".into() }];
        out.extend(keys.into_iter().filter_map(|k| {
            self.file.themes.get(&k).map(|t| ThemeRef { key: k.clone(), label: t.label.clone() })
        }));
        out
    }

    /// Provenance recorded with every table.
    pub fn provenance(&self) -> Vec<(String, String)> {
        vec![
            ("definition".into(), self.name().to_string()),
            ("definition_version".into(), self.file.definition.version.clone()),
            ("definition_sha256".into(), self.sha256.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::seeds::embedded_seeds;

    #[test]
    fn london_preset_loads_with_themes_in_order() {
        let seeds = embedded_seeds().expect("seeds");
        let d = Definition::from_preset("london-vru", &seeds["ho_codes"]).expect("preset");
        let keys: Vec<String> = d.themes().into_iter().map(|t| t.key).collect();
        assert_eq!(keys, ["serious_violence", "under_25", "domestic_abuse", "sexual_violence", "knife_enabled"]);
        assert_eq!(d.sha256.len(), 64);
        // Every preset loads, and each has its own hash.
        let hashes: std::collections::BTreeSet<String> = crate::embedded::DEFINITIONS
            .iter()
            .map(|(name, _)| Definition::from_preset(name, &seeds["ho_codes"]).expect(name).sha256)
            .collect();
        assert_eq!(hashes.len(), crate::embedded::DEFINITIONS.len());
    }

    #[test]
    fn bad_definitions_are_explained() {
        let seeds = embedded_seeds().expect("seeds");
        let ho = &seeds["ho_codes"];
        let base = crate::embedded::definition_text("london-vru").expect("preset");
        let e = Definition::from_toml(&base.replace("\"34B\"]", "\"34Q\"]"), "t", ho).expect_err("unknown code");
        assert!(e.to_string().contains("34Q"), "{e}");
        let e = Definition::from_toml(&base.replace("ho_codes = [\"3B\"]", "ho_codes = [\"8N\"]"), "t", ho).expect_err("dup");
        assert!(e.to_string().contains("in both"), "{e}");
        let e = Definition::from_toml(&base.replace("persons = [\"victim\", \"suspect\"]", "persons = [\"witness\"]"), "t", ho)
            .expect_err("bad person");
        assert!(e.to_string().contains("witness"), "{e}");
    }
}
