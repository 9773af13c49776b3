//! Discrimination metrics: AUC (Gini) and the Kolmogorov-Smirnov statistic.
//!
//! Every function takes a *risk* ordering: a higher value means more likely to default (a PD, or
//! a log-odds of default). For a credit score, where higher is safer, pass the negated score.

/// Area under the ROC curve of `risk` for separating bads (`bad[i] == true`) from goods, with
/// optional non-negative case weights. Tied risks count one half (the Mann-Whitney convention).
///
/// Returns `None` when there are no goods or no bads (of positive weight), or when a risk value is
/// NaN or a weight is negative or not finite.
pub fn auc(risk: &[f64], bad: &[bool], weights: Option<&[f64]>) -> Option<f64> {
    auc_of(&sorted_groups(risk, bad, weights)?)
}

/// AUC from risk groups sorted by increasing `value` (distinct values with the weight of goods
/// and bads at each): what a streaming pass accumulates instead of keeping every row.
pub fn auc_of(groups: &[RiskGroup]) -> Option<f64> {
    let (total_good, total_bad) = totals(groups);
    if total_good <= 0.0 || total_bad <= 0.0 {
        return None;
    }
    // Walk from the lowest risk up: each bad beats every good below it, and half the ties.
    let mut goods_below = 0.0;
    let mut concordant = 0.0;
    for g in groups {
        concordant += g.bad * (goods_below + 0.5 * g.good);
        goods_below += g.good;
    }
    Some(concordant / (total_good * total_bad))
}

/// Gini coefficient (accuracy ratio): `2 * AUC - 1`.
pub fn gini(risk: &[f64], bad: &[bool], weights: Option<&[f64]>) -> Option<f64> {
    auc(risk, bad, weights).map(|a| 2.0 * a - 1.0)
}

/// The Kolmogorov-Smirnov statistic and the risk value where it is reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ks {
    /// Largest gap between the cumulative distributions of bads and goods, in [0, 1].
    pub statistic: f64,
    /// The risk value at which the gap is largest (cases with risk >= this value are the "high"
    /// side of the best split).
    pub at: f64,
}

/// Kolmogorov-Smirnov statistic of `risk` between bads and goods (see [`auc`] for the inputs).
pub fn ks(risk: &[f64], bad: &[bool], weights: Option<&[f64]>) -> Option<Ks> {
    ks_of(&sorted_groups(risk, bad, weights)?)
}

/// KS from risk groups sorted by increasing `value` (see [`auc_of`]).
pub fn ks_of(groups: &[RiskGroup]) -> Option<Ks> {
    let (total_good, total_bad) = totals(groups);
    if total_good <= 0.0 || total_bad <= 0.0 {
        return None;
    }
    let mut best = Ks {
        statistic: 0.0,
        at: groups.first().map_or(f64::NAN, |g| g.value),
    };
    let (mut cum_good, mut cum_bad) = (0.0, 0.0);
    for pair in groups.windows(2) {
        cum_good += pair[0].good;
        cum_bad += pair[0].bad;
        let gap = (cum_good / total_good - cum_bad / total_bad).abs();
        if gap > best.statistic {
            best = Ks {
                statistic: gap,
                at: pair[1].value,
            };
        }
    }
    Some(best)
}

/// Variance of the AUC by DeLong's method (DeLong, DeLong and Clarke-Pearson, 1988), from risk
/// groups sorted by increasing `value` with unit case weights: tied cases share their structural
/// components, so the grouped form is exact. `None` with fewer than two goods or two bads.
pub fn auc_variance_delong(groups: &[RiskGroup]) -> Option<f64> {
    let (n_good, n_bad) = totals(groups);
    if n_good < 2.0 || n_bad < 2.0 {
        return None;
    }
    let a = auc_of(groups)?;
    // V10 of a bad with risk v: share of goods below v plus half the ties; V01 of a good with
    // risk v: share of bads above v plus half the ties.
    let mut goods_below = 0.0;
    let mut bads_below = 0.0;
    let (mut s10, mut s01) = (0.0, 0.0);
    for g in groups {
        let v10 = (goods_below + 0.5 * g.good) / n_good;
        let v01 = (n_bad - bads_below - g.bad + 0.5 * g.bad) / n_bad;
        s10 += g.bad * (v10 - a) * (v10 - a);
        s01 += g.good * (v01 - a) * (v01 - a);
        goods_below += g.good;
        bads_below += g.bad;
    }
    Some(s10 / ((n_bad - 1.0) * n_bad) + s01 / ((n_good - 1.0) * n_good))
}

/// Cases sharing one risk value: the weight of goods and bads there.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RiskGroup {
    /// The risk value (higher = more likely to default).
    pub value: f64,
    /// Weight of goods.
    pub good: f64,
    /// Weight of bads.
    pub bad: f64,
}

type Group = RiskGroup;

fn totals(groups: &[Group]) -> (f64, f64) {
    groups
        .iter()
        .fold((0.0, 0.0), |(g, b), x| (g + x.good, b + x.bad))
}

/// Distinct risk values in increasing order with the weight of goods and bads at each.
pub fn sorted_groups(risk: &[f64], bad: &[bool], weights: Option<&[f64]>) -> Option<Vec<Group>> {
    if risk.len() != bad.len() || weights.is_some_and(|w| w.len() != risk.len()) {
        return None;
    }
    if risk.iter().any(|r| r.is_nan()) {
        return None;
    }
    if let Some(w) = weights {
        if w.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return None;
        }
    }
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_unstable_by(|&a, &b| risk[a].total_cmp(&risk[b]));
    let mut groups: Vec<Group> = Vec::new();
    for i in order {
        let w = weights.map_or(1.0, |w| w[i]);
        let (good, bad_w) = if bad[i] { (0.0, w) } else { (w, 0.0) };
        match groups.last_mut() {
            Some(g) if g.value == risk[i] => {
                g.good += good;
                g.bad += bad_w;
            }
            _ => groups.push(Group {
                value: risk[i],
                good,
                bad: bad_w,
            }),
        }
    }
    Some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// O(n^2) definition of AUC, for checking.
    fn brute_auc(risk: &[f64], bad: &[bool]) -> f64 {
        let mut num = 0.0;
        let mut den = 0.0;
        for i in 0..risk.len() {
            for j in 0..risk.len() {
                if bad[i] && !bad[j] {
                    den += 1.0;
                    if risk[i] > risk[j] {
                        num += 1.0;
                    } else if risk[i] == risk[j] {
                        num += 0.5;
                    }
                }
            }
        }
        num / den
    }

    #[test]
    fn auc_matches_pairwise_definition_with_ties() {
        let risk = [0.1, 0.4, 0.35, 0.8, 0.4, 0.1, 0.9, 0.35, 0.2];
        let bad = [false, true, false, true, false, true, true, false, false];
        let a = auc(&risk, &bad, None).unwrap();
        assert!((a - brute_auc(&risk, &bad)).abs() < 1e-12);
    }

    #[test]
    fn perfect_and_reversed_orderings() {
        let risk = [1.0, 2.0, 3.0, 4.0];
        let bad = [false, false, true, true];
        assert_eq!(auc(&risk, &bad, None), Some(1.0));
        let neg: Vec<f64> = risk.iter().map(|r| -r).collect();
        assert_eq!(auc(&neg, &bad, None), Some(0.0));
        assert_eq!(gini(&risk, &bad, None), Some(1.0));
        let k = ks(&risk, &bad, None).unwrap();
        assert_eq!(k.statistic, 1.0);
        assert_eq!(k.at, 3.0);
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let risk = [0.3, 0.1, 0.7, 0.5];
        let bad = [true, false, true, false];
        let w = [2.0, 1.0, 1.0, 3.0];
        let rep_risk = [0.3, 0.3, 0.1, 0.7, 0.5, 0.5, 0.5];
        let rep_bad = [true, true, false, true, false, false, false];
        let a = auc(&risk, &bad, Some(&w)).unwrap();
        assert!((a - auc(&rep_risk, &rep_bad, None).unwrap()).abs() < 1e-12);
        let k1 = ks(&risk, &bad, Some(&w)).unwrap();
        let k2 = ks(&rep_risk, &rep_bad, None).unwrap();
        assert!((k1.statistic - k2.statistic).abs() < 1e-12);
    }

    /// DeLong's variance by its O(m n) definition.
    fn brute_delong(risk: &[f64], bad: &[bool]) -> f64 {
        let psi = |x: f64, y: f64| {
            if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            }
        };
        let bads: Vec<f64> = (0..risk.len())
            .filter(|&i| bad[i])
            .map(|i| risk[i])
            .collect();
        let goods: Vec<f64> = (0..risk.len())
            .filter(|&i| !bad[i])
            .map(|i| risk[i])
            .collect();
        let (m, n) = (bads.len() as f64, goods.len() as f64);
        let a = brute_auc(risk, bad);
        let v10: Vec<f64> = bads
            .iter()
            .map(|&x| goods.iter().map(|&y| psi(x, y)).sum::<f64>() / n)
            .collect();
        let v01: Vec<f64> = goods
            .iter()
            .map(|&y| bads.iter().map(|&x| psi(x, y)).sum::<f64>() / m)
            .collect();
        let s10 = v10.iter().map(|v| (v - a).powi(2)).sum::<f64>() / (m - 1.0);
        let s01 = v01.iter().map(|v| (v - a).powi(2)).sum::<f64>() / (n - 1.0);
        s10 / m + s01 / n
    }

    #[test]
    fn delong_variance_matches_its_definition_with_ties() {
        let risk = [
            0.1, 0.4, 0.35, 0.8, 0.4, 0.1, 0.9, 0.35, 0.2, 0.4, 0.8, 0.05,
        ];
        let bad = [
            false, true, false, true, false, true, true, false, false, true, false, false,
        ];
        let groups = sorted_groups(&risk, &bad, None).unwrap();
        let v = auc_variance_delong(&groups).unwrap();
        assert!((v - brute_delong(&risk, &bad)).abs() < 1e-14, "{v}");
        assert_eq!(auc_of(&groups), auc(&risk, &bad, None));
    }

    #[test]
    fn degenerate_inputs_give_none() {
        assert_eq!(auc(&[0.1, 0.2], &[true, true], None), None);
        assert_eq!(auc(&[f64::NAN, 0.2], &[true, false], None), None);
        assert_eq!(auc(&[0.1], &[true, false], None), None);
        assert_eq!(auc(&[0.1, 0.2], &[true, false], Some(&[1.0, -1.0])), None);
    }
}
