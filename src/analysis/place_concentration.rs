//! Concentration of each theme across wards: the share held by the top N wards, the fewest wards holding
//! half of it, the Gini coefficient and the Lorenz curve (wards ranked largest first, as crime-concentration
//! studies read it: "the top quarter of wards hold 40%").

use super::place::{ThemeCounts, WardRow};
use super::AnalysisContext;
use crate::stats::{gini, lorenz_curve};
use polars::prelude::*;
use std::collections::BTreeMap;

fn counts_by_theme<'a>(ctx: &AnalysisContext, rows: &'a [WardRow]) -> Vec<(String, String, Vec<&'a WardRow>)> {
    ctx.definition
        .themes()
        .into_iter()
        .map(|t| {
            let mut ws: Vec<&WardRow> = rows.iter().filter(|r| r.theme == t.key).collect();
            ws.sort_by(|a, b| b.offences.cmp(&a.offences).then(a.ward_code.cmp(&b.ward_code)));
            (t.key, t.label, ws)
        })
        .collect()
}

/// One row per theme and "top N" (from `top_wards`), with the fewest wards holding half and the Gini.
pub fn table(ctx: &AnalysisContext, rows: &[WardRow], counts: &BTreeMap<String, ThemeCounts>) -> PolarsResult<DataFrame> {
    let (mut theme, mut label, mut top_n, mut share_top, mut names) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut half, mut gini_v, mut total, mut wards_n) = (vec![], vec![], vec![], vec![]);
    for (key, lab, ws) in counts_by_theme(ctx, rows) {
        // Shares use all the theme's offences (including unplaced ones), as place_wards does.
        let all = counts.get(&key).map(|c| c.offences_total).unwrap_or(0);
        let values: Vec<f64> = ws.iter().map(|w| w.offences as f64).collect();
        let g = gini(&values).ok();
        let mut cum = 0u64;
        let mut wards_for_half = None;
        for (i, w) in ws.iter().enumerate() {
            cum += w.offences;
            if all > 0 && wards_for_half.is_none() && cum as f64 >= 0.5 * all as f64 {
                wards_for_half = Some(i as u32 + 1);
            }
        }
        for &n in &ctx.options.top_wards {
            let top: Vec<&&WardRow> = ws.iter().take(n).collect();
            let held: u64 = top.iter().map(|w| w.offences).sum();
            theme.push(key.clone());
            label.push(lab.clone());
            top_n.push(n as u32);
            share_top.push(if all > 0 { Some(held as f64 / all as f64) } else { None });
            names.push(top.iter().map(|w| w.ward_name.clone()).collect::<Vec<_>>().join("; "));
            half.push(wards_for_half);
            gini_v.push(g);
            total.push(all);
            wards_n.push(ws.len() as u32);
        }
    }
    let n = theme.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "theme" => theme,
        "theme_label" => label,
        "offences" => total,
        "wards" => wards_n,
        "top_n" => top_n,
        "share_top_n" => share_top,
        "top_n_wards" => names,
        "wards_holding_half" => half,
        "gini" => gini_v,
        "method" => vec!["Gini over ward counts; shares of all offences including unplaced".to_string(); n],
    )
}

/// Lorenz points per theme (wards ranked largest first).
pub fn lorenz_table(ctx: &AnalysisContext, rows: &[WardRow]) -> PolarsResult<DataFrame> {
    let (mut theme, mut unit, mut value) = (vec![], vec![], vec![]);
    for (key, _, ws) in counts_by_theme(ctx, rows) {
        let values: Vec<f64> = ws.iter().map(|w| w.offences as f64).collect();
        if let Ok(points) = lorenz_curve(&values) {
            for p in points {
                theme.push(key.clone());
                unit.push(p.unit_share);
                value.push(p.value_share);
            }
        }
    }
    let n = theme.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "theme" => theme,
        "ward_share" => unit,
        "offence_share" => value,
    )
}
