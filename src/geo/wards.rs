//! Ward boundaries: load an ONS-style GeoJSON FeatureCollection into British National Grid polygons.
//!
//! Everything downstream (point-in-polygon, areas, distances) works in BNG metres, so WGS84 files are converted
//! once at load time with the OSTN15 transformation in [`super::crs`].

use std::collections::BTreeMap;
use std::path::Path;

use geo::{Area, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use geojson::{GeometryValue, Position};
use serde_json::{Map, Value};

use super::crs::{bng_to_wgs84, wgs84_to_bng};
use super::error::GeoError;
use super::lsoa_lookup::LsoaLookup;

/// One electoral ward.
#[derive(Debug, Clone, PartialEq)]
pub struct Ward {
    /// GSS code, e.g. `E05009312`.
    pub code: String,
    pub name: String,
    /// Always British National Grid (EPSG:27700) metres, whatever the source file used.
    pub geometry: MultiPolygon<f64>,
    /// The feature's original properties (e.g. `LAD22CD`), kept for reporting and filters.
    pub properties: Map<String, Value>,
}

/// The wards of the assessment area.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WardSet {
    /// Sorted by code, so a ward's index is stable and "lowest code" equals "lowest index".
    pub wards: Vec<Ward>,
}

/// Keep only features whose `property` equals one of `equals` (e.g. `LAD22CD` = the borough's code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaFilter {
    pub property: String,
    pub equals: Vec<String>,
}

/// Coordinate system of a boundary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceCrs {
    Bng,
    Wgs84,
}

/// A feature that passed the filter, before any coordinate conversion.
struct RawWard {
    index: usize,
    code: String,
    name: String,
    geometry: MultiPolygon<f64>,
    properties: Map<String, Value>,
}

impl WardSet {
    /// Build a set from wards already in BNG; sorts by code and rejects duplicate codes.
    pub fn new(mut wards: Vec<Ward>) -> Result<WardSet, GeoError> {
        wards.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(i) = wards.windows(2).position(|w| w[0].code == w[1].code) {
            return Err(GeoError::DuplicateWardCode {
                source_name: "ward set".to_string(),
                code: wards[i].code.clone(),
                first: i,
                second: i + 1,
            });
        }
        Ok(WardSet { wards })
    }

    /// Wards without boundaries: the lookup's wards in the given local authorities, for analysts who have
    /// LSOA codes and the ONS lookup but no ward polygons. Records then locate only through their LSOA.
    pub fn from_lookup(lookup: &LsoaLookup, lad_codes: &[String]) -> Result<WardSet, GeoError> {
        let lads: Vec<&str> = lad_codes.iter().map(|s| s.as_str()).collect();
        let wards: Vec<Ward> = lookup
            .wards_in_lads(&lads)
            .into_iter()
            .map(|w| {
                let mut properties = Map::new();
                properties.insert("LAD_CODE".into(), Value::String(w.lad_code.clone()));
                properties.insert("LAD_NAME".into(), Value::String(w.lad_name.clone()));
                Ward { code: w.code.clone(), name: w.name.clone(), geometry: MultiPolygon(Vec::new()), properties }
            })
            .collect();
        if wards.is_empty() {
            return Err(GeoError::NoWardsInLookup { lad_codes: lad_codes.to_vec() });
        }
        WardSet::new(wards)
    }

    /// Whether any ward has a boundary (false for a set built from a lookup).
    pub fn has_boundaries(&self) -> bool {
        self.wards.iter().any(|w| !w.geometry.0.is_empty())
    }

    /// Load wards from a GeoJSON file (WGS84 or BNG, detected), optionally keeping only one area's features.
    pub fn from_geojson_path(
        path: impl AsRef<Path>,
        code_property: &str,
        name_property: &str,
        filter: Option<&AreaFilter>,
    ) -> Result<WardSet, GeoError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| GeoError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_geojson_str(&text, path, code_property, name_property, filter)
    }

    /// As [`WardSet::from_geojson_path`] for text already in memory; `path` is only used in error messages.
    pub fn from_geojson_str(
        text: &str,
        path: &Path,
        code_property: &str,
        name_property: &str,
        filter: Option<&AreaFilter>,
    ) -> Result<WardSet, GeoError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let message = full.split(" at line ").next().unwrap_or(&full).to_string();
            GeoError::InvalidJson {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message,
            }
        })?;
        let Value::Object(mut top) = value else {
            return Err(GeoError::NotFeatureCollection {
                path: path.to_path_buf(),
                found: json_kind(&value),
            });
        };
        match top.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {}
            Some(other) => {
                return Err(GeoError::NotFeatureCollection {
                    path: path.to_path_buf(),
                    found: format!("an object of type \"{other}\""),
                });
            }
            None => {
                return Err(GeoError::NotFeatureCollection {
                    path: path.to_path_buf(),
                    found: "an object without a \"type\" member".to_string(),
                });
            }
        }
        let declared = declared_crs(top.get("crs"), path)?;
        let features = match top.remove("features") {
            Some(Value::Array(features)) => features,
            _ => {
                return Err(GeoError::NotFeatureCollection {
                    path: path.to_path_buf(),
                    found: "a FeatureCollection without a \"features\" array".to_string(),
                });
            }
        };
        if features.is_empty() {
            return Err(GeoError::NoFeatures {
                path: path.to_path_buf(),
            });
        }
        let n_features = features.len();

        let mut raw = Vec::new();
        let mut with_filter_property = 0usize;
        for (index, feature) in features.into_iter().enumerate() {
            let Value::Object(mut feature) = feature else {
                return Err(invalid_feature(
                    path,
                    index,
                    format!("expected an object, found {}", json_kind(&feature)),
                ));
            };
            if feature.get("type").and_then(Value::as_str) != Some("Feature") {
                return Err(invalid_feature(
                    path,
                    index,
                    "expected \"type\": \"Feature\"".to_string(),
                ));
            }
            let properties = match feature.remove("properties") {
                Some(Value::Object(p)) => p,
                None | Some(Value::Null) => Map::new(),
                Some(other) => {
                    return Err(invalid_feature(
                        path,
                        index,
                        format!(
                            "\"properties\" is {}; expected an object",
                            json_kind(&other)
                        ),
                    ));
                }
            };
            if let Some(f) = filter {
                let Some(v) = properties.get(&f.property) else {
                    continue;
                };
                with_filter_property += 1;
                let Some(s) = scalar_text(v) else { continue };
                if !f.equals.iter().any(|e| e.trim() == s.trim()) {
                    continue;
                }
            }
            let code = required_text(&properties, code_property, path, index)?;
            let name = required_text(&properties, name_property, path, index)?;
            let geometry = feature_geometry(feature.remove("geometry"), path, index)?;
            raw.push(RawWard {
                index,
                code,
                name,
                geometry,
                properties,
            });
        }

        if raw.is_empty() {
            return Err(match filter {
                Some(f) => GeoError::NoWardsAfterFilter {
                    path: path.to_path_buf(),
                    property: f.property.clone(),
                    values: f.equals.clone(),
                    features: n_features,
                    with_property: with_filter_property,
                },
                None => GeoError::NoFeatures {
                    path: path.to_path_buf(),
                },
            });
        }

        let crs = match declared {
            Some(crs) => {
                check_declared(&raw, crs, path)?;
                crs
            }
            None => detect_crs(&raw, path)?,
        };
        if crs == SourceCrs::Wgs84 {
            for w in &mut raw {
                w.geometry = to_bng(&w.geometry).map_err(|source| GeoError::Transform {
                    path: path.to_path_buf(),
                    index: w.index,
                    source,
                })?;
            }
        }

        raw.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(i) = raw.windows(2).position(|w| w[0].code == w[1].code) {
            let (a, b) = (
                raw[i].index.min(raw[i + 1].index),
                raw[i].index.max(raw[i + 1].index),
            );
            return Err(GeoError::DuplicateWardCode {
                source_name: path.display().to_string(),
                code: raw[i].code.clone(),
                first: a,
                second: b,
            });
        }
        let shapes: Vec<(&str, &MultiPolygon<f64>)> = raw.iter().map(|r| (r.code.as_str(), &r.geometry)).collect();
        super::ward_checks::check_boundaries(path, &shapes)?;
        let wards = raw
            .into_iter()
            .map(|r| Ward {
                code: r.code,
                name: r.name,
                geometry: r.geometry,
                properties: r.properties,
            })
            .collect();
        Ok(WardSet { wards })
    }

    pub fn len(&self) -> usize {
        self.wards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wards.is_empty()
    }

    /// Index of the ward with this code (exact match); binary search, since `wards` is sorted by code.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.wards
            .binary_search_by(|w| w.code.as_str().cmp(code))
            .ok()
    }

    pub fn get(&self, index: usize) -> Option<&Ward> {
        self.wards.get(index)
    }

    /// Sum of ward areas in square metres (BNG is a conformal projection; scale error in England < 0.1%).
    pub fn total_area_m2(&self) -> f64 {
        self.wards.iter().map(|w| w.geometry.unsigned_area()).sum()
    }

    /// Bounding box of all wards in BNG metres; `None` for an empty set.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        let mut acc: Option<Rect<f64>> = None;
        for r in self.wards.iter().filter_map(|w| w.geometry.bounding_rect()) {
            acc = Some(match acc {
                None => r,
                Some(a) => Rect::new(
                    Coord {
                        x: a.min().x.min(r.min().x),
                        y: a.min().y.min(r.min().y),
                    },
                    Coord {
                        x: a.max().x.max(r.max().x),
                        y: a.max().y.max(r.max().y),
                    },
                ),
            });
        }
        acc
    }

    /// A WGS84 GeoJSON FeatureCollection for web maps (GeoJSON readers assume WGS84).
    ///
    /// Each feature has properties `code`, `name`, then `extra[code]` if present (an extra key named `code` or
    /// `name` is ignored so the identity cannot be overwritten). Output is deterministic: wards in code order,
    /// coordinates rounded to 6 decimals (about 0.1 m), which also keeps files small.
    pub fn to_geojson_wgs84(
        &self,
        extra: &BTreeMap<String, Map<String, Value>>,
    ) -> Result<String, GeoError> {
        use rayon::prelude::*;
        // Converting every vertex (OSTN15) dominates; wards convert independently, in order.
        let feature = |w: &Ward| -> Result<Value, GeoError> {
            let mut props = Map::new();
            props.insert("code".to_string(), Value::String(w.code.clone()));
            props.insert("name".to_string(), Value::String(w.name.clone()));
            if let Some(e) = extra.get(&w.code) {
                for (k, v) in e {
                    if k != "code" && k != "name" {
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
            let mut polys = Vec::with_capacity(w.geometry.0.len());
            for p in &w.geometry.0 {
                let mut rings = Vec::with_capacity(1 + p.interiors().len());
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let mut pts = Vec::with_capacity(ring.0.len());
                    for c in &ring.0 {
                        let (lon, lat) = bng_to_wgs84(c.x, c.y).map_err(|source| {
                            GeoError::TransformForOutput {
                                code: w.code.clone(),
                                source,
                            }
                        })?;
                        pts.push(Value::Array(vec![round6(lon), round6(lat)]));
                    }
                    rings.push(Value::Array(pts));
                }
                polys.push(Value::Array(rings));
            }
            let mut geometry = Map::new();
            geometry.insert(
                "type".to_string(),
                Value::String("MultiPolygon".to_string()),
            );
            geometry.insert("coordinates".to_string(), Value::Array(polys));
            let mut feature = Map::new();
            feature.insert("type".to_string(), Value::String("Feature".to_string()));
            feature.insert("properties".to_string(), Value::Object(props));
            feature.insert("geometry".to_string(), Value::Object(geometry));
            Ok(Value::Object(feature))
        };
        let features = self.wards.par_iter().map(feature).collect::<Result<Vec<Value>, GeoError>>()?;
        let mut fc = Map::new();
        fc.insert(
            "type".to_string(),
            Value::String("FeatureCollection".to_string()),
        );
        fc.insert("features".to_string(), Value::Array(features));
        Ok(Value::Object(fc).to_string())
    }
}

fn round6(v: f64) -> Value {
    let r = (v * 1e6).round() / 1e6;
    serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
}

fn invalid_feature(path: &Path, index: usize, message: String) -> GeoError {
    GeoError::InvalidFeature {
        path: path.to_path_buf(),
        index,
        message,
    }
}

fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .to_string()
}

/// Strings as-is, numbers as written (some files hold numeric codes); anything else is not comparable.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required_text(
    props: &Map<String, Value>,
    property: &str,
    path: &Path,
    index: usize,
) -> Result<String, GeoError> {
    let v = props
        .get(property)
        .ok_or_else(|| GeoError::MissingProperty {
            path: path.to_path_buf(),
            index,
            property: property.to_string(),
        })?;
    match scalar_text(v) {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(GeoError::BadProperty {
            path: path.to_path_buf(),
            index,
            property: property.to_string(),
            found: match v {
                Value::String(_) => "an empty string".to_string(),
                other => json_kind(other),
            },
        }),
    }
}

/// Read the legacy (2008 spec) `crs` member: `{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}}`
/// or `{"type":"EPSG","properties":{"code":27700}}`. RFC 7946 dropped it, so absence is normal.
fn declared_crs(crs: Option<&Value>, path: &Path) -> Result<Option<SourceCrs>, GeoError> {
    let Some(crs) = crs else { return Ok(None) };
    if crs.is_null() {
        return Ok(None);
    }
    let props = crs.get("properties");
    let name = props
        .and_then(|p| p.get("name").or_else(|| p.get("code")))
        .and_then(scalar_text)
        .unwrap_or_else(|| crs.to_string());
    let upper = name.to_ascii_uppercase();
    if upper.contains("27700") {
        Ok(Some(SourceCrs::Bng))
    } else if upper.contains("4326") || upper.contains("CRS84") {
        Ok(Some(SourceCrs::Wgs84))
    } else {
        Err(GeoError::UnsupportedCrs {
            path: path.to_path_buf(),
            name,
        })
    }
}

fn feature_geometry(
    geometry: Option<Value>,
    path: &Path,
    index: usize,
) -> Result<MultiPolygon<f64>, GeoError> {
    let geometry = match geometry {
        None | Some(Value::Null) => {
            return Err(GeoError::MissingGeometry {
                path: path.to_path_buf(),
                index,
            });
        }
        Some(g) => g,
    };
    // Check the type before parsing so a LineString is reported as such, not as a parse failure.
    match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon" | "MultiPolygon") => {}
        Some(other) => {
            return Err(GeoError::NotPolygon {
                path: path.to_path_buf(),
                index,
                found: other.to_string(),
            });
        }
        None => {
            return Err(invalid_feature(
                path,
                index,
                "geometry has no \"type\"".to_string(),
            ));
        }
    }
    let parsed: geojson::Geometry = serde_json::from_value(geometry)
        .map_err(|e| invalid_feature(path, index, format!("bad geometry: {e}")))?;
    // Converted by hand rather than with geojson's TryFrom: that indexes positions [0] and [1] and would panic on
    // a 1-element position, and MultiPolygon::try_from rejects a plain Polygon.
    let polygons = match &parsed.value {
        GeometryValue::Polygon { coordinates } => vec![polygon(coordinates, path, index)?],
        GeometryValue::MultiPolygon { coordinates } => coordinates
            .iter()
            .map(|p| polygon(p, path, index))
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(GeoError::NotPolygon {
                path: path.to_path_buf(),
                index,
                found: other.type_name().to_string(),
            });
        }
    };
    if polygons.is_empty() {
        return Err(GeoError::EmptyGeometry {
            path: path.to_path_buf(),
            index,
        });
    }
    Ok(MultiPolygon(polygons))
}

fn polygon(rings: &[Vec<Position>], path: &Path, index: usize) -> Result<Polygon<f64>, GeoError> {
    let Some((exterior, interiors)) = rings.split_first() else {
        return Err(GeoError::EmptyGeometry {
            path: path.to_path_buf(),
            index,
        });
    };
    let ring = |positions: &[Position]| -> Result<LineString<f64>, GeoError> {
        if positions.len() < 4 {
            return Err(invalid_feature(
                path,
                index,
                format!(
                    "a polygon ring has {} positions; expected at least 4",
                    positions.len()
                ),
            ));
        }
        positions
            .iter()
            .map(|p| match p.as_slice() {
                [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
                other => Err(invalid_feature(
                    path,
                    index,
                    format!("position {other:?}; expected [x, y] with finite numbers"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString)
    };
    let ext = ring(exterior)?;
    let ints = interiors
        .iter()
        .map(|r| ring(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, ints))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CoordKind {
    LonLat,
    Metres,
}

fn is_lonlat(c: &Coord<f64>) -> bool {
    (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)
}

/// The OSTN15 grid covers easting 0..700 km, northing 0..1250 km; a little margin for offshore slivers.
fn is_bng(c: &Coord<f64>) -> bool {
    (-10_000.0..=800_000.0).contains(&c.x) && (-10_000.0..=1_400_000.0).contains(&c.y)
}

fn all_coords(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &Coord<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter())
}

/// No `crs` member: all vertices within lon/lat ranges means WGS84 (a BNG file would need every vertex within
/// 180 m of the false origin, which is open sea); otherwise every vertex must be plausible BNG metres.
fn detect_crs(raw: &[RawWard], path: &Path) -> Result<SourceCrs, GeoError> {
    let mut first_lonlat = None;
    let mut first_metres = None;
    for w in raw {
        for c in all_coords(&w.geometry) {
            let kind = if is_lonlat(c) {
                CoordKind::LonLat
            } else if is_bng(c) {
                CoordKind::Metres
            } else {
                return Err(GeoError::ImplausibleCoordinate {
                    path: path.to_path_buf(),
                    index: w.index,
                    x: c.x,
                    y: c.y,
                });
            };
            match kind {
                CoordKind::LonLat => first_lonlat = first_lonlat.or(Some(w.index)),
                CoordKind::Metres => first_metres = first_metres.or(Some(w.index)),
            }
        }
    }
    match (first_lonlat, first_metres) {
        (Some(l), Some(m)) => Err(GeoError::MixedCoordinates {
            path: path.to_path_buf(),
            lonlat_feature: l,
            metre_feature: m,
        }),
        (_, Some(_)) => Ok(SourceCrs::Bng),
        _ => Ok(SourceCrs::Wgs84),
    }
}

/// A declared CRS is trusted, but every vertex must still be in that system's range.
fn check_declared(raw: &[RawWard], crs: SourceCrs, path: &Path) -> Result<(), GeoError> {
    for w in raw {
        for c in all_coords(&w.geometry) {
            let ok = match crs {
                SourceCrs::Bng => is_bng(c),
                SourceCrs::Wgs84 => is_lonlat(c),
            };
            if !ok {
                return Err(GeoError::ImplausibleCoordinate {
                    path: path.to_path_buf(),
                    index: w.index,
                    x: c.x,
                    y: c.y,
                });
            }
        }
    }
    Ok(())
}

fn to_bng(mp: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, super::crs::CrsError> {
    let ring = |r: &LineString<f64>| -> Result<LineString<f64>, super::crs::CrsError> {
        r.0.iter()
            .map(|c| wgs84_to_bng(c.x, c.y).map(|(x, y)| Coord { x, y }))
            .collect::<Result<Vec<_>, _>>()
            .map(LineString)
    };
    let mut out = Vec::with_capacity(mp.0.len());
    for p in &mp.0 {
        let ext = ring(p.exterior())?;
        let ints = p
            .interiors()
            .iter()
            .map(ring)
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Polygon::new(ext, ints));
    }
    Ok(MultiPolygon(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::testdata;

    fn load(text: &str) -> Result<WardSet, GeoError> {
        WardSet::from_geojson_str(text, Path::new("wards.geojson"), "WD22CD", "WD22NM", None)
    }

    fn fc(features: &[String]) -> String {
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            features.join(",")
        )
    }

    fn feature(code: &str, geometry: &str) -> String {
        format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"WD22CD\":\"{code}\",\"WD22NM\":\"Ward {code}\",\"LAD\":\"L1\"}},\"geometry\":{geometry}}}"
        )
    }

    fn square_polygon(x0: f64, y0: f64, size: f64) -> String {
        let (x1, y1) = (x0 + size, y0 + size);
        format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"
        )
    }

    #[test]
    fn polygon_and_multipolygon_features_in_bng() {
        let mp = "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[531000,181000],[531100,181000],[531100,181100],[531000,181100],[531000,181000]]],[[[532000,181000],[532100,181000],[532100,181100],[532000,181100],[532000,181000]]]]}";
        let text = fc(&[
            feature("E05000002", &square_polygon(530_000.0, 180_000.0, 500.0)),
            feature("E05000001", mp),
        ]);
        let set = load(&text).expect("loads");
        assert_eq!(set.len(), 2);
        assert_eq!(set.wards[0].code, "E05000001", "sorted by code");
        assert_eq!(set.wards[0].geometry.0.len(), 2);
        assert_eq!(set.wards[1].geometry.0.len(), 1);
        assert_eq!(set.wards[1].name, "Ward E05000002");
        assert_eq!(set.index_of("E05000002"), Some(1));
        assert_eq!(set.index_of("E05999999"), None);
        assert!((set.total_area_m2() - (250_000.0 + 2.0 * 10_000.0)).abs() < 1e-6);
        let b = set.bounds().expect("non-empty");
        assert_eq!(
            (b.min().x, b.min().y, b.max().x, b.max().y),
            (530_000.0, 180_000.0, 532_100.0, 181_100.0)
        );
        assert_eq!(
            set.wards[0].properties.get("LAD").and_then(Value::as_str),
            Some("L1")
        );
    }

    #[test]
    fn wgs84_file_is_converted_to_bng() {
        let set = testdata::grid_wgs84();
        let bng = testdata::grid_bng();
        assert_eq!(set.len(), bng.len());
        for (a, b) in set.wards.iter().zip(&bng.wards) {
            assert_eq!(a.code, b.code);
            for (ca, cb) in all_coords(&a.geometry).zip(all_coords(&b.geometry)) {
                assert!(
                    (ca.x - cb.x).abs() < 0.01 && (ca.y - cb.y).abs() < 0.01,
                    "{ca:?} {cb:?}"
                );
            }
        }
    }

    #[test]
    fn declared_crs_is_used() {
        let text = format!(
            "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::27700\"}}}},\"features\":[{}]}}",
            feature("E05000001", &square_polygon(530_000.0, 180_000.0, 500.0))
        );
        assert_eq!(load(&text).expect("loads").len(), 1);
        let text = text.replace("27700", "3857");
        assert!(matches!(load(&text), Err(GeoError::UnsupportedCrs { .. })));
    }

    #[test]
    fn filter_keeps_matching_features() {
        let text = fc(&[
            feature("E05000001", &square_polygon(530_000.0, 180_000.0, 500.0)),
            feature("E05000002", &square_polygon(531_000.0, 180_000.0, 500.0))
                .replace("\"L1\"", "\"L2\""),
        ]);
        let f = AreaFilter {
            property: "LAD".into(),
            equals: vec!["L2".into(), "L9".into()],
        };
        let set =
            WardSet::from_geojson_str(&text, Path::new("w.geojson"), "WD22CD", "WD22NM", Some(&f))
                .expect("ok");
        assert_eq!(set.len(), 1);
        assert_eq!(set.wards[0].code, "E05000002");
        let f = AreaFilter {
            property: "LAD".into(),
            equals: vec!["L7".into()],
        };
        let err =
            WardSet::from_geojson_str(&text, Path::new("w.geojson"), "WD22CD", "WD22NM", Some(&f))
                .unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::NoWardsAfterFilter {
                    features: 2,
                    with_property: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("\"LAD\""), "{err}");
    }

    #[test]
    fn output_geojson_is_wgs84_rounded_and_round_trips() {
        let set = testdata::grid_bng();
        let mut extra = BTreeMap::new();
        let mut m = Map::new();
        m.insert("rate".into(), Value::from(1.5));
        m.insert("code".into(), Value::from("hijack"));
        extra.insert(set.wards[0].code.clone(), m);
        let out = set.to_geojson_wgs84(&extra).expect("writes");
        assert_eq!(
            out,
            set.to_geojson_wgs84(&extra).expect("writes"),
            "deterministic"
        );
        assert!(out.contains("\"rate\":1.5"));
        assert!(!out.contains("hijack"));
        // Every number has at most 6 decimals.
        for tok in out.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')) {
            if let Some((_, frac)) = tok.split_once('.') {
                assert!(frac.len() <= 6, "{tok}");
            }
        }
        let back = WardSet::from_geojson_str(&out, Path::new("out.geojson"), "code", "name", None)
            .expect("reads back");
        assert_eq!(back.len(), set.len());
        for (a, b) in back.wards.iter().zip(&set.wards) {
            for (ca, cb) in all_coords(&a.geometry).zip(all_coords(&b.geometry)) {
                assert!((ca.x - cb.x).abs() < 0.2 && (ca.y - cb.y).abs() < 0.2);
            }
        }
    }

    #[test]
    fn error_cases_are_errors_not_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.geojson");
        let err = WardSet::from_geojson_path(&missing, "WD22CD", "WD22NM", None).unwrap_err();
        assert!(
            matches!(err, GeoError::Io { .. }) && err.to_string().contains("nope.geojson"),
            "{err}"
        );

        let err = load("{\"type\": \"FeatureCollection\", \"features\": [").unwrap_err();
        assert!(
            matches!(err, GeoError::InvalidJson { line: 1, .. }),
            "{err}"
        );

        let err = load(&feature("E05000001", &square_polygon(0.0, 0.0, 1.0))).unwrap_err();
        assert!(
            matches!(err, GeoError::NotFeatureCollection { .. }),
            "{err}"
        );
        let err = load("[1,2]").unwrap_err();
        assert!(
            matches!(err, GeoError::NotFeatureCollection { .. }),
            "{err}"
        );
        let err = load("{\"type\":\"FeatureCollection\",\"features\":[]}").unwrap_err();
        assert!(matches!(err, GeoError::NoFeatures { .. }), "{err}");

        let ok = feature("E05000001", &square_polygon(530_000.0, 180_000.0, 500.0));
        let err = load(&fc(&[ok.clone(), feature("E05000002", "null")])).unwrap_err();
        assert!(
            matches!(err, GeoError::MissingGeometry { index: 1, .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "wards.geojson feature 1: has no geometry; expected a Polygon or MultiPolygon"
        );

        let line = "{\"type\":\"LineString\",\"coordinates\":[[530000,180000],[530100,180100]]}";
        let err = load(&fc(&[ok.clone(), feature("E05000002", line)])).unwrap_err();
        assert!(
            matches!(err, GeoError::NotPolygon { index: 1, ref found, .. } if found == "LineString"),
            "{err}"
        );

        let no_code = ok.replace("\"WD22CD\"", "\"XCD\"");
        let err = load(&fc(&[ok.clone(), no_code])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "wards.geojson feature 1: property \"WD22CD\" is missing"
        );

        let numeric_name = ok.replace("\"Ward E05000001\"", "null");
        let err = load(&fc(&[numeric_name])).unwrap_err();
        assert!(
            matches!(err, GeoError::BadProperty { index: 0, .. }),
            "{err}"
        );

        let dup = feature("E05000001", &square_polygon(531_000.0, 180_000.0, 500.0));
        let err = load(&fc(&[
            ok.clone(),
            ok.clone().replace("E05000001", "E05000009"),
            dup,
        ]))
        .unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::DuplicateWardCode {
                    first: 0,
                    second: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("E05000001"));

        let mixed = fc(&[
            ok.clone(),
            feature("E05000002", &square_polygon(-0.1, 51.5, 0.01)),
        ]);
        let err = load(&mixed).unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::MixedCoordinates {
                    lonlat_feature: 1,
                    metre_feature: 0,
                    ..
                }
            ),
            "{err}"
        );

        let far = fc(&[feature(
            "E05000002",
            &square_polygon(5_000_000.0, 51.5, 10.0),
        )]);
        let err = load(&far).unwrap_err();
        assert!(
            matches!(err, GeoError::ImplausibleCoordinate { index: 0, .. }),
            "{err}"
        );

        let short = fc(&[feature(
            "E05000002",
            "{\"type\":\"Polygon\",\"coordinates\":[[[1,2],[3,4],[1,2]]]}",
        )]);
        assert!(matches!(
            load(&short),
            Err(GeoError::InvalidFeature { index: 0, .. })
        ));
        let one_d = fc(&[feature(
            "E05000002",
            "{\"type\":\"Polygon\",\"coordinates\":[[[1],[3,4],[5,6],[1,2]]]}",
        )]);
        assert!(matches!(
            load(&one_d),
            Err(GeoError::InvalidFeature { index: 0, .. })
        ));
        let empty_mp = fc(&[feature(
            "E05000002",
            "{\"type\":\"MultiPolygon\",\"coordinates\":[]}",
        )]);
        assert!(matches!(
            load(&empty_mp),
            Err(GeoError::EmptyGeometry { index: 0, .. })
        ));
        let bad_geom = fc(&[feature(
            "E05000002",
            "{\"type\":\"Polygon\",\"coordinates\":\"x\"}",
        )]);
        assert!(matches!(
            load(&bad_geom),
            Err(GeoError::InvalidFeature { index: 0, .. })
        ));
        let not_feature = fc(&["{\"type\":\"Point\",\"coordinates\":[1,2]}".to_string()]);
        assert!(matches!(
            load(&not_feature),
            Err(GeoError::InvalidFeature { index: 0, .. })
        ));

        // Far outside Great Britain in lon/lat: OSTN15 cannot convert it.
        let sydney = fc(&[feature("E05000002", &square_polygon(151.2, -33.9, 0.01))]);
        assert!(matches!(
            load(&sydney),
            Err(GeoError::Transform { index: 0, .. })
        ));
    }

    #[test]
    fn wardset_new_rejects_duplicates() {
        let mut wards = testdata::grid_bng().wards;
        wards.push(wards[0].clone());
        assert!(matches!(
            WardSet::new(wards),
            Err(GeoError::DuplicateWardCode { .. })
        ));
    }
}
