//! Change between two periods of equal length. Raw percentage changes on small counts are mostly noise, so
//! the change is only called significant when an exact conditional test says so: given the total
//! x_prev + x_curr, x_curr is Binomial(total, e/(1 + e)) under "no change in rate", where e is the exposure of
//! the current period relative to the previous one (1 for equal periods and populations).

use serde::Serialize;
use statrs::distribution::{Binomial, Discrete, DiscreteCDF};

use super::{Result, StatsError, alpha_for, check_alpha, clopper_pearson};

/// Relative tolerance for "as or less likely than observed", as in R's `binom.test`, so that outcomes whose
/// probabilities are equal in exact arithmetic are not split by rounding.
const TIE_TOLERANCE: f64 = 1e-7;

/// Settings for [`period_change_with`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChangeOptions {
    /// Exposure of the current period divided by that of the previous one (population or days); 1 for equal.
    pub exposure_ratio: f64,
    /// Confidence level of the ratio's interval.
    pub confidence: f64,
    /// Significance level for the exact test.
    pub alpha: f64,
}

impl Default for ChangeOptions {
    fn default() -> Self {
        ChangeOptions {
            exposure_ratio: 1.0,
            confidence: 0.95,
            alpha: 0.05,
        }
    }
}

/// Period-on-period change with an exact test and an interval on the rate ratio (current / previous).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodChange {
    pub previous: u64,
    pub current: u64,
    pub exposure_ratio: f64,
    /// 100 * (ratio - 1); `None` when the previous count is 0.
    pub percent_change: Option<f64>,
    /// (current / previous) / exposure_ratio; `None` when the previous count is 0.
    pub ratio: Option<f64>,
    /// Clopper-Pearson lower limit on the ratio; 0 when the current count is 0.
    pub lower: f64,
    /// Clopper-Pearson upper limit on the ratio; `None` when unbounded (previous count 0).
    pub upper: Option<f64>,
    /// Two-sided exact binomial p-value (sum of probabilities of outcomes no more likely than observed).
    pub p_value: f64,
    pub alpha: f64,
    /// `p_value <= alpha`.
    pub significant: bool,
    /// Always "Exact conditional".
    pub method: &'static str,
    pub confidence: f64,
}

/// Change between two equal periods with equal exposure; significance at alpha = 1 - confidence.
pub fn period_change(x_prev: u64, x_curr: u64, confidence: f64) -> Result<PeriodChange> {
    let alpha = alpha_for(confidence)?;
    period_change_with(
        x_prev,
        x_curr,
        &ChangeOptions {
            exposure_ratio: 1.0,
            confidence,
            alpha,
        },
    )
}

/// Change between two periods with a given exposure ratio, confidence and significance level.
///
/// The interval is Clopper-Pearson on x_curr out of the total, mapped to the ratio scale. The p-value uses the
/// "minimum likelihood" two-sided definition (R `binom.test`): the sum of the probabilities of every outcome
/// no more likely than the observed one. The two are not exact duals, so in rare borderline cases the
/// interval can just include 1 while the test is significant; `significant` follows the test.
/// Totals above [`MAX_EXACT_TOTAL`](super::MAX_EXACT_TOTAL) with both counts positive are refused with
/// `CountTooLarge`.
pub fn period_change_with(
    x_prev: u64,
    x_curr: u64,
    options: &ChangeOptions,
) -> Result<PeriodChange> {
    let ChangeOptions {
        exposure_ratio: e,
        confidence,
        alpha,
    } = *options;
    alpha_for(confidence)?;
    check_alpha(alpha)?;
    if !(e.is_finite() && e > 0.0) {
        return Err(StatsError::InvalidExposure(e));
    }
    let total = x_prev
        .checked_add(x_curr)
        .ok_or(StatsError::CountOverflow)?;
    let (p_lo, p_hi) = clopper_pearson(x_curr, total, confidence)?;
    let to_ratio = |p: f64| p / (1.0 - p) / e;
    let ratio = (x_prev > 0).then(|| (x_curr as f64 / x_prev as f64) / e);
    let p0 = e / (1.0 + e);
    let p_value = binomial_two_sided_p(x_curr, total, p0)?;
    Ok(PeriodChange {
        previous: x_prev,
        current: x_curr,
        exposure_ratio: e,
        percent_change: ratio.map(|r| 100.0 * (r - 1.0)),
        ratio,
        lower: to_ratio(p_lo),
        upper: (p_hi < 1.0).then(|| to_ratio(p_hi)),
        p_value,
        alpha,
        significant: p_value <= alpha,
        method: "Exact conditional",
        confidence,
    })
}

/// Two-sided exact binomial test of x successes in n trials against p0, summing the probabilities of all
/// outcomes with probability <= P(X = x) (times 1 + 1e-7). The pmf is unimodal, so the far tail's boundary is
/// found by bisection and the sum is taken from the CDF, keeping the cost logarithmic in n.
fn binomial_two_sided_p(x: u64, n: u64, p0: f64) -> Result<f64> {
    if n == 0 {
        return Ok(1.0);
    }
    let dist = Binomial::new(p0, n).map_err(|e| StatsError::Distribution(e.to_string()))?;
    let threshold = dist.pmf(x) * (1.0 + TIE_TOLERANCE);
    let mean = n as f64 * p0;
    let xf = x as f64;
    let p = if xf == mean {
        1.0
    } else if xf < mean {
        // The pmf is non-increasing on [ceil(mean), n]; find the first point at or below the threshold.
        let start = (mean.ceil() as u64).min(n);
        let far_tail = if dist.pmf(n) > threshold {
            0.0
        } else {
            let (mut lo, mut hi) = (start, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if dist.pmf(mid) <= threshold {
                    hi = mid
                } else {
                    lo = mid + 1
                }
            }
            // P(X >= lo); lo > x >= 0 so lo - 1 does not underflow.
            dist.sf(lo - 1)
        };
        dist.cdf(x) + far_tail
    } else {
        // The pmf is non-decreasing on [0, floor(mean)]; find the last point at or below the threshold.
        let end = (mean.floor() as u64).min(n);
        let far_tail = if dist.pmf(0) > threshold {
            0.0
        } else {
            let (mut lo, mut hi) = (0, end);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if dist.pmf(mid) <= threshold {
                    lo = mid
                } else {
                    hi = mid - 1
                }
            }
            dist.cdf(lo)
        };
        // P(X >= x); x > mean >= 0 so x - 1 does not underflow.
        far_tail + dist.sf(x - 1)
    };
    Ok(p.min(1.0))
}

#[cfg(test)]
// Reference literals are kept exactly as published, even beyond f64 precision.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::super::MAX_EXACT_TOTAL;
    use super::super::test_util::{assert_rel, assert_rel_some};
    use super::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn increase_not_significant_on_small_counts() {
        // 3 -> 7: binom.test(7, 10) p = 2 * 176/1024; Clopper-Pearson (0.3475..., 0.9332...) as odds.
        let c = period_change(3, 7, 0.95).unwrap();
        assert_rel_some(c.percent_change, 100.0 * (7.0 / 3.0 - 1.0), TOL);
        assert_rel_some(c.ratio, 7.0 / 3.0, TOL);
        assert_rel(c.p_value, 0.34375, TOL);
        assert_rel(c.lower, 0.53267780178758290, TOL);
        assert_rel_some(c.upper, 13.983627874302114, TOL);
        assert!(!c.significant);
        assert_eq!(c.method, "Exact conditional");
    }

    #[test]
    fn tripling_is_significant() {
        // 5 -> 15: p = 2 * 21700 / 2^20.
        let c = period_change(5, 15, 0.95).unwrap();
        assert_rel(c.p_value, 0.04138946533203125, TOL);
        assert_rel(c.lower, 1.0364696204894187, TOL);
        assert_rel_some(c.upper, 10.551149707628436, TOL);
        assert!(c.significant);
        // Symmetric decrease gives the same p-value.
        let d = period_change(15, 5, 0.95).unwrap();
        assert_rel(d.p_value, 0.04138946533203125, TOL);
        assert_rel_some(d.percent_change, -100.0 * 2.0 / 3.0, TOL);
    }

    #[test]
    fn large_counts_stay_accurate() {
        // 4700 -> 5300: two-sided p = 2 P(X >= 5300 | 10000, 0.5); Clopper-Pearson on 5300/10000 as odds.
        // References by direct binomial summation in mpmath (30 digits).
        let c = period_change(4700, 5300, 0.95).unwrap();
        assert_rel(c.p_value, 2.0760336959207248e-9, TOL);
        assert_rel(c.lower, 1.0840292746588391, TOL);
        assert_rel_some(c.upper, 1.1730732350247513, TOL);
        assert!(c.significant);
    }

    #[test]
    fn totals_beyond_the_exact_limit_are_refused() {
        assert_eq!(
            period_change(5_000_000, 5_000_001, 0.95),
            Err(StatsError::CountTooLarge {
                total: 10_000_001,
                max: MAX_EXACT_TOTAL
            })
        );
        // A zero count has a closed-form interval, so it works at any size.
        let c = period_change(0, 20_000_000, 0.95).unwrap();
        assert_eq!(c.upper, None);
        assert!(c.p_value < 1e-300);
    }

    #[test]
    fn unequal_exposure() {
        // Exposure doubles: under no change, 12 | 16 ~ Binomial(16, 2/3). Values from mpmath.
        let opts = ChangeOptions {
            exposure_ratio: 2.0,
            ..ChangeOptions::default()
        };
        let c = period_change_with(4, 12, &opts).unwrap();
        assert_rel_some(c.ratio, 1.5, TOL);
        assert_rel_some(c.percent_change, 50.0, TOL);
        assert_rel(c.p_value, 0.60169193839409975, TOL);
        assert_rel(c.lower, 0.45461599044245771, TOL);
        assert_rel_some(c.upper, 6.3811722327396601, TOL);
        // Observation below the expected value takes the other branch.
        let c = period_change_with(13, 3, &opts).unwrap();
        assert_rel(c.p_value, 0.00011599025161521594, TOL);
        assert!(c.significant);
    }

    #[test]
    fn zero_counts() {
        // 8 -> 0: p = 2 / 2^8.
        let c = period_change(8, 0, 0.95).unwrap();
        assert_rel(c.p_value, 0.0078125, TOL);
        assert_rel_some(c.percent_change, -100.0, TOL);
        assert_eq!(c.lower, 0.0);
        assert!(c.significant);
        // 0 -> 8: ratio undefined, upper unbounded, still significant.
        let c = period_change(0, 8, 0.95).unwrap();
        assert_eq!(c.ratio, None);
        assert_eq!(c.percent_change, None);
        assert_eq!(c.upper, None);
        assert_rel(c.p_value, 0.0078125, TOL);
        // 0 -> 0: no information.
        let c = period_change(0, 0, 0.95).unwrap();
        assert_eq!(c.p_value, 1.0);
        assert_eq!(c.ratio, None);
        assert!(!c.significant);
    }

    #[test]
    fn no_change_has_p_one() {
        let c = period_change(20, 20, 0.95).unwrap();
        assert_eq!(c.p_value, 1.0);
        assert_eq!(c.percent_change, Some(0.0));
        assert!(!c.significant);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let bad_e = ChangeOptions {
            exposure_ratio: 0.0,
            ..ChangeOptions::default()
        };
        assert_eq!(
            period_change_with(1, 2, &bad_e),
            Err(StatsError::InvalidExposure(0.0))
        );
        let bad_alpha = ChangeOptions {
            alpha: 1.0,
            ..ChangeOptions::default()
        };
        assert_eq!(
            period_change_with(1, 2, &bad_alpha),
            Err(StatsError::InvalidAlpha(1.0))
        );
        assert!(matches!(
            period_change(1, 2, 2.0),
            Err(StatsError::InvalidConfidence(_))
        ));
        assert_eq!(
            period_change(u64::MAX, 1, 0.95),
            Err(StatsError::CountOverflow)
        );
    }
}
