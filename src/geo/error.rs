//! Errors from loading reference geography (ward boundaries, lookups, population).
//!
//! Every message names the file and the feature (0-based index into the `features` array, as `jq
//! '.features[12]'` would find it) or the CSV line (1-based, header = line 1), and says what was expected, so
//! an analyst can fix the input without reading code.

use std::path::PathBuf;

use thiserror::Error;

use super::crs::CrsError;

#[derive(Debug, Error)]
pub enum GeoError {
    #[error("{}: cannot read file: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: not valid JSON (line {line}, column {column}): {message}", .path.display())]
    InvalidJson {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{}: expected a GeoJSON FeatureCollection at the top level, found {found}", .path.display())]
    NotFeatureCollection { path: PathBuf, found: String },

    #[error("{} feature {index}: not a valid GeoJSON Feature: {message}", .path.display())]
    InvalidFeature {
        path: PathBuf,
        index: usize,
        message: String,
    },

    #[error("{} feature {index}: has no geometry; expected a Polygon or MultiPolygon", .path.display())]
    MissingGeometry { path: PathBuf, index: usize },

    #[error("{} feature {index}: geometry is a {found}; expected a Polygon or MultiPolygon", .path.display())]
    NotPolygon {
        path: PathBuf,
        index: usize,
        found: String,
    },

    #[error("{} feature {index}: geometry has no polygons (empty coordinates)", .path.display())]
    EmptyGeometry { path: PathBuf, index: usize },

    #[error("{} feature {index}: property \"{property}\" is missing", .path.display())]
    MissingProperty {
        path: PathBuf,
        index: usize,
        property: String,
    },

    #[error("{} feature {index}: property \"{property}\" is {found}; expected a non-empty string", .path.display())]
    BadProperty {
        path: PathBuf,
        index: usize,
        property: String,
        found: String,
    },

    #[error("{}: ward code {code} appears more than once (features {first} and {second}); expected one feature per ward", .source_name)]
    DuplicateWardCode {
        /// File path, or a description of an in-memory source.
        source_name: String,
        code: String,
        first: usize,
        second: usize,
    },

    #[error("the LSOA lookup has no wards in local authorities {}", .lad_codes.join(", "))]
    NoWardsInLookup { lad_codes: Vec<String> },

    #[error("{}: no wards left after keeping features whose property \"{property}\" equals one of {values:?} ({features} features read, {with_property} had that property)", .path.display())]
    NoWardsAfterFilter {
        path: PathBuf,
        property: String,
        values: Vec<String>,
        features: usize,
        with_property: usize,
    },

    #[error("{}: the FeatureCollection has no features; expected ward polygons", .path.display())]
    NoFeatures { path: PathBuf },

    #[error("{}: \"crs\" member names {name}; expected EPSG:27700 (British National Grid) or WGS84 (EPSG:4326 / CRS84)", .path.display())]
    UnsupportedCrs { path: PathBuf, name: String },

    #[error("{}: coordinates mix longitude/latitude degrees (feature {lonlat_feature}) and grid metres (feature {metre_feature}); expected one coordinate system for the whole file", .path.display())]
    MixedCoordinates {
        path: PathBuf,
        lonlat_feature: usize,
        metre_feature: usize,
    },

    #[error("{} feature {index}: coordinate ({x}, {y}) is neither WGS84 longitude/latitude nor British National Grid metres (easting 0..800000, northing 0..1400000)", .path.display())]
    ImplausibleCoordinate {
        path: PathBuf,
        index: usize,
        x: f64,
        y: f64,
    },

    #[error("{} feature {index}: cannot convert to British National Grid: {source}", .path.display())]
    Transform {
        path: PathBuf,
        index: usize,
        #[source]
        source: CrsError,
    },

    #[error("ward {code}: cannot convert to WGS84 for output: {source}")]
    TransformForOutput {
        code: String,
        #[source]
        source: CrsError,
    },

    #[error("{}{}: CSV error: {source}", .path.display(), line_suffix(*.line))]
    Csv {
        path: PathBuf,
        line: Option<u64>,
        #[source]
        source: csv::Error,
    },

    #[error("{}: header has no column {expected}; header is {found:?}", .path.display())]
    MissingColumn {
        path: PathBuf,
        expected: String,
        found: Vec<String>,
    },

    #[error("{}: header has several columns matching {expected}: {found:?}; expected exactly one", .path.display())]
    AmbiguousColumn {
        path: PathBuf,
        expected: String,
        found: Vec<String>,
    },

    #[error("{} line {line}: {problem}", .path.display())]
    BadRow {
        path: PathBuf,
        line: u64,
        problem: String,
    },

    #[error("{}: the file has no data rows", .path.display())]
    EmptyTable { path: PathBuf },

    #[error("{}: ward {code} has an invalid boundary ({problem}); repair it in GIS (e.g. QGIS Fix geometries) or use the ONS file as published", .path.display())]
    InvalidWardGeometry { path: PathBuf, code: String, problem: String },

    #[error("{}: wards {first} and {second} overlap ({shared_m2} m², {percent}% of the smaller); records there would be counted in one of them arbitrarily: check the file holds one boundary set, once", .path.display())]
    OverlappingWards { path: PathBuf, first: String, second: String, shared_m2: f64, percent: f64 },
}

fn line_suffix(line: Option<u64>) -> String {
    match line {
        Some(l) => format!(" line {l}"),
        None => String::new(),
    }
}
