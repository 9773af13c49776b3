//! Training a scorecard: binning, WoE, selection, logistic fit, sign checks and scaling.
//!
//! ```text
//! table --bin every candidate (in parallel)--> WoE columns --IV / correlation filters-->
//!       --logistic fit (linfa-logistic)--> drop wrong-signed features and refit until none -->
//!       --points scaling, grades--> Model
//! ```

pub mod binning;
pub mod calibration;
pub mod distributed;
pub mod estimator;
pub mod fit;
pub mod selection;
pub mod woe;

use std::collections::{BTreeMap, HashSet};

use ndarray::Array2;
use rayon::prelude::*;

use crate::input::table::{ColumnData, Table, MISSING_CODE};
use crate::metrics;
use crate::model::policy::PolicySpec;
use crate::model::scaling::{grades_from_pds, Scaling, DEFAULT_GRADE_PDS};
use crate::model::Counts;
use crate::model::FitParams;
use crate::model::{Binning, BinningParams, Trend};
use crate::model::{
    CandidateReport, Feature, Model, ModelError, ModelParts, TrainSettings, TrainingSummary,
};
use crate::train::binning::{
    bin_categorical_checked, bin_numeric_counts, categorical_counts, numeric_counts, BinningError,
};
use crate::train::fit::{fit_logistic_from, FitError, LogisticFit};
use crate::train::selection::{correlation_binned, select, Candidate, Verdict};

/// Errors raised by training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A setting is out of range or inconsistent.
    #[error("invalid setting: {0}")]
    Params(String),
    /// A named column is absent.
    #[error("column '{0}' is not in the data")]
    MissingColumn(String),
    /// A target value is not an outcome.
    #[error("target column '{column}', data row {row}: value {value} is not {expected}")]
    BadTarget {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The value.
        value: String,
        /// What the target rule accepts.
        expected: String,
    },
    /// The weight column has an invalid value.
    #[error("weight column '{column}', data row {row}: value {value} is not a finite weight >= 0")]
    BadWeight {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A feature could not be binned.
    #[error("feature '{feature}': {source}")]
    Binning {
        /// Feature.
        feature: String,
        /// Cause.
        source: BinningError,
    },
    /// No feature survived selection.
    #[error("no feature survived selection: {0}")]
    NoFeatures(String),
    /// The fit failed.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The decision policy is invalid, or names a column the data lacks or holds text where
    /// it needs numbers.
    #[error(transparent)]
    Policy(#[from] crate::model::policy::PolicyError),
    /// The assembled model is invalid (a bug if it happens).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A linfa dataset is malformed ([`crate::train::estimator`]).
    #[error("dataset: {0}")]
    Dataset(#[from] linfa::Error),
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
    /// Maximum IV of a feature (default 3): above it the feature is refused as a leak of the
    /// outcome (no application-time variable separates defaults that well), unless forced in.
    pub max_iv: f64,
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
            max_iv: 3.0,
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
        let err = |m: &str| Err(TrainError::Params(m.to_string()));
        let b = &self.binning;
        if b.max_prebins < 2 {
            return err("--prebins must be at least 2");
        }
        if b.max_bins < 1 {
            return err("--max-bins must be at least 1");
        }
        if !(0.0..0.5).contains(&b.min_bin_share) {
            return err("--min-bin-share must be in [0, 0.5)");
        }
        if !(b.min_bin_goods.is_finite()
            && b.min_bin_goods >= 0.0
            && b.min_bin_bads.is_finite()
            && b.min_bin_bads >= 0.0)
        {
            return err("--min-bin-goods and --min-bin-bads must be finite and >= 0");
        }
        if !(b.smoothing.is_finite() && b.smoothing > 0.0) {
            return err("WoE smoothing must be positive");
        }
        if !(b.shape_min_gain.is_finite() && b.shape_min_gain >= 0.0) {
            return err("the peak/valley IV gain must be >= 0");
        }
        if !(self.min_iv.is_finite() && self.min_iv >= 0.0) {
            return err("--min-iv must be >= 0");
        }
        if self.max_iv.is_nan() || self.max_iv <= self.min_iv {
            return err("--max-iv must be above --min-iv");
        }
        if !(b.min_bin_count.is_finite() && b.min_bin_count >= 0.0) {
            return err("--min-bin-count must be finite and >= 0");
        }
        if !(b.small_bin_z.is_finite() && b.small_bin_z >= 0.0) {
            return err("--small-bin-z must be finite and >= 0");
        }
        if !(self.max_correlation > 0.0 && self.max_correlation <= 1.0) {
            return err("--max-corr must be in (0, 1]");
        }
        if !(self.fit.l2.is_finite() && self.fit.l2 >= 0.0) {
            return err("--l2 must be finite and >= 0");
        }
        if self.fit.max_iterations == 0 {
            return err("the iteration limit must be positive");
        }
        if self.calibration_folds == 1 || self.calibration_folds > 20 {
            return err("--calibrate needs 2 to 20 folds");
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
    params
}

/// Training settings as plain data, by the names the Python estimator and JSON configuration
/// use (the command line's flags, with underscores). Every field is optional; absent ones take
/// the defaults of [`TrainParams::new`]. Unknown names are an error.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Id column.
    pub id_column: Option<String>,
    /// Sample-weight column.
    pub weight_column: Option<String>,
    /// Protected attributes.
    pub protected: Vec<String>,
    /// Columns never used as features.
    pub exclude: Vec<String>,
    /// Features forced in.
    pub include: Vec<String>,
    /// Special values per feature.
    pub specials: BTreeMap<String, Vec<f64>>,
    /// Per-feature trends (`ascending`, `descending`, `peak`, `valley`, `auto`, `auto-shape`).
    pub trends: BTreeMap<String, String>,
    /// Default trend of numeric features.
    pub default_trend: String,
    /// Target values that mean "default" (empty: 1/true).
    pub bad_values: Vec<String>,
    /// Pre-bin edges per numeric feature (instead of its own quantiles).
    pub prebin_edges: BTreeMap<String, Vec<f64>>,
    /// Maximum regular bins per feature.
    pub max_bins: usize,
    /// Quantile pre-bins.
    pub prebins: usize,
    /// Minimum share of rows per bin that needs no test.
    pub min_bin_share: f64,
    /// Minimum rows (weight) of a smaller bin, which must differ significantly from its
    /// neighbours.
    pub min_bin_count: f64,
    /// The z statistic a small bin needs against each neighbour (and a value spike against
    /// both sides).
    pub small_bin_z: f64,
    /// Bin interior value spikes with their own risk apart, as special values.
    pub detect_specials: bool,
    /// Minimum goods per bin.
    pub min_bin_goods: f64,
    /// Minimum bads per bin.
    pub min_bin_bads: f64,
    /// Minimum IV.
    pub min_iv: f64,
    /// Maximum IV: above it a feature is refused as a leak.
    pub max_iv: f64,
    /// Maximum absolute WoE correlation.
    pub max_correlation: f64,
    /// L2 penalty.
    pub l2: f64,
    /// `lbfgs` or `newton`.
    pub solver: String,
    /// Iteration limit of the fit.
    pub max_iterations: u64,
    /// Points to double the odds.
    pub pdo: f64,
    /// Score at the base odds.
    pub base_score: f64,
    /// Good:bad odds at the base score.
    pub base_odds: f64,
    /// Round points to integers.
    pub round_points: bool,
    /// Maximum PD per grade.
    pub grade_pds: Vec<f64>,
    /// Decision policy (default: PD cut-offs only, see [`PolicySpec`]).
    pub policy: Option<PolicySpec>,
    /// Folds of the out-of-fold recalibration (0: none).
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
            default_trend: "auto".into(),
            bad_values: Vec::new(),
            prebin_edges: BTreeMap::new(),
            max_bins: p.binning.max_bins,
            prebins: p.binning.max_prebins,
            min_bin_share: p.binning.min_bin_share,
            min_bin_count: p.binning.min_bin_count,
            small_bin_z: p.binning.small_bin_z,
            detect_specials: p.binning.detect_specials,
            min_bin_goods: p.binning.min_bin_goods,
            min_bin_bads: p.binning.min_bin_bads,
            min_iv: p.min_iv,
            max_iv: p.max_iv,
            max_correlation: p.max_correlation,
            l2: p.fit.l2,
            solver: "newton".into(),
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
        serde_json::from_str(json).map_err(|e| TrainError::Params(e.to_string()))
    }

    /// The validated training parameters for a target column.
    pub fn into_params(self, target: impl Into<String>) -> Result<TrainParams, TrainError> {
        let trend = |name: &str, t: &str| {
            t.parse::<Trend>()
                .map_err(|e| TrainError::Params(format!("{name}: {e}")))
        };
        let mut params = TrainParams::new(target);
        params.id_column = self.id_column;
        params.weight_column = self.weight_column;
        params.protected = self.protected;
        params.exclude = self.exclude;
        params.include = self.include;
        params.specials = self.specials;
        params.prebin_edges = self.prebin_edges;
        params.bad_values = self.bad_values;
        for (column, t) in &self.trends {
            params
                .trends
                .insert(column.clone(), trend(&format!("trend of '{column}'"), t)?);
        }
        params.binning = BinningParams {
            max_prebins: self.prebins,
            min_bin_share: self.min_bin_share,
            min_bin_count: self.min_bin_count,
            small_bin_z: self.small_bin_z,
            detect_specials: self.detect_specials,
            min_bin_goods: self.min_bin_goods,
            min_bin_bads: self.min_bin_bads,
            max_bins: self.max_bins,
            trend: trend("default_trend", &self.default_trend)?,
            ..BinningParams::default()
        };
        params.min_iv = self.min_iv;
        params.max_iv = self.max_iv;
        params.max_correlation = self.max_correlation;
        params.fit.l2 = self.l2;
        params.fit.solver = self
            .solver
            .parse()
            .map_err(|e: crate::model::UnknownName| TrainError::Params(format!("solver: {e}")))?;
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

/// A binned candidate feature.
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    /// Column name.
    pub name: String,
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// Its binning.
    pub binning: Binning,
    /// Whether its groups of rows determine the outcome
    /// ([`crate::train::binning::NumericCounts::determines_target`]): a leak.
    pub determines_target: bool,
}

/// The passes over the training rows that training makes. In memory ([`train`]) each reads the
/// table; over partitioned data ([`crate::train::distributed`]) each is one job over the partitions
/// whose mergeable partial results are added up. Everything else (selection, the sign checks,
/// scaling, the summary) is the same code for both, in [`train_on`].
pub(crate) trait TrainingRows {
    /// Number of rows and their weighted goods and bads.
    fn totals(&self) -> (u64, Counts);
    /// Whether a column exists and holds numbers (`Some(true)`) or text (`Some(false)`).
    fn column_is_numeric(&self, name: &str) -> Option<bool>;
    /// The names of the columns, for "did you mean" in errors.
    fn column_names(&self) -> Vec<&str>;
    /// Bin every column not in `reserved`, in column order.
    fn bin(
        &mut self,
        params: &TrainParams,
        reserved: &HashSet<&str>,
    ) -> Result<Vec<Binned>, TrainError>;
    /// The WoE correlation of candidates `i` and `j` of `binned`.
    fn correlations<'s>(
        &'s mut self,
        binned: &[Binned],
    ) -> Result<Box<dyn Fn(usize, usize) -> f64 + Sync + 's>, TrainError>;
    /// Fit the logistic regression on the WoE of the candidates `kept`.
    fn fit(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        start: Option<&LogisticFit>,
        params: &FitParams,
    ) -> Result<LogisticFit, TrainError>;
    /// The training rows grouped by score (as a risk: the negated score), in increasing order;
    /// `features[j]` is candidate `kept[j]` of `binned`.
    fn score_groups(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        features: &[Feature],
    ) -> Result<Vec<metrics::RiskGroup>, TrainError>;
}

fn target_values(table: &Table, params: &TrainParams) -> Result<Vec<bool>, TrainError> {
    let column = table
        .column(&params.target)
        .ok_or_else(|| TrainError::MissingColumn(params.target.clone()))?;
    let rule = crate::model::TargetRule::new(&params.bad_values);
    let bad = |row: usize, value: String| TrainError::BadTarget {
        column: params.target.clone(),
        row: row + 1,
        value,
        expected: rule.describe(),
    };
    match &column.data {
        ColumnData::Numeric(v) => v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                rule.number(x).ok_or_else(|| {
                    bad(
                        i,
                        if x.is_nan() {
                            "(missing)".into()
                        } else {
                            x.to_string()
                        },
                    )
                })
            })
            .collect(),
        ColumnData::Categorical { codes, levels } => {
            let per_level: Vec<Option<bool>> = levels.iter().map(|l| rule.text(l)).collect();
            codes
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if c == MISSING_CODE {
                        return Err(bad(i, "(missing)".into()));
                    }
                    per_level[c as usize].ok_or_else(|| bad(i, format!("{:?}", levels[c as usize])))
                })
                .collect()
        }
    }
}

fn weight_values(table: &Table, column: &str) -> Result<Vec<f64>, TrainError> {
    match table.column(column).map(|c| &c.data) {
        None => Err(TrainError::MissingColumn(column.to_string())),
        Some(ColumnData::Categorical { .. }) => Err(TrainError::Params(format!(
            "weight column '{column}' holds text; weights must be numbers"
        ))),
        Some(ColumnData::Numeric(v)) => {
            if let Some((i, &x)) = v
                .iter()
                .enumerate()
                .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
            {
                return Err(TrainError::BadWeight {
                    column: column.to_string(),
                    row: i + 1,
                    value: x,
                });
            }
            Ok(v.clone())
        }
    }
}

fn bin_rows(binning: &Binning, data: &ColumnData) -> Vec<u32> {
    match data {
        ColumnData::Numeric(v) => v
            .iter()
            .map(|&x| binning.numeric_bin(x).unwrap_or(binning.missing.bin) as u32)
            .collect(),
        ColumnData::Categorical { codes, levels } => {
            let per_level: Vec<u32> = levels
                .iter()
                .map(|l| binning.category_bin(Some(l)).unwrap_or(binning.missing.bin) as u32)
                .collect();
            codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        binning.missing.bin as u32
                    } else {
                        per_level[c as usize]
                    }
                })
                .collect()
        }
    }
}

/// The bin and the WoE of every row of one candidate.
/// A binned candidate: the bin of every row, and the WoE of every bin (a row's WoE is looked
/// up, not stored: 4 bytes a row instead of 12).
type RowBins = (Vec<u32>, Vec<f64>);

/// The training rows of an in-memory table.
struct TableRows<'t> {
    table: &'t Table,
    bad: Vec<bool>,
    weights: Option<Vec<f64>>,
    total: Counts,
    /// Per candidate (as binned): the bin of every row and the WoE of every bin.
    columns: Vec<RowBins>,
}

impl<'t> TableRows<'t> {
    fn new(table: &'t Table, params: &TrainParams) -> Result<TableRows<'t>, TrainError> {
        let bad = target_values(table, params)?;
        let weights = params
            .weight_column
            .as_deref()
            .map(|c| weight_values(table, c))
            .transpose()?;
        let mut total = Counts::default();
        for (i, &b) in bad.iter().enumerate() {
            total.add(b, weights.as_ref().map_or(1.0, |w| w[i]));
        }
        Ok(TableRows {
            table,
            bad,
            weights,
            total,
            columns: Vec::new(),
        })
    }
}

impl TrainingRows for TableRows<'_> {
    fn totals(&self) -> (u64, Counts) {
        (self.bad.len() as u64, self.total)
    }

    fn column_is_numeric(&self, name: &str) -> Option<bool> {
        self.table
            .column(name)
            .map(|c| matches!(c.data, ColumnData::Numeric(_)))
    }

    fn column_names(&self) -> Vec<&str> {
        self.table
            .columns()
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    fn bin(
        &mut self,
        params: &TrainParams,
        reserved: &HashSet<&str>,
    ) -> Result<Vec<Binned>, TrainError> {
        let (bad, w) = (&self.bad, self.weights.as_deref());
        let candidates: Vec<_> = self
            .table
            .columns()
            .iter()
            .filter(|c| !reserved.contains(c.name.as_str()))
            .collect();
        // Bin every candidate, in parallel; results in column order.
        let binned: Vec<(Binned, RowBins)> = candidates
            .par_iter()
            .map(|column| {
                let specials = params
                    .specials
                    .get(&column.name)
                    .map_or(&[][..], Vec::as_slice);
                let trend = params.trends.get(&column.name).copied();
                let result = match &column.data {
                    ColumnData::Numeric(v) => numeric_counts(
                        v,
                        bad,
                        w,
                        specials,
                        params.prebin_edges.get(&column.name).map(Vec::as_slice),
                        &params.binning,
                    )
                    .and_then(|counts| {
                        let binning = bin_numeric_counts(&counts, &params.binning, trend)?;
                        Ok((binning, counts.determines_target()))
                    }),
                    ColumnData::Categorical { codes, levels } => {
                        let counts = categorical_counts(codes, levels, bad, w);
                        bin_categorical_checked(&counts, &params.binning)
                    }
                };
                let (binning, determines_target) =
                    result.map_err(|source| TrainError::Binning {
                        feature: column.name.clone(),
                        source: match source {
                            BinningError::NotFinite { row, value } => BinningError::NotFinite {
                                row: row + 1,
                                value,
                            },
                            other => other,
                        },
                    })?;
                let bins = bin_rows(&binning, &column.data);
                let woe = binning.bins.iter().map(|b| b.woe).collect();
                Ok((
                    Binned {
                        name: column.name.clone(),
                        kind: match column.data {
                            ColumnData::Numeric(_) => "numeric",
                            ColumnData::Categorical { .. } => "categorical",
                        },
                        binning,
                        determines_target,
                    },
                    (bins, woe),
                ))
            })
            .collect::<Result<_, TrainError>>()?;
        let (binned, columns) = binned.into_iter().unzip();
        self.columns = columns;
        Ok(binned)
    }

    fn correlations<'s>(
        &'s mut self,
        _binned: &[Binned],
    ) -> Result<Box<dyn Fn(usize, usize) -> f64 + Sync + 's>, TrainError> {
        let (columns, w) = (&self.columns, self.weights.as_deref());
        Ok(Box::new(move |i, j| {
            let ((bi, wi), (bj, wj)) = (&columns[i], &columns[j]);
            correlation_binned((bi, wi), (bj, wj), w)
        }))
    }

    fn fit(
        &mut self,
        _binned: &[Binned],
        kept: &[usize],
        start: Option<&LogisticFit>,
        params: &FitParams,
    ) -> Result<LogisticFit, TrainError> {
        let n = self.bad.len();
        let mut x = Array2::<f64>::zeros((n, kept.len()));
        for (j, &k) in kept.iter().enumerate() {
            let (bins, woe) = &self.columns[k];
            for (i, &b) in bins.iter().enumerate() {
                x[[i, j]] = woe[b as usize];
            }
        }
        Ok(fit_logistic_from(
            x.view(),
            &self.bad,
            self.weights.as_deref(),
            params,
            start,
        )?)
    }

    fn score_groups(
        &mut self,
        _binned: &[Binned],
        kept: &[usize],
        features: &[Feature],
    ) -> Result<Vec<metrics::RiskGroup>, TrainError> {
        // Training scores, summed in feature order exactly as the scorer does.
        let mut scores = vec![0.0; self.bad.len()];
        for (f, &k) in features.iter().zip(kept) {
            for (s, &b) in scores.iter_mut().zip(&self.columns[k].0) {
                *s += f.points[b as usize];
            }
        }
        let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
        Ok(metrics::sorted_groups(&risk, &self.bad, self.weights.as_deref()).unwrap_or_default())
    }
}

/// Train a scorecard on a table.
pub fn train(table: &Table, params: &TrainParams) -> Result<Model, TrainError> {
    params.validate()?;
    let mut rows = TableRows::new(table, params)?;
    let calibration = match params.calibration_folds {
        0 => None,
        folds => Some(recalibration(&rows, params, folds)?),
    };
    train_on(&mut rows, params, calibration)
}

/// The out-of-fold recalibration of [`TrainParams::calibration_folds`]: the rows are cut into
/// `folds` stratified folds (every `folds`-th default and every `folds`-th repayment, in row
/// order: the same on every run); the whole training runs on all folds but one and scores the
/// one it did not see; the calibration line of those predictions is the recalibration.
fn recalibration(
    rows: &TableRows<'_>,
    params: &TrainParams,
    folds: usize,
) -> Result<crate::model::Recalibration, TrainError> {
    let TableRows {
        table,
        bad,
        weights,
        ..
    } = rows;
    let mut seen = [0usize; 2];
    let fold: Vec<usize> = bad
        .iter()
        .map(|&b| {
            let k = seen[usize::from(b)] % folds;
            seen[usize::from(b)] += 1;
            k
        })
        .collect();
    let inner = TrainParams {
        calibration_folds: 0,
        ..params.clone()
    };
    let mut groups = Vec::with_capacity(bad.len());
    for k in 0..folds {
        let fit_rows: Vec<usize> = (0..bad.len()).filter(|&i| fold[i] != k).collect();
        let held: Vec<usize> = (0..bad.len()).filter(|&i| fold[i] == k).collect();
        let model = train_on(
            &mut TableRows::new(&table.select_rows(&fit_rows), &inner)?,
            &inner,
            None,
        )
        .map_err(|e| TrainError::Params(format!("recalibration fold {}: {e}", k + 1)))?;
        let scores = crate::scoring::score_table(&model, &table.select_rows(&held))
            .map_err(|e| TrainError::Params(format!("recalibration fold {}: {e}", k + 1)))?;
        for (&i, s) in held.iter().zip(scores) {
            let w = weights.as_ref().map_or(1.0, |w| w[i]);
            let (g, b) = if bad[i] { (0.0, w) } else { (w, 0.0) };
            groups.push((model.scaling().pd(s), g, b));
        }
    }
    let line = calibration::calibration_line(&groups).ok_or_else(|| {
        TrainError::Params(
            "recalibration: the out-of-fold predictions give no calibration line".into(),
        )
    })?;
    if line.slope.is_nan() || line.slope <= 0.0 {
        return Err(TrainError::Params(format!(
            "recalibration: the out-of-fold calibration slope is {:.4}; the scorecard does not \
             rank unseen rows, so it cannot be recalibrated",
            line.slope
        )));
    }
    Ok(crate::model::Recalibration {
        folds,
        intercept: line.intercept,
        slope: line.slope,
        in_the_large: line.in_the_large,
    })
}

/// Train over any [`TrainingRows`] with validated `params`: binning, selection, the fit with
/// sign checks, scaling and the training summary.
pub(crate) fn train_on(
    rows: &mut dyn TrainingRows,
    params: &TrainParams,
    calibration: Option<crate::model::Recalibration>,
) -> Result<Model, TrainError> {
    let (n, total) = rows.totals();
    if total.bads <= 0.0 || total.goods <= 0.0 {
        return Err(TrainError::Params(format!(
            "target '{}' must have both defaults (1) and non-defaults (0)",
            params.target
        )));
    }
    for name in params
        .include
        .iter()
        .chain(params.specials.keys())
        .chain(params.trends.keys())
        .chain(params.prebin_edges.keys())
    {
        if rows.column_is_numeric(name).is_none() {
            return Err(TrainError::MissingColumn(name.clone()));
        }
    }
    let grades = grades_from_pds(&params.scaling, &params.grade_pds).map_err(TrainError::Params)?;
    let policy = params.policy.resolve(&params.scaling, &grades)?;
    for c in policy.columns() {
        match rows.column_is_numeric(c.name) {
            None => {
                let names = rows.column_names();
                let hint = crate::input::schema::suggest(c.name, &names)
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                return Err(crate::model::policy::PolicyError {
                    field: c.field.to_string(),
                    reason: format!("column '{}' is not in the training data{hint}", c.name),
                }
                .into());
            }
            Some(false) if c.numeric => {
                return Err(crate::model::policy::PolicyError {
                    field: c.field.to_string(),
                    reason: format!(
                    "column '{}' holds text in the training data; the policy reads it as a number",
                    c.name
                ),
                }
                .into())
            }
            Some(_) => {}
        }
    }
    let binned = rows.bin(params, &params.reserved())?;

    // IV and correlation filters.
    // Leaks first: a feature whose groups determine the outcome, or whose IV is beyond any
    // application-time variable's, is refused (the second unless forced in).
    let refusals: Vec<Option<String>> = binned
        .iter()
        .map(|b| {
            if b.determines_target {
                Some(
                    "leak: each of its values holds only defaults or only repayments, so it \
                     determines the outcome (a copy of the target or a function of it)"
                        .to_string(),
                )
            } else if b.binning.iv > params.max_iv && !params.include.contains(&b.name) {
                Some(format!(
                    "leak: IV {:.2} above {}: no application-time variable separates that \
                     well; exclude it, or include it to force it in",
                    b.binning.iv, params.max_iv
                ))
            } else {
                None
            }
        })
        .collect();
    let offered: Vec<Candidate<'_>> = binned
        .iter()
        .zip(&refusals)
        .map(|(b, refusal)| Candidate {
            name: &b.name,
            iv: b.binning.iv,
            constant: b.binning.is_constant(),
            forced: params.include.contains(&b.name),
            refused: refusal.as_deref(),
        })
        .collect();
    let mut verdicts = {
        let correlation = rows.correlations(&binned)?;
        select(
            &offered,
            params.min_iv,
            params.max_correlation,
            &*correlation,
        )
    };

    // Fit, then drop wrong-signed features one at a time (the most wrong first) and refit.
    let mut previous: Option<(Vec<usize>, LogisticFit)> = None;
    let fit = loop {
        let kept: Vec<usize> = (0..binned.len())
            .filter(|&i| verdicts[i] == Verdict::Keep)
            .collect();
        if kept.is_empty() {
            let best = binned.iter().map(|b| b.binning.iv).fold(0.0f64, f64::max);
            return Err(TrainError::NoFeatures(format!(
                "{} candidate(s), highest IV {best:.4} (minimum {})",
                binned.len(),
                params.min_iv
            )));
        }
        // Warm start from the previous fit, without the feature just dropped.
        let start = previous.as_ref().map(|(cols, f)| LogisticFit {
            intercept: f.intercept,
            coefficients: cols
                .iter()
                .zip(&f.coefficients)
                .filter(|(c, _)| kept.contains(c))
                .map(|(_, b)| *b)
                .collect(),
        });
        let fit = rows.fit(&binned, &kept, start.as_ref(), &params.fit)?;
        let worst = fit
            .coefficients
            .iter()
            .enumerate()
            .filter(|(_, &c)| c >= 0.0)
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)));
        match worst {
            Some((j, &c)) => {
                verdicts[kept[j]] = Verdict::Drop(format!(
                    "coefficient {c:+.4} has the wrong sign: its points would run against its WoE"
                ));
                previous = Some((kept, fit));
            }
            None => break (kept, fit),
        }
    };
    let (kept, mut fit) = fit;
    // The recalibration, folded into the fit: L' = intercept + slope * L.
    if let Some(c) = &calibration {
        fit.intercept = c.intercept + c.slope * fit.intercept;
        for b in &mut fit.coefficients {
            *b *= c.slope;
        }
    }

    // Points: score = sum of points = offset + factor * ln(good:bad odds).
    let factor = params.scaling.factor();
    let offset = params.scaling.offset();
    let m = kept.len() as f64;
    let base = (offset - factor * fit.intercept) / m;
    let features: Vec<Feature> = kept
        .iter()
        .zip(&fit.coefficients)
        .map(|(&k, &beta)| {
            let b = &binned[k];
            let points = b
                .binning
                .bins
                .iter()
                .map(|bin| {
                    let p = base - factor * beta * bin.woe;
                    if params.round_points {
                        p.round()
                    } else {
                        p
                    }
                })
                .collect();
            Feature {
                name: b.name.clone(),
                reason_code: crate::model::statements::reason_code(&b.name),
                coefficient: beta,
                binning: b.binning.clone(),
                points,
                statements: [(
                    crate::scoring::reasons::DEFAULT_LANGUAGE.to_string(),
                    crate::scoring::reasons::default_statement(&b.name),
                )]
                .into_iter()
                .collect(),
            }
        })
        .collect();

    let groups = rows.score_groups(&binned, &kept, &features)?;
    let auc = metrics::auc_of(&groups).unwrap_or(f64::NAN);
    let ks = metrics::ks_of(&groups).map_or(f64::NAN, |k| k.statistic);

    let candidates_report = binned
        .iter()
        .zip(&verdicts)
        .map(|(b, v)| CandidateReport {
            name: b.name.clone(),
            kind: b.kind.to_string(),
            iv: b.binning.iv,
            bins: b.binning.bins.len(),
            kept: *v == Verdict::Keep,
            reason: match v {
                Verdict::Drop(r) => Some(r.clone()),
                Verdict::Keep if params.include.contains(&b.name) => Some("forced in".into()),
                Verdict::Keep => None,
            },
        })
        .collect();
    let model = Model::from_parts(ModelParts {
        target: params.target.clone(),
        id_column: params.id_column.clone(),
        protected: params.protected.clone(),
        scaling: params.scaling,
        rounded_points: params.round_points,
        intercept: fit.intercept,
        features,
        grades,
        policy,
        training: TrainingSummary {
            rows: n,
            bads: total.bads,
            goods: total.goods,
            bad_rate: total.bads / total.total(),
            weight_column: params.weight_column.clone(),
            auc,
            ks,
            candidates: candidates_report,
            settings: TrainSettings {
                binning: params.binning.clone(),
                min_iv: params.min_iv,
                max_iv: params.max_iv,
                max_correlation: params.max_correlation,
                fit: params.fit,
                trends: params.trends.clone(),
                specials: params.specials.clone(),
                include: params.include.clone(),
                exclude: params.exclude.clone(),
                prebin_edges: params.prebin_edges.clone(),
                bad_values: params.bad_values.clone(),
            },
            calibration,
        },
    })?;
    Ok(model)
}
