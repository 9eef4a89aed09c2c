//! Ward hotspots: Getis-Ord Gi* on ward rates over queen contiguity (staged by ingest), p-values adjusted
//! for multiple testing (Benjamini-Hochberg by default, named in the table), classed hot / cold / not
//! significant. Islands (wards with no neighbour) are flagged, not dropped; an area without ward
//! boundaries has no contiguity, so no hotspot table.

use super::place::WardRow;
use super::{AnalysisContext, AnalysisError};
use crate::stats::{adjust_p_values, getis_ord_gi_star, PAdjustMethod};
use crate::table_io::read_parquet;
use polars::prelude::*;
use std::collections::BTreeMap;

fn adjust_method(name: &str) -> PAdjustMethod {
    match name {
        "holm" => PAdjustMethod::Holm,
        "bonferroni" => PAdjustMethod::Bonferroni,
        _ => PAdjustMethod::BenjaminiHochberg,
    }
}

/// Neighbour lists by ward index from `staged/ward_neighbours.parquet`, or None when it was not staged.
fn neighbours(ctx: &AnalysisContext) -> Result<Option<Vec<Vec<usize>>>, AnalysisError> {
    let path = ctx.staged_dir.join("ward_neighbours.parquet");
    if !path.is_file() {
        return Ok(None);
    }
    let df = read_parquet(&path)?;
    let a = df.column("ward_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ward_neighbours", e))?;
    let b = df.column("neighbour_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ward_neighbours", e))?;
    let index: BTreeMap<&str, usize> = ctx.wards.iter().enumerate().map(|(i, (c, _))| (c.as_str(), i)).collect();
    let mut out = vec![Vec::new(); ctx.wards.len()];
    for i in 0..df.height() {
        if let (Some(x), Some(y)) = (a.get(i).and_then(|c| index.get(c)), b.get(i).and_then(|c| index.get(c))) {
            out[*x].push(*y);
        }
    }
    Ok(Some(out))
}

pub fn table(ctx: &AnalysisContext, rows: &[WardRow]) -> Result<Option<PolarsResult<DataFrame>>, AnalysisError> {
    let Some(nb) = neighbours(ctx)? else { return Ok(None) };
    let method = adjust_method(&ctx.options.fdr_method);
    let alpha = ctx.options.alpha;
    let mut cols: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
    let (mut theme, mut code, mut name, mut class, mut island, mut n_nb) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for t in ctx.definition.themes() {
        let by_code: BTreeMap<&str, &WardRow> = rows.iter().filter(|r| r.theme == t.key).map(|r| (r.ward_code.as_str(), r)).collect();
        // Rates where every ward has residents; counts otherwise (stated in `value_kind`).
        let have_rates = ctx.wards.iter().all(|(c, _)| by_code.get(c.as_str()).is_some_and(|r| r.rate.is_some()));
        let values: Vec<f64> = ctx
            .wards
            .iter()
            .map(|(c, _)| by_code.get(c.as_str()).map(|r| if have_rates { r.rate.as_ref().map(|e| e.rate).unwrap_or(0.0) } else { r.offences as f64 }).unwrap_or(0.0))
            .collect();
        let Ok(gi) = getis_ord_gi_star(&values, &nb) else { continue };
        // Adjust only the defined p-values, keeping ward order.
        let defined: Vec<(usize, f64)> = gi.iter().enumerate().filter_map(|(i, g)| g.p_value.map(|p| (i, p))).collect();
        let adjusted = adjust_p_values(&defined.iter().map(|d| d.1).collect::<Vec<_>>(), method).unwrap_or_default();
        let mut adj = vec![None; gi.len()];
        for ((i, _), a) in defined.iter().zip(adjusted) {
            adj[*i] = Some(a);
        }
        for (i, g) in gi.iter().enumerate() {
            theme.push(t.key.clone());
            code.push(ctx.wards[i].0.clone());
            name.push(ctx.wards[i].1.clone());
            cols.entry("value").or_default().push(Some(values[i]));
            cols.entry("gi_star_z").or_default().push(g.z);
            cols.entry("p_value").or_default().push(g.p_value);
            cols.entry("p_adjusted").or_default().push(adj[i]);
            class.push(match (g.z, adj[i]) {
                (Some(z), Some(p)) if p <= alpha && z > 0.0 => "hot",
                (Some(z), Some(p)) if p <= alpha && z < 0.0 => "cold",
                _ => "not significant",
            });
            island.push(g.island);
            n_nb.push(g.neighbour_count as u32);
        }
    }
    let n = theme.len();
    let value_kind = if rows.iter().all(|r| r.rate.is_some()) { "rate per 1,000" } else { "count" };
    let take = |cols: &mut BTreeMap<&str, Vec<Option<f64>>>, k: &str| cols.remove(k).unwrap_or_default();
    Ok(Some(df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "theme" => theme,
        "ward_code" => code,
        "ward_name" => name,
        "value_kind" => vec![value_kind.to_string(); n],
        "value" => take(&mut cols, "value"),
        "neighbours" => n_nb,
        "island" => island,
        "gi_star_z" => take(&mut cols, "gi_star_z"),
        "p_value" => take(&mut cols, "p_value"),
        "p_adjusted" => take(&mut cols, "p_adjusted"),
        "adjust_method" => vec![method.as_str().to_string(); n],
        "alpha" => vec![alpha; n],
        "class" => class.into_iter().map(str::to_string).collect::<Vec<_>>(),
        "method" => vec![format!("Getis-Ord Gi*, queen contiguity (tolerance {} m), binary weights", ctx.options.contiguity_tolerance_m); n],
    )))
}
