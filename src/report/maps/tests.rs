//! Unit tests for map rendering on synthetic square wards in BNG metres.

use std::fs;

use geo::{LineString, MultiPolygon, Polygon};
use serde_json::Map;

use super::*;
use crate::geo::Ward;

/// `n` square wards of 400 m on a grid near central London (BNG), codes E05000001...
fn grid(n: usize) -> WardSet {
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    let wards = (0..n)
        .map(|i| {
            let (x0, y0) = (530_000.0 + (i % cols) as f64 * 400.0, 180_000.0 + (i / cols) as f64 * 400.0);
            let ring = LineString::from(vec![(x0, y0), (x0 + 400.0, y0), (x0 + 400.0, y0 + 400.0), (x0, y0 + 400.0), (x0, y0)]);
            Ward {
                code: format!("E05{:06}", i + 1),
                name: format!("Ward {}", i + 1),
                geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
                properties: Map::new(),
            }
        })
        .collect();
    WardSet::new(wards).unwrap()
}

fn stats_for(set: &WardSet, rate: impl Fn(usize) -> Option<f64>) -> WardStats {
    set.wards
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let r = rate(i);
            let class = match i % 7 {
                0 => "hot",
                1 => "cold",
                _ => "not significant",
            };
            (
                w.code.clone(),
                WardStat {
                    offences: Some(i as u64 * 3),
                    population: r.map(|_| 5000.0),
                    rate: r,
                    lower: r.map(|r| r * 0.8),
                    upper: r.map(|r| r * 1.2),
                    vs_area: Some("similar".into()),
                    gi_star_z: Some(i as f64 / 10.0 - 1.0),
                    p_adjusted: Some(0.5),
                    class: Some(class.into()),
                    island: Some(i == 2),
                    suppressed: false,
                },
            )
        })
        .collect()
}

fn rates_text() -> choropleth::ChoroplethText {
    choropleth::ChoroplethText {
        title: "Violence: offence rate by ward, 2025-26".into(),
        subtitle: "Offences per 1,000 residents".into(),
        caption: "Source: police recorded crime. Definition: test (abc).".into(),
        value_label: "Offences per 1,000 residents".into(),
        notes: Vec::new(),
    }
}

/// The classification the older tests were written against.
const QUINTILES: Classing = Classing { method: ClassMethod::Quantiles, count: 5 };

fn hot_text() -> hotspot_map::HotspotText {
    hotspot_map::HotspotText {
        title: "Violence: hot and cold spots".into(),
        subtitle: "Getis-Ord Gi*".into(),
        caption: "Source: test.".into(),
        adjust_method: "Benjamini-Hochberg".into(),
        alpha: 0.05,
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let be = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn render_both(set: &WardSet, stats: &WardStats, dir: &Path, stem: &str) -> (Vec<u8>, String) {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    frame::render_map(&choropleth::spec(set, stats, rates_text(), QUINTILES), &png, &svg).unwrap();
    let hp = dir.join(format!("{stem}_hot.png"));
    let hs = dir.join(format!("{stem}_hot.svg"));
    frame::render_map(&hotspot_map::spec(set, stats, hot_text()), &hp, &hs).unwrap();
    let (w, h) = png_size(&fs::read(&hp).unwrap());
    assert_eq!(w, frame::WIDTH);
    assert!((400..2000).contains(&h), "height {h}");
    (fs::read(&png).unwrap(), fs::read_to_string(&svg).unwrap())
}

#[test]
fn renders_legend_scale_and_north_arrow() {
    let dir = tempfile::tempdir().unwrap();
    let set = grid(20);
    let stats = stats_for(&set, |i| Some(1.0 + i as f64));
    let (png, svg) = render_both(&set, &stats, dir.path(), "a");
    let (w, h) = png_size(&png);
    assert_eq!(w, frame::WIDTH);
    assert!(h > 500, "height {h}");
    assert!(svg.contains("quintiles"));
    assert!(svg.contains("1.0 to 4.0"), "lowest class range");
    assert!(svg.contains("(4 wards)"));
    assert!(svg.contains(" km") || svg.contains(" m<") || svg.contains(" m\n"));
    assert!(svg.contains(">\nN\n<"), "north arrow");
    let hot = fs::read_to_string(dir.path().join("a_hot.svg")).unwrap();
    assert!(hot.contains("Benjamini-Hochberg"));
    assert!(hot.contains("0.05"));
    assert!(hot.contains("Island"));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn degenerate_inputs_render() {
    let dir = tempfile::tempdir().unwrap();
    // All rates equal.
    let set = grid(12);
    let (_, svg) = render_both(&set, &stats_for(&set, |_| Some(3.5)), dir.path(), "equal");
    assert!(svg.contains("same rate"));
    // Missing population: no rates at all, and some missing.
    let (_, svg) = render_both(&set, &stats_for(&set, |_| None), dir.path(), "none");
    assert!(svg.contains("No rate"));
    let (_, svg) = render_both(&set, &stats_for(&set, |i| (i % 3 != 0).then_some(i as f64)), dir.path(), "some");
    assert!(svg.contains("No rate"));
    // No figures for any ward.
    render_both(&set, &WardStats::new(), dir.path(), "empty");
    // A single ward.
    let one = grid(1);
    render_both(&one, &stats_for(&one, |_| Some(0.0)), dir.path(), "one");
    // A ward set with no geometry is "no data", not a panic.
    let bare = WardSet::new(vec![Ward { code: "E05000001".into(), name: "x".into(), geometry: MultiPolygon(vec![]), properties: Map::new() }]).unwrap();
    let err = frame::render_map(
        &choropleth::spec(&bare, &WardStats::new(), rates_text(), Classing::default()),
        &dir.path().join("bare.png"),
        &dir.path().join("bare.svg"),
    )
    .unwrap_err();
    assert!(matches!(err, ChartError::NoData { .. }));
}

#[test]
fn many_wards_render() {
    let dir = tempfile::tempdir().unwrap();
    let set = grid(700);
    let stats = stats_for(&set, |i| Some(((i * 7919) % 611) as f64 / 10.0));
    let (png, svg) = render_both(&set, &stats, dir.path(), "many");
    let (_, h) = png_size(&png);
    assert!(h < 1400, "height {h}");
    assert!(svg.contains("(140 wards)"));
}

#[test]
fn renders_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let set = grid(20);
    let stats = stats_for(&set, |i| Some(1.0 + (i * 13 % 7) as f64));
    let (png1, svg1) = render_both(&set, &stats, dir.path(), "a");
    let (png2, svg2) = render_both(&set, &stats, dir.path(), "b");
    assert_eq!(png1, png2);
    assert_eq!(svg1, svg2);
    let g1 = geojson_out::ward_geojson(&set, "violence", &stats, QUINTILES, false).unwrap();
    let g2 = geojson_out::ward_geojson(&set, "violence", &stats, QUINTILES, false).unwrap();
    assert_eq!(g1, g2);
}

#[test]
fn geojson_has_statistics() {
    let set = grid(5);
    let mut stats = stats_for(&set, |i| Some(i as f64 + 1.0));
    stats.remove("E05000005");
    let text = geojson_out::ward_geojson(&set, "violence", &stats, QUINTILES, false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 5);
    let p = &features[0]["properties"];
    assert_eq!(p["code"], "E05000001");
    assert_eq!(p["offences"], 0);
    assert_eq!(p["rate"], 1.0);
    assert_eq!(p["rate_class"], 1);
    assert_eq!(p["class"], "hot");
    assert_eq!(p["vs_area"], "similar");
    for key in ["population", "lower", "upper", "gi_star_z", "p_adjusted", "island"] {
        assert!(!p[key].is_null(), "{key}");
    }
    // A ward without figures keeps its geometry with null statistics.
    let last = &features[4]["properties"];
    assert!(last["rate"].is_null() && last["class"].is_null());
    let lon = features[0]["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap();
    let lat = features[0]["geometry"]["coordinates"][0][0][0][1].as_f64().unwrap();
    assert!((-1.0..1.0).contains(&lon) && (51.0..52.0).contains(&lat), "{lon},{lat}");
}

/// A pipeline with `n` grid wards as its boundary file (WGS84 GeoJSON), suppress_below = 5, and the
/// preset definition; returns the temp dir (holding `out/`), pipeline and definition.
fn pipeline_with_wards(n: usize, report: &str) -> (tempfile::TempDir, crate::pipeline::config::Pipeline, crate::definition::Definition) {
    let dir = tempfile::tempdir().unwrap();
    let boundaries = grid(n).to_geojson_wgs84(&std::collections::BTreeMap::new()).unwrap();
    fs::write(dir.path().join("wards.geojson"), boundaries).unwrap();
    fs::write(dir.path().join("off_1.csv"), "a").unwrap();
    let text = format!(
        r#"
[assessment]
name = "Test SNA"
area = "Testham"
period = {{ start = "2025-04-01", end = "2026-03-31" }}
definition = "london-vru"
[geography]
wards = "wards.geojson"
ward_code_property = "code"
ward_name_property = "name"
[sources.police_offences]
files = ["off_*.csv"]
[privacy]
demo_key = true
suppress_below = 5
{report}
"#
    );
    let p = crate::pipeline::config::Pipeline::from_str(&text, "t.toml", dir.path()).unwrap();
    let seeds = crate::dictionary::seeds::embedded_seeds().unwrap();
    let d = crate::definition::Definition::from_preset("london-vru", &seeds["ho_codes"]).unwrap();
    (dir, p, d)
}

#[test]
fn public_maps_come_from_the_suppressed_csv() {
    let (dir, p, d) = pipeline_with_wards(6, "[report]\nmap_classes = \"natural_breaks\"\nmap_class_count = 3");
    let s = ReportSettings { pipeline: &p, definition: &d, run_id: "test-run" };
    let theme = d.themes()[0].key.clone();
    let out = dir.path().join("out");
    // Nothing published yet: nothing drawn, no error.
    assert!(write_maps(&out, &s, Tier::Public).unwrap().is_empty());

    let tables = out.join("public").join("tables");
    fs::create_dir_all(&tables).unwrap();
    // Ward 2 suppressed ([c], blank rate), ward 5 has no residents (count shown, rate blank), ward 6 absent.
    fs::write(
        tables.join("place_wards.csv"),
        format!(
            "theme,ward_code,offences,population,rate,lower,upper,vs_area\n\
             {theme},E05000001,40,8000.0,5.0,3.6,6.8,similar\n\
             {theme},E05000002,[c],9000.0,,,,\n\
             {theme},E05000003,84,1000.0,84.0,67.0,104.0,higher\n\
             {theme},E05000004,11,1000.0,11.0,5.5,19.7,similar\n\
             {theme},E05000005,6,,,,,\n"
        ),
    )
    .unwrap();
    // A restricted hot-spot table exists, but public maps must not use it.
    fs::create_dir_all(out.join("tables")).unwrap();
    fs::write(out.join("tables").join("place_hotspots.parquet"), b"not read").unwrap();

    let written = write_maps(&out, &s, Tier::Public).unwrap();
    let stem = format!("place_rates_{theme}");
    assert_eq!(
        written,
        vec![format!("maps/{stem}.png"), format!("maps/{stem}.svg"), format!("maps/place_wards_{theme}.geojson")],
        "paths relative to the public root, no hot-spot map"
    );
    let maps = out.join("public").join("maps");
    let png = fs::read(maps.join(format!("{stem}.png"))).unwrap();
    assert_eq!(png_size(&png).0, frame::WIDTH);
    let svg = fs::read_to_string(maps.join(format!("{stem}.svg"))).unwrap();
    assert!(svg.contains("Suppressed / not shown"), "suppressed legend entry");
    assert!(svg.contains("(1 ward)"));
    assert!(svg.contains("No rate"), "no-residents entry stays separate");
    assert!(svg.contains("Counts from 1 to 4 are suppressed"), "caption note");
    assert!(svg.contains("natural breaks"), "method named");
    assert!(!maps.join(format!("place_hotspots_{theme}.png")).exists());
    assert!(!out.join("maps").exists(), "nothing written to the restricted tier");

    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(maps.join(format!("place_wards_{theme}.geojson"))).unwrap()).unwrap();
    let features = v["features"].as_array().unwrap();
    let props = |code: &str| features.iter().map(|f| &f["properties"]).find(|p| p["code"] == code).unwrap().clone();
    let hidden = props("E05000002");
    assert_eq!(hidden["suppressed"], true);
    for key in ["offences", "rate", "lower", "upper", "rate_class", "vs_area"] {
        assert!(hidden[key].is_null(), "{key} of a suppressed ward");
    }
    let shown = props("E05000001");
    assert_eq!(shown["suppressed"], false);
    assert_eq!(shown["rate"], 5.0);
    assert_eq!(shown["offences"], 40);
    assert_eq!(props("E05000005")["suppressed"], false, "no residents is not suppression");
    // With three natural-breaks classes the outlier 84 sits alone above 11.
    assert_ne!(props("E05000003")["rate_class"], props("E05000004")["rate_class"]);
    for f in features {
        for key in ["gi_star_z", "p_adjusted", "class", "island"] {
            assert!(f["properties"].get(key).is_none(), "no Gi* property {key} in public GeoJSON");
        }
    }
}

#[test]
fn public_open_data_maps_only_when_published() {
    let (dir, p, d) = pipeline_with_wards(4, "");
    let s = ReportSettings { pipeline: &p, definition: &d, run_id: "test-run" };
    let out = dir.path().join("out");
    let tables = out.join("public").join("tables");
    fs::create_dir_all(&tables).unwrap();
    assert!(write_maps(&out, &s, Tier::Public).unwrap().is_empty(), "no open_place_wards.csv: skipped");
    fs::write(
        tables.join("open_place_wards.csv"),
        "crime_types,ward_code,offences,population,rate\n\
         proxy,E05000001,30,5000.0,6.0\n\
         proxy,E05000002,[c],5000.0,\n\
         proxy,E05000003,12,4000.0,3.0\n",
    )
    .unwrap();
    let written = write_maps(&out, &s, Tier::Public).unwrap();
    assert!(written.contains(&format!("maps/place_rates_{OPEN_THEME}.png")), "{written:?}");
    let g = fs::read_to_string(out.join("public").join("maps").join(format!("place_wards_{OPEN_THEME}.geojson"))).unwrap();
    assert!(g.contains("\"suppressed\":true"));
}

#[test]
fn suppression_note_wording() {
    assert!(suppression_note(5).contains("Counts from 1 to 4 are suppressed"));
    assert!(suppression_note(2).contains("Counts of 1 are suppressed"));
    assert!(suppression_note(0).contains("not suppressed"));
}
