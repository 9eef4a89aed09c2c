//! Rate ratios for disproportionality (a group's rate against a reference group's rate). The usual
//! log-normal interval breaks down when either count is zero, which is common for small groups, so an exact
//! conditional interval takes over there.

use serde::Serialize;

use super::{Result, StatsError, alpha_for, clopper_pearson, z_for_confidence};

/// How the rate-ratio interval was computed; printed alongside the ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RateRatioMethod {
    /// exp(ln RR -/+ z sqrt(1/x1 + 1/x2)); both counts positive.
    #[serde(rename = "Log-normal")]
    LogNormal,
    /// Clopper-Pearson on x1 | x1 + x2 ~ Binomial(x1 + x2, n1/(n1 + n2)), mapped to the ratio scale.
    #[serde(rename = "Exact conditional")]
    ExactConditional,
}

impl RateRatioMethod {
    /// The label used in output tables.
    pub fn as_str(self) -> &'static str {
        match self {
            RateRatioMethod::LogNormal => "Log-normal",
            RateRatioMethod::ExactConditional => "Exact conditional",
        }
    }
}

/// Ratio of the study group's rate (x1/n1) to the reference group's rate (x2/n2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRatio {
    pub x1: u64,
    pub n1: f64,
    pub x2: u64,
    pub n2: f64,
    /// `None` when the ratio is not finite: x2 = 0 (infinite) or both counts 0 (undefined).
    pub estimate: Option<f64>,
    /// Lower limit; 0 when x1 = 0.
    pub lower: f64,
    /// Upper limit; `None` when unbounded (x2 = 0).
    pub upper: Option<f64>,
    /// True when the interval excludes 1.
    pub significant: bool,
    pub method: RateRatioMethod,
    pub confidence: f64,
}

/// Rate ratio (x1/n1)/(x2/n2) with a confidence interval: log-normal when both counts are positive,
/// otherwise the exact conditional interval. Both counts zero is not an error: there is simply no evidence,
/// so the estimate is `None` and the interval is [0, unbounded).
pub fn rate_ratio(x1: u64, n1: f64, x2: u64, n2: f64, confidence: f64) -> Result<RateRatio> {
    alpha_for(confidence)?;
    for n in [n1, n2] {
        if !(n.is_finite() && n > 0.0) {
            return Err(StatsError::InvalidDenominator(n));
        }
    }
    let (x1f, x2f) = (x1 as f64, x2 as f64);
    let (estimate, lower, upper, method) = if x1 > 0 && x2 > 0 {
        let z = z_for_confidence(confidence)?;
        let rr = (x1f / n1) / (x2f / n2);
        let half = z * (1.0 / x1f + 1.0 / x2f).sqrt();
        let ln_rr = rr.ln();
        (
            Some(rr),
            (ln_rr - half).exp(),
            Some((ln_rr + half).exp()),
            RateRatioMethod::LogNormal,
        )
    } else {
        // x1 | x1 + x2 is binomial with p = n1/(n1 + n2) under equal rates; RR = p/(1 - p) * n2/n1.
        let total = x1.checked_add(x2).ok_or(StatsError::CountOverflow)?;
        let (p_lo, p_hi) = clopper_pearson(x1, total, confidence)?;
        let to_ratio = |p: f64| p / (1.0 - p) * n2 / n1;
        let estimate = if x2 > 0 { Some(0.0) } else { None };
        let upper = if p_hi < 1.0 {
            Some(to_ratio(p_hi))
        } else {
            None
        };
        (
            estimate,
            to_ratio(p_lo),
            upper,
            RateRatioMethod::ExactConditional,
        )
    };
    let significant = lower > 1.0 || upper.is_some_and(|u| u < 1.0);
    Ok(RateRatio {
        x1,
        n1,
        x2,
        n2,
        estimate,
        lower,
        upper,
        significant,
        method,
        confidence,
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
    fn log_normal_interval() {
        // RR = (30/1000)/(60/4000) = 2; limits exp(ln 2 -/+ 1.959963984540054 * sqrt(1/30 + 1/60)), mpmath.
        let r = rate_ratio(30, 1000.0, 60, 4000.0, 0.95).unwrap();
        assert_eq!(r.method, RateRatioMethod::LogNormal);
        assert_rel_some(r.estimate, 2.0, TOL);
        assert_rel(r.lower, 1.2903144008554298, TOL);
        assert_rel_some(r.upper, 3.1000196520694109, TOL);
        assert!(r.significant);
    }

    #[test]
    fn log_normal_not_significant_when_interval_spans_one() {
        let r = rate_ratio(10, 1000.0, 10, 1000.0, 0.95).unwrap();
        assert_rel_some(r.estimate, 1.0, TOL);
        assert!(r.lower < 1.0 && r.upper.unwrap() > 1.0);
        assert!(!r.significant);
    }

    #[test]
    fn zero_study_count_uses_exact_conditional() {
        // x1 = 0 of 12: Clopper-Pearson upper p = 1 - 0.025^(1/12); RR upper = p/(1-p) * 3000/1000.
        let r = rate_ratio(0, 1000.0, 12, 3000.0, 0.95).unwrap();
        assert_eq!(r.method, RateRatioMethod::ExactConditional);
        assert_eq!(r.method.as_str(), "Exact conditional");
        assert_eq!(r.estimate, Some(0.0));
        assert_eq!(r.lower, 0.0);
        assert_rel_some(r.upper, 1.0796814518631122, TOL);
        assert!(!r.significant);
    }

    #[test]
    fn zero_reference_count_uses_exact_conditional() {
        // x1 = 3 of 3: Clopper-Pearson lower p = 0.025^(1/3); RR lower = p/(1-p) * 2000/1000.
        let r = rate_ratio(3, 1000.0, 0, 2000.0, 0.95).unwrap();
        assert_eq!(r.method, RateRatioMethod::ExactConditional);
        assert_eq!(r.estimate, None);
        assert_eq!(r.upper, None);
        assert_rel(r.lower, 0.82646271006178795, TOL);
        assert!(!r.significant);
        // 5 of 5 with equal populations: lower = 0.025^(1/5) / (1 - 0.025^(1/5)).
        let r = rate_ratio(5, 1000.0, 0, 1000.0, 0.95).unwrap();
        assert_rel(r.lower, 0.91635585731545994, TOL);
    }

    #[test]
    fn both_zero_is_undefined_not_an_error() {
        let r = rate_ratio(0, 1000.0, 0, 5000.0, 0.95).unwrap();
        assert_eq!(r.estimate, None);
        assert_eq!(r.method, RateRatioMethod::ExactConditional);
        assert_eq!(r.lower, 0.0);
        assert_eq!(r.upper, None);
        assert!(!r.significant);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            rate_ratio(1, 0.0, 1, 10.0, 0.95),
            Err(StatsError::InvalidDenominator(0.0))
        );
        assert_eq!(
            rate_ratio(1, 10.0, 1, -1.0, 0.95),
            Err(StatsError::InvalidDenominator(-1.0))
        );
        assert!(matches!(
            rate_ratio(1, 10.0, 1, 10.0, 0.0),
            Err(StatsError::InvalidConfidence(_))
        ));
    }
}
