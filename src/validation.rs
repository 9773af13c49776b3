//! Validation statistics beyond discrimination ([`crate::metrics`]): calibration tests (Jeffreys
//! per grade, Hosmer-Lemeshow) and stability indices (PSI with smoothing), as model-risk reviews
//! and the European supervisors' instructions compute them.

use crate::fit::{fit_logistic, FitParams, Solver};
use serde::Serialize;
use statrs::distribution::{Beta, ChiSquared, ContinuousCDF};

/// Traffic light of a calibration test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// No evidence that the PD underestimates the default rate (p >= 0.05).
    Green,
    /// Some evidence (0.01 <= p < 0.05).
    Amber,
    /// Strong evidence (p < 0.01).
    Red,
}

impl Light {
    /// From a one-sided p-value.
    pub fn from_p(p: f64) -> Light {
        if p < 0.01 {
            Light::Red
        } else if p < 0.05 {
            Light::Amber
        } else {
            Light::Green
        }
    }

    /// `green`, `amber` or `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Amber => "amber",
            Light::Red => "red",
        }
    }
}

/// The Jeffreys test of one grade (ECB instructions for the validation of IRB models): with `d`
/// defaults among `n` obligors, the posterior of the default rate under the Jeffreys prior is
/// Beta(d + 1/2, n - d + 1/2); the p-value is its CDF at the predicted PD, small when the PD
/// underestimates the observed rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Jeffreys {
    /// One-sided p-value (H0: the PD is not below the true default rate).
    pub p_value: f64,
    /// 2.5% quantile of the posterior (lower end of the 95% interval).
    pub lower: f64,
    /// 97.5% quantile of the posterior.
    pub upper: f64,
    /// Traffic light of the p-value.
    pub light: Light,
}

/// Jeffreys test of `defaults` among `n` against the predicted `pd`; `None` when `n` is 0,
/// `defaults` is outside `0..=n`, or `pd` is not in (0, 1).
pub fn jeffreys(n: f64, defaults: f64, pd: f64) -> Option<Jeffreys> {
    if n <= 0.0 || !(0.0..=n).contains(&defaults) || !(pd > 0.0 && pd < 1.0) {
        return None;
    }
    let beta = Beta::new(defaults + 0.5, n - defaults + 0.5).ok()?;
    let p_value = beta.cdf(pd);
    Some(Jeffreys {
        p_value,
        lower: beta.inverse_cdf(0.025),
        upper: beta.inverse_cdf(0.975),
        light: Light::from_p(p_value),
    })
}

/// One group of the Hosmer-Lemeshow test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HlGroup {
    /// Cases.
    pub n: f64,
    /// Observed defaults.
    pub observed: f64,
    /// Expected defaults (sum of the PDs).
    pub expected: f64,
}

/// The calibration line of a set of predictions: the logistic regression of the outcome on the
/// predicted log-odds, `logit P(default) = intercept + slope * logit(pd)`, and its
/// calibration-in-the-large, the intercept when the slope is held at 1. A well calibrated PD
/// has slope 1 and intercept 0. A slope below 1 means the PDs are too extreme (over-fitting);
/// an in-the-large value above 0 means they are too low on average (in log-odds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationLine {
    /// The intercept with the slope held at 1 (log-odds).
    pub in_the_large: f64,
    /// The intercept of the fitted line.
    pub intercept: f64,
    /// The slope of the fitted line.
    pub slope: f64,
}

/// The calibration line ([`CalibrationLine`]) of groups of predictions, each given as (the
/// predicted PD, the weight of goods, the weight of bads) (one group per distinct PD, say).
/// Maximum likelihood by Newton's method. `None` without both outcomes, with fewer than two
/// distinct PDs in (0, 1), or when the fit does not converge.
pub fn calibration_line(groups: &[(f64, f64, f64)]) -> Option<CalibrationLine> {
    let points: Vec<(f64, f64, f64)> = groups
        .iter()
        .filter(|(pd, g, b)| *pd > 0.0 && *pd < 1.0 && g + b > 0.0)
        .map(|&(pd, g, b)| ((pd / (1.0 - pd)).ln(), g, b))
        .collect();
    let goods: f64 = points.iter().map(|p| p.1).sum();
    let bads: f64 = points.iter().map(|p| p.2).sum();
    let distinct = points.iter().any(|p| p.0 != points[0].0);
    if goods <= 0.0 || bads <= 0.0 || !distinct {
        return None;
    }
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    // Intercept with the slope at 1: one-dimensional Newton.
    let mut a: f64 = (bads / goods).ln()
        - points.iter().map(|p| p.0 * (p.1 + p.2)).sum::<f64>() / (goods + bads);
    for _ in 0..100 {
        let (mut grad, mut hess) = (0.0, 0.0);
        for &(x, g, b) in &points {
            let p = sigmoid(a + x);
            grad += b - (g + b) * p;
            hess += (g + b) * p * (1.0 - p);
        }
        if hess <= 0.0 {
            return None;
        }
        let step = grad / hess;
        a += step;
        if step.abs() < 1e-12 {
            break;
        }
    }
    // Intercept and slope: the weighted logistic fit of the outcome on the log-odds, by the
    // training's own Newton solver (unpenalised), each bucket as a good row and a bad row.
    let mut x = ndarray::Array2::zeros((2 * points.len(), 1));
    let mut bad = Vec::with_capacity(2 * points.len());
    let mut weights = Vec::with_capacity(2 * points.len());
    for (i, &(logit, g, b)) in points.iter().enumerate() {
        x[[2 * i, 0]] = logit;
        x[[2 * i + 1, 0]] = logit;
        bad.extend([false, true]);
        weights.extend([g, b]);
    }
    let params = FitParams {
        solver: Solver::Newton,
        l2: 0.0,
        max_iterations: 100,
        tolerance: 1e-13,
    };
    let line = fit_logistic(x.view(), &bad, Some(&weights), &params).ok()?;
    let (c, s) = (line.intercept, *line.coefficients.first()?);
    (a.is_finite() && c.is_finite() && s.is_finite()).then_some(CalibrationLine {
        in_the_large: a,
        intercept: c,
        slope: s,
    })
}

/// The Hosmer-Lemeshow statistic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    /// Sum over groups of (O - E)^2 / (E (1 - E / n)).
    pub statistic: f64,
    /// Degrees of freedom: groups - 2.
    pub df: f64,
    /// Upper-tail chi-square p-value.
    pub p_value: f64,
}

/// Hosmer-Lemeshow test over groups (usually deciles of the PD); groups with no cases or an
/// expected count of 0 or n are skipped. `None` with fewer than 3 usable groups.
pub fn hosmer_lemeshow(groups: &[HlGroup]) -> Option<HosmerLemeshow> {
    let usable: Vec<&HlGroup> = groups
        .iter()
        .filter(|g| g.n > 0.0 && g.expected > 0.0 && g.expected < g.n)
        .collect();
    if usable.len() < 3 {
        return None;
    }
    let statistic: f64 = usable
        .iter()
        .map(|g| (g.observed - g.expected).powi(2) / (g.expected * (1.0 - g.expected / g.n)))
        .sum();
    let df = usable.len() as f64 - 2.0;
    let p_value = ChiSquared::new(df).ok()?.sf(statistic);
    Some(HosmerLemeshow {
        statistic,
        df,
        p_value,
    })
}

/// Population stability index between two distributions over the same bins, given as counts.
/// Each share is smoothed as `(count + s) / (total + s * bins)` with `s = 0.5`, so an empty bin
/// contributes a finite amount instead of being dropped (or making the index infinite).
pub fn psi(baseline: &[f64], current: &[f64]) -> f64 {
    const S: f64 = 0.5;
    let k = baseline.len().max(current.len()) as f64;
    let tb: f64 = baseline.iter().sum::<f64>() + S * k;
    let tc: f64 = current.iter().sum::<f64>() + S * k;
    (0..baseline.len().max(current.len()))
        .map(|i| {
            let b = (baseline.get(i).copied().unwrap_or(0.0) + S) / tb;
            let c = (current.get(i).copied().unwrap_or(0.0) + S) / tc;
            (c - b) * (c / b).ln()
        })
        .sum()
}

/// The usual reading of a PSI: `stable` below 0.10, `moderate shift` to 0.25, `major shift` above.
pub fn psi_band(psi: f64) -> &'static str {
    if psi < 0.10 {
        "stable"
    } else if psi < 0.25 {
        "moderate shift"
    } else {
        "major shift"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_line_recovers_a_known_miscalibration() {
        // Outcomes drawn exactly at rates sigmoid(0.3 + 0.8 * logit(pd)): counts proportional
        // to the true probabilities, so maximum likelihood returns the line exactly.
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let groups: Vec<(f64, f64, f64)> = (1..40)
            .map(|k| {
                let pd = k as f64 / 40.0;
                let truth = sigmoid(0.3 + 0.8 * (pd / (1.0 - pd)).ln());
                (pd, 1000.0 * (1.0 - truth), 1000.0 * truth)
            })
            .collect();
        let line = calibration_line(&groups).unwrap();
        assert!((line.intercept - 0.3).abs() < 1e-9, "{line:?}");
        assert!((line.slope - 0.8).abs() < 1e-9, "{line:?}");
        // Perfect PDs: slope 1, intercept 0, in the large 0.
        let perfect: Vec<(f64, f64, f64)> = (1..20)
            .map(|k| (k as f64 / 20.0, 20.0 - k as f64, k as f64))
            .collect();
        let line = calibration_line(&perfect).unwrap();
        assert!(
            line.in_the_large.abs() < 1e-9 && (line.slope - 1.0).abs() < 1e-9,
            "{line:?}"
        );
        // PDs all too low by a constant in log-odds: in the large is that constant.
        let low: Vec<(f64, f64, f64)> = (1..20)
            .map(|k| {
                let pd = k as f64 / 20.0;
                let truth = sigmoid((pd / (1.0 - pd)).ln() + 0.5);
                (pd, 1.0 - truth, truth)
            })
            .collect();
        assert!((calibration_line(&low).unwrap().in_the_large - 0.5).abs() < 1e-9);
        assert!(calibration_line(&[(0.1, 5.0, 1.0)]).is_none());
        assert!(calibration_line(&[(0.1, 5.0, 0.0), (0.2, 3.0, 0.0)]).is_none());
    }

    #[test]
    fn jeffreys_hand_case() {
        // 0 defaults in 10: Beta(0.5, 10.5); the PD 0.5 is far above anything observed.
        let j = jeffreys(10.0, 0.0, 0.5).unwrap();
        assert!(j.p_value > 0.999 && j.light == Light::Green);
        // 10 of 10 defaulted against a PD of 1%: red.
        let j = jeffreys(10.0, 10.0, 0.01).unwrap();
        assert!(j.p_value < 1e-10 && j.light == Light::Red);
        assert!(j.lower < j.upper);
        assert!(jeffreys(0.0, 0.0, 0.1).is_none());
        assert!(jeffreys(10.0, 11.0, 0.1).is_none());
    }

    #[test]
    fn psi_of_identical_distributions_is_zero_and_empty_bins_are_finite() {
        assert!(psi(&[10.0, 20.0, 30.0], &[10.0, 20.0, 30.0]).abs() < 1e-12);
        // The same shares on a larger sample: smoothing moves them by a hair only.
        assert!(psi(&[100.0, 200.0, 300.0], &[1000.0, 2000.0, 3000.0]) < 1e-4);
        let p = psi(&[100.0, 0.0, 50.0], &[100.0, 40.0, 0.0]);
        assert!(p.is_finite() && p > 0.25);
    }

    #[test]
    fn hosmer_lemeshow_needs_three_groups() {
        let g = |n, o, e| HlGroup {
            n,
            observed: o,
            expected: e,
        };
        assert!(hosmer_lemeshow(&[g(10.0, 1.0, 1.0), g(10.0, 2.0, 2.0)]).is_none());
        let hl = hosmer_lemeshow(&[
            g(100.0, 5.0, 5.0),
            g(100.0, 10.0, 10.0),
            g(100.0, 20.0, 20.0),
        ])
        .unwrap();
        assert_eq!(hl.statistic, 0.0);
        assert!((hl.p_value - 1.0).abs() < 1e-12);
        assert_eq!(hl.df, 1.0);
    }
}
