//! Profiles from data.police.uk street-level crime, where an area has only open data. police.uk has month
//! precision, no demographics and no flags, so only place and month profiles are possible, and serious
//! violence is approximated by the crime types the definition maps (`[police_uk]`), as an upper bound.

use super::{AnalysisContext, AnalysisError, TableSink};
use crate::stats::crude_rate;
use crate::table_io::read_parquet;
use polars::prelude::*;
use std::collections::BTreeMap;

/// Crime types the definition maps to serious-violence categories, with their caveats.
fn mapped_types(ctx: &AnalysisContext) -> Vec<(String, String)> {
    ctx.definition.file.police_uk.iter().map(|(t, m)| (t.clone(), m.caveat.clone())).collect()
}

fn epoch_days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// `open_place_wards` (current period, by ward) and `open_time_months` (every configured period), for the
/// mapped crime types together ("proxy") and each type alone.
pub fn write_tables(ctx: &AnalysisContext, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let path = ctx.staged_dir.join("police_uk.parquet");
    if !path.is_file() {
        return Ok(());
    }
    let types = mapped_types(ctx);
    let df = read_parquet(&path)?;
    let month = df.column("month").and_then(|c| c.cast(&DataType::Int32)).map_err(|e| AnalysisError::polars("police_uk month", e))?;
    let month = month.i32().map_err(|e| AnalysisError::polars("police_uk month", e))?.clone();
    let crime = df.column("crime_type").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("crime_type", e))?;
    let ward = df.column("ward_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ward_code", e))?;
    let status = df.column("location_status").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("location_status", e))?;
    let (cur_start, cur_end) = (epoch_days(ctx.period.start), epoch_days(ctx.period.end));
    let groups: Vec<(String, Vec<String>, String)> = std::iter::once((
        "proxy".to_string(),
        types.iter().map(|t| t.0.clone()).collect(),
        types.iter().map(|t| format!("{}: {}", t.0, t.1)).collect::<Vec<_>>().join("; "),
    ))
    .chain(types.iter().map(|(t, c)| (t.clone(), vec![t.clone()], c.clone())))
    .collect();
    let pop_total: f64 = ctx.population_by_ward.values().sum();

    // Place, current period.
    let (mut g_col, mut code, mut name, mut count, mut pop, mut rate, mut lower, mut upper, mut method) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut area_g, mut area_total, mut area_unplaced, mut caveats) = (vec![], vec![], vec![], vec![]);
    for (g, members, caveat) in &groups {
        let mut by_ward: BTreeMap<&str, u64> = BTreeMap::new();
        let (mut total, mut unplaced) = (0u64, 0u64);
        for i in 0..df.height() {
            let in_period = month.get(i).is_some_and(|m| m >= cur_start && m <= cur_end);
            if !in_period || !crime.get(i).is_some_and(|c| members.iter().any(|m| m == c)) {
                continue;
            }
            // Rows placed outside the area's wards are other areas' crime in this force's file: not counted.
            if status.get(i) == Some("outside_area") {
                continue;
            }
            total += 1;
            match ward.get(i) {
                Some(w) => *by_ward.entry(w).or_insert(0) += 1,
                None => unplaced += 1,
            }
        }
        for (c, n) in &ctx.wards {
            let k = by_ward.get(c.as_str()).copied().unwrap_or(0);
            let p = ctx.population_by_ward.get(c).copied().unwrap_or(0.0);
            let r = if p > 0.0 { crude_rate(k, p, ctx.multiplier, ctx.confidence).ok() } else { None };
            g_col.push(g.clone());
            code.push(c.clone());
            name.push(n.clone());
            count.push(k);
            pop.push(p);
            rate.push(r.as_ref().map(|e| e.rate));
            lower.push(r.as_ref().and_then(|e| e.lower));
            upper.push(r.as_ref().map(|e| e.upper));
            method.push(r.as_ref().map(|e| e.method.as_str().to_string()));
        }
        area_g.push(g.clone());
        area_total.push(total);
        area_unplaced.push(unplaced);
        caveats.push(caveat.clone());
    }
    let n = g_col.len();
    sink.write(
        "open_place_wards",
        df!(
            "definition" => vec![ctx.definition.name().to_string(); n],
            "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
            "period_start" => vec![ctx.period.start.to_string(); n],
            "period_end" => vec![ctx.period.end.to_string(); n],
            "crime_types" => g_col,
            "ward_code" => code,
            "ward_name" => name,
            "offences" => count,
            "population" => pop,
            "rate" => rate,
            "lower" => lower,
            "upper" => upper,
            "method" => method,
            "confidence" => vec![ctx.confidence; n],
            "multiplier" => vec![ctx.multiplier; n],
        ),
    )?;
    let m = area_g.len();
    sink.write(
        "open_area_totals",
        df!(
            "definition" => vec![ctx.definition.name().to_string(); m],
            "definition_sha256" => vec![ctx.definition.sha256.clone(); m],
            "period_start" => vec![ctx.period.start.to_string(); m],
            "period_end" => vec![ctx.period.end.to_string(); m],
            "crime_types" => area_g,
            "offences" => area_total,
            "offences_unplaced" => area_unplaced,
            "population" => vec![pop_total; m],
            "upper_bound_caveat" => caveats,
            "not_available" => vec!["time of day, weekday, victims and suspects, domestic-abuse and weapon flags, Home Office codes".to_string(); m],
        ),
    )?;

    // Months across every configured period.
    let first = ctx.periods.iter().map(|p| epoch_days(p.start)).min().unwrap_or(cur_start);
    let mut months: BTreeMap<(String, i32), u64> = BTreeMap::new();
    for (g, members, _) in &groups {
        for i in 0..df.height() {
            let Some(mo) = month.get(i) else { continue };
            if mo < first || mo > cur_end || status.get(i) == Some("outside_area") {
                continue;
            }
            if crime.get(i).is_some_and(|c| members.iter().any(|m| m == c)) {
                *months.entry((g.clone(), mo)).or_insert(0) += 1;
            }
        }
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let k = months.len();
    sink.write(
        "open_time_months",
        df!(
            "definition" => vec![ctx.definition.name().to_string(); k],
            "definition_sha256" => vec![ctx.definition.sha256.clone(); k],
            "crime_types" => months.keys().map(|(g, _)| g.clone()).collect::<Vec<_>>(),
            "month" => months.keys().map(|(_, d)| (epoch + chrono::Duration::days(i64::from(*d))).format("%Y-%m").to_string()).collect::<Vec<_>>(),
            "offences" => months.values().copied().collect::<Vec<_>>(),
        ),
    )?;
    Ok(())
}
