//! `report/summary.md`: the findings per theme with the charts, then data accounting and method notes.

use super::findings::{highest_rate, thousands, top_wards, unplaced, AreaFigures, WardFigures};
use super::ReportSettings;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Rows read/staged/rejected per source, from the manifest written by ingest.
fn data_accounting(out: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(sources) = manifest.as_ref().and_then(|m| m.get("sources")).and_then(|s| s.as_array()) else {
        return vec![];
    };
    sources
        .iter()
        .map(|s| {
            let n = |k: &str| s.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let reasons: BTreeMap<String, u64> = s
                .get("files")
                .and_then(|f| f.as_array())
                .map(|files| {
                    let mut m = BTreeMap::new();
                    for f in files {
                        if let Some(r) = f.get("rejects_by_reason").and_then(|r| r.as_object()) {
                            for (k, v) in r {
                                *m.entry(k.clone()).or_insert(0) += v.as_u64().unwrap_or(0);
                            }
                        }
                    }
                    m
                })
                .unwrap_or_default();
            let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!(
                "| {} | {} | {} | {} | {} |",
                s.get("source").and_then(|v| v.as_str()).unwrap_or(""),
                thousands(n("rows_read")),
                thousands(n("rows_staged")),
                thousands(n("rows_rejected")),
                if reasons.is_empty() { "-".to_string() } else { reasons.join(", ") }
            )
        })
        .collect()
}

pub fn render(s: &ReportSettings, wards: &BTreeMap<String, Vec<WardFigures>>, areas: &BTreeMap<String, AreaFigures>, out: &Path) -> String {
    let p = s.pipeline;
    let d = s.definition;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", p.name);
    let _ = writeln!(md, "- Area: {}", p.area);
    let _ = writeln!(md, "- Period: {}", p.period.label());
    let _ = writeln!(md, "- Definition: {} version {} (sha256 {})", d.name(), d.file.definition.version, d.short_hash());
    let _ = writeln!(md, "- Restricted: unsuppressed figures for the partnership; not for publication.\n");
    let _ = writeln!(md, "## Findings\n");
    if wards.is_empty() {
        let _ = writeln!(
            md,
            "No record-level police offences (CRIS/CONNECT extract) were supplied, so the ward, time and people profiles of offences are not produced.\n"
        );
    }
    for theme in d.themes() {
        let (Some(w), Some(a)) = (wards.get(&theme.key), areas.get(&theme.key)) else { continue };
        let _ = writeln!(md, "### {}\n", theme.label);
        let _ = writeln!(md, "{} offences in {}.\n", thousands(a.offences), p.period.label());
        for finding in [top_wards(&theme.label, w, a, 2), highest_rate(&p.area, w, a, p.analysis.confidence), unplaced(a)].into_iter().flatten() {
            let _ = writeln!(md, "- {finding}");
        }
        let _ = writeln!(md, "\n![{} by ward](../charts/place_wards_{}.png)\n", theme.label, theme.key);
    }
    let _ = writeln!(md, "## Data\n");
    let _ = writeln!(md, "| source | rows read | staged | quarantined | reasons |\n|---|---|---|---|---|");
    for row in data_accounting(out) {
        let _ = writeln!(md, "{row}");
    }
    let _ = writeln!(md, "\nQuarantined rows are listed with file, line, reason and field in `rejects/`.\n");
    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(md, "- Definition text: \"{}\"", d.file.definition.text);
    if !d.file.definition.notes.is_empty() {
        let _ = writeln!(md, "- Definition notes: {}", d.file.definition.notes);
    }
    let _ = writeln!(
        md,
        "- Rates are offences per {} residents; {:.0}% confidence intervals use Byar's method for counts of 10 or more and the exact Poisson method below 10.",
        thousands(p.analysis.multiplier as u64),
        p.analysis.confidence * 100.0
    );
    let _ = writeln!(md, "- Ward shares use all offences in the area as the denominator, including those that could not be placed in a ward.");
    md
}
