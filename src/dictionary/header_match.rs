//! Header matching: a dictionary field matches a column when its name or any alias is equal after folding
//! case and dropping spaces and punctuation (`Crime Ref`, `CRIME_REF`, `crime-ref` all fold to `crimeref`).

use super::model::FieldSpec;
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
}

impl HeaderMap {
    pub fn column_of(&self, field_index: usize) -> Option<usize> {
        self.columns.get(&field_index).copied()
    }
}

/// Match headers to fields. A column equal to a field's own name wins over an alias match.
pub fn match_headers(fields: &[FieldSpec], headers: &[String]) -> HeaderMap {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut map = HeaderMap::default();
    let mut claimed = vec![false; headers.len()];
    // Two passes: exact canonical names first, then aliases, so `age` beats `Victim Age` for field `age`.
    for pass in 0..2 {
        for (fi, field) in fields.iter().enumerate() {
            if map.columns.contains_key(&fi) {
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
    map
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
