//! Place tables on the synthetic borough: planted hot wards significantly above the area rate, concentration
//! and Lorenz consistent with the ward counts, Gi* computed for every ward, and switching definition
//! changing the flags (and the recorded hash), not the code.

use crate::support::{demo_out, read_json, sna};
use sna::table_io::read_parquet;
use std::collections::BTreeSet;

fn rows(table: &str) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(demo_out().join(format!("tables/{table}.csv"))).expect(table);
    r.records().map(|x| x.expect("record")).collect()
}

fn col(table: &str, name: &str) -> usize {
    let mut r = csv::Reader::from_path(demo_out().join(format!("tables/{table}.csv"))).expect(table);
    r.headers().expect("header").iter().position(|h| h == name).unwrap_or_else(|| panic!("{table} has no {name}"))
}

#[test]
fn planted_hot_wards_are_the_only_wards_significantly_above_the_area_rate() {
    let truth = read_json(&demo_out().join("input/truth.json"));
    let hot: BTreeSet<String> = truth["hot_wards"]["codes"].as_array().expect("hot").iter().map(|c| c.as_str().expect("code").to_string()).collect();
    let (theme, code, vs) = (col("place_wards", "theme"), col("place_wards", "ward_code"), col("place_wards", "vs_area"));
    let higher: BTreeSet<String> = rows("place_wards").iter().filter(|r| &r[theme] == "serious_violence" && &r[vs] == "higher").map(|r| r[code].to_string()).collect();
    assert_eq!(higher, hot);
}

#[test]
fn concentration_and_lorenz_agree_with_the_ward_counts() {
    let (theme, n, share, half, gini) = (
        col("place_concentration", "theme"),
        col("place_concentration", "top_n"),
        col("place_concentration", "share_top_n"),
        col("place_concentration", "wards_holding_half"),
        col("place_concentration", "gini"),
    );
    let sv: Vec<_> = rows("place_concentration").into_iter().filter(|r| &r[theme] == "serious_violence").collect();
    let shares: Vec<f64> = sv.iter().map(|r| r[share].parse().expect("share")).collect();
    assert_eq!(sv.iter().map(|r| r[n].to_string()).collect::<Vec<_>>(), ["1", "3", "5"]);
    assert!(shares.windows(2).all(|w| w[0] < w[1]), "{shares:?}");
    // Two planted wards hold ~45%, so half needs three or four wards; the top three hold more than 45%.
    assert!(shares[1] > 0.45, "{shares:?}");
    let h: u32 = sv[0][half].parse().expect("half");
    assert!((3..=4).contains(&h), "{h}");
    let g: f64 = sv[0][gini].parse().expect("gini");
    assert!(g > 0.3 && g < 0.7, "{g}");
    // The top-1 share equals the largest ward's offences over all offences, from place_wards.
    let (wt, wo, wr) = (col("place_wards", "theme"), col("place_wards", "offences"), col("place_wards", "count_rank"));
    let top: f64 = rows("place_wards").iter().find(|r| &r[wt] == "serious_violence" && &r[wr] == "1").map(|r| r[wo].parse().expect("n")).expect("top ward");
    let (at, ao) = (col("place_area_totals", "theme"), col("place_area_totals", "offences"));
    let all: f64 = rows("place_area_totals").iter().find(|r| &r[at] == "serious_violence").map(|r| r[ao].parse().expect("n")).expect("area");
    assert!((shares[0] - top / all).abs() < 1e-12);
    let lorenz = read_parquet(&demo_out().join("tables/place_lorenz.parquet")).expect("lorenz");
    assert_eq!(lorenz.height(), 5 * 21, "20 wards + origin, per theme");
}

#[test]
fn hotspots_cover_every_ward_with_adjusted_p_values() {
    let (theme, p, adj, class, island, method) = (
        col("place_hotspots", "theme"),
        col("place_hotspots", "p_value"),
        col("place_hotspots", "p_adjusted"),
        col("place_hotspots", "class"),
        col("place_hotspots", "island"),
        col("place_hotspots", "adjust_method"),
    );
    let sv: Vec<_> = rows("place_hotspots").into_iter().filter(|r| &r[theme] == "serious_violence").collect();
    assert_eq!(sv.len(), 20);
    for r in &sv {
        let (pv, pa): (f64, f64) = (r[p].parse().expect("p"), r[adj].parse().expect("adjusted"));
        assert!(pa >= pv - 1e-15 && pa <= 1.0);
        assert!(["hot", "cold", "not significant"].contains(&&r[class]));
        assert_eq!(&r[island], "false", "the synthetic wards tile the borough");
        assert!(r[method].contains("enjamini"));
    }
}

#[test]
fn switching_definition_changes_the_counts_and_the_recorded_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    // Re-analyse the demo's staged data under each preset.
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("dir") {
            let p = e.expect("entry").path();
            std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
        }
    };
    copy(&demo_out().join("staged"), &out.join("staged"));
    // The manifest names the run the staged files belong to: analyse continues it.
    std::fs::copy(demo_out().join("manifest.json"), out.join("manifest.json")).expect("manifest");
    let pipeline_text = std::fs::read_to_string(demo_out().join("input/pipeline.toml")).expect("pipeline");
    let mut totals = Vec::new();
    for preset in ["london-vru", "richmond", "avon-somerset"] {
        let p = demo_out().join("input").join(format!("pipeline-{preset}.toml"));
        std::fs::write(&p, pipeline_text.replace("definition = \"london-vru\"", &format!("definition = \"{preset}\""))).expect("write");
        sna().args(["--quiet", "analyse"]).arg(&p).arg("--out").arg(&out).assert().success();
        let area = read_parquet(&out.join("tables/place_area_totals.parquet")).expect("area");
        let defs = area.column("definition").and_then(|c| c.str().cloned()).expect("definition");
        assert_eq!(defs.get(0), Some(preset));
        let themes = area.column("theme").and_then(|c| c.str().cloned()).expect("theme");
        let offences = area.column("offences").and_then(|c| c.u64().cloned()).expect("offences");
        let sv = (0..area.height()).find(|&i| themes.get(i) == Some("serious_violence")).and_then(|i| offences.get(i)).expect("sv row");
        totals.push(sv);
        let m = read_json(&out.join("manifest.json"));
        assert_eq!(m["definition"]["name"].as_str(), Some(preset));
    }
    // Richmond counts the London offences at all ages (and knife/gun-enabled crime): strictly more.
    assert!(totals[1] > totals[0], "{totals:?}");
    assert_ne!(totals[2], totals[0], "{totals:?}");
}

#[test]
fn harm_weights_from_the_analysts_file_weight_each_offence_and_report_missing_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::out_with_demo_staged(dir.path(), |_, _, _| false);
    // Every HO code weighs 2.5 days except 8N, which is left out to show it is reported, not zeroed.
    let codes: Vec<String> = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/ho_codes.csv"))
        .expect("seed")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .filter(|c| c != "8N")
        .collect();
    let weights = dir.path().join("weights.csv");
    std::fs::write(&weights, format!("ho_code,weight\n{}", codes.iter().map(|c| format!("{c},2.5\n")).collect::<String>())).expect("weights");
    let text = std::fs::read_to_string(demo_out().join("input/pipeline.toml")).expect("pipeline");
    let p = demo_out().join("input/pipeline-harm.toml");
    std::fs::write(&p, format!("{text}\n[analysis]\nharm_weights = \"{}\"\n", weights.display())).expect("write");
    sna().args(["--quiet", "analyse"]).arg(&p).arg("--out").arg(&out).assert().success();
    let harm = read_parquet(&out.join("tables/place_harm.parquet")).expect("place_harm");
    let offences = harm.column("offences").and_then(|c| c.u64().cloned()).expect("offences");
    let weighted = harm.column("harm_weighted").and_then(|c| c.f64().cloned()).expect("harm");
    let missing = harm.column("offences_without_weight").and_then(|c| c.u64().cloned()).expect("missing");
    let mut any_missing = 0;
    for i in 0..harm.height() {
        let (o, h, m) = (offences.get(i).unwrap_or(0), weighted.get(i).unwrap_or(0.0), missing.get(i).unwrap_or(0));
        assert!((h - 2.5 * (o - m) as f64).abs() < 1e-9, "row {i}: {o} offences, {m} unweighted, harm {h}");
        any_missing += m;
    }
    assert!(any_missing > 0, "8N offences are reported as unweighted");
}
