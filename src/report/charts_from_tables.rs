//! Reads the analysis tables and renders the time, people and place charts per theme:
//!
//! - `charts/time_hour_weekday_<theme>.png|svg`: hour x weekday heatmap (aoristic shares);
//! - `charts/time_months_<theme>.png|svg`: monthly offences, rolling 12-month average and year
//!   boundaries;
//! - `charts/people_ethnicity_<role>_<theme>.png|svg`: victim / suspect rates per 1,000 by ethnic
//!   group, under 25 and all ages, current period, with CIs and the reference group marked;
//! - `charts/place_lorenz_<theme>.png|svg`: Lorenz curve of offences across wards;
//! - `charts/place_funnel_<theme>.png|svg`: funnel plot of ward rates against the area rate.
//!
//! A missing table skips its chart kind (open data lacks some dimensions); a theme with nothing
//! to draw is skipped (the renderer's `NoData`). Any other failure is an error.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::charts::ChartError;
use super::charts::common::format_number;
use super::charts::funnel::{FunnelChart, FunnelFlag, FunnelLimit, FunnelPoint, render_funnel};
use super::charts::group_rates::{GroupRatesChart, GroupRow, RateCi, render_group_rates};
use super::charts::heatmap::{HeatmapChart, render_heatmap};
use super::charts::lorenz::{LorenzChart, render_lorenz};
use super::charts::series::{SeriesChart, SeriesPoint, render_series};
use super::{ReportError, ReportSettings};
use crate::table_io::read_parquet;

/// Inner and outer funnel-plot control limits (the usual 2 and 3 standard-deviation levels).
const FUNNEL_INNER: f64 = 0.95;
const FUNNEL_OUTER: f64 = 0.998;
const FUNNEL_STEPS: usize = 160;

// ---------------------------------------------------------------------------------------------
// Table access.

fn err(table: &str, col: &str) -> impl Fn(PolarsError) -> ReportError {
    let what = format!("{table}.{col}");
    move |e| ReportError::Table(format!("{what}: {e}"))
}

/// A table, or `None` when the file does not exist.
fn load(out: &Path, name: &str) -> Result<Option<DataFrame>, ReportError> {
    let path = out.join("tables").join(format!("{name}.parquet"));
    if !path.is_file() {
        return Ok(None);
    }
    read_parquet(&path)
        .map(Some)
        .map_err(|e| ReportError::Table(e.to_string()))
}

struct Table<'a> {
    name: &'a str,
    df: DataFrame,
}

impl Table<'_> {
    fn strs(&self, col: &str) -> Result<Vec<String>, ReportError> {
        let c = self
            .df
            .column(col)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(err(self.name, col))?;
        let c = c.str().map_err(err(self.name, col))?;
        Ok(c.iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    }
    fn f64s(&self, col: &str) -> Result<Vec<Option<f64>>, ReportError> {
        let c = self
            .df
            .column(col)
            .and_then(|c| c.cast(&DataType::Float64))
            .map_err(err(self.name, col))?;
        let c = c.f64().map_err(err(self.name, col))?;
        Ok(c.iter().collect())
    }
    fn bools(&self, col: &str) -> Result<Vec<Option<bool>>, ReportError> {
        let c = self
            .df
            .column(col)
            .and_then(|c| c.cast(&DataType::Boolean))
            .map_err(err(self.name, col))?;
        let c = c.bool().map_err(err(self.name, col))?;
        Ok(c.iter().collect())
    }
    fn has(&self, col: &str) -> bool {
        self.df.column(col).is_ok()
    }
    fn height(&self) -> usize {
        self.df.height()
    }
}

fn table<'a>(out: &Path, name: &'a str) -> Result<Option<Table<'a>>, ReportError> {
    Ok(load(out, name)?.map(|df| Table { name, df }))
}

// ---------------------------------------------------------------------------------------------
// Output bookkeeping.

/// One chart to render.
enum Job {
    Heat(HeatmapChart),
    Series(SeriesChart),
    Groups(GroupRatesChart),
    Lorenz(LorenzChart),
    Funnel(FunnelChart),
}

impl Job {
    fn render(&self, png: &Path, svg: &Path) -> Result<(), ChartError> {
        match self {
            Job::Heat(c) => render_heatmap(c, png, svg),
            Job::Series(c) => render_series(c, png, svg),
            Job::Groups(c) => render_group_rates(c, png, svg),
            Job::Lorenz(c) => render_lorenz(c, png, svg),
            Job::Funnel(c) => render_funnel(c, png, svg),
        }
    }
}

/// Collects the charts to draw; [`Writer::finish`] renders them in parallel (PNG encoding
/// dominates the cost) and reports the files written in queue order.
struct Writer<'a> {
    out: &'a Path,
    jobs: Vec<(String, Job)>,
}

impl Writer<'_> {
    fn chart(&mut self, stem: String, job: Job) -> Result<(), ReportError> {
        self.jobs.push((stem, job));
        Ok(())
    }

    /// Renders every queued chart to `charts/<stem>.png|svg`; `NoData` skips a chart quietly.
    fn finish(self) -> Result<Vec<String>, ReportError> {
        use rayon::prelude::*;
        let out = self.out;
        let results: Vec<Result<Option<String>, ChartError>> = self
            .jobs
            .par_iter()
            .map(|(stem, job)| {
                let png = out.join("charts").join(format!("{stem}.png"));
                let svg = out.join("charts").join(format!("{stem}.svg"));
                match job.render(&png, &svg) {
                    Ok(()) => Ok(Some(stem.clone())),
                    Err(ChartError::NoData { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .collect();
        let mut written = Vec::new();
        for r in results {
            if let Some(stem) = r? {
                written.push(format!("charts/{stem}.png"));
                written.push(format!("charts/{stem}.svg"));
            }
        }
        Ok(written)
    }
}

fn source_caption(s: &ReportSettings) -> String {
    format!(
        "Source: police recorded crime, {}. Definition: {} ({}).",
        s.pipeline.period.label(),
        s.definition.name(),
        s.definition.short_hash()
    )
}

fn per_label(multiplier: f64) -> String {
    if multiplier.is_finite() && multiplier > 0.0 {
        format!("per {}", format_number(multiplier, 0))
    } else {
        "per 1,000".to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Entry point.

/// Renders every chart kind this module knows for every theme of the definition; returns the
/// files written, relative to `out`, in a stable order.
pub fn write_charts(out: &Path, s: &ReportSettings) -> Result<Vec<String>, ReportError> {
    let mut w = Writer {
        out,
        jobs: Vec::new(),
    };
    hour_weekday(&mut w, s)?;
    months(&mut w, s)?;
    ethnicity(&mut w, s)?;
    lorenz(&mut w, s)?;
    funnel(&mut w, s)?;
    w.finish()
}

// ---------------------------------------------------------------------------------------------
// Time.

fn hour_weekday(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = table(w.out, "time_hour_weekday")? else {
        return Ok(());
    };
    let (theme, day, day_i, hour, share) = (
        t.strs("theme")?,
        t.strs("weekday")?,
        t.f64s("weekday_index")?,
        t.f64s("hour")?,
        t.f64s("share")?,
    );
    let offences = if t.has("theme_offences") {
        t.f64s("theme_offences")?
    } else {
        vec![None; t.height()]
    };
    let method = if t.has("method") {
        t.strs("method")?.into_iter().next().unwrap_or_default()
    } else {
        String::new()
    };
    for th in s.definition.themes() {
        let mut names = vec![String::new(); 7];
        let mut grid = vec![vec![None; 24]; 7];
        let mut total = None;
        for i in (0..t.height()).filter(|&i| theme[i] == th.key) {
            let (Some(d), Some(h)) = (day_i[i], hour[i]) else {
                continue;
            };
            let (d, h) = (d as usize, h as usize);
            if d < 7 && h < 24 {
                names[d] = day[i].clone();
                grid[d][h] = share[i].map(|v| v * 100.0);
                total = total.or(offences[i]);
            }
        }
        let rows: Vec<String> = names
            .into_iter()
            .enumerate()
            .map(|(k, n)| {
                if n.is_empty() {
                    format!("Day {}", k + 1)
                } else {
                    n
                }
            })
            .collect();
        let n_text = total
            .map(|n| format!(" {} offences.", format_number(n, 0)))
            .unwrap_or_default();
        let chart = HeatmapChart {
            title: format!("{}: when offences happen, {}", th.label, s.pipeline.period.short_label()),
            subtitle: "Share of the theme's offences in each hour of the week, in % (all 168 cells sum to 100%)".to_string(),
            caption: format!("{}{} Method: {}.", source_caption(s), n_text, method.trim_end_matches('.')),
            x_label: "Hour of day (00 = midnight to 1am)".to_string(),
            y_label: "Day of week".to_string(),
            value_label: "Share of offences".to_string(),
            value_suffix: "%".to_string(),
            rows,
            cols: (0..24).map(|h| format!("{h:02}")).collect(),
            values: grid,
            show_values: true,
        };
        w.chart(format!("time_hour_weekday_{}", th.key), Job::Heat(chart))?;
    }
    Ok(())
}

fn months(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = table(w.out, "time_months")? else {
        return Ok(());
    };
    let (theme, month, offences, rolling) = (
        t.strs("theme")?,
        t.strs("month")?,
        t.f64s("offences")?,
        t.f64s("rolling_12m")?,
    );
    let complete = if t.has("complete_month") {
        t.bools("complete_month")?
    } else {
        vec![Some(true); t.height()]
    };
    let start_month = s
        .pipeline
        .period
        .start
        .format("%m")
        .to_string()
        .parse::<u32>()
        .unwrap_or(1);
    for th in s.definition.themes() {
        let mut points: Vec<SeriesPoint> = (0..t.height())
            .filter(|&i| theme[i] == th.key)
            .filter_map(|i| {
                let (y, m) = month[i].split_once('-')?;
                Some(SeriesPoint {
                    year: y.parse().ok()?,
                    month: m.parse().ok()?,
                    value: offences[i],
                    rolling: rolling[i].map(|r| r / 12.0),
                    complete: complete[i].unwrap_or(true),
                })
            })
            .collect();
        points.sort_by_key(|p| (p.year, p.month));
        let span = match (points.first(), points.last()) {
            (Some(a), Some(b)) => format!(
                " Months shown: {}-{:02} to {}-{:02}.",
                a.year, a.month, b.year, b.month
            ),
            _ => String::new(),
        };
        let fy = start_month == 4;
        let chart = SeriesChart {
            title: format!("{}: offences by month", th.label),
            subtitle: format!(
                "Offences recorded each month with the rolling 12-month average; dashed lines mark the start of each {}",
                if fy {
                    "financial year (April)"
                } else {
                    "year of the period"
                }
            ),
            caption: format!(
                "{}{span} The rolling average is the total of the month and the 11 before it, divided by 12, shown only once 12 complete months are available.",
                source_caption(s)
            ),
            y_label: "Offences per month".to_string(),
            x_label: "Month".to_string(),
            value_legend: "Offences in the month".to_string(),
            rolling_legend: "Rolling 12-month average".to_string(),
            year_start_month: start_month,
            points,
        };
        w.chart(format!("time_months_{}", th.key), Job::Series(chart))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// People.

const SCOPE: &str = "current period";
const AGES: [(&str, &str); 2] = [("under 25", "Under 25"), ("all ages", "All ages")];

fn ethnicity(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = table(w.out, "people_ethnicity")? else {
        return Ok(());
    };
    let (theme, role, age, group) = (
        t.strs("theme")?,
        t.strs("role")?,
        t.strs("age_group")?,
        t.strs("ethnic_group")?,
    );
    let (rate, lower, upper) = (t.f64s("rate")?, t.f64s("lower")?, t.f64s("upper")?);
    let scope = if t.has("scope") {
        t.strs("scope")?
    } else {
        vec![SCOPE.to_string(); t.height()]
    };
    let is_ref = if t.has("is_reference") {
        t.bools("is_reference")?
    } else {
        vec![None; t.height()]
    };
    let ref_name = if t.has("reference_group") {
        t.strs("reference_group")?
    } else {
        vec![String::new(); t.height()]
    };
    let multiplier = if t.has("multiplier") {
        t.f64s("multiplier")?.into_iter().flatten().next()
    } else {
        None
    };
    let per = per_label(multiplier.unwrap_or(s.pipeline.analysis.multiplier));
    let confidence = s.pipeline.analysis.confidence;
    for th in s.definition.themes() {
        for (role_key, role_word) in [("victim", "Victims"), ("suspect", "Suspects")] {
            // Groups in table order; one value per age band.
            let mut order: Vec<String> = Vec::new();
            let mut rows: BTreeMap<String, GroupRow> = BTreeMap::new();
            let mut reference = String::new();
            for i in 0..t.height() {
                if theme[i] != th.key || role[i] != role_key || scope[i] != SCOPE {
                    continue;
                }
                let Some(a) = AGES.iter().position(|(k, _)| *k == age[i]) else {
                    continue;
                };
                let g = group[i].clone();
                let row = rows.entry(g.clone()).or_insert_with(|| {
                    order.push(g.clone());
                    GroupRow {
                        label: g.clone(),
                        is_reference: false,
                        values: vec![RateCi::default(); AGES.len()],
                    }
                });
                row.is_reference |=
                    is_ref[i].unwrap_or(false) || (!ref_name[i].is_empty() && ref_name[i] == g);
                row.values[a] = RateCi {
                    rate: rate[i],
                    lower: lower[i],
                    upper: upper[i],
                };
                if reference.is_empty() && !ref_name[i].is_empty() {
                    reference = ref_name[i].clone();
                }
            }
            let mut groups = Vec::new();
            let mut without = Vec::new();
            for g in order {
                let Some(r) = rows.remove(&g) else { continue };
                if r.values.iter().any(|v| v.rate.is_some_and(f64::is_finite)) {
                    groups.push(r);
                } else {
                    without.push(g);
                }
            }
            let without_text = if without.is_empty() {
                String::new()
            } else {
                format!(
                    " No rate for: {} (no population denominator).",
                    without.join(", ")
                )
            };
            let ref_text = if reference.is_empty() {
                String::new()
            } else {
                format!(" Reference group for rate ratios: {reference}.")
            };
            let role_lower = role_word.to_lowercase();
            let chart = GroupRatesChart {
                title: format!(
                    "{}: {} by ethnic group, {}",
                    th.label,
                    role_lower,
                    s.pipeline.period.short_label()
                ),
                subtitle: format!(
                    "{role_word} {per} residents of each ethnic group, under 25 and all ages, current period, with {} confidence intervals",
                    pct(confidence)
                ),
                caption: format!(
                    "{}{ref_text}{without_text} Denominators: resident population by ethnic group and age.",
                    source_caption(s)
                ),
                value_label: format!("{role_word} {per} residents"),
                group_label: "Ethnic group".to_string(),
                series: AGES.iter().map(|(_, l)| l.to_string()).collect(),
                ci_label: format!("{} confidence interval", pct(confidence)),
                groups,
            };
            w.chart(
                format!("people_ethnicity_{role_key}_{}", th.key),
                Job::Groups(chart),
            )?;
        }
    }
    Ok(())
}

fn pct(confidence: f64) -> String {
    let p = format!("{:.1}", confidence * 100.0);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

// ---------------------------------------------------------------------------------------------
// Place.

fn lorenz(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = table(w.out, "place_lorenz")? else {
        return Ok(());
    };
    let (theme, ws, os) = (
        t.strs("theme")?,
        t.f64s("ward_share")?,
        t.f64s("offence_share")?,
    );
    let mut gini: BTreeMap<String, f64> = BTreeMap::new();
    if let Some(c) = table(w.out, "place_concentration")?
        && c.has("gini")
    {
        for (k, g) in c.strs("theme")?.into_iter().zip(c.f64s("gini")?) {
            if let Some(g) = g {
                gini.entry(k).or_insert(g);
            }
        }
    }
    for th in s.definition.themes() {
        let points: Vec<(f64, f64)> = (0..t.height())
            .filter(|&i| theme[i] == th.key)
            .filter_map(|i| Some((ws[i]?, os[i]?)))
            .collect();
        let wards = points.iter().filter(|(x, _)| *x > 0.0).count();
        let chart = LorenzChart {
            title: format!(
                "{}: how concentrated offences are across wards, {}",
                th.label,
                s.pipeline.period.short_label()
            ),
            subtitle: format!(
                "Lorenz curve: wards ranked from most to fewest offences ({wards} wards)"
            ),
            caption: format!(
                "{} Shares are of offences placed in a ward. The further the curve bows above the diagonal, the more concentrated offences are.",
                source_caption(s)
            ),
            x_label: "Cumulative share of wards (most offences first)".to_string(),
            y_label: "Cumulative share of offences".to_string(),
            points,
            gini: gini.get(&th.key).copied(),
            mark_half: true,
            unit_word: "ward".to_string(),
            unit_plural: "wards".to_string(),
        };
        w.chart(format!("place_lorenz_{}", th.key), Job::Lorenz(chart))?;
    }
    Ok(())
}

/// Rate limits (per `multiplier`) at population `n` around `area_rate`: the exact Poisson / Byar
/// interval of [`crate::stats::poisson_count_interval`] for the expected count, interpolated
/// linearly between the whole counts either side of it.
fn funnel_limits(
    area_rate: f64,
    multiplier: f64,
    n: f64,
    confidence: f64,
) -> (Option<f64>, Option<f64>) {
    let expected = area_rate / multiplier * n;
    if !(expected.is_finite() && expected >= 0.0 && n > 0.0) {
        return (None, None);
    }
    let lo = expected.floor();
    let frac = expected - lo;
    let at = |x: f64| crate::stats::poisson_count_interval(x as u64, confidence).ok();
    let (a, b) = (at(lo), at(lo + 1.0));
    let to_rate = |c: f64| c / n * multiplier;
    let upper = match (&a, &b) {
        (Some(a), Some(b)) => Some(to_rate(a.upper + (b.upper - a.upper) * frac)),
        _ => None,
    };
    let lower = match (a.and_then(|a| a.lower), b.and_then(|b| b.lower)) {
        (Some(x), Some(y)) => Some(to_rate(x + (y - x) * frac)),
        (None, Some(y)) if frac > 0.0 => Some(to_rate(y * frac)),
        _ => None,
    };
    (lower, upper)
}

fn funnel(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let (Some(wards), Some(areas)) = (
        table(w.out, "place_wards")?,
        table(w.out, "place_area_totals")?,
    ) else {
        return Ok(());
    };
    let (theme, name, pop, rate) = (
        wards.strs("theme")?,
        wards.strs("ward_name")?,
        wards.f64s("population")?,
        wards.f64s("rate")?,
    );
    let multiplier = if wards.has("multiplier") {
        wards.f64s("multiplier")?.into_iter().flatten().next()
    } else {
        None
    }
    .filter(|m| m.is_finite() && *m > 0.0)
    .unwrap_or(s.pipeline.analysis.multiplier);
    let area_rate: BTreeMap<String, f64> = areas
        .strs("theme")?
        .into_iter()
        .zip(areas.f64s("rate")?)
        .filter_map(|(k, r)| Some((k, r?)))
        .collect();
    let per = per_label(multiplier);
    for th in s.definition.themes() {
        let Some(&r0) = area_rate.get(&th.key) else {
            continue;
        };
        let idx: Vec<usize> = (0..wards.height())
            .filter(|&i| theme[i] == th.key)
            .collect();
        let mut counts = [0usize; 2];
        let points: Vec<FunnelPoint> = idx
            .iter()
            .filter_map(|&i| {
                let n = pop[i].filter(|n| n.is_finite() && *n > 0.0)?;
                let r = rate[i];
                let (il, iu) = funnel_limits(r0, multiplier, n, FUNNEL_INNER);
                let (ol, ou) = funnel_limits(r0, multiplier, n, FUNNEL_OUTER);
                let above = |l: Option<f64>| matches!((r, l), (Some(r), Some(l)) if r > l);
                let below = |l: Option<f64>| matches!((r, l), (Some(r), Some(l)) if r < l);
                let flag = if above(ou) {
                    FunnelFlag::AboveOuter
                } else if below(ol) {
                    FunnelFlag::BelowOuter
                } else if above(iu) {
                    FunnelFlag::AboveInner
                } else if below(il) {
                    FunnelFlag::BelowInner
                } else {
                    FunnelFlag::Within
                };
                match flag {
                    FunnelFlag::AboveOuter => counts[0] += 1,
                    FunnelFlag::BelowOuter => counts[1] += 1,
                    _ => {}
                }
                Some(FunnelPoint {
                    label: name[i].clone(),
                    population: n,
                    rate: r,
                    flag,
                })
            })
            .collect();
        let max_pop = points.iter().map(|p| p.population).fold(0.0_f64, f64::max);
        let limits: Vec<FunnelLimit> = (1..=FUNNEL_STEPS)
            .map(|k| {
                let n = max_pop * 1.05 * k as f64 / FUNNEL_STEPS as f64;
                let (il, iu) = funnel_limits(r0, multiplier, n, FUNNEL_INNER);
                let (ol, ou) = funnel_limits(r0, multiplier, n, FUNNEL_OUTER);
                FunnelLimit {
                    population: n,
                    inner_lower: il,
                    inner_upper: iu,
                    outer_lower: ol,
                    outer_upper: ou,
                }
            })
            .collect();
        let area_label = format!("{} rate ({})", s.pipeline.area, format_number(r0, 1));
        let chart = FunnelChart {
            title: format!(
                "{}: ward rates against population, {}",
                th.label,
                s.pipeline.period.short_label()
            ),
            subtitle: format!(
                "{} wards above and {} below the 99.8% limits; wards outside them are unlikely to differ from the area rate by chance alone",
                counts[0], counts[1]
            ),
            caption: format!(
                "{} Control limits: exact Poisson (Byar's approximation) 95% and 99.8% intervals for the count expected at the {} rate in a ward of each population, interpolated between whole counts, as a rate {per}. Wards without a population are not shown.",
                source_caption(s),
                s.pipeline.area
            ),
            x_label: "Resident population of the ward".to_string(),
            y_label: format!("Offences {per} residents"),
            area_rate: r0,
            area_label,
            inner_label: "95% limits".to_string(),
            outer_label: "99.8% limits".to_string(),
            points,
            limits,
            max_labels: 10,
        };
        w.chart(format!("place_funnel_{}", th.key), Job::Funnel(chart))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnel_limits_bracket_the_area_rate_and_narrow() {
        let (l1, u1) = funnel_limits(10.0, 1000.0, 2_000.0, 0.95);
        let (l2, u2) = funnel_limits(10.0, 1000.0, 20_000.0, 0.95);
        let (l1, u1, l2, u2) = (l1.unwrap(), u1.unwrap(), l2.unwrap(), u2.unwrap());
        assert!(l1 < 10.0 && u1 > 10.0 && l2 < 10.0 && u2 > 10.0);
        assert!(u2 - l2 < u1 - l1);
        let (_, o) = funnel_limits(10.0, 1000.0, 2_000.0, 0.998);
        assert!(o.unwrap() > u1);
        assert_eq!(funnel_limits(10.0, 1000.0, 0.0, 0.95), (None, None));
    }
}
