//! The calibration line of predicted PDs: what `--calibrate` folds into the model at training
//! ([`crate::train`]'s out-of-fold recalibration) and what the evaluate report shows
//! ([`crate::report`]), fitted by the training's own Newton solver.

use serde::Serialize;

use super::fit::fit_logistic;
use crate::model::{FitParams, Solver};

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
}
