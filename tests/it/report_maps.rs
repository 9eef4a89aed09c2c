//! Ward maps on the demo output: every map PNG is a real image of sensible size, SVGs are complete, and the
//! GeoJSON opens as a WGS84 FeatureCollection with one feature per ward and the statistics as properties.

use crate::support::demo_out;
use std::path::{Path, PathBuf};

const THEMES_MIN: usize = 1;
const WARDS: usize = 20;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn maps_dir() -> PathBuf {
    let dir = demo_out().join("maps");
    assert!(dir.is_dir(), "{} missing", dir.display());
    dir
}

fn names(ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(maps_dir())
        .expect("maps dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext) && !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn every_map_png_and_svg_is_valid() {
    let pngs = names(".png");
    let rates = pngs.iter().filter(|n| n.starts_with("place_rates_")).count();
    let hots = pngs.iter().filter(|n| n.starts_with("place_hotspots_")).count();
    assert!(rates >= THEMES_MIN, "{pngs:?}");
    assert_eq!(hots, rates, "a hotspot map per theme: {pngs:?}");
    for n in &pngs {
        let bytes = std::fs::read(maps_dir().join(n)).expect("read png");
        let (w, h) = png_size(&bytes);
        assert!((800..=2400).contains(&w) && (400..=2400).contains(&h), "{n}: {w}x{h}");
        assert!(bytes.len() > 20_000, "{n}: only {} bytes", bytes.len());
        let svg = std::fs::read_to_string(maps_dir().join(n.replace(".png", ".svg"))).expect("matching svg");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{n} svg");
        assert!(svg.contains("Source: police recorded crime"), "{n} caption");
        assert!(svg.contains(">\nN\n<"), "{n} north arrow");
        assert!(svg.contains(" km\n") || svg.contains(" m\n"), "{n} scale bar");
        if n.starts_with("place_rates_") {
            assert!(svg.contains("natural breaks"), "{n} class method (the default)");
        } else {
            assert!(svg.contains("Benjamini-Hochberg") && svg.contains("0.05"), "{n} adjustment and alpha");
        }
    }
    assert!(names("").iter().all(|n| !n.starts_with(".tmp-")), "temporary files left");
}

#[test]
fn geojson_has_one_feature_per_ward_with_statistics() {
    let files = names(".geojson");
    assert_eq!(files.len(), names(".png").iter().filter(|n| n.starts_with("place_rates_")).count(), "{files:?}");
    for n in &files {
        let v = crate::support::read_json(&maps_dir().join(n));
        assert_eq!(v["type"], "FeatureCollection");
        let features = v["features"].as_array().expect("features");
        assert_eq!(features.len(), WARDS, "{n}");
        let theme = n.trim_start_matches("place_wards_").trim_end_matches(".geojson");
        let mut codes = std::collections::BTreeSet::new();
        for f in features {
            let p = f["properties"].as_object().expect("properties");
            assert_eq!(p["theme"], theme);
            assert!(codes.insert(p["code"].as_str().expect("code").to_string()));
            for key in ["name", "offences", "population", "rate", "lower", "upper", "vs_area", "gi_star_z", "p_adjusted", "class"] {
                assert!(p.contains_key(key), "{n}: {key} missing");
            }
            assert!(p["offences"].is_u64(), "{n}: offences");
            assert!(p["rate"].is_f64(), "{n}: demo wards all have residents");
            let class = p["class"].as_str().expect("class");
            assert!(["hot", "cold", "not significant"].contains(&class), "{class}");
            assert_eq!(f["geometry"]["type"], "MultiPolygon");
            for poly in f["geometry"]["coordinates"].as_array().expect("coords") {
                for ring in poly.as_array().expect("rings") {
                    for pt in ring.as_array().expect("points") {
                        let (lon, lat) = (pt[0].as_f64().expect("lon"), pt[1].as_f64().expect("lat"));
                        assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat), "{lon},{lat}");
                        assert!((-8.0..=2.0).contains(&lon) && (49.0..=61.0).contains(&lat), "not in GB: {lon},{lat}");
                    }
                }
            }
        }
    }
}

/// A geography from the LSOA lookup has no boundaries: the report still succeeds and writes no maps.
#[test]
fn lookup_only_geography_writes_no_maps() {
    let demo = demo_out();
    let input = demo.join("input");
    let text = std::fs::read_to_string(input.join("pipeline.toml")).expect("demo pipeline");
    let abs = |s: &str| format!("\"{}/{s}", input.display());
    let lookup_text: String = text
        .lines()
        .filter(|l| !l.starts_with("ward_code_property") && !l.starts_with("ward_name_property"))
        .map(|l| if l.starts_with("wards = ") { "local_authorities = [\"E09000099\"]".to_string() } else { l.to_string() })
        .map(|l| l.replace("\"reference/", &abs("reference/")).replace("\"raw/", &abs("raw/")))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(lookup_text.contains("local_authorities") && lookup_text.contains("lsoa_lookup"));
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(&pipeline, lookup_text).expect("write pipeline");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("tables")).expect("tables dir");
    for e in std::fs::read_dir(demo.join("tables")).expect("demo tables") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, out.join("tables").join(p.file_name().expect("name"))).expect("copy table");
    }
    std::fs::copy(demo.join("manifest.json"), out.join("manifest.json")).expect("copy manifest");
    crate::support::sna().args(["--quiet", "report"]).arg(&pipeline).arg("--out").arg(&out).assert().success();
    assert!(out.join("report").join("summary.md").is_file());
    let maps = out.join("maps");
    assert!(!maps.exists() || std::fs::read_dir(&maps).expect("maps").next().is_none(), "maps written without boundaries");
}

/// The City of London from public data: police.uk figures (`open_place_wards`) are mapped against the real
/// 2022 ward boundaries, 25 wards, with wards that have no resident population left without a rate.
#[test]
fn city_of_london_open_data_map() {
    crate::real_public_data::public_data();
    let pipeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join("city-of-london-2024.toml");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    crate::support::sna()
        .args(["--quiet", "run"])
        .arg(&pipeline)
        .arg("--out")
        .arg(&out)
        .env("SNA_PSEUDONYM_KEY", "integration-test-key-0123456789")
        .assert()
        .success();
    let png = std::fs::read(out.join("maps/place_rates_police_uk_proxy.png")).expect("choropleth");
    let (w, h) = png_size(&png);
    assert!(w >= 800 && (400..=2400).contains(&h), "{w}x{h}");
    let svg = std::fs::read_to_string(out.join("maps/place_rates_police_uk_proxy.svg")).expect("svg");
    assert!(svg.contains("data.police.uk") && svg.contains("london_wards_2022.geojson"));
    let v = crate::support::read_json(&out.join("maps/place_wards_police_uk_proxy.geojson"));
    let features = v["features"].as_array().expect("features");
    assert_eq!(features.len(), 25, "City of London wards");
    let offences: u64 = features.iter().map(|f| f["properties"]["offences"].as_u64().unwrap_or(0)).sum();
    assert!(offences > 0);
    for f in features {
        let p = &f["properties"];
        assert_eq!(p["rate"].is_null(), p["rate_class"].is_null(), "{p}");
        assert!(p["population"].as_f64().is_some_and(|x| x > 0.0) || p["rate"].is_null(), "{p}");
    }
}
