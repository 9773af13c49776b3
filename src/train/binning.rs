//! Optimal binning (coarse classing) of numeric and categorical features.
//!
//! Numeric features are first cut into quantile pre-bins on their distinct values; the pre-bins
//! are then merged into the partition that maximises information value subject to a WoE trend
//! (ascending, descending, peak or valley), a minimum bin share, minimum goods and bads per bin and
//! a maximum number of bins. The merge is solved exactly by dynamic programming over the
//! pre-bins (`optimal_partition`): no MIP/CP solver, no randomness, so the same data always
//! gives bit-identical bins.
//!
//! Categorical features are ordered by WoE, rare categories are pooled into an "other" group,
//! and the same optimal merge runs over the ordered list.
//!
//! Missing values (and each declared special value) get a bin of their own, with empirical WoE,
//! when they have enough rows to meet the same size rules; otherwise they are routed explicitly
//! to a regular bin, by default the riskiest one. Unseen categories are routed the same way. No
//! value is ever scored as "WoE 0" by accident.

use serde::{Deserialize, Serialize};

use crate::format::number_text;
use crate::model::bins::two_proportion_z;
use crate::model::{
    Bin, BinKind, BinRule, Binning, BinningParams, CategoryRoute, Counts, Fallback, Prebinning,
    Route, SpecialRoute, Trend,
};
use crate::train::woe::WoeScale;

/// Size rules every bin must meet.
#[derive(Debug, Clone, Copy)]
struct SizeRules {
    min_weight: f64,
    min_count: f64,
    z: f64,
    min_goods: f64,
    min_bads: f64,
}

/// How a group of rows passes the size rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    /// Too small to be a bin.
    Under,
    /// Below the share: a bin only when it differs significantly from its neighbours.
    Small,
    /// At least the share.
    Full,
}

impl SizeRules {
    fn new(params: &BinningParams, total: Counts) -> SizeRules {
        SizeRules {
            min_weight: params.min_bin_share * total.total(),
            min_count: params.min_bin_count,
            z: params.small_bin_z,
            min_goods: params.min_bin_goods,
            min_bads: params.min_bin_bads,
        }
    }

    fn size(&self, c: Counts) -> Size {
        if !(c.goods >= self.min_goods && c.bads >= self.min_bads) {
            return Size::Under;
        }
        // A small tolerance so that a share of exactly 5% computed from weights passes.
        if c.total() >= self.min_weight * (1.0 - 1e-12) {
            Size::Full
        } else if self.min_count > 0.0 && c.total() >= self.min_count {
            Size::Small
        } else {
            Size::Under
        }
    }

    /// The size of a missing or special group: at the share it has a bin of its own even
    /// without the minimum goods and bads (its WoE, smoothed, is then large but well defined:
    /// a twentieth of the rows with no default among them is evidence, not noise).
    fn group_size(&self, c: Counts) -> Size {
        if c.total() >= self.min_weight * (1.0 - 1e-12) && c.total() > 0.0 {
            Size::Full
        } else {
            self.size(c)
        }
    }

    /// Whether two neighbouring bins of these sizes may stand side by side.
    fn neighbours_ok(&self, a: (Counts, Size), b: (Counts, Size)) -> bool {
        (a.1 == Size::Full && b.1 == Size::Full) || two_proportion_z(a.0, b.0) >= self.z
    }
}

/// A feature that cannot be binned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BinningError {
    /// A value is infinite.
    #[error("row {row}: value {value} is not finite")]
    NotFinite {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// No goods or no bads at all.
    #[error("the target has no {0}")]
    OneClass(&'static str),
    /// Pre-bin edges or counts that cannot be used.
    #[error("{0}")]
    Edges(String),
}

/// Optimal partition of `prebins` into contiguous segments, maximising the total IV under the
/// size rules, at most `max_bins` segments, and the WoE `shape` (one of the four fixed trends).
///
/// Returns the start index of each segment and the total IV, or `None` when no partition
/// (not even a single segment) satisfies the rules.
fn optimal_partition(
    prebins: &[Counts],
    scale: &WoeScale,
    rules: &SizeRules,
    max_bins: usize,
    shape: Trend,
) -> Option<(Vec<usize>, f64)> {
    let n = prebins.len();
    if n == 0 {
        return None;
    }
    let max_bins = max_bins.max(1).min(n);
    let mut prefix = vec![Counts::default(); n + 1];
    for (i, c) in prebins.iter().enumerate() {
        prefix[i + 1] = prefix[i] + *c;
    }
    // Segment [i, j] (inclusive) statistics.
    let seg = |i: usize, j: usize| prefix[j + 1] - prefix[i];
    let mut woe = vec![f64::NAN; n * n];
    let mut iv = vec![f64::NEG_INFINITY; n * n];
    let mut size = vec![Size::Under; n * n];
    for i in 0..n {
        for j in i..n {
            let c = seg(i, j);
            size[i * n + j] = rules.size(c);
            if size[i * n + j] != Size::Under {
                woe[i * n + j] = scale.woe(c);
                iv[i * n + j] = scale.iv(c);
            }
        }
    }
    // Two neighbouring segments [h, i-1] and [i, j] may stand side by side (a small one must
    // differ significantly from its neighbour).
    let side_by_side = |h: usize, i: usize, j: usize| {
        let (a, b) = (h * n + i - 1, i * n + j);
        rules.neighbours_ok((seg(h, i - 1), size[a]), (seg(i, j), size[b]))
    };
    // Phases: 0 = rising (or the only phase of a monotone trend), 1 = falling after a peak
    // (rising after a valley).
    let phases = if matches!(shape, Trend::Peak | Trend::Valley) {
        2
    } else {
        1
    };
    // first_up: in phase 0, must consecutive WoEs rise?
    let first_up = matches!(shape, Trend::Ascending | Trend::Peak);
    let idx = |k: usize, p: usize, i: usize, j: usize| ((k * phases + p) * n + i) * n + j;
    let states = (max_bins + 1) * phases * n * n;
    let mut best = vec![f64::NEG_INFINITY; states];
    let mut back: Vec<(usize, usize)> = vec![(usize::MAX, usize::MAX); states];
    for j in 0..n {
        if iv[j].is_finite() {
            best[idx(1, 0, 0, j)] = iv[j];
        }
    }
    for k in 2..=max_bins {
        for i in 1..n {
            for j in i..n {
                let cur = i * n + j;
                if !iv[cur].is_finite() {
                    continue;
                }
                for p_new in 0..phases {
                    let mut top = f64::NEG_INFINITY;
                    let mut arg = (usize::MAX, usize::MAX);
                    for p_old in 0..=p_new {
                        // The step from the previous segment to this one goes up when in the
                        // rising phase (or the falling phase of a valley).
                        let up = (p_new == 0) == first_up;
                        for h in 0..i {
                            let prev = best[idx(k - 1, p_old, h, i - 1)];
                            if prev == f64::NEG_INFINITY {
                                continue;
                            }
                            let w_prev = woe[h * n + i - 1];
                            let ok = if up {
                                woe[cur] > w_prev
                            } else {
                                woe[cur] < w_prev
                            };
                            if ok && prev > top && side_by_side(h, i, j) {
                                top = prev;
                                arg = (p_old, h);
                            }
                        }
                    }
                    if top > f64::NEG_INFINITY {
                        best[idx(k, p_new, i, j)] = top + iv[cur];
                        back[idx(k, p_new, i, j)] = arg;
                    }
                }
            }
        }
    }
    // Best end state.
    let mut top = f64::NEG_INFINITY;
    let mut end = None;
    for k in 1..=max_bins {
        for p in 0..phases {
            for i in 0..n {
                let v = best[idx(k, p, i, n - 1)];
                if v > top {
                    top = v;
                    end = Some((k, p, i));
                }
            }
        }
    }
    let (mut k, mut p, mut i) = end?;
    let mut j = n - 1;
    let mut starts = vec![i];
    while k > 1 {
        let (p_old, h) = back[idx(k, p, i, j)];
        j = i - 1;
        i = h;
        p = p_old;
        k -= 1;
        starts.push(i);
    }
    starts.reverse();
    Some((starts, top))
}

/// The counts of each segment of `prebins`, the segments starting at `starts`.
fn segment_counts(prebins: &[Counts], starts: &[usize]) -> Vec<Counts> {
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let e = starts.get(k + 1).copied().unwrap_or(prebins.len());
            prebins[s..e].iter().fold(Counts::default(), |a, c| a + *c)
        })
        .collect()
}

/// The binomial log-likelihood of the rows when each bin has its own default rate: the sum
/// over bins of `g ln(g/n) + b ln(b/n)`.
fn log_likelihood(bins: &[Counts]) -> f64 {
    let term = |x: f64, n: f64| if x > 0.0 { x * (x / n).ln() } else { 0.0 };
    bins.iter()
        .map(|c| term(c.goods, c.total()) + term(c.bads, c.total()))
        .sum()
}

/// Whether a peak or valley partition (`shaped`, of trend `shape`) stands against the best
/// monotone one: its turning bin (the safest of a peak, the riskiest of a valley) holds at
/// least `min_bin_share` of the rows, so that no single small bin of noise makes the turn, and
/// the likelihood-ratio test gives p at most `shape_significance`. A significance of 1 (files
/// written before the test existed) keeps neither check.
fn shape_stands(
    prebins: &[Counts],
    monotone: &[usize],
    shaped: &[usize],
    shape: Trend,
    params: &BinningParams,
) -> bool {
    if params.shape_significance >= 1.0 {
        return true;
    }
    let bins = segment_counts(prebins, shaped);
    let total: f64 = bins.iter().map(Counts::total).sum();
    let rate = |c: &Counts| {
        if c.total() > 0.0 {
            c.bads / c.total()
        } else {
            0.0
        }
    };
    // The first bin of the extreme rate: the lowest for a peak of WoE, the highest for a
    // valley.
    let turn = (0..bins.len()).fold(0, |best, k| {
        let (r, b) = (rate(&bins[k]), rate(&bins[best]));
        let better = if shape == Trend::Peak { r < b } else { r > b };
        if better {
            k
        } else {
            best
        }
    });
    turn > 0
        && turn + 1 < bins.len()
        && bins[turn].total() >= params.min_bin_share * total
        && shape_p_value(&segment_counts(prebins, monotone), &bins) <= params.shape_significance
}

/// The p-value of the likelihood-ratio test of a shaped (peak or valley) partition against
/// the best monotone one: `G = 2 (LL shaped - LL monotone)`, chi-squared with the extra
/// segments as degrees of freedom (at least 1, the turning point). 1 when the shape fits
/// no better.
fn shape_p_value(monotone: &[Counts], shaped: &[Counts]) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let g = 2.0 * (log_likelihood(shaped) - log_likelihood(monotone));
    let df = (shaped.len() as f64 - monotone.len() as f64).max(1.0);
    match ChiSquared::new(df) {
        Ok(chi2) if g.is_finite() && g > 0.0 => chi2.sf(g),
        _ => 1.0,
    }
}

/// Best partition for a trend setting, trying the shapes it allows. Falls back to one segment.
fn best_partition(
    prebins: &[Counts],
    scale: &WoeScale,
    rules: &SizeRules,
    params: &BinningParams,
    trend: Trend,
) -> (Vec<usize>, Trend) {
    let solve = |shape| optimal_partition(prebins, scale, rules, params.max_bins, shape);
    let pick = |a: Option<(Vec<usize>, f64)>,
                ta: Trend,
                b: Option<(Vec<usize>, f64)>,
                tb: Trend| match (a, b) {
        (Some(a), Some(b)) => {
            if b.1 > a.1 {
                (Some(b), tb)
            } else {
                (Some(a), ta)
            }
        }
        (Some(a), None) => (Some(a), ta),
        (None, b) => (b, tb),
    };
    let (chosen, shape) = match trend {
        Trend::Ascending | Trend::Descending | Trend::Peak | Trend::Valley => (solve(trend), trend),
        Trend::Auto => pick(
            solve(Trend::Ascending),
            Trend::Ascending,
            solve(Trend::Descending),
            Trend::Descending,
        ),
        Trend::AutoShape => {
            let (mono, mono_t) = pick(
                solve(Trend::Ascending),
                Trend::Ascending,
                solve(Trend::Descending),
                Trend::Descending,
            );
            let (shaped, shaped_t) = pick(
                solve(Trend::Peak),
                Trend::Peak,
                solve(Trend::Valley),
                Trend::Valley,
            );
            match (&mono, &shaped) {
                (Some(m), Some(s))
                    if s.0.len() > 2
                        && s.1 > m.1 * (1.0 + params.shape_min_gain)
                        && shape_stands(prebins, &m.0, &s.0, shaped_t, params) =>
                {
                    (shaped, shaped_t)
                }
                _ => (mono, mono_t),
            }
        }
    };
    match chosen {
        Some((starts, _)) => (starts, shape),
        None => (
            vec![0],
            if trend == Trend::Descending {
                Trend::Descending
            } else {
                Trend::Ascending
            },
        ),
    }
}

/// Quantile pre-bins over sorted distinct values: the start index (into `values`) of each
/// pre-bin. Each pre-bin holds about `total / max_prebins` of the weight; a distinct value is
/// never split.
fn quantile_prebins(weights: &[f64], max_prebins: usize) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    let target = total / max_prebins.max(1) as f64;
    let mut starts = Vec::new();
    let mut acc = 0.0;
    let mut last = None;
    for (i, w) in weights.iter().enumerate() {
        // The quantile pre-bin of a value is that of its middle rank.
        let q = ((acc + 0.5 * w) / target).floor() as i64;
        if last != Some(q) {
            starts.push(i);
            last = Some(q);
        }
        acc += w;
    }
    starts
}

/// Supervised pre-bins: the leaves of a decision tree on the target grown best first, as
/// CART does (the split that most lowers the Gini impurity, weighted by the rows, of any
/// leaf), with at most `max_leaves` leaves of at least `min_leaf` weight each. The start index
/// (into `counts`, the sorted distinct values) of each leaf; a distinct value is never split.
fn tree_prebins(counts: &[Counts], max_leaves: usize, min_leaf: f64) -> Vec<usize> {
    let mut prefix = vec![Counts::default(); counts.len() + 1];
    for (i, c) in counts.iter().enumerate() {
        prefix[i + 1] = prefix[i] + *c;
    }
    // Weighted Gini impurity of a node: n * (1 - pg^2 - pb^2) = 2 g b / n.
    let impurity = |c: Counts| {
        let n = c.total();
        if n > 0.0 {
            2.0 * c.goods * c.bads / n
        } else {
            0.0
        }
    };
    // The best split of the leaf [s, e): (gain, split index).
    let best_split = |s: usize, e: usize| -> Option<(f64, usize)> {
        let parent = prefix[e] - prefix[s];
        let whole = impurity(parent);
        let mut best: Option<(f64, usize)> = None;
        for t in s + 1..e {
            let left = prefix[t] - prefix[s];
            let right = parent - left;
            if left.total() < min_leaf || right.total() < min_leaf {
                continue;
            }
            let gain = whole - impurity(left) - impurity(right);
            if gain > 1e-12 * parent.total() && best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, t));
            }
        }
        best
    };
    // Leaves as (start, end, best split).
    type Leaf = (usize, usize, Option<(f64, usize)>);
    let mut leaves: Vec<Leaf> = vec![(0, counts.len(), best_split(0, counts.len()))];
    while leaves.len() < max_leaves.max(1) {
        let next = leaves
            .iter()
            .enumerate()
            .filter_map(|(k, l)| l.2.map(|(g, _)| (k, g)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((k, _)) = next else { break };
        let (s, e, split) = leaves[k];
        let Some((_, t)) = split else { break };
        leaves[k] = (s, t, best_split(s, t));
        leaves.insert(k + 1, (t, e, best_split(t, e)));
    }
    leaves.iter().map(|l| l.0).collect()
}

/// Label of the interval `[lower, upper)`.
pub fn interval_label(lower: Option<f64>, upper: Option<f64>) -> String {
    match (lower, upper) {
        (None, None) => "(-inf, inf)".to_string(),
        (None, Some(u)) => format!("(-inf, {})", number_text(u)),
        (Some(l), None) => format!("[{}, inf)", number_text(l)),
        (Some(l), Some(u)) => format!("[{}, {})", number_text(l), number_text(u)),
    }
}

/// Label of a category set.
pub fn categories_label(categories: &[String]) -> String {
    const SHOWN: usize = 6;
    if categories.len() <= SHOWN {
        format!("{{{}}}", categories.join(", "))
    } else {
        format!(
            "{{{}, ... ({} categories)}}",
            categories[..SHOWN].join(", "),
            categories.len()
        )
    }
}

/// Index of the regular bin a fallback picks (`regular` = number of regular bins).
fn fallback_bin(bins: &[Bin], regular: usize, fallback: Fallback) -> usize {
    let mut pick = 0;
    for (i, b) in bins.iter().enumerate().take(regular) {
        let better = match fallback {
            Fallback::Riskiest => b.woe < bins[pick].woe,
            Fallback::Safest => b.woe > bins[pick].woe,
        };
        if better {
            pick = i;
        }
    }
    pick
}

/// Routes groups of rows (missing values, a special value) once the regular bins are known.
struct Router<'a> {
    scale: &'a WoeScale,
    rules: &'a SizeRules,
    /// Every row of the feature.
    total: Counts,
    fallback: Fallback,
    /// Number of regular bins at the start of `bins`.
    regular: usize,
}

impl Router<'_> {
    /// Give a group its own bin if it is large enough (or, below the share, differs
    /// significantly from the rest of the rows), else route it to the fallback bin.
    fn route(&self, bins: &mut Vec<Bin>, counts: Counts, kind: BinKind, label: String) -> Route {
        let own = match self.rules.group_size(counts) {
            Size::Full => true,
            Size::Small => two_proportion_z(counts, self.total - counts) >= self.rules.z,
            Size::Under => false,
        };
        if own {
            bins.push(Bin {
                label,
                kind,
                counts,
                woe: self.scale.woe(counts),
                iv: self.scale.iv(counts),
            });
            Route {
                bin: bins.len() - 1,
                own_bin: true,
                counts,
            }
        } else {
            Route {
                bin: fallback_bin(bins, self.regular, self.fallback),
                own_bin: false,
                counts,
            }
        }
    }
}

fn weight(weights: Option<&[f64]>, i: usize) -> f64 {
    weights.map_or(1.0, |w| w[i])
}

fn check_classes(total: Counts) -> Result<(), BinningError> {
    if total.goods <= 0.0 {
        return Err(BinningError::OneClass("goods"));
    }
    if total.bads <= 0.0 {
        return Err(BinningError::OneClass("bads"));
    }
    Ok(())
}

/// Mergeable statistics of one numeric feature over pre-bins: what one partition of the data
/// contributes, and what the optimal binning is solved from ([`bin_numeric_counts`]).
///
/// Pre-bin `k` holds the regular values `x` with `edges[k-1] <= x < edges[k]` (open at the
/// ends). Counts from different partitions with the same edges and specials add up exactly
/// ([`NumericCounts::merge`]), so the binning of the whole does not depend on how the rows were
/// split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericCounts {
    /// Pre-bin cut points: finite and strictly increasing.
    pub edges: Vec<f64>,
    /// Special values, each counted on its own.
    pub specials: Vec<f64>,
    /// Counts of every row (missing and special included).
    pub total: Counts,
    /// Counts of the missing (NaN) values.
    pub missing: Counts,
    /// Counts of each special value.
    pub special_counts: Vec<Counts>,
    /// Counts of each pre-bin (`edges.len() + 1` of them).
    pub prebins: Vec<Counts>,
    /// Smallest regular value.
    pub min: Option<f64>,
    /// Largest regular value.
    pub max: Option<f64>,
}

/// Pre-bin edges that are not finite and increasing, or counts that cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CountsError(pub String);

impl NumericCounts {
    /// Empty counts over `edges` (sorted and deduplicated here; each must be finite).
    pub fn new(mut edges: Vec<f64>, specials: &[f64]) -> Result<NumericCounts, CountsError> {
        if let Some(e) = edges.iter().find(|e| !e.is_finite()) {
            return Err(CountsError(format!("pre-bin edge {e} is not finite")));
        }
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        Ok(NumericCounts {
            prebins: vec![Counts::default(); edges.len() + 1],
            edges,
            specials: specials.to_vec(),
            total: Counts::default(),
            missing: Counts::default(),
            special_counts: vec![Counts::default(); specials.len()],
            min: None,
            max: None,
        })
    }

    /// Count one row. An infinite value is an error (it has no place in a pre-bin).
    pub fn add(&mut self, x: f64, bad: bool, w: f64) -> Result<(), f64> {
        self.total.add(bad, w);
        if x.is_nan() {
            self.missing.add(bad, w);
        } else if let Some(s) = self.specials.iter().position(|&s| s == x) {
            self.special_counts[s].add(bad, w);
        } else if x.is_infinite() {
            return Err(x);
        } else {
            let k = self.edges.partition_point(|&e| e <= x);
            self.prebins[k].add(bad, w);
            self.min = Some(self.min.map_or(x, |m| m.min(x)));
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
        }
        Ok(())
    }

    /// Add the counts of another part of the data, counted over the same edges and specials.
    pub fn merge(&mut self, other: &NumericCounts) -> Result<(), CountsError> {
        if self.edges != other.edges || self.specials != other.specials {
            return Err(CountsError(
                "numeric counts over different pre-bin edges or specials cannot be merged".into(),
            ));
        }
        self.total += other.total;
        self.missing += other.missing;
        for (a, b) in self.special_counts.iter_mut().zip(&other.special_counts) {
            *a += *b;
        }
        for (a, b) in self.prebins.iter_mut().zip(&other.prebins) {
            *a += *b;
        }
        let pick = |a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, b) => a.or(b),
        };
        self.min = pick(self.min, other.min, f64::min);
        self.max = pick(self.max, other.max, f64::max);
        Ok(())
    }

    /// Count a column with edges at its own weighted quantiles: the single-machine pre-binning.
    /// Each pre-bin holds about `1 / max_prebins` of the weight; a distinct value is never split.
    pub fn quantiles(
        values: &[f64],
        bad: &[bool],
        weights: Option<&[f64]>,
        specials: &[f64],
        max_prebins: usize,
    ) -> Result<NumericCounts, BinningError> {
        Self::quantiles_with(values, bad, weights, specials, max_prebins, None)
    }

    /// [`Self::quantiles`] under the binning settings `detect`, when given: a pre-bin holds at
    /// least `min_bin_count`, and (with `detect_specials`) value spikes found by
    /// [`detect_spikes`] become special values of their own (after the given `specials`).
    fn quantiles_with(
        values: &[f64],
        bad: &[bool],
        weights: Option<&[f64]>,
        specials: &[f64],
        max_prebins: usize,
        detect: Option<&BinningParams>,
    ) -> Result<NumericCounts, BinningError> {
        let mut total = Counts::default();
        let mut missing = Counts::default();
        let mut special_counts = vec![Counts::default(); specials.len()];
        let mut regular: Vec<(f64, bool, f64)> = Vec::with_capacity(values.len());
        for (i, &x) in values.iter().enumerate() {
            let w = weight(weights, i);
            total.add(bad[i], w);
            if x.is_nan() {
                missing.add(bad[i], w);
            } else if let Some(s) = specials.iter().position(|&s| s == x) {
                special_counts[s].add(bad[i], w);
            } else if x.is_infinite() {
                return Err(BinningError::NotFinite { row: i, value: x });
            } else {
                regular.push((x, bad[i], w));
            }
        }
        let (mut distinct, mut counts) = distinct_counts(regular, weights.is_none());
        let mut specials = specials.to_vec();
        if let Some(params) = detect.filter(|p| p.detect_specials) {
            let spikes = detect_spikes(&counts, total, params);
            for &d in spikes.iter().rev() {
                specials.push(distinct.remove(d));
                special_counts.push(counts.remove(d));
            }
            // Detected specials in increasing order, after the given ones.
            let given = specials.len() - spikes.len();
            specials[given..].reverse();
            special_counts[given..].reverse();
        }
        let dist_weights: Vec<f64> = counts.iter().map(Counts::total).collect();
        let regular: f64 = dist_weights.iter().sum();
        // A pre-bin holds at least `min_bin_count` of the weight: on a small sample the
        // candidate cut points are fewer, so that none is chosen among noise.
        let max_prebins = match detect {
            Some(p) if p.min_bin_count > 0.0 => {
                max_prebins.min(((regular / p.min_bin_count).floor() as usize).max(2))
            }
            _ => max_prebins,
        };
        let pre_starts = match detect {
            Some(p) if p.prebinning == Prebinning::Tree && !counts.is_empty() => {
                let min_leaf = (regular / p.max_prebins.max(1) as f64).max(p.min_bin_count);
                tree_prebins(&counts, p.max_prebins, min_leaf)
            }
            _ => quantile_prebins(&dist_weights, max_prebins),
        };
        let prebins = segment_counts(&counts, &pre_starts);
        let edges: Vec<f64> = pre_starts.iter().skip(1).map(|&s| distinct[s]).collect();
        Ok(NumericCounts {
            // No values at all: one (empty) pre-bin.
            prebins: if prebins.is_empty() {
                vec![Counts::default()]
            } else {
                prebins
            },
            edges,
            specials,
            total,
            missing,
            special_counts,
            min: distinct.first().copied(),
            max: distinct.last().copied(),
        })
    }
}

/// A key whose unsigned order is `f64::total_cmp`'s order of the values.
fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value of an [`order_key`].
fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// The distinct values of `(value, bad, weight)` rows in increasing order, with their counts
/// (values equal as numbers, -0 and 0, are one). With unit weights (`unit`) the values of the
/// goods and of the bads are sorted apart as integer keys and merged, a few times faster than
/// sorting the rows; the counts are the same, since sums of ones are exact in any order.
fn distinct_counts(mut regular: Vec<(f64, bool, f64)>, unit: bool) -> (Vec<f64>, Vec<Counts>) {
    let mut distinct: Vec<f64> = Vec::new();
    let mut counts: Vec<Counts> = Vec::new();
    let mut push = |x: f64, b: bool, w: f64| {
        if distinct.last() != Some(&x) {
            distinct.push(x);
            counts.push(Counts::default());
        }
        if let Some(c) = counts.last_mut() {
            c.add(b, w);
        }
    };
    if unit {
        let (mut goods, mut bads): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
        for &(x, b, _) in &regular {
            if b {
                bads.push(order_key(x));
            } else {
                goods.push(order_key(x));
            }
        }
        drop(regular);
        goods.sort_unstable();
        bads.sort_unstable();
        let (mut g, mut b) = (goods.iter().peekable(), bads.iter().peekable());
        loop {
            let bad = match (g.peek(), b.peek()) {
                (Some(&&kg), Some(&&kb)) => kb < kg,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (None, None) => break,
            };
            let key = if bad { b.next() } else { g.next() };
            if let Some(&key) = key {
                push(from_order_key(key), bad, 1.0);
            }
        }
    } else {
        regular.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(x, b, w) in &regular {
            push(x, b, w);
        }
    }
    (distinct, counts)
}

/// Value spikes to bin apart: the indices (increasing) of the distinct values, given their
/// counts in increasing order of value, that are interior (neither the smallest nor the
/// largest value), hold at least `min_bin_share` of `total`, and whose bad rate is above the
/// bad rate on both sides of them, or below it on both sides, by a two-proportion z of at
/// least `small_bin_z` each. A side is the neighbouring values up to `min_bin_share` of the
/// weight, and needs at least `min_bin_count` of it (and one row).
///
/// Such a value is not part of the feature's trend: typically a missing or "no record" code
/// replaced by a mean or a fixed number before the data reached the scorecard. A monotone
/// binning would have to pool it with its neighbours, whose risk it does not share.
pub fn detect_spikes(counts: &[Counts], total: Counts, params: &BinningParams) -> Vec<usize> {
    let share = params.min_bin_share * total.total();
    let side_min = params.min_bin_count.max(f64::MIN_POSITIVE);
    let window = |range: &mut dyn Iterator<Item = usize>| {
        let mut c = Counts::default();
        for k in range {
            if c.total() >= share {
                break;
            }
            c += counts[k];
        }
        c
    };
    let rate = |c: Counts| c.bads / c.total();
    let mut spikes = Vec::new();
    for d in 1..counts.len().saturating_sub(1) {
        let c = counts[d];
        if share <= 0.0 || c.total() < share * (1.0 - 1e-12) {
            continue;
        }
        let left = window(&mut (0..d).rev());
        let right = window(&mut (d + 1..counts.len()));
        if left.total() < side_min || right.total() < side_min {
            continue;
        }
        let (r, rl, rr) = (rate(c), rate(left), rate(right));
        let apart = (r > rl && r > rr) || (r < rl && r < rr);
        if apart
            && two_proportion_z(c, left) >= params.small_bin_z
            && two_proportion_z(c, right) >= params.small_bin_z
        {
            spikes.push(d);
        }
    }
    spikes
}

/// Bin a numeric feature. `values` uses NaN for missing; `specials` are values that get their own
/// treatment; `trend` overrides `params.trend` for this feature. Pre-bins are the column's own
/// weighted quantiles ([`NumericCounts::quantiles`]).
pub fn bin_numeric(
    values: &[f64],
    bad: &[bool],
    weights: Option<&[f64]>,
    specials: &[f64],
    params: &BinningParams,
    trend: Option<Trend>,
) -> Result<Binning, BinningError> {
    let counts = numeric_counts(values, bad, weights, specials, None, params)?;
    bin_numeric_counts(&counts, params, trend)
}

/// Bin a numeric feature over given pre-bin edges (for example quantiles computed elsewhere).
pub fn bin_numeric_with_edges(
    values: &[f64],
    bad: &[bool],
    weights: Option<&[f64]>,
    specials: &[f64],
    edges: &[f64],
    params: &BinningParams,
    trend: Option<Trend>,
) -> Result<Binning, BinningError> {
    let counts = numeric_counts(values, bad, weights, specials, Some(edges), params)?;
    bin_numeric_counts(&counts, params, trend)
}

/// The pre-bin counts of a numeric column: over `edges` when given, else over its own
/// quantiles with value spikes detected (when `params.detect_specials`).
pub fn numeric_counts(
    values: &[f64],
    bad: &[bool],
    weights: Option<&[f64]>,
    specials: &[f64],
    edges: Option<&[f64]>,
    params: &BinningParams,
) -> Result<NumericCounts, BinningError> {
    let Some(edges) = edges else {
        return NumericCounts::quantiles_with(
            values,
            bad,
            weights,
            specials,
            params.max_prebins,
            Some(params),
        );
    };
    let mut counts =
        NumericCounts::new(edges.to_vec(), specials).map_err(|e| BinningError::Edges(e.0))?;
    for (i, &x) in values.iter().enumerate() {
        counts
            .add(x, bad[i], weight(weights, i))
            .map_err(|value| BinningError::NotFinite { row: i, value })?;
    }
    Ok(counts)
}

/// Whether every non-empty group holds only goods or only bads, with both classes present:
/// the groups then determine the outcome.
fn pure_groups<'a>(groups: impl Iterator<Item = &'a Counts>) -> bool {
    let (mut goods, mut bads) = (false, false);
    for c in groups {
        if c.goods > 0.0 && c.bads > 0.0 {
            return false;
        }
        goods |= c.goods > 0.0;
        bads |= c.bads > 0.0;
    }
    goods && bads
}

impl NumericCounts {
    /// Whether the pre-bins (with the missing and special groups) determine the outcome: each
    /// holds only defaults or only repayments. A feature that does is a copy of the target or
    /// a function of it (a leak), never a predictor.
    pub fn determines_target(&self) -> bool {
        pure_groups(
            self.prebins
                .iter()
                .chain(std::iter::once(&self.missing))
                .chain(&self.special_counts),
        )
    }
}

/// Solve the optimal binning of a numeric feature from its (merged) pre-bin counts. Empty
/// pre-bins are skipped: a bin starts at the lower edge of its first non-empty pre-bin.
pub fn bin_numeric_counts(
    counts: &NumericCounts,
    params: &BinningParams,
    trend: Option<Trend>,
) -> Result<Binning, BinningError> {
    let total = counts.total;
    check_classes(total)?;
    if counts.prebins.len() != counts.edges.len() + 1
        || counts.special_counts.len() != counts.specials.len()
    {
        return Err(BinningError::Edges(
            "pre-bin counts do not match their edges or specials".into(),
        ));
    }
    // Non-empty pre-bins with their lower edges (None for the first).
    let mut lowers: Vec<Option<f64>> = Vec::new();
    let mut prebins: Vec<Counts> = Vec::new();
    for (k, c) in counts.prebins.iter().enumerate() {
        if c.total() > 0.0 {
            lowers.push(if prebins.is_empty() {
                None
            } else {
                Some(counts.edges[k - 1])
            });
            prebins.push(*c);
        }
    }
    let scale = WoeScale::new(total, params.smoothing);
    let rules = SizeRules::new(params, total);
    let requested = trend.unwrap_or(params.trend);
    let (seg_starts, chosen) = if prebins.is_empty() {
        (Vec::new(), Trend::Ascending)
    } else {
        best_partition(&prebins, &scale, &rules, params, requested)
    };
    // Regular bins.
    let mut edges = Vec::new();
    let mut bins = Vec::new();
    for (k, &s) in seg_starts.iter().enumerate() {
        let e = seg_starts.get(k + 1).copied().unwrap_or(prebins.len());
        let c = prebins[s..e].iter().fold(Counts::default(), |a, c| a + *c);
        let lower = if k > 0 { lowers[s] } else { None };
        let upper = seg_starts.get(k + 1).and_then(|&n| lowers[n]);
        if let Some(u) = upper {
            edges.push(u);
        }
        bins.push(Bin {
            label: interval_label(lower, upper),
            kind: BinKind::Interval { lower, upper },
            counts: c,
            woe: scale.woe(c),
            iv: scale.iv(c),
        });
    }
    if bins.is_empty() {
        // Every row is missing or special: one empty regular bin keeps the rule well-formed.
        bins.push(Bin {
            label: interval_label(None, None),
            kind: BinKind::Interval {
                lower: None,
                upper: None,
            },
            counts: Counts::default(),
            woe: scale.woe(Counts::default()),
            iv: 0.0,
        });
    }
    let router = Router {
        scale: &scale,
        rules: &rules,
        total,
        fallback: params.fallback,
        regular: bins.len(),
    };
    let missing_route = router.route(
        &mut bins,
        counts.missing,
        BinKind::Missing,
        "missing".into(),
    );
    let mut special_routes = Vec::with_capacity(counts.specials.len());
    for (s, &value) in counts.specials.iter().enumerate() {
        let label = format!("special {}", number_text(value));
        let route = router.route(
            &mut bins,
            counts.special_counts[s],
            BinKind::Special { value },
            label,
        );
        special_routes.push(SpecialRoute { value, route });
    }
    let iv = bins.iter().map(|b| b.iv).sum();
    Ok(Binning {
        rule: BinRule::Numeric {
            edges,
            specials: special_routes,
            min: counts.min,
            max: counts.max,
        },
        bins,
        missing: missing_route,
        trend: chosen,
        iv,
    })
}

/// Mergeable statistics of one categorical feature: counts per category, of missing values and
/// of every row. Counts of different parts of the data add up exactly ([`Self::merge`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoricalCounts {
    /// Counts of every row (missing included).
    pub total: Counts,
    /// Counts of missing values.
    pub missing: Counts,
    /// Counts per category.
    pub levels: Vec<(String, Counts)>,
}

impl CategoricalCounts {
    /// Add the counts of another part of the data; categories end up sorted by name.
    pub fn merge(&mut self, other: &CategoricalCounts) {
        self.total += other.total;
        self.missing += other.missing;
        let mut all: std::collections::BTreeMap<String, Counts> =
            std::mem::take(&mut self.levels).into_iter().collect();
        for (level, c) in &other.levels {
            *all.entry(level.clone()).or_default() += *c;
        }
        self.levels = all.into_iter().collect();
    }
}

impl CategoricalCounts {
    /// The groups binning starts from: every category with rows, the rare ones pooled into
    /// one "other" group (last). A category is rare below `min_bin_count` rows (or below
    /// `min_bin_share` when small bins are off, or when the share is the smaller): with fewer
    /// rows its bad rate is too uncertain to place it among the others. A group below the share
    /// becomes a bin of its own only when it differs significantly from its neighbours.
    fn groups(&self, params: &BinningParams) -> Vec<(Vec<String>, Counts)> {
        let share = params.min_bin_share * self.total.total();
        let rare_limit = if params.min_bin_count > 0.0 {
            params.min_bin_count.min(share)
        } else {
            share
        };
        let mut groups: Vec<(Vec<String>, Counts)> = Vec::new();
        let mut other: (Vec<String>, Counts) = (Vec::new(), Counts::default());
        for (level, c) in &self.levels {
            if c.total() <= 0.0 {
                continue;
            }
            if c.total() < rare_limit * (1.0 - 1e-12) {
                other.0.push(level.clone());
                other.1 += *c;
            } else {
                groups.push((vec![level.clone()], *c));
            }
        }
        if !other.0.is_empty() {
            other.0.sort();
            groups.push(other);
        }
        groups
    }

    /// Whether the groups binning starts from (with the missing group) determine the outcome:
    /// each holds only defaults or only repayments (a copy of the target, or a function of it).
    /// Rare categories are pooled first, so an id column whose every value is one row does
    /// not count.
    pub fn determines_target(&self, params: &BinningParams) -> bool {
        self.pure(&self.groups(params))
    }

    fn pure(&self, groups: &[(Vec<String>, Counts)]) -> bool {
        pure_groups(
            groups
                .iter()
                .map(|g| &g.1)
                .chain(std::iter::once(&self.missing)),
        )
    }
}

/// The counts of a categorical column given per-row codes into `levels`
/// (`crate::input::table::MISSING_CODE` for missing).
pub fn categorical_counts(
    codes: &[u32],
    levels: &[String],
    bad: &[bool],
    weights: Option<&[f64]>,
) -> CategoricalCounts {
    let mut total = Counts::default();
    let mut missing = Counts::default();
    let mut per_level = vec![Counts::default(); levels.len()];
    for (i, &code) in codes.iter().enumerate() {
        let w = weight(weights, i);
        total.add(bad[i], w);
        match per_level.get_mut(code as usize) {
            Some(c) => c.add(bad[i], w),
            None => missing.add(bad[i], w),
        }
    }
    CategoricalCounts {
        total,
        missing,
        levels: levels.iter().cloned().zip(per_level).collect(),
    }
}

/// Bin a categorical feature given per-row codes into `levels` (`crate::input::table::MISSING_CODE`
/// for missing).
pub fn bin_categorical(
    codes: &[u32],
    levels: &[String],
    bad: &[bool],
    weights: Option<&[f64]>,
    params: &BinningParams,
) -> Result<Binning, BinningError> {
    bin_categorical_counts(&categorical_counts(codes, levels, bad, weights), params)
}

/// Solve the binning of a categorical feature from its (merged) counts.
pub fn bin_categorical_counts(
    counts: &CategoricalCounts,
    params: &BinningParams,
) -> Result<Binning, BinningError> {
    bin_categorical_groups(counts, counts.groups(params), params)
}

/// [`bin_categorical_counts`] and [`CategoricalCounts::determines_target`] together, from one
/// pooling of the rare categories: (the binning, whether the column is a leak).
pub fn bin_categorical_checked(
    counts: &CategoricalCounts,
    params: &BinningParams,
) -> Result<(Binning, bool), BinningError> {
    let groups = counts.groups(params);
    let leak = counts.pure(&groups);
    Ok((bin_categorical_groups(counts, groups, params)?, leak))
}

fn bin_categorical_groups(
    counts: &CategoricalCounts,
    mut groups: Vec<(Vec<String>, Counts)>,
    params: &BinningParams,
) -> Result<Binning, BinningError> {
    let (total, missing) = (counts.total, counts.missing);
    check_classes(total)?;
    let scale = WoeScale::new(total, params.smoothing);
    let rules = SizeRules::new(params, total);
    // Order by WoE (ties by first category name, for determinism).
    groups.sort_by(|a, b| {
        scale
            .woe(a.1)
            .total_cmp(&scale.woe(b.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    // Too many groups for the exact merge: pre-merge neighbours in WoE order into quantiles.
    if groups.len() > params.max_prebins.max(2) {
        let w: Vec<f64> = groups.iter().map(|g| g.1.total()).collect();
        let starts = quantile_prebins(&w, params.max_prebins);
        let mut merged = Vec::with_capacity(starts.len());
        for (k, &s) in starts.iter().enumerate() {
            let e = starts.get(k + 1).copied().unwrap_or(groups.len());
            let mut cats: Vec<String> = groups[s..e].iter().flat_map(|g| g.0.clone()).collect();
            cats.sort();
            let c = groups[s..e].iter().fold(Counts::default(), |a, g| a + g.1);
            merged.push((cats, c));
        }
        groups = merged;
    }
    let prebins: Vec<Counts> = groups.iter().map(|g| g.1).collect();
    let (seg_starts, _) = if prebins.is_empty() {
        (Vec::new(), Trend::Ascending)
    } else {
        best_partition(&prebins, &scale, &rules, params, Trend::Ascending)
    };
    let mut bins = Vec::new();
    let mut routes = Vec::new();
    for (k, &s) in seg_starts.iter().enumerate() {
        let e = seg_starts.get(k + 1).copied().unwrap_or(groups.len());
        let mut cats: Vec<String> = groups[s..e].iter().flat_map(|g| g.0.clone()).collect();
        cats.sort();
        let c = prebins[s..e].iter().fold(Counts::default(), |a, c| a + *c);
        for cat in &cats {
            routes.push(CategoryRoute {
                category: cat.clone(),
                bin: k,
            });
        }
        bins.push(Bin {
            label: categories_label(&cats),
            kind: BinKind::Categories { categories: cats },
            counts: c,
            woe: scale.woe(c),
            iv: scale.iv(c),
        });
    }
    if bins.is_empty() {
        bins.push(Bin {
            label: "{}".into(),
            kind: BinKind::Categories {
                categories: Vec::new(),
            },
            counts: Counts::default(),
            woe: scale.woe(Counts::default()),
            iv: 0.0,
        });
    }
    routes.sort_by(|a, b| a.category.cmp(&b.category));
    let unseen_bin = fallback_bin(&bins, bins.len(), params.fallback);
    let router = Router {
        scale: &scale,
        rules: &rules,
        total,
        fallback: params.fallback,
        regular: bins.len(),
    };
    let missing_route = router.route(&mut bins, missing, BinKind::Missing, "missing".into());
    let iv = bins.iter().map(|b| b.iv).sum();
    Ok(Binning {
        rule: BinRule::Categorical {
            categories: routes,
            unseen_bin,
        },
        bins,
        missing: missing_route,
        trend: Trend::Ascending,
        iv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_counts_of_unit_weights_match_the_row_sort() {
        let rows: Vec<(f64, bool, f64)> = (0..2000)
            .map(|i| {
                let x = match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => -1.5 * f64::from(i % 13),
                    _ => f64::from((i * 37) % 101) / 4.0,
                };
                (x, (i * 11) % 5 == 0, 1.0)
            })
            .collect();
        let fast = distinct_counts(rows.clone(), true);
        let sorted = distinct_counts(rows, false);
        assert_eq!(fast, sorted);
        assert!(fast.0.windows(2).all(|w| w[0] < w[1]));
        for x in [-2.5, -0.0, 0.0, 1e-300, f64::MAX, -f64::MAX] {
            assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
        }
        assert!(order_key(-1.0) < order_key(-0.0) && order_key(-0.0) < order_key(0.0));
    }

    fn rules(min_weight: f64, min_goods: f64, min_bads: f64) -> SizeRules {
        SizeRules {
            min_weight,
            min_count: 0.0,
            z: 1.96,
            min_goods,
            min_bads,
        }
    }

    /// Every partition of `n` pre-bins, as segment start lists.
    fn all_partitions(n: usize) -> Vec<Vec<usize>> {
        (0u32..1 << (n - 1))
            .map(|mask| {
                let mut starts = vec![0];
                starts.extend((1..n).filter(|i| mask & (1 << (i - 1)) != 0));
                starts
            })
            .collect()
    }

    fn shape_ok(woes: &[f64], shape: Trend) -> bool {
        let ups: Vec<bool> = woes.windows(2).map(|w| w[1] > w[0]).collect();
        let downs: Vec<bool> = woes.windows(2).map(|w| w[1] < w[0]).collect();
        match shape {
            Trend::Ascending => ups.iter().all(|&u| u),
            Trend::Descending => downs.iter().all(|&d| d),
            Trend::Peak => {
                let turn = ups.iter().position(|&u| !u).unwrap_or(ups.len());
                ups[..turn].iter().all(|&u| u) && downs[turn..].iter().all(|&d| d)
            }
            Trend::Valley => {
                let turn = downs.iter().position(|&d| !d).unwrap_or(downs.len());
                downs[..turn].iter().all(|&d| d) && ups[turn..].iter().all(|&u| u)
            }
            _ => unreachable!(),
        }
    }

    fn brute_force(
        prebins: &[Counts],
        scale: &WoeScale,
        rules: &SizeRules,
        max_bins: usize,
        shape: Trend,
    ) -> Option<f64> {
        all_partitions(prebins.len())
            .into_iter()
            .filter(|s| s.len() <= max_bins)
            .filter_map(|starts| {
                let segs = segment_counts(prebins, &starts);
                let sizes: Vec<Size> = segs.iter().map(|c| rules.size(*c)).collect();
                if sizes.contains(&Size::Under) {
                    return None;
                }
                let pairs_ok = (1..segs.len()).all(|k| {
                    (sizes[k - 1] == Size::Full && sizes[k] == Size::Full)
                        || two_proportion_z(segs[k - 1], segs[k]) >= rules.z
                });
                if !pairs_ok {
                    return None;
                }
                let woes: Vec<f64> = segs.iter().map(|c| scale.woe(*c)).collect();
                shape_ok(&woes, shape).then(|| segs.iter().map(|c| scale.iv(*c)).sum::<f64>())
            })
            .max_by(f64::total_cmp)
    }

    /// A tiny deterministic generator for test inputs.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    #[test]
    fn dynamic_programme_matches_brute_force() {
        let mut state = 12345u64;
        for case in 0..400 {
            let n = 1 + (lcg(&mut state) % 10) as usize;
            let prebins: Vec<Counts> = (0..n)
                .map(|_| Counts::new((lcg(&mut state) % 60) as f64, (lcg(&mut state) % 15) as f64))
                .collect();
            let total = prebins.iter().fold(Counts::default(), |a, c| a + *c);
            if total.goods == 0.0 || total.bads == 0.0 {
                continue;
            }
            let scale = WoeScale::new(total, 0.5);
            let mut r = rules(
                (lcg(&mut state) % 40) as f64,
                (lcg(&mut state) % 4) as f64,
                (lcg(&mut state) % 4) as f64,
            );
            // Half the cases allow small bins that must differ from their neighbours.
            if case % 2 == 1 {
                r.min_count = (lcg(&mut state) % 20) as f64;
                r.z = [0.5, 1.0, 1.96][(lcg(&mut state) % 3) as usize];
            }
            let max_bins = 1 + (lcg(&mut state) % 6) as usize;
            for shape in [
                Trend::Ascending,
                Trend::Descending,
                Trend::Peak,
                Trend::Valley,
            ] {
                let dp = optimal_partition(&prebins, &scale, &r, max_bins, shape);
                let brute = brute_force(&prebins, &scale, &r, max_bins, shape);
                match (dp, brute) {
                    (None, None) => {}
                    (Some((starts, iv)), Some(b)) => {
                        assert!(
                            (iv - b).abs() < 1e-9,
                            "case {case} {shape:?}: dp {iv} brute {b}"
                        );
                        // The returned partition is feasible and has the claimed IV.
                        assert_eq!(starts[0], 0);
                        assert!(starts.len() <= max_bins);
                        let segs = segment_counts(&prebins, &starts);
                        let sizes: Vec<Size> = segs.iter().map(|c| r.size(*c)).collect();
                        assert!(!sizes.contains(&Size::Under), "case {case}");
                        for k in 1..segs.len() {
                            assert!(
                                r.neighbours_ok((segs[k - 1], sizes[k - 1]), (segs[k], sizes[k])),
                                "case {case}"
                            );
                        }
                        let woes: Vec<f64> = segs.iter().map(|c| scale.woe(*c)).collect();
                        assert!(shape_ok(&woes, shape), "case {case} {shape:?} {woes:?}");
                        let total_iv: f64 = segs.iter().map(|c| scale.iv(*c)).sum();
                        assert!((total_iv - iv).abs() < 1e-9);
                    }
                    (dp, brute) => panic!("case {case} {shape:?}: dp {dp:?} brute {brute:?}"),
                }
            }
        }
    }

    #[test]
    fn quantile_prebins_never_split_a_value() {
        assert_eq!(quantile_prebins(&[1.0; 10], 5), vec![0, 2, 4, 6, 8]);
        assert_eq!(quantile_prebins(&[1.0; 3], 20), vec![0, 1, 2]);
        // One heavy value takes a whole pre-bin of its own.
        assert_eq!(quantile_prebins(&[1.0, 50.0, 1.0, 1.0], 4), vec![0, 1, 2]);
    }

    fn sample(n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut state = 99u64;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for _ in 0..n {
            let x = (lcg(&mut state) % 1000) as f64 / 10.0;
            let p = 0.02 + 0.25 * (x / 100.0);
            let u = (lcg(&mut state) % 10_000) as f64 / 10_000.0;
            xs.push(if lcg(&mut state) % 20 == 0 {
                f64::NAN
            } else {
                x
            });
            ys.push(u < p);
        }
        (xs, ys)
    }

    #[test]
    fn numeric_binning_is_monotone_and_complete() {
        let (xs, ys) = sample(20_000);
        let params = BinningParams::default();
        let b = bin_numeric(&xs, &ys, None, &[], &params, None).unwrap();
        assert_eq!(b.trend, Trend::Descending, "risk rises with x");
        let n = b.n_regular();
        assert!(n >= 3, "{:?}", b.bins);
        for w in b.bins[..n].windows(2) {
            assert!(w[1].woe < w[0].woe);
        }
        // Missing (5%) has its own bin; the counts add up to the rows.
        assert!(b.missing.own_bin);
        let total: f64 = b.bins.iter().map(|b| b.counts.total()).sum();
        assert_eq!(total, 20_000.0);
        // Each value lands in the bin whose interval holds it.
        for &x in &xs {
            let i = b.numeric_bin(x).unwrap();
            match &b.bins[i].kind {
                BinKind::Interval { lower, upper } => {
                    assert!(lower.is_none_or(|l| x >= l) && upper.is_none_or(|u| x < u))
                }
                BinKind::Missing => assert!(x.is_nan()),
                other => panic!("{other:?}"),
            }
        }
        // Bit-identical on a second run.
        assert_eq!(b, bin_numeric(&xs, &ys, None, &[], &params, None).unwrap());
    }

    #[test]
    fn small_missing_group_joins_the_riskiest_bin_explicitly() {
        let (mut xs, ys) = sample(5_000);
        for x in xs.iter_mut() {
            if x.is_nan() {
                *x = 1.0;
            }
        }
        xs[0] = f64::NAN;
        xs[1] = -1.0;
        xs[2] = -1.0;
        let b = bin_numeric(&xs, &ys, None, &[-1.0], &BinningParams::default(), None).unwrap();
        let n = b.n_regular();
        let riskiest = (0..n)
            .min_by(|&i, &j| b.bins[i].woe.total_cmp(&b.bins[j].woe))
            .unwrap();
        assert!(!b.missing.own_bin);
        assert_eq!(b.missing.bin, riskiest);
        assert_eq!(b.missing.counts.total(), 1.0);
        assert_eq!(b.numeric_bin(f64::NAN), Some(riskiest));
        assert_eq!(
            b.numeric_bin(-1.0),
            Some(riskiest),
            "special value routed, not binned as -1"
        );
    }

    #[test]
    fn categorical_binning_orders_pools_and_routes_unseen() {
        let levels: Vec<String> = ["a", "b", "c", "d", "rare1", "rare2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut codes = Vec::new();
        let mut ys = Vec::new();
        let spec = [
            (0, 3000, 0.02),
            (1, 3000, 0.10),
            (2, 2000, 0.05),
            (3, 1900, 0.20),
            (4, 30, 0.5),
            (5, 30, 0.5),
        ];
        for (code, n, rate) in spec {
            let bads = (n as f64 * rate) as usize;
            for k in 0..n {
                codes.push(code);
                ys.push(k < bads);
            }
        }
        codes.push(crate::input::table::MISSING_CODE);
        ys.push(false);
        let b = bin_categorical(&codes, &levels, &ys, None, &BinningParams::default()).unwrap();
        let n = b.n_regular();
        for w in b.bins[..n].windows(2) {
            assert!(w[1].woe > w[0].woe, "bins ordered by WoE");
        }
        let rare = b.category_bin(Some("rare1")).unwrap();
        assert_eq!(
            rare,
            b.category_bin(Some("rare2")).unwrap(),
            "rare categories (fewer rows than min_bin_count) pooled"
        );
        let unseen = b.category_bin(Some("never seen")).unwrap();
        let riskiest = (0..n)
            .min_by(|&i, &j| b.bins[i].woe.total_cmp(&b.bins[j].woe))
            .unwrap();
        assert_eq!(unseen, riskiest);
        assert_eq!(b.category_bin(None).unwrap(), b.missing.bin);
        assert!(b.bins[b.category_bin(Some("a")).unwrap()].woe > b.bins[riskiest].woe);
    }

    /// Rows of a group: `n` rows of which the first `bads` default.
    fn rows(x: f64, n: usize, bads: usize, xs: &mut Vec<f64>, ys: &mut Vec<bool>) {
        for k in 0..n {
            xs.push(x);
            ys.push(k < bads);
        }
    }

    #[test]
    fn a_small_group_with_a_distinct_rate_stands_and_one_without_does_not() {
        // A flag whose minority level holds 3% of the rows: at 32% against 20% it is a bin
        // of its own (z about 4.2); at 21% against 20% it is not (z about 0.4).
        for (bads, separate) in [(96, true), (63, false)] {
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            rows(0.0, 9700, 1940, &mut xs, &mut ys);
            rows(1.0, 300, bads, &mut xs, &mut ys);
            let b = bin_numeric(&xs, &ys, None, &[], &BinningParams::default(), None).unwrap();
            assert_eq!(b.n_regular() == 2, separate, "{bads} bads: {:?}", b.bins);
            // The same as a categorical code.
            let levels = vec!["common".to_string(), "minority".to_string()];
            let codes: Vec<u32> = xs.iter().map(|&x| x as u32).collect();
            let b = bin_categorical(&codes, &levels, &ys, None, &BinningParams::default()).unwrap();
            assert_eq!(b.n_regular() == 2, separate, "{bads} bads: {:?}", b.bins);
        }
        // Small bins off (min_bin_count 0): the share alone rules, and the level is pooled.
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        rows(0.0, 9700, 1940, &mut xs, &mut ys);
        rows(1.0, 300, 96, &mut xs, &mut ys);
        let off = BinningParams {
            min_bin_count: 0.0,
            ..BinningParams::default()
        };
        assert_eq!(
            bin_numeric(&xs, &ys, None, &[], &off, None)
                .unwrap()
                .n_regular(),
            1
        );
    }

    #[test]
    fn zero_inflated_amounts_keep_their_safer_tail() {
        // 96% zeros at 21% bad; the 4% with an amount are much safer (8%).
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        rows(0.0, 9600, 2016, &mut xs, &mut ys);
        for k in 0..400 {
            xs.push(100.0 + k as f64);
            ys.push(k % 25 < 2);
        }
        let b = bin_numeric(&xs, &ys, None, &[], &BinningParams::default(), None).unwrap();
        assert_eq!(b.n_regular(), 2, "{:?}", b.bins);
        assert!(b.bins[1].woe > b.bins[0].woe + 1.0);
    }

    #[test]
    fn an_imputed_spike_is_binned_apart_and_a_trend_value_is_not() {
        // Values 0..100 with risk falling as the value rises; 10% of the rows hold exactly
        // 50.5 (a "no record" code replaced by the mean) and never default.
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut state = 7u64;
        for _ in 0..9000 {
            let x = (lcg(&mut state) % 1000) as f64 / 10.0;
            let p = 0.4 - 0.3 * x / 100.0;
            xs.push(x);
            ys.push(((lcg(&mut state) % 10_000) as f64) < p * 10_000.0);
        }
        let base_xs = xs.clone();
        let base_ys = ys.clone();
        rows(50.5, 1000, 0, &mut xs, &mut ys);
        let params = BinningParams::default();
        let b = bin_numeric(&xs, &ys, None, &[], &params, None).unwrap();
        let BinRule::Numeric { specials, .. } = &b.rule else {
            panic!("numeric rule")
        };
        assert_eq!(specials.len(), 1, "{:?}", b.bins);
        assert_eq!(specials[0].value, 50.5);
        assert!(specials[0].route.own_bin);
        assert_eq!(b.numeric_bin(50.5), Some(specials[0].route.bin));
        assert!(b.bins[specials[0].route.bin].woe > 3.0);
        // Off: no special.
        let off = BinningParams {
            detect_specials: false,
            ..params.clone()
        };
        let b = bin_numeric(&xs, &ys, None, &[], &off, None).unwrap();
        assert!(matches!(&b.rule, BinRule::Numeric { specials, .. } if specials.is_empty()));
        // A heavy value on the trend (its rate between its neighbours') is not a special.
        let (mut xs, mut ys) = (base_xs, base_ys);
        rows(50.5, 1000, 250, &mut xs, &mut ys);
        let b = bin_numeric(&xs, &ys, None, &[], &params, None).unwrap();
        assert!(
            matches!(&b.rule, BinRule::Numeric { specials, .. } if specials.is_empty()),
            "{:?}",
            b.bins
        );
    }

    #[test]
    fn a_weak_difference_is_significant_on_a_large_book_only() {
        // Two groups with 5.0% and 5.6% bad rates: IV near 0.001 at any size.
        let binned = |n: usize| {
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            rows(1.0, n, n / 20, &mut xs, &mut ys);
            rows(2.0, n, n * 56 / 1000, &mut xs, &mut ys);
            bin_numeric(&xs, &ys, None, &[], &BinningParams::default(), None).unwrap()
        };
        let large = binned(50_000);
        assert_eq!(large.n_regular(), 2, "{:?}", large.bins);
        assert!(large.iv < 0.005, "{}", large.iv);
        // The G statistic by hand: 2 sum O ln(O / E) over the 2 x 2 table, 1 degree of freedom.
        let (n, b1, b2) = (50_000.0, 2_500.0, 2_800.0);
        let rate = (b1 + b2) / (2.0 * n);
        let cell = |o: f64, e: f64| o * (o / e).ln();
        let g = 2.0
            * (cell(b1, n * rate)
                + cell(b2, n * rate)
                + cell(n - b1, n * (1.0 - rate))
                + cell(n - b2, n * (1.0 - rate)));
        assert!(g > 10.0, "{g}");
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let expected = ChiSquared::new(1.0).unwrap().sf(g);
        let p = large.association_p_value();
        assert!(
            (p - expected).abs() <= 1e-12 * expected.max(1e-300) + 1e-15,
            "{p} {expected}"
        );
        assert!(p < 0.001, "{p}");
        // The same rates on 1,000 rows tell nothing (or are one bin: no test).
        let small = binned(500);
        assert!(small.association_p_value() > 0.5, "{:?}", small.bins);
        // One bin: no test.
        let one = bin_numeric(
            &vec![1.0; 400],
            &(0..400).map(|i| i % 9 == 0).collect::<Vec<_>>(),
            None,
            &[],
            &BinningParams::default(),
            None,
        )
        .unwrap();
        assert_eq!(one.association_p_value(), 1.0);
    }

    #[test]
    fn neighbours_with_close_rates_are_unstable() {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        // Three groups of 400: 10%, 12% and 30% bad; ascending value, ascending risk.
        rows(1.0, 400, 40, &mut xs, &mut ys);
        rows(2.0, 400, 48, &mut xs, &mut ys);
        rows(3.0, 400, 120, &mut xs, &mut ys);
        let params = BinningParams {
            min_bin_share: 0.2,
            max_prebins: 3,
            ..BinningParams::default()
        };
        let b = bin_numeric(&xs, &ys, None, &[], &params, Some(Trend::Descending)).unwrap();
        assert_eq!(b.n_regular(), 3, "{:?}", b.bins);
        let unstable = b.unstable_neighbours(0.1);
        assert_eq!(unstable.len(), 1, "{unstable:?}");
        assert_eq!(unstable[0].0, 0);
        // z about 0.9: reversed in about 18% of resamples.
        assert!(unstable[0].1 > 0.15 && unstable[0].1 < 0.22, "{unstable:?}");
        assert!(b.unstable_neighbours(0.25).is_empty());
    }

    #[test]
    fn a_copy_of_the_target_determines_it_and_an_id_does_not() {
        let ys: Vec<bool> = (0..2000).map(|i| i % 5 == 0).collect();
        let params = BinningParams::default();
        let copy: Vec<f64> = ys.iter().map(|&b| f64::from(u8::from(b))).collect();
        let counts = numeric_counts(&copy, &ys, None, &[], None, &params).unwrap();
        assert!(counts.determines_target());
        // A function of the target with more values: bads 2, goods 0 or 1.
        let coded: Vec<f64> = ys
            .iter()
            .enumerate()
            .map(|(i, &b)| if b { 2.0 } else { (i % 2) as f64 })
            .collect();
        assert!(numeric_counts(&coded, &ys, None, &[], None, &params)
            .unwrap()
            .determines_target());
        let noisy: Vec<f64> = (0..2000).map(|i| (i % 7) as f64).collect();
        assert!(!numeric_counts(&noisy, &ys, None, &[], None, &params)
            .unwrap()
            .determines_target());
        // As text.
        let levels = vec!["bad".to_string(), "good".to_string()];
        let codes: Vec<u32> = ys.iter().map(|&b| if b { 0 } else { 1 }).collect();
        assert!(categorical_counts(&codes, &levels, &ys, None).determines_target(&params));
        // An id: every value one row (each "pure"), pooled as rare: not a leak.
        let ids: Vec<String> = (0..2000).map(|i| format!("id{i}")).collect();
        let codes: Vec<u32> = (0..2000).collect();
        assert!(!categorical_counts(&codes, &ids, &ys, None).determines_target(&params));
    }

    #[test]
    fn peak_finds_a_u_shaped_risk() {
        let mut state = 5u64;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for _ in 0..40_000 {
            let x = 18.0 + (lcg(&mut state) % 53) as f64;
            let p = 0.03 + 0.0002 * (x - 42.0) * (x - 42.0);
            ys.push(((lcg(&mut state) % 10_000) as f64 / 10_000.0) < p);
            xs.push(x);
        }
        let params = BinningParams {
            trend: Trend::AutoShape,
            ..BinningParams::default()
        };
        let shaped = bin_numeric(&xs, &ys, None, &[], &params, None).unwrap();
        assert_eq!(shaped.trend, Trend::Peak);
        let monotone = BinningParams {
            trend: Trend::Auto,
            ..BinningParams::default()
        };
        let mono = bin_numeric(&xs, &ys, None, &[], &monotone, None).unwrap();
        assert!(shaped.iv > mono.iv);
    }

    #[test]
    fn auto_shape_keeps_a_monotone_risk_monotone() {
        // Risk falling with the value, plus binomial noise, 3,000 rows, 100 seeds. A peak or
        // valley always raises the in-sample IV a little (the shapes include the monotone
        // partitions), and without the checks (significance 1, any IV gain) the noise is
        // mostly taken for a shape. The turning-bin share and the likelihood-ratio test keep
        // all but a few monotone: the rate measured when they were added was 7 of 200.
        let (mut shaped, mut untested_shaped) = (0, 0);
        for seed in 1..=100u64 {
            let mut state = seed;
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for _ in 0..3_000 {
                let x = (lcg(&mut state) % 1000) as f64;
                let p = 0.3 - 0.0002 * x;
                ys.push(((lcg(&mut state) % 10_000) as f64 / 10_000.0) < p);
                xs.push(x);
            }
            let params = BinningParams::default();
            assert_eq!(params.trend, Trend::AutoShape);
            let b = bin_numeric(&xs, &ys, None, &[], &params, None).unwrap();
            shaped += usize::from(b.trend != Trend::Ascending);
            let untested = BinningParams {
                shape_significance: 1.0,
                ..params
            };
            let u = bin_numeric(&xs, &ys, None, &[], &untested, None).unwrap();
            untested_shaped += usize::from(matches!(u.trend, Trend::Peak | Trend::Valley));
        }
        assert!(
            shaped <= 10,
            "{shaped} of 100 noisy monotone risks binned as a shape"
        );
        assert!(
            untested_shaped >= 5 * shaped.max(1),
            "the checks are what keep them monotone ({untested_shaped} without, {shaped} with)"
        );
    }

    #[test]
    fn tree_prebins_cut_where_the_default_rate_changes() {
        // Values 0..100, one row each per value per class mix: the default rate jumps at 37
        // and at 81. Quantile pre-bins of 10 would cut at 10, 20, ...; the tree's first cuts
        // are at the jumps.
        let counts: Vec<Counts> = (0..100)
            .map(|v| {
                if v < 37 {
                    Counts::new(9.0, 1.0)
                } else if v < 81 {
                    Counts::new(5.0, 5.0)
                } else {
                    Counts::new(2.0, 8.0)
                }
            })
            .collect();
        let starts = tree_prebins(&counts, 3, 50.0);
        assert_eq!(starts, vec![0, 37, 81]);
        // Each leaf holds at least the minimum; more leaves only split further, never move
        // a cut; a pure stretch is never split.
        let starts = tree_prebins(&counts, 10, 100.0);
        assert!(starts.contains(&37) && starts.contains(&81), "{starts:?}");
        for (k, &s) in starts.iter().enumerate() {
            let e = starts.get(k + 1).copied().unwrap_or(counts.len());
            let w: f64 = counts[s..e].iter().map(Counts::total).sum();
            assert!(w >= 100.0, "leaf {s}..{e} holds {w}");
        }
        let uniform = vec![Counts::new(9.0, 1.0); 100];
        assert_eq!(tree_prebins(&uniform, 50, 10.0), vec![0]);
        // Too little weight for two leaves, and no values at all: one leaf.
        assert_eq!(tree_prebins(&counts[..5], 50, 100.0), vec![0]);
        assert_eq!(tree_prebins(&[], 50, 100.0), vec![0]);
    }

    #[test]
    fn tree_prebins_find_a_narrow_tail_that_quantiles_straddle() {
        // 10,000 rows, 2% bad, except the top 150 values (1.5%), which are 60% bad: the
        // quantile pre-bins of 2% mix the tail with safer rows; a tree leaf is the tail.
        let counts: Vec<Counts> = (0..10_000)
            .map(|v| {
                if v >= 9_850 {
                    Counts::new(0.4, 0.6)
                } else {
                    Counts::new(0.98, 0.02)
                }
            })
            .collect();
        let tree = tree_prebins(&counts, 100, 50.0);
        assert!(tree.contains(&9_850), "{tree:?}");
        let weights: Vec<f64> = counts.iter().map(Counts::total).collect();
        assert!(!quantile_prebins(&weights, 50).contains(&9_850));
    }

    #[test]
    fn infinite_values_and_one_class_are_errors() {
        let err = bin_numeric(
            &[1.0, f64::INFINITY],
            &[true, false],
            None,
            &[],
            &BinningParams::default(),
            None,
        );
        assert!(matches!(err, Err(BinningError::NotFinite { row: 1, .. })));
        let err = bin_numeric(
            &[1.0, 2.0],
            &[false, false],
            None,
            &[],
            &BinningParams::default(),
            None,
        );
        assert_eq!(err, Err(BinningError::OneClass("bads")));
    }
}
