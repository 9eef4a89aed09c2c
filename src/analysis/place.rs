//! Place: offences and victims by ward for serious violence and each theme, as rates per 1,000
//! residents with confidence intervals, ranked, with shares; and area totals that keep unlocated and
//! outside-area records (they count in the area, never in a ward).

use super::{AnalysisContext, AnalysisError, TableSink};
use crate::definition::apply::theme_column;
use crate::stats::{crude_rate, RateEstimate};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Counts for one theme in the current period.
#[derive(Debug, Default, Clone)]
pub struct ThemeCounts {
    pub offences_by_ward: BTreeMap<String, u64>,
    pub victims_by_ward: BTreeMap<String, u64>,
    pub offences_total: u64,
    pub offences_outside_area: u64,
    pub offences_unlocated: u64,
    pub victims_total: u64,
}

/// Ward and area tables for every theme.
pub fn write_tables(ctx: &AnalysisContext, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let counts = count_themes(ctx)?;
    let rows = ward_rows(ctx, &counts);
    sink.write("place_wards", ward_table(ctx, &rows))?;
    sink.write("place_area_totals", area_table(ctx, &counts))?;
    sink.write("place_concentration", super::place_concentration::table(ctx, &rows, &counts))?;
    sink.write("place_lorenz", super::place_concentration::lorenz_table(ctx, &rows))?;
    if let Some(path) = &ctx.options.harm_weights {
        sink.write("place_harm", super::place_harm::table(ctx, std::path::Path::new(path))?)?;
    }
    if let Some(hotspots) = super::place_hotspots::table(ctx, &rows)? {
        sink.write("place_hotspots", hotspots)?;
    }
    Ok(())
}

/// Count offences and victims per ward for every theme in one pass over the current period.
pub fn count_themes(ctx: &AnalysisContext) -> Result<BTreeMap<String, ThemeCounts>, AnalysisError> {
    let themes = ctx.definition.themes();
    let mut cols = vec![col("crime_ref"), col("ward_code"), col("location_status")];
    cols.extend(themes.iter().map(|t| col(theme_column(&t.key))));
    let df = ctx
        .staged
        .offences
        .clone()
        .filter(col("period_index").eq(lit(0)))
        .select(cols)
        .collect()
        .map_err(|e| AnalysisError::polars("counting offences by ward", e))?;
    // Victims per offence, by crime_ref code.
    let codes = df.column("crime_ref").and_then(super::crime_codes::codes_of).map_err(|e| AnalysisError::polars("crime_ref codes", e))?;
    let len = super::crime_codes::code_count(&codes);
    let victims_by_code = ctx.staged.victims.count_by_code(len);
    let nv: Vec<u64> = codes.iter().map(|c| c.and_then(|c| victims_by_code.get(c as usize)).copied().unwrap_or(0)).collect();
    let ward = df.column("ward_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ward_code", e))?;
    let status = df.column("location_status").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("location_status", e))?;
    // Themes counted in parallel, each into a map keyed by the borrowed ward code (a String per offence
    // would be millions of allocations), then into the sorted map the tables read.
    let counted: Vec<(String, ThemeCounts)> = themes
        .par_iter()
        .map(|t| {
            let flags = df
                .column(&theme_column(&t.key))
                .and_then(|c| c.bool().cloned())
                .map_err(|e| AnalysisError::polars("theme flag", e))?;
            let mut c = ThemeCounts::default();
            let mut by_ward: foldhash::HashMap<&str, (u64, u64)> = foldhash::HashMap::default();
            for (((flag, w), s), &v) in flags.iter().zip(ward.iter()).zip(status.iter()).zip(nv.iter()) {
                if flag != Some(true) {
                    continue;
                }
                c.offences_total += 1;
                c.victims_total += v;
                match w {
                    Some(w) => {
                        let e = by_ward.entry(w).or_default();
                        e.0 += 1;
                        e.1 += v;
                    }
                    None if s == Some("outside_area") => c.offences_outside_area += 1,
                    None => c.offences_unlocated += 1,
                }
            }
            for (w, (offences, victims)) in by_ward {
                c.offences_by_ward.insert(w.to_string(), offences);
                c.victims_by_ward.insert(w.to_string(), victims);
            }
            Ok((t.key.clone(), c))
        })
        .collect::<Result<_, AnalysisError>>()?;
    Ok(counted.into_iter().collect())
}

/// One ward's row of the place table.
#[derive(Debug, Clone)]
pub struct WardRow {
    pub theme: String,
    pub theme_label: String,
    pub ward_code: String,
    pub ward_name: String,
    pub offences: u64,
    pub victims: u64,
    pub population: f64,
    pub rate: Option<RateEstimate>,
    pub rank: u32,
    pub count_rank: u32,
    pub share: f64,
    pub cumulative_share: f64,
    /// "higher" / "lower" when the ward's interval excludes the area rate, "similar" when it includes it.
    pub vs_area: Option<&'static str>,
}

/// Method named in the `vs_area_method` column.
pub const VS_AREA_METHOD: &str = "ward confidence interval compared with the area rate";

/// Is the ward's interval wholly above, wholly below, or around the area rate?
pub fn compare_with_area(rate: Option<&RateEstimate>, area_rate: Option<f64>) -> Option<&'static str> {
    let (r, a) = (rate?, area_rate?);
    Some(if r.lower.is_some_and(|l| l > a) {
        "higher"
    } else if r.upper < a {
        "lower"
    } else {
        "similar"
    })
}

fn rate(ctx: &AnalysisContext, count: u64, population: f64) -> Option<RateEstimate> {
    if population > 0.0 { crude_rate(count, population, ctx.multiplier, ctx.confidence).ok() } else { None }
}

/// Ward rows for every theme: every ward of the area appears (zero counts included), ranked by rate
/// (rank 1 = highest) and by count, with each ward's share of the area total and the cumulative share
/// down the count ranking.
pub fn ward_rows(ctx: &AnalysisContext, counts: &BTreeMap<String, ThemeCounts>) -> Vec<WardRow> {
    let mut rows = Vec::new();
    for t in ctx.definition.themes() {
        let Some(c) = counts.get(&t.key) else { continue };
        let area_pop: f64 = ctx.population_by_ward.values().sum();
        let area_rate = rate(ctx, c.offences_total, area_pop).map(|r| r.rate);
        let mut theme_rows: Vec<WardRow> = ctx
            .wards
            .iter()
            .map(|(code, name)| {
                let offences = c.offences_by_ward.get(code).copied().unwrap_or(0);
                let population = ctx.population_by_ward.get(code).copied().unwrap_or(0.0);
                WardRow {
                    theme: t.key.clone(),
                    theme_label: t.label.clone(),
                    ward_code: code.clone(),
                    ward_name: name.clone(),
                    offences,
                    victims: c.victims_by_ward.get(code).copied().unwrap_or(0),
                    population,
                    rate: rate(ctx, offences, population),
                    vs_area: compare_with_area(rate(ctx, offences, population).as_ref(), area_rate),
                    rank: 0,
                    count_rank: 0,
                    share: if c.offences_total > 0 { offences as f64 / c.offences_total as f64 } else { 0.0 },
                    cumulative_share: 0.0,
                }
            })
            .collect();
        // Count ranking (ties broken by code, so output is deterministic) and cumulative share.
        let mut order: Vec<usize> = (0..theme_rows.len()).collect();
        order.sort_by(|&a, &b| theme_rows[b].offences.cmp(&theme_rows[a].offences).then(theme_rows[a].ward_code.cmp(&theme_rows[b].ward_code)));
        let mut cum = 0.0;
        for (r, &i) in order.iter().enumerate() {
            cum += theme_rows[i].share;
            theme_rows[i].count_rank = r as u32 + 1;
            theme_rows[i].cumulative_share = cum;
        }
        // Rate ranking; wards without a rate (no population) rank last.
        let key = |w: &WardRow| w.rate.as_ref().map(|r| r.rate).unwrap_or(f64::NEG_INFINITY);
        order.sort_by(|&a, &b| {
            key(&theme_rows[b]).total_cmp(&key(&theme_rows[a])).then(theme_rows[b].offences.cmp(&theme_rows[a].offences)).then(theme_rows[a].ward_code.cmp(&theme_rows[b].ward_code))
        });
        for (r, &i) in order.iter().enumerate() {
            theme_rows[i].rank = r as u32 + 1;
        }
        let mut sorted: Vec<WardRow> = order.into_iter().map(|i| theme_rows[i].clone()).collect();
        rows.append(&mut sorted);
    }
    rows
}

pub fn ward_table(ctx: &AnalysisContext, rows: &[WardRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let def = ctx.definition;
    let opt = |f: &dyn Fn(&RateEstimate) -> Option<f64>| rows.iter().map(|r| r.rate.as_ref().and_then(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![def.name().to_string(); n],
        "definition_sha256" => vec![def.sha256.clone(); n],
        "period_start" => vec![ctx.period.start.to_string(); n],
        "period_end" => vec![ctx.period.end.to_string(); n],
        "theme" => rows.iter().map(|r| r.theme.clone()).collect::<Vec<_>>(),
        "theme_label" => rows.iter().map(|r| r.theme_label.clone()).collect::<Vec<_>>(),
        "rank" => rows.iter().map(|r| r.rank).collect::<Vec<_>>(),
        "ward_code" => rows.iter().map(|r| r.ward_code.clone()).collect::<Vec<_>>(),
        "ward_name" => rows.iter().map(|r| r.ward_name.clone()).collect::<Vec<_>>(),
        "offences" => rows.iter().map(|r| r.offences).collect::<Vec<_>>(),
        "victims" => rows.iter().map(|r| r.victims).collect::<Vec<_>>(),
        "population" => rows.iter().map(|r| r.population).collect::<Vec<_>>(),
        "rate" => opt(&|e| Some(e.rate)),
        "lower" => opt(&|e| e.lower),
        "upper" => opt(&|e| Some(e.upper)),
        "method" => rows.iter().map(|r| r.rate.as_ref().map(|e| e.method.as_str().to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
        "multiplier" => vec![ctx.multiplier; n],
        "count_rank" => rows.iter().map(|r| r.count_rank).collect::<Vec<_>>(),
        "share" => rows.iter().map(|r| r.share).collect::<Vec<_>>(),
        "cumulative_share" => rows.iter().map(|r| r.cumulative_share).collect::<Vec<_>>(),
        "vs_area" => rows.iter().map(|r| r.vs_area.map(str::to_string)).collect::<Vec<_>>(),
        "vs_area_method" => vec![VS_AREA_METHOD.to_string(); n],
    )
}

/// Area totals per theme, including records with no ward.
pub fn area_table(ctx: &AnalysisContext, counts: &BTreeMap<String, ThemeCounts>) -> PolarsResult<DataFrame> {
    let themes = ctx.definition.themes();
    let pop: f64 = ctx.population_by_ward.values().sum();
    let mut theme = Vec::new();
    let mut label = Vec::new();
    let (mut total, mut in_wards, mut outside, mut unlocated, mut victims) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut rate_v, mut lower, mut upper, mut method) = (vec![], vec![], vec![], vec![]);
    for t in &themes {
        let Some(c) = counts.get(&t.key) else { continue };
        theme.push(t.key.clone());
        label.push(t.label.clone());
        total.push(c.offences_total);
        in_wards.push(c.offences_by_ward.values().sum::<u64>());
        outside.push(c.offences_outside_area);
        unlocated.push(c.offences_unlocated);
        victims.push(c.victims_total);
        let r = rate(ctx, c.offences_total, pop);
        rate_v.push(r.as_ref().map(|e| e.rate));
        lower.push(r.as_ref().and_then(|e| e.lower));
        upper.push(r.as_ref().map(|e| e.upper));
        method.push(r.as_ref().map(|e| e.method.as_str().to_string()));
    }
    let n = theme.len();
    let def = ctx.definition;
    df!(
        "definition" => vec![def.name().to_string(); n],
        "definition_sha256" => vec![def.sha256.clone(); n],
        "period_start" => vec![ctx.period.start.to_string(); n],
        "period_end" => vec![ctx.period.end.to_string(); n],
        "theme" => theme,
        "theme_label" => label,
        "offences" => total,
        "offences_in_wards" => in_wards,
        "offences_outside_area" => outside,
        "offences_unlocated" => unlocated,
        "victims" => victims,
        "population" => vec![pop; n],
        "rate" => rate_v,
        "lower" => lower,
        "upper" => upper,
        "method" => method,
        "confidence" => vec![ctx.confidence; n],
        "multiplier" => vec![ctx.multiplier; n],
    )
}
