//! Point-in-ward lookup: a precomputed cell grid answers points away from every boundary; the rest go to an
//! R-tree of polygon bounding boxes, then an exact point-in-polygon test.
//!
//! Brute force over 700 wards is 200-300x slower; the R-tree narrows each point to one or two candidates.

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{BoundingRect, Coord, Polygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::cell_grid::{CellAnswer, CellGrid};
use super::wards::WardSet;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Finds the ward containing a BNG point.
///
/// Owns a copy of the polygons (not a borrow of the [`WardSet`]) so it can live next to the set in one struct.
#[derive(Debug, Clone)]
pub struct Locator {
    tree: RTree<Entry>,
    /// One entry per polygon part; `ward_of[i]` is the ward index of `polygons[i]`.
    polygons: Vec<Polygon<f64>>,
    ward_of: Vec<usize>,
    /// Cached answers for points away from every boundary (None when there are no polygons).
    grid: Option<CellGrid>,
}

impl Locator {
    /// Index every polygon part separately: a ward made of distant parts (islands, detached pieces) would
    /// otherwise have one huge bounding box, and geo's MultiPolygon rule counts a point on an edge shared by
    /// two parts of the same ward as outside (the mod-2 boundary rule).
    pub fn new(wards: &WardSet) -> Locator {
        let mut polygons = Vec::new();
        let mut ward_of = Vec::new();
        let mut entries = Vec::new();
        for (wi, ward) in wards.wards.iter().enumerate() {
            for p in &ward.geometry.0 {
                let Some(r) = p.bounding_rect() else { continue };
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                entries.push(GeomWithData::new(rect, polygons.len()));
                polygons.push(p.clone());
                ward_of.push(wi);
            }
        }
        let mut locator = Locator {
            tree: RTree::bulk_load(entries),
            polygons,
            ward_of,
            grid: None,
        };
        locator.grid = CellGrid::new(&locator.polygons, wards.wards.len(), |e, n| locator.locate_exact(e, n));
        locator
    }

    /// Index of the ward containing (easting, northing), or `None` if the point is outside every ward or is
    /// not finite.
    ///
    /// Boundaries count as inside. Tie-break, independent of R-tree order: a ward whose interior contains the
    /// point wins (the lowest index if boundary files overlap); otherwise, for a point on a shared edge or
    /// vertex, the ward with the lowest index, which is the lowest code because [`WardSet`] is sorted by code.
    pub fn locate(&self, easting: f64, northing: f64) -> Option<usize> {
        if !easting.is_finite() || !northing.is_finite() {
            return None;
        }
        match self.grid.as_ref().map(|g| g.answer(easting, northing)) {
            Some(CellAnswer::Ward(w)) => Some(w),
            Some(CellAnswer::Outside) => None,
            _ => self.locate_exact(easting, northing),
        }
    }

    /// [`Locator::locate`] by the R-tree and polygon tests alone (what the cell grid caches).
    fn locate_exact(&self, easting: f64, northing: f64) -> Option<usize> {
        if !easting.is_finite() || !northing.is_finite() {
            return None;
        }
        let c = Coord {
            x: easting,
            y: northing,
        };
        let env = AABB::from_point([easting, northing]);
        let mut inside: Option<usize> = None;
        let mut boundary: Option<usize> = None;
        for e in self.tree.locate_in_envelope_intersecting(&env) {
            let pi = e.data;
            let ward = self.ward_of[pi];
            match self.polygons[pi].coordinate_position(&c) {
                CoordPos::Inside => inside = Some(inside.map_or(ward, |w| w.min(ward))),
                CoordPos::OnBoundary => boundary = Some(boundary.map_or(ward, |w| w.min(ward))),
                CoordPos::Outside => {}
            }
        }
        inside.or(boundary)
    }

    /// [`Locator::locate`] for many points on all cores; same results, in the same order, as a serial loop.
    pub fn locate_many(&self, points: &[(f64, f64)]) -> Vec<Option<usize>> {
        points
            .par_iter()
            .with_min_len(4096)
            .map(|&(e, n)| self.locate(e, n))
            .collect()
    }

    /// Number of indexed polygon parts (at least the number of wards).
    pub fn polygon_count(&self) -> usize {
        self.polygons.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::testdata::{self, CELL, CODES, X0, Y0};
    use crate::geo::wards::AreaFilter;

    fn code(set: &WardSet, i: Option<usize>) -> Option<&str> {
        i.map(|i| set.wards[i].code.as_str())
    }

    fn check_grid(set: &WardSet) {
        let loc = Locator::new(set);
        // Interior points of every cell.
        for (row, codes) in CODES.iter().enumerate() {
            for (col, c) in codes.iter().enumerate() {
                let e = X0 + (col as f64 + 0.5) * CELL;
                let n = Y0 + (row as f64 + 0.5) * CELL;
                assert_eq!(code(set, loc.locate(e, n)), Some(*c), "cell {row},{col}");
            }
        }
        // Vertex shared by cells (0,0)=05, (0,1)=03, (1,0)=02, (1,1)=09: lowest code 02 wins.
        assert_eq!(
            code(set, loc.locate(X0 + CELL, Y0 + CELL)),
            Some("E05000002")
        );
        // Vertex shared by (1,1)=09, (1,2)=04, (2,1)=01, (2,2)=06.
        assert_eq!(
            code(set, loc.locate(X0 + 2.0 * CELL, Y0 + 2.0 * CELL)),
            Some("E05000001")
        );
        // Outside the grid, on its outer edge, NaN and infinity.
        assert_eq!(loc.locate(X0 - 1.0, Y0 + 10.0), None);
        assert_eq!(loc.locate(X0 + 10.0 * CELL, Y0), None);
        assert_eq!(
            code(set, loc.locate(X0, Y0)),
            Some("E05000005"),
            "outer corner counts as inside"
        );
        assert_eq!(loc.locate(f64::NAN, Y0 + 10.0), None);
        assert_eq!(loc.locate(X0 + 10.0, f64::INFINITY), None);
    }

    #[test]
    fn grid_in_bng() {
        let set = testdata::grid_bng();
        check_grid(&set);
        let loc = Locator::new(&set);
        // Edge between (1,1)=09 and (1,2)=04 at x = X0 + 2 km: 04 wins.
        assert_eq!(
            code(&set, loc.locate(X0 + 2.0 * CELL, Y0 + 1.5 * CELL)),
            Some("E05000004")
        );
        // Edge between (0,1)=03 and (1,1)=09 at y = Y0 + 1 km: 03 wins.
        assert_eq!(
            code(&set, loc.locate(X0 + 1.25 * CELL, Y0 + CELL)),
            Some("E05000003")
        );
    }

    #[test]
    fn grid_from_wgs84_file() {
        check_grid(&testdata::grid_wgs84());
    }

    #[test]
    fn multipolygon_with_hole_and_touching_parts() {
        use geo::{LineString, MultiPolygon, Polygon};
        let sq = |x: f64, y: f64, s: f64| {
            LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
        };
        // Ward A: two touching squares; ward B: a square with a hole, and ward C fills the hole.
        let a = MultiPolygon(vec![
            Polygon::new(sq(0.0, 0.0, 10.0), vec![]),
            Polygon::new(sq(10.0, 0.0, 10.0), vec![]),
        ]);
        let b = MultiPolygon(vec![Polygon::new(
            sq(100.0, 0.0, 30.0),
            vec![sq(110.0, 10.0, 10.0)],
        )]);
        let c = MultiPolygon(vec![Polygon::new(sq(110.0, 10.0, 10.0), vec![])]);
        let ward = |code: &str, g| crate::geo::wards::Ward {
            code: code.into(),
            name: code.into(),
            geometry: g,
            properties: Default::default(),
        };
        let set = WardSet::new(vec![ward("A", a), ward("C", c), ward("B", b)]).expect("ok");
        let loc = Locator::new(&set);
        assert_eq!(loc.polygon_count(), 4);
        assert_eq!(
            code(&set, loc.locate(10.0, 5.0)),
            Some("A"),
            "edge between two parts of one ward"
        );
        assert_eq!(
            code(&set, loc.locate(115.0, 15.0)),
            Some("C"),
            "inside the hole"
        );
        assert_eq!(code(&set, loc.locate(105.0, 15.0)), Some("B"));
        assert_eq!(
            code(&set, loc.locate(110.0, 15.0)),
            Some("B"),
            "hole edge: B < C"
        );
        assert_eq!(loc.locate(50.0, 5.0), None);
    }

    #[test]
    fn rayon_equals_serial() {
        let set = testdata::grid_bng();
        let loc = Locator::new(&set);
        // Deterministic pseudo-random points (an LCG) over and around the grid, plus edges and NaN.
        let mut s: u64 = 42;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut pts: Vec<(f64, f64)> = (0..50_000)
            .map(|_| (X0 - 500.0 + next() * 4_000.0, Y0 - 500.0 + next() * 4_000.0))
            .collect();
        pts.extend((0..=6).map(|i| (X0 + i as f64 * 500.0, Y0 + CELL)));
        pts.push((f64::NAN, Y0));
        let serial: Vec<_> = pts.iter().map(|&(e, n)| loc.locate(e, n)).collect();
        assert_eq!(loc.locate_many(&pts), serial);
        assert!(serial.iter().filter(|r| r.is_some()).count() > 20_000);
    }

    fn city_of_london() -> WardSet {
        let path = testdata::public_file("boundaries/london_wards_2022.geojson");
        let filter = AreaFilter {
            property: "LAD22CD".into(),
            equals: vec!["E09000001".into()],
        };
        WardSet::from_geojson_path(&path, "WD22CD", "WD22NM", Some(&filter))
            .expect("City wards load")
    }

    #[test]
    fn real_city_of_london_wards() {
        let set = city_of_london();
        assert_eq!(set.len(), 25);
        assert!(set.wards.iter().all(
            |w| w.properties.get("LAD22NM").and_then(|v| v.as_str()) == Some("City of London")
        ));
        // The City is "the Square Mile": about 2.9 km2 of land.
        let area_km2 = set.total_area_m2() / 1e6;
        assert!((2.6..3.3).contains(&area_km2), "{area_km2}");
        let loc = Locator::new(&set);
        // Bank of England, Threadneedle Street.
        let (e, n) = crate::geo::crs::wgs84_to_bng(-0.0886, 51.5142).expect("in grid");
        let i = loc.locate(e, n).expect("the Bank is in the City");
        assert_eq!(set.wards[i].name, "Walbrook");
        assert_eq!(set.wards[i].code, "E05009312");
        // Trafalgar Square is in Westminster, outside the City.
        let (e, n) = crate::geo::crs::wgs84_to_bng(-0.1281, 51.5080).expect("in grid");
        assert_eq!(loc.locate(e, n), None);
    }

    #[test]
    fn real_london_wards_all_load() {
        let path = testdata::public_file("boundaries/london_wards_2022.geojson");
        let set = WardSet::from_geojson_path(&path, "WD22CD", "WD22NM", None).expect("loads");
        assert_eq!(set.len(), 704);
        let loc = Locator::new(&set);
        let (e, n) = crate::geo::crs::wgs84_to_bng(-0.1281, 51.5080).expect("in grid");
        let i = loc.locate(e, n).expect("Trafalgar Square is in London");
        assert_eq!(
            set.wards[i]
                .properties
                .get("LAD22NM")
                .and_then(|v| v.as_str()),
            Some("Westminster")
        );
    }

    /// The cell grid only caches: on the 704 real London wards, random points, every polygon vertex and
    /// every edge midpoint (points on boundaries) get the same ward with and without it.
    #[test]
    fn cell_grid_answers_equal_the_exact_lookup() {
        let path = testdata::public_file("boundaries/london_wards_2022.geojson");
        let set = WardSet::from_geojson_path(&path, "WD22CD", "WD22NM", None).expect("loads");
        let loc = Locator::new(&set);
        let grid = loc.grid.as_ref().expect("a grid");
        assert!(grid.clear_share() > 0.5, "most cells answer without a polygon test: {}", grid.clear_share());
        let b = set.bounds().expect("non-empty");
        let mut s: u64 = 11;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut pts: Vec<(f64, f64)> =
            (0..100_000).map(|_| (b.min().x - 1_000.0 + next() * (b.width() + 2_000.0), b.min().y - 1_000.0 + next() * (b.height() + 2_000.0))).collect();
        for p in &loc.polygons {
            for line in p.exterior().lines().chain(p.interiors().iter().flat_map(|r| r.lines())) {
                pts.push((line.start.x, line.start.y));
                pts.push(((line.start.x + line.end.x) / 2.0, (line.start.y + line.end.y) / 2.0));
            }
        }
        let mut cached = 0;
        for &(e, n) in &pts {
            assert_eq!(loc.locate(e, n), loc.locate_exact(e, n), "({e}, {n})");
            cached += usize::from(grid.answer(e, n) != CellAnswer::Unknown);
        }
        assert!(cached > 50_000, "{cached} of {} points answered from the grid", pts.len());
    }

    /// Throughput on the 704 real London wards; run with
    /// `cargo test --release -- --ignored --nocapture locate_throughput`.
    #[test]
    #[ignore]
    fn locate_throughput() {
        let path = testdata::public_file("boundaries/london_wards_2022.geojson");
        let t = std::time::Instant::now();
        let set = WardSet::from_geojson_path(&path, "WD22CD", "WD22NM", None).expect("loads");
        let load = t.elapsed();
        let t = std::time::Instant::now();
        let loc = Locator::new(&set);
        let build = t.elapsed();
        let b = set.bounds().expect("non-empty");
        let mut s: u64 = 7;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<(f64, f64)> = (0..1_000_000)
            .map(|_| {
                (
                    b.min().x + next() * b.width(),
                    b.min().y + next() * b.height(),
                )
            })
            .collect();
        let t = std::time::Instant::now();
        let serial: Vec<_> = pts.iter().map(|&(e, n)| loc.locate(e, n)).collect();
        let ts = t.elapsed();
        let t = std::time::Instant::now();
        let par = loc.locate_many(&pts);
        let tp = t.elapsed();
        assert_eq!(serial, par);
        let hit = serial.iter().filter(|r| r.is_some()).count();
        println!(
            "704 wards ({} polygons): load {load:?}, R-tree {build:?}; 1M points ({:.1}% inside): serial {ts:?} = {:.2} M pts/s, rayon ({} threads) {tp:?} = {:.2} M pts/s",
            loc.polygon_count(),
            hit as f64 / 1e4,
            1.0 / ts.as_secs_f64(),
            rayon::current_num_threads(),
            1.0 / tp.as_secs_f64()
        );
    }
}
