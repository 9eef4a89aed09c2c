//! Ward contiguity for hotspot statistics: queen contiguity (wards that share a boundary point), with a
//! small distance tolerance so that digitising slivers between neighbours do not break adjacency.
//!
//! Hand-written because no maintained crate builds polygon adjacency: ward boundaries published by ONS
//! share their vertices along common edges, so hashing every vertex into a grid of `tolerance`-sized cells
//! finds touching wards in time linear in the number of vertices, where pairwise polygon distances would
//! cost the product of vertex counts for every pair.

use super::wards::WardSet;
use std::collections::{BTreeSet, HashMap};

/// Neighbour lists by ward index (sorted, no self), plus the wards with none.
#[derive(Debug, Clone, PartialEq)]
pub struct Contiguity {
    pub neighbours: Vec<Vec<usize>>,
    pub islands: Vec<usize>,
    pub tolerance_m: f64,
}

pub fn queen_contiguity(wards: &WardSet, tolerance_m: f64) -> Contiguity {
    let cell = if tolerance_m > 0.0 { tolerance_m } else { 0.001 };
    let key = |x: f64, y: f64| ((x / cell).floor() as i64, (y / cell).floor() as i64);
    let mut grid: HashMap<(i64, i64), BTreeSet<usize>> = HashMap::new();
    for (i, w) in wards.wards.iter().enumerate() {
        for poly in &w.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for c in ring.coords() {
                    grid.entry(key(c.x, c.y)).or_default().insert(i);
                }
            }
        }
    }
    let mut sets: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); wards.wards.len()];
    for (&(cx, cy), here) in &grid {
        // Vertices in the same or an adjacent cell are within about two tolerances of each other.
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(there) = grid.get(&(cx + dx, cy + dy)) else { continue };
                for &a in here {
                    for &b in there {
                        if a != b {
                            sets[a].insert(b);
                        }
                    }
                }
            }
        }
    }
    let neighbours: Vec<Vec<usize>> = sets.into_iter().map(|s| s.into_iter().collect()).collect();
    let islands = (0..neighbours.len()).filter(|&i| neighbours[i].is_empty()).collect();
    Contiguity { neighbours, islands, tolerance_m }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::wards::Ward;
    use geo::{LineString, MultiPolygon, Polygon};

    fn square(code: &str, x: f64, y: f64, size: f64) -> Ward {
        let ring = LineString::from(vec![(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]);
        Ward { code: code.into(), name: code.into(), geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]), properties: Default::default() }
    }

    #[test]
    fn a_grid_has_queen_neighbours_including_corners_and_an_island() {
        // 2 x 2 grid of 1 km squares (corners touch diagonally) plus a far-away island.
        let wards = WardSet::new(vec![
            square("A", 0.0, 0.0, 1000.0),
            square("B", 1000.0, 0.0, 1000.0),
            square("C", 0.0, 1000.0, 1000.0),
            square("D", 1000.0, 1000.0, 1000.0),
            square("Z", 50_000.0, 0.0, 1000.0),
        ])
        .expect("wards");
        let c = queen_contiguity(&wards, 5.0);
        assert_eq!(c.neighbours[0], vec![1, 2, 3], "A touches B, C and (at a corner) D");
        assert_eq!(c.neighbours[3], vec![0, 1, 2]);
        assert_eq!(c.islands, vec![4]);
    }

    #[test]
    fn slivers_within_the_tolerance_still_touch() {
        let wards = WardSet::new(vec![square("A", 0.0, 0.0, 1000.0), square("B", 1002.0, 0.0, 1000.0)]).expect("wards");
        assert_eq!(queen_contiguity(&wards, 5.0).neighbours[0], vec![1], "a 2 m gap is a sliver");
        assert!(queen_contiguity(&wards, 0.5).islands.len() == 2, "but not with a 0.5 m tolerance");
    }
}
