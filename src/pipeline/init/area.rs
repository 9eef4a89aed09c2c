//! Where the data are: the local authorities holding most of the extracts' records, through the ONS
//! lookup (LSOA codes) or the ward boundaries (points), to propose `local_authorities` or `area_filter`.

use super::reference::{vintage, Boundaries};
use super::Findings;
use crate::geo::locator::Locator;
use crate::geo::wards::WardSet;
use crate::ingest::reader::{open_table, RowItem};
use std::collections::BTreeMap;
use std::path::Path;

/// A local authority holding at least this share of the located records is proposed as (part of) the area:
/// records just over the border (a few per cent each) are not.
const AREA_SHARE: f64 = 0.10;

/// Local authorities of an ONS lookup: code -> (name, LSOAs), and each LSOA's local authority.
pub struct LookupLads {
    pub lads: BTreeMap<String, (String, usize)>,
    lad_of_lsoa: BTreeMap<String, String>,
}

pub fn lookup_lads(path: &Path) -> Option<LookupLads> {
    let t = open_table(path, None).ok()?;
    let find = |prefix: &str, suffix: &str| t.headers.iter().position(|h| vintage(h, prefix, suffix));
    let (lsoa, lad) = (find("LSOA", "CD")?, find("LAD", "CD")?);
    let lad_nm = find("LAD", "NM");
    let mut out = LookupLads { lads: BTreeMap::new(), lad_of_lsoa: BTreeMap::new() };
    for item in t.rows {
        let RowItem::Row(r) = item else { continue };
        let code = r.cells.get(lad).unwrap_or("").trim().to_string();
        if code.is_empty() {
            continue;
        }
        let name = lad_nm.and_then(|i| r.cells.get(i)).unwrap_or("").trim().to_string();
        out.lads.entry(code.clone()).or_insert((name, 0)).1 += 1;
        out.lad_of_lsoa.insert(r.cells.get(lsoa).unwrap_or("").trim().to_uppercase(), code);
    }
    Some(out)
}

/// Codes holding at least [`AREA_SHARE`] of `counts`, most first: (code, share).
fn leading(counts: BTreeMap<String, u64>) -> Vec<(String, f64)> {
    let total: u64 = counts.values().sum();
    let mut v: Vec<(String, f64)> =
        counts.into_iter().map(|(k, n)| (k, n as f64 / total.max(1) as f64)).filter(|(_, s)| *s >= AREA_SHARE).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// The local authorities of the extracts' LSOA codes.
pub fn lads_of_lsoas(f: &Findings, lookup: &LookupLads) -> Vec<(String, f64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in &f.extracts {
        for (lsoa, n) in &e.lsoas {
            if let Some(lad) = lookup.lad_of_lsoa.get(lsoa) {
                *counts.entry(lad.clone()).or_default() += n;
            }
        }
    }
    leading(counts)
}

/// The local authorities of the wards the extracts' points fall in.
pub fn lads_of_points(f: &Findings, wards: &Path, b: &Boundaries) -> Vec<(String, f64)> {
    let (Some(lad), Some(name)) = (&b.lad_property, &b.name_property) else { return vec![] };
    if f.extracts.iter().all(|e| e.points.is_empty()) {
        return vec![];
    }
    let Ok(set) = WardSet::from_geojson_path(wards, &b.code_property, name, None) else { return vec![] };
    let locator = Locator::new(&set);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in &f.extracts {
        for w in locator.locate_many(&e.points).into_iter().flatten() {
            if let Some(code) = set.get(w).and_then(|w| w.properties.get(lad)).and_then(|v| v.as_str()) {
                *counts.entry(code.trim().to_string()).or_default() += 1;
            }
        }
    }
    leading(counts)
}

/// `E09000001 City of London 95%, ...` for a comment.
pub fn shares(guessed: &[(String, f64)], name: impl Fn(&str) -> String) -> String {
    guessed.iter().map(|(c, s)| format!("{c} {} {:.0}%", name(c), s * 100.0)).collect::<Vec<_>>().join(", ")
}
