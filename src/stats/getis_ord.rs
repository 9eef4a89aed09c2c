//! Getis-Ord Gi* local hotspot z-scores with binary weights and the unit itself included (w_ii = 1):
//! Gi*_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2)/(n - 1))), with xbar and the population
//! standard deviation S over all n units, W_i = sum_j w_ij and S1_i = sum_j w_ij^2 (= W_i for binary weights).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::{Result, StatsError};

/// Gi* result for one unit, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiStar {
    /// `None` when undefined: every value identical (zero variance) or the unit neighbours every unit.
    pub z: Option<f64>,
    /// Two-sided normal p-value for `z`; unadjusted (see `multiple_testing`).
    pub p_value: Option<f64>,
    /// Number of distinct neighbours, excluding the unit itself.
    pub neighbour_count: usize,
    /// True when the unit has no neighbours: its score then only compares it with the global mean, so
    /// reports should not present it as a spatial cluster.
    pub island: bool,
}

/// Gi* for every unit. `neighbours[i]` lists the indices of unit i's neighbours; the unit itself is always
/// included with weight 1, and duplicates or self-references in the list are ignored.
pub fn getis_ord_gi_star(values: &[f64], neighbours: &[Vec<usize>]) -> Result<Vec<GiStar>> {
    let n = values.len();
    if neighbours.len() != n {
        return Err(StatsError::LengthMismatch {
            values: n,
            neighbours: neighbours.len(),
        });
    }
    if n < 2 {
        return Err(StatsError::TooFewUnits {
            required: 2,
            got: n,
        });
    }
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::NonFiniteValue { index, value });
    }
    for (unit, list) in neighbours.iter().enumerate() {
        if let Some(&neighbour) = list.iter().find(|&&j| j >= n) {
            return Err(StatsError::NeighbourOutOfRange {
                unit,
                neighbour,
                len: n,
            });
        }
    }

    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf).sqrt();
    // Compare values rather than testing sd == 0, which rounding can miss for constant inputs.
    let constant = values.iter().all(|v| *v == values[0]);
    let normal = Normal::standard();

    let mut in_window = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for (i, list) in neighbours.iter().enumerate() {
        in_window.iter_mut().for_each(|w| *w = false);
        in_window[i] = true;
        for &j in list {
            in_window[j] = true;
        }
        let (w, local_sum) = in_window
            .iter()
            .zip(values)
            .filter(|(inside, _)| **inside)
            .fold((0.0_f64, 0.0_f64), |(w, s), (_, v)| (w + 1.0, s + v));
        let neighbour_count = w as usize - 1;
        // Binary weights: S1 = W, so n S1 - W^2 = W (n - W), zero when the window covers every unit.
        let spread = (nf * w - w * w) / (nf - 1.0);
        let z = if constant || spread <= 0.0 || sd <= 0.0 {
            None
        } else {
            Some((local_sum - mean * w) / (sd * spread.sqrt()))
        };
        let p_value = z.map(|z| (2.0 * normal.sf(z.abs())).min(1.0));
        out.push(GiStar {
            z,
            p_value,
            neighbour_count,
            island: neighbour_count == 0,
        });
    }
    Ok(out)
}

/// Neighbours within a Euclidean distance band (inclusive), excluding the unit itself. Quadratic in the
/// number of points, which is fine for ward-level analysis.
pub fn distance_band_neighbours(points: &[(f64, f64)], threshold: f64) -> Result<Vec<Vec<usize>>> {
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(StatsError::InvalidDistance(threshold));
    }
    let limit = threshold * threshold;
    Ok(points
        .iter()
        .enumerate()
        .map(|(i, (xi, yi))| {
            points
                .iter()
                .enumerate()
                .filter(|(j, (xj, yj))| *j != i && (xi - xj).powi(2) + (yi - yj).powi(2) <= limit)
                .map(|(j, _)| j)
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINTS: [(f64, f64); 6] = [
        (10.0, 10.0),
        (20.0, 10.0),
        (40.0, 10.0),
        (15.0, 20.0),
        (30.0, 20.0),
        (30.0, 30.0),
    ];
    const Y: [f64; 6] = [2.0, 3.0, 3.2, 5.0, 8.0, 7.0];
    const PUBLISHED: [f64; 6] = [
        -1.39727626,
        -0.28917762,
        0.65064964,
        -0.28917762,
        1.23452088,
        2.02424331,
    ];

    #[test]
    fn reproduces_published_example() {
        let nb = distance_band_neighbours(&POINTS, 15.0).unwrap();
        assert_eq!(
            nb,
            vec![
                vec![1, 3],
                vec![0, 3, 4],
                vec![4],
                vec![0, 1, 4],
                vec![1, 2, 3, 5],
                vec![4]
            ]
        );
        let g = getis_ord_gi_star(&Y, &nb).unwrap();
        for (gi, expected) in g.iter().zip(PUBLISHED) {
            let z = gi.z.unwrap();
            assert!((z - expected).abs() <= 1e-8, "z {z} expected {expected}");
            assert!(!gi.island);
        }
    }

    #[test]
    fn p_values_are_two_sided_normal() {
        let nb = distance_band_neighbours(&POINTS, 15.0).unwrap();
        let g = getis_ord_gi_star(&Y, &nb).unwrap();
        // 2 * (1 - Phi(2.0242433093898953)) from mpmath.
        let p = g[5].p_value.unwrap();
        assert!(
            (p - 0.042945123419872646).abs() <= 1e-9 * 0.042945123419872646,
            "{p}"
        );
    }

    #[test]
    fn self_references_and_duplicates_are_ignored() {
        let nb = vec![
            vec![0, 1, 3, 3],
            vec![0, 3, 4, 1],
            vec![4],
            vec![0, 1, 4],
            vec![1, 2, 3, 5],
            vec![4, 4],
        ];
        let g = getis_ord_gi_star(&Y, &nb).unwrap();
        for (gi, expected) in g.iter().zip(PUBLISHED) {
            assert!((gi.z.unwrap() - expected).abs() <= 1e-8);
        }
    }

    #[test]
    fn islands_are_flagged_not_fatal() {
        let nb = vec![vec![1], vec![0], vec![]];
        let g = getis_ord_gi_star(&[1.0, 2.0, 6.0], &nb).unwrap();
        assert!(g[2].island && !g[0].island);
        assert_eq!(g[2].neighbour_count, 0);
        // Island: W = S1 = 1, so z = (x - xbar) / S = (6 - 3) / sqrt(14/3).
        assert!((g[2].z.unwrap() - 1.3887301496588271).abs() <= 1e-12);
    }

    #[test]
    fn zero_variance_and_full_window_give_none() {
        let g = getis_ord_gi_star(&[4.0, 4.0, 4.0], &[vec![1], vec![0], vec![]]).unwrap();
        assert!(g.iter().all(|gi| gi.z.is_none() && gi.p_value.is_none()));
        let g = getis_ord_gi_star(&[1.0, 2.0, 6.0], &[vec![1, 2], vec![0], vec![]]).unwrap();
        assert_eq!(g[0].z, None);
        assert!(g[1].z.is_some());
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            getis_ord_gi_star(&[1.0, 2.0], &[vec![1]]),
            Err(StatsError::LengthMismatch {
                values: 2,
                neighbours: 1
            })
        );
        assert_eq!(
            getis_ord_gi_star(&[1.0], &[vec![]]),
            Err(StatsError::TooFewUnits {
                required: 2,
                got: 1
            })
        );
        assert_eq!(
            getis_ord_gi_star(&[1.0, 2.0], &[vec![2], vec![]]),
            Err(StatsError::NeighbourOutOfRange {
                unit: 0,
                neighbour: 2,
                len: 2
            })
        );
        assert!(matches!(
            getis_ord_gi_star(&[1.0, f64::NAN], &[vec![], vec![]]),
            Err(StatsError::NonFiniteValue { index: 1, .. })
        ));
        assert!(matches!(
            distance_band_neighbours(&POINTS, -1.0),
            Err(StatsError::InvalidDistance(_))
        ));
    }
}
