//! Reference code lists (`seeds/*.csv`): HO codes, outcome types, ethnicity codes. The first column is the
//! key; lookups fold case so `8n` finds `8N`.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct SeedTable {
    pub name: String,
    pub headers: Vec<String>,
    /// upper-cased key -> row (hashed: ingest looks rows up once per cell)
    rows: foldhash::HashMap<String, Vec<String>>,
}

impl SeedTable {
    pub fn parse(name: &str, text: &str) -> Result<SeedTable, String> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| format!("seed {name}: {e}"))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = foldhash::HashMap::default();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("seed {name} line {}: {e}", i + 2))?;
            let row: Vec<String> = rec.iter().map(|v| v.trim().to_string()).collect();
            let key = row.first().cloned().unwrap_or_default().to_uppercase();
            if rows.insert(key.clone(), row).is_some() {
                return Err(format!("seed {name} line {}: duplicate key {key}", i + 2));
            }
        }
        Ok(SeedTable { name: name.to_string(), headers, rows })
    }

    pub fn column_index(&self, column: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == column)
    }

    /// The canonical spelling of a key, if present.
    pub fn canonical_key(&self, key: &str) -> Option<&str> {
        self.rows.get(crate::dictionary::fold_case(key, true).as_ref()).and_then(|r| r.first()).map(|s| s.as_str())
    }

    pub fn get(&self, key: &str, column: &str) -> Option<&str> {
        self.get_at(key, self.column_index(column)?)
    }

    /// As [`SeedTable::get`], with the column already resolved by [`SeedTable::column_index`].
    pub fn get_at(&self, key: &str, column: usize) -> Option<&str> {
        self.rows.get(crate::dictionary::fold_case(key, true).as_ref()).and_then(|r| r.get(column)).map(|s| s.as_str())
    }

    /// Every row, the key (canonical spelling) first.
    pub fn rows(&self) -> impl Iterator<Item = &Vec<String>> {
        self.rows.values()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.rows.values().filter_map(|r| r.first()).map(|s| s.as_str())
    }
}

/// All embedded seed tables, by name.
pub fn embedded_seeds() -> Result<BTreeMap<String, SeedTable>, String> {
    crate::embedded::SEEDS
        .iter()
        .map(|(name, text)| SeedTable::parse(name, text).map(|t| (name.to_string(), t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_seeds_parse_and_fold_case() {
        let seeds = embedded_seeds().expect("embedded seeds parse");
        let ho = &seeds["ho_codes"];
        assert_eq!(ho.canonical_key("8n"), Some("8N"));
        assert_eq!(ho.get("34b", "mps_minor"), Some("ROBBERY OF PERSONAL PROPERTY"));
        assert_eq!(ho.get("46", "offence_group"), Some("Theft offences"));
        assert!(ho.keys().count() > 150, "the whole notifiable offence list, not the violence codes alone");
        assert_eq!(ho.canonical_key("99Z"), None);
        let eth = &seeds["ethnicity_codes"];
        assert_eq!(eth.get("IC3", "ethnic_group"), Some("Black"));
        assert_eq!(eth.get("m1", "ethnic_group"), Some("Mixed"));
        assert_eq!(seeds["outcome_types"].get("8", "sanction_detection"), Some("Y"));
        assert_eq!(eth.get("bcrb", "ethnic_group"), Some("Black"));
        assert_eq!(eth.get("WROM", "ethnic_group"), Some("White"));
        assert_eq!(eth.get("REFU", "scheme"), Some("DfE"));
    }
}
