//! People and response tables on the demo borough recover the planted truths of `input/truth.json`:
//! the Black/White under-25 victim rate ratio (planted 2.3), the female share of domestic-abuse victims, the
//! sanction detection rate (planted 12%) and the repeat domestic-abuse victim share (planted 8%).

use crate::support::{demo_out, read_json};
use polars::prelude::*;
use sna::table_io::read_parquet;

fn truths() -> serde_json::Value {
    read_json(&demo_out().join("input").join("truth.json"))["truths"].clone()
}

fn table(name: &str) -> DataFrame {
    read_parquet(&demo_out().join("tables").join(format!("{name}.parquet"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The single row matching every (column, value) filter, compared as strings.
fn row(df: &DataFrame, filters: &[(&str, &str)]) -> DataFrame {
    let mut lf = df.clone().lazy();
    for (c, v) in filters {
        lf = lf.filter(col(*c).cast(DataType::String).eq(lit(*v)));
    }
    let out = lf.collect().expect("filter");
    assert_eq!(out.height(), 1, "{filters:?} matched {} rows", out.height());
    out
}

fn f(df: &DataFrame, c: &str) -> f64 {
    df.column(c)
        .and_then(|s| s.cast(&DataType::Float64))
        .ok()
        .and_then(|s| s.f64().ok().and_then(|v| v.get(0)))
        .unwrap_or_else(|| panic!("{c} missing or null"))
}

fn s(df: &DataFrame, c: &str) -> String {
    df.column(c)
        .and_then(|s| s.cast(&DataType::String))
        .ok()
        .and_then(|s| s.str().ok().and_then(|v| v.get(0).map(str::to_string)))
        .unwrap_or_else(|| panic!("{c} missing or null"))
}

fn num(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// Financial-year label of the current period ("2025-04-01" -> "2025-26"), as truth.json's `by_year` keys.
fn current_year_label(df: &DataFrame) -> String {
    let start = s(df, "period_start");
    let y: i32 = start[..4].parse().expect("year");
    format!("{y}-{:02}", (y + 1) % 100)
}

#[test]
fn black_white_under_25_victim_rate_ratio_contains_the_planted_value() {
    // truth: victim rows under 25 per resident under 25, Black over White, all victims of every offence over
    // all years: the `all_offences` theme, scope "all periods".
    let t = &truths()["black_white_u25_victim_rate_ratio"];
    let eth = table("people_ethnicity");
    let base = [("theme", "all_offences"), ("role", "victim"), ("age_group", "under 25")];
    let b = row(&eth, &[base[0], base[1], base[2], ("scope", "all periods"), ("ethnic_group", "Black")]);
    let w = row(&eth, &[base[0], base[1], base[2], ("scope", "all periods"), ("ethnic_group", "White")]);
    assert_eq!(f(&b, "count"), num(t, "black_victims_u25"));
    assert_eq!(f(&w, "count"), num(t, "white_victims_u25"));
    assert_eq!(f(&b, "population"), num(t, "black_population_u25"));
    assert_eq!(f(&w, "population"), num(t, "white_population_u25"));
    assert_eq!(s(&b, "population_estimated"), "false");
    assert_eq!(s(&b, "reference_group"), "White");
    assert_eq!(s(&w, "is_reference"), "true");
    let (rr, lo, hi) = (f(&b, "rate_ratio"), f(&b, "rate_ratio_lower"), f(&b, "rate_ratio_upper"));
    assert!((rr - num(t, "realised")).abs() < 1e-9 * rr, "rate ratio {rr} vs truth {}", num(t, "realised"));
    let target = num(t, "target");
    assert!(lo < target && target < hi, "CI [{lo}, {hi}] should contain {target}");
    assert!(lo > 1.0, "CI [{lo}, {hi}] should exclude 1");
    assert_eq!(s(&b, "significant"), "true");
    assert_eq!(s(&b, "rate_ratio_method"), "Log-normal");
    // Rates per 1,000 per year (three periods pooled) match the truth's rates over the three years.
    assert!((f(&b, "rate") * 3.0 - num(t, "black_rate_per_1000")).abs() < 1e-6);
    // The current period alone also shows a significant disproportion.
    let cur = row(&eth, &[base[0], base[1], base[2], ("scope", "current period"), ("ethnic_group", "Black")]);
    assert!(f(&cur, "rate_ratio_lower") > 1.0);
    assert_eq!(f(&cur, "confidence"), 0.95);
    assert_eq!(f(&cur, "multiplier"), 1000.0);
}

#[test]
fn domestic_abuse_victims_are_about_three_quarters_female() {
    let t = &truths()["da_female_victim_share"];
    let sex = table("people_sex");
    let r = row(&sex, &[("theme", "domestic_abuse_all_offences"), ("role", "victim"), ("sex", "F")]);
    let year = &t["by_year"][current_year_label(&r)];
    assert_eq!(f(&r, "count"), num(year, "numerator"));
    assert_eq!(f(&r, "total"), num(year, "denominator"));
    let (share, lo, hi) = (f(&r, "share"), f(&r, "share_lower"), f(&r, "share_upper"));
    assert!((share - 0.75).abs() < 0.03, "female share {share}");
    assert!(lo < num(t, "target") && num(t, "target") < hi, "[{lo}, {hi}] vs target {}", num(t, "target"));
    assert_eq!(s(&r, "share_method"), "Wilson");
    // The definition's (serious-violence) domestic abuse theme is mostly female too.
    let r = row(&sex, &[("theme", "domestic_abuse"), ("role", "victim"), ("sex", "F")]);
    assert!(f(&r, "share") > 0.6, "SV domestic abuse female share {}", f(&r, "share"));
}

#[test]
fn sanction_detection_rate_is_about_twelve_percent_with_a_wilson_interval() {
    let t = &truths()["sanction_detection_share"];
    let sd = table("response_sanction_detection");
    let all = row(&sd, &[("theme", "all_offences"), ("scope", "all periods")]);
    // Same detections as planted; the table's offences also count outside-area offences (kept, no ward).
    assert_eq!(f(&all, "sanction_detections"), num(t, "numerator"));
    assert!(f(&all, "offences") >= num(t, "denominator"));
    let (share, lo, hi) = (f(&all, "share"), f(&all, "lower"), f(&all, "upper"));
    assert!((share - 0.12).abs() < 0.01, "sanction detection rate {share}");
    assert!(lo < num(t, "target") && num(t, "target") < hi, "[{lo}, {hi}]");
    assert_eq!(s(&all, "method"), "Wilson");
    assert_eq!(f(&all, "confidence"), 0.95);
    for p in 0..3 {
        let r = row(&sd, &[("theme", "all_offences"), ("scope", "period"), ("period_index", &p.to_string())]);
        assert!((f(&r, "share") - 0.12).abs() < 0.015, "period {p}: {}", f(&r, "share"));
        assert!(f(&r, "lower") < f(&r, "share") && f(&r, "share") < f(&r, "upper"));
    }
    // Every theme has a row per period and a pooled row.
    let sv = sd.clone().lazy().filter(col("theme").eq(lit("serious_violence"))).collect().expect("filter");
    assert_eq!(sv.height(), 4);
}

#[test]
fn repeat_domestic_abuse_victims_are_about_eight_percent() {
    let t = &truths()["da_repeat_victim_share"];
    let rep = table("response_repeat_victims");
    let r = row(&rep, &[("theme", "domestic_abuse_all_offences"), ("scope", "all periods")]);
    assert_eq!(f(&r, "victims"), num(t, "denominator"));
    assert_eq!(f(&r, "repeat_victims"), num(t, "numerator"));
    let (share, lo, hi) = (f(&r, "share"), f(&r, "lower"), f(&r, "upper"));
    assert!((share - 0.08).abs() < 0.01, "repeat share {share}");
    assert!(lo < num(t, "target") && num(t, "target") < hi, "[{lo}, {hi}]");
    assert_eq!(f(&r, "repeat_window_days"), 365.0);
    assert_eq!(s(&r, "method"), "Wilson");
}

#[test]
fn under_25_share_and_completeness_are_reported_for_victims_and_suspects() {
    let u25 = table("people_under25");
    for role in ["victim", "suspect"] {
        let r = row(&u25, &[("theme", "serious_violence"), ("role", role), ("measure", "under 25 (of known age)")]);
        assert!(f(&r, "lower") <= f(&r, "share") && f(&r, "share") <= f(&r, "upper"));
        let a = row(&u25, &[("theme", "serious_violence"), ("role", role), ("measure", "aged 10-17 (of under 25)")]);
        let b = row(&u25, &[("theme", "serious_violence"), ("role", role), ("measure", "aged 18-24 (of under 25)")]);
        let c = row(&u25, &[("theme", "serious_violence"), ("role", role), ("measure", "aged 0-9 (of under 25)")]);
        assert_eq!(f(&a, "numerator") + f(&b, "numerator") + f(&c, "numerator"), f(&r, "numerator"));
    }
    let comp = table("people_completeness");
    let ns = row(&comp, &[("theme", "all_offences"), ("role", "victim"), ("measure", "ethnicity not stated")]);
    assert!(f(&ns, "share") > 0.0 && f(&ns, "share") < 0.5);
    let ic = row(&comp, &[("theme", "all_offences"), ("role", "suspect"), ("measure", "officer-observed (IC) code")]);
    assert!(s(&ic, "note").contains("no Mixed"));
    // Age bands: a rate where the population's 5-year bands align, a note where they do not.
    let age = table("people_age");
    let a = row(&age, &[("theme", "serious_violence"), ("role", "victim"), ("age_band", "25-34")]);
    assert!(f(&a, "rate") > 0.0);
    let a = row(&age, &[("theme", "serious_violence"), ("role", "victim"), ("age_band", "10-17")]);
    assert!(s(&a, "note").contains("do not align"));
}
