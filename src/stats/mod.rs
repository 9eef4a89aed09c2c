//! Pure statistical building blocks for the needs assessment: Poisson rates with Byar's/exact intervals,
//! Wilson proportions, rate ratios, period-on-period change, concentration (Lorenz/Gini), Getis-Ord Gi*
//! hotspot scores and multiple-testing adjustment. Methods follow the public-health conventions used for
//! Fingertips indicators (PHEindicatormethods) so that figures agree with what public-health colleagues
//! publish; see `shared/domain/statistics.md` for the formulas and the reference values the tests reproduce.
//! Every function works on plain numbers, performs no I/O, never panics and reports invalid input through
//! [`StatsError`]; interval results name the `method` and `confidence` they used so tables can print them.

pub mod change;
pub mod concentration;
pub mod getis_ord;
pub mod multiple_testing;
pub mod rate_ratio;
pub mod rates;
pub mod recoverable;
pub mod suppression;
pub mod wilson;

pub use change::{ChangeOptions, PeriodChange, period_change, period_change_with};
pub use concentration::{LorenzPoint, gini, lorenz_curve, top_n_share, units_for_share};
pub use getis_ord::{GiStar, distance_band_neighbours, getis_ord_gi_star};
pub use multiple_testing::{
    PAdjustMethod, adjust_p_values, benjamini_hochberg, bonferroni, holm, significant_at,
};
pub use rate_ratio::{RateRatio, RateRatioMethod, rate_ratio};
pub use rates::{
    CountInterval, DEFAULT_EXACT_BELOW, RateEstimate, RateMethod, RateOptions, crude_rate,
    crude_rate_with, poisson_count_interval, poisson_count_interval_with,
};
pub use wilson::{ProportionEstimate, wilson_interval};

use statrs::distribution::{Beta, ContinuousCDF, Normal};

/// Why a statistic could not be computed. Callers turn these into user-facing messages, so each variant
/// carries the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Confidence levels must lie strictly between 0 and 1 (0.95, not 95).
    #[error("confidence level must be strictly between 0 and 1, got {0}")]
    InvalidConfidence(f64),
    /// Significance levels must lie strictly between 0 and 1.
    #[error("significance level (alpha) must be strictly between 0 and 1, got {0}")]
    InvalidAlpha(f64),
    /// Rates and ratios need a finite, positive denominator (population or exposure).
    #[error("denominator must be finite and greater than 0, got {0}")]
    InvalidDenominator(f64),
    /// A proportion's numerator cannot exceed its denominator.
    #[error("numerator {numerator} exceeds denominator {denominator}")]
    NumeratorExceedsDenominator { numerator: u64, denominator: u64 },
    /// Rate multipliers (per 1,000, per 100,000) must be finite and positive.
    #[error("multiplier must be finite and greater than 0, got {0}")]
    InvalidMultiplier(f64),
    /// Exposure ratios between periods must be finite and positive.
    #[error("exposure ratio must be finite and greater than 0, got {0}")]
    InvalidExposure(f64),
    /// A statistic that needs at least one value was given none.
    #[error("no values supplied")]
    EmptyInput,
    /// Too few units for the statistic to be defined (e.g. Gi* needs n >= 2).
    #[error("at least {required} units are required, got {got}")]
    TooFewUnits { required: usize, got: usize },
    /// Counts used for concentration must be finite and non-negative.
    #[error("value at index {index} must be finite and non-negative, got {value}")]
    InvalidValue { index: usize, value: f64 },
    /// Values used for hotspot scores must be finite.
    #[error("value at index {index} is not finite: {value}")]
    NonFiniteValue { index: usize, value: f64 },
    /// Shares of a total cannot be computed when the total is zero.
    #[error("values sum to zero, so shares are undefined")]
    ZeroTotal,
    /// Target shares must lie in (0, 1].
    #[error("share must be in (0, 1], got {0}")]
    InvalidShare(f64),
    /// The neighbour list must have one entry per value.
    #[error("{values} values but {neighbours} neighbour lists")]
    LengthMismatch { values: usize, neighbours: usize },
    /// A neighbour index points outside the value list.
    #[error("unit {unit} lists neighbour {neighbour}, but there are only {len} units")]
    NeighbourOutOfRange {
        unit: usize,
        neighbour: usize,
        len: usize,
    },
    /// A distance band must be finite and non-negative.
    #[error("distance threshold must be finite and non-negative, got {0}")]
    InvalidDistance(f64),
    /// P-values must be in [0, 1].
    #[error("p-value at index {index} must be in [0, 1], got {value}")]
    InvalidPValue { index: usize, value: f64 },
    /// Two counts are too large to add.
    #[error("counts are too large to add")]
    CountOverflow,
    /// A total too large for the exact methods (see [`MAX_EXACT_TOTAL`]).
    #[error("total {total} exceeds {max}, the largest the exact conditional methods support")]
    CountTooLarge { total: u64, max: u64 },
    /// A statrs distribution rejected its parameters; validation above should make this unreachable.
    #[error("distribution error: {0}")]
    Distribution(String),
}

/// Result alias used throughout the stats module.
pub type Result<T> = std::result::Result<T, StatsError>;

/// Two-sided standard normal critical value for a confidence level, e.g. 0.95 -> 1.959963984540054.
/// Shared by every interval so all of them agree on z.
pub fn z_for_confidence(confidence: f64) -> Result<f64> {
    let alpha = alpha_for(confidence)?;
    Ok(Normal::standard().inverse_cdf(1.0 - alpha / 2.0))
}

/// Validates a confidence level and returns the matching two-sided alpha.
pub(crate) fn alpha_for(confidence: f64) -> Result<f64> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        Ok(1.0 - confidence)
    } else {
        Err(StatsError::InvalidConfidence(confidence))
    }
}

/// Validates a significance level.
pub(crate) fn check_alpha(alpha: f64) -> Result<f64> {
    if alpha.is_finite() && alpha > 0.0 && alpha < 1.0 {
        Ok(alpha)
    } else {
        Err(StatsError::InvalidAlpha(alpha))
    }
}

/// Largest total for which the exact conditional methods run. statrs's Beta quantile stops terminating once a
/// shape parameter reaches about 1e7 (tested: 3e6 fine, 1e7 hangs), and its accuracy is about 1e-8 at 1e6.
/// Counts of this size never arise in a local needs assessment, so larger totals are refused, not guessed.
pub const MAX_EXACT_TOTAL: u64 = 1_000_000;

/// Clopper-Pearson (exact binomial) interval for x successes out of n, via Beta quantiles.
/// Shared by the rate-ratio and period-change code, which both condition on the total count.
/// At x = 0 and x = n the Beta quantiles have closed forms, 1 - (alpha/2)^(1/n) and (alpha/2)^(1/n), which are
/// used directly: they are exact for any n. With n = 0 there is no information and the interval is [0, 1].
pub(crate) fn clopper_pearson(x: u64, n: u64, confidence: f64) -> Result<(f64, f64)> {
    let alpha = alpha_for(confidence)?;
    if x > n {
        return Err(StatsError::NumeratorExceedsDenominator {
            numerator: x,
            denominator: n,
        });
    }
    if n == 0 {
        return Ok((0.0, 1.0));
    }
    let (xf, nf) = (x as f64, n as f64);
    // ln(alpha/2)/n: the log of the one-sided tail shared by the closed forms.
    let log_tail = (alpha / 2.0).ln() / nf;
    if x == 0 {
        return Ok((0.0, -log_tail.exp_m1()));
    }
    if x == n {
        return Ok((log_tail.exp(), 1.0));
    }
    if n > MAX_EXACT_TOTAL {
        return Err(StatsError::CountTooLarge {
            total: n,
            max: MAX_EXACT_TOTAL,
        });
    }
    let beta =
        |a: f64, b: f64| Beta::new(a, b).map_err(|e| StatsError::Distribution(e.to_string()));
    let lower = beta(xf, nf - xf + 1.0)?.inverse_cdf(alpha / 2.0);
    let upper = beta(xf + 1.0, nf - xf)?.inverse_cdf(1.0 - alpha / 2.0);
    Ok((lower, upper))
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Relative-tolerance comparison against a published literal.
    pub fn assert_rel(actual: f64, expected: f64, tol: f64) {
        let scale = expected.abs().max(f64::MIN_POSITIVE);
        let rel = (actual - expected).abs() / scale;
        assert!(
            rel <= tol,
            "actual {actual:.17} expected {expected:.17} (relative error {rel:e} > {tol:e})"
        );
    }

    /// As [`assert_rel`] for an optional value that must be present.
    pub fn assert_rel_some(actual: Option<f64>, expected: f64, tol: f64) {
        match actual {
            Some(a) => assert_rel(a, expected, tol),
            None => panic!("expected Some({expected}), got None"),
        }
    }
}

#[cfg(test)]
// Reference literals are kept exactly as published, even beyond f64 precision.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::test_util::assert_rel;
    use super::*;

    #[test]
    fn z_matches_published_constants() {
        assert_rel(z_for_confidence(0.95).unwrap(), 1.959963984540054, 1e-12);
        assert_rel(z_for_confidence(0.998).unwrap(), 3.090232306167813, 1e-12);
        // mpmath: sqrt(2) * erfinv(0.90)
        assert_rel(z_for_confidence(0.90).unwrap(), 1.6448536269514727, 1e-12);
    }

    #[test]
    fn z_rejects_bad_confidence() {
        for c in [0.0, 1.0, -0.5, 95.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(z_for_confidence(c), Err(StatsError::InvalidConfidence(_))),
                "{c}"
            );
        }
    }

    #[test]
    fn clopper_pearson_matches_reference() {
        // R binom.test(7, 10)$conf.int; mpmath to 17 digits.
        let (lo, hi) = clopper_pearson(7, 10, 0.95).unwrap();
        assert_rel(lo, 0.34754714994000276, 1e-9);
        assert_rel(hi, 0.93326048882226551, 1e-9);
        assert_eq!(clopper_pearson(0, 0, 0.95).unwrap(), (0.0, 1.0));
        // Closed forms at the ends: 1 - 0.025^(1/12) and 0.025^(1/5), mpmath.
        let (lo, hi) = clopper_pearson(0, 12, 0.95).unwrap();
        assert_eq!(lo, 0.0);
        assert_rel(hi, 0.26464846939705125, 1e-12);
        let (lo, hi) = clopper_pearson(5, 5, 0.95).unwrap();
        assert_rel(lo, 0.47817624989501849, 1e-12);
        assert_eq!(hi, 1.0);
        // Large totals stay exact at the ends and are refused in between rather than hanging.
        assert!(clopper_pearson(0, u64::MAX, 0.95).unwrap().1 > 0.0);
        assert_eq!(
            clopper_pearson(10, 10_000_000, 0.95),
            Err(StatsError::CountTooLarge {
                total: 10_000_000,
                max: MAX_EXACT_TOTAL
            })
        );
        assert!(clopper_pearson(3, 2, 0.95).is_err());
    }
}

/// Sweeps awkward inputs through every public function: none may panic, and every Ok result must be
/// internally consistent. Deterministic so it needs no dev-dependency.
#[cfg(test)]
mod robustness {
    use super::*;

    const COUNTS: [u64; 10] = [
        0,
        1,
        2,
        9,
        10,
        11,
        1000,
        1_000_000_000,
        u64::MAX / 2,
        u64::MAX,
    ];
    const DENOMS: [f64; 9] = [
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        1e-300,
        0.5,
        100.0,
        1e12,
        1e300,
    ];
    const CONFS: [f64; 9] = [
        f64::NAN,
        -1.0,
        0.0,
        1e-12,
        0.5,
        0.95,
        0.999_999_999,
        1.0,
        2.0,
    ];

    #[test]
    fn rates_and_proportions_never_panic() {
        for x in COUNTS {
            for conf in CONFS {
                if let Ok(ci) = poisson_count_interval(x, conf) {
                    assert!(ci.upper >= x as f64, "x {x} conf {conf}: {ci:?}");
                    assert!(
                        ci.lower.is_none_or(|l| l <= x as f64),
                        "x {x} conf {conf}: {ci:?}"
                    );
                }
                for n in DENOMS {
                    if let Ok(r) = crude_rate(x, n, 1000.0, conf) {
                        assert!(
                            r.lower.is_none_or(|l| l <= r.rate) && r.rate <= r.upper,
                            "{r:?}"
                        );
                    }
                }
                for n in COUNTS {
                    if let Ok(p) = wilson_interval(x, n, conf) {
                        assert!(0.0 <= p.lower && p.lower <= p.proportion, "{p:?}");
                        assert!(p.proportion <= p.upper && p.upper <= 1.0, "{p:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn ratios_and_changes_never_panic() {
        for x1 in COUNTS {
            for x2 in COUNTS {
                for conf in [f64::NAN, 0.95] {
                    for n in [0.0, 1e-300, 100.0, 1e300] {
                        if let Ok(r) = rate_ratio(x1, n, x2, 100.0, conf) {
                            assert!(r.lower >= 0.0 || r.lower.is_nan(), "{r:?}");
                        }
                    }
                    for e in [f64::NAN, 0.0, 1.0, 1e9] {
                        let opts = ChangeOptions {
                            exposure_ratio: e,
                            confidence: conf,
                            alpha: 0.05,
                        };
                        if let Ok(c) = period_change_with(x1, x2, &opts) {
                            assert!((0.0..=1.0).contains(&c.p_value), "{c:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn collections_never_panic() {
        let sets: [&[f64]; 6] = [
            &[],
            &[0.0],
            &[f64::NAN, 1.0],
            &[1.0, f64::INFINITY],
            &[3.0, 3.0],
            &[1e300, 1e300, 0.0],
        ];
        for values in sets {
            let _ = lorenz_curve(values);
            if let Ok(g) = gini(values) {
                assert!((-1e-12..1.0).contains(&g), "{values:?}: {g}");
            }
            let _ = top_n_share(values, usize::MAX);
            let _ = units_for_share(values, 0.5);
            let nb: Vec<Vec<usize>> = (0..values.len())
                .map(|i| vec![i, (i + 1) % values.len()])
                .collect();
            let _ = getis_ord_gi_star(values, &nb);
            for method in [
                PAdjustMethod::BenjaminiHochberg,
                PAdjustMethod::Holm,
                PAdjustMethod::Bonferroni,
            ] {
                if let Ok(adj) = adjust_p_values(values, method) {
                    assert!(adj.iter().zip(values).all(|(a, p)| a >= p && *a <= 1.0));
                }
            }
        }
    }
}
