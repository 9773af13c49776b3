//! Points scaling and risk grades.
//!
//! `score = offset + factor * ln(good:bad odds)`, with `factor = pdo / ln 2` and
//! `offset = base_score - factor * ln(base_odds)`: the score is `base_score` at good:bad odds of
//! `base_odds`, and every `pdo` points double the odds. The PD follows from the score through the
//! same relation, so score and PD never disagree.

use serde::{Deserialize, Serialize};

/// The score scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Score at the base odds (default 600).
    pub base_score: f64,
    /// Good:bad odds at the base score (default 50, i.e. 50:1).
    pub base_odds: f64,
    /// Points to double the odds (default 20).
    pub pdo: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            base_score: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
        }
    }
}

impl Scaling {
    /// Points per unit of log-odds.
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// Score at good:bad odds of 1.
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }

    /// Probability of default at a score: strictly decreasing, in (0, 1) for finite scores
    /// (clamped away from exactly 0 and 1 at extreme scores).
    pub fn pd(&self, score: f64) -> f64 {
        self.pd_map().pd(score)
    }

    /// The score-to-PD map with its constants computed once (for scoring many rows); gives
    /// exactly the same PD as [`Scaling::pd`].
    pub fn pd_map(&self) -> PdMap {
        PdMap {
            offset: self.offset(),
            factor: self.factor(),
        }
    }

    /// Score at a probability of default in (0, 1).
    pub fn score(&self, pd: f64) -> f64 {
        self.offset() + self.factor() * ((1.0 - pd) / pd).ln()
    }

    /// Check that every parameter is finite (and the odds and PDO positive).
    pub fn validate(&self) -> Result<(), ScalingError> {
        let bad = |setting, value, rule| ScalingError {
            setting,
            value,
            rule,
        };
        if !self.base_score.is_finite() {
            return Err(bad("base_score", self.base_score, "finite"));
        }
        if !(self.base_odds.is_finite() && self.base_odds > 0.0) {
            return Err(bad("base_odds", self.base_odds, "finite and positive"));
        }
        if !(self.pdo.is_finite() && self.pdo > 0.0) {
            return Err(bad("pdo", self.pdo, "finite and positive"));
        }
        Ok(())
    }
}

/// A [`Scaling`] setting out of range, named as in the model file and the settings (each front
/// end words the setting in its own terms: `--pdo` on the command line, `pdo` in Python).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{setting} is {value}: it must be {rule}")]
pub struct ScalingError {
    /// The setting: `base_score`, `base_odds` or `pdo`.
    pub setting: &'static str,
    /// Its value.
    pub value: f64,
    /// What it must be.
    pub rule: &'static str,
}

/// The score-to-PD map of a [`Scaling`], constants precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdMap {
    offset: f64,
    factor: f64,
}

impl PdMap {
    /// Probability of default at a score (see [`Scaling::pd`]).
    #[inline]
    pub fn pd(&self, score: f64) -> f64 {
        let log_odds_good = (score - self.offset) / self.factor;
        let pd = 1.0 / (1.0 + log_odds_good.exp());
        pd.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0)
    }
}

/// A risk grade: scores at or above `min_score` (and below the previous grade's) get `grade`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeBand {
    /// Grade name, e.g. `A`.
    pub grade: String,
    /// Lowest score of the grade; `None` for the last (lowest) grade.
    pub min_score: Option<f64>,
    /// The PD at `min_score`, for readers (the highest PD of the grade).
    pub max_pd: Option<f64>,
}

/// Default grade boundaries, as maximum PDs of grades A to G (H takes the rest).
pub const DEFAULT_GRADE_PDS: [f64; 7] = [0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.20];

/// Grades A, B, ... with the given maximum PDs (increasing), and a last grade for the rest.
pub fn grades_from_pds(scaling: &Scaling, max_pds: &[f64]) -> Result<Vec<GradeBand>, String> {
    if max_pds.len() > 25 {
        return Err("at most 25 grade boundaries".into());
    }
    if max_pds
        .iter()
        .any(|p| !(p.is_finite() && *p > 0.0 && *p < 1.0))
    {
        return Err("grade boundaries must be PDs strictly between 0 and 1".into());
    }
    if max_pds.windows(2).any(|w| w[1] <= w[0]) {
        return Err("grade boundaries must be strictly increasing PDs".into());
    }
    let letter = |i: usize| char::from(b'A' + i as u8).to_string();
    let mut bands: Vec<GradeBand> = max_pds
        .iter()
        .enumerate()
        .map(|(i, &pd)| GradeBand {
            grade: letter(i),
            min_score: Some(scaling.score(pd)),
            max_pd: Some(pd),
        })
        .collect();
    bands.push(GradeBand {
        grade: letter(max_pds.len()),
        min_score: None,
        max_pd: None,
    });
    Ok(bands)
}

/// The grade of a score (`bands` ordered from best to worst, the last without a minimum).
pub fn grade_of(bands: &[GradeBand], score: f64) -> &str {
    bands
        .iter()
        .find(|b| b.min_score.is_none_or(|m| score >= m))
        .or(bands.last())
        .map_or("", |b| b.grade.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_point_and_doubling() {
        let s = Scaling::default();
        // 600 points at 50:1, i.e. PD = 1/51.
        assert!((s.score(1.0 / 51.0) - 600.0).abs() < 1e-9);
        // 620 points at 100:1.
        assert!((s.score(1.0 / 101.0) - 620.0).abs() < 1e-9);
        for score in [300.0, 480.5, 600.0, 731.25] {
            assert!((s.score(s.pd(score)) - score).abs() < 1e-8);
        }
        assert!(s.pd(500.0) > s.pd(500.001));
    }

    #[test]
    fn grades_cover_the_line() {
        let s = Scaling::default();
        let bands = grades_from_pds(&s, &DEFAULT_GRADE_PDS).unwrap();
        assert_eq!(bands.len(), 8);
        assert_eq!(grade_of(&bands, 900.0), "A");
        assert_eq!(grade_of(&bands, -1e9), "H");
        assert_eq!(grade_of(&bands, s.score(0.015)), "B");
        assert!(grades_from_pds(&s, &[0.05, 0.02]).is_err());
        assert!(grades_from_pds(&s, &[0.0]).is_err());
    }
}
