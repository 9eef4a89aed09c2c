//! The synthetic borough's police tables exported Niche-style (`sna synth --police-style niche`): one
//! all-crime export for the three years, with the force's own headers and text codes, read through the
//! `columns` and `values` of the pipeline file synth writes. Ingest must stage exactly what truth.json says,
//! and the planted truths must come out the same as from the default-style export of the same seed.

use crate::support::{demo_out, read_json, sna};
use polars::prelude::*;
use sna::table_io::read_parquet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `sna synth --police-style niche --seed 42` then `sna run` on it, once per test process: (input, out).
fn niche_run() -> &'static (PathBuf, PathBuf) {
    static RUN: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let (input, out) = (dir.join("niche"), dir.join("niche").join("out"));
        sna().args(["--quiet", "synth", "--police-style", "niche", "--seed", "42", "--out"]).arg(&input).assert().success();
        sna().args(["--quiet", "run"]).arg(input.join("pipeline.toml")).arg("--out").arg(&out).assert().success();
        (input, out)
    })
}

fn truth() -> serde_json::Value {
    read_json(&niche_run().0.join("truth.json"))
}

fn manifest() -> serde_json::Value {
    read_json(&niche_run().1.join("manifest.json"))
}

fn u(v: &serde_json::Value, k: &str) -> u64 {
    v.get(k).and_then(|x| x.as_u64()).unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn source<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["sources"].as_array().expect("sources").iter().find(|s| s["source"] == name).unwrap_or_else(|| panic!("{name} not ingested"))
}

fn staged(out: &Path, name: &str) -> DataFrame {
    read_parquet(&out.join(format!("staged/{name}.parquet"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (file, line) -> [(reason, field)] of a rejects folder's quarantined rows or repaired values.
fn logged(out: &Path, field_issues: bool) -> HashMap<(String, u64), Vec<(String, String)>> {
    let mut got: HashMap<(String, u64), Vec<(String, String)>> = HashMap::new();
    for name in ["police_offences", "police_victims", "police_suspects"] {
        let file = if field_issues { format!("{name}_field_issues.csv") } else { format!("{name}.csv") };
        let mut r = csv::Reader::from_path(out.join("rejects").join(file)).expect("rejects csv");
        // rejects: source,file,line,reason,field,...; field issues: source,file,line,field,reason,...
        let (reason, field) = if field_issues { (4, 3) } else { (3, 4) };
        for rec in r.records() {
            let rec = rec.expect("record");
            let line: u64 = rec[2].parse().expect("line");
            got.entry((rec[1].to_string(), line)).or_default().push((rec[reason].to_string(), rec[field].to_string()));
        }
    }
    got
}

/// (file, line) -> (reason, field) of truth.json's police rows in `list`.
fn planted(t: &serde_json::Value, list: &str) -> BTreeMap<(String, u64), (String, String)> {
    t[list]
        .as_array()
        .expect(list)
        .iter()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.starts_with("raw/police/")))
        .map(|r| {
            let s = |k: &str| r[k].as_str().expect(k).to_string();
            ((s("file"), r["line"].as_u64().expect("line")), (s("reason"), s("field")))
        })
        .collect()
}

#[test]
fn niche_export_files_look_like_a_niche_all_crime_export() {
    let (input, _) = niche_run();
    let t = truth();
    let export = &t["police_export"];
    assert_eq!(export["style"], "niche");
    let police: Vec<&str> = t["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).filter(|p| p.starts_with("raw/police/")).collect();
    assert_eq!(police, ["raw/police/niche_offences_all.csv", "raw/police/niche_victims_all.csv", "raw/police/niche_suspects_all.csv"]);
    let raw = std::fs::read(input.join("raw/police/niche_offences_all.csv")).expect("offences");
    assert!(raw.starts_with("\u{feff}Occurrence Number,Offence Start Date,Offence Start Time,Offence End Date,Offence End Time,Date Reported,HOC,".as_bytes()));
    let text = String::from_utf8(raw).expect("UTF-8");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "CRLF line ends");
    // HO codes keyed as officers key them, outcomes and premises as text.
    for keyed in [",08N,", ",105a,", ", 3B,", ",Public House,", ",Charged/Summonsed,", ",Investigation complete: no suspect identified,"] {
        assert!(text.contains(keyed), "{keyed} never written");
    }
    // Every notifiable offence, not only violence: the others outnumber the default style's offences.
    let other = u(export, "other_notifiable_offences");
    let mix: u64 = t["years"].as_array().expect("years").iter().map(|y| u(y, "offences")).sum();
    assert!(other > mix && other < 2 * mix, "{other} other offences, {mix} of the default mix");
    for code in ["46", "58A", "58D", "9A", "8R", "39", "28E", "30C", "45", "48", "92D", "92E"] {
        assert!(u(&export["other_notifiable_by_code"], code) > 0, "{code}");
    }
    let victims = std::fs::read_to_string(input.join("raw/police/niche_victims_all.csv")).expect("victims");
    for text in [" - White British", "Black or Black British - ", "Male,", "Female,", ",Current Partner,"] {
        assert!(victims.contains(text), "{text} never written");
    }
}

#[test]
fn niche_export_is_staged_as_truth_json_says() {
    let (_, out) = niche_run();
    let (t, m) = (truth(), manifest());
    let export = &t["police_export"];
    // Rows read = staged + rejected, file by file, and only the planted rows rejected or repaired.
    let written = crate::support::files_written(&t);
    let mut raw_files = 0;
    for s in m["sources"].as_array().expect("sources") {
        assert_eq!(u(s, "rows_read"), u(s, "rows_staged") + u(s, "rows_rejected"), "{}", s["source"]);
        for f in s["files"].as_array().expect("files") {
            let path = f["path"].as_str().expect("path");
            assert_eq!(u(f, "rows_read"), u(f, "rows_staged") + u(f, "rows_rejected"), "{path}");
            let &(rows, bad, repaired) = written.get(path).unwrap_or_else(|| panic!("{path} was not written"));
            assert_eq!((u(f, "rows_read"), u(f, "rows_rejected"), u(f, "rows_repaired")), (rows, bad, repaired), "{path}");
            assert!(f["columns_ignored"].as_array().is_some_and(|c| c.is_empty()), "{path}: {}", f["columns_ignored"]);
            raw_files += 1;
        }
    }
    assert_eq!(raw_files, 3 + 14, "3 police exports and 14 partner extracts");
    // Offences of every crime type: the clean ones and those under a code on no list.
    let offences = source(&m, "police_offences");
    assert_eq!(u(offences, "rows_staged"), u(export, "offences_clean") + u(export, "offences_repaired"));
    assert_eq!(u(offences, "rows_staged"), u(export, "offences_staged"));
    assert_eq!(u(source(&m, "police_victims"), "rows_staged"), u(export, "victims_staged"));
    assert_eq!(u(source(&m, "police_suspects"), "rows_staged"), u(export, "suspects_staged"));
    // Every planted bad row quarantined with its reason and field, orphans included, and nothing else.
    let rejected = logged(out, false);
    let bad = planted(&t, "bad_rows");
    for (at, want) in &bad {
        assert_eq!(rejected.get(at), Some(&vec![want.clone()]), "{at:?}");
    }
    assert_eq!(rejected.len(), bad.len(), "only planted rows are quarantined");
    let orphans = bad.values().filter(|(reason, _)| reason == "orphan_record").count();
    let orphan_rejects: u64 = ["police_victims", "police_suspects"].iter().map(|n| source(&m, n)["files"][0]["rejects_by_reason"]["orphan_record"].as_u64().unwrap_or(0)).sum();
    assert!(orphans > 100 && orphan_rejects == orphans as u64, "{orphan_rejects} orphans rejected, {orphans} planted");
    // Every planted repaired row logged with its reason and field, and no other value repaired: every header,
    // premises type, outcome, ethnicity, relationship and injury text of the export was read.
    let issues = logged(out, true);
    let repaired = planted(&t, "repaired_rows");
    for (at, want) in &repaired {
        assert_eq!(issues.get(at), Some(&vec![want.clone()]), "{at:?}");
    }
    assert_eq!(issues.len(), repaired.len(), "only planted rows have a value repaired");
    // Blank start times: staged with time_unknown, as many as truth.json counts.
    let blank = u(export, "offences_time_unknown");
    assert!(blank as f64 > 0.02 * u(export, "offences_staged") as f64, "{blank} blank times");
    assert_eq!(u(offences, "time_unknown"), blank);
    let df = staged(out, "police_offences");
    let tu = df.column("time_unknown").and_then(|c| c.bool().cloned()).expect("time_unknown");
    assert_eq!(tu.iter().filter(|v| *v == Some(true)).count() as u64, blank);
    // HO codes tidied: no leading zeros, lower case or spaces are staged; only the planted codes are off the list.
    let known: BTreeSet<String> = sna::dictionary::Registry::embedded().expect("registry").seeds["ho_codes"].keys().map(str::to_string).collect();
    let codes = df.column("ho_code").and_then(|c| c.str().cloned()).expect("ho_code");
    let mut off_list = 0;
    for c in codes.iter() {
        let c = c.expect("ho_code is required");
        assert!(c != "08N" && c == c.trim() && c == c.to_uppercase() && !c.contains("/0"), "{c:?} staged untidied");
        off_list += usize::from(!known.contains(c));
    }
    assert_eq!(off_list as u64, u(export, "offences_repaired"));
    // Outcome text staged as outcome codes: the offences with none are exactly those with no outcome yet.
    let outcome = df.column("outcome_code").expect("outcome_code");
    assert_eq!(outcome.null_count() as u64, u(export, "offences_without_outcome"));
    let share = outcome.null_count() as f64 / df.height() as f64;
    let planted_share = u(export, "offences_without_outcome") as f64 / u(export, "offences_staged") as f64;
    assert!((share - planted_share).abs() < 1e-12 && share > 0.05, "{share} vs {planted_share}");
    let sd = df.column("sanction_detection").and_then(|c| c.bool().cloned()).expect("sanction_detection");
    assert!(sd.iter().filter(|v| *v == Some(true)).count() > 1000);
}

/// Staged victims per ethnic group.
fn ethnic_groups(out: &Path) -> BTreeMap<String, usize> {
    let df = staged(out, "police_victims");
    let groups = df.column("ethnic_group").and_then(|c| c.str().cloned()).expect("ethnic_group");
    let mut n = BTreeMap::new();
    for g in groups.iter() {
        *n.entry(g.unwrap_or("").to_string()).or_default() += 1;
    }
    n
}

#[test]
fn niche_export_gives_the_same_planted_truths_as_the_default_export() {
    let (_, out) = niche_run();
    let default = demo_out();
    let t = truth();
    let d = read_json(&default.join("input/truth.json"));
    // The same records, so the same truths.
    assert_eq!(t["truths"]["da_female_victim_share"], d["truths"]["da_female_victim_share"]);
    assert_eq!(t["truths"]["da_growth_2025_26"], d["truths"]["da_growth_2025_26"]);
    assert_eq!(t["truths"]["hot_ward_sv_share"], d["truths"]["hot_ward_sv_share"]);
    // Victims' ethnicity written as text is staged as the same groups.
    let (niche, plain) = (ethnic_groups(out), ethnic_groups(default));
    assert!(niche.len() >= 6 && niche.values().sum::<usize>() > 40_000, "{niche:?}");
    assert_eq!(niche, plain);
    // Serious violence per theme (area and ward totals), the domestic abuse rise and victims by sex: the
    // same tables.
    for table in ["place_area_totals.csv", "place_wards.csv", "time_periods.csv", "people_sex.csv"] {
        let a = std::fs::read_to_string(out.join("tables").join(table)).expect("niche table");
        let b = std::fs::read_to_string(default.join("tables").join(table)).expect("default table");
        assert!(a.lines().count() > 5, "{table}");
        assert!(a == b, "{table} differs between the Niche and the default export");
    }
    let themes: BTreeSet<String> = std::fs::read_to_string(out.join("tables/place_area_totals.csv"))
        .expect("table")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4).map(str::to_string))
        .collect();
    for theme in ["serious_violence", "domestic_abuse", "under_25", "sexual_violence", "knife_enabled"] {
        assert!(themes.contains(theme), "{theme}: {themes:?}");
    }
}
