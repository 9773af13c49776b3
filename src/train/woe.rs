//! Weight of evidence and information value.
//!
//! Conventions (see `docs/scorecard.md`): the WoE of a bin is
//! `ln(good share / bad share)`, positive for bins safer than average, with additive smoothing of
//! the counts, `ln(((goods + a) / G) / ((bads + a) / B))` (default `a = 0.5`), so an empty cell never
//! gives an infinite WoE. The bin's information value is `(good share - bad share) * WoE` with
//! unsmoothed shares; a feature's IV is the sum over its bins. Both are additive over bins, which
//! the optimal binning relies on.

use crate::model::Counts;

/// WoE and IV of bins relative to fixed totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WoeScale {
    total: Counts,
    smoothing: f64,
}

impl WoeScale {
    /// A scale for a feature whose rows total `total`, with additive `smoothing` (>= 0).
    pub fn new(total: Counts, smoothing: f64) -> WoeScale {
        WoeScale { total, smoothing }
    }

    /// Weight of evidence of a bin: positive when the bin is safer than the population.
    pub fn woe(&self, c: Counts) -> f64 {
        let a = self.smoothing;
        ((c.goods + a) / self.total.goods).ln() - ((c.bads + a) / self.total.bads).ln()
    }

    /// Information value of a bin, from the same smoothed shares as its WoE:
    /// `(g - b) * ln(g / b)` with `g = (goods + s) / total goods`, `b = (bads + s) / total bads`,
    /// so it is never negative (an unsmoothed difference times a smoothed WoE can be).
    pub fn iv(&self, c: Counts) -> f64 {
        let a = self.smoothing;
        ((c.goods + a) / self.total.goods - (c.bads + a) / self.total.bads) * self.woe(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woe_sign_and_smoothing() {
        let s = WoeScale::new(Counts::new(900.0, 100.0), 0.5);
        assert!(
            s.woe(Counts::new(300.0, 10.0)) > 0.0,
            "safer bin has positive WoE"
        );
        assert!(
            s.woe(Counts::new(100.0, 50.0)) < 0.0,
            "riskier bin has negative WoE"
        );
        assert!(s.woe(Counts::new(10.0, 0.0)).is_finite());
        assert!(s.woe(Counts::new(0.0, 10.0)).is_finite());
        assert!(s.iv(Counts::new(100.0, 50.0)) > 0.0);
        // The whole population in one bin: the smoothed WoE is not exactly 0, but the IV of the
        // same smoothed shares is still >= 0 (it was -5.8e-7 before, found by prop_binning).
        let all = WoeScale::new(Counts::new(300.0, 113.0), 0.5);
        assert!(all.iv(Counts::new(300.0, 113.0)) >= 0.0);
        let exact = WoeScale::new(Counts::new(900.0, 100.0), 0.0);
        assert!((exact.woe(Counts::new(90.0, 10.0))).abs() < 1e-12);
    }
}
