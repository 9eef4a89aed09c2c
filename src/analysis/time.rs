//! Time: when serious violence and each theme happen. Hour x weekday with aoristic spreading (current period),
//! calendar months with rolling 12-month totals and totals per period (all configured periods), the change
//! on the previous period with an exact conditional test, and night-time-economy and early-hours shares with
//! Wilson intervals. Windows come from the analysis options, never from code.

#[path = "time_aoristic.rs"]
pub mod aoristic;

use super::{AnalysisContext, AnalysisError, TableSink};
use crate::definition::apply::theme_column;
use crate::definition::ThemeRef;
use crate::ingest::source::TIME_UNKNOWN;
use crate::pipeline::analysis_options::{parse_time, parse_weekday, TimeWindow};
use crate::pipeline::config::Period;
use crate::stats::{period_change_with, wilson_interval, ChangeOptions, PeriodChange};
use aoristic::{spread, Spread, WeeklyWindow, HOURS_PER_WEEK, WEEKDAYS};
use chrono::{Datelike, NaiveDate, Weekday};
use polars::prelude::*;
use std::collections::BTreeMap;

pub const AORISTIC_METHOD: &str =
    "Aoristic (Ratcliffe 2002): uniform over committed_from..committed_to by time in each hour; no end: start hour; 168 h or more: 1/168 per hour";

/// Offence times and theme flags, sorted by committed_from then committed_to. Offences that tie on both add
/// identical weights, so the floating-point sums do not depend on the order polars returns rows in (joins
/// in the definition step need not keep file order).
pub struct TimeRows {
    pub from: Vec<i64>,
    pub to: Vec<Option<i64>>,
    pub period: Vec<i32>,
    /// Whether the offence's time of day is known (a date alone gives none: left out of hour tables).
    pub time_known: Vec<bool>,
    /// Per theme (in `themes` order), one flag per row.
    pub flags: Vec<Vec<bool>>,
    pub themes: Vec<ThemeRef>,
}

impl TimeRows {
    /// (committed_from, committed_to, period_index) of the theme's offences, in time order.
    pub fn of_theme(&self, theme: usize) -> impl Iterator<Item = (i64, Option<i64>, i32)> + '_ {
        let flags: &[bool] = self.flags.get(theme).map(|f| f.as_slice()).unwrap_or(&[]);
        flags.iter().zip(self.from.iter().zip(self.to.iter().zip(&self.period))).filter(|(f, _)| **f).map(|(_, (a, (b, c)))| (*a, *b, *c))
    }

    /// As [`TimeRows::of_theme`] in one period, each with whether its time of day is known.
    pub fn of_theme_in(&self, theme: usize, period: i32) -> impl Iterator<Item = (i64, Option<i64>, bool)> + '_ {
        let flags: &[bool] = self.flags.get(theme).map(|f| f.as_slice()).unwrap_or(&[]);
        (0..flags.len()).filter(move |&i| flags[i] && self.period[i] == period).map(|i| (self.from[i], self.to[i], self.time_known[i]))
    }
}

pub fn write_tables(ctx: &AnalysisContext, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let rows = load_rows(ctx)?;
    sink.write("time_hour_weekday", hour_weekday_table(ctx, &rows))?;
    sink.write("time_months", months_table(ctx, &rows))?;
    sink.write("time_periods", periods_table(ctx, &rows))?;
    sink.write("time_nte", nte_table(ctx, &rows))?;
    Ok(())
}

pub fn load_rows(ctx: &AnalysisContext) -> Result<TimeRows, AnalysisError> {
    let themes = ctx.definition.themes();
    let lf = ctx.staged.offences.clone();
    let schema = lf.clone().collect_schema().map_err(|e| AnalysisError::polars("offence columns", e))?;
    // A source without committed_to still gets an hour profile: every offence then sits in its start hour.
    let to = if schema.get("committed_to").is_some() { col("committed_to").cast(DataType::Int64) } else { lit(NULL).cast(DataType::Int64).alias("committed_to") };
    // Offences staged with a date but no time of day (older staged folders have no such column: all known).
    let unknown = if schema.get(TIME_UNKNOWN).is_some() { col(TIME_UNKNOWN).fill_null(lit(false)) } else { lit(false).alias(TIME_UNKNOWN) };
    let mut cols = vec![col("committed_from").cast(DataType::Int64), to, col("period_index"), unknown];
    cols.extend(themes.iter().map(|t| col(theme_column(&t.key))));
    let df = lf.select(cols).collect().map_err(|e| AnalysisError::polars("reading offence times", e))?;
    let get = |name: &str| df.column(name).map_err(|e| AnalysisError::polars(name, e));
    let from_c = get("committed_from")?.i64().map_err(|e| AnalysisError::polars("committed_from", e))?.clone();
    let to_c = get("committed_to")?.i64().map_err(|e| AnalysisError::polars("committed_to", e))?.clone();
    let period_c = get("period_index")?.i32().map_err(|e| AnalysisError::polars("period_index", e))?.clone();
    let unknown_c = get(TIME_UNKNOWN)?.bool().map_err(|e| AnalysisError::polars(TIME_UNKNOWN, e))?.clone();
    let mut flag_cols = Vec::new();
    for t in &themes {
        let name = theme_column(&t.key);
        flag_cols.push(get(&name)?.bool().map_err(|e| AnalysisError::polars(&name, e))?.clone());
    }
    let mut rows = TimeRows { from: Vec::new(), to: Vec::new(), period: Vec::new(), time_known: Vec::new(), flags: vec![Vec::new(); themes.len()], themes };
    // period_index is only set when committed_from is, but stay safe.
    let mut order: Vec<(i64, Option<i64>, usize)> = (0..df.height()).filter_map(|i| from_c.get(i).map(|f| (f, to_c.get(i), i))).collect();
    order.sort_unstable();
    for (f, to, i) in order {
        let Some(p) = period_c.get(i) else { continue };
        rows.from.push(f);
        rows.to.push(to);
        rows.period.push(p);
        rows.time_known.push(unknown_c.get(i) != Some(true));
        for (k, c) in flag_cols.iter().enumerate() {
            rows.flags[k].push(c.get(i) == Some(true));
        }
    }
    Ok(rows)
}

/// Aoristic hour-of-week weights of one theme's offences in a period, with counts by start hour and by
/// how each offence was spread.
#[derive(Debug, Clone)]
pub struct HourProfile {
    pub weights: [f64; HOURS_PER_WEEK],
    pub start_counts: [u64; HOURS_PER_WEEK],
    pub offences: u64,
    pub start_hour_only: u64,
    pub whole_week: u64,
    /// Offences left out because their time of day is unknown (not in `offences`).
    pub time_unknown: u64,
}

pub fn hour_profile(rows: &TimeRows, theme: usize, period: i32) -> HourProfile {
    let mut p = HourProfile { weights: [0.0; HOURS_PER_WEEK], start_counts: [0; HOURS_PER_WEEK], offences: 0, start_hour_only: 0, whole_week: 0, time_unknown: 0 };
    for (from, to, known) in rows.of_theme_in(theme, period) {
        if !known {
            p.time_unknown += 1;
            continue;
        }
        p.offences += 1;
        p.start_counts[aoristic::hour_of_week(from)] += 1;
        match spread(from, to, &mut p.weights) {
            Spread::StartHour => p.start_hour_only += 1,
            Spread::WholeWeek => p.whole_week += 1,
            Spread::Span => {}
        }
    }
    p
}

fn provenance(ctx: &AnalysisContext, n: usize) -> [Column; 2] {
    [
        Column::new("definition".into(), vec![ctx.definition.name().to_string(); n]),
        Column::new("definition_sha256".into(), vec![ctx.definition.sha256.clone(); n]),
    ]
}

fn with_provenance(ctx: &AnalysisContext, df: PolarsResult<DataFrame>) -> PolarsResult<DataFrame> {
    let df = df?;
    let height = df.height();
    let mut cols: Vec<Column> = provenance(ctx, height).into();
    cols.extend(df.columns().iter().cloned());
    DataFrame::new(height, cols)
}

pub fn hour_weekday_table(ctx: &AnalysisContext, rows: &TimeRows) -> PolarsResult<DataFrame> {
    let (mut theme, mut label, mut weekday, mut weekday_index, mut hour, mut how) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut weight, mut share, mut start_count, mut offences, mut start_only, mut whole_week) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut unknown = vec![];
    for (k, t) in rows.themes.iter().enumerate() {
        let p = hour_profile(rows, k, 0);
        for h in 0..HOURS_PER_WEEK {
            theme.push(t.key.clone());
            label.push(t.label.clone());
            weekday.push(WEEKDAYS[h / 24]);
            weekday_index.push((h / 24) as u32);
            hour.push((h % 24) as u32);
            how.push(h as u32);
            weight.push(p.weights[h]);
            // Weights of each offence sum to 1, so the offence count is the denominator.
            share.push(if p.offences > 0 { Some(p.weights[h] / p.offences as f64) } else { None });
            start_count.push(p.start_counts[h]);
            offences.push(p.offences);
            start_only.push(p.start_hour_only);
            whole_week.push(p.whole_week);
            unknown.push(p.time_unknown);
        }
    }
    let n = theme.len();
    with_provenance(
        ctx,
        df!(
            "period_start" => vec![ctx.period.start.to_string(); n],
            "period_end" => vec![ctx.period.end.to_string(); n],
            "theme" => theme,
            "theme_label" => label,
            "weekday" => weekday,
            "weekday_index" => weekday_index,
            "hour" => hour,
            "hour_of_week" => how,
            "weight" => weight,
            "share" => share,
            "offences_starting" => start_count,
            "theme_offences" => offences,
            "theme_offences_start_hour_only" => start_only,
            "theme_offences_week_or_more" => whole_week,
            "theme_offences_time_unknown" => unknown,
            "method" => vec![AORISTIC_METHOD; n],
        ),
    )
}

/// First day of the month holding `d`.
fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(1)).unwrap_or(NaiveDate::MAX)
}

/// A calendar month touched by the configured periods.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthSlot {
    pub start: NaiveDate,
    /// Index of the period holding the month's first covered day.
    pub period_index: usize,
    /// Every day of the month lies in a configured period.
    pub complete: bool,
}

/// Every month touched by the periods, oldest first.
pub fn month_slots(periods: &[Period]) -> Vec<MonthSlot> {
    let mut covered: BTreeMap<NaiveDate, (usize, i64)> = BTreeMap::new();
    for (i, p) in periods.iter().enumerate() {
        let mut m = month_start(p.start);
        while m <= p.end {
            let last = next_month(m).pred_opt().unwrap_or(m);
            let (a, b) = (m.max(p.start), last.min(p.end));
            let days = (b - a).num_days() + 1;
            let e = covered.entry(m).or_insert((i, 0));
            // A month shared by two periods is labelled with the one holding its first day.
            if p.contains(m) {
                e.0 = i;
            }
            e.1 += days;
            m = next_month(m);
        }
    }
    covered
        .into_iter()
        .map(|(start, (period_index, days))| {
            let month_days = (next_month(start) - start).num_days();
            MonthSlot { start, period_index, complete: days >= month_days }
        })
        .collect()
}

/// Month start of a timestamp (naive epoch milliseconds).
fn month_of(ms: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| month_start(t.date_naive()))
}

/// Monthly counts and rolling 12-month totals: the total of a month and the 11 before it, given only when
/// all 12 are complete months of the configured periods.
pub fn month_counts(rows: &TimeRows, theme: usize, slots: &[MonthSlot]) -> Vec<(u64, Option<u64>)> {
    let mut by_month: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for m in rows.of_theme(theme).filter_map(|r| month_of(r.0)) {
        *by_month.entry(m).or_insert(0) += 1;
    }
    let counts: Vec<u64> = slots.iter().map(|s| by_month.get(&s.start).copied().unwrap_or(0)).collect();
    (0..slots.len())
        .map(|i| {
            let rolling = (i >= 11).then(|| i - 11).and_then(|first| {
                let window = &slots[first..=i];
                // Consecutive complete months: the first is exactly 11 months before the last.
                let consecutive = window[0].start.checked_add_months(chrono::Months::new(11)) == Some(slots[i].start);
                (consecutive && window.iter().all(|s| s.complete)).then(|| counts[first..=i].iter().sum())
            });
            (counts[i], rolling)
        })
        .collect()
}

pub fn months_table(ctx: &AnalysisContext, rows: &TimeRows) -> PolarsResult<DataFrame> {
    let slots = month_slots(&ctx.periods);
    let (mut theme, mut label, mut month, mut month_start_s, mut period_label, mut period_index) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut complete, mut offences, mut rolling) = (vec![], vec![], vec![]);
    for (k, t) in rows.themes.iter().enumerate() {
        for (s, (c, r)) in slots.iter().zip(month_counts(rows, k, &slots)) {
            theme.push(t.key.clone());
            label.push(t.label.clone());
            month.push(s.start.format("%Y-%m").to_string());
            month_start_s.push(s.start.to_string());
            period_label.push(ctx.periods.get(s.period_index).map(|p| p.short_label()).unwrap_or_default());
            period_index.push(s.period_index as u32);
            complete.push(s.complete);
            offences.push(c);
            rolling.push(r);
        }
    }
    with_provenance(
        ctx,
        df!(
            "theme" => theme,
            "theme_label" => label,
            "month" => month,
            "month_start" => month_start_s,
            "period" => period_label,
            "period_index" => period_index,
            "complete_month" => complete,
            "offences" => offences,
            "rolling_12m" => rolling,
        ),
    )
}

/// Exposure of `current` relative to `previous`: 1 for calendar periods of the same number of whole months
/// (financial years are compared as years, as police statistics are, even across a leap day), otherwise
/// the ratio of their lengths in days.
pub fn exposure_ratio(current: &Period, previous: &Period) -> (f64, &'static str) {
    let whole_months = |p: &Period| {
        (p.start.day() == 1 && p.end.succ_opt().map(|d| d.day() == 1).unwrap_or(false))
            .then(|| (p.end.year() - p.start.year()) * 12 + p.end.month() as i32 - p.start.month() as i32 + 1)
    };
    match (whole_months(current), whole_months(previous)) {
        (Some(a), Some(b)) if a == b => (1.0, "equal calendar periods"),
        _ => {
            let days = |p: &Period| ((p.end - p.start).num_days() + 1).max(1) as f64;
            (days(current) / days(previous), "days")
        }
    }
}

/// Change from `previous` to `current` counts; `None` when the test cannot be run (e.g. counts beyond the
/// exact method's limit), so the table shows blanks rather than failing.
pub fn change(previous: u64, current: u64, exposure: f64, confidence: f64, alpha: f64) -> Option<PeriodChange> {
    period_change_with(previous, current, &ChangeOptions { exposure_ratio: exposure, confidence, alpha }).ok()
}

pub fn periods_table(ctx: &AnalysisContext, rows: &TimeRows) -> PolarsResult<DataFrame> {
    let np = ctx.periods.len();
    let mut theme = vec![];
    let mut label = vec![];
    let (mut pidx, mut plabel, mut pstart, mut pend, mut days, mut offences) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut compared, mut prev_off, mut exposure, mut basis) = (vec![], vec![], vec![], vec![]);
    let (mut pct, mut ratio, mut lower, mut upper, mut p_value, mut significant, mut method) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (k, t) in rows.themes.iter().enumerate() {
        let mut counts = vec![0u64; np];
        for (_, _, p) in rows.of_theme(k) {
            if let Some(c) = usize::try_from(p).ok().and_then(|p| counts.get_mut(p)) {
                *c += 1;
            }
        }
        for (i, p) in ctx.periods.iter().enumerate() {
            theme.push(t.key.clone());
            label.push(t.label.clone());
            pidx.push(i as u32);
            plabel.push(p.short_label());
            pstart.push(p.start.to_string());
            pend.push(p.end.to_string());
            days.push((p.end - p.start).num_days() + 1);
            offences.push(counts[i]);
            // Each period is compared with the one before it; the oldest has nothing to compare with.
            let prev = ctx.periods.get(i + 1);
            let (e, b) = prev.map(|q| exposure_ratio(p, q)).map_or((None, None), |(e, b)| (Some(e), Some(b)));
            let c = prev.zip(e).and_then(|(_, e)| change(counts[i + 1], counts[i], e, ctx.confidence, ctx.options.alpha));
            compared.push(prev.map(|q| q.short_label()));
            prev_off.push(prev.map(|_| counts[i + 1]));
            exposure.push(e);
            basis.push(b);
            pct.push(c.as_ref().and_then(|c| c.percent_change));
            ratio.push(c.as_ref().and_then(|c| c.ratio));
            lower.push(c.as_ref().map(|c| c.lower));
            upper.push(c.as_ref().and_then(|c| c.upper));
            p_value.push(c.as_ref().map(|c| c.p_value));
            significant.push(c.as_ref().map(|c| c.significant));
            method.push(c.as_ref().map(|c| c.method));
        }
    }
    let n = theme.len();
    with_provenance(
        ctx,
        df!(
            "theme" => theme,
            "theme_label" => label,
            "period_index" => pidx,
            "period" => plabel,
            "period_start" => pstart,
            "period_end" => pend,
            "days" => days,
            "offences" => offences,
            "compared_with" => compared,
            "previous_offences" => prev_off,
            "exposure_ratio" => exposure,
            "exposure_basis" => basis,
            "percent_change" => pct,
            "ratio" => ratio,
            "lower" => lower,
            "upper" => upper,
            "p_value" => p_value,
            "alpha" => vec![ctx.options.alpha; n],
            "significant" => significant,
            "method" => method,
            "confidence" => vec![ctx.confidence; n],
        ),
    )
}

fn window_err(what: &str, value: &str) -> PolarsError {
    PolarsError::ComputeError(format!("analysis option {what}: \"{value}\" is not valid").into())
}

/// The night-time-economy window from the options.
pub fn nte_window(ctx: &AnalysisContext) -> PolarsResult<WeeklyWindow> {
    let o = &ctx.options.nte;
    let days = o.days.iter().map(|d| parse_weekday(d).ok_or_else(|| window_err("nte.days", d))).collect::<PolarsResult<Vec<_>>>()?;
    let start = parse_time(&o.start).ok_or_else(|| window_err("nte.start", &o.start))?;
    let end = parse_time(&o.end).ok_or_else(|| window_err("nte.end", &o.end))?;
    Ok(WeeklyWindow::new(&days, start, end))
}

/// The early-hours window from the options, on every day of the week.
pub fn early_hours_window(w: &TimeWindow) -> PolarsResult<WeeklyWindow> {
    let start = parse_time(&w.start).ok_or_else(|| window_err("early_hours.start", &w.start))?;
    let end = parse_time(&w.end).ok_or_else(|| window_err("early_hours.end", &w.end))?;
    let all = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
    Ok(WeeklyWindow::new(&all, start, end))
}

/// (offences in the window, offences with a time of day, offences without) for one theme in a period, by
/// committed_from.
pub fn window_count(rows: &TimeRows, theme: usize, period: i32, window: &WeeklyWindow) -> (u64, u64, u64) {
    let (mut x, mut n, mut unknown) = (0, 0, 0);
    for (from, _, known) in rows.of_theme_in(theme, period) {
        if !known {
            unknown += 1;
            continue;
        }
        n += 1;
        if window.contains(from) {
            x += 1;
        }
    }
    (x, n, unknown)
}

pub fn nte_table(ctx: &AnalysisContext, rows: &TimeRows) -> PolarsResult<DataFrame> {
    let windows = [
        ("night_time_economy", "Night-time economy", nte_window(ctx)?),
        ("early_hours", "Early hours (every day)", early_hours_window(&ctx.options.early_hours)?),
    ];
    let (mut theme, mut label, mut wkey, mut wlabel, mut wdays, mut wstart, mut wend, mut overnight, mut hours) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut week_share, mut x_v, mut n_v, mut share, mut lower, mut upper, mut ratio, mut method) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut unknown_v = vec![];
    for (k, t) in rows.themes.iter().enumerate() {
        for (key, wl, w) in &windows {
            let (x, n, unknown) = window_count(rows, k, 0, w);
            unknown_v.push(unknown);
            let est = wilson_interval(x, n, ctx.confidence).ok();
            let hw = w.hours_per_week();
            let uniform = hw / HOURS_PER_WEEK as f64;
            theme.push(t.key.clone());
            label.push(t.label.clone());
            wkey.push(*key);
            wlabel.push(*wl);
            wdays.push(w.days_label());
            wstart.push(w.start.format("%H:%M").to_string());
            wend.push(w.end.format("%H:%M").to_string());
            overnight.push(w.overnight());
            hours.push(hw);
            week_share.push(uniform);
            x_v.push(x);
            n_v.push(n);
            share.push(est.as_ref().map(|e| e.proportion));
            lower.push(est.as_ref().map(|e| e.lower));
            upper.push(est.as_ref().map(|e| e.upper));
            ratio.push(est.as_ref().filter(|_| uniform > 0.0).map(|e| e.proportion / uniform));
            method.push(est.as_ref().map(|e| e.method));
        }
    }
    let n = theme.len();
    with_provenance(
        ctx,
        df!(
            "period_start" => vec![ctx.period.start.to_string(); n],
            "period_end" => vec![ctx.period.end.to_string(); n],
            "theme" => theme,
            "theme_label" => label,
            "window" => wkey,
            "window_label" => wlabel,
            "window_days" => wdays,
            "window_start" => wstart,
            "window_end" => wend,
            "window_overnight" => overnight,
            "time_basis" => vec!["committed_from"; n],
            "window_hours_per_week" => hours,
            "week_hours_share" => week_share,
            "offences_in_window" => x_v,
            "offences" => n_v,
            "offences_time_unknown" => unknown_v,
            "share" => share,
            "lower" => lower,
            "upper" => upper,
            "share_to_hours_ratio" => ratio,
            "method" => method,
            "confidence" => vec![ctx.confidence; n],
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32, h: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, 0, 0)).expect("valid").and_utc().timestamp_millis()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn fy(y: i32) -> Period {
        Period { start: date(y, 4, 1), end: date(y + 1, 3, 31) }
    }

    fn rows(items: &[(i64, Option<i64>, i32, bool)]) -> TimeRows {
        TimeRows {
            from: items.iter().map(|r| r.0).collect(),
            to: items.iter().map(|r| r.1).collect(),
            period: items.iter().map(|r| r.2).collect(),
            time_known: vec![true; items.len()],
            flags: vec![items.iter().map(|r| r.3).collect()],
            themes: vec![ThemeRef { key: "serious_violence".into(), label: "Serious violence".into() }],
        }
    }

    #[test]
    fn hour_profile_counts_only_the_theme_in_the_period() {
        let r = rows(&[
            (ms(2025, 11, 21, 22), Some(ms(2025, 11, 22, 0)), 0, true), // Fri 22-23 and 23-24, half each
            (ms(2025, 11, 21, 22), None, 0, true),                      // Fri 22
            (ms(2025, 11, 21, 22), None, 1, true),                      // previous period
            (ms(2025, 11, 21, 22), None, 0, false),                     // not in the theme
        ]);
        let p = hour_profile(&r, 0, 0);
        assert_eq!((p.offences, p.start_hour_only, p.whole_week), (2, 1, 0));
        assert_eq!((p.weights[118], p.weights[119]), (1.5, 0.5));
        assert_eq!(p.start_counts[118], 2);
        assert_eq!(p.weights.iter().sum::<f64>(), 2.0);
    }

    #[test]
    fn change_wiring_uses_the_exact_conditional_test() {
        // Equal financial years: exposure 1, so the result is stats::period_change's 5 -> 15 reference.
        let (e, basis) = exposure_ratio(&fy(2025), &fy(2024));
        assert_eq!((e, basis), (1.0, "equal calendar periods"));
        // A leap year is still a year.
        assert_eq!(exposure_ratio(&fy(2024), &fy(2023)).0, 1.0);
        let c = change(5, 15, e, 0.95, 0.05).expect("change");
        assert!((c.p_value - 0.04138946533203125).abs() < 1e-9);
        assert!((c.lower - 1.0364696204894187).abs() < 1e-9);
        assert_eq!(c.percent_change, Some(200.0));
        assert!(c.significant);
        assert_eq!(c.method, "Exact conditional");
        // Significance follows the configured alpha, not the confidence level.
        assert!(!change(5, 15, 1.0, 0.95, 0.01).expect("change").significant);
        // Unequal custom periods compare per day.
        let a = Period { start: date(2025, 1, 1), end: date(2025, 1, 20) };
        let b = Period { start: date(2024, 12, 22), end: date(2024, 12, 31) };
        assert_eq!(exposure_ratio(&a, &b), (2.0, "days"));
        let c = change(10, 20, 2.0, 0.95, 0.05).expect("change");
        assert_eq!(c.percent_change, Some(0.0));
        assert!(!c.significant);
    }

    #[test]
    fn months_and_rolling_twelve() {
        let periods = [fy(2025), fy(2024)];
        let slots = month_slots(&periods);
        assert_eq!(slots.len(), 24);
        assert_eq!(slots[0], MonthSlot { start: date(2024, 4, 1), period_index: 1, complete: true });
        assert_eq!(slots[23].start, date(2026, 3, 1));
        assert_eq!(slots[23].period_index, 0);
        // One offence in each of the 24 months, plus a second in April 2024.
        let mut items: Vec<_> = slots.iter().map(|s| (s.start.and_hms_opt(12, 0, 0).expect("t").and_utc().timestamp_millis(), None, s.period_index as i32, true)).collect();
        items.push((ms(2024, 4, 30, 23), None, 1, true));
        let c = month_counts(&rows(&items), 0, &slots);
        assert_eq!(c[0], (2, None));
        assert_eq!(c[10], (1, None));
        assert_eq!(c[11], (1, Some(13)));
        assert_eq!(c[12], (1, Some(12)));
        assert_eq!(c[23], (1, Some(12)));
        // A period that ends mid-month leaves that month incomplete, so no rolling total ends there.
        let part = [Period { start: date(2025, 1, 1), end: date(2025, 12, 15) }];
        let s = month_slots(&part);
        assert_eq!(s.len(), 12);
        assert!(!s[11].complete);
        assert_eq!(month_counts(&rows(&[]), 0, &s)[11], (0, None));
    }

    #[test]
    fn window_count_uses_committed_from_in_the_period() {
        let t = |s: &str| parse_time(s).expect("time");
        let w = WeeklyWindow::new(&[Weekday::Fri, Weekday::Sat, Weekday::Sun], t("18:00"), t("06:00"));
        let r = rows(&[
            (ms(2025, 11, 22, 2), None, 0, true),  // Sat 02:00: Friday night
            (ms(2025, 11, 21, 2), None, 0, true),  // Fri 02:00: Thursday night
            (ms(2025, 11, 19, 20), Some(ms(2025, 11, 22, 2)), 0, true), // starts Wed evening
            (ms(2025, 11, 22, 2), None, 1, true),  // previous period
        ]);
        assert_eq!(window_count(&r, 0, 0, &w), (1, 3, 0));
        // An offence with a date but no time of day is counted apart, in neither the window nor the total.
        let mut r = r;
        r.time_known[0] = false;
        assert_eq!(window_count(&r, 0, 0, &w), (0, 2, 1));
        let p = hour_profile(&r, 0, 0);
        assert_eq!((p.offences, p.time_unknown), (2, 1));
        assert!((p.weights.iter().sum::<f64>() - 2.0).abs() < 1e-9);
    }
}
