//! Police offences binned into square cells as wide as the search radius, each cell's offences sorted by
//! time, so a look-up reads the 3 x 3 cells around a point and only the offences inside the time window:
//! O(n log n) to build, about O(1) per query, never O(n x m). Used by the hidden-violence estimate
//! (ambulance call-outs with no police offence nearby).

use rayon::slice::ParallelSliceMut;

/// (committed_from in ms, easting, northing)
pub type Offence = (i64, f64, f64);

type Cell = (i64, i64);

pub struct OffenceGrid {
    cell_m: f64,
    /// Every offence with its cell, sorted by cell then time: one allocation, not a vector per cell.
    offences: Vec<(Cell, Offence)>,
    /// Each cell's range in `offences`.
    cells: foldhash::HashMap<Cell, (usize, usize)>,
}

impl OffenceGrid {
    /// `points`: (time in ms, easting, northing). `cell_m` must be the search radius (or larger).
    pub fn new(points: impl IntoIterator<Item = Offence>, cell_m: f64) -> OffenceGrid {
        let mut offences: Vec<(Cell, Offence)> = points.into_iter().map(|p| (Self::key(p.1, p.2, cell_m), p)).collect();
        offences.par_sort_unstable_by(|(ka, a), (kb, b)| ka.cmp(kb).then(a.0.cmp(&b.0)).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
        let mut cells = foldhash::HashMap::default();
        let mut start = 0;
        for run in offences.chunk_by(|a, b| a.0 == b.0) {
            cells.insert(run[0].0, (start, start + run.len()));
            start += run.len();
        }
        OffenceGrid { cell_m, offences, cells }
    }

    fn key(e: f64, n: f64, cell_m: f64) -> Cell {
        ((e / cell_m).floor() as i64, (n / cell_m).floor() as i64)
    }

    /// Is any offence within `window_ms` either side of `t` (inclusive) and within `radius_m` (inclusive)
    /// of (e, n)? `radius_m` must not exceed the cell size.
    pub fn any_within(&self, t: i64, e: f64, n: f64, window_ms: i64, radius_m: f64) -> bool {
        let (cx, cy) = Self::key(e, n, self.cell_m);
        let r2 = radius_m * radius_m;
        for x in cx - 1..=cx + 1 {
            for y in cy - 1..=cy + 1 {
                let Some(&(start, end)) = self.cells.get(&(x, y)) else { continue };
                let list = &self.offences[start..end];
                let from = list.partition_point(|(_, o)| o.0 < t - window_ms);
                for &(_, (ot, oe, on)) in &list[from..] {
                    if ot > t + window_ms {
                        break;
                    }
                    if (oe - e).powi(2) + (on - n).powi(2) <= r2 {
                        return true;
                    }
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn offences_are_found_at_the_distance_and_time_boundaries() {
        let t0 = 1_700_000_000_000i64;
        // One offence at (1000, 1000), t0.
        let grid = OffenceGrid::new([(t0, 1000.0, 1000.0)], 500.0);
        let w = 24 * H;
        // Exactly 500 m away (3-4-5 triangle: 300, 400) and exactly 24 h later: linked (inclusive).
        assert!(grid.any_within(t0 + w, 1300.0, 1400.0, w, 500.0));
        // Exactly 24 h earlier: linked (either side).
        assert!(grid.any_within(t0 - w, 1000.0, 1000.0, w, 500.0));
        // One millisecond past the window: not linked.
        assert!(!grid.any_within(t0 + w + 1, 1000.0, 1000.0, w, 500.0));
        assert!(!grid.any_within(t0 - w - 1, 1000.0, 1000.0, w, 500.0));
        // Just over 500 m: not linked.
        assert!(!grid.any_within(t0, 1000.0, 1500.01, w, 500.0));
        assert!(grid.any_within(t0, 1000.0, 1499.99, w, 500.0));
        // Across a cell corner (offence at the top right of its cell, call-out in the diagonal cell).
        let g2 = OffenceGrid::new([(t0, 1001.0, 1001.0)], 500.0);
        assert!(g2.any_within(t0, 999.0, 999.0, w, 500.0));
        assert!(g2.any_within(t0, 1001.0 - 353.0, 1001.0 - 353.0, w, 500.0));
        assert!(!g2.any_within(t0, 1001.0 - 354.0, 1001.0 - 354.0, w, 500.0));
        // Many offences in one cell, only one in the window and near enough.
        let many: Vec<Offence> = (0..100).map(|k| (t0 + k * H, 1000.0, 1000.0 + if k == 50 { 0.0 } else { 499.0 })).collect();
        let g3 = OffenceGrid::new(many, 500.0);
        assert!(g3.any_within(t0 + 50 * H, 1000.0, 500.0, H / 2, 500.0));
        assert!(!g3.any_within(t0 + 50 * H, 1000.0, 500.0, H / 2, 499.0));
        // An empty grid links nothing.
        let g4 = OffenceGrid::new(Vec::new(), 500.0);
        assert!(!g4.any_within(t0, 0.0, 0.0, w, 500.0));
    }

    #[test]
    fn matches_a_brute_force_search_over_scattered_offences() {
        // A fixed pseudo-random scatter over cells of several neighbours, negative coordinates included.
        let mut state = 12345u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let t0 = 1_700_000_000_000i64;
        let offences: Vec<Offence> =
            (0..2000).map(|_| (t0 + (next() * 30.0 * 24.0) as i64 * H, next() * 4000.0 - 2000.0, next() * 4000.0 - 2000.0)).collect();
        let grid = OffenceGrid::new(offences.clone(), 300.0);
        let (mut found, mut missed) = (0, 0);
        for _ in 0..2000 {
            let (t, e, n) = (t0 + (next() * 30.0 * 24.0) as i64 * H, next() * 4000.0 - 2000.0, next() * 4000.0 - 2000.0);
            let brute = offences.iter().any(|&(ot, oe, on)| (ot - t).abs() <= 6 * H && (oe - e).powi(2) + (on - n).powi(2) <= 300.0 * 300.0);
            assert_eq!(grid.any_within(t, e, n, 6 * H, 300.0), brute, "at ({e}, {n}) t {t}");
            if brute { found += 1 } else { missed += 1 }
        }
        assert!(found > 100 && missed > 100, "both outcomes exercised: {found} found, {missed} not");
    }
}
