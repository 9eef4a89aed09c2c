//! Partner people profiles: MARAC referrals (repeats computed here from pseudonymised victim ids), the
//! youth justice cohort (SLCN, first-time entrants, overlap with exclusions by pseudonym) and school
//! exclusions by ethnic group and reason. Exclusion *rates* per pupil need pupils-on-roll denominators,
//! which no pipeline source supplies yet: the tables give counts and shares only.

use super::{bools, ints, millis, scopes, strings, CountRow, Scope, ShareRow, MS_PER_DAY};
use crate::analysis::{AnalysisContext, AnalysisError};
use crate::stats::{crude_rate, rate_ratio, wilson_interval, ProportionEstimate, RateEstimate, RateRatio};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// MARAC repeat rule: a referral is a repeat when the same victim had a previous referral no more than
/// `window_days` days earlier (the previous one, whatever its period). Referrals with no victim or date
/// give `None`. Ties on a date keep the input order (the second of two same-day referrals is a repeat).
pub fn repeat_flags(victims: &[Option<String>], days: &[Option<i64>], window_days: i64) -> Vec<Option<bool>> {
    let mut out = vec![None; victims.len()];
    let mut by_victim: HashMap<&str, Vec<(i64, usize)>> = HashMap::new();
    for (i, (v, d)) in victims.iter().zip(days).enumerate() {
        if let (Some(v), Some(d)) = (v, d) {
            by_victim.entry(v.as_str()).or_default().push((*d, i));
        }
    }
    for list in by_victim.values_mut() {
        list.sort_unstable();
        for (k, &(d, i)) in list.iter().enumerate() {
            out[i] = Some(k > 0 && d - list[k - 1].0 <= window_days);
        }
    }
    out
}

/// Day number of a millisecond timestamp.
fn day(t: Option<i64>) -> Option<i64> {
    t.map(|t| t.div_euclid(MS_PER_DAY))
}

#[derive(Debug, Clone)]
pub struct AgencyRow {
    scope: Scope,
    agency: String,
    estimate: Option<ProportionEstimate>,
    referrals: u64,
    total: u64,
}

pub fn marac(ctx: &AnalysisContext, df: &DataFrame, shares: &mut Vec<ShareRow>, counts: &mut Vec<CountRow>) -> Result<Vec<AgencyRow>, AnalysisError> {
    let victims = strings(df, "victim_id")?;
    let dates = millis(df, "referral_date")?;
    let sex = strings(df, "victim_sex")?;
    let disability = bools(df, "victim_disability")?;
    let children = ints(df, "children_in_household")?;
    let agency = strings(df, "referring_agency")?;
    let days: Vec<Option<i64>> = dates.iter().map(|t| day(*t)).collect();
    let window = ctx.options.repeat_window_days;
    let repeats = repeat_flags(&victims, &days, window);
    let mut agencies = Vec::new();
    for scope in scopes(ctx) {
        let rows: Vec<usize> = (0..df.height()).filter(|&i| scope.contains(dates[i])).collect();
        let n = rows.len() as u64;
        let count = |f: &dyn Fn(usize) -> bool| rows.iter().filter(|&&i| f(i)).count() as u64;
        let female = count(&|i| sex[i].as_deref() == Some("F"));
        let disabled = count(&|i| disability[i] == Some(true));
        let disability_missing = count(&|i| disability[i].is_none());
        let assessed = count(&|i| repeats[i].is_some());
        let repeat = count(&|i| repeats[i] == Some(true));
        shares.push(ShareRow::new(ctx, "marac", "female_victim", &scope, female, n, "referrals whose victim is recorded female (X and U in the denominator)"));
        shares.push(ShareRow::new(ctx, "marac", "victim_disability", &scope, disabled, n, "referrals whose victim is recorded as having a disability (not recorded counts as no)"));
        let mut r = ShareRow::new(
            ctx,
            "marac",
            "repeat_referral",
            &scope,
            repeat,
            assessed,
            &format!("referrals whose victim had a previous referral no more than {window} days earlier (computed by sna from the pseudonymised victim_id; look-back over every staged referral)"),
        );
        r.excluded = n - assessed;
        shares.push(r);
        let distinct: BTreeSet<&str> = rows.iter().filter_map(|&i| victims[i].as_deref()).collect();
        let recorded: Vec<i64> = rows.iter().filter_map(|&i| children[i]).collect();
        let total_children: i64 = recorded.iter().sum();
        let push = |counts: &mut Vec<CountRow>, statistic: &str, value: f64, note: &str| {
            counts.push(CountRow { source: "marac", statistic: statistic.into(), scope: scope.clone(), value, note: note.into() })
        };
        push(counts, "referrals", n as f64, "MARAC referrals with a referral_date in the scope");
        push(counts, "distinct_victims", distinct.len() as f64, "distinct pseudonymised victim_id");
        push(counts, "children_in_households_total", total_children as f64, "sum of children_in_household over referrals (a repeat victim's children count at each referral)");
        push(
            counts,
            "children_in_households_mean",
            if recorded.is_empty() { f64::NAN } else { total_children as f64 / recorded.len() as f64 },
            "mean children_in_household per referral where recorded",
        );
        push(counts, "children_in_household_not_recorded", (rows.len() - recorded.len()) as f64, "referrals with no children_in_household");
        push(counts, "victim_disability_not_recorded", disability_missing as f64, "referrals with no victim_disability");
        let mut by_agency: BTreeMap<String, u64> = BTreeMap::new();
        for &i in &rows {
            *by_agency.entry(agency[i].clone().unwrap_or_else(|| "not recorded".into())).or_insert(0) += 1;
        }
        for (a, k) in by_agency {
            agencies.push(AgencyRow { scope: scope.clone(), agency: a, estimate: wilson_interval(k, n, ctx.confidence).ok(), referrals: k, total: n });
        }
    }
    Ok(agencies)
}

pub fn agency_table(ctx: &AnalysisContext, rows: &[AgencyRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let est = |f: &dyn Fn(&ProportionEstimate) -> f64| rows.iter().map(|r| r.estimate.as_ref().map(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "referring_agency" => rows.iter().map(|r| r.agency.clone()).collect::<Vec<_>>(),
        "referrals" => rows.iter().map(|r| r.referrals).collect::<Vec<_>>(),
        "total_referrals" => rows.iter().map(|r| r.total).collect::<Vec<_>>(),
        "share" => est(&|e| e.proportion),
        "lower" => est(&|e| e.lower),
        "upper" => est(&|e| e.upper),
        "method" => rows.iter().map(|r| r.estimate.as_ref().map(|e| e.method.to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
    )
}

/// YOT cohort (distinct children with an offence in the scope), SLCN and first-time entrants among them,
/// and how many of them appear in the exclusions data (same pseudonym; any exclusion, any date).
pub fn yot(
    ctx: &AnalysisContext,
    df: &DataFrame,
    exclusions: Option<&DataFrame>,
    shares: &mut Vec<ShareRow>,
    counts: &mut Vec<CountRow>,
) -> Result<(), AnalysisError> {
    let ids = strings(df, "child_id")?;
    let dates = millis(df, "offence_date")?;
    let slcn = bools(df, "slcn_concern")?;
    let fte = bools(df, "first_time_entrant")?;
    let pupil_ids = match exclusions {
        Some(x) => Some(strings(x, "pupil_id")?),
        None => None,
    };
    // Membership only, so hashed and borrowed: the exclusions table can hold a million rows.
    let pupils: Option<HashSet<&str>> = pupil_ids.as_ref().map(|v| v.iter().flatten().map(String::as_str).collect());
    for scope in scopes(ctx) {
        // child -> (any SLCN concern, any first-time-entrant row)
        let mut children: HashMap<&str, (bool, bool)> = HashMap::new();
        let mut rows = 0u64;
        for i in 0..df.height() {
            let (Some(id), true) = (ids[i].as_deref(), scope.contains(dates[i])) else { continue };
            rows += 1;
            let c = children.entry(id).or_insert((false, false));
            c.0 |= slcn[i] == Some(true);
            c.1 |= fte[i] == Some(true);
        }
        let n = children.len() as u64;
        let with_slcn = children.values().filter(|c| c.0).count() as u64;
        let ftes = children.values().filter(|c| c.1).count() as u64;
        shares.push(ShareRow::new(ctx, "yot", "slcn_concern", &scope, with_slcn, n, "distinct children with a speech, language and communication need or neurodisability concern on any row"));
        shares.push(ShareRow::new(ctx, "yot", "first_time_entrant", &scope, ftes, n, "distinct children flagged first_time_entrant on a row in the scope"));
        counts.push(CountRow { source: "yot", statistic: "cohort_children".into(), scope: scope.clone(), value: n as f64, note: "distinct pseudonymised child_id with an offence_date in the scope".into() });
        counts.push(CountRow { source: "yot", statistic: "offence_rows".into(), scope: scope.clone(), value: rows as f64, note: "caseload rows (offences and outcomes) in the scope".into() });
        counts.push(CountRow { source: "yot", statistic: "first_time_entrants".into(), scope: scope.clone(), value: ftes as f64, note: "distinct children flagged first_time_entrant".into() });
        if let Some(p) = &pupils {
            let both = children.keys().filter(|c| p.contains(*c)).count() as u64;
            counts.push(CountRow { source: "yot+exclusions", statistic: "children_in_yot_and_exclusions".into(), scope: scope.clone(), value: both as f64, note: "YOT cohort children whose pseudonym appears in the exclusions data (any exclusion, any date); counts only, no record-level linkage is written".into() });
            shares.push(ShareRow::new(ctx, "yot+exclusions", "yot_children_in_exclusions", &scope, both, n, "share of the YOT cohort whose pseudonym appears in the exclusions data"));
        }
    }
    Ok(())
}

/// DfE exclusion reasons from the seed: code -> (description, violence related).
fn reason_list() -> Vec<(String, String, bool)> {
    let text = crate::embedded::seed_text("dfe_exclusion_reasons").unwrap_or("");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            if fields.len() < 3 {
                return None;
            }
            let code = fields[0].trim().to_string();
            let flag = fields[fields.len() - 1].trim().eq_ignore_ascii_case("Y");
            let desc = fields[1..fields.len() - 1].join(",").trim().trim_matches('"').to_string();
            Some((code, desc, flag))
        })
        .collect()
}

/// Exclusions, violence-related exclusions, pupils, pupils with a violence-related exclusion.
// Distinct pupils are only counted, so hashed: the exclusions table can hold a million rows.
type GroupTally<'a> = (u64, u64, HashSet<&'a str>, HashSet<&'a str>);

#[derive(Debug, Clone)]
pub struct GroupRow {
    scope: Scope,
    group: String,
    exclusions: u64,
    pupils: u64,
    violence_related: u64,
    violence_pupils: u64,
    share_of_all: f64,
    estimate: Option<ProportionEstimate>,
}

#[derive(Debug, Clone)]
pub struct ReasonRow {
    scope: Scope,
    code: String,
    description: String,
    violence_related: bool,
    exclusions: u64,
    estimate: Option<ProportionEstimate>,
}

pub fn exclusions(
    ctx: &AnalysisContext,
    df: &DataFrame,
    shares: &mut Vec<ShareRow>,
    counts: &mut Vec<CountRow>,
) -> Result<(Vec<GroupRow>, Vec<ReasonRow>), AnalysisError> {
    let pupils = strings(df, "pupil_id")?;
    let dates = millis(df, "exclusion_start")?;
    let groups = strings(df, "ethnic_group")?;
    let kinds = strings(df, "exclusion_type")?;
    let reasons = [strings(df, "reason_1")?, strings(df, "reason_2")?, strings(df, "reason_3")?];
    let seed = reason_list();
    let violent: BTreeSet<&str> = seed.iter().filter(|r| r.2).map(|r| r.0.as_str()).collect();
    let codes_of = |i: usize| -> BTreeSet<&str> { reasons.iter().filter_map(|r| r[i].as_deref()).collect() };
    // Per record, whatever the scope: worked out once.
    let violent_rows: Vec<bool> = (0..df.height()).map(|i| codes_of(i).iter().any(|c| violent.contains(c))).collect();
    let is_violent = |i: usize| violent_rows[i];
    let violent_list = violent.iter().copied().collect::<Vec<_>>().join(" ");
    let (mut group_rows, mut reason_rows) = (Vec::new(), Vec::new());
    for scope in scopes(ctx) {
        let rows: Vec<usize> = (0..df.height()).filter(|&i| scope.contains(dates[i])).collect();
        let n = rows.len() as u64;
        let mut by_group: BTreeMap<&str, GroupTally> = BTreeMap::new();
        let mut all = (0u64, 0u64, HashSet::new(), HashSet::new());
        for &i in &rows {
            let v = is_violent(i);
            let g = by_group.entry(groups[i].as_deref().unwrap_or("Not known")).or_default();
            for e in [g, &mut all] {
                e.0 += 1;
                e.1 += u64::from(v);
                if let Some(p) = pupils[i].as_deref() {
                    e.2.insert(p);
                    if v {
                        e.3.insert(p);
                    }
                }
            }
        }
        let groups_then_all = by_group.into_iter().chain(std::iter::once(("All", all)));
        for (group, (x, v, p, vp)) in groups_then_all {
            group_rows.push(GroupRow {
                scope: scope.clone(),
                group: group.to_string(),
                exclusions: x,
                pupils: p.len() as u64,
                violence_related: v,
                violence_pupils: vp.len() as u64,
                share_of_all: if n > 0 { x as f64 / n as f64 } else { 0.0 },
                estimate: wilson_interval(v, x, ctx.confidence).ok(),
            });
        }
        let violent_n = rows.iter().filter(|&&i| is_violent(i)).count() as u64;
        shares.push(ShareRow::new(
            ctx,
            "exclusions",
            "violence_related",
            &scope,
            violent_n,
            n,
            &format!("exclusions (suspensions, lunchtime and permanent) with any of reason_1..reason_3 in the violence-related subset of seeds/dfe_exclusion_reasons.csv ({violent_list}); rates per pupil need pupils-on-roll denominators, not supplied"),
        ));
        let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
        for &i in &rows {
            *by_kind.entry(kinds[i].as_deref().unwrap_or("not recorded")).or_insert(0) += 1;
        }
        counts.push(CountRow { source: "exclusions", statistic: "exclusions".into(), scope: scope.clone(), value: n as f64, note: "exclusions with an exclusion_start in the scope".into() });
        let distinct: HashSet<&str> = rows.iter().filter_map(|&i| pupils[i].as_deref()).collect();
        counts.push(CountRow { source: "exclusions", statistic: "pupils".into(), scope: scope.clone(), value: distinct.len() as f64, note: "distinct pseudonymised pupils excluded".into() });
        for (k, c) in by_kind {
            counts.push(CountRow { source: "exclusions", statistic: format!("exclusions_{k}"), scope: scope.clone(), value: c as f64, note: "by exclusion_type (PERM, SUSP, LNCH)".into() });
        }
        // Reasons: an exclusion counts once under each distinct reason it gives.
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        for &i in &rows {
            for c in codes_of(i) {
                *by_reason.entry(c).or_insert(0) += 1;
            }
        }
        for (code, desc, flag) in &seed {
            let x = by_reason.remove(code.as_str()).unwrap_or(0);
            reason_rows.push(ReasonRow { scope: scope.clone(), code: code.clone(), description: desc.clone(), violence_related: *flag, exclusions: x, estimate: wilson_interval(x, n, ctx.confidence).ok() });
        }
        for (code, x) in by_reason {
            reason_rows.push(ReasonRow { scope: scope.clone(), code: code.to_string(), description: "not in the reason list".into(), violence_related: false, exclusions: x, estimate: wilson_interval(x, n, ctx.confidence).ok() });
        }
    }
    Ok((group_rows, reason_rows))
}

/// Pupils on roll by (year label, ethnic group), from `staged/pupils.parquet` when the pipeline gave one.
fn pupil_headcounts(ctx: &AnalysisContext) -> Option<BTreeMap<(String, String), f64>> {
    let df = crate::table_io::read_parquet(&ctx.staged_dir.join("pupils.parquet")).ok()?;
    let years = df.column("year").ok()?.str().ok()?.clone();
    let groups = df.column("ethnic_group").ok()?.str().ok()?.clone();
    let counts = df.column("headcount").ok()?.f64().ok()?.clone();
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        if let (Some(y), Some(g), Some(c)) = (years.get(i), groups.get(i), counts.get(i)) {
            *out.entry((y.to_string(), g.to_string())).or_insert(0.0) += c;
        }
    }
    Some(out)
}

/// Headcount of a group over the years a scope covers: a year label `2025-26` counts when its 1 April
/// falls inside the scope (the same financial years as the police periods).
fn headcount_in(hc: &BTreeMap<(String, String), f64>, scope: &Scope, group: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut found = false;
    for ((year, g), c) in hc {
        let start = year.get(..4).and_then(|y| y.parse::<i32>().ok()).and_then(|y| chrono::NaiveDate::from_ymd_opt(y, 4, 1));
        if start.is_some_and(|d| scope.start <= d && d <= scope.end) && (group == "All" || g == group) {
            total += c;
            found = true;
        }
    }
    found.then_some(total)
}

/// Exclusion rates are per 100 pupils, as the DfE publishes them.
const PER_PUPILS: f64 = 100.0;

pub fn group_table(ctx: &AnalysisContext, rows: &[GroupRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let est = |f: &dyn Fn(&ProportionEstimate) -> f64| rows.iter().map(|r| r.estimate.as_ref().map(f)).collect::<Vec<Option<f64>>>();
    let hc = pupil_headcounts(ctx);
    let reference = ctx.options.reference_group.as_str();
    // Violence-related exclusions per 100 pupils on roll, and the ratio to the reference group.
    let heads: Vec<Option<f64>> = rows.iter().map(|r| hc.as_ref().and_then(|h| headcount_in(h, &r.scope, &r.group))).collect();
    let rates: Vec<Option<RateEstimate>> = rows
        .iter()
        .zip(&heads)
        .map(|(r, h)| h.filter(|h| *h > 0.0).and_then(|h| crude_rate(r.violence_related, h, PER_PUPILS, ctx.confidence).ok()))
        .collect();
    let ratios: Vec<Option<RateRatio>> = rows
        .iter()
        .zip(&heads)
        .map(|(r, h)| {
            let h = (*h)?;
            if r.group == "All" || r.group == reference {
                return None;
            }
            let (x2, n2) = if reference == "rest" {
                let all = rows.iter().zip(&heads).find(|(o, _)| o.scope.name == r.scope.name && o.group == "All")?;
                (all.0.violence_related.checked_sub(r.violence_related)?, (*all.1)? - h)
            } else {
                let refr = rows.iter().zip(&heads).find(|(o, _)| o.scope.name == r.scope.name && o.group == reference)?;
                (refr.0.violence_related, (*refr.1)?)
            };
            rate_ratio(r.violence_related, h, x2, n2, ctx.confidence).ok()
        })
        .collect();
    let note = if hc.is_some() {
        format!("violence-related exclusions per {PER_PUPILS} pupils on roll ([population] pupils), summed over the years in scope; ratio against {reference}")
    } else {
        "no pupils-on-roll file ([population] pupils): counts and shares only".to_string()
    };
    let rate = |f: &dyn Fn(&RateEstimate) -> Option<f64>| rates.iter().map(|r| r.as_ref().and_then(f)).collect::<Vec<Option<f64>>>();
    let rr = |f: &dyn Fn(&RateRatio) -> Option<f64>| ratios.iter().map(|r| r.as_ref().and_then(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "ethnic_group" => rows.iter().map(|r| r.group.clone()).collect::<Vec<_>>(),
        "exclusions" => rows.iter().map(|r| r.exclusions).collect::<Vec<_>>(),
        "share_of_exclusions" => rows.iter().map(|r| r.share_of_all).collect::<Vec<_>>(),
        "pupils" => rows.iter().map(|r| r.pupils).collect::<Vec<_>>(),
        "violence_related" => rows.iter().map(|r| r.violence_related).collect::<Vec<_>>(),
        "violence_related_pupils" => rows.iter().map(|r| r.violence_pupils).collect::<Vec<_>>(),
        "violence_related_share" => est(&|e| e.proportion),
        "lower" => est(&|e| e.lower),
        "upper" => est(&|e| e.upper),
        "method" => rows.iter().map(|r| r.estimate.as_ref().map(|e| e.method.to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
        "pupils_on_roll" => heads,
        "rate_per_pupil" => rate(&|e| Some(e.rate)),
        "rate_lower" => rate(&|e| e.lower),
        "rate_upper" => rate(&|e| Some(e.upper)),
        "rate_method" => rates.iter().map(|r| r.as_ref().map(|e| e.method.as_str().to_string())).collect::<Vec<_>>(),
        "multiplier" => vec![PER_PUPILS; n],
        "reference_group" => vec![reference.to_string(); n],
        "rate_ratio" => rr(&|e| e.estimate),
        "rate_ratio_lower" => rr(&|e| Some(e.lower)),
        "rate_ratio_upper" => rr(&|e| e.upper),
        "rate_ratio_method" => ratios.iter().map(|r| r.as_ref().map(|e| e.method.as_str().to_string())).collect::<Vec<_>>(),
        "rate_ratio_significant" => ratios.iter().map(|r| r.as_ref().map(|e| e.significant)).collect::<Vec<_>>(),
        "rate_note" => vec![note; n],
    )
}

pub fn reason_table(ctx: &AnalysisContext, rows: &[ReasonRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let est = |f: &dyn Fn(&ProportionEstimate) -> f64| rows.iter().map(|r| r.estimate.as_ref().map(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "scope" => rows.iter().map(|r| r.scope.name.to_string()).collect::<Vec<_>>(),
        "period_start" => rows.iter().map(|r| r.scope.start.to_string()).collect::<Vec<_>>(),
        "period_end" => rows.iter().map(|r| r.scope.end.to_string()).collect::<Vec<_>>(),
        "reason_code" => rows.iter().map(|r| r.code.clone()).collect::<Vec<_>>(),
        "reason" => rows.iter().map(|r| r.description.clone()).collect::<Vec<_>>(),
        "violence_related" => rows.iter().map(|r| r.violence_related).collect::<Vec<_>>(),
        "exclusions" => rows.iter().map(|r| r.exclusions).collect::<Vec<_>>(),
        "share_of_exclusions" => est(&|e| e.proportion),
        "lower" => est(&|e| e.lower),
        "upper" => est(&|e| e.upper),
        "method" => rows.iter().map(|r| r.estimate.as_ref().map(|e| e.method.to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn marac_repeat_rule_uses_the_previous_referral_and_an_inclusive_window() {
        let victims = vec![s("a"), s("a"), s("a"), s("b"), s("b"), s("c"), None, s("d"), s("d")];
        let days = vec![Some(0), Some(365), Some(731), Some(10), Some(376), Some(5), Some(5), Some(20), Some(20)];
        let r = repeat_flags(&victims, &days, 365);
        // a: first (no), +365 (repeat, inclusive), +366 after the previous (no, even though 2 referrals a year).
        assert_eq!(&r[0..3], &[Some(false), Some(true), Some(false)]);
        // b: 366 days apart: not a repeat.
        assert_eq!(&r[3..5], &[Some(false), Some(false)]);
        // c: a single referral; missing victim: not assessable.
        assert_eq!(&r[5..7], &[Some(false), None]);
        // d: two the same day: the second is a repeat.
        assert_eq!(&r[7..9], &[Some(false), Some(true)]);
    }

    #[test]
    fn marac_repeat_rule_sorts_by_date_not_input_order() {
        let victims = vec![s("a"), s("a"), s("a")];
        let days = vec![Some(400), Some(0), Some(100)];
        assert_eq!(repeat_flags(&victims, &days, 365), vec![Some(true), Some(false), Some(true)]);
        // A shorter configured window.
        assert_eq!(repeat_flags(&victims, &days, 99), vec![Some(false), Some(false), Some(false)]);
    }

    #[test]
    fn violence_related_reasons_come_from_the_seed() {
        let list = reason_list();
        let violent: Vec<&str> = list.iter().filter(|r| r.2).map(|r| r.0.as_str()).collect();
        assert_eq!(violent, ["PP", "PA", "VP", "VA", "OW", "BW", "SM", "SB"]);
        assert!(list.iter().any(|r| r.0 == "DB" && !r.2));
    }
}
