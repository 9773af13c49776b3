//! A feature's binning as the model file holds it: the bins with their training counts, WoE
//! and IV, the rule that assigns values to bins, and the routes of missing, special and unseen
//! values. Training ([`crate::train::binning`]) makes them; scoring reads them.

use serde::{Deserialize, Serialize};

use crate::metrics::{auc_of, RiskGroup};

use super::settings::Trend;

/// Weighted numbers of goods and bads.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Weight of non-defaulted rows.
    pub goods: f64,
    /// Weight of defaulted rows.
    pub bads: f64,
}

impl Counts {
    /// Counts from goods and bads.
    pub const fn new(goods: f64, bads: f64) -> Counts {
        Counts { goods, bads }
    }

    /// Total weight.
    pub fn total(&self) -> f64 {
        self.goods + self.bads
    }

    /// Add one row of weight `w`.
    pub fn add(&mut self, bad: bool, w: f64) {
        if bad {
            self.bads += w;
        } else {
            self.goods += w;
        }
    }

    /// Bad rate (NaN when empty).
    pub fn bad_rate(&self) -> f64 {
        self.bads / self.total()
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts::new(self.goods + o.goods, self.bads + o.bads)
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.goods += o.goods;
        self.bads += o.bads;
    }
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, o: Counts) -> Counts {
        Counts::new(self.goods - o.goods, self.bads - o.bads)
    }
}

/// The two-proportion z statistic of the bad rates of two groups (pooled variance; 0 when
/// either group is empty or the pooled rate is 0 or 1).
pub fn two_proportion_z(a: Counts, b: Counts) -> f64 {
    let (na, nb) = (a.total(), b.total());
    if na <= 0.0 || nb <= 0.0 {
        return 0.0;
    }
    let p = (a.bads + b.bads) / (na + nb);
    let var = p * (1.0 - p) * (1.0 / na + 1.0 / nb);
    if var <= 0.0 {
        return 0.0;
    }
    (a.bads / na - b.bads / nb).abs() / var.sqrt()
}

/// What a bin holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BinKind {
    /// Values `x` with `lower <= x < upper` (open ends when `None`).
    Interval {
        /// Inclusive lower edge.
        lower: Option<f64>,
        /// Exclusive upper edge.
        upper: Option<f64>,
    },
    /// A set of categories.
    Categories {
        /// The categories.
        categories: Vec<String>,
    },
    /// Missing values.
    Missing,
    /// One special value.
    Special {
        /// The value.
        value: f64,
    },
}

/// One bin with its training statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Readable label such as `[3, 12)`, `missing` or `{livestock, aquaculture}`.
    pub label: String,
    /// What the bin holds.
    pub kind: BinKind,
    /// Training counts of the rows scored in this bin's own right.
    pub counts: Counts,
    /// Weight of evidence.
    pub woe: f64,
    /// Information value contributed.
    pub iv: f64,
}

/// Where a group of rows (missing values, a special value) goes, and how many training rows it had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Index of the bin used to score these rows.
    pub bin: usize,
    /// Whether that bin is the group's own (else it was too small and joined `bin`).
    pub own_bin: bool,
    /// Training counts of the group.
    pub counts: Counts,
}

/// A special value and its route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialRoute {
    /// The value as it appears in the data.
    pub value: f64,
    /// Its route.
    #[serde(flatten)]
    pub route: Route,
}

/// How values are assigned to bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BinRule {
    /// Numeric feature: regular bins `0..=edges.len()` are the intervals between the edges.
    Numeric {
        /// Strictly increasing finite edges; bin `i` holds `edges[i-1] <= x < edges[i]`.
        edges: Vec<f64>,
        /// Special values with their own routes.
        specials: Vec<SpecialRoute>,
        /// Smallest regular value seen in training (`None` if there was none).
        min: Option<f64>,
        /// Largest regular value seen in training (`None` if there was none).
        max: Option<f64>,
    },
    /// Categorical feature.
    Categorical {
        /// Every training category with its bin.
        categories: Vec<CategoryRoute>,
        /// Bin of categories never seen in training.
        unseen_bin: usize,
    },
}

/// A category and its bin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRoute {
    /// Category.
    pub category: String,
    /// Bin index.
    pub bin: usize,
}

/// The binning of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    /// Assignment rule.
    pub rule: BinRule,
    /// Regular bins first, then the missing bin and special bins that have their own.
    pub bins: Vec<Bin>,
    /// Route of missing values.
    pub missing: Route,
    /// The trend the regular bins follow.
    pub trend: Trend,
    /// Information value of the feature.
    pub iv: f64,
}

impl Binning {
    /// The bin of a numeric value (NaN = missing). Infinite values fall in the end bins.
    /// Returns `None` for a categorical binning.
    pub fn numeric_bin(&self, x: f64) -> Option<usize> {
        match &self.rule {
            BinRule::Numeric {
                edges, specials, ..
            } => Some(if x.is_nan() {
                self.missing.bin
            } else if let Some(s) = specials.iter().find(|s| s.value == x) {
                s.route.bin
            } else {
                edges.partition_point(|&e| e <= x)
            }),
            BinRule::Categorical { .. } => None,
        }
    }

    /// The bin of a category (`None` = missing). Unseen categories go to the unseen bin.
    /// Returns `None` for a numeric binning.
    pub fn category_bin(&self, category: Option<&str>) -> Option<usize> {
        match &self.rule {
            BinRule::Categorical {
                categories,
                unseen_bin,
            } => Some(match category {
                None => self.missing.bin,
                Some(c) => categories
                    .binary_search_by(|r| r.category.as_str().cmp(c))
                    .map_or(*unseen_bin, |i| categories[i].bin),
            }),
            BinRule::Numeric { .. } => None,
        }
    }

    /// Whether every training row of positive weight has the same WoE (one occupied bin, or
    /// occupied bins of equal WoE): such a feature separates no one.
    pub fn is_constant(&self) -> bool {
        let mut woes = self
            .bins
            .iter()
            .zip(self.scored_counts())
            .filter(|(_, c)| c.total() > 0.0)
            .map(|(b, _)| b.woe);
        match woes.next() {
            None => true,
            Some(first) => woes.all(|w| w == first),
        }
    }

    /// The training counts of the rows scored with each bin's WoE: the bin's own rows and the
    /// groups (missing, special values) routed into it. In bin order, empty bins included.
    pub fn scored_counts(&self) -> Vec<Counts> {
        let mut per_bin: Vec<Counts> = self.bins.iter().map(|b| b.counts).collect();
        let routed = std::iter::once(&self.missing).chain(match &self.rule {
            BinRule::Numeric { specials, .. } => specials.iter().map(|s| &s.route).collect(),
            BinRule::Categorical { .. } => Vec::new(),
        });
        for route in routed.filter(|r| !r.own_bin) {
            if let Some(c) = per_bin.get_mut(route.bin) {
                *c += route.counts;
            }
        }
        per_bin
    }

    /// How well the binning orders the training rows on its own: the AUC of its WoE (higher
    /// WoE safer, ties one half) over [`Binning::scored_counts`]. `None` without both goods
    /// and bads.
    pub fn training_auc(&self) -> Option<f64> {
        let mut groups: Vec<RiskGroup> = self
            .bins
            .iter()
            .zip(self.scored_counts())
            .filter(|(_, c)| c.total() > 0.0)
            .map(|(b, c)| RiskGroup {
                value: -b.woe,
                good: c.goods,
                bad: c.bads,
            })
            .collect();
        groups.sort_by(|a, b| a.value.total_cmp(&b.value));
        groups.dedup_by(|next, kept| {
            let tied = next.value == kept.value;
            if tied {
                kept.good += next.good;
                kept.bad += next.bad;
            }
            tied
        });
        auc_of(&groups)
    }

    /// The p-value of the likelihood-ratio (G) test that the default rate is the same in every
    /// occupied bin, on [`Binning::scored_counts`] (weights as counts): chi-squared with one
    /// degree of freedom fewer than the occupied bins. 1 for a binning with one occupied bin or
    /// without both goods and bads.
    pub fn association_p_value(&self) -> f64 {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let groups: Vec<Counts> = self
            .scored_counts()
            .into_iter()
            .filter(|c| c.total() > 0.0)
            .collect();
        let total = groups.iter().fold(Counts::default(), |a, &c| a + c);
        if groups.len() < 2 || total.goods <= 0.0 || total.bads <= 0.0 {
            return 1.0;
        }
        let term = |observed: f64, expected: f64| {
            if observed > 0.0 {
                observed * (observed / expected).ln()
            } else {
                0.0
            }
        };
        let g = 2.0
            * groups
                .iter()
                .map(|c| {
                    let share = c.total() / total.total();
                    term(c.goods, share * total.goods) + term(c.bads, share * total.bads)
                })
                .sum::<f64>();
        match ChiSquared::new((groups.len() - 1) as f64) {
            Ok(chi2) if g.is_finite() => chi2.sf(g.max(0.0)),
            _ => 1.0,
        }
    }

    /// Number of regular (interval or category-set) bins.
    pub fn n_regular(&self) -> usize {
        self.bins
            .iter()
            .take_while(|b| {
                matches!(
                    b.kind,
                    BinKind::Interval { .. } | BinKind::Categories { .. }
                )
            })
            .count()
    }

    /// Neighbouring regular bins whose order of default rates is unstable: for each pair
    /// (`k`, `k + 1`) the chance that a resample of the training rows puts their default
    /// rates the other way round, by the normal approximation of the bootstrap
    /// (`Phi(-z)`, `z` the two-proportion statistic of the pair), when it is above
    /// `max_flip`. Returns (`k`, that chance), in bin order.
    pub fn unstable_neighbours(&self, max_flip: f64) -> Vec<(usize, f64)> {
        use statrs::distribution::{ContinuousCDF, Normal};
        let Ok(normal) = Normal::new(0.0, 1.0) else {
            return Vec::new();
        };
        let n = self.n_regular();
        (1..n)
            .filter_map(|k| {
                let (a, b) = (self.bins[k - 1].counts, self.bins[k].counts);
                let flip = normal.cdf(-two_proportion_z(a, b));
                (flip > max_flip).then_some((k - 1, flip))
            })
            .collect()
    }
}
