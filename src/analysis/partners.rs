//! Partners: ambulance (LAS) and A&E assaults by ward and hour x weekday, the "hidden violence" estimate
//! (ambulance call-outs with no police offence nearby in space and time), MARAC, youth justice and school
//! exclusions profiles, and the YOT x exclusions overlap by pseudonym (counts only).
//!
//! A partner source that was not supplied (no `staged/<source>.parquet`) is skipped: none of its tables or
//! rows are written, and `quality_*` lists the sources that were present.
//!
//! Scopes: every statistic is given for the current period (`scope = "current"`) and for the span of all
//! configured periods (`scope = "all_periods"`), by the record's event date (call_at, assault_at,
//! offence_date, referral_date, exclusion_start). Look-backs (MARAC previous referral, police offences near
//! a call-out) use every staged record, whatever its period.

#[path = "partners_people.rs"]
mod people;

use super::offence_grid::OffenceGrid;
use super::{AnalysisContext, AnalysisError, TableSink};
use crate::stats::{crude_rate, wilson_interval, ProportionEstimate, RateEstimate};
use crate::table_io::read_parquet;
use chrono::{Datelike, NaiveDate, Timelike};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

pub use people::repeat_flags;

const MS_PER_DAY: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Every partner table.
pub fn write_tables(ctx: &AnalysisContext, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let mut shares: Vec<ShareRow> = Vec::new();
    let mut counts: Vec<CountRow> = Vec::new();
    let las = load(ctx, "las")?;
    let ae = load(ctx, "ae")?;
    let mut ward_rows = Vec::new();
    let mut how_rows = Vec::new();
    for (source, df, time_col) in [("las", &las, "call_at"), ("ae", &ae, "assault_at")] {
        let Some(df) = df else { continue };
        let times = millis(df, time_col)?;
        let wards = strings(df, "ward_code")?;
        ward_rows.extend(ward_counts(ctx, source, &times, &wards));
        for scope in scopes(ctx) {
            how_rows.extend(hour_weekday(source, &scope, &times));
        }
    }
    if let Some(df) = &las {
        hidden_violence(ctx, df, &mut shares)?;
    }
    if !ward_rows.is_empty() {
        sink.write("partners_wards", ward_table(ctx, &ward_rows))?;
        sink.write("partners_hour_weekday", hour_weekday_table(ctx, &how_rows))?;
    }
    let marac = load(ctx, "marac")?;
    let yot = load(ctx, "yot")?;
    let exclusions = load(ctx, "exclusions")?;
    if let Some(df) = &marac {
        let agencies = people::marac(ctx, df, &mut shares, &mut counts)?;
        sink.write("partners_marac_agencies", people::agency_table(ctx, &agencies))?;
    }
    if let Some(df) = &yot {
        people::yot(ctx, df, exclusions.as_ref(), &mut shares, &mut counts)?;
    }
    if let Some(df) = &exclusions {
        let (groups, reasons) = people::exclusions(ctx, df, &mut shares, &mut counts)?;
        sink.write("partners_exclusions_groups", people::group_table(ctx, &groups))?;
        sink.write("partners_exclusions_reasons", people::reason_table(ctx, &reasons))?;
    }
    if !shares.is_empty() {
        sink.write("partners_shares", share_table(ctx, &shares))?;
    }
    if !counts.is_empty() {
        sink.write("partners_counts", count_table(ctx, &counts))?;
    }
    Ok(())
}

// ---- reading -------------------------------------------------------------------------------------------

/// The staged partner table, or None when the source was not supplied.
pub(crate) fn load(ctx: &AnalysisContext, source: &str) -> Result<Option<DataFrame>, AnalysisError> {
    load_from(&ctx.staged_dir, source)
}

pub(crate) fn load_from(staged: &Path, source: &str) -> Result<Option<DataFrame>, AnalysisError> {
    let path = staged.join(format!("{source}.parquet"));
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(read_parquet(&path)?))
}

fn perr(name: &str) -> impl Fn(PolarsError) -> AnalysisError + '_ {
    move |e| AnalysisError::polars(name, e)
}

/// A string column (all null when the column is absent).
pub(crate) fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, AnalysisError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::String).map_err(perr(name))?;
    let s = c.str().map_err(perr(name))?;
    Ok(s.iter().map(|v| v.map(str::to_string)).collect())
}

pub(crate) fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, AnalysisError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Float64).map_err(perr(name))?;
    Ok(c.f64().map_err(perr(name))?.iter().collect())
}

pub(crate) fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, AnalysisError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Int64).map_err(perr(name))?;
    Ok(c.i64().map_err(perr(name))?.iter().collect())
}

pub(crate) fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>, AnalysisError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Boolean).map_err(perr(name))?;
    Ok(c.bool().map_err(perr(name))?.iter().collect())
}

/// A date or datetime column as milliseconds since the epoch (naive local time).
pub(crate) fn millis(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, AnalysisError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = match c.dtype() {
        DataType::Date => {
            let days = c.cast(&DataType::Int32).map_err(perr(name))?;
            let days = days.i32().map_err(perr(name))?;
            return Ok(days.iter().map(|d| d.map(|d| i64::from(d) * MS_PER_DAY)).collect());
        }
        DataType::Datetime(_, _) => c.cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).map_err(perr(name))?,
        _ => c.clone(),
    };
    let c = c.cast(&DataType::Int64).map_err(perr(name))?;
    Ok(c.i64().map_err(perr(name))?.iter().collect())
}

// ---- scopes --------------------------------------------------------------------------------------------

/// A span of event dates a statistic is computed over.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub name: &'static str,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Scope {
    fn start_ms(&self) -> i64 {
        epoch_ms(self.start)
    }
    /// Is the event (milliseconds) inside the scope (end date inclusive)?
    pub fn contains(&self, t: Option<i64>) -> bool {
        t.is_some_and(|t| t >= self.start_ms() && t < epoch_ms(self.end) + MS_PER_DAY)
    }
}

fn epoch_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0)
}

pub(crate) fn scopes(ctx: &AnalysisContext) -> Vec<Scope> {
    let start = ctx.periods.iter().map(|p| p.start).min().unwrap_or(ctx.period.start);
    let end = ctx.periods.iter().map(|p| p.end).max().unwrap_or(ctx.period.end);
    vec![
        Scope { name: "current", start: ctx.period.start, end: ctx.period.end },
        Scope { name: "all_periods", start, end },
    ]
}

// ---- long tables of shares and counts ------------------------------------------------------------------

/// A proportion with its Wilson interval.
#[derive(Debug, Clone)]
pub(crate) struct ShareRow {
    pub source: &'static str,
    pub statistic: String,
    pub scope: Scope,
    pub numerator: u64,
    pub denominator: u64,
    /// Records left out because the statistic cannot be assessed for them (no point, no date...).
    pub excluded: u64,
    pub estimate: Option<ProportionEstimate>,
    pub note: String,
}

impl ShareRow {
    pub fn new(ctx: &AnalysisContext, source: &'static str, statistic: &str, scope: &Scope, x: u64, n: u64, note: &str) -> ShareRow {
        ShareRow {
            source,
            statistic: statistic.to_string(),
            scope: scope.clone(),
            numerator: x,
            denominator: n,
            excluded: 0,
            estimate: wilson_interval(x, n, ctx.confidence).ok(),
            note: note.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CountRow {
    pub source: &'static str,
    pub statistic: String,
    pub scope: Scope,
    pub value: f64,
    pub note: String,
}

fn share_table(ctx: &AnalysisContext, rows: &[ShareRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let est = |f: &dyn Fn(&ProportionEstimate) -> f64| rows.iter().map(|r| r.estimate.as_ref().map(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.to_string()).collect::<Vec<_>>(),
        "statistic" => rows.iter().map(|r| r.statistic.clone()).collect::<Vec<_>>(),
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "numerator" => rows.iter().map(|r| r.numerator).collect::<Vec<_>>(),
        "denominator" => rows.iter().map(|r| r.denominator).collect::<Vec<_>>(),
        "excluded" => rows.iter().map(|r| r.excluded).collect::<Vec<_>>(),
        "proportion" => est(&|e| e.proportion),
        "lower" => est(&|e| e.lower),
        "upper" => est(&|e| e.upper),
        "method" => rows.iter().map(|r| r.estimate.as_ref().map(|e| e.method.to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
        "note" => rows.iter().map(|r| r.note.clone()).collect::<Vec<_>>(),
    )
}

fn count_table(ctx: &AnalysisContext, rows: &[CountRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.to_string()).collect::<Vec<_>>(),
        "statistic" => rows.iter().map(|r| r.statistic.clone()).collect::<Vec<_>>(),
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        "note" => rows.iter().map(|r| r.note.clone()).collect::<Vec<_>>(),
    )
}

// ---- LAS and A&E by ward and hour x weekday ------------------------------------------------------------

#[derive(Debug, Clone)]
struct WardCount {
    source: &'static str,
    ward_code: String,
    ward_name: String,
    count: u64,
    population: f64,
    rate: Option<RateEstimate>,
}

/// Records of the current period by ward: every ward of the area, zero counts included; records with no
/// ward (unlocated or outside the area) count in the area total only, as rows with an empty ward code.
fn ward_counts(ctx: &AnalysisContext, source: &'static str, times: &[Option<i64>], wards: &[Option<String>]) -> Vec<WardCount> {
    let current = &scopes(ctx)[0];
    let mut by_ward: HashMap<&str, u64> = HashMap::new();
    let mut no_ward = 0u64;
    for (t, w) in times.iter().zip(wards) {
        if !current.contains(*t) {
            continue;
        }
        match w {
            Some(w) => *by_ward.entry(w.as_str()).or_insert(0) += 1,
            None => no_ward += 1,
        }
    }
    let rate = |count: u64, pop: f64| if pop > 0.0 { crude_rate(count, pop, ctx.multiplier, ctx.confidence).ok() } else { None };
    let mut rows: Vec<WardCount> = ctx
        .wards
        .iter()
        .map(|(code, name)| {
            let count = by_ward.get(code.as_str()).copied().unwrap_or(0);
            let population = ctx.population_by_ward.get(code).copied().unwrap_or(0.0);
            WardCount { source, ward_code: code.clone(), ward_name: name.clone(), count, population, rate: rate(count, population) }
        })
        .collect();
    let in_wards: u64 = rows.iter().map(|r| r.count).sum();
    // Ward codes not in the area's ward list (should not happen after ingest) count as no ward.
    let other: u64 = by_ward.values().sum::<u64>() - in_wards;
    let pop: f64 = ctx.population_by_ward.values().sum();
    rows.push(WardCount {
        source,
        ward_code: String::new(),
        ward_name: "No ward (unlocated or outside the area)".into(),
        count: no_ward + other,
        population: 0.0,
        rate: None,
    });
    let total = in_wards + no_ward + other;
    rows.push(WardCount { source, ward_code: "AREA".into(), ward_name: "Area total".into(), count: total, population: pop, rate: rate(total, pop) });
    rows
}

fn ward_table(ctx: &AnalysisContext, rows: &[WardCount]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let opt = |f: &dyn Fn(&RateEstimate) -> Option<f64>| rows.iter().map(|r| r.rate.as_ref().and_then(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "period_start" => vec![ctx.period.start.to_string(); n],
        "period_end" => vec![ctx.period.end.to_string(); n],
        "source" => rows.iter().map(|r| r.source.to_string()).collect::<Vec<_>>(),
        "ward_code" => rows.iter().map(|r| r.ward_code.clone()).collect::<Vec<_>>(),
        "ward_name" => rows.iter().map(|r| r.ward_name.clone()).collect::<Vec<_>>(),
        "count" => rows.iter().map(|r| r.count).collect::<Vec<_>>(),
        "population" => rows.iter().map(|r| r.population).collect::<Vec<_>>(),
        "rate" => opt(&|e| Some(e.rate)),
        "lower" => opt(&|e| e.lower),
        "upper" => opt(&|e| Some(e.upper)),
        "method" => rows.iter().map(|r| r.rate.as_ref().map(|e| e.method.as_str().to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
        "multiplier" => vec![ctx.multiplier; n],
    )
}

#[derive(Debug, Clone)]
struct HowRow {
    source: &'static str,
    scope: Scope,
    weekday: usize,
    hour: u32,
    count: u64,
    share: f64,
}

/// 168 bins (Mon 00h .. Sun 23h) at the point in time of each record.
fn hour_weekday(source: &'static str, scope: &Scope, times: &[Option<i64>]) -> Vec<HowRow> {
    let mut bins = [0u64; 168];
    for t in times.iter().filter(|t| scope.contains(**t)).flatten() {
        if let Some(dt) = chrono::DateTime::from_timestamp_millis(*t) {
            let dt = dt.naive_utc();
            bins[dt.weekday().num_days_from_monday() as usize * 24 + dt.hour() as usize] += 1;
        }
    }
    let total: u64 = bins.iter().sum();
    (0..168)
        .map(|i| HowRow {
            source,
            scope: scope.clone(),
            weekday: i / 24,
            hour: (i % 24) as u32,
            count: bins[i],
            share: if total > 0 { bins[i] as f64 / total as f64 } else { 0.0 },
        })
        .collect()
}

fn hour_weekday_table(ctx: &AnalysisContext, rows: &[HowRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.to_string()).collect::<Vec<_>>(),
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "weekday" => rows.iter().map(|r| WEEKDAYS[r.weekday].to_string()).collect::<Vec<_>>(),
        "weekday_index" => rows.iter().map(|r| r.weekday as u32 + 1).collect::<Vec<_>>(),
        "hour" => rows.iter().map(|r| r.hour).collect::<Vec<_>>(),
        "count" => rows.iter().map(|r| r.count).collect::<Vec<_>>(),
        "share" => rows.iter().map(|r| r.share).collect::<Vec<_>>(),
    )
}

// ---- hidden violence -----------------------------------------------------------------------------------

/// Share of ambulance call-outs with no police offence (any offence, any HO code, any location status,
/// every staged offence with a point) whose committed_from is within the configured hours either side of
/// call_at and whose point is within the configured metres. Call-outs without a point or time are left
/// out of the denominator and counted in `excluded`.
fn hidden_violence(ctx: &AnalysisContext, las: &DataFrame, shares: &mut Vec<ShareRow>) -> Result<(), AnalysisError> {
    let hv = &ctx.options.hidden_violence;
    // Only the three columns the join needs: the offence table can be the largest staged file.
    let path = ctx.staged_dir.join("police_offences.parquet");
    let police = if path.is_file() {
        let lf = super::inputs::scan(&path)?.select([col("committed_from"), col("easting"), col("northing")]);
        Some(lf.collect().map_err(perr("reading police offences for the hidden-violence join"))?)
    } else {
        None
    };
    let points = match &police {
        Some(p) => offence_points(p)?,
        None => Vec::new(),
    };
    let grid = OffenceGrid::new(points, hv.metres);
    let window_ms = (hv.hours * 3_600_000.0).round() as i64;
    let (t, e, n) = (millis(las, "call_at")?, floats(las, "easting")?, floats(las, "northing")?);
    let note = format!(
        "call-outs with no police offence (any offence, any HO code) committed_from within {} hours either side of call_at and within {} metres",
        hv.hours, hv.metres
    );
    let scopes = scopes(ctx);
    // The scopes overlap (the current period is inside all periods): search each call-out once, in
    // parallel (each search only reads the grid, so the answers do not depend on the threads).
    let nearby: Vec<bool> = (0..las.height())
        .into_par_iter()
        .map(|i| match (t[i], e[i], n[i]) {
            (Some(ti), Some(ei), Some(ni)) if scopes.iter().any(|s| s.contains(t[i])) => grid.any_within(ti, ei, ni, window_ms, hv.metres),
            _ => false,
        })
        .collect();
    for scope in scopes {
        let (mut hidden, mut assessed, mut excluded) = (0u64, 0u64, 0u64);
        for i in 0..las.height() {
            if !scope.contains(t[i]) {
                continue;
            }
            match (t[i], e[i], n[i]) {
                (Some(_), Some(_), Some(_)) => {
                    assessed += 1;
                    if !nearby[i] {
                        hidden += 1;
                    }
                }
                _ => excluded += 1,
            }
        }
        let mut row = ShareRow::new(ctx, "las", "no_police_offence_nearby", &scope, hidden, assessed, &note);
        row.excluded = excluded;
        shares.push(row);
    }
    Ok(())
}

/// (committed_from in ms, easting, northing) of every offence with all three, read straight from the
/// columns (millions of rows: no per-column vectors of options).
fn offence_points(p: &DataFrame) -> Result<Vec<(i64, f64, f64)>, AnalysisError> {
    let t = p.column("committed_from").map_err(perr("committed_from"))?;
    let t = t.cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).and_then(|c| c.cast(&DataType::Int64)).map_err(perr("committed_from"))?;
    let e = p.column("easting").and_then(|c| c.cast(&DataType::Float64)).map_err(perr("easting"))?;
    let n = p.column("northing").and_then(|c| c.cast(&DataType::Float64)).map_err(perr("northing"))?;
    let (t, e, n) = (t.i64().map_err(perr("committed_from"))?, e.f64().map_err(perr("easting"))?, n.f64().map_err(perr("northing"))?);
    Ok(t.iter().zip(e.iter()).zip(n.iter()).filter_map(|((t, e), n)| Some((t?, e?, n?))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_includes_its_end_date() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let s = Scope { name: "current", start: d("2025-04-01"), end: d("2026-03-31") };
        assert!(s.contains(Some(epoch_ms(d("2026-03-31")) + MS_PER_DAY - 1)));
        assert!(!s.contains(Some(epoch_ms(d("2026-04-01")))));
        assert!(s.contains(Some(epoch_ms(d("2025-04-01")))));
        assert!(!s.contains(None));
    }
}
