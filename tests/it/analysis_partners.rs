//! Partner and data-quality tables on the synthetic borough: the planted partner truths (hidden violence,
//! A&E Friday/Saturday night peak, YOT SLCN and overlap with exclusions, MARAC female, disability and repeat
//! shares) are recovered from `tables/partners_*.csv`, and the quality tables agree with the manifest.

use crate::support::{demo_out, read_json, sna};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

type Row = HashMap<String, String>;

fn table_in(dir: &Path, name: &str) -> Vec<Row> {
    let path = dir.join(format!("tables/{name}.csv"));
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.deserialize().map(|row| row.expect("csv row")).collect()
}

fn table(name: &str) -> Vec<Row> {
    table_in(demo_out(), name)
}

fn f(row: &Row, col: &str) -> f64 {
    row.get(col).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{col} not a number in {row:?}"))
}

fn u(row: &Row, col: &str) -> u64 {
    row.get(col).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{col} not a count in {row:?}"))
}

fn share<'a>(rows: &'a [Row], source: &str, statistic: &str, scope: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["source"] == source && r["statistic"] == statistic && r["scope"] == scope)
        .unwrap_or_else(|| panic!("no {source} {statistic} {scope} row"))
}

/// The share row recovers the truth's realised numerator and denominator exactly (the definitions match),
/// its Wilson interval contains the planted target, and it is within `tol` of the target.
fn recovered(row: &Row, truth: &serde_json::Value, tol: f64) {
    let (num, den) = (truth["numerator"].as_u64().expect("numerator"), truth["denominator"].as_u64().expect("denominator"));
    assert_eq!((u(row, "numerator"), u(row, "denominator")), (num, den), "{row:?} vs {truth}");
    let target = truth["target"].as_f64().expect("target");
    assert!(f(row, "lower") <= target && target <= f(row, "upper"), "CI of {row:?} misses {target}");
    assert!((f(row, "proportion") - target).abs() < tol, "{row:?} far from {target}");
    assert_eq!(row["method"], "Wilson");
    assert_eq!(f(row, "confidence"), 0.95);
}

#[test]
fn partner_truths_are_recovered() {
    let truth = read_json(&demo_out().join("input/truth.json"));
    let t = &truth["truths"];
    let rows = table("partners_shares");
    // Hidden violence: the realised share exactly (0.700036 = 3881 / 5544).
    let las = share(&rows, "las", "no_police_offence_nearby", "all_periods");
    recovered(las, &t["las_no_police_offence_share"], 0.02);
    assert!(las["note"].contains("any offence") && las["note"].contains("24 hours") && las["note"].contains("500 metres"));
    recovered(share(&rows, "yot", "slcn_concern", "all_periods"), &t["yot_slcn_share"], 0.05);
    recovered(share(&rows, "yot+exclusions", "yot_children_in_exclusions", "all_periods"), &t["yot_in_exclusions_share"], 0.03);
    recovered(share(&rows, "marac", "female_victim", "all_periods"), &t["marac_female_victim_share"], 0.02);
    recovered(share(&rows, "marac", "victim_disability", "all_periods"), &t["marac_disability_share"], 0.02);
    // 365 days and "12 calendar months" can differ by a day across 29 February: allow one referral.
    let rep = share(&rows, "marac", "repeat_referral", "all_periods");
    let rt = &t["marac_repeat_share"];
    assert!(u(rep, "numerator").abs_diff(rt["numerator"].as_u64().expect("n")) <= 1, "{rep:?} vs {rt}");
    assert_eq!(u(rep, "denominator"), rt["denominator"].as_u64().expect("d"));
    assert!((f(rep, "proportion") - 0.30).abs() < 0.03, "{rep:?}");
    // The current period: the same statistics within sampling error of the targets.
    for (source, statistic, target) in [
        ("las", "no_police_offence_nearby", 0.70),
        ("yot", "slcn_concern", 0.45),
        ("yot+exclusions", "yot_children_in_exclusions", 0.30),
        ("marac", "female_victim", 0.91),
        ("marac", "victim_disability", 0.17),
        ("marac", "repeat_referral", 0.30),
    ] {
        let r = share(&rows, source, statistic, "current");
        assert!(f(r, "lower") <= target && target <= f(r, "upper"), "{r:?} misses {target}");
    }
    // Counts: the overlap is a count of children, and the cohort its denominator.
    let counts = table("partners_counts");
    let count = |source: &str, statistic: &str| {
        counts
            .iter()
            .find(|r| r["source"] == source && r["statistic"] == statistic && r["scope"] == "all_periods")
            .map(|r| f(r, "value"))
            .unwrap_or_else(|| panic!("no {source} {statistic}"))
    };
    assert_eq!(count("yot+exclusions", "children_in_yot_and_exclusions"), t["yot_in_exclusions_share"]["numerator"].as_f64().expect("n"));
    assert_eq!(count("yot", "cohort_children"), t["yot_slcn_share"]["denominator"].as_f64().expect("d"));
    assert_eq!(count("marac", "referrals"), t["marac_female_victim_share"]["denominator"].as_f64().expect("d"));
    assert!(count("marac", "children_in_households_total") > 0.0);
    let mean = count("marac", "children_in_households_mean");
    assert!(mean > 0.5 && mean < 3.0, "{mean}");
}

#[test]
fn ae_friday_and_saturday_nights_are_the_peak() {
    let truth = read_json(&demo_out().join("input/truth.json"));
    let planted: BTreeMap<String, u64> = truth["truths"]["ae_night_peak"]["nights"]
        .as_array()
        .expect("nights")
        .iter()
        .map(|n| (n["night"].as_str().expect("night").to_string(), n["attendances"].as_u64().expect("count")))
        .collect();
    let rows = table("partners_hour_weekday");
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    for scope in ["all_periods", "current"] {
        let bins: Vec<&Row> = rows.iter().filter(|r| r["source"] == "ae" && r["scope"] == scope).collect();
        assert_eq!(bins.len(), 168);
        // A night runs 22:00-02:59 and counts to the evening's weekday.
        let mut nights = [0u64; 7];
        for r in &bins {
            let (d, h) = (u(r, "weekday_index") as usize - 1, u(r, "hour"));
            match h {
                22 | 23 => nights[d] += u(r, "count"),
                0..=2 => nights[(d + 6) % 7] += u(r, "count"),
                _ => {}
            }
        }
        let mut order: Vec<usize> = (0..7).collect();
        order.sort_by(|&a, &b| nights[b].cmp(&nights[a]));
        let top: BTreeSet<&str> = order[..2].iter().map(|&d| DAYS[d]).collect();
        assert_eq!(top, BTreeSet::from(["Fri", "Sat"]), "{scope}: {nights:?}");
        if scope == "all_periods" {
            for (d, name) in DAYS.iter().enumerate() {
                assert_eq!(nights[d], planted[*name], "{name} night");
            }
        }
    }
    // LAS has its 168 bins too, and the ward table's area total equals the current bins' total.
    let las_bins: u64 = rows.iter().filter(|r| r["source"] == "las" && r["scope"] == "current").map(|r| u(r, "count")).sum();
    let wards = table("partners_wards");
    let area = wards.iter().find(|r| r["source"] == "las" && r["ward_code"] == "AREA").expect("area row");
    assert_eq!(u(area, "count"), las_bins);
    let in_wards: u64 = wards.iter().filter(|r| r["source"] == "las" && r["ward_code"].starts_with('E')).map(|r| u(r, "count")).sum();
    let no_ward = wards.iter().find(|r| r["source"] == "las" && r["ward_code"].is_empty()).expect("no-ward row");
    assert_eq!(in_wards + u(no_ward, "count"), las_bins);
    let ward = wards.iter().find(|r| r["source"] == "ae" && r["ward_code"].starts_with('E')).expect("an A&E ward");
    assert!(f(ward, "lower") <= f(ward, "rate") && f(ward, "rate") <= f(ward, "upper"));
    assert_eq!(f(ward, "multiplier"), 1000.0);
}

#[test]
fn exclusions_by_group_and_reason_are_counted() {
    let groups = table("partners_exclusions_groups");
    let all = groups.iter().find(|r| r["scope"] == "all_periods" && r["ethnic_group"] == "All").expect("All row");
    let by_group: u64 = groups.iter().filter(|r| r["scope"] == "all_periods" && r["ethnic_group"] != "All").map(|r| u(r, "exclusions")).sum();
    assert_eq!(by_group, u(all, "exclusions"));
    // Black pupils' exclusions are more often violence-related than White pupils' (planted rate ratio 2
    // on pupils; on the share of their exclusions the gap is smaller but present).
    let g = |name: &str| groups.iter().find(|r| r["scope"] == "all_periods" && r["ethnic_group"] == name).expect(name);
    assert!(f(g("Black"), "violence_related_share") > f(g("White"), "violence_related_share"));
    let reasons = table("partners_exclusions_reasons");
    let violent: BTreeSet<&str> = reasons.iter().filter(|r| r["violence_related"] == "true").map(|r| r["reason_code"].as_str()).collect();
    assert_eq!(violent, BTreeSet::from(["PP", "PA", "VP", "VA", "OW", "BW", "SM", "SB"]));
    // Every violence-related exclusion cites at least one violence-related reason.
    let cited: u64 = reasons.iter().filter(|r| r["scope"] == "all_periods" && r["violence_related"] == "true").map(|r| u(r, "exclusions")).sum();
    assert!(cited >= u(all, "violence_related"));
}

#[test]
fn quality_tables_cover_every_staged_source_and_match_the_manifest() {
    let manifest = read_json(&demo_out().join("manifest.json"));
    let sources = manifest["sources"].as_array().expect("sources");
    let names: BTreeSet<String> = sources.iter().map(|s| s["source"].as_str().expect("name").to_string()).collect();
    let completeness = table("quality_completeness");
    let covered: BTreeSet<String> = completeness.iter().map(|r| r["source"].clone()).collect();
    assert_eq!(covered, names);
    for r in &completeness {
        let c = f(r, "completeness");
        assert!((0.0..=1.0).contains(&c), "{r:?}");
    }
    // Required fields are complete.
    let las_ref = completeness.iter().find(|r| r["source"] == "las" && r["field"] == "incident_ref").expect("incident_ref");
    assert_eq!(f(las_ref, "completeness"), 1.0);

    let rejects = table("quality_rejects");
    let mut from_table: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for r in &rejects {
        if u(r, "rejects") > 0 {
            from_table.insert((r["source"].clone(), r["file"].clone(), r["reason"].clone()), u(r, "rejects"));
        }
    }
    let mut from_manifest = BTreeMap::new();
    let mut located: BTreeMap<(String, String), u64> = BTreeMap::new();
    for s in sources {
        let name = s["source"].as_str().expect("name").to_string();
        for file in s["files"].as_array().expect("files") {
            for (reason, n) in file["rejects_by_reason"].as_object().expect("rejects") {
                if n.as_u64().expect("n") > 0 {
                    from_manifest.insert((name.clone(), file["path"].as_str().expect("path").to_string(), reason.clone()), n.as_u64().expect("n"));
                }
            }
            if let Some(ls) = file["location_status"].as_object() {
                for (status, n) in ls {
                    *located.entry((name.clone(), status.clone())).or_insert(0) += n.as_u64().expect("n");
                }
            }
        }
    }
    assert!(!from_manifest.is_empty());
    assert_eq!(from_table, from_manifest);
    let rejected_sources: BTreeSet<String> = rejects.iter().map(|r| r["source"].clone()).collect();
    assert_eq!(rejected_sources, names);

    let location = table("quality_location");
    for ((source, status), n) in &located {
        let row = location
            .iter()
            .find(|r| &r["source"] == source && &r["location_status"] == status)
            .unwrap_or_else(|| panic!("no {source} {status} row"));
        assert_eq!(u(row, "records"), *n, "{source} {status}");
    }
    for source in ["ae", "las", "yot", "marac", "exclusions", "police_offences"] {
        for status in ["unlocated", "outside_area"] {
            let row = location.iter().find(|r| r["source"] == source && r["location_status"] == status);
            let row = row.unwrap_or_else(|| panic!("no {source} {status} row"));
            assert!(f(row, "lower") <= f(row, "share") && f(row, "share") <= f(row, "upper"));
        }
    }
}

#[test]
fn a_partner_source_not_supplied_is_skipped_and_quality_lists_what_was_present() {
    let dir = tempfile::tempdir().expect("tempdir");
    // LAS and MARAC left out.
    let out = crate::support::out_with_demo_staged(dir.path(), |name, _, _| name == "las.parquet" || name == "marac.parquet");
    sna().args(["--quiet", "analyse"]).arg(demo_out().join("input/pipeline.toml")).arg("--out").arg(&out).assert().success();
    let shares = table_in(&out, "partners_shares");
    let sources: BTreeSet<&str> = shares.iter().map(|r| r["source"].as_str()).collect();
    assert!(!sources.contains("las") && !sources.contains("marac"), "{sources:?}");
    assert!(sources.contains("yot") && sources.contains("exclusions"));
    assert!(!out.join("tables/partners_marac_agencies.csv").exists());
    let wards = table_in(&out, "partners_wards");
    assert!(wards.iter().all(|r| r["source"] == "ae"));
    let covered: BTreeSet<String> = table_in(&out, "quality_completeness").iter().map(|r| r["source"].clone()).collect();
    assert!(!covered.contains("las") && !covered.contains("marac") && covered.contains("ae"), "{covered:?}");
}

#[test]
fn violence_related_exclusion_rates_per_pupil_recover_the_planted_black_white_ratio() {
    let truth = crate::support::read_json(&crate::support::demo_out().join("input/truth.json"));
    let planted = &truth["truths"]["black_white_violent_exclusion_rate_ratio"];
    let df = sna::table_io::read_parquet(&crate::support::demo_out().join("tables/partners_exclusions_groups.parquet")).expect("groups");
    let scope = df.column("scope").and_then(|c| c.str().cloned()).expect("scope");
    let group = df.column("ethnic_group").and_then(|c| c.str().cloned()).expect("group");
    let get = |name: &str| df.column(name).and_then(|c| c.cast(&polars::prelude::DataType::Float64)).expect(name).f64().expect("f64").clone();
    let (ratio, lower, upper, pupils, violent) = (get("rate_ratio"), get("rate_ratio_lower"), get("rate_ratio_upper"), get("pupils_on_roll"), get("violence_related"));
    let row = (0..df.height()).find(|&i| scope.get(i) == Some("all_periods") && group.get(i) == Some("Black")).expect("Black, all periods");
    let white = (0..df.height()).find(|&i| scope.get(i) == Some("all_periods") && group.get(i) == Some("White")).expect("White, all periods");
    // Denominators are the generator's pupil-years; numerators the staged violence-related exclusions.
    assert_eq!(pupils.get(row), planted["black_pupils"].as_f64());
    assert_eq!(pupils.get(white), planted["white_pupils"].as_f64());
    let (r, l, u) = (ratio.get(row).expect("ratio"), lower.get(row).expect("lower"), upper.get(row).expect("upper"));
    let target = planted["target"].as_f64().expect("target");
    assert!(l < target && target < u && l > 1.0, "ratio {r} ({l} to {u}) against planted {target}");
    let expected = (violent.get(row).expect("b") / pupils.get(row).expect("bp")) / (violent.get(white).expect("w") / pupils.get(white).expect("wp"));
    assert!((r - expected).abs() < 1e-12);
}
