//! The training settings a model file records ([`crate::model::TrainSettings`]): how the
//! features were binned ([`BinningParams`], [`Trend`], [`Fallback`]) and how the logistic fit
//! was solved ([`FitParams`], [`Solver`]). Training reads them; the file keeps them so that a
//! model can be retrained, compared and audited.

use serde::{Deserialize, Serialize};

/// A setting given by a name that is not one of its values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {setting} '{value}' (expected {expected})")]
pub struct UnknownName {
    /// The setting (`trend`, `solver`).
    pub setting: &'static str,
    /// The name given.
    pub value: String,
    /// The names it accepts.
    pub expected: &'static str,
}

/// The shape the WoE must follow across the regular bins of a numeric feature, in order of
/// increasing value. WoE is positive for safer bins, so `Ascending` means "the higher the value,
/// the lower the risk and the higher the score".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// WoE (and score) rises with the value.
    Ascending,
    /// WoE (and score) falls as the value rises.
    Descending,
    /// WoE rises then falls: risk is lowest in the middle (e.g. applicant age).
    Peak,
    /// WoE falls then rises: risk is highest in the middle.
    Valley,
    /// The better (higher IV) of ascending and descending.
    Auto,
    /// The better of ascending and descending, or of peak and valley when that fits the
    /// default rates significantly better: the likelihood-ratio test of the shaped bins
    /// against the monotone ones gives p at most [`BinningParams::shape_significance`], and
    /// the IV rises by more than [`BinningParams::shape_min_gain`] (the default: a U-shaped
    /// risk such as applicant age is found; noise stays monotone).
    AutoShape,
}

impl Trend {
    /// The trend's name as the command line and configurations write it (`auto-shape`).
    pub const fn name(self) -> &'static str {
        match self {
            Trend::Ascending => "ascending",
            Trend::Descending => "descending",
            Trend::Peak => "peak",
            Trend::Valley => "valley",
            Trend::Auto => "auto",
            Trend::AutoShape => "auto-shape",
        }
    }
}

impl std::fmt::Display for Trend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Trend {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "ascending" | "asc" => Ok(Trend::Ascending),
            "descending" | "desc" => Ok(Trend::Descending),
            "peak" => Ok(Trend::Peak),
            "valley" => Ok(Trend::Valley),
            "auto" => Ok(Trend::Auto),
            "auto_shape" => Ok(Trend::AutoShape),
            other => Err(UnknownName {
                setting: "trend",
                value: other.to_string(),
                expected: "ascending, descending, peak, valley, auto or auto-shape",
            }),
        }
    }
}

/// How the candidate cut points of a numeric feature are found before the optimal merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prebinning {
    /// Quantiles of the rows: each pre-bin holds about `1 / max_prebins` of the weight.
    Quantile,
    /// The leaves of a decision tree on the target (CART's Gini impurity, grown best first,
    /// as optbinning pre-bins): at most `max_prebins` leaves, each holding at least
    /// `1 / max_prebins` of the weight and `min_bin_count`. The cut points fall where the
    /// default rate changes, not at fixed shares (the default).
    Tree,
}

impl Prebinning {
    /// The method's name (`quantile`, `tree`).
    pub const fn name(self) -> &'static str {
        match self {
            Prebinning::Quantile => "quantile",
            Prebinning::Tree => "tree",
        }
    }
}

impl std::fmt::Display for Prebinning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Prebinning {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "quantile" => Ok(Prebinning::Quantile),
            "tree" => Ok(Prebinning::Tree),
            other => Err(UnknownName {
                setting: "pre-binning",
                value: other.to_string(),
                expected: "quantile or tree",
            }),
        }
    }
}

/// Where rows that do not fall in a regular bin of their own go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The regular bin with the lowest WoE (the default: never reward the unknown).
    Riskiest,
    /// The regular bin with the highest WoE.
    Safest,
}

/// Binning settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinningParams {
    /// Maximum number of pre-bins (default 50). The optimal merge chooses the cut points
    /// among the pre-bin edges, so more pre-bins mean finer cut points, not more bins.
    pub max_prebins: usize,
    /// How the pre-bins are found (default [`Prebinning::Tree`]; files written before the
    /// setting existed meant [`Prebinning::Quantile`]).
    #[serde(
        default = "defaults::prebinning",
        skip_serializing_if = "defaults::is_prebinning"
    )]
    pub prebinning: Prebinning,
    /// Minimum share of the feature's rows (by weight) in a bin that needs no test (default
    /// 0.05).
    pub min_bin_share: f64,
    /// Minimum weight of a bin smaller than `min_bin_share`: such a bin stands only when its
    /// bad rate differs from each neighbouring bin's by at least `small_bin_z` (default 50;
    /// 0 or a value above the share's weight turns small bins off).
    #[serde(
        default = "defaults::min_bin_count",
        skip_serializing_if = "defaults::is_min_bin_count"
    )]
    pub min_bin_count: f64,
    /// The two-proportion z statistic a small bin needs against each neighbour, and an
    /// interior value spike against the values on both sides of it (default 1.96, p < 0.05).
    #[serde(
        default = "defaults::small_bin_z",
        skip_serializing_if = "defaults::is_small_bin_z"
    )]
    pub small_bin_z: f64,
    /// Bin apart, as special values, interior values that hold at least `min_bin_share` of the
    /// rows and whose bad rate is significantly above (or below) the values on both sides of
    /// them, as an imputed missing code is (default true).
    #[serde(
        default = "defaults::detect_specials",
        skip_serializing_if = "defaults::is_detect_specials"
    )]
    pub detect_specials: bool,
    /// Minimum weight of goods in each bin (default 5).
    pub min_bin_goods: f64,
    /// Minimum weight of bads in each bin (default 5).
    pub min_bin_bads: f64,
    /// Maximum number of regular bins (default 10).
    pub max_bins: usize,
    /// WoE trend of numeric features (default [`Trend::AutoShape`]).
    pub trend: Trend,
    /// Relative IV gain a peak or valley needs over the best monotone binning to be chosen by
    /// [`Trend::AutoShape`] (default 0.05).
    pub shape_min_gain: f64,
    /// The p-value at most which a peak or valley is chosen by [`Trend::AutoShape`]: the
    /// likelihood-ratio test of its bins against the best monotone bins, chi-squared with
    /// the extra bins as degrees of freedom (at least 1). Default 0.01; 1 turns the test off
    /// (files written before the setting existed).
    #[serde(
        default = "defaults::shape_significance",
        skip_serializing_if = "defaults::is_shape_significance"
    )]
    pub shape_significance: f64,
    /// Additive smoothing of counts in the WoE (default 0.5).
    pub smoothing: f64,
    /// Where too-small missing or special groups, and unseen categories, go (default riskiest).
    pub fallback: Fallback,
}

/// The values of the settings that older model files lack, which are what those files meant.
/// A setting at that value is not written, so an older file reads and writes back byte for
/// byte (its checksum still holds), and a new file means the same to every reader.
mod defaults {
    pub(super) fn min_bin_count() -> f64 {
        0.0
    }
    pub(super) fn is_min_bin_count(x: &f64) -> bool {
        *x == min_bin_count()
    }
    pub(super) fn small_bin_z() -> f64 {
        1.96
    }
    pub(super) fn is_small_bin_z(x: &f64) -> bool {
        *x == small_bin_z()
    }
    pub(super) fn detect_specials() -> bool {
        false
    }
    pub(super) fn is_detect_specials(x: &bool) -> bool {
        *x == detect_specials()
    }
    pub(super) fn prebinning() -> super::Prebinning {
        super::Prebinning::Quantile
    }
    pub(super) fn is_prebinning(x: &super::Prebinning) -> bool {
        *x == prebinning()
    }
    pub(super) fn shape_significance() -> f64 {
        1.0
    }
    pub(super) fn is_shape_significance(x: &f64) -> bool {
        *x == shape_significance()
    }
}

impl Default for BinningParams {
    fn default() -> Self {
        BinningParams {
            max_prebins: 50,
            prebinning: Prebinning::Tree,
            min_bin_share: 0.05,
            min_bin_count: 50.0,
            small_bin_z: 1.96,
            detect_specials: true,
            min_bin_goods: 5.0,
            min_bin_bads: 5.0,
            max_bins: 10,
            trend: Trend::AutoShape,
            shape_min_gain: 0.05,
            shape_significance: 0.01,
            smoothing: 0.5,
            fallback: Fallback::Riskiest,
        }
    }
}

/// The optimiser of the logistic fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// linfa-logistic's L-BFGS (unweighted data only, weighted fits use Newton).
    Lbfgs,
    /// Newton-Raphson (IRLS) on the same objective (the default): exact to machine precision
    /// in a handful of iterations, parallel over rows, and several times faster on large files.
    Newton,
}

impl Solver {
    /// The solver's name (`lbfgs`, `newton`).
    pub const fn name(self) -> &'static str {
        match self {
            Solver::Lbfgs => "lbfgs",
            Solver::Newton => "newton",
        }
    }
}

impl std::fmt::Display for Solver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Solver {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "lbfgs" | "linfa" => Ok(Solver::Lbfgs),
            "newton" | "irls" => Ok(Solver::Newton),
            other => Err(UnknownName {
                setting: "solver",
                value: other.to_string(),
                expected: "lbfgs or newton",
            }),
        }
    }
}

/// Settings of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitParams {
    /// Optimiser (default [`Solver::Newton`]; [`Solver::Lbfgs`] is linfa-logistic).
    pub solver: Solver,
    /// L2 penalty on the coefficients, in units of the summed log-loss (default 3: it steadies
    /// the fit on books of a few hundred rows and fades on large ones, where the log-loss of
    /// many rows outweighs it).
    pub l2: f64,
    /// Iteration limit (default 500).
    pub max_iterations: u64,
    /// Convergence tolerance on the gradient norm, per row of weight (default 1e-6).
    pub tolerance: f64,
}

impl Default for FitParams {
    fn default() -> Self {
        FitParams {
            solver: Solver::Newton,
            l2: 3.0,
            max_iterations: 500,
            tolerance: 1e-6,
        }
    }
}
