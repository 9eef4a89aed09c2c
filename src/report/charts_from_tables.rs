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
//! - `charts/open_time_months.png|svg`: data.police.uk street-level crimes of the crime types the
//!   definition maps, by month (open-data runs only).
//!
//! Tables are read per tier through [`load_tier_table`]: the restricted tier from
//! `tables/<name>.parquet` into `charts/`, the public tier only from the suppressed
//! `public/tables/<name>.csv` into `public/charts/`. In the public tier a suppressed value is never
//! drawn (a grey heatmap cell, a month without a bar, an ethnic group without a dot or interval),
//! the rolling 12-month line is absent (its column is not published), and the Lorenz and funnel
//! charts are not drawn (place_lorenz is not published, and a funnel needs every ward's count).
//!
//! A missing table skips its chart kind (open data lacks some dimensions); a theme with nothing
//! to draw is skipped (the renderer's `NoData`). Any other failure is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::charts::ChartError;
use super::charts::common::format_number;
use super::charts::funnel::{FunnelChart, FunnelFlag, FunnelLimit, FunnelPoint, render_funnel};
use super::charts::group_rates::{GroupRatesChart, GroupRow, RateCi, render_group_rates};
use super::charts::heatmap::{HeatmapChart, render_heatmap};
use super::charts::lorenz::{LorenzChart, render_lorenz};
use super::charts::series::{SeriesChart, SeriesPoint, render_series};
use super::tier_tables::{load_tier_table, tier_root};
use super::{ReportError, ReportSettings, Tier};

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
        let c = self.df.column(col).map_err(err(self.name, col))?;
        if c.dtype() == &DataType::String {
            // A CSV column that did not infer as boolean (e.g. blanked cells): read the words.
            let c = c.str().map_err(err(self.name, col))?;
            return Ok(c
                .iter()
                .map(
                    |v| match v.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
                        Some("true") => Some(true),
                        Some("false") => Some(false),
                        _ => None,
                    },
                )
                .collect());
        }
        let c = c.cast(&DataType::Boolean).map_err(err(self.name, col))?;
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
    /// The run's output folder, tables are read from (per tier).
    out: &'a Path,
    tier: Tier,
    /// Where the charts go: `out` or `out/public`.
    root: PathBuf,
    jobs: Vec<(String, Job)>,
}

impl Writer<'_> {
    /// A table of this writer's tier, or `None` when it was not produced (or not published).
    fn table<'n>(&self, name: &'n str) -> Result<Option<Table<'n>>, ReportError> {
        Ok(load_tier_table(self.out, self.tier, name)?.map(|df| Table { name, df }))
    }

    fn public(&self) -> bool {
        self.tier == Tier::Public
    }

    fn chart(&mut self, stem: String, job: Job) -> Result<(), ReportError> {
        self.jobs.push((stem, job));
        Ok(())
    }

    /// Renders every queued chart to `charts/<stem>.png|svg`; `NoData` skips a chart quietly.
    fn finish(self) -> Result<Vec<String>, ReportError> {
        use rayon::prelude::*;
        let out = self.root.as_path();
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

/// Caption note on every public chart (empty for the restricted tier).
fn suppression_note(s: &ReportSettings, tier: Tier) -> String {
    if tier == Tier::Restricted {
        return String::new();
    }
    let n = s.pipeline.privacy.suppress_below.saturating_sub(1);
    if n >= 1 {
        format!(
            " Counts from 1 to {n} are suppressed: a suppressed value is not shown (never drawn as zero)."
        )
    } else {
        " No suppression threshold is set for the published tables.".to_string()
    }
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

/// Renders every chart kind this module knows for every theme of the definition, from the tables
/// of `tier`, into `tier_root(out, tier)/charts`; returns the files written, relative to the tier
/// root (e.g. `charts/time_months_serious_violence.png`), in a stable order. The public tier
/// draws only from the suppressed public tables and has no Lorenz or funnel charts.
pub fn write_charts(
    out: &Path,
    s: &ReportSettings,
    tier: Tier,
) -> Result<Vec<String>, ReportError> {
    let mut w = Writer {
        out,
        tier,
        root: tier_root(out, tier),
        jobs: Vec::new(),
    };
    hour_weekday(&mut w, s)?;
    months(&mut w, s)?;
    open_months(&mut w, s)?;
    ethnicity(&mut w, s)?;
    if tier == Tier::Restricted {
        lorenz(&mut w, s)?;
        funnel(&mut w, s)?;
    }
    w.finish()
}

// ---------------------------------------------------------------------------------------------
// Time.

/// One theme's hour x weekday grid: row labels (Monday first), `values[day][hour]` in % (a
/// suppressed or missing share is `None`), the theme's offences, and how many cells of the table
/// had no share (suppressed, in the public tier).
#[derive(Debug, Clone, PartialEq)]
struct HeatGrid {
    rows: Vec<String>,
    values: Vec<Vec<Option<f64>>>,
    total: Option<f64>,
    blank: usize,
}

fn heat_grid(t: &Table, theme_key: &str) -> Result<HeatGrid, ReportError> {
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
    let mut names = vec![String::new(); 7];
    let mut grid = vec![vec![None; 24]; 7];
    let mut total = None;
    let mut blank = 0;
    for i in (0..t.height()).filter(|&i| theme[i] == theme_key) {
        let (Some(d), Some(h)) = (day_i[i], hour[i]) else {
            continue;
        };
        let (d, h) = (d as usize, h as usize);
        if d < 7 && h < 24 {
            names[d] = day[i].clone();
            grid[d][h] = share[i].map(|v| v * 100.0);
            if grid[d][h].is_none() {
                blank += 1;
            }
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
    Ok(HeatGrid {
        rows,
        values: grid,
        total,
        blank,
    })
}

fn hour_weekday(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = w.table("time_hour_weekday")? else {
        return Ok(());
    };
    let method = if t.has("method") {
        t.strs("method")?.into_iter().next().unwrap_or_default()
    } else {
        String::new()
    };
    let public = w.public();
    let note = suppression_note(s, w.tier);
    for th in s.definition.themes() {
        let g = heat_grid(&t, &th.key)?;
        let n_text = g
            .total
            .map(|n| format!(" {} offences.", format_number(n, 0)))
            .unwrap_or_default();
        let (subtitle, grey) = if public {
            (
                "Share of the theme's offences in each hour of the week, in % (all 168 cells, suppressed ones included, sum to 100%)".to_string(),
                if g.blank > 0 {
                    format!(
                        " Grey cells: suppressed ({} of 168), not zero.",
                        g.blank
                    )
                } else {
                    String::new()
                },
            )
        } else {
            (
                "Share of the theme's offences in each hour of the week, in % (all 168 cells sum to 100%)".to_string(),
                String::new(),
            )
        };
        let chart = HeatmapChart {
            title: format!(
                "{}: when offences happen, {}",
                th.label,
                s.pipeline.period.short_label()
            ),
            subtitle,
            caption: format!(
                "{}{} Method: {}.{grey}{note}",
                source_caption(s),
                n_text,
                method.trim_end_matches('.')
            ),
            x_label: "Hour of day (00 = midnight to 1am)".to_string(),
            y_label: "Day of week".to_string(),
            value_label: "Share of offences".to_string(),
            value_suffix: "%".to_string(),
            rows: g.rows,
            cols: (0..24).map(|h| format!("{h:02}")).collect(),
            values: g.values,
            show_values: true,
            blank_label: if public { "Suppressed (not zero)" } else { "No data" }.to_string(),
        };
        w.chart(format!("time_hour_weekday_{}", th.key), Job::Heat(chart))?;
    }
    Ok(())
}

/// The months of the rows whose `key_col` is `key`, oldest first. A suppressed or missing count
/// is `None` (a gap, never zero); without a `rolling_12m` column (public tables) there is no
/// rolling value, and without `complete_month` every month counts as complete.
fn month_points(t: &Table, key_col: &str, key: &str) -> Result<Vec<SeriesPoint>, ReportError> {
    let (keys, month, offences) = (t.strs(key_col)?, t.strs("month")?, t.f64s("offences")?);
    let rolling = if t.has("rolling_12m") {
        t.f64s("rolling_12m")?
    } else {
        vec![None; t.height()]
    };
    let complete = if t.has("complete_month") {
        t.bools("complete_month")?
    } else {
        vec![Some(true); t.height()]
    };
    let mut points: Vec<SeriesPoint> = (0..t.height())
        .filter(|&i| keys[i] == key)
        .filter_map(|i| {
            let (y, m) = month[i].trim().split_once('-')?;
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
    Ok(points)
}

/// Inserts a month without a value (a gap) for every calendar month missing between the first
/// and the last point, so the x axis stays one slot per month.
fn fill_month_gaps(points: Vec<SeriesPoint>) -> Vec<SeriesPoint> {
    let index = |p: &SeriesPoint| i64::from(p.year) * 12 + i64::from(p.month) - 1;
    let mut filled: Vec<SeriesPoint> = Vec::with_capacity(points.len());
    for p in points {
        if !(1..=12).contains(&p.month) {
            continue;
        }
        if let Some(last) = filled.last() {
            let (a, b) = (index(last), index(&p));
            if b <= a {
                continue; // duplicate month: keep the first
            }
            for k in a + 1..b {
                filled.push(SeriesPoint {
                    year: k.div_euclid(12) as i32,
                    month: k.rem_euclid(12) as u32 + 1,
                    value: None,
                    rolling: None,
                    complete: true,
                });
            }
        }
        filled.push(p);
    }
    filled
}

fn span_text(points: &[SeriesPoint]) -> String {
    match (points.first(), points.last()) {
        (Some(a), Some(b)) => format!(
            " Months shown: {}-{:02} to {}-{:02}.",
            a.year, a.month, b.year, b.month
        ),
        _ => String::new(),
    }
}

fn start_month(s: &ReportSettings) -> u32 {
    s.pipeline
        .period
        .start
        .format("%m")
        .to_string()
        .parse::<u32>()
        .unwrap_or(1)
}

fn boundary_word(start_month: u32) -> &'static str {
    if start_month == 4 {
        "financial year (April)"
    } else {
        "year of the period"
    }
}

/// " N months suppressed (no bar), not zero." for the public tier, when some month has no value.
fn gap_note(points: &[SeriesPoint], public: bool) -> String {
    let gaps = points.iter().filter(|p| p.value.is_none()).count();
    match (public, gaps) {
        (true, 0) | (false, _) => String::new(),
        (true, 1) => " 1 month suppressed: no bar, not zero.".to_string(),
        (true, n) => format!(" {n} months suppressed: no bar, not zero."),
    }
}

fn months(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = w.table("time_months")? else {
        return Ok(());
    };
    let start_month = start_month(s);
    let public = w.public();
    let note = suppression_note(s, w.tier);
    for th in s.definition.themes() {
        let points = month_points(&t, "theme", &th.key)?;
        let span = span_text(&points);
        let has_rolling = points.iter().any(|p| p.rolling.is_some());
        let (subtitle, caption) = if public && !has_rolling {
            (
                format!(
                    "Offences recorded each month; dashed lines mark the start of each {}",
                    boundary_word(start_month)
                ),
                format!(
                    "{}{span}{} The rolling 12-month average is not published (it would reveal suppressed months).{note}",
                    source_caption(s),
                    gap_note(&points, public)
                ),
            )
        } else {
            (
                format!(
                    "Offences recorded each month with the rolling 12-month average; dashed lines mark the start of each {}",
                    boundary_word(start_month)
                ),
                format!(
                    "{}{span} The rolling average is the total of the month and the 11 before it, divided by 12, shown only once 12 complete months are available.{}{note}",
                    source_caption(s),
                    gap_note(&points, public)
                ),
            )
        };
        let chart = SeriesChart {
            title: format!("{}: offences by month", th.label),
            subtitle,
            caption,
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

/// Open data (data.police.uk street-level crime): the crime types the definition maps, counted
/// together (`crime_types` = "proxy"), by month.
fn open_months(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = w.table("open_time_months")? else {
        return Ok(());
    };
    let points = fill_month_gaps(month_points(&t, "crime_types", "proxy")?);
    let mut types: Vec<String> = Vec::new();
    for k in t.strs("crime_types")? {
        if k != "proxy" && !k.is_empty() && !types.contains(&k) {
            types.push(k);
        }
    }
    let start_month = start_month(s);
    let span = span_text(&points);
    let types_text = if types.is_empty() {
        String::new()
    } else {
        format!(" ({})", types.join(", "))
    };
    let missing = points.iter().filter(|p| p.value.is_none()).count();
    let missing_text = if missing == 0 {
        String::new()
    } else if w.public() {
        format!(" {missing} month(s) without a bar: suppressed or no records, not zero.")
    } else {
        format!(" {missing} month(s) without a bar: no records in the downloaded data.")
    };
    let chart = SeriesChart {
        title: format!(
            "{}: police.uk crimes of the types mapped to serious violence, by month",
            s.pipeline.area
        ),
        subtitle: format!(
            "Street-level crimes recorded each month, mapped crime types together (an upper bound); dashed lines mark the start of each {}",
            boundary_word(start_month)
        ),
        caption: format!(
            "Source: data.police.uk street-level crime, for the crime types the definition {} ({}) maps to serious violence{types_text}. This is an upper bound: each crime type also holds offences outside the definition, and police.uk has no time of day, victims or flags.{span}{missing_text}{}",
            s.definition.name(),
            s.definition.short_hash(),
            suppression_note(s, w.tier)
        ),
        y_label: "Crimes per month".to_string(),
        x_label: "Month".to_string(),
        value_legend: "Crimes in the month (mapped types)".to_string(),
        rolling_legend: "Rolling 12-month average".to_string(),
        year_start_month: start_month,
        points,
    };
    w.chart("open_time_months".to_string(), Job::Series(chart))
}

// ---------------------------------------------------------------------------------------------
// People.

const SCOPE: &str = "current period";
const AGES: [(&str, &str); 2] = [("under 25", "Under 25"), ("all ages", "All ages")];

/// One role's ethnic-group rows for one theme (current period): the groups to draw, in table
/// order; the groups without any rate (no denominator); the reference group's name; and, in the
/// public tier, the (group, age band) values that are suppressed (their count is `[c]`).
#[derive(Debug, Clone, PartialEq, Default)]
struct EthnicRows {
    groups: Vec<GroupRow>,
    without: Vec<String>,
    reference: String,
    suppressed: Vec<(String, usize)>,
}

/// Reads `people_ethnicity` for `theme_key` and `role_key`. With `public`, a value whose count is
/// suppressed has no rate (it is blank in the table) and is recorded in `suppressed`; a group
/// with every value suppressed is kept as a row without dots, labelled "(suppressed)".
fn ethnic_rows(
    t: &Table,
    theme_key: &str,
    role_key: &str,
    public: bool,
) -> Result<EthnicRows, ReportError> {
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
    // A suppressed count reads as null; only the public tier has them.
    let count_null: Vec<bool> = if public && t.has("count") {
        t.f64s("count")?.into_iter().map(|c| c.is_none()).collect()
    } else {
        vec![false; t.height()]
    };
    // Groups in table order; one value per age band.
    let mut order: Vec<String> = Vec::new();
    let mut rows: BTreeMap<String, GroupRow> = BTreeMap::new();
    let mut hidden: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    let mut reference = String::new();
    for i in 0..t.height() {
        if theme[i] != theme_key || role[i] != role_key || scope[i] != SCOPE {
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
        if count_null[i] {
            // Never drawn: no dot, no interval.
            row.values[a] = RateCi::default();
            hidden
                .entry(g.clone())
                .or_insert_with(|| vec![false; AGES.len()])[a] = true;
        } else {
            row.values[a] = RateCi {
                rate: rate[i],
                lower: lower[i],
                upper: upper[i],
            };
        }
        if reference.is_empty() && !ref_name[i].is_empty() {
            reference = ref_name[i].clone();
        }
    }
    let mut out = EthnicRows {
        reference,
        ..EthnicRows::default()
    };
    for g in order {
        let Some(mut r) = rows.remove(&g) else {
            continue;
        };
        let hid = hidden.remove(&g).unwrap_or_default();
        for (a, h) in hid.iter().enumerate() {
            if *h {
                out.suppressed.push((g.clone(), a));
            }
        }
        if r.values.iter().any(|v| v.rate.is_some_and(f64::is_finite)) {
            out.groups.push(r);
        } else if hid.iter().any(|h| *h) {
            r.label = format!("{g} (suppressed)");
            out.groups.push(r);
        } else {
            out.without.push(g);
        }
    }
    Ok(out)
}

fn ethnicity(w: &mut Writer, s: &ReportSettings) -> Result<(), ReportError> {
    let Some(t) = w.table("people_ethnicity")? else {
        return Ok(());
    };
    let multiplier = if t.has("multiplier") {
        t.f64s("multiplier")?.into_iter().flatten().next()
    } else {
        None
    };
    let per = per_label(multiplier.unwrap_or(s.pipeline.analysis.multiplier));
    let confidence = s.pipeline.analysis.confidence;
    let public = w.public();
    let note = suppression_note(s, w.tier);
    for th in s.definition.themes() {
        for (role_key, role_word) in [("victim", "Victims"), ("suspect", "Suspects")] {
            let e = ethnic_rows(&t, &th.key, role_key, public)?;
            let without_text = if e.without.is_empty() {
                String::new()
            } else {
                format!(
                    " No rate for: {} (no population denominator).",
                    e.without.join(", ")
                )
            };
            let ref_text = if e.reference.is_empty() {
                String::new()
            } else {
                format!(" Reference group for rate ratios: {}.", e.reference)
            };
            let suppressed_text = if e.suppressed.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = e
                    .suppressed
                    .iter()
                    .map(|(g, a)| format!("{g} ({})", AGES[*a].1.to_lowercase()))
                    .collect();
                format!(
                    " Suppressed, so no dot or interval (not zero): {}.",
                    list.join(", ")
                )
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
                    "{}{ref_text}{without_text} Denominators: resident population by ethnic group and age.{suppressed_text}{note}",
                    source_caption(s)
                ),
                value_label: format!("{role_word} {per} residents"),
                group_label: "Ethnic group".to_string(),
                series: AGES.iter().map(|(_, l)| l.to_string()).collect(),
                ci_label: format!("{} confidence interval", pct(confidence)),
                groups: e.groups,
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
    let Some(t) = w.table("place_lorenz")? else {
        return Ok(());
    };
    let (theme, ws, os) = (
        t.strs("theme")?,
        t.f64s("ward_share")?,
        t.f64s("offence_share")?,
    );
    let mut gini: BTreeMap<String, f64> = BTreeMap::new();
    if let Some(c) = w.table("place_concentration")?
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
    let (Some(wards), Some(areas)) = (w.table("place_wards")?, w.table("place_area_totals")?)
    else {
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
    use crate::report::test_settings::settings_parts;

    const TH: &str = "serious_violence";

    /// Public tables of a tiny run: a heatmap with one suppressed cell, 14 months with one
    /// suppressed month and no rolling_12m, an ethnicity table with suppressed groups, and (to
    /// prove they are skipped) ward, area and Lorenz tables.
    fn write_public_tables(out: &Path) {
        let t = out.join("public").join("tables");
        std::fs::create_dir_all(&t).expect("mkdir");
        let days = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let mut heat =
            String::from("theme,weekday,weekday_index,hour,weight,share,theme_offences,method\n");
        for (d, name) in days.iter().enumerate() {
            for h in 0..24 {
                if d == 2 && h == 4 {
                    heat.push_str(&format!("{TH},{name},{d},{h},[c],,1680,Aoristic\n"));
                } else {
                    heat.push_str(&format!(
                        "{TH},{name},{d},{h},10,{},1680,Aoristic\n",
                        10.0 / 1680.0
                    ));
                }
            }
        }
        std::fs::write(t.join("time_hour_weekday.csv"), heat).expect("write");
        let mut months = String::from("theme,month,period,complete_month,offences\n");
        for k in 0..14 {
            let (y, m) = (2025 + (3 + k) / 12, (3 + k) % 12 + 1);
            let v = if k == 5 {
                "[c]".to_string()
            } else {
                (20 + k).to_string()
            };
            months.push_str(&format!("{TH},{y}-{m:02},2025-26,true,{v}\n"));
        }
        std::fs::write(t.join("time_months.csv"), months).expect("write");
        let mut eth = String::from(
            "scope,theme,role,age_group,ethnic_group,reference_group,is_reference,count,total,rate,lower,upper\n",
        );
        for (g, is_ref, u25, all) in [
            ("White", true, "40", "90"),
            ("Black", false, "[c]", "30"),
            ("Asian", false, "12", "25"),
            ("Other", false, "[c]", "[c]"),
        ] {
            for (age, c) in [("under 25", u25), ("all ages", all)] {
                let (rate, lo, hi) = if c == "[c]" {
                    (String::new(), String::new(), String::new())
                } else {
                    let r: f64 = c.parse::<f64>().expect("n") / 10.0;
                    (
                        format!("{r}"),
                        format!("{}", r * 0.8),
                        format!("{}", r * 1.2),
                    )
                };
                eth.push_str(&format!(
                    "current period,{TH},victim,{age},{g},White,{is_ref},{c},200,{rate},{lo},{hi}\n"
                ));
            }
        }
        std::fs::write(t.join("people_ethnicity.csv"), eth).expect("write");
        let mut wards = String::from("theme,ward_name,offences,population,rate\n");
        for k in 0..12 {
            wards.push_str(&format!(
                "{TH},Ward {k},{},{},{}\n",
                10 + k,
                5000 + 100 * k,
                2.0 + k as f64 / 10.0
            ));
        }
        std::fs::write(t.join("place_wards.csv"), wards).expect("write");
        std::fs::write(
            t.join("place_area_totals.csv"),
            format!("theme,offences,rate\n{TH},200,2.5\n"),
        )
        .expect("write");
        std::fs::write(
            t.join("place_lorenz.csv"),
            format!("theme,ward_share,offence_share\n{TH},0,0\n{TH},0.5,0.8\n{TH},1,1\n"),
        )
        .expect("write");
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(bytes.len() > 24, "PNG too short");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR", "IHDR first");
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        (w, h)
    }

    /// The words of an SVG with its tags removed and whitespace collapsed, so a caption wrapped
    /// over several lines reads as one sentence.
    fn svg_words(path: &Path) -> String {
        let svg = std::fs::read_to_string(path).expect("svg");
        let mut text = String::new();
        let mut in_tag = false;
        for ch in svg.chars() {
            match ch {
                '<' => {
                    in_tag = true;
                    text.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn public_table(out: &Path, name: &'static str) -> Table<'static> {
        let df = load_tier_table(out, Tier::Public, name)
            .expect("read")
            .expect("table");
        Table { name, df }
    }

    #[test]
    fn public_charts_come_from_the_suppressed_csvs_and_skip_place_charts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        let (p, d) = settings_parts(out, "suppress_below = 5");
        write_public_tables(out);
        let s = ReportSettings {
            pipeline: &p,
            definition: &d,
            run_id: "test-run",
        };
        let written = write_charts(out, &s, Tier::Public).expect("public charts");
        let expected = [
            format!("charts/time_hour_weekday_{TH}"),
            format!("charts/time_months_{TH}"),
            format!("charts/people_ethnicity_victim_{TH}"),
        ];
        for stem in &expected {
            for ext in ["png", "svg"] {
                let rel = format!("{stem}.{ext}");
                assert!(written.contains(&rel), "{rel} not in {written:?}");
                assert!(out.join("public").join(&rel).is_file(), "{rel} missing");
            }
            let png = std::fs::read(out.join("public").join(format!("{stem}.png"))).expect("png");
            let (w, h) = png_size(&png);
            assert!(
                (800..=2000).contains(&w) && (300..=6000).contains(&h),
                "{stem}: {w}x{h}"
            );
            let svg_path = out.join("public").join(format!("{stem}.svg"));
            let svg = std::fs::read_to_string(&svg_path).expect("svg");
            assert!(
                svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
                "{stem}: bad SVG"
            );
            let words = svg_words(&svg_path);
            assert!(
                words.contains("Counts from 1 to 4 are suppressed"),
                "{stem}: no suppression note in {words}"
            );
        }
        assert!(
            written.iter().all(|f| f.starts_with("charts/")),
            "{written:?}"
        );
        assert!(
            !written
                .iter()
                .any(|f| f.contains("place_lorenz") || f.contains("place_funnel")),
            "{written:?}"
        );
        let public_charts: Vec<String> = std::fs::read_dir(out.join("public").join("charts"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !public_charts
                .iter()
                .any(|n| n.starts_with("place_lorenz") || n.starts_with("place_funnel")),
            "{public_charts:?}"
        );
        // Nothing written into the restricted tier, and no open-data chart when it is not published.
        assert!(!out.join("charts").exists());
        assert!(!written.iter().any(|f| f.contains("open_time_months")));
        // The months chart says the rolling average is not published and shows no rolling line.
        let words = svg_words(
            &out.join("public")
                .join(format!("charts/time_months_{TH}.svg")),
        );
        assert!(
            words.contains("1 month suppressed"),
            "months caption: {words}"
        );
        assert!(
            !words.contains("Rolling 12-month average"),
            "no rolling legend in public: {words}"
        );
        let words = svg_words(
            &out.join("public")
                .join(format!("charts/time_hour_weekday_{TH}.svg")),
        );
        assert!(
            words.contains("Grey cells: suppressed (1 of 168)"),
            "heatmap note: {words}"
        );
    }

    #[test]
    fn suppressed_values_are_gaps_never_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        write_public_tables(out);

        let heat = heat_grid(&public_table(out, "time_hour_weekday"), TH).expect("grid");
        assert_eq!(heat.values[2][4], None, "suppressed cell is not drawn");
        assert!(heat.values[2][5].is_some_and(|v| v > 0.0));
        assert_eq!(heat.blank, 1);
        assert_eq!(heat.rows[0], "Monday");
        assert_eq!(heat.total, Some(1680.0));

        let points = month_points(&public_table(out, "time_months"), "theme", TH).expect("points");
        assert_eq!(points.len(), 14);
        assert_eq!(
            (points[5].year, points[5].month, points[5].value),
            (2025, 9, None)
        );
        assert_eq!(points[4].value, Some(24.0));
        assert!(
            points.iter().all(|p| p.rolling.is_none()),
            "rolling_12m is not published"
        );

        let e =
            ethnic_rows(&public_table(out, "people_ethnicity"), TH, "victim", true).expect("rows");
        let labels: Vec<&str> = e.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["White", "Black", "Asian", "Other (suppressed)"]);
        assert!(e.groups[0].is_reference);
        assert_eq!(
            e.groups[1].values[0],
            RateCi::default(),
            "suppressed under-25 Black: no dot"
        );
        assert_eq!(e.groups[1].values[1].rate, Some(3.0));
        assert!(
            e.groups[3]
                .values
                .iter()
                .all(|v| v.rate.is_none() && v.lower.is_none() && v.upper.is_none())
        );
        assert_eq!(
            e.suppressed,
            vec![
                ("Black".to_string(), 0),
                ("Other".to_string(), 0),
                ("Other".to_string(), 1)
            ]
        );
        assert!(e.without.is_empty());
        assert_eq!(e.reference, "White");
    }

    #[test]
    fn open_data_months_chart_for_the_restricted_tier() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        let (p, d) = settings_parts(out, "suppress_below = 5");
        let tables = out.join("tables");
        std::fs::create_dir_all(&tables).expect("mkdir");
        // 2025-06 has no row at all: a gap, not zero.
        let months = [
            "2025-04", "2025-05", "2025-07", "2025-04", "2025-05", "2025-07",
        ];
        let mut df = df!(
            "crime_types" => ["proxy", "proxy", "proxy", "Robbery", "Robbery", "Robbery"],
            "month" => months,
            "offences" => [30u64, 41, 28, 5, 6, 4],
        )
        .expect("df");
        crate::table_io::write_parquet(
            &mut df,
            &tables.join("open_time_months.parquet"),
            &Vec::new(),
        )
        .expect("parquet");
        let s = ReportSettings {
            pipeline: &p,
            definition: &d,
            run_id: "test-run",
        };
        let written = write_charts(out, &s, Tier::Restricted).expect("charts");
        assert_eq!(
            written,
            ["charts/open_time_months.png", "charts/open_time_months.svg"]
        );
        let words = svg_words(&out.join("charts/open_time_months.svg"));
        assert!(
            words.contains("data.police.uk")
                && words.contains("upper bound")
                && words.contains("Robbery"),
            "{words}"
        );
        let png = std::fs::read(out.join("charts/open_time_months.png")).expect("png");
        let (w, h) = png_size(&png);
        assert!(
            (800..=2000).contains(&w) && (300..=6000).contains(&h),
            "{w}x{h}"
        );
        // Not published: no public open-data chart.
        assert!(
            write_charts(out, &s, Tier::Public)
                .expect("public")
                .is_empty()
        );

        let t = Table {
            name: "open_time_months",
            df: crate::table_io::read_parquet(&tables.join("open_time_months.parquet"))
                .expect("read"),
        };
        let points = fill_month_gaps(month_points(&t, "crime_types", "proxy").expect("points"));
        let got: Vec<(u32, Option<f64>)> = points.iter().map(|p| (p.month, p.value)).collect();
        assert_eq!(
            got,
            [(4, Some(30.0)), (5, Some(41.0)), (6, None), (7, Some(28.0))]
        );
    }

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
