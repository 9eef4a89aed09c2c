//! Concentration of violence across places (the "law of crime concentration"): Lorenz curve, Gini
//! coefficient, the share held by the top N units and the fewest units holding a given share.

use serde::Serialize;

use super::{Result, StatsError};

/// Shares are compared with this relative slack so that, e.g., a cumulative share of 0.7 computed as
/// 0.69999999999999996 still counts as reaching 0.7.
const SHARE_TOLERANCE: f64 = 1e-12;

/// One point of a Lorenz (concentration) curve: the `unit_share` of units with the most events hold
/// `value_share` of the total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LorenzPoint {
    pub unit_share: f64,
    pub value_share: f64,
}

/// Checks that counts are usable for shares and returns their total.
fn validated_total(values: &[f64]) -> Result<f64> {
    if values.is_empty() {
        return Err(StatsError::EmptyInput);
    }
    if let Some((index, &value)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(StatsError::InvalidValue { index, value });
    }
    let total: f64 = values.iter().sum();
    if total > 0.0 {
        Ok(total)
    } else {
        Err(StatsError::ZeroTotal)
    }
}

fn sorted_ascending(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn sorted_descending(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    v
}

/// Lorenz curve in the crime-concentration convention: units ranked from most to fewest events, so the point
/// (0.25, 0.4) reads "the top quarter of wards hold 40%". This is what `statistics.md` publishes for
/// [10, 20, 30, 40]. The economists' ascending curve is its reflection, L_asc(p) = 1 - L(1 - p), and has the
/// same Gini. Starts at (0, 0) and ends exactly at (1, 1); n + 1 points.
pub fn lorenz_curve(values: &[f64]) -> Result<Vec<LorenzPoint>> {
    validated_total(values)?;
    let sorted = sorted_descending(values);
    let n = sorted.len() as f64;
    // Divide by the total accumulated in the same order so the last point is exactly 1.
    let cumulative: Vec<f64> = sorted
        .iter()
        .scan(0.0, |acc, v| {
            *acc += v;
            Some(*acc)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(0.0);
    let mut points = Vec::with_capacity(sorted.len() + 1);
    points.push(LorenzPoint {
        unit_share: 0.0,
        value_share: 0.0,
    });
    for (i, c) in cumulative.iter().enumerate() {
        points.push(LorenzPoint {
            unit_share: (i + 1) as f64 / n,
            value_share: c / total,
        });
    }
    Ok(points)
}

/// Gini coefficient, G = 2 sum_i i x_(i) / (n sum x) - (n + 1)/n with x sorted ascending (i from 1):
/// 0 when every unit holds the same amount, approaching 1 when one unit holds everything.
pub fn gini(values: &[f64]) -> Result<f64> {
    let total = validated_total(values)?;
    let sorted = sorted_ascending(values);
    let n = sorted.len() as f64;
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (i + 1) as f64 * x)
        .sum();
    Ok(2.0 * weighted / (n * total) - (n + 1.0) / n)
}

/// Share of the total held by the `top_n` largest units (all units if `top_n` exceeds their number).
pub fn top_n_share(values: &[f64], top_n: usize) -> Result<f64> {
    let total = validated_total(values)?;
    let top: f64 = sorted_descending(values).iter().take(top_n).sum();
    Ok(top / total)
}

/// Fewest units, taken largest first, whose combined share of the total is at least `share` (in (0, 1]).
/// Answers "how many wards hold half of this theme?".
pub fn units_for_share(values: &[f64], share: f64) -> Result<usize> {
    if !(share.is_finite() && share > 0.0 && share <= 1.0) {
        return Err(StatsError::InvalidShare(share));
    }
    let total = validated_total(values)?;
    let target = share * total * (1.0 - SHARE_TOLERANCE);
    let sorted = sorted_descending(values);
    let mut cumulative = 0.0;
    for (i, v) in sorted.iter().enumerate() {
        cumulative += v;
        if cumulative >= target {
            return Ok(i + 1);
        }
    }
    Ok(sorted.len())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::assert_rel;
    use super::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn lorenz_matches_published_points() {
        // Deliberately unsorted input: the curve ranks units largest first.
        let points = lorenz_curve(&[30.0, 10.0, 40.0, 20.0]).unwrap();
        let expected = [(0.0, 0.0), (0.25, 0.4), (0.5, 0.7), (0.75, 0.9), (1.0, 1.0)];
        assert_eq!(points.len(), expected.len());
        assert_eq!(
            points[0],
            LorenzPoint {
                unit_share: 0.0,
                value_share: 0.0
            }
        );
        for (p, (x, y)) in points.iter().zip(expected).skip(1) {
            assert_rel(p.unit_share, x, TOL);
            assert_rel(p.value_share, y, TOL);
        }
        assert_eq!(points[4].value_share, 1.0);
    }

    #[test]
    fn gini_matches_published_value() {
        assert_rel(gini(&[10.0, 20.0, 30.0, 40.0]).unwrap(), 0.25, TOL);
        assert_rel(gini(&[40.0, 10.0, 30.0, 20.0]).unwrap(), 0.25, TOL);
    }

    #[test]
    fn gini_extremes() {
        assert!(gini(&[5.0, 5.0, 5.0, 5.0]).unwrap().abs() < 1e-12);
        // All in one of four units: (n - 1)/n.
        assert_rel(gini(&[0.0, 0.0, 0.0, 8.0]).unwrap(), 0.75, TOL);
        assert!(gini(&[7.0]).unwrap().abs() < 1e-12);
    }

    #[test]
    fn top_share_and_units_for_half() {
        let v = [10.0, 20.0, 30.0, 40.0];
        assert_rel(top_n_share(&v, 1).unwrap(), 0.4, TOL);
        assert_rel(top_n_share(&v, 2).unwrap(), 0.7, TOL);
        assert_rel(top_n_share(&v, 10).unwrap(), 1.0, TOL);
        assert_eq!(top_n_share(&v, 0).unwrap(), 0.0);
        assert_eq!(units_for_share(&v, 0.5).unwrap(), 2);
        assert_eq!(units_for_share(&v, 0.4).unwrap(), 1);
        // 0.1 + 0.2 + 0.4 style rounding must not push an exact hit to the next unit.
        assert_eq!(units_for_share(&v, 0.7).unwrap(), 2);
        assert_eq!(units_for_share(&v, 1.0).unwrap(), 4);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(gini(&[]), Err(StatsError::EmptyInput));
        assert_eq!(gini(&[0.0, 0.0]), Err(StatsError::ZeroTotal));
        assert_eq!(
            lorenz_curve(&[1.0, -2.0]),
            Err(StatsError::InvalidValue {
                index: 1,
                value: -2.0
            })
        );
        assert!(matches!(
            top_n_share(&[1.0, f64::NAN], 1),
            Err(StatsError::InvalidValue { index: 1, .. })
        ));
        assert_eq!(
            units_for_share(&[1.0], 0.0),
            Err(StatsError::InvalidShare(0.0))
        );
        assert_eq!(
            units_for_share(&[1.0], 1.5),
            Err(StatsError::InvalidShare(1.5))
        );
    }
}
