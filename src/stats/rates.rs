//! Crude rates with Poisson confidence intervals, following the PHE/OHID method (PHEindicatormethods
//! `Rates.R`/`Byars.R`): exact Gamma limits for small counts, Byar's approximation from 10 upwards.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Gamma};

use super::{MAX_EXACT_TOTAL, Result, StatsError, alpha_for, z_for_confidence};

/// Counts below this use exact Poisson limits; PHE's default switch point.
pub const DEFAULT_EXACT_BELOW: u64 = 10;

/// Which Poisson interval produced a limit; printed in every rate table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RateMethod {
    /// Byar's approximation (Breslow & Day 1987).
    #[serde(rename = "Byars")]
    Byars,
    /// Exact Poisson limits from Gamma quantiles.
    #[serde(rename = "Exact")]
    Exact,
}

impl RateMethod {
    /// The label used in output tables ("Byars" / "Exact"), matching PHEindicatormethods.
    pub fn as_str(self) -> &'static str {
        match self {
            RateMethod::Byars => "Byars",
            RateMethod::Exact => "Exact",
        }
    }
}

/// Settings for the Poisson interval. Some areas use a different switch point, so it is configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateOptions {
    /// Counts strictly below this use exact limits; counts at or above use Byar's.
    pub exact_below: u64,
}

impl Default for RateOptions {
    fn default() -> Self {
        RateOptions {
            exact_below: DEFAULT_EXACT_BELOW,
        }
    }
}

/// Confidence limits on an observed count, before dividing by the denominator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountInterval {
    /// Lower count limit; `None` when Byar's formula goes negative (reported as missing, as PHE does).
    pub lower: Option<f64>,
    /// Upper count limit.
    pub upper: f64,
    /// Method that produced the limits.
    pub method: RateMethod,
}

/// A crude rate `count / denominator * multiplier` with its confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateEstimate {
    pub count: u64,
    pub denominator: f64,
    pub rate: f64,
    /// `None` when the lower count limit is missing.
    pub lower: Option<f64>,
    pub upper: f64,
    pub method: RateMethod,
    pub confidence: f64,
    pub multiplier: f64,
}

/// Poisson confidence limits for a count with the default switch point (exact below 10, Byar's from 10).
pub fn poisson_count_interval(x: u64, confidence: f64) -> Result<CountInterval> {
    poisson_count_interval_with(x, confidence, &RateOptions::default())
}

/// Poisson confidence limits for a count with a configurable switch point.
/// A count of 0 always uses the exact method because Byar's formula divides by x. Counts above
/// [`MAX_EXACT_TOTAL`] always use Byar's, whatever the switch point: statrs's Gamma quantile slows to a halt for
/// huge shapes and the two methods agree closely there; `method` reports what was used.
pub fn poisson_count_interval_with(
    x: u64,
    confidence: f64,
    options: &RateOptions,
) -> Result<CountInterval> {
    let alpha = alpha_for(confidence)?;
    if x == 0 || (x < options.exact_below && x <= MAX_EXACT_TOTAL) {
        exact_interval(x, alpha)
    } else {
        byars_interval(x, confidence)
    }
}

/// Exact limits: Gamma^-1(alpha/2; x) and Gamma^-1(1 - alpha/2; x + 1), i.e. chi-square quantiles / 2.
fn exact_interval(x: u64, alpha: f64) -> Result<CountInterval> {
    let xf = x as f64;
    let lower = if x == 0 {
        0.0
    } else {
        gamma_quantile(xf, alpha / 2.0)?
    };
    let upper = gamma_quantile(xf + 1.0, 1.0 - alpha / 2.0)?;
    Ok(CountInterval {
        lower: Some(lower),
        upper,
        method: RateMethod::Exact,
    })
}

/// Byar's approximation; cheap and accurate once the count is moderate.
fn byars_interval(x: u64, confidence: f64) -> Result<CountInterval> {
    let z = z_for_confidence(confidence)?;
    let xf = x as f64;
    let lower = xf * (1.0 - 1.0 / (9.0 * xf) - z / (3.0 * xf.sqrt())).powi(3);
    let x1 = xf + 1.0;
    let upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * x1.sqrt())).powi(3);
    let lower = (lower >= 0.0).then_some(lower);
    Ok(CountInterval {
        lower,
        upper,
        method: RateMethod::Byars,
    })
}

/// Quantile of a unit-rate Gamma distribution.
fn gamma_quantile(shape: f64, p: f64) -> Result<f64> {
    let dist = Gamma::new(shape, 1.0).map_err(|e| StatsError::Distribution(e.to_string()))?;
    Ok(dist.inverse_cdf(p))
}

/// Crude rate per `multiplier` with the default Poisson interval.
pub fn crude_rate(x: u64, n: f64, multiplier: f64, confidence: f64) -> Result<RateEstimate> {
    crude_rate_with(x, n, multiplier, confidence, &RateOptions::default())
}

/// Crude rate per `multiplier` with a configurable exact/Byar's switch point.
/// The count may exceed the denominator (repeat victimisation), so only n > 0 is enforced.
pub fn crude_rate_with(
    x: u64,
    n: f64,
    multiplier: f64,
    confidence: f64,
    options: &RateOptions,
) -> Result<RateEstimate> {
    if !(n.is_finite() && n > 0.0) {
        return Err(StatsError::InvalidDenominator(n));
    }
    if !(multiplier.is_finite() && multiplier > 0.0) {
        return Err(StatsError::InvalidMultiplier(multiplier));
    }
    let ci = poisson_count_interval_with(x, confidence, options)?;
    let scale = multiplier / n;
    Ok(RateEstimate {
        count: x,
        denominator: n,
        rate: x as f64 * scale,
        lower: ci.lower.map(|l| l * scale),
        upper: ci.upper * scale,
        method: ci.method,
        confidence,
        multiplier,
    })
}

#[cfg(test)]
// Reference literals are kept exactly as published, even beyond f64 precision.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::super::test_util::{assert_rel, assert_rel_some};
    use super::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn count_limits_match_published_values() {
        let cases = [
            (65, 0.95, 50.163187710459454, 82.849138545939837),
            (1045, 0.95, 982.59320180733255, 1110.3312129856499),
            (65, 0.998, 42.880261471480203, 94.000290844318016),
            (10, 0.998, 2.916318374695686, 24.193724927880535),
        ];
        for (x, conf, lower, upper) in cases {
            let ci = poisson_count_interval(x, conf).unwrap();
            assert_eq!(ci.method, RateMethod::Byars, "x = {x}");
            assert_rel_some(ci.lower, lower, TOL);
            assert_rel(ci.upper, upper, TOL);
        }
    }

    #[test]
    fn rates_per_100k_match_published_values() {
        let cases = [
            (
                1,
                100.0,
                RateMethod::Exact,
                1000.0,
                25.317807984289896,
                5571.6433909388979,
            ),
            (
                5,
                100.0,
                RateMethod::Exact,
                5000.0,
                1623.4863901184199,
                11668.332079322669,
            ),
            (
                222,
                3215.0,
                RateMethod::Byars,
                6905.1321928460338,
                6026.5748776526743,
                7875.7293708718507,
            ),
        ];
        for (x, n, method, rate, lower, upper) in cases {
            let r = crude_rate(x, n, 100_000.0, 0.95).unwrap();
            assert_eq!(r.method, method, "x = {x}");
            assert_rel(r.rate, rate, TOL);
            assert_rel_some(r.lower, lower, TOL);
            assert_rel(r.upper, upper, TOL);
            assert_eq!(r.count, x);
            assert_eq!(r.confidence, 0.95);
            assert_eq!(r.multiplier, 100_000.0);
        }
    }

    #[test]
    fn zero_count_is_exact_with_zero_lower() {
        let ci = poisson_count_interval(0, 0.95).unwrap();
        assert_eq!(ci.method, RateMethod::Exact);
        assert_eq!(ci.lower, Some(0.0));
        // -ln(0.025), the closed-form Gamma(1) quantile.
        assert_rel(ci.upper, 3.6888794541139363, TOL);
        // Even when Byar's is requested for every count, x = 0 stays exact.
        let ci = poisson_count_interval_with(0, 0.95, &RateOptions { exact_below: 0 }).unwrap();
        assert_eq!(ci.method, RateMethod::Exact);
        let r = crude_rate(0, 1000.0, 1000.0, 0.95).unwrap();
        assert_eq!(r.rate, 0.0);
        assert_eq!(r.lower, Some(0.0));
    }

    #[test]
    fn switch_point_is_configurable() {
        assert_eq!(
            poisson_count_interval(9, 0.95).unwrap().method,
            RateMethod::Exact
        );
        assert_eq!(
            poisson_count_interval(10, 0.95).unwrap().method,
            RateMethod::Byars
        );
        let opts = RateOptions { exact_below: 3 };
        assert_eq!(
            poisson_count_interval_with(3, 0.95, &opts).unwrap().method,
            RateMethod::Byars
        );
        assert_eq!(
            poisson_count_interval_with(2, 0.95, &opts).unwrap().method,
            RateMethod::Exact
        );
        // Huge counts fall back to Byar's even when exact is requested.
        let all_exact = RateOptions {
            exact_below: u64::MAX,
        };
        let ci = poisson_count_interval_with(1000, 0.95, &all_exact).unwrap();
        assert_eq!(ci.method, RateMethod::Exact);
        let huge = poisson_count_interval_with(u64::MAX / 2, 0.95, &all_exact).unwrap();
        assert_eq!(huge.method, RateMethod::Byars);
    }

    #[test]
    fn negative_byars_lower_is_missing() {
        // x = 1 forced to Byar's at 99.8%: 1 - 1/9 - 3.09/3 < 0.
        let ci = poisson_count_interval_with(1, 0.998, &RateOptions { exact_below: 0 }).unwrap();
        assert_eq!(ci.method, RateMethod::Byars);
        assert_eq!(ci.lower, None);
        let r = crude_rate_with(1, 100.0, 1000.0, 0.998, &RateOptions { exact_below: 0 }).unwrap();
        assert_eq!(r.lower, None);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            crude_rate(5, 0.0, 1000.0, 0.95),
            Err(StatsError::InvalidDenominator(0.0))
        );
        assert!(matches!(
            crude_rate(5, -3.0, 1000.0, 0.95),
            Err(StatsError::InvalidDenominator(_))
        ));
        assert!(matches!(
            crude_rate(5, f64::NAN, 1000.0, 0.95),
            Err(StatsError::InvalidDenominator(_))
        ));
        assert!(matches!(
            crude_rate(5, 10.0, 0.0, 0.95),
            Err(StatsError::InvalidMultiplier(_))
        ));
        assert!(matches!(
            crude_rate(5, 10.0, 1000.0, 1.0),
            Err(StatsError::InvalidConfidence(_))
        ));
        assert!(matches!(
            poisson_count_interval(5, 0.0),
            Err(StatsError::InvalidConfidence(_))
        ));
    }

    #[test]
    fn method_labels() {
        assert_eq!(RateMethod::Byars.as_str(), "Byars");
        assert_eq!(RateMethod::Exact.as_str(), "Exact");
    }
}
