//! People: victims and suspects of each theme by age band, sex and ethnic group in the current period, as
//! counts, shares and rates per 1,000 residents of the same group; rate ratios against the reference group
//! (`reference_group`: an ethnic group such as "White", or "rest" = every other stated group); the share under
//! 25 and the age split within under-25s; completeness of ethnicity recording.
//!
//! Counting unit: a person record linked to an offence (one row per victim or suspect per offence), as police
//! extracts and published SNAs count "victims". Besides the definition's themes, every table has the
//! pseudo-theme `all_offences` (every recorded offence in the period, whatever the definition says), which is
//! what "victims of crime" findings use, and `<theme>_all_offences` for each flag theme (domestic abuse over
//! every recorded offence with the domestic flag; see [`theme_list`]).
//!
//! Age bands (fixed here, not configurable): 0-9, 10-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ and unknown.
//! Denominators come from the population's own (5-year) bands summed over the whole area; 10-17 and 18-24 do
//! not align with 5-year bands (10-14, 15-19, 20-24), so those rows carry a count and share but no rate, and
//! the `note` says why (rates for 0-24 as a whole are in `people_ethnicity`, age group "under 25"). A
//! denominator the population can only estimate (e.g. Black residents aged 0-24 from separate age and
//! ethnic-group tables, assuming independence) is marked in `population_method` / `population_estimated`.
//!
//! `people_ethnicity` has two scopes: "current period" and "all periods" (every configured period pooled;
//! rates are then per 1,000 residents per period, the population counted once per period). Rate ratios use
//! `crate::stats::rate_ratio` (log-normal, or the exact conditional interval when a count is zero; the method
//! is named in `rate_ratio_method`); `significant` is true when the interval excludes 1.

#[path = "people_tally.rs"]
mod tally;

use super::records::{Persons, PoliceRecords};
use super::{AnalysisContext, AnalysisError, TableSink};
use crate::definition::apply::theme_column;
use crate::geo::population::{AgeFilter, CategoryFilter};
use crate::stats::{crude_rate, rate_ratio, wilson_interval, ProportionEstimate, RateEstimate, RateRatio};
use polars::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use tally::{tally, Tally};

/// Pseudo-theme: every recorded offence of the period.
pub const ALL_OFFENCES: &str = "all_offences";
pub const ALL_OFFENCES_LABEL: &str = "All recorded offences";

/// Age bands of the people tables: label, first age, last age (None = open-ended).
pub const AGE_BANDS: &[(&str, u32, Option<u32>)] = &[
    ("0-9", 0, Some(9)),
    ("10-17", 10, Some(17)),
    ("18-24", 18, Some(24)),
    ("25-34", 25, Some(34)),
    ("35-44", 35, Some(44)),
    ("45-54", 45, Some(54)),
    ("55-64", 55, Some(64)),
    ("65+", 65, None),
];
pub const UNKNOWN_AGE: &str = "unknown";
/// Ethnic groups reported, in order; "Not stated" has no population.
pub const ETHNIC_GROUPS: &[&str] = &["Asian", "Black", "Mixed", "White", "Other", "Not stated"];
pub const NOT_STATED: &str = "Not stated";
pub const SEXES: &[&str] = &["F", "M", "X", "U"];
const REST: &str = "rest";

/// Which offences a reporting theme holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ThemeSource {
    /// The definition's flag column (`serious_violence` or `theme_<key>`).
    Definition(String),
    /// Every recorded offence.
    All,
    /// Every recorded offence with this offence flag set, whatever its category.
    Flag(String),
}

/// A reporting theme: a definition theme, `all_offences`, or `<key>_all_offences` for a flag theme.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeSel {
    pub key: String,
    pub label: String,
    pub source: ThemeSource,
}

/// The definition's themes (serious violence first); then `all_offences`; then, for every definition theme
/// drawn from serious-violence offences and marked by an offence flag (domestic abuse), the same flag over all
/// recorded offences (`domestic_abuse_all_offences`), which is what "domestic abuse offences" means in most
/// SNAs and police performance figures.
pub fn theme_list(ctx: &AnalysisContext) -> Vec<ThemeSel> {
    let def = ctx.definition;
    let mut out: Vec<ThemeSel> = def
        .themes()
        .into_iter()
        .map(|t| ThemeSel { source: ThemeSource::Definition(theme_column(&t.key)), key: t.key, label: t.label })
        .collect();
    out.push(ThemeSel { key: ALL_OFFENCES.into(), label: ALL_OFFENCES_LABEL.into(), source: ThemeSource::All });
    for t in def.themes() {
        let Some(theme) = def.file.themes.get(&t.key) else { continue };
        if let (Some(flag), false) = (&theme.flag, theme.base.as_deref() == Some("all")) {
            out.push(ThemeSel {
                key: format!("{}_{ALL_OFFENCES}", t.key),
                label: format!("{} (all recorded offences)", t.label),
                source: ThemeSource::Flag(flag.clone()),
            });
        }
    }
    out
}

/// An area denominator: value (None when the population cannot answer), its method and why not.
#[derive(Debug, Clone, PartialEq)]
pub struct PopInfo {
    pub value: Option<f64>,
    pub method: Option<String>,
    pub estimated: bool,
    pub note: Option<String>,
}

/// Area denominators by filter. Every theme and role asks for the same ones, so each is computed once.
struct Denominators<'c> {
    ctx: &'c AnalysisContext<'c>,
    memo: RefCell<HashMap<(AgeFilter, CategoryFilter, CategoryFilter), PopInfo>>,
    /// Ethnic groups the population has: a "rest" denominator can only name these.
    known_groups: Vec<&'static str>,
}

impl<'c> Denominators<'c> {
    fn new(ctx: &'c AnalysisContext<'c>) -> Denominators<'c> {
        let known_groups = ETHNIC_GROUPS
            .iter()
            .copied()
            .filter(|g| *g != NOT_STATED && ctx.population.cells.iter().any(|c| c.ethnic_group.trim().eq_ignore_ascii_case(g)))
            .collect();
        Denominators { ctx, memo: RefCell::new(HashMap::new()), known_groups }
    }

    fn area_pop(&self, age: &AgeFilter, sex: &CategoryFilter, eth: &CategoryFilter) -> PopInfo {
        let key = (age.clone(), sex.clone(), eth.clone());
        if let Some(p) = self.memo.borrow().get(&key) {
            return p.clone();
        }
        let p = match self.ctx.population.area_denominator(age, sex, eth) {
            Ok(d) => PopInfo { value: Some(d.value), method: Some(d.method.to_string()), estimated: d.method.is_estimate(), note: None },
            Err(e) => PopInfo { value: None, method: None, estimated: false, note: Some(format!("no denominator: {e}")) },
        };
        self.memo.borrow_mut().insert(key, p.clone());
        p
    }
}

fn no_pop(note: &str) -> PopInfo {
    PopInfo { value: None, method: None, estimated: false, note: Some(note.to_string()) }
}

/// Rate per `multiplier` residents over `periods` periods of exposure; None without a positive denominator.
fn rate_of(ctx: &AnalysisContext, count: u64, pop: &PopInfo, periods: f64) -> Option<RateEstimate> {
    pop.value.filter(|v| *v > 0.0).and_then(|v| crude_rate(count, v * periods, ctx.multiplier, ctx.confidence).ok())
}

fn age_filter(lo: u32, hi: Option<u32>) -> AgeFilter {
    match hi {
        Some(h) => AgeFilter::between(lo, h),
        None => AgeFilter::at_least(lo),
    }
}

pub fn age_band_of(age: Option<i64>) -> &'static str {
    let Some(a) = age else { return UNKNOWN_AGE };
    for (label, lo, hi) in AGE_BANDS {
        if a >= i64::from(*lo) && hi.is_none_or(|h| a <= i64::from(h)) {
            return label;
        }
    }
    UNKNOWN_AGE
}

/// Common leading columns of a row.
#[derive(Debug, Clone)]
struct Head {
    theme: String,
    theme_label: String,
    role: &'static str,
}

pub fn write_tables(ctx: &AnalysisContext, records: &PoliceRecords, sink: &mut TableSink) -> Result<(), AnalysisError> {
    for (name, df) in tables_of(ctx, records) {
        sink.write(name, df)?;
    }
    Ok(())
}

/// The people tables, by name.
pub fn tables(ctx: &AnalysisContext) -> Result<Vec<(&'static str, PolarsResult<DataFrame>)>, AnalysisError> {
    Ok(tables_of(ctx, &PoliceRecords::load(ctx)?))
}

/// The people tables from records already loaded.
pub fn tables_of(ctx: &AnalysisContext, records: &PoliceRecords) -> Vec<(&'static str, PolarsResult<DataFrame>)> {
    let pops = Denominators::new(ctx);
    let roles: [(&'static str, &Persons); 2] = [("victim", &records.victims), ("suspect", &records.suspects)];
    let n_periods = ctx.periods.len();

    let mut age = RateTable::default();
    let mut sex = RateTable::default();
    let mut eth = EthTable::default();
    let mut under25 = PropTable::default();
    let mut completeness = PropTable::default();
    for (ti, t) in records.themes.iter().enumerate() {
        for (role, persons) in roles {
            let head = Head { theme: t.key.clone(), theme_label: t.label.clone(), role };
            let tallies = tally(persons, &records.offences, ti, n_periods);
            let current = &tallies.current;
            age_rows(ctx, &pops, &head, current, &mut age);
            sex_rows(ctx, &pops, &head, persons, current, &mut sex);
            for (scope, periods, all_ages, u25) in [
                ("current period", 1, current, &tallies.current_under25),
                ("all periods", n_periods, &tallies.all_periods, &tallies.all_periods_under25),
            ] {
                let scope = EthScope { scope, periods };
                eth_rows(ctx, &pops, &head, &scope, "all ages", persons, all_ages, &mut eth);
                eth_rows(ctx, &pops, &head, &scope, "under 25", persons, u25, &mut eth);
            }
            under25_rows(ctx, &head, current, &mut under25);
            completeness_rows(ctx, &head, persons, current, &mut completeness);
        }
    }
    vec![
        ("people_age", age.frame(ctx, "age_band")),
        ("people_sex", sex.frame(ctx, "sex")),
        ("people_ethnicity", eth.frame(ctx)),
        ("people_under25", under25.frame(ctx)),
        ("people_completeness", completeness.frame(ctx)),
    ]
}

// ---- count x rate tables (age, sex) ------------------------------------------------------------------------

#[derive(Default)]
struct RateTable {
    head: Vec<Head>,
    group: Vec<String>,
    count: Vec<u64>,
    total: Vec<u64>,
    share: Vec<Option<ProportionEstimate>>,
    pop: Vec<PopInfo>,
    rate: Vec<Option<RateEstimate>>,
}

impl RateTable {
    fn push(&mut self, ctx: &AnalysisContext, head: &Head, group: &str, count: u64, total: u64, pop: PopInfo) {
        self.rate.push(rate_of(ctx, count, &pop, 1.0));
        self.head.push(head.clone());
        self.group.push(group.to_string());
        self.count.push(count);
        self.total.push(total);
        self.share.push(wilson_interval(count, total, ctx.confidence).ok());
        self.pop.push(pop);
    }

    fn frame(&self, ctx: &AnalysisContext, group_name: &str) -> PolarsResult<DataFrame> {
        let n = self.head.len();
        let def = ctx.definition;
        let sh = |f: &dyn Fn(&ProportionEstimate) -> f64| self.share.iter().map(|s| s.as_ref().map(f)).collect::<Vec<_>>();
        let rt = |f: &dyn Fn(&RateEstimate) -> Option<f64>| self.rate.iter().map(|r| r.as_ref().and_then(f)).collect::<Vec<_>>();
        df!(
            "definition" => vec![def.name().to_string(); n],
            "definition_sha256" => vec![def.sha256.clone(); n],
            "period_start" => vec![ctx.period.start.to_string(); n],
            "period_end" => vec![ctx.period.end.to_string(); n],
            "theme" => self.head.iter().map(|h| h.theme.clone()).collect::<Vec<_>>(),
            "theme_label" => self.head.iter().map(|h| h.theme_label.clone()).collect::<Vec<_>>(),
            "role" => self.head.iter().map(|h| h.role.to_string()).collect::<Vec<_>>(),
            group_name => self.group.clone(),
            "count" => self.count.clone(),
            "total" => self.total.clone(),
            "share" => sh(&|p| p.proportion),
            "share_lower" => sh(&|p| p.lower),
            "share_upper" => sh(&|p| p.upper),
            "share_method" => self.share.iter().map(|s| s.as_ref().map(|p| p.method.to_string())).collect::<Vec<_>>(),
            "population" => self.pop.iter().map(|p| p.value).collect::<Vec<_>>(),
            "population_method" => self.pop.iter().map(|p| p.method.clone()).collect::<Vec<_>>(),
            "population_estimated" => self.pop.iter().map(|p| p.estimated).collect::<Vec<_>>(),
            "rate" => rt(&|r| Some(r.rate)),
            "lower" => rt(&|r| r.lower),
            "upper" => rt(&|r| Some(r.upper)),
            "method" => self.rate.iter().map(|r| r.as_ref().map(|r| r.method.as_str().to_string())).collect::<Vec<_>>(),
            "confidence" => vec![ctx.confidence; n],
            "multiplier" => vec![ctx.multiplier; n],
            "note" => self.pop.iter().map(|p| p.note.clone()).collect::<Vec<_>>(),
        )
    }
}

fn age_rows(ctx: &AnalysisContext, pops: &Denominators, head: &Head, ps: &Tally, out: &mut RateTable) {
    let total = ps.persons;
    for (label, lo, hi) in AGE_BANDS {
        let count = ps.band(label);
        let mut pop = pops.area_pop(&age_filter(*lo, *hi), &CategoryFilter::Any, &CategoryFilter::Any);
        if pop.value.is_none() {
            let why = pop.note.take().unwrap_or_default();
            pop.note = Some(if why.contains("does not align") {
                format!(
                    "no rate: ages {label} do not align with the population's age bands (only a count and share); \
                     rates for ages 0-24 are in people_ethnicity, age group \"under 25\""
                )
            } else {
                format!("no rate: {why}")
            });
        }
        out.push(ctx, head, label, count, total, pop);
    }
    let count = ps.unknown_age;
    out.push(ctx, head, UNKNOWN_AGE, count, total, no_pop("age not recorded: no denominator"));
}

fn sex_rows(ctx: &AnalysisContext, pops: &Denominators, head: &Head, persons: &Persons, ps: &Tally, out: &mut RateTable) {
    let total = ps.persons;
    for s in SEXES {
        let count = ps.sex(persons, s);
        let pop = if matches!(*s, "F" | "M") {
            pops.area_pop(&AgeFilter::Any, &CategoryFilter::is(s), &CategoryFilter::Any)
        } else {
            no_pop("the population has no residents recorded as X (other) or U (unknown)")
        };
        out.push(ctx, head, s, count, total, pop);
    }
}

// ---- ethnicity: rates and rate ratios ----------------------------------------------------------------------

#[derive(Default)]
struct EthTable {
    head: Vec<Head>,
    scope: Vec<String>,
    periods: Vec<u32>,
    age_group: Vec<String>,
    group: Vec<String>,
    count: Vec<u64>,
    total: Vec<u64>,
    pop: Vec<PopInfo>,
    rate: Vec<Option<RateEstimate>>,
    is_reference: Vec<bool>,
    rr: Vec<Option<RateRatio>>,
}

/// Scope of ethnicity rows: its name and how many periods it pools.
struct EthScope {
    scope: &'static str,
    periods: usize,
}

#[allow(clippy::too_many_arguments)]
fn eth_rows(
    ctx: &AnalysisContext,
    pops: &Denominators,
    head: &Head,
    scope: &EthScope,
    age_group: &str,
    persons: &Persons,
    ps: &Tally,
    out: &mut EthTable,
) {
    let periods = scope.periods;
    let scope = scope.scope;
    let age = if age_group == "under 25" { AgeFilter::between(0, 24) } else { AgeFilter::Any };
    let exposure = periods as f64;
    let known = &pops.known_groups;
    let count_of = |g: &str| ps.group(persons, g);
    let pop_of = |g: &str| pops.area_pop(&age, &CategoryFilter::Any, &CategoryFilter::is(g));
    let reference = ctx.options.reference_group.trim();
    let rest = reference.eq_ignore_ascii_case(REST);
    // The fixed reference group's count and denominator.
    let fixed_ref = (!rest).then(|| (count_of(reference), pop_of(reference)));
    for g in ETHNIC_GROUPS {
        let count = count_of(g);
        let pop = if *g == NOT_STATED { no_pop("ethnicity not stated: no denominator") } else { pop_of(g) };
        let rate = rate_of(ctx, count, &pop, exposure);
        let is_reference = !rest && g.eq_ignore_ascii_case(reference);
        let rr = if *g == NOT_STATED || is_reference {
            None
        } else {
            let (x2, n2) = match &fixed_ref {
                Some((x, p)) => (*x, p.value),
                None => {
                    let others: Vec<String> = known.iter().filter(|o| *o != g).map(|o| o.to_string()).collect();
                    let x: u64 = others.iter().map(|o| count_of(o)).sum();
                    (x, pops.area_pop(&age, &CategoryFilter::Any, &CategoryFilter::OneOf(others)).value)
                }
            };
            match (pop.value, n2) {
                (Some(n1), Some(n2)) if n1 > 0.0 && n2 > 0.0 => {
                    rate_ratio(count, n1 * exposure, x2, n2 * exposure, ctx.confidence).ok()
                }
                _ => None,
            }
        };
        out.head.push(head.clone());
        out.scope.push(scope.to_string());
        out.periods.push(periods as u32);
        out.age_group.push(age_group.to_string());
        out.group.push(g.to_string());
        out.count.push(count);
        out.total.push(ps.persons);
        out.pop.push(pop);
        out.rate.push(rate);
        out.is_reference.push(is_reference);
        out.rr.push(rr);
    }
}

impl EthTable {
    fn frame(&self, ctx: &AnalysisContext) -> PolarsResult<DataFrame> {
        let n = self.head.len();
        let def = ctx.definition;
        let rt = |f: &dyn Fn(&RateEstimate) -> Option<f64>| self.rate.iter().map(|r| r.as_ref().and_then(f)).collect::<Vec<_>>();
        let rr = |f: &dyn Fn(&RateRatio) -> Option<f64>| self.rr.iter().map(|r| r.as_ref().and_then(f)).collect::<Vec<_>>();
        let start = ctx.periods.last().map_or(ctx.period.start, |p| p.start);
        df!(
            "definition" => vec![def.name().to_string(); n],
            "definition_sha256" => vec![def.sha256.clone(); n],
            "scope" => self.scope.clone(),
            "periods" => self.periods.clone(),
            "period_start" => self.scope.iter().map(|s| if s == "all periods" { start.to_string() } else { ctx.period.start.to_string() }).collect::<Vec<_>>(),
            "period_end" => vec![ctx.period.end.to_string(); n],
            "theme" => self.head.iter().map(|h| h.theme.clone()).collect::<Vec<_>>(),
            "theme_label" => self.head.iter().map(|h| h.theme_label.clone()).collect::<Vec<_>>(),
            "role" => self.head.iter().map(|h| h.role.to_string()).collect::<Vec<_>>(),
            "age_group" => self.age_group.clone(),
            "ethnic_group" => self.group.clone(),
            "count" => self.count.clone(),
            "total" => self.total.clone(),
            "share" => self.count.iter().zip(&self.total).map(|(c, t)| (*t > 0).then(|| *c as f64 / *t as f64)).collect::<Vec<_>>(),
            "population" => self.pop.iter().map(|p| p.value).collect::<Vec<_>>(),
            "population_method" => self.pop.iter().map(|p| p.method.clone()).collect::<Vec<_>>(),
            "population_estimated" => self.pop.iter().map(|p| p.estimated).collect::<Vec<_>>(),
            "rate" => rt(&|r| Some(r.rate)),
            "lower" => rt(&|r| r.lower),
            "upper" => rt(&|r| Some(r.upper)),
            "method" => self.rate.iter().map(|r| r.as_ref().map(|r| r.method.as_str().to_string())).collect::<Vec<_>>(),
            "reference_group" => vec![ctx.options.reference_group.clone(); n],
            "is_reference" => self.is_reference.clone(),
            "rate_ratio" => rr(&|r| r.estimate),
            "rate_ratio_lower" => rr(&|r| Some(r.lower)),
            "rate_ratio_upper" => rr(&|r| r.upper),
            "rate_ratio_method" => self.rr.iter().map(|r| r.as_ref().map(|r| r.method.as_str().to_string())).collect::<Vec<_>>(),
            "significant" => self.rr.iter().map(|r| r.as_ref().map(|r| r.significant)).collect::<Vec<_>>(),
            "confidence" => vec![ctx.confidence; n],
            "multiplier" => vec![ctx.multiplier; n],
            "note" => self.pop.iter().map(|p| p.note.clone()).collect::<Vec<_>>(),
        )
    }
}

// ---- proportions (under 25, completeness) ------------------------------------------------------------------

#[derive(Default)]
struct PropTable {
    head: Vec<Head>,
    measure: Vec<String>,
    numerator: Vec<u64>,
    denominator: Vec<u64>,
    est: Vec<Option<ProportionEstimate>>,
    note: Vec<Option<String>>,
}

impl PropTable {
    fn push(&mut self, ctx: &AnalysisContext, head: &Head, measure: &str, x: u64, n: u64, note: Option<&str>) {
        self.head.push(head.clone());
        self.measure.push(measure.to_string());
        self.numerator.push(x);
        self.denominator.push(n);
        self.est.push(wilson_interval(x, n, ctx.confidence).ok());
        self.note.push(note.map(str::to_string).or_else(|| (n == 0).then(|| "no records: share undefined".to_string())));
    }

    fn frame(&self, ctx: &AnalysisContext) -> PolarsResult<DataFrame> {
        let n = self.head.len();
        let def = ctx.definition;
        let e = |f: &dyn Fn(&ProportionEstimate) -> f64| self.est.iter().map(|s| s.as_ref().map(f)).collect::<Vec<_>>();
        df!(
            "definition" => vec![def.name().to_string(); n],
            "definition_sha256" => vec![def.sha256.clone(); n],
            "period_start" => vec![ctx.period.start.to_string(); n],
            "period_end" => vec![ctx.period.end.to_string(); n],
            "theme" => self.head.iter().map(|h| h.theme.clone()).collect::<Vec<_>>(),
            "theme_label" => self.head.iter().map(|h| h.theme_label.clone()).collect::<Vec<_>>(),
            "role" => self.head.iter().map(|h| h.role.to_string()).collect::<Vec<_>>(),
            "measure" => self.measure.clone(),
            "numerator" => self.numerator.clone(),
            "denominator" => self.denominator.clone(),
            "share" => e(&|p| p.proportion),
            "lower" => e(&|p| p.lower),
            "upper" => e(&|p| p.upper),
            "method" => self.est.iter().map(|s| s.as_ref().map(|p| p.method.to_string())).collect::<Vec<_>>(),
            "confidence" => vec![ctx.confidence; n],
            "note" => self.note.clone(),
        )
    }
}

fn under25_rows(ctx: &AnalysisContext, head: &Head, ps: &Tally, out: &mut PropTable) {
    let known = ps.known_age();
    // The bands 0-9, 10-17 and 18-24 split the under-25s exactly.
    let (a0, a10, a18) = (ps.band("0-9"), ps.band("10-17"), ps.band("18-24"));
    let u25 = a0 + a10 + a18;
    out.push(ctx, head, "under 25 (of known age)", u25, known, None);
    out.push(ctx, head, "aged 0-9 (of under 25)", a0, u25, None);
    out.push(ctx, head, "aged 10-17 (of under 25)", a10, u25, None);
    out.push(ctx, head, "aged 18-24 (of under 25)", a18, u25, None);
    out.push(ctx, head, "age unknown (of all)", ps.persons - known, ps.persons, None);
}

fn completeness_rows(ctx: &AnalysisContext, head: &Head, persons: &Persons, ps: &Tally, out: &mut PropTable) {
    let n = ps.persons;
    let not_stated = ps.not_stated(persons);
    let ic = ps.scheme(persons, "IC");
    let sde = ps.scheme(persons, "SDE");
    out.push(ctx, head, "ethnicity not stated", not_stated, n, None);
    out.push(ctx, head, "ethnicity stated", n - not_stated, n, None);
    out.push(ctx, head, "self-defined (SDE) code", sde, n, None);
    out.push(
        ctx,
        head,
        "officer-observed (IC) code",
        ic,
        n,
        Some("IC codes have no Mixed group: people of mixed ethnicity coded IC count in another group, so Mixed is undercounted"),
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::inputs::Staged;
    use crate::definition::Definition;
    use crate::dictionary::seeds::embedded_seeds;
    use crate::geo::population::{Population, PopulationCell};
    use crate::pipeline::analysis_options::AnalysisOptions;
    use crate::pipeline::config::Period;
    use crate::stats::z_for_confidence;
    use chrono::NaiveDate;

    /// A victim or suspect of the hand-built extract: (crime_ref, person_id, age, sex, ethnic group, scheme).
    pub type P = (&'static str, Option<&'static str>, Option<i64>, &'static str, &'static str, &'static str);

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    pub fn definition() -> Definition {
        let seeds = embedded_seeds().expect("seeds");
        Definition::from_preset("london-vru", &seeds["ho_codes"]).expect("preset")
    }

    pub fn options(reference: &str) -> AnalysisOptions {
        let mut o = AnalysisOptions::from_overrides(None).expect("defaults");
        o.reference_group = reference.to_string();
        o
    }

    /// Offences (crime_ref, period, day of 2025, sanction detected, domestic) already flagged: every one is
    /// serious violence and in every theme except domestic abuse, which follows `domestic`.
    pub fn persons_frame(rows: &[P]) -> LazyFrame {
        df!(
            "crime_ref" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "person_id" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "age" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "sex" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "ethnic_group" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "ethnicity_scheme" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )
        .expect("persons")
        .lazy()
    }

    pub fn offences_frame(rows: &[(&str, i32, i64, bool, bool)]) -> LazyFrame {
        let n = rows.len();
        let ms = |day: i64| date(2025, 1, 1).and_hms_opt(12, 0, 0).expect("t").and_utc().timestamp_millis() + day * 86_400_000;
        df!(
            "crime_ref" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "period_index" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "committed_from" => rows.iter().map(|r| ms(r.2)).collect::<Vec<_>>(),
            "sanction_detection" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "flag_domestic" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "serious_violence" => vec![true; n],
            "theme_under_25" => vec![true; n],
            "theme_domestic_abuse" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "theme_sexual_violence" => vec![true; n],
            "theme_knife_enabled" => vec![true; n],
        )
        .expect("offences")
        .lazy()
        .with_column(col("committed_from").cast(DataType::Datetime(TimeUnit::Milliseconds, None)))
    }

    /// One ward: Black 1,000 aged 0-24 and 2,000 aged 25+; White 4,000 and 8,000.
    pub fn population() -> Population {
        let cell = |band: &str, group: &str, n: f64| PopulationCell {
            ward_code: "E05000001".into(),
            age_band: band.into(),
            sex: "all".into(),
            ethnic_group: group.into(),
            population: n,
        };
        Population::from_cells(vec![
            cell("0-24", "Black", 1000.0),
            cell("25+", "Black", 2000.0),
            cell("0-24", "White", 4000.0),
            cell("25+", "White", 8000.0),
        ])
    }

    pub fn with_ctx<T>(
        offences: LazyFrame,
        victims: LazyFrame,
        suspects: LazyFrame,
        reference: &str,
        f: impl FnOnce(&AnalysisContext) -> T,
    ) -> T {
        with_ctx_pop(offences, victims, suspects, reference, population(), f)
    }

    pub fn with_ctx_pop<T>(
        offences: LazyFrame,
        victims: LazyFrame,
        suspects: LazyFrame,
        reference: &str,
        population: Population,
        f: impl FnOnce(&AnalysisContext) -> T,
    ) -> T {
        // crime_ref coded as `inputs::load` codes it (the analysis joins only on the codes).
        let collect = |lf: LazyFrame| lf.collect().expect("persons");
        let (offences, victims, suspects) =
            super::super::crime_codes::code_crime_refs(offences, collect(victims), collect(suspects)).expect("codes");
        let persons = |df: DataFrame| super::super::records::persons_from_frame(&df).expect("persons");
        let (victims, suspects) = (persons(victims), persons(suspects));
        let def = definition();
        let opts = options(reference);
        let periods = vec![
            Period { start: date(2025, 4, 1), end: date(2026, 3, 31) },
            Period { start: date(2024, 4, 1), end: date(2025, 3, 31) },
        ];
        let ctx = AnalysisContext {
            definition: &def,
            staged: Staged { offences, victims, suspects },
            wards: vec![("E05000001".into(), "Ward".into())],
            population_by_ward: population.total_by_ward(),
            population,
            period: periods[0],
            periods,
            staged_dir: std::path::PathBuf::new(),
            multiplier: opts.multiplier,
            confidence: opts.confidence,
            options: &opts,
        };
        f(&ctx)
    }

    /// Hand-built extract: 10 Black victims aged 20 (F), 20 White victims aged 15 (M) and one of unknown age
    /// and ethnicity in the current period; one more Black victim aged 20 in the previous period.
    fn extract() -> (LazyFrame, LazyFrame, LazyFrame) {
        let refs: Vec<&'static str> = (0..32).map(|i| &*Box::leak(format!("C{i:02}").into_boxed_str())).collect();
        let mut offences = Vec::new();
        let mut victims: Vec<P> = Vec::new();
        for (i, r) in refs.iter().enumerate() {
            offences.push((*r, if i == 31 { 1 } else { 0 }, i as i64, false, false));
            victims.push(match i {
                0..=9 | 31 => (*r, Some("B"), Some(20), "F", "Black", "SDE"),
                10..=29 => (*r, Some("W"), Some(15), "M", "White", "SDE"),
                _ => (*r, None, None, "U", NOT_STATED, "none"),
            });
        }
        (offences_frame(&offences), persons_frame(&victims), persons_frame(&[("C00", Some("S"), Some(30), "M", "Black", "IC")]))
    }

    fn table(tables: Vec<(&'static str, PolarsResult<DataFrame>)>, name: &str) -> DataFrame {
        tables.into_iter().find(|(n, _)| *n == name).map(|(_, d)| d.expect("frame")).expect("table")
    }

    /// The row of `df` where every (column, value) string filter holds.
    fn row(df: &DataFrame, filters: &[(&str, &str)]) -> DataFrame {
        let mut lf = df.clone().lazy();
        for (c, v) in filters {
            lf = lf.filter(col(*c).cast(DataType::String).eq(lit(*v)));
        }
        let out = lf.collect().expect("filter");
        assert_eq!(out.height(), 1, "{filters:?}: {out}");
        out
    }

    fn f(df: &DataFrame, c: &str) -> Option<f64> {
        df.column(c).expect(c).cast(&DataType::Float64).expect("f64").f64().expect("f64").get(0)
    }

    fn s(df: &DataFrame, c: &str) -> Option<String> {
        df.column(c).expect(c).cast(&DataType::String).expect("str").str().expect("str").get(0).map(str::to_string)
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("value");
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }

    #[test]
    fn ethnicity_rates_and_rate_ratios_against_white() {
        let (o, v, su) = extract();
        let t = with_ctx(o, v, su, "White", |ctx| tables(ctx).expect("tables"));
        let eth = table(t, "people_ethnicity");
        let sel = |scope: &str, age: &str, g: &str| {
            row(&eth, &[("scope", scope), ("theme", "serious_violence"), ("role", "victim"), ("age_group", age), ("ethnic_group", g)])
        };
        // Black under 25: 10 / 1,000 = 10 per 1,000; White 20 / 4,000 = 5; RR 2, log-normal.
        let b = sel("current period", "under 25", "Black");
        close(f(&b, "count"), 10.0);
        close(f(&b, "population"), 1000.0);
        close(f(&b, "rate"), 10.0);
        close(f(&b, "rate_ratio"), 2.0);
        let z = z_for_confidence(0.95).expect("z");
        let half = z * (1.0f64 / 10.0 + 1.0 / 20.0).sqrt();
        close(f(&b, "rate_ratio_lower"), (2.0f64.ln() - half).exp());
        close(f(&b, "rate_ratio_upper"), (2.0f64.ln() + half).exp());
        assert_eq!(s(&b, "rate_ratio_method").as_deref(), Some("Log-normal"));
        assert_eq!(s(&b, "significant").as_deref(), Some("false"));
        assert_eq!(s(&b, "method").as_deref(), Some("Byars"));
        assert_eq!(s(&b, "population_estimated").as_deref(), Some("false"));
        let w = sel("current period", "under 25", "White");
        assert_eq!(s(&w, "is_reference").as_deref(), Some("true"));
        assert_eq!(f(&w, "rate_ratio"), None);
        // All ages: 10 / 3,000 against 20 / 12,000.
        let b = sel("current period", "all ages", "Black");
        close(f(&b, "rate"), 10.0 / 3.0);
        close(f(&b, "rate_ratio"), 2.0);
        // Pooled periods: 11 Black victims over 2 periods of 1,000 residents.
        let b = sel("all periods", "under 25", "Black");
        close(f(&b, "count"), 11.0);
        close(f(&b, "rate"), 5.5);
        close(f(&b, "rate_ratio"), 2.2);
        // No Mixed residents: a count with no rate and a note; Not stated has no denominator.
        let m = sel("current period", "all ages", "Mixed");
        assert_eq!(f(&m, "rate"), None);
        assert!(s(&m, "note").is_some_and(|n| n.contains("no denominator")));
        let ns = sel("current period", "all ages", NOT_STATED);
        close(f(&ns, "count"), 1.0);
        assert_eq!(f(&ns, "rate_ratio"), None);
    }

    #[test]
    fn zero_count_uses_exact_conditional_and_rest_reference() {
        // No White victims: Black against White falls back to the exact conditional interval.
        let (o, _, su) = extract();
        let v = persons_frame(&[("C00", Some("B"), Some(20), "F", "Black", "SDE")]);
        let t = with_ctx(o.clone(), v, su.clone(), "White", |ctx| tables(ctx).expect("tables"));
        let eth = table(t, "people_ethnicity");
        let b = row(&eth, &[("scope", "current period"), ("theme", "serious_violence"), ("role", "victim"), ("age_group", "under 25"), ("ethnic_group", "Black")]);
        assert_eq!(s(&b, "rate_ratio_method").as_deref(), Some("Exact conditional"));
        assert_eq!(f(&b, "rate_ratio_upper"), None);
        // Reference "rest": Black against everyone else in the population (White here).
        let (_, v, _) = extract();
        let t = with_ctx(o, v, su, "rest", |ctx| tables(ctx).expect("tables"));
        let eth = table(t, "people_ethnicity");
        let w = row(&eth, &[("scope", "current period"), ("theme", "serious_violence"), ("role", "victim"), ("age_group", "under 25"), ("ethnic_group", "White")]);
        assert_eq!(s(&w, "is_reference").as_deref(), Some("false"));
        close(f(&w, "rate_ratio"), 0.5);
    }

    #[test]
    fn sex_age_under25_and_completeness() {
        let (o, v, su) = extract();
        let t = with_ctx(o, v, su, "White", |ctx| tables(ctx).expect("tables"));
        let base = [("theme", "serious_violence"), ("role", "victim")];
        let sex = table(t.clone(), "people_sex");
        let fem = row(&sex, &[base[0], base[1], ("sex", "F")]);
        close(f(&fem, "count"), 10.0);
        close(f(&fem, "total"), 31.0);
        let w = wilson_interval(10, 31, 0.95).expect("wilson");
        close(f(&fem, "share_lower"), w.lower);
        // The population has no sex split here: no rate, and a note.
        assert_eq!(f(&fem, "rate"), None);
        let age = table(t.clone(), "people_age");
        let a = row(&age, &[base[0], base[1], ("age_band", "10-17")]);
        close(f(&a, "count"), 20.0);
        assert_eq!(f(&a, "rate"), None);
        assert!(s(&a, "note").is_some_and(|n| n.contains("do not align")));
        let u = row(&age, &[base[0], base[1], ("age_band", UNKNOWN_AGE)]);
        close(f(&u, "count"), 1.0);
        let u25 = table(t.clone(), "people_under25");
        let r = row(&u25, &[base[0], base[1], ("measure", "under 25 (of known age)")]);
        close(f(&r, "numerator"), 30.0);
        close(f(&r, "denominator"), 30.0);
        close(f(&r, "upper"), 1.0);
        let r = row(&u25, &[base[0], base[1], ("measure", "aged 10-17 (of under 25)")]);
        close(f(&r, "share"), 20.0 / 30.0);
        let w = wilson_interval(20, 30, 0.95).expect("wilson");
        close(f(&r, "lower"), w.lower);
        assert_eq!(s(&r, "method").as_deref(), Some("Wilson"));
        let comp = table(t, "people_completeness");
        let r = row(&comp, &[base[0], base[1], ("measure", "ethnicity not stated")]);
        close(f(&r, "numerator"), 1.0);
        close(f(&r, "denominator"), 31.0);
        let r = row(&comp, &[base[0], ("role", "suspect"), ("measure", "officer-observed (IC) code")]);
        close(f(&r, "share"), 1.0);
        assert!(s(&r, "note").is_some_and(|n| n.contains("no Mixed")));
    }

    #[test]
    fn estimated_denominators_are_marked() {
        // Separate age and ethnic-group tables (as Census TS007A + TS021): Black residents aged 0-24 can only
        // be estimated, 5,000 x 3,000 / 15,000 = 1,000, and the table says so.
        let cell = |band: &str, group: &str, n: f64| PopulationCell {
            ward_code: "E05000001".into(),
            age_band: band.into(),
            sex: "all".into(),
            ethnic_group: group.into(),
            population: n,
        };
        let pop = Population::from_cells(vec![
            cell("0-24", "all", 5000.0),
            cell("25+", "all", 10000.0),
            cell("all", "Black", 3000.0),
            cell("all", "White", 12000.0),
        ]);
        let (o, v, su) = extract();
        let t = with_ctx_pop(o, v, su, "White", pop, |ctx| tables(ctx).expect("tables"));
        let eth = table(t, "people_ethnicity");
        let sel = |age: &str| {
            row(&eth, &[("scope", "current period"), ("theme", "serious_violence"), ("role", "victim"), ("age_group", age), ("ethnic_group", "Black")])
        };
        let b = sel("under 25");
        close(f(&b, "population"), 1000.0);
        assert_eq!(s(&b, "population_estimated").as_deref(), Some("true"));
        assert!(s(&b, "population_method").is_some_and(|m| m.starts_with("estimated assuming independence")));
        let b = sel("all ages");
        close(f(&b, "population"), 3000.0);
        assert_eq!(s(&b, "population_estimated").as_deref(), Some("false"));
    }

    #[test]
    fn flag_themes_over_all_offences() {
        let (o, v, su) = extract();
        with_ctx(o, v, su, "White", |ctx| {
            let keys: Vec<String> = theme_list(ctx).into_iter().map(|t| t.key).collect();
            assert!(keys.contains(&"all_offences".to_string()));
            assert!(keys.contains(&"domestic_abuse_all_offences".to_string()));
            // Knife-enabled is a flag theme too; sexual violence (categories) is not.
            assert!(!keys.contains(&"sexual_violence_all_offences".to_string()));
        });
    }

    #[test]
    fn age_bands_cover_every_age() {
        assert_eq!(age_band_of(None), UNKNOWN_AGE);
        assert_eq!(age_band_of(Some(0)), "0-9");
        assert_eq!(age_band_of(Some(9)), "0-9");
        assert_eq!(age_band_of(Some(10)), "10-17");
        assert_eq!(age_band_of(Some(17)), "10-17");
        assert_eq!(age_band_of(Some(18)), "18-24");
        assert_eq!(age_band_of(Some(24)), "18-24");
        assert_eq!(age_band_of(Some(25)), "25-34");
        assert_eq!(age_band_of(Some(64)), "55-64");
        assert_eq!(age_band_of(Some(65)), "65+");
        assert_eq!(age_band_of(Some(110)), "65+");
    }
}
