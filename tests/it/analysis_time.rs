//! Time tables on the synthetic borough: the planted truths (domestic abuse growth in 2025-26, the weekend
//! night peak of serious violence) are recovered from `tables/time_*.csv`.

use crate::support::{demo_out, read_json};
use std::collections::{BTreeSet, HashMap};

type Row = HashMap<String, String>;

fn table(name: &str) -> Vec<Row> {
    let path = demo_out().join(format!("tables/{name}.csv"));
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.deserialize().map(|row| row.expect("csv row")).collect()
}

fn f(row: &Row, col: &str) -> f64 {
    row.get(col).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{col} not a number in {row:?}"))
}

fn theme<'a>(rows: &'a [Row], key: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r["theme"] == key).collect()
}

/// Friday 22:00-Saturday 02:59 and Saturday 22:00-Sunday 02:59, as hours of a Monday-first week.
const WEEKEND_NIGHT: [u32; 10] = [118, 119, 120, 121, 122, 142, 143, 144, 145, 146];

#[test]
fn domestic_abuse_growth_is_recovered_and_significant() {
    let truth = read_json(&demo_out().join("input/truth.json"));
    let g = &truth["truths"]["da_growth_2025_26"];
    let planted = g["to_count"].as_f64().expect("to") / g["from_count"].as_f64().expect("from");
    let rows = table("time_periods");
    let da = theme(&rows, "domestic_abuse");
    let cur = da.iter().find(|r| r["period"] == "2025-26").expect("2025-26 row");
    assert_eq!(cur["compared_with"], "2024-25");
    assert_eq!(cur["method"], "Exact conditional");
    assert_eq!(cur["significant"], "true", "{cur:?}");
    let pct = f(cur, "percent_change");
    assert!((5.0..20.0).contains(&pct), "DA change {pct}% is not about +10%");
    // The ratio's interval holds the planted (realised) growth of all DA offences.
    assert!(f(cur, "lower") < planted && planted < f(cur, "upper"), "{planted} outside {cur:?}");
    assert!(f(cur, "p_value") <= f(cur, "alpha"));
    // 2024-25 on 2023-24 was planted flat.
    let prev = da.iter().find(|r| r["period"] == "2024-25").expect("2024-25 row");
    assert_eq!(prev["significant"], "false", "{prev:?}");
    // The oldest period has nothing to compare with.
    let oldest = da.iter().find(|r| r["period"] == "2023-24").expect("2023-24 row");
    assert_eq!(oldest["compared_with"], "");
}

#[test]
fn weekend_night_peak_shows_in_the_hour_by_weekday_profile() {
    let rows = table("time_hour_weekday");
    let sv = theme(&rows, "serious_violence");
    assert_eq!(sv.len(), 168);
    let n = f(sv[0], "theme_offences");
    let total: f64 = sv.iter().map(|r| f(r, "weight")).sum();
    assert!((total - n).abs() < 1e-6, "aoristic weights {total} must sum to the {n} offences");
    let share: f64 = sv.iter().map(|r| f(r, "share")).sum();
    assert!((share - 1.0).abs() < 1e-9);
    let mut by_weight: Vec<&&Row> = sv.iter().collect();
    by_weight.sort_by(|a, b| f(b, "weight").total_cmp(&f(a, "weight")));
    let top: Vec<u32> = by_weight.iter().take(8).map(|r| r["hour_of_week"].parse().expect("hour")).collect();
    assert!(top.iter().all(|h| WEEKEND_NIGHT.contains(h)), "top bins {top:?}");
    for r in by_weight.iter().take(8) {
        assert!(["Fri", "Sat", "Sun"].contains(&r["weekday"].as_str()) && [22, 23, 0, 1, 2].contains(&(f(r, "hour") as u32)));
    }
    let night: f64 = sv.iter().filter(|r| WEEKEND_NIGHT.contains(&(f(r, "hour_of_week") as u32))).map(|r| f(r, "share")).sum();
    assert!(night > 2.0 * 10.0 / 168.0, "weekend night share {night}");
}

#[test]
fn planted_weekend_night_share_of_non_domestic_violence_is_recovered() {
    // The truth is measured on non-domestic serious violence by committed_from; domestic abuse is a theme
    // within serious violence in london-vru, so its start-hour counts are subtracted.
    let truth = read_json(&demo_out().join("input/truth.json"));
    let m = &truth["truths"]["weekend_night_sv_share"];
    let planted = m["by_year"]["2025-26"]["realised"].as_f64().expect("realised");
    let rows = table("time_hour_weekday");
    let count = |key: &str| -> (f64, f64) {
        let t = theme(&rows, key);
        let x = t.iter().filter(|r| WEEKEND_NIGHT.contains(&(f(r, "hour_of_week") as u32))).map(|r| f(r, "offences_starting")).sum();
        (x, f(t[0], "theme_offences"))
    };
    let ((xs, ns), (xd, nd)) = (count("serious_violence"), count("domestic_abuse"));
    let (x, n) = (xs - xd, ns - nd);
    let p = x / n;
    let se = (planted * (1.0 - planted) / n).sqrt();
    assert!((p - planted).abs() < 4.0 * se, "non-domestic weekend night share {p} vs planted {planted} (n {n})");
}

#[test]
fn night_time_economy_share_is_well_above_its_share_of_the_week() {
    let rows = table("time_nte");
    let sv = theme(&rows, "serious_violence");
    let nte = sv.iter().find(|r| r["window"] == "night_time_economy").expect("nte row");
    assert_eq!((nte["window_days"].as_str(), nte["window_start"].as_str(), nte["window_end"].as_str()), ("Fri,Sat,Sun", "18:00", "06:00"));
    assert_eq!(nte["method"], "Wilson");
    assert_eq!(f(nte, "window_hours_per_week"), 36.0);
    let hours_share = f(nte, "week_hours_share");
    assert!(f(nte, "lower") > 1.5 * hours_share, "NTE share {nte:?}");
    assert!(f(nte, "lower") <= f(nte, "share") && f(nte, "share") <= f(nte, "upper"));
    let early = sv.iter().find(|r| r["window"] == "early_hours").expect("early hours row");
    assert_eq!((early["window_start"].as_str(), early["window_end"].as_str()), ("00:00", "06:00"));
    assert_eq!(f(early, "window_hours_per_week"), 42.0);
    assert_eq!(f(nte, "offences"), f(early, "offences"));
}

#[test]
fn months_add_up_to_periods_and_roll_over_twelve_months() {
    let periods = table("time_periods");
    let months = table("time_months");
    let themes: BTreeSet<&str> = periods.iter().map(|r| r["theme"].as_str()).collect();
    assert!(themes.contains("serious_violence") && themes.contains("domestic_abuse"));
    for key in themes {
        let m = theme(&months, key);
        assert_eq!(m.len(), 36, "{key}: three financial years of months");
        for p in theme(&periods, key) {
            let sum: f64 = m.iter().filter(|r| r["period"] == p["period"]).map(|r| f(r, "offences")).sum();
            assert_eq!(sum, f(p, "offences"), "{key} {}", p["period"]);
        }
        // No rolling total before 12 months exist; at each March it equals that financial year's total.
        assert_eq!(m[10]["rolling_12m"], "");
        for (month, fy) in [("2024-03", "2023-24"), ("2025-03", "2024-25"), ("2026-03", "2025-26")] {
            let r = m.iter().find(|r| r["month"] == month).expect("month");
            let p = theme(&periods, key).into_iter().find(|p| p["period"] == fy).expect("period");
            assert_eq!(f(r, "rolling_12m"), f(p, "offences"), "{key} {month}");
        }
    }
    for r in &months {
        assert_eq!(r["definition"], "london-vru");
        assert_eq!(r["definition_sha256"].len(), 64);
    }
}
