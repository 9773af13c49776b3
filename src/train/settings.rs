//! The training settings, declared once.
//!
//! [`TrainConfig`] is the plain-data form, by the names the JSON configuration and the Python
//! estimator use: serde-derived, every field optional. The command line fills it from its
//! flags (whose defaults it reads from [`TrainConfig::default`]), Python from the parameters
//! the user set. [`TrainConfig::into_params`] checks it once into [`TrainParams`], the
//! validated form training takes (the linfa `ParamGuard` idea: invalid settings never reach a
//! fit). A setting out of range is a [`SettingError`] naming the setting ([`Setting`]); each
//! front end words it in its own terms (the command line by its flag, [`Setting::flag`]).

use std::collections::{BTreeMap, HashSet};

use super::TrainError;
use crate::model::policy::PolicySpec;
use crate::model::scaling::{grades_from_pds, Scaling, DEFAULT_GRADE_PDS};
use crate::model::{BinningParams, FitParams, Prebinning, Solver, Trend};

/// A training setting, for messages: its configuration name and its command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// `prebins`.
    Prebins,
    /// `max_bins`.
    MaxBins,
    /// `min_bin_share`.
    MinBinShare,
    /// `min_bin_goods`.
    MinBinGoods,
    /// `min_bin_bads`.
    MinBinBads,
    /// The WoE smoothing (no flag).
    Smoothing,
    /// The IV gain a peak or valley needs (no flag).
    ShapeMinGain,
    /// `shape_significance`.
    ShapeSignificance,
    /// `min_iv`.
    MinIv,
    /// `max_iv`.
    MaxIv,
    /// `min_iv_significance`.
    MinIvSignificance,
    /// `sign_significance`.
    SignSignificance,
    /// `min_bin_count`.
    MinBinCount,
    /// `small_bin_z`.
    SmallBinZ,
    /// `max_correlation`.
    MaxCorrelation,
    /// `l2`.
    L2,
    /// `max_iterations`.
    MaxIterations,
    /// `calibration_folds`.
    CalibrationFolds,
}

impl Setting {
    /// The setting's name in [`TrainConfig`] (JSON configuration, Python keyword arguments).
    pub const fn name(self) -> &'static str {
        match self {
            Setting::Prebins => "prebins",
            Setting::MaxBins => "max_bins",
            Setting::MinBinShare => "min_bin_share",
            Setting::MinBinGoods => "min_bin_goods",
            Setting::MinBinBads => "min_bin_bads",
            Setting::Smoothing => "smoothing",
            Setting::ShapeMinGain => "shape_min_gain",
            Setting::ShapeSignificance => "shape_significance",
            Setting::MinIv => "min_iv",
            Setting::MaxIv => "max_iv",
            Setting::MinIvSignificance => "min_iv_significance",
            Setting::SignSignificance => "sign_significance",
            Setting::MinBinCount => "min_bin_count",
            Setting::SmallBinZ => "small_bin_z",
            Setting::MaxCorrelation => "max_correlation",
            Setting::L2 => "l2",
            Setting::MaxIterations => "max_iterations",
            Setting::CalibrationFolds => "calibration_folds",
        }
    }

    /// The `microscore train` flag that sets it (`None` for the settings the command line
    /// does not expose).
    pub const fn flag(self) -> Option<&'static str> {
        Some(match self {
            Setting::Prebins => "--prebins",
            Setting::MaxBins => "--max-bins",
            Setting::MinBinShare => "--min-bin-share",
            Setting::MinBinGoods => "--min-bin-goods",
            Setting::MinBinBads => "--min-bin-bads",
            Setting::MinIv => "--min-iv",
            Setting::MaxIv => "--max-iv",
            Setting::MinIvSignificance => "--min-iv-significance",
            Setting::SignSignificance => "--sign-significance",
            Setting::MinBinCount => "--min-bin-count",
            Setting::SmallBinZ => "--small-bin-z",
            Setting::ShapeSignificance => "--shape-significance",
            Setting::MaxCorrelation => "--max-corr",
            Setting::L2 => "--l2",
            Setting::CalibrationFolds => "--calibrate",
            Setting::Smoothing | Setting::ShapeMinGain | Setting::MaxIterations => return None,
        })
    }
}

/// A training setting out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {rule} (got {value})", setting.name())]
pub struct SettingError {
    /// The setting.
    pub setting: Setting,
    /// The value given.
    pub value: String,
    /// The rule it breaks (`must be at least 1`).
    pub rule: &'static str,
}

impl SettingError {
    /// The message with the setting called `name` (a flag, say) instead of its configuration
    /// name.
    pub fn worded(&self, name: &str) -> String {
        format!("{name} {} (got {})", self.rule, self.value)
    }
}

/// Serde by the names [`std::str::FromStr`] reads and [`std::fmt::Display`] writes (trends and
/// solvers: `auto-shape`, `newton`), for [`TrainConfig`].
mod by_name {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }

    pub(super) mod map {
        use std::collections::BTreeMap;
        use std::fmt::Display;
        use std::str::FromStr;

        use serde::ser::SerializeMap;
        use serde::{Deserialize, Deserializer, Serializer};

        pub(crate) fn serialize<T: Display, S: Serializer>(
            m: &BTreeMap<String, T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(m.len()))?;
            for (k, v) in m {
                map.serialize_entry(k, &v.to_string())?;
            }
            map.end()
        }

        pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<BTreeMap<String, T>, D::Error>
        where
            T: FromStr,
            T::Err: Display,
            D: Deserializer<'de>,
        {
            BTreeMap::<String, String>::deserialize(d)?
                .into_iter()
                .map(|(k, v)| {
                    v.parse()
                        .map(|t| (k.clone(), t))
                        .map_err(|e| serde::de::Error::custom(format!("trend of '{k}': {e}")))
                })
                .collect()
        }
    }
}

/// Everything training needs to know besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// The 0/1 target column (1 = default).
    pub target: String,
    /// An id column: carried, never a feature.
    pub id_column: Option<String>,
    /// Optional sample-weight column.
    pub weight_column: Option<String>,
    /// Protected attributes: never features, recorded for fairness reports.
    pub protected: Vec<String>,
    /// Columns that are never features.
    pub exclude: Vec<String>,
    /// Features forced in past the IV and correlation filters.
    pub include: Vec<String>,
    /// Special values per feature, each binned on its own.
    pub specials: BTreeMap<String, Vec<f64>>,
    /// Per-feature WoE trends (numeric features).
    pub trends: BTreeMap<String, Trend>,
    /// Target values that mean "default" (empty: 1/true; see [`crate::model::TargetRule`]).
    pub bad_values: Vec<String>,
    /// Pre-bin edges per numeric feature, used instead of the feature's own quantiles (for
    /// example the edges a cluster computed, to reproduce its binning on one machine).
    pub prebin_edges: BTreeMap<String, Vec<f64>>,
    /// Binning settings.
    pub binning: BinningParams,
    /// Minimum IV to keep a feature (default 0.005: weak features that are jointly useful
    /// stay; the L2 penalty and the sign check keep the fit honest).
    pub min_iv: f64,
    /// A feature below `min_iv` is kept anyway when its bins' association with the outcome is
    /// significant at this level (likelihood-ratio test,
    /// [`crate::model::Binning::association_p_value`]; default 0.01, `None`: the IV floor
    /// alone). On a large book a feature of IV 0.002 can be a sure signal; on a few hundred
    /// rows it is noise, and the test tells which.
    pub min_iv_significance: Option<f64>,
    /// Maximum IV of a feature (default: none). When set, a feature above it is refused as a
    /// leak unless forced in. Without it, strong features are kept and noted
    /// ([`crate::model::TrainingNote::StrongIv`]); copies of the target are refused either way
    /// (see [`NEAR_COPY_AUC`]).
    pub max_iv: Option<f64>,
    /// The sign check: a feature whose fitted coefficient runs against its WoE (its points
    /// would fall as its bins' default rates fall) is dropped and the card refitted, unless
    /// the likelihood-ratio test of dropping it gives p at most this. Such a feature's effect
    /// at equal values of the other features is real and opposite to its effect alone (a
    /// suppressor: students default more than others, but less than others of the same card
    /// balance); it is kept, and noted ([`crate::model::TrainingNote::AgainstWoe`]). Default
    /// 0.01, the level of the library's other tests: collinear noise, the usual cause of a
    /// wrong sign, rarely reaches it. `None`: every wrong-signed feature is dropped.
    pub sign_significance: Option<f64>,
    /// Maximum absolute WoE correlation between kept features (default 0.7).
    pub max_correlation: f64,
    /// Logistic fit settings.
    pub fit: FitParams,
    /// Points scaling.
    pub scaling: Scaling,
    /// Round bin points to integers.
    pub round_points: bool,
    /// Maximum PDs of grades A, B, ... (the last grade takes the rest).
    pub grade_pds: Vec<f64>,
    /// The decision policy, resolved against the model's scaling and grades and checked
    /// against the training columns (default: PD cut-offs only, see [`PolicySpec`]).
    pub policy: PolicySpec,
    /// Recalibrate the fit on out-of-fold predictions from this many folds (0, the default:
    /// no recalibration; see [`crate::model::Recalibration`]). Training then runs
    /// `calibration_folds + 1` times.
    pub calibration_folds: usize,
}

impl TrainParams {
    /// Default settings for a target column.
    pub fn new(target: impl Into<String>) -> TrainParams {
        TrainParams {
            target: target.into(),
            id_column: None,
            weight_column: None,
            protected: Vec::new(),
            exclude: Vec::new(),
            include: Vec::new(),
            specials: BTreeMap::new(),
            trends: BTreeMap::new(),
            bad_values: Vec::new(),
            prebin_edges: BTreeMap::new(),
            binning: BinningParams::default(),
            min_iv: 0.005,
            min_iv_significance: Some(0.01),
            max_iv: None,
            sign_significance: Some(0.01),
            max_correlation: 0.7,
            fit: FitParams::default(),
            scaling: Scaling::default(),
            round_points: false,
            grade_pds: DEFAULT_GRADE_PDS.to_vec(),
            policy: PolicySpec::default(),
            calibration_folds: 0,
        }
    }

    /// Columns that are never features: the target, id, weight, protected and excluded ones.
    pub(crate) fn reserved(&self) -> HashSet<&str> {
        std::iter::once(self.target.as_str())
            .chain(self.id_column.as_deref())
            .chain(self.weight_column.as_deref())
            .chain(self.protected.iter().map(String::as_str))
            .chain(self.exclude.iter().map(String::as_str))
            .collect()
    }

    /// Check every setting (the linfa `ParamGuard` idea: invalid settings never reach a fit).
    pub fn validate(&self) -> Result<(), TrainError> {
        let err = |setting: Setting, value: f64, rule: &'static str| {
            Err(TrainError::Setting(SettingError {
                setting,
                value: crate::format::number_text(value),
                rule,
            }))
        };
        let b = &self.binning;
        if b.max_prebins < 2 {
            return err(Setting::Prebins, b.max_prebins as f64, "must be at least 2");
        }
        if b.max_bins < 1 {
            return err(Setting::MaxBins, b.max_bins as f64, "must be at least 1");
        }
        if !(0.0..0.5).contains(&b.min_bin_share) {
            return err(Setting::MinBinShare, b.min_bin_share, "must be in [0, 0.5)");
        }
        if !(b.min_bin_goods.is_finite() && b.min_bin_goods >= 0.0) {
            return err(
                Setting::MinBinGoods,
                b.min_bin_goods,
                "must be finite and >= 0",
            );
        }
        if !(b.min_bin_bads.is_finite() && b.min_bin_bads >= 0.0) {
            return err(
                Setting::MinBinBads,
                b.min_bin_bads,
                "must be finite and >= 0",
            );
        }
        if !(b.smoothing.is_finite() && b.smoothing > 0.0) {
            return err(Setting::Smoothing, b.smoothing, "must be positive");
        }
        if !(b.shape_min_gain.is_finite() && b.shape_min_gain >= 0.0) {
            return err(
                Setting::ShapeMinGain,
                b.shape_min_gain,
                "must be finite and >= 0",
            );
        }
        if !(b.shape_significance > 0.0 && b.shape_significance <= 1.0) {
            return err(
                Setting::ShapeSignificance,
                b.shape_significance,
                "must be above 0 and at most 1 (1 turns the test off)",
            );
        }
        if !(self.min_iv.is_finite() && self.min_iv >= 0.0) {
            return err(Setting::MinIv, self.min_iv, "must be finite and >= 0");
        }
        if let Some(alpha) = self.min_iv_significance {
            if !(alpha > 0.0 && alpha < 1.0) {
                return err(
                    Setting::MinIvSignificance,
                    alpha,
                    "must be above 0 and below 1 (0 turns the test off)",
                );
            }
        }
        if let Some(alpha) = self.sign_significance {
            if !(alpha > 0.0 && alpha < 1.0) {
                return err(
                    Setting::SignSignificance,
                    alpha,
                    "must be above 0 and below 1 (0 turns the test off)",
                );
            }
        }
        if let Some(max_iv) = self.max_iv {
            if max_iv.is_nan() || max_iv <= self.min_iv {
                return err(Setting::MaxIv, max_iv, "must be above min_iv");
            }
        }
        if !(b.min_bin_count.is_finite() && b.min_bin_count >= 0.0) {
            return err(
                Setting::MinBinCount,
                b.min_bin_count,
                "must be finite and >= 0",
            );
        }
        if !(b.small_bin_z.is_finite() && b.small_bin_z >= 0.0) {
            return err(Setting::SmallBinZ, b.small_bin_z, "must be finite and >= 0");
        }
        if !(self.max_correlation > 0.0 && self.max_correlation <= 1.0) {
            return err(
                Setting::MaxCorrelation,
                self.max_correlation,
                "must be in (0, 1]",
            );
        }
        if !(self.fit.l2.is_finite() && self.fit.l2 >= 0.0) {
            return err(Setting::L2, self.fit.l2, "must be finite and >= 0");
        }
        if self.fit.max_iterations == 0 {
            return err(Setting::MaxIterations, 0.0, "must be positive");
        }
        if self.calibration_folds == 1 || self.calibration_folds > 20 {
            return err(
                Setting::CalibrationFolds,
                self.calibration_folds as f64,
                "must be 0 (none) or 2 to 20 folds",
            );
        }
        self.scaling
            .validate()
            .map_err(|e| TrainError::Params(e.to_string()))?;
        let grades = grades_from_pds(&self.scaling, &self.grade_pds).map_err(TrainError::Params)?;
        self.policy.resolve(&self.scaling, &grades)?;
        for (name, values) in &self.specials {
            if values.iter().any(|v| !v.is_finite()) {
                return Err(TrainError::Params(format!(
                    "special values of '{name}' must be finite"
                )));
            }
        }
        for (name, edges) in &self.prebin_edges {
            if edges.iter().any(|v| !v.is_finite()) {
                return Err(TrainError::Params(format!(
                    "pre-bin edges of '{name}' must be finite"
                )));
            }
        }
        for name in &self.include {
            if self.protected.contains(name) {
                return Err(TrainError::Params(format!(
                    "'{name}' is a protected attribute and can never be a feature"
                )));
            }
            if self.exclude.contains(name) {
                return Err(TrainError::Params(format!(
                    "'{name}' is both included and excluded"
                )));
            }
        }
        Ok(())
    }
}

/// The settings the built-in model ([`crate::model::builtin`]) is trained with: the library defaults, with the id and the
/// protected attribute declared, the Newton solver (exact, so the file is reproducible to the
/// byte), the microloan decision policy ([`crate::model::policy::PolicySpec::microloan`], the file
/// `examples/policies/microloan.json`) and a 5-fold out-of-fold recalibration (`--calibrate`):
/// on 2,000,000 fresh generated applications every grade's Jeffreys test is then green.
pub fn default_model_params() -> TrainParams {
    let mut params = TrainParams::new("default_12m");
    params.id_column = Some("application_id".into());
    params.protected = vec!["gender".into()];
    params.fit.solver = crate::model::Solver::Newton;
    params.policy = crate::model::policy::PolicySpec::microloan();
    params.calibration_folds = 5;
    // The built-in model was first trained with an IV ceiling of 3 (then the default); its
    // generated data has no feature near it, and the file records the ceiling it was built with.
    params.max_iv = Some(3.0);
    // Nor did it keep weak features by their significance.
    params.min_iv_significance = None;
    // And with the L2 penalty of its first release, 1 (the default is now 3), so that the file
    // regenerates byte for byte.
    params.fit.l2 = 1.0;
    // And binned as it was then: quantile pre-bins and monotone trends, without the shape test.
    params.binning.prebinning = crate::model::Prebinning::Quantile;
    params.binning.trend = Trend::Auto;
    params.binning.shape_significance = 1.0;
    // And every wrong-signed feature dropped, as the sign check then did.
    params.sign_significance = None;
    params
}

/// The AUC at or above which one feature, binned, is refused as a copy of the target (unless
/// forced in): it orders at least 97.5% of (default, repayment) pairs correctly on its own, as
/// a copy of the outcome with up to 2.5% of its values changed does. No application-time
/// variable comes near: the strongest single feature of the 13 real credit datasets in
/// `benches/quality` reaches 0.944 (a simulated card balance), the next 0.862, and whole
/// scorecards on those books reach 0.59 to 0.94. Features that determine the outcome exactly
/// are always refused; strong ones below this are noted
/// ([`crate::model::TrainingNote::StrongIv`]), or refused by a `max_iv` the user sets.
pub const NEAR_COPY_AUC: f64 = 0.975;

/// Training settings as plain data, by the names the Python estimator and JSON configuration
/// use. Every field is optional; absent ones take the defaults of [`TrainParams::new`]. Unknown
/// names are an error. With the `cli` feature it is also the command line's set of training
/// flags (`microscore train` flattens it: the field's name with dashes, unless said otherwise),
/// so that a setting, its default and its help are declared once.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Id column, carried but never a feature (the command line takes application_id when the
    /// data has one).
    #[cfg_attr(feature = "cli", arg(long = "id", value_name = "COLUMN"))]
    pub id_column: Option<String>,
    /// Sample-weight column (finite, >= 0).
    #[cfg_attr(feature = "cli", arg(long = "weight", value_name = "COLUMN"))]
    pub weight_column: Option<String>,
    /// Protected attributes (comma-separated): never features, kept for fairness reports.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "COLUMNS", value_delimiter = ',')
    )]
    pub protected: Vec<String>,
    /// Columns never to use as features (comma-separated).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "COLUMNS", value_delimiter = ',')
    )]
    pub exclude: Vec<String>,
    /// Features to keep whatever their IV or correlation (comma-separated).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "COLUMNS", value_delimiter = ',')
    )]
    pub include: Vec<String>,
    /// Special values per feature, each binned on its own (the command line's `--special`).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub specials: BTreeMap<String, Vec<f64>>,
    /// Per-feature WoE trends (`ascending`, `descending`, `peak`, `valley`, `auto`,
    /// `auto-shape`; the command line's `--trend`).
    #[serde(with = "by_name::map")]
    #[cfg_attr(feature = "cli", arg(skip))]
    pub trends: BTreeMap<String, Trend>,
    /// Default WoE trend of numeric features.
    #[serde(with = "by_name")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "TREND", default_value_t = TrainParams::new("").binning.trend)
    )]
    pub default_trend: Trend,
    /// The values of the target that mean "default" (comma-separated, e.g. `bad` or `Yes,1`);
    /// every other value means repaid [default: 1/true]. Recorded in the model, so that
    /// evaluate, monitor and strategy read the outcome the same way.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "VALUES", value_delimiter = ',')
    )]
    pub bad_values: Vec<String>,
    /// Pre-bin edges per numeric feature, used instead of its own quantiles (configuration and
    /// Python only).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub prebin_edges: BTreeMap<String, Vec<f64>>,
    /// Maximum number of bins per feature.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = TrainParams::new("").binning.max_bins))]
    pub max_bins: usize,
    /// Number of pre-bins before the optimal merge: the candidate cut points.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.max_prebins)
    )]
    pub prebins: usize,
    /// How numeric pre-bins are found: tree (the leaves of a decision tree on the target,
    /// each at least 1/prebins of the rows and min_bin_count) or quantile (equal shares of
    /// the rows).
    #[serde(with = "by_name")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "METHOD", default_value_t = TrainParams::new("").binning.prebinning)
    )]
    pub prebinning: Prebinning,
    /// With the auto-shape trend, a peak or valley is chosen over a monotone binning when the
    /// likelihood-ratio test of the two gives p at most this (1 turns the test off).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "P", default_value_t = TrainParams::new("").binning.shape_significance)
    )]
    pub shape_significance: f64,
    /// Minimum share of rows in a bin that needs no test.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.min_bin_share)
    )]
    pub min_bin_share: f64,
    /// Minimum rows (weight) in a smaller bin; such a bin stands only when its default rate
    /// differs from each neighbour's by small_bin_z (0 turns small bins off).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.min_bin_count)
    )]
    pub min_bin_count: f64,
    /// The two-proportion z statistic a small bin needs against each neighbour, and a value
    /// spike against both sides of it.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.small_bin_z)
    )]
    pub small_bin_z: f64,
    /// Detect interior value spikes with their own risk (an imputed missing code, say) and
    /// bin them apart as special values: true or false.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            default_value_t = TrainParams::new("").binning.detect_specials,
            action = clap::ArgAction::Set
        )
    )]
    pub detect_specials: bool,
    /// Minimum number (weight) of non-defaults in each bin.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.min_bin_goods)
    )]
    pub min_bin_goods: f64,
    /// Minimum number (weight) of defaults in each bin.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").binning.min_bin_bads)
    )]
    pub min_bin_bads: f64,
    /// Drop features with information value below this.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = TrainParams::new("").min_iv))]
    pub min_iv: f64,
    /// Keep a feature below min_iv when its bins' association with the outcome is significant
    /// at this level (likelihood-ratio test); 0 for the IV floor alone.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "P", default_value_t = TrainParams::new("").min_iv_significance.unwrap_or(0.0))
    )]
    pub min_iv_significance: f64,
    /// Refuse features with information value above this as leaks of the outcome (unless
    /// forced in with include). Default: no limit (features above IV 0.5 are noted; copies of
    /// the target are refused regardless).
    #[cfg_attr(feature = "cli", arg(long))]
    pub max_iv: Option<f64>,
    /// Keep a feature whose coefficient runs against its WoE when the likelihood-ratio test of
    /// dropping it gives p at most this (its effect at equal values of the other features is
    /// real: a suppressor); 0: every wrong-signed feature is dropped.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "P", default_value_t = TrainParams::new("").sign_significance.unwrap_or(0.0))
    )]
    pub sign_significance: f64,
    /// Of two features whose WoE correlation exceeds this, drop the one with lower IV.
    #[cfg_attr(
        feature = "cli",
        arg(long = "max-corr", default_value_t = TrainParams::new("").max_correlation)
    )]
    pub max_correlation: f64,
    /// L2 penalty of the logistic fit.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = TrainParams::new("").fit.l2))]
    pub l2: f64,
    /// Optimiser of the logistic fit: newton (exact IRLS, the fastest) or lbfgs
    /// (linfa-logistic). Weighted data always uses newton.
    #[serde(with = "by_name")]
    #[cfg_attr(feature = "cli", arg(long, default_value_t = TrainParams::new("").fit.solver))]
    pub solver: Solver,
    /// Iteration limit of the logistic fit.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").fit.max_iterations)
    )]
    pub max_iterations: u64,
    /// Points to double the odds.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = TrainParams::new("").scaling.pdo))]
    pub pdo: f64,
    /// Score at the base odds.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").scaling.base_score)
    )]
    pub base_score: f64,
    /// Good:bad odds at the base score (50 means 50:1).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = TrainParams::new("").scaling.base_odds)
    )]
    pub base_odds: f64,
    /// Round every bin's points to a whole number (the PD then follows the rounded score).
    #[cfg_attr(feature = "cli", arg(long))]
    pub round_points: bool,
    /// Maximum PD of each grade A, B, ... (comma-separated, increasing); the last grade takes
    /// the rest.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_name = "PDS",
            value_delimiter = ',',
            default_values_t = TrainParams::new("").grade_pds
        )
    )]
    pub grade_pds: Vec<f64>,
    /// Decision policy (default: PD cut-offs only, see [`PolicySpec`]; the command line's
    /// `--policy` file and flags).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub policy: Option<PolicySpec>,
    /// Recalibrate the PDs: train on all folds but one, score the one left out, for each of
    /// FOLDS folds (0: none; 5 when the flag has no value); the intercept and slope of the
    /// outcome on those out-of-fold log-odds are folded into the points and recorded in the
    /// model.
    #[cfg_attr(
        feature = "cli",
        arg(
            long = "calibrate",
            value_name = "FOLDS",
            num_args = 0..=1,
            default_value_t = 0,
            default_missing_value = "5"
        )
    )]
    pub calibration_folds: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        let p = TrainParams::new("");
        TrainConfig {
            id_column: None,
            weight_column: None,
            protected: Vec::new(),
            exclude: Vec::new(),
            include: Vec::new(),
            specials: BTreeMap::new(),
            trends: BTreeMap::new(),
            default_trend: p.binning.trend,
            bad_values: Vec::new(),
            prebin_edges: BTreeMap::new(),
            max_bins: p.binning.max_bins,
            prebins: p.binning.max_prebins,
            prebinning: p.binning.prebinning,
            shape_significance: p.binning.shape_significance,
            min_bin_share: p.binning.min_bin_share,
            min_bin_count: p.binning.min_bin_count,
            small_bin_z: p.binning.small_bin_z,
            detect_specials: p.binning.detect_specials,
            min_bin_goods: p.binning.min_bin_goods,
            min_bin_bads: p.binning.min_bin_bads,
            min_iv: p.min_iv,
            min_iv_significance: p.min_iv_significance.unwrap_or(0.0),
            max_iv: p.max_iv,
            sign_significance: p.sign_significance.unwrap_or(0.0),
            max_correlation: p.max_correlation,
            l2: p.fit.l2,
            solver: p.fit.solver,
            max_iterations: p.fit.max_iterations,
            pdo: p.scaling.pdo,
            base_score: p.scaling.base_score,
            base_odds: p.scaling.base_odds,
            round_points: p.round_points,
            grade_pds: p.grade_pds,
            policy: None,
            calibration_folds: p.calibration_folds,
        }
    }
}

impl TrainConfig {
    /// Parse a JSON object of settings; the error names the bad key or value.
    pub fn from_json(json: &str) -> Result<TrainConfig, TrainError> {
        serde_json::from_str(json).map_err(|e| TrainError::Config(e.to_string()))
    }

    /// The validated training parameters for a target column.
    pub fn into_params(self, target: impl Into<String>) -> Result<TrainParams, TrainError> {
        let mut params = TrainParams::new(target);
        params.id_column = self.id_column;
        params.weight_column = self.weight_column;
        params.protected = self.protected;
        params.exclude = self.exclude;
        params.include = self.include;
        params.specials = self.specials;
        params.prebin_edges = self.prebin_edges;
        params.bad_values = self.bad_values;
        params.trends = self.trends;
        params.binning = BinningParams {
            max_prebins: self.prebins,
            prebinning: self.prebinning,
            shape_significance: self.shape_significance,
            min_bin_share: self.min_bin_share,
            min_bin_count: self.min_bin_count,
            small_bin_z: self.small_bin_z,
            detect_specials: self.detect_specials,
            min_bin_goods: self.min_bin_goods,
            min_bin_bads: self.min_bin_bads,
            max_bins: self.max_bins,
            trend: self.default_trend,
            ..BinningParams::default()
        };
        params.min_iv = self.min_iv;
        // 0 turns the test off (as calibration_folds 0 turns recalibration off).
        params.min_iv_significance =
            (self.min_iv_significance != 0.0).then_some(self.min_iv_significance);
        params.max_iv = self.max_iv;
        params.sign_significance =
            (self.sign_significance != 0.0).then_some(self.sign_significance);
        params.max_correlation = self.max_correlation;
        params.fit.l2 = self.l2;
        params.fit.solver = self.solver;
        params.fit.max_iterations = self.max_iterations;
        params.scaling.pdo = self.pdo;
        params.scaling.base_score = self.base_score;
        params.scaling.base_odds = self.base_odds;
        params.round_points = self.round_points;
        params.grade_pds = self.grade_pds;
        params.calibration_folds = self.calibration_folds;
        if let Some(policy) = self.policy {
            params.policy = policy;
        }
        params.validate()?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_reads_trends_and_solvers_by_name_and_writes_them_back() {
        let config = TrainConfig::from_json(
            r#"{"trends": {"age": "Peak", "revenue": "asc"}, "default_trend": "auto-shape",
                "solver": "lbfgs"}"#,
        )
        .unwrap();
        assert_eq!(config.trends["age"], Trend::Peak);
        assert_eq!(config.trends["revenue"], Trend::Ascending);
        assert_eq!(config.default_trend, Trend::AutoShape);
        assert_eq!(config.solver, Solver::Lbfgs);
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains(r#""default_trend":"auto-shape""#), "{json}");
        assert_eq!(TrainConfig::from_json(&json).unwrap(), config);
        let params = config.into_params("default_12m").unwrap();
        assert_eq!(params.binning.trend, Trend::AutoShape);
        assert_eq!(params.fit.solver, Solver::Lbfgs);
    }

    #[test]
    fn a_bad_name_or_key_is_an_error_naming_it() {
        let e = TrainConfig::from_json(r#"{"trends": {"age": "upwards"}}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("trend of 'age': unknown trend 'upwards'"),
            "{e}"
        );
        let e = TrainConfig::from_json(r#"{"solver": "sgd"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown solver 'sgd'"), "{e}");
        let e = TrainConfig::from_json(r#"{"max_binz": 3}"#).unwrap_err();
        assert!(e.to_string().contains("max_binz"), "{e}");
    }

    #[test]
    fn a_setting_out_of_range_names_the_setting_and_its_flag() {
        let config = TrainConfig {
            max_bins: 0,
            ..TrainConfig::default()
        };
        let Err(TrainError::Setting(e)) = config.into_params("y") else {
            panic!("max_bins 0 was accepted");
        };
        assert_eq!(e.setting, Setting::MaxBins);
        assert_eq!(e.to_string(), "max_bins must be at least 1 (got 0)");
        assert_eq!(
            e.worded(e.setting.flag().unwrap()),
            "--max-bins must be at least 1 (got 0)"
        );
        let config = TrainConfig {
            calibration_folds: 1,
            ..TrainConfig::default()
        };
        let Err(TrainError::Setting(e)) = config.into_params("y") else {
            panic!("one calibration fold was accepted");
        };
        assert_eq!(e.setting.flag(), Some("--calibrate"));
    }
}
