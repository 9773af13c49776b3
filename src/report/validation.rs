//! Validation statistics beyond discrimination ([`crate::metrics`]): calibration tests (Jeffreys
//! per grade, Hosmer-Lemeshow) and stability indices (PSI with smoothing), as model-risk reviews
//! and the European supervisors' instructions compute them.

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
