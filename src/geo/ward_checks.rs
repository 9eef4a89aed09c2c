//! Ward boundaries checked before use: a ring that crosses itself makes point-in-polygon answers depend on
//! the crossing, and overlapping wards would count a record in whichever is tested first. Validity is
//! geo's OGC check; overlap is the area two wards share (geo's boolean intersection, for pairs whose
//! bounding boxes meet), called an overlap beyond a small share of the smaller ward, so the slivers along
//! shared edges of generalised boundaries pass.

use super::error::GeoError;
use geo::{Area, BooleanOps, BoundingRect, Intersects, MultiPolygon, Validation};
use std::path::Path;

/// Shared area, as a share of the smaller ward, beyond which two wards overlap.
const OVERLAP_SHARE: f64 = 0.005;

/// Fails on the first invalid or overlapping ward, naming it.
pub fn check_boundaries(path: &Path, wards: &[(&str, &MultiPolygon<f64>)]) -> Result<(), GeoError> {
    for (code, geometry) in wards {
        if let Err(problem) = geometry.check_validation() {
            return Err(GeoError::InvalidWardGeometry { path: path.to_path_buf(), code: code.to_string(), problem: problem.to_string() });
        }
    }
    let boxes: Vec<_> = wards.iter().map(|(_, g)| g.bounding_rect()).collect();
    let areas: Vec<f64> = wards.iter().map(|(_, g)| g.unsigned_area()).collect();
    for i in 0..wards.len() {
        for j in i + 1..wards.len() {
            let (Some(bi), Some(bj)) = (boxes[i], boxes[j]) else { continue };
            if !bi.intersects(&bj) {
                continue;
            }
            let shared = wards[i].1.intersection(wards[j].1).unsigned_area();
            let smaller = areas[i].min(areas[j]);
            if smaller > 0.0 && shared > OVERLAP_SHARE * smaller {
                return Err(GeoError::OverlappingWards {
                    path: path.to_path_buf(),
                    first: wards[i].0.to_string(),
                    second: wards[j].0.to_string(),
                    shared_m2: shared.round(),
                    percent: (1000.0 * shared / smaller).round() / 10.0,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side), (x: x, y: y)]])
    }

    #[test]
    fn neighbours_pass_overlaps_and_bow_ties_fail() {
        let p = Path::new("wards.geojson");
        let (a, b) = (square(0.0, 0.0, 100.0), square(100.0, 0.0, 100.0));
        assert!(check_boundaries(p, &[("A", &a), ("B", &b)]).is_ok(), "sharing an edge is not overlapping");
        let c = square(50.0, 0.0, 100.0);
        let e = check_boundaries(p, &[("A", &a), ("C", &c)]).unwrap_err().to_string();
        assert!(e.contains("wards.geojson") && e.contains("A") && e.contains("C") && e.contains("overlap"), "{e}");
        let bow_tie = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 100.0), (x: 100.0, y: 0.0), (x: 0.0, y: 100.0), (x: 0.0, y: 0.0)]]);
        let e = check_boundaries(p, &[("BOW", &bow_tie)]).unwrap_err().to_string();
        assert!(e.contains("BOW") && e.contains("self-intersection"), "{e}");
    }
}
