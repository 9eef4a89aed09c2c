//! Analysis of any assessment period the staged data may hold: the first year of the extracts, a middle
//! one, the last, one running past the data, one wholly before it, short periods with many previous ones.
//! Extracts routinely run past the assessment period, so every position must give the tables, never a panic.

use crate::support::{demo_out, out_with_demo_staged};
use chrono::{Datelike, Months, NaiveDate};
use proptest::prelude::*;
use sna::pipeline::config::Pipeline;
use sna::progress::Progress;
use std::path::Path;

/// The demo pipeline with `months` months from `start` as the period and `previous` periods before it.
fn pipeline(start: NaiveDate, months: u32, previous: u32) -> Pipeline {
    let input = demo_out().join("input");
    let text = std::fs::read_to_string(input.join("pipeline.toml")).expect("demo pipeline");
    let end = start.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()).expect("end date");
    let text = text
        .replace("period = { start = \"2025-04-01\", end = \"2026-03-31\" }", &format!("period = {{ start = \"{start}\", end = \"{end}\" }}"))
        .replace("previous_periods = 2", &format!("previous_periods = {previous}"));
    assert!(text.contains(&start.to_string()), "the demo pipeline's period line changed");
    Pipeline::from_str(&text, "periods.toml", &input).expect("pipeline parses")
}

fn analyse_at(out: &Path, start: NaiveDate, months: u32, previous: u32) {
    let p = pipeline(start, months, previous);
    sna::pipeline::run::analyse(&p, out, &Progress::silent()).unwrap_or_else(|e| panic!("{start} + {months} months, {previous} previous: {e}"));
    for table in ["place_area_totals", "place_wards", "people_sex", "people_ethnicity", "response_repeat_victims", "time_periods"] {
        assert!(out.join("tables").join(format!("{table}.csv")).is_file(), "{start} + {months}: no {table}");
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn every_period_position_is_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = out_with_demo_staged(dir.path(), |_, _, _| false);
    // The synthetic extracts cover 1 Apr 2023 to 31 Mar 2026.
    for (start, months, previous) in [
        (ymd(2023, 4, 1), 12, 0), // the first year, nothing before it
        (ymd(2024, 4, 1), 12, 2), // the middle year: later offences are outside the periods
        (ymd(2025, 4, 1), 12, 2), // the last year
        (ymd(2025, 10, 1), 12, 1), // running past the end of the data
        (ymd(2020, 1, 1), 12, 0), // wholly before the data
        (ymd(2024, 1, 1), 3, 4),  // a quarter with four quarters before it
    ] {
        analyse_at(&out, start, months, previous);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn any_period_over_the_same_staged_data_is_analysed(month in 0u32..60, months in 1u32..=24, previous in 0u32..=3) {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = out_with_demo_staged(dir.path(), |_, _, _| false);
        let start = ymd(2021, 1, 1).checked_add_months(Months::new(month)).expect("start");
        prop_assert_eq!(start.day(), 1);
        analyse_at(&out, start, months, previous);
    }
}
