//! Reference files (not extracts): ward and LSOA boundaries (GeoJSON), the ONS LSOA lookups, population
//! files, pupil headcounts and the English Indices of Deprivation, each told by its header row or, for
//! GeoJSON, by the values of its feature properties.

use crate::dictionary::header_match::fold;
use crate::pipeline::config::PopulationFormat;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What a reference file is.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    Wards(Boundaries),
    Lsoas(Boundaries),
    /// ONS LSOA 2021 -> ward (-> local authority) lookup.
    LsoaLookup,
    /// ONS LSOA 2011 -> LSOA 2021 lookup.
    Lsoa11Lookup,
    Population(PopulationFormat),
    /// Pupils on roll by year and ethnic group.
    Pupils,
    /// IoD File 1 (IMD rank and decile by LSOA).
    Deprivation,
}

impl Reference {
    pub fn describe(&self) -> String {
        match self {
            Reference::Wards(b) => {
                let name = b.name_property.as_deref().unwrap_or("no name property");
                let lads = if b.lads.len() > 1 { format!(", {} local authorities", b.lads.len()) } else { String::new() };
                format!("ward boundaries ({} / {name}, {} wards{lads})", b.code_property, b.features)
            }
            Reference::Lsoas(b) => format!("LSOA boundaries ({}, {} LSOAs)", b.code_property, b.features),
            Reference::LsoaLookup => "LSOA to ward lookup".into(),
            Reference::Lsoa11Lookup => "LSOA 2011 to 2021 lookup".into(),
            Reference::Population(f) => format!("population ({})", f.name()),
            Reference::Pupils => "pupils on roll".into(),
            Reference::Deprivation => "Indices of Deprivation (File 1)".into(),
        }
    }
}

/// The properties of a boundary file that hold the area codes and names.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    pub code_property: String,
    pub name_property: Option<String>,
    pub features: usize,
    /// The local-authority code property, when there is one.
    pub lad_property: Option<String>,
    /// (code, name, features) of each local authority, code order.
    pub lads: Vec<(String, String, usize)>,
}

/// `<prefix><2 digits><suffix>` ignoring case: `LSOA21CD`, `WD25NM` (not `WD25NMW`).
pub fn vintage(h: &str, prefix: &str, suffix: &str) -> bool {
    let t = h.trim().trim_start_matches('\u{feff}').to_ascii_uppercase();
    t.len() == prefix.len() + 2 + suffix.len()
        && t.starts_with(prefix)
        && t.ends_with(suffix)
        && t.get(prefix.len()..prefix.len() + 2).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

/// A reference table told by its header row.
pub fn table_reference(headers: &[String]) -> Option<Reference> {
    let any = |p: &dyn Fn(&str) -> bool| headers.iter().any(|h| p(h));
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let has = |f: &str| folded.iter().any(|x| x == f);
    if any(&|h| vintage(h, "LSOA", "CD")) && any(&|h| vintage(h, "WD", "CD")) {
        return Some(Reference::LsoaLookup);
    }
    if has("lsoa11cd") && has("lsoa21cd") {
        return Some(Reference::Lsoa11Lookup);
    }
    if has("geographycode") && any(&|h| h.trim().to_ascii_lowercase().starts_with("age: aged")) {
        return Some(Reference::Population(PopulationFormat::CensusTs007a));
    }
    if headers.first().is_some_and(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_uppercase().starts_with("TS021")) {
        return Some(Reference::Population(PopulationFormat::NomisTs021));
    }
    if has("areacode") && has("population") && (has("ageband") || has("sex") || has("ethnicgroup")) {
        return Some(Reference::Population(PopulationFormat::Long));
    }
    if has("year") && has("ethnicgroup") && has("headcount") {
        return Some(Reference::Pupils);
    }
    if folded.iter().any(|f| f.starts_with("lsoacode")) && folded.iter().any(|f| f.contains("indexofmultipledeprivation")) {
        return Some(Reference::Deprivation);
    }
    None
}

#[derive(Deserialize)]
struct Collection {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    // Geometry is skipped unread: only the properties tell what the file is.
    #[serde(default)]
    #[allow(dead_code)]
    geometry: Option<serde::de::IgnoredAny>,
}

/// `E05001234`-like: a letter, two digits naming the entity (`05` wards, `01` LSOAs, `06`..`09` local
/// authorities), six digits.
fn gss_entity(v: &str) -> Option<&str> {
    let b = v.as_bytes();
    (b.len() == 9 && matches!(b[0], b'E' | b'W' | b'S' | b'N') && b[1..].iter().all(u8::is_ascii_digit)).then(|| &v[1..3])
}

/// Per property: how many features hold a string, and how many of those are codes of each entity.
#[derive(Default)]
struct PropertyStats {
    strings: usize,
    codes: BTreeMap<String, usize>,
    names: usize,
}

/// Whether a JSON file is a GeoJSON FeatureCollection of wards or LSOAs. `Ok(None)`: JSON, but not
/// boundaries; `Err`: unreadable.
pub fn geojson_reference(path: &Path) -> Result<Option<Reference>, String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    // Cheap check first: most JSON files in an extract folder are not GeoJSON.
    if memchr::memmem::find(&text, b"\"features\"").is_none() {
        return Ok(None);
    }
    let fc: Collection = serde_json::from_slice(&text).map_err(|e| format!("not readable as GeoJSON: {e}"))?;
    if fc.kind.as_deref() != Some("FeatureCollection") || fc.features.is_empty() {
        return Ok(None);
    }
    Ok(boundaries(&fc.features))
}

fn boundaries(features: &[Feature]) -> Option<Reference> {
    let mut stats: BTreeMap<String, PropertyStats> = BTreeMap::new();
    for f in features {
        for (k, v) in f.properties.iter().flatten() {
            let s = stats.entry(k.clone()).or_default();
            if let Some(t) = v.as_str().map(str::trim).filter(|t| !t.is_empty()) {
                s.strings += 1;
                match gss_entity(t) {
                    Some(e) => *s.codes.entry(e.to_string()).or_default() += 1,
                    None if t.chars().any(char::is_alphabetic) => s.names += 1,
                    None => {}
                }
            }
        }
    }
    let n = features.len();
    let mostly = |count: usize| count * 10 >= n * 9;
    // Properties whose values are mostly codes of an entity; the vintage pattern (`WD22CD`) first.
    let coded = |entities: &[&str], prefix: &str| -> Option<String> {
        let mut keys: Vec<&String> =
            stats.iter().filter(|(_, s)| mostly(entities.iter().map(|e| s.codes.get(*e).copied().unwrap_or(0)).sum())).map(|(k, _)| k).collect();
        keys.sort_by_key(|k| (!vintage(k, prefix, "CD"), (*k).clone()));
        keys.first().map(|k| (*k).clone())
    };
    let name_of = |code_key: &str, prefix: &str| -> Option<String> {
        let direct = code_key.strip_suffix("CD").map(|p| format!("{p}NM")).or_else(|| code_key.strip_suffix("cd").map(|p| format!("{p}nm")));
        if let Some(d) = direct.filter(|d| stats.get(d).is_some_and(|s| mostly(s.names))) {
            return Some(d);
        }
        let mut keys: Vec<&String> = stats
            .iter()
            .filter(|(k, s)| mostly(s.names) && (vintage(k, prefix, "NM") || k.to_ascii_lowercase().contains("name")))
            .map(|(k, _)| k)
            .collect();
        keys.sort_by_key(|k| (!vintage(k, prefix, "NM"), (*k).clone()));
        keys.first().map(|k| (*k).clone())
    };
    let (code, name, wards) = if let Some(c) = coded(&["05"], "WD") {
        let nm = name_of(&c, "WD");
        (c, nm, true)
    } else if let Some(c) = coded(&["01"], "LSOA") {
        let nm = name_of(&c, "LSOA");
        (c, nm, false)
    } else {
        return None;
    };
    let lad_property = coded(&["06", "07", "08", "09"], "LAD");
    let mut lads: BTreeMap<String, (String, usize)> = BTreeMap::new();
    if let Some(lp) = &lad_property {
        let lad_name = name_of(lp, "LAD");
        for f in features {
            let Some(p) = &f.properties else { continue };
            let Some(c) = p.get(lp).and_then(|v| v.as_str()) else { continue };
            let nm = lad_name.as_ref().and_then(|k| p.get(k)).and_then(|v| v.as_str()).unwrap_or("");
            let e = lads.entry(c.trim().to_string()).or_insert_with(|| (nm.trim().to_string(), 0));
            e.1 += 1;
        }
    }
    let b = Boundaries {
        code_property: code,
        name_property: name,
        features: n,
        lad_property,
        lads: lads.into_iter().map(|(c, (nm, k))| (c, nm, k)).collect(),
    };
    Some(if wards { Reference::Wards(b) } else { Reference::Lsoas(b) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reference_tables_are_told_by_their_headers() {
        let t = |h: &[&str]| table_reference(&strings(h));
        assert_eq!(t(&["\u{feff}LSOA21CD", "LSOA21NM", "WD25CD", "WD25NM", "LAD25CD"]), Some(Reference::LsoaLookup));
        assert_eq!(t(&["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND"]), Some(Reference::Lsoa11Lookup));
        assert_eq!(
            t(&["date", "geography", "geography code", "Age: Total", "Age: Aged 4 years and under"]),
            Some(Reference::Population(PopulationFormat::CensusTs007a))
        );
        assert_eq!(t(&["TS021 - Ethnic group", "", ""]), Some(Reference::Population(PopulationFormat::NomisTs021)));
        assert_eq!(
            t(&["area_code", "age_band", "sex", "ethnic_group", "population"]),
            Some(Reference::Population(PopulationFormat::Long))
        );
        assert_eq!(t(&["year", "ethnic_group", "headcount"]), Some(Reference::Pupils));
        assert_eq!(
            t(&["LSOA code (2021)", "LSOA name (2021)", "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"]),
            Some(Reference::Deprivation)
        );
        assert_eq!(t(&["CRIS No", "Committed From", "LSOA21CD"]), None);
        assert!(!vintage("WDé1CD", "WD", "CD") && !vintage("LSOA€CD", "LSOA", "CD"));
    }

    #[test]
    fn geojson_properties_give_ward_code_name_and_local_authorities() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feat = |cd: &str, nm: &str, lad: &str, ladnm: &str| {
            format!(
                r#"{{"type":"Feature","properties":{{"OBJECTID":1,"WD22CD":"{cd}","WD22NM":"{nm}","WD22NMW":" ","LAD22CD":"{lad}","LAD22NM":"{ladnm}"}},"geometry":{{"type":"Point","coordinates":[0,51]}}}}"#
            )
        };
        let fc = format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
            feat("E05000001", "Aldgate", "E09000001", "City of London"),
            feat("E05000002", "Bishopsgate", "E09000001", "City of London"),
            feat("E05000003", "Holborn", "E09000007", "Camden")
        );
        let p = dir.path().join("w.geojson");
        std::fs::write(&p, fc).expect("write");
        let Some(Reference::Wards(b)) = geojson_reference(&p).expect("reads") else { panic!("wards expected") };
        assert_eq!((b.code_property.as_str(), b.name_property.as_deref(), b.features), ("WD22CD", Some("WD22NM"), 3));
        assert_eq!(b.lad_property.as_deref(), Some("LAD22CD"));
        assert_eq!(b.lads, vec![("E09000001".into(), "City of London".into(), 2), ("E09000007".into(), "Camden".into(), 1)]);
        let other = dir.path().join("truth.json");
        std::fs::write(&other, r#"{"seed": 42}"#).expect("write");
        assert_eq!(geojson_reference(&other), Ok(None));
        let lsoa = dir.path().join("l.geojson");
        std::fs::write(&lsoa, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA21CD":"E01000001","LSOA21NM":"City of London 001A"},"geometry":null}]}"#).expect("write");
        assert!(matches!(geojson_reference(&lsoa), Ok(Some(Reference::Lsoas(b))) if b.code_property == "LSOA21CD"));
    }
}
