//! Multiple-testing adjustment. Hotspot maps test every ward at once, so unadjusted p-values would flag
//! about one ward in twenty by chance; Benjamini-Hochberg (false discovery rate) is the default, with Holm and
//! Bonferroni (family-wise error) available. Adjusted p-values are returned in the input order, as R's
//! `p.adjust` does, and a test is significant when its adjusted p-value is <= alpha.

use serde::Serialize;

use super::{Result, StatsError, check_alpha};

/// Adjustment method; named in the output so readers know which error rate is controlled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum PAdjustMethod {
    /// False discovery rate (step-up).
    #[default]
    #[serde(rename = "Benjamini-Hochberg")]
    BenjaminiHochberg,
    /// Family-wise error rate, step-down; uniformly more powerful than Bonferroni.
    #[serde(rename = "Holm")]
    Holm,
    /// Family-wise error rate, single step.
    #[serde(rename = "Bonferroni")]
    Bonferroni,
}

impl PAdjustMethod {
    /// The label used in output tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PAdjustMethod::BenjaminiHochberg => "Benjamini-Hochberg",
            PAdjustMethod::Holm => "Holm",
            PAdjustMethod::Bonferroni => "Bonferroni",
        }
    }
}

/// Rejects anything that is not a probability, since an adjusted NaN would silently hide a hotspot.
fn validate(p: &[f64]) -> Result<()> {
    match p
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        Some((index, &value)) => Err(StatsError::InvalidPValue { index, value }),
        None => Ok(()),
    }
}

/// Indices of `p` in ascending order of p-value (ties keep input order).
fn ascending_order(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Adjusted p-values by the chosen method, in input order. Empty input gives empty output.
pub fn adjust_p_values(p: &[f64], method: PAdjustMethod) -> Result<Vec<f64>> {
    match method {
        PAdjustMethod::BenjaminiHochberg => benjamini_hochberg(p),
        PAdjustMethod::Holm => holm(p),
        PAdjustMethod::Bonferroni => bonferroni(p),
    }
}

/// Benjamini-Hochberg: p_(k) * m / k, made monotone by a running minimum from the largest p down, capped
/// at 1.
pub fn benjamini_hochberg(p: &[f64]) -> Result<Vec<f64>> {
    validate(p)?;
    let m = p.len() as f64;
    let mut adjusted = vec![0.0; p.len()];
    let mut running_min = 1.0_f64;
    for (rank0, &i) in ascending_order(p).iter().enumerate().rev() {
        running_min = running_min.min(p[i] * m / (rank0 + 1) as f64);
        adjusted[i] = running_min;
    }
    Ok(adjusted)
}

/// Holm: p_(k) * (m - k + 1), made monotone by a running maximum from the smallest p up, capped at 1.
pub fn holm(p: &[f64]) -> Result<Vec<f64>> {
    validate(p)?;
    let m = p.len();
    let mut adjusted = vec![0.0; m];
    let mut running_max = 0.0_f64;
    for (rank0, &i) in ascending_order(p).iter().enumerate() {
        running_max = running_max.max(p[i] * (m - rank0) as f64);
        adjusted[i] = running_max.min(1.0);
    }
    Ok(adjusted)
}

/// Bonferroni: p * m, capped at 1.
pub fn bonferroni(p: &[f64]) -> Result<Vec<f64>> {
    validate(p)?;
    let m = p.len() as f64;
    Ok(p.iter().map(|v| (v * m).min(1.0)).collect())
}

/// Which adjusted p-values are significant at `alpha` (adjusted p <= alpha).
pub fn significant_at(adjusted: &[f64], alpha: f64) -> Result<Vec<bool>> {
    let alpha = check_alpha(alpha)?;
    validate(adjusted)?;
    Ok(adjusted.iter().map(|p| *p <= alpha).collect())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::assert_rel;
    use super::*;

    const P: [f64; 4] = [0.01, 0.04, 0.03, 0.045];
    const TOL: f64 = 1e-9;

    fn assert_all_rel(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert_rel(*a, *e, TOL);
        }
    }

    #[test]
    fn benjamini_hochberg_published_example() {
        // Sorted 0.01, 0.03, 0.04, 0.045 -> 0.04, 0.06, 0.0533, 0.045 -> running min from the top.
        let adj = benjamini_hochberg(&P).unwrap();
        assert_all_rel(&adj, &[0.04, 0.045, 0.045, 0.045]);
        assert_eq!(
            significant_at(&adj, 0.05).unwrap(),
            vec![true, true, true, true]
        );
    }

    #[test]
    fn holm_published_example() {
        // Sorted 0.01*4, 0.03*3, 0.04*2, 0.045*1 -> running max 0.04, 0.09, 0.09, 0.09.
        let adj = holm(&P).unwrap();
        assert_all_rel(&adj, &[0.04, 0.09, 0.09, 0.09]);
        assert_eq!(
            significant_at(&adj, 0.05).unwrap(),
            vec![true, false, false, false]
        );
    }

    #[test]
    fn bonferroni_published_example() {
        let adj = bonferroni(&P).unwrap();
        assert_all_rel(&adj, &[0.04, 0.16, 0.12, 0.18]);
        assert_eq!(
            significant_at(&adj, 0.05).unwrap(),
            vec![true, false, false, false]
        );
    }

    #[test]
    fn dispatch_and_default() {
        assert_eq!(PAdjustMethod::default(), PAdjustMethod::BenjaminiHochberg);
        assert_eq!(PAdjustMethod::default().as_str(), "Benjamini-Hochberg");
        assert_all_rel(
            &adjust_p_values(&P, PAdjustMethod::Holm).unwrap(),
            &[0.04, 0.09, 0.09, 0.09],
        );
        assert_all_rel(
            &adjust_p_values(&P, PAdjustMethod::BenjaminiHochberg).unwrap(),
            &[0.04, 0.045, 0.045, 0.045],
        );
        assert_all_rel(
            &adjust_p_values(&P, PAdjustMethod::Bonferroni).unwrap(),
            &[0.04, 0.16, 0.12, 0.18],
        );
    }

    #[test]
    fn capped_at_one_and_monotone() {
        let p = [0.5, 0.9, 0.8];
        assert_eq!(bonferroni(&p).unwrap(), vec![1.0, 1.0, 1.0]);
        assert_eq!(holm(&p).unwrap(), vec![1.0, 1.0, 1.0]);
        // BH: 0.5*3/1 = 1.5, 0.8*3/2 = 1.2, 0.9*3/3 = 0.9 -> min from top: 0.9 everywhere.
        assert_all_rel(&benjamini_hochberg(&p).unwrap(), &[0.9, 0.9, 0.9]);
    }

    #[test]
    fn empty_and_invalid() {
        assert_eq!(benjamini_hochberg(&[]).unwrap(), Vec::<f64>::new());
        assert_eq!(
            holm(&[0.1, 1.2]),
            Err(StatsError::InvalidPValue {
                index: 1,
                value: 1.2
            })
        );
        assert!(matches!(
            bonferroni(&[f64::NAN]),
            Err(StatsError::InvalidPValue { index: 0, .. })
        ));
        assert_eq!(
            significant_at(&[0.1], 0.0),
            Err(StatsError::InvalidAlpha(0.0))
        );
    }
}
