//! Test fixtures shared by the geo tests: a synthetic ward grid (BNG and WGS84) and the real public data folder.

use std::path::{Path, PathBuf};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Map;

use super::crs::bng_to_wgs84;
use super::wards::{Ward, WardSet};

/// Grid origin (near Trafalgar Square) and cell size in metres.
pub const X0: f64 = 530_000.0;
pub const Y0: f64 = 180_000.0;
pub const CELL: f64 = 1_000.0;

/// Codes of the 3 x 3 grid cells, `CODES[row][col]`, row 0 at the south. Deliberately not in spatial order,
/// so "lowest code wins" is not the same as "first cell found".
pub const CODES: [[&str; 3]; 3] = [
    ["E05000005", "E05000003", "E05000008"],
    ["E05000002", "E05000009", "E05000004"],
    ["E05000007", "E05000001", "E05000006"],
];

fn cell_corners(row: usize, col: usize) -> [(f64, f64); 5] {
    let x = X0 + col as f64 * CELL;
    let y = Y0 + row as f64 * CELL;
    [
        (x, y),
        (x + CELL, y),
        (x + CELL, y + CELL),
        (x, y + CELL),
        (x, y),
    ]
}

/// The 3 x 3 grid of 1 km squares, built directly in BNG.
pub fn grid_bng() -> WardSet {
    let mut wards = Vec::new();
    for (row, codes) in CODES.iter().enumerate() {
        for (col, code) in codes.iter().enumerate() {
            let ring: Vec<Coord<f64>> = cell_corners(row, col)
                .iter()
                .map(|&(x, y)| Coord { x, y })
                .collect();
            wards.push(Ward {
                code: (*code).to_string(),
                name: format!("Cell {row},{col}"),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                properties: Map::new(),
            });
        }
    }
    WardSet::new(wards).expect("unique codes")
}

/// The same grid written as a WGS84 GeoJSON file (corners converted with OSTN15), as ONS publishes them.
pub fn grid_wgs84_geojson() -> String {
    let mut features = Vec::new();
    for (row, codes) in CODES.iter().enumerate() {
        for (col, code) in codes.iter().enumerate() {
            let ring: Vec<serde_json::Value> = cell_corners(row, col)
                .iter()
                .map(|&(x, y)| {
                    let (lon, lat) = bng_to_wgs84(x, y).expect("inside grid");
                    serde_json::json!([lon, lat])
                })
                .collect();
            features.push(serde_json::json!({
                "type": "Feature",
                "properties": {"WD22CD": code, "WD22NM": format!("Cell {row},{col}")},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }));
        }
    }
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// [`grid_wgs84_geojson`] loaded back: BNG vertices within millimetres of [`grid_bng`].
pub fn grid_wgs84() -> WardSet {
    WardSet::from_geojson_str(
        &grid_wgs84_geojson(),
        Path::new("grid.geojson"),
        "WD22CD",
        "WD22NM",
        None,
    )
    .expect("synthetic WGS84 grid loads")
}

/// The real public data folder: `$SNA_PUBLIC_DATA`, else `<crate>/../shared/data/public`. Panics with a clear
/// message when missing, so CI without the data fails loudly instead of passing silently.
pub fn public_dir() -> PathBuf {
    let dir = match std::env::var_os("SNA_PUBLIC_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public"),
    };
    assert!(
        dir.is_dir(),
        "real public test data not found at {} (set SNA_PUBLIC_DATA or provide ../shared/data/public)",
        dir.display()
    );
    dir
}

/// A file in the public data folder; panics naming the file when it is missing.
pub fn public_file(rel: &str) -> PathBuf {
    let p = public_dir().join(rel);
    assert!(
        p.is_file(),
        "real public test file missing: {}",
        p.display()
    );
    p
}

/// A tiny LSOA lookup for population-reader tests: E01000001 and E01000002 -> E05000009 (in the grid);
/// E01000003 -> E05999999 (elsewhere).
pub fn tiny_lookup(dir: &std::path::Path) -> crate::geo::lsoa_lookup::LsoaLookup {
    let lk = dir.join("lk.csv");
    std::fs::write(&lk, "LSOA21CD,WD25CD\nE01000001,E05000009\nE01000002,E05000009\nE01000003,E05999999\n").expect("write");
    crate::geo::lsoa_lookup::LsoaLookup::from_csv_path(&lk).expect("lookup")
}
