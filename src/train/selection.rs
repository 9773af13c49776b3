//! Feature selection before the fit: information value and correlation filters.
//!
//! Features whose WoE is the same for every row (one bin) are dropped first, forced or not: a
//! constant column duplicates the intercept, and its fitted coefficient would be rounding
//! noise whose sign decides its fate. Features with an IV below the threshold are dropped; of each pair of WoE features whose
//! absolute correlation exceeds the limit, the one with the lower IV is dropped (forced features
//! are considered first and never dropped by these filters). The coefficient-sign check after
//! the fit lives in [`crate::train`].

use rayon::prelude::*;

/// A feature offered to selection.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Name.
    pub name: &'a str,
    /// Information value.
    pub iv: f64,
    /// The p-value of its bins' association with the outcome
    /// ([`crate::model::Binning::association_p_value`]).
    pub p_value: f64,
    /// Whether every row has the same WoE ([`crate::model::Binning::is_constant`]).
    pub constant: bool,
    /// Forced in by the user.
    pub forced: bool,
    /// Refused before selection (a leak), with the reason: dropped whatever else holds.
    pub refused: Option<&'a str>,
}

/// The outcome for one candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Selected (for the fit).
    Keep,
    /// Dropped, with the reason.
    Drop(String),
}

/// Weighted Pearson correlation of two columns (0 when either is constant).
pub fn correlation(a: &[f64], b: &[f64], weights: Option<&[f64]>) -> f64 {
    correlation_of(a.len(), |i| a[i], |i| b[i], weights)
}

/// The weighted correlation of the `n` values `a(i)` and `b(i)`: two passes, sums in row
/// order.
#[inline]
fn correlation_of(
    n: usize,
    a: impl Fn(usize) -> f64,
    b: impl Fn(usize) -> f64,
    weights: Option<&[f64]>,
) -> f64 {
    let w = |i: usize| weights.map_or(1.0, |w| w[i]);
    let (mut sw, mut sa, mut sb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        sw += w(i);
        sa += w(i) * a(i);
        sb += w(i) * b(i);
    }
    if sw <= 0.0 {
        return 0.0;
    }
    let (ma, mb) = (sa / sw, sb / sw);
    let (mut cab, mut caa, mut cbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (da, db) = (a(i) - ma, b(i) - mb);
        cab += w(i) * da * db;
        caa += w(i) * da * da;
        cbb += w(i) * db * db;
    }
    if caa <= 0.0 || cbb <= 0.0 {
        0.0
    } else {
        cab / (caa * cbb).sqrt()
    }
}

/// [`correlation`] of two binned columns given as (bin of each row, value of each bin), from
/// their joint table of weights: one pass over the rows that only adds each row's weight into
/// its (bin, bin) cell, then the moments from the cells, in cell order (exact for unit
/// weights: the cells are counts). The same correlation as [`correlation`] of the per-row
/// values up to rounding, at a fraction of the cost.
pub fn correlation_binned(
    (bins_a, a): (&[u32], &[f64]),
    (bins_b, b): (&[u32], &[f64]),
    weights: Option<&[f64]>,
) -> f64 {
    let (ka, kb) = (a.len(), b.len());
    let mut cells = vec![0.0f64; ka * kb];
    let cell = |u: u32, v: u32| u as usize * kb + v as usize;
    match weights {
        None => {
            for (&u, &v) in bins_a.iter().zip(bins_b) {
                if let Some(c) = cells.get_mut(cell(u, v)) {
                    *c += 1.0;
                }
            }
        }
        Some(w) => {
            for ((&u, &v), &w) in bins_a.iter().zip(bins_b).zip(w) {
                if let Some(c) = cells.get_mut(cell(u, v)) {
                    *c += w;
                }
            }
        }
    }
    // Margins, means, then the centred moments.
    let mut wa = vec![0.0; ka];
    let mut wb = vec![0.0; kb];
    for (u, row) in cells.chunks_exact(kb.max(1)).enumerate().take(ka) {
        for (v, &c) in row.iter().enumerate() {
            wa[u] += c;
            wb[v] += c;
        }
    }
    let sw: f64 = wa.iter().sum();
    if sw <= 0.0 {
        return 0.0;
    }
    let ma = wa.iter().zip(a).map(|(w, x)| w * x).sum::<f64>() / sw;
    let mb = wb.iter().zip(b).map(|(w, x)| w * x).sum::<f64>() / sw;
    let caa: f64 = wa.iter().zip(a).map(|(w, x)| w * (x - ma) * (x - ma)).sum();
    let cbb: f64 = wb.iter().zip(b).map(|(w, x)| w * (x - mb) * (x - mb)).sum();
    let mut cab = 0.0;
    for (u, row) in cells.chunks_exact(kb.max(1)).enumerate().take(ka) {
        let da = a[u] - ma;
        for (v, &c) in row.iter().enumerate() {
            cab += c * da * (b[v] - mb);
        }
    }
    if caa <= 0.0 || cbb <= 0.0 {
        0.0
    } else {
        (cab / (caa * cbb).sqrt()).clamp(-1.0, 1.0)
    }
}

/// Mergeable weighted moments of WoE columns, from which their correlations follow: what each
/// partition of the data contributes when the rows are not in one place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MomentSums {
    /// Total weight.
    pub weight: f64,
    /// Weighted sum of each column.
    pub sums: Vec<f64>,
    /// Weighted sums of products, row-major `p x p`, lower triangle filled.
    pub products: Vec<f64>,
}

impl MomentSums {
    /// Zero sums over `p` columns.
    pub fn zeros(p: usize) -> MomentSums {
        MomentSums {
            weight: 0.0,
            sums: vec![0.0; p],
            products: vec![0.0; p * p],
        }
    }

    /// Add one row of the `p` columns with weight `w`.
    pub fn add_row(&mut self, row: &[f64], w: f64) {
        self.weight += w;
        for (s, &x) in self.sums.iter_mut().zip(row) {
            *s += w * x;
        }
        crate::train::fit::add_outer_lower(&mut self.products, row, w);
    }

    /// Add the sums of another part of the data.
    pub fn merge(&mut self, other: &MomentSums) {
        self.weight += other.weight;
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.products.iter_mut().zip(&other.products) {
            *a += b;
        }
    }

    /// Weighted Pearson correlation of columns `i` and `j` (0 when either is constant).
    pub fn correlation(&self, i: usize, j: usize) -> f64 {
        let p = self.sums.len();
        let at = |a: usize, b: usize| self.products[a.max(b) * p + a.min(b)];
        if self.weight <= 0.0 {
            return 0.0;
        }
        let (mi, mj) = (self.sums[i] / self.weight, self.sums[j] / self.weight);
        let cij = at(i, j) - self.weight * mi * mj;
        let cii = at(i, i) - self.weight * mi * mi;
        let cjj = at(j, j) - self.weight * mj * mj;
        // Variances at rounding level mean a constant column.
        let tiny = |c: f64, d: f64| c <= 1e-12 * d.abs().max(f64::MIN_POSITIVE);
        if tiny(cii, at(i, i)) || tiny(cjj, at(j, j)) {
            0.0
        } else {
            (cij / (cii * cjj).sqrt()).clamp(-1.0, 1.0)
        }
    }
}

/// Which features are strong enough to offer to the fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IvFloor {
    /// Features with an IV at or above it are kept.
    pub min_iv: f64,
    /// Features below `min_iv` are kept too when their association with the outcome is
    /// significant at this level (`None`: they are not).
    pub significance: Option<f64>,
}

impl IvFloor {
    /// The floor of `min_iv` alone.
    pub const fn iv(min_iv: f64) -> IvFloor {
        IvFloor {
            min_iv,
            significance: None,
        }
    }
}

/// Apply the IV and correlation filters; returns one verdict per candidate, in input order.
/// `correlation(i, j)` is the WoE correlation of candidates `i` and `j`.
pub fn select(
    candidates: &[Candidate<'_>],
    floor: IvFloor,
    max_correlation: f64,
    correlation: &(dyn Fn(usize, usize) -> f64 + Sync),
) -> Vec<Verdict> {
    select_with_partners(candidates, floor, max_correlation, correlation).0
}

/// [`select`], with, for each candidate dropped by the correlation filter, the candidate it
/// was dropped for (`None` for the others): when that one leaves the card later (its fitted
/// sign is wrong), the selection is run again without it.
pub fn select_with_partners(
    candidates: &[Candidate<'_>],
    floor: IvFloor,
    max_correlation: f64,
    correlation: &(dyn Fn(usize, usize) -> f64 + Sync),
) -> (Vec<Verdict>, Vec<Option<usize>>) {
    let mut verdicts: Vec<Verdict> = candidates
        .iter()
        .map(|c| {
            if let Some(reason) = c.refused {
                Verdict::Drop(reason.to_string())
            } else if c.constant {
                Verdict::Drop("one bin for every row: the feature separates no one".to_string())
            } else if c.forced
                || c.iv >= floor.min_iv
                || floor.significance.is_some_and(|alpha| c.p_value <= alpha)
            {
                Verdict::Keep
            } else if let Some(alpha) = floor.significance {
                Verdict::Drop(format!(
                    "IV {:.4} below the minimum {}, and not significant (p {:.3} above {alpha})",
                    c.iv, floor.min_iv, c.p_value
                ))
            } else {
                Verdict::Drop(format!("IV {:.4} below the minimum {}", c.iv, floor.min_iv))
            }
        })
        .collect();
    // Forced first, then by IV (highest first), then by name: a deterministic order.
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| verdicts[i] == Verdict::Keep)
        .collect();
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&candidates[a], &candidates[b]);
        cb.forced
            .cmp(&ca.forced)
            .then(cb.iv.total_cmp(&ca.iv))
            .then(ca.name.cmp(cb.name))
    });
    let mut partners = vec![None; candidates.len()];
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        let c = &candidates[i];
        if !c.forced {
            let clash = kept
                .par_iter()
                .map(|&k| (k, correlation(i, k)))
                .find_first(|(_, r)| r.abs() > max_correlation);
            if let Some((k, r)) = clash {
                verdicts[i] = Verdict::Drop(format!(
                    "WoE correlation {r:.3} with '{}' (IV {:.4}) above {max_correlation}",
                    candidates[k].name, candidates[k].iv
                ));
                partners[i] = Some(k);
                continue;
            }
        }
        kept.push(i);
    }
    (verdicts, partners)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binned_correlation_matches_the_per_row_one() {
        let bins_a: Vec<u32> = (0..500u32).map(|i| (i * 7 + i / 3) % 5).collect();
        let bins_b: Vec<u32> = (0..500u32).map(|i| (i * 3 + i / 7) % 4).collect();
        let (a, b) = ([0.5, -0.2, 0.1, 1.3, -0.7], [0.9, 0.0, -0.4, 0.2]);
        let w: Vec<f64> = (0..500).map(|i| 1.0 + f64::from(i % 3)).collect();
        let xa: Vec<f64> = bins_a.iter().map(|&u| a[u as usize]).collect();
        let xb: Vec<f64> = bins_b.iter().map(|&v| b[v as usize]).collect();
        for weights in [None, Some(w.as_slice())] {
            let direct = correlation(&xa, &xb, weights);
            let binned = correlation_binned((&bins_a, &a), (&bins_b, &b), weights);
            assert!(direct.abs() > 0.01, "{direct}");
            assert!((direct - binned).abs() < 1e-12, "{direct} vs {binned}");
        }
        // A constant column has no correlation.
        let one = vec![0u32; 500];
        assert_eq!(correlation_binned((&one, &[0.3]), (&bins_b, &b), None), 0.0);
    }

    #[test]
    fn correlation_basics() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 4.0, 6.0, 8.0];
        let c = [4.0, 3.0, 2.0, 1.0];
        assert!((correlation(&a, &b, None) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &c, None) + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&a, &[1.0; 4], None), 0.0);
    }

    #[test]
    fn moment_sums_give_the_same_correlation() {
        let a = [0.3, -0.1, 0.2, 0.2, -0.5, 0.4];
        let b = [0.1, 0.5, -0.3, 0.8, -0.2, 0.0];
        let w = [1.0, 2.0, 1.0, 3.0, 1.0, 0.5];
        let mut left = MomentSums::zeros(3);
        let mut right = MomentSums::zeros(3);
        for i in 0..a.len() {
            let part = if i < 2 { &mut left } else { &mut right };
            part.add_row(&[a[i], b[i], 0.7], w[i]);
        }
        left.merge(&right);
        let direct = correlation(&a, &b, Some(&w));
        assert!((left.correlation(0, 1) - direct).abs() < 1e-12);
        assert!((left.correlation(1, 0) - direct).abs() < 1e-12);
        assert_eq!(left.correlation(0, 2), 0.0);
    }

    #[test]
    fn constant_woe_is_dropped_even_when_forced() {
        let c = |name, constant, forced| Candidate {
            name,
            iv: 0.5,
            p_value: 0.0,
            constant,
            forced,
            refused: None,
        };
        let v = select(
            &[c("flat", true, true), c("varied", false, false)],
            IvFloor::iv(0.02),
            0.7,
            &|_, _| 0.0,
        );
        assert!(matches!(&v[0], Verdict::Drop(r) if r.contains("one bin")));
        assert_eq!(v[1], Verdict::Keep);
    }

    #[test]
    fn keeps_the_higher_iv_of_a_correlated_pair() {
        let x = [0.1, 0.5, -0.3, 0.8, -0.2, 0.0];
        let y: Vec<f64> = x.iter().map(|v| v * 2.0 + 0.01).collect();
        let z = [0.3, -0.1, 0.2, 0.2, -0.5, 0.4];
        let columns: [&[f64]; 3] = [&x, &y, &z];
        let corr = |i: usize, j: usize| correlation(columns[i], columns[j], None);
        let cand = |name, iv| Candidate {
            name,
            iv,
            p_value: 1.0,
            constant: false,
            forced: false,
            refused: None,
        };
        let cands = [cand("x", 0.10), cand("y", 0.20), cand("z", 0.01)];
        let v = select(&cands, IvFloor::iv(0.02), 0.7, &corr);
        assert!(
            matches!(&v[0], Verdict::Drop(r) if r.contains("'y'")),
            "{v:?}"
        );
        assert_eq!(v[1], Verdict::Keep);
        assert!(
            matches!(&v[2], Verdict::Drop(r) if r.contains("IV")),
            "{v:?}"
        );
        // Forcing the weaker one keeps it and drops the other.
        let mut forced = cands;
        forced[0].forced = true;
        forced[2].forced = true;
        let v = select(&forced, IvFloor::iv(0.02), 0.7, &corr);
        assert_eq!(v[0], Verdict::Keep);
        assert!(matches!(&v[1], Verdict::Drop(_)));
        assert_eq!(v[2], Verdict::Keep);
        // The partner of each correlation drop is named; refusing the partner (as the sign
        // check does) lets the one dropped for it stand.
        let (_, partners) = select_with_partners(&cands, IvFloor::iv(0.02), 0.7, &corr);
        assert_eq!(partners, vec![Some(1), None, None]);
        let mut without_y = cands;
        without_y[1].refused = Some("wrong sign");
        let (v, partners) = select_with_partners(&without_y, IvFloor::iv(0.02), 0.7, &corr);
        assert_eq!(v[0], Verdict::Keep);
        assert_eq!(v[1], Verdict::Drop("wrong sign".into()));
        assert_eq!(partners, vec![None, None, None]);
    }

    #[test]
    fn a_weak_feature_stands_when_significant() {
        let cand = |name, iv, p_value| Candidate {
            name,
            iv,
            p_value,
            constant: false,
            forced: false,
            refused: None,
        };
        let cands = [
            cand("weak_sure", 0.003, 0.001),
            cand("weak_noise", 0.003, 0.4),
        ];
        let floor = IvFloor {
            min_iv: 0.005,
            significance: Some(0.01),
        };
        let v = select(&cands, floor, 0.7, &|_, _| 0.0);
        assert_eq!(v[0], Verdict::Keep);
        assert!(
            matches!(&v[1], Verdict::Drop(r) if r.contains("not significant (p 0.400 above 0.01)")),
            "{v:?}"
        );
        let v = select(&cands, IvFloor::iv(0.005), 0.7, &|_, _| 0.0);
        assert!(v.iter().all(|v| matches!(v, Verdict::Drop(_))), "{v:?}");
    }
}
