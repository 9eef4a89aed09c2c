//! Proportions with the Wilson score interval (PHEindicatormethods `Wilson.R`), which stays inside [0, 1]
//! and behaves well for small numerators, unlike the Wald interval.

use serde::Serialize;

use super::{Result, StatsError, z_for_confidence};

/// A proportion x/n with its Wilson score interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProportionEstimate {
    pub numerator: u64,
    pub denominator: u64,
    pub proportion: f64,
    pub lower: f64,
    pub upper: f64,
    /// Always "Wilson"; carried so tables can print the method.
    pub method: &'static str,
    pub confidence: f64,
}

/// Wilson score interval: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)).
/// Limits are clamped to [0, 1] so rounding cannot leak outside.
pub fn wilson_interval(x: u64, n: u64, confidence: f64) -> Result<ProportionEstimate> {
    let z = z_for_confidence(confidence)?;
    if n == 0 {
        return Err(StatsError::InvalidDenominator(0.0));
    }
    if x > n {
        return Err(StatsError::NumeratorExceedsDenominator {
            numerator: x,
            denominator: n,
        });
    }
    let (xf, nf) = (x as f64, n as f64);
    let z2 = z * z;
    let half_width = z * (z2 + 4.0 * xf * (1.0 - xf / nf)).sqrt();
    let denom = 2.0 * (nf + z2);
    // At x = 0 and x = n the limits are exactly 0 and 1; rounding would otherwise give 1e-17 or 0.99999...
    let lower = if x == 0 {
        0.0
    } else {
        ((2.0 * xf + z2 - half_width) / denom).clamp(0.0, 1.0)
    };
    let upper = if x == n {
        1.0
    } else {
        ((2.0 * xf + z2 + half_width) / denom).clamp(0.0, 1.0)
    };
    Ok(ProportionEstimate {
        numerator: x,
        denominator: n,
        proportion: xf / nf,
        lower,
        upper,
        method: "Wilson",
        confidence,
    })
}

#[cfg(test)]
// Reference literals are kept exactly as published, even beyond f64 precision.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::super::test_util::assert_rel;
    use super::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn matches_published_values() {
        let cases = [
            (65, 100, 0.95, 0.55254443296887967, 0.73635751756902468),
            (1045, 5000, 0.95, 0.19795549880013297, 0.22049130373189027),
            (65, 100, 0.998, 0.49549465740704313, 0.77835406140896968),
        ];
        for (x, n, conf, lower, upper) in cases {
            let p = wilson_interval(x, n, conf).unwrap();
            assert_rel(p.lower, lower, TOL);
            assert_rel(p.upper, upper, TOL);
            assert_eq!(p.method, "Wilson");
            assert_eq!(p.confidence, conf);
        }
        assert_rel(
            wilson_interval(65, 100, 0.95).unwrap().proportion,
            0.65,
            TOL,
        );
    }

    #[test]
    fn zero_numerator_and_full_proportion() {
        let p = wilson_interval(0, 20, 0.95).unwrap();
        assert_eq!(p.lower, 0.0);
        // z^2 / (n + z^2) with z = 1.959963984540054, n = 20.
        assert_rel(p.upper, 0.16112515805281939, TOL);
        let p = wilson_interval(20, 20, 0.95).unwrap();
        assert_eq!(p.upper, 1.0);
        assert_rel(p.lower, 1.0 - 0.16112515805281939, TOL);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            wilson_interval(0, 0, 0.95),
            Err(StatsError::InvalidDenominator(0.0))
        );
        assert_eq!(
            wilson_interval(6, 5, 0.95),
            Err(StatsError::NumeratorExceedsDenominator {
                numerator: 6,
                denominator: 5
            })
        );
        assert!(matches!(
            wilson_interval(1, 5, 1.5),
            Err(StatsError::InvalidConfidence(_))
        ));
    }
}
