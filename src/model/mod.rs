//! The model file: a versioned, validated, checksummed JSON scorecard.
//!
//! The model file is the contract between training and every scorer (CLI, C ABI, Python,
//! Spark). It is deliberately lossless: exact `f64` edges, WoE and points (written in shortest
//! round-trip form and parsed back exactly), the scaling, the grade bands and the routes of
//! missing, special and unseen values, so that save then load gives bit-identical scores.
//!
//! Loading validates everything and rejects a broken or tampered file with an error naming the
//! field: the format and version, strictly increasing finite edges, finite WoE and points,
//! unique sorted categories, every route pointing at an existing bin, and a SHA-256 checksum
//! of the content.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod bins;
pub mod builtin;
pub mod policy;
pub mod scaling;
pub mod settings;
pub mod statements;

pub use bins::{Bin, BinKind, BinRule, Binning, CategoryRoute, Counts, Route, SpecialRoute};
pub use builtin::default_model;
pub use policy::{Policy, PolicyError, PolicySpec};
pub use scaling::{GradeBand, Scaling};
pub use settings::{BinningParams, Fallback, FitParams, Prebinning, Solver, Trend, UnknownName};

/// IV above which a kept feature is noted as suspiciously strong for an application-time
/// variable (the usual band: above 0.5, check for leakage).
pub const STRONG_IV: f64 = 0.5;

/// Chance above which a resample of the training rows reversing the order of two neighbouring
/// bins' default rates is noted ([`Binning::unstable_neighbours`]).
pub const UNSTABLE_FLIP: f64 = 0.2;

/// One note of [`Model::training_notes`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrainingNote {
    /// A kept feature with IV above [`STRONG_IV`]: check that it is known at application.
    StrongIv {
        /// The feature.
        feature: String,
        /// Its information value.
        iv: f64,
    },
    /// Neighbouring bins whose order of default rates a resample of the rows would reverse
    /// with chance `flip` (above [`UNSTABLE_FLIP`]): merge them or accept the noise.
    UnstableNeighbours {
        /// The feature.
        feature: String,
        /// Label of the lower bin.
        lower: String,
        /// Label of the upper bin.
        upper: String,
        /// Chance that a resample reverses their order.
        flip: f64,
    },
    /// A kept feature whose coefficient runs against its WoE: its points rise where its bins'
    /// default rates rise. Training keeps one only when dropping it fails the likelihood-ratio
    /// test (`TrainParams::sign_significance`): at equal values of the other features its
    /// effect is real and opposite to its effect alone (a suppressor), and the card should
    /// say so to whoever signs it off.
    AgainstWoe {
        /// The feature.
        feature: String,
        /// Its coefficient (at or above 0; a feature that follows its WoE has one below 0).
        coefficient: f64,
    },
}

impl std::fmt::Display for TrainingNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainingNote::StrongIv { feature, iv } => write!(
                f,
                "{feature}: IV {iv:.2} is suspiciously strong for an application-time variable; \
                 check that it is known at application"
            ),
            TrainingNote::UnstableNeighbours {
                feature,
                lower,
                upper,
                flip,
            } => write!(
                f,
                "{feature}: bins {lower} and {upper} would swap their order of default rates in \
                 {:.0}% of resamples of the rows",
                100.0 * flip
            ),
            TrainingNote::AgainstWoe {
                feature,
                coefficient,
            } => write!(
                f,
                "{feature}: its points run against its bins' default rates (coefficient \
                 {coefficient:+.4}): at equal values of the other features its effect is the \
                 reverse of its effect alone"
            ),
        }
    }
}

/// Name in the `format` field of every model file.
pub const FORMAT: &str = "microscore-scorecard";
/// Version of the model file format written by this library (and the only one it reads).
pub const FORMAT_VERSION: u32 = 1;
/// Largest model file read (64 MiB; the built-in model is 60 KB).
pub const MAX_MODEL_BYTES: u64 = 64 << 20;

/// Errors raised while loading, validating or saving a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid JSON or does not have the model's structure.
    #[error("model file is not a valid scorecard: {0}")]
    Json(String),
    /// The format name or version is not supported.
    #[error("unsupported model file: {0}")]
    Unsupported(String),
    /// A field holds an invalid value.
    #[error("invalid model file: {field}: {reason}")]
    Invalid {
        /// Path of the field, e.g. `features[2].binning.rule.edges[3]`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An error in the content of a named model file.
    #[error("{path}: {source}")]
    InFile {
        /// File.
        path: String,
        /// What is wrong with its content.
        source: Box<ModelError>,
    },
    /// The content does not match its checksum.
    #[error("model file checksum mismatch: the file was modified after training (expected {expected}, content hashes to {actual})")]
    Checksum {
        /// Checksum recorded in the file.
        expected: String,
        /// Checksum of the content.
        actual: String,
    },
}

/// One scorecard characteristic: a binned feature with its coefficient and points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// Column name.
    pub name: String,
    /// Stable reason code reported when this feature costs points (the name in upper case).
    pub reason_code: String,
    /// Logistic coefficient on the WoE (negative: points follow WoE).
    pub coefficient: f64,
    /// Bins and routes.
    pub binning: Binning,
    /// Points of each bin (same order as `binning.bins`).
    pub points: Vec<f64>,
    /// What "points lost here" means, in words, by language tag (`en`, `zh`, ...): the
    /// statement an adverse-action notice gives (see [`crate::scoring::reasons`]). Training writes a
    /// generated English one; a reasons file adds the lender's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statements: BTreeMap<String, String>,
}

impl Feature {
    /// Highest points this feature can give (over the bins any input can reach).
    pub fn max_points(&self) -> f64 {
        self.points
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Lowest points this feature can give.
    pub fn min_points(&self) -> f64 {
        self.points.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Why a candidate feature was kept or dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateReport {
    /// Column name.
    pub name: String,
    /// `numeric` or `categorical`.
    pub kind: String,
    /// Information value of its binning (0 when it was never binned).
    pub iv: f64,
    /// Number of bins (regular + own missing/special).
    pub bins: usize,
    /// Whether it is in the scorecard.
    pub kept: bool,
    /// Why it was dropped (or forced in, or kept against its WoE by the sign check's
    /// likelihood-ratio test).
    pub reason: Option<String>,
}

/// Settings the model was trained with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSettings {
    /// Binning settings.
    pub binning: BinningParams,
    /// Minimum IV to keep a feature.
    pub min_iv: f64,
    /// Significance level at which a feature below `min_iv` was kept anyway (absent: none,
    /// and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_iv_significance: Option<f64>,
    /// Maximum IV above which a feature was refused as a leak, when one was set (absent:
    /// no limit, and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iv: Option<f64>,
    /// Significance level at which a feature whose coefficient runs against its WoE was kept
    /// (absent: every such feature was dropped, and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_significance: Option<f64>,
    /// Maximum absolute correlation between kept WoE features.
    pub max_correlation: f64,
    /// Logistic fit settings.
    pub fit: FitParams,
    /// Per-feature trend overrides.
    pub trends: BTreeMap<String, Trend>,
    /// Per-feature special values.
    pub specials: BTreeMap<String, Vec<f64>>,
    /// Features forced in.
    pub include: Vec<String>,
    /// Features excluded.
    pub exclude: Vec<String>,
    /// Pre-bin edges given per feature instead of its own quantiles (absent when none were).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prebin_edges: BTreeMap<String, Vec<f64>>,
    /// The target values that mean "default" (absent: 1/true; see [`TargetRule`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_values: Vec<String>,
}

/// How the values of a target column read as outcomes: by default 1/`true` is a default and
/// 0/`false` is not; with `bad_values` (`train --bad-values`), a value equal to one of them (as
/// a number, or as text ignoring case and surrounding spaces) is a default and any other
/// present value is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetRule<'a> {
    bad_values: &'a [String],
}

impl<'a> TargetRule<'a> {
    /// The rule with these values meaning "default" (empty: the 0/1 rule).
    pub fn new(bad_values: &'a [String]) -> TargetRule<'a> {
        TargetRule { bad_values }
    }

    /// The outcomes of a column of numbers; the first value that is not one is
    /// `Err((its row, 0-based; its text))`, `(missing)` for NaN.
    pub fn numbers(&self, values: &[f64]) -> Result<Vec<bool>, (usize, String)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                self.number(x).ok_or_else(|| {
                    let text = if x.is_nan() {
                        "(missing)".to_string()
                    } else {
                        x.to_string()
                    };
                    (i, text)
                })
            })
            .collect()
    }

    /// The outcome of a number (`None`: not an outcome; NaN is missing, also `None`).
    pub fn number(&self, x: f64) -> Option<bool> {
        if x.is_nan() {
            return None;
        }
        if self.bad_values.is_empty() {
            return if x == 1.0 {
                Some(true)
            } else if x == 0.0 {
                Some(false)
            } else {
                None
            };
        }
        Some(
            self.bad_values
                .iter()
                .any(|b| crate::input::parse_number(b) == Some(x)),
        )
    }

    /// The outcome of a text value (`None`: missing, or not an outcome under the 0/1 rule).
    pub fn text(&self, t: &str) -> Option<bool> {
        let t = t.trim();
        if crate::input::is_missing_token(t) {
            return None;
        }
        if self.bad_values.is_empty() {
            return match t.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => crate::input::parse_number(t).and_then(|x| self.number(x)),
            };
        }
        let number = crate::input::parse_number(t);
        Some(self.bad_values.iter().any(|b| {
            b.trim().eq_ignore_ascii_case(t)
                || (number.is_some() && crate::input::parse_number(b) == number)
        }))
    }

    /// What the rule accepts, for error messages.
    pub fn describe(&self) -> String {
        if self.bad_values.is_empty() {
            "0 or 1 (or false/true)".into()
        } else {
            format!(
                "a value ({} = default, anything else = not)",
                self.bad_values.join(", ")
            )
        }
    }
}

/// Facts about the training data and fit, for the validation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSummary {
    /// Rows used.
    pub rows: u64,
    /// Weight of defaulted rows.
    pub bads: f64,
    /// Weight of non-defaulted rows.
    pub goods: f64,
    /// Weighted bad rate.
    pub bad_rate: f64,
    /// Sample-weight column, if any.
    pub weight_column: Option<String>,
    /// AUC of the score on the training rows.
    pub auc: f64,
    /// Kolmogorov-Smirnov statistic on the training rows.
    pub ks: f64,
    /// Every candidate feature, kept or dropped, in column order.
    pub candidates: Vec<CandidateReport>,
    /// Settings used.
    pub settings: TrainSettings,
    /// The recalibration applied to the fit, when training was asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Recalibration>,
}

/// A logistic recalibration folded into the scorecard: the fitted log-odds of default `L`
/// became `intercept + slope * L` (the coefficients were multiplied by `slope`, and the
/// intercept moved), so the points, PDs and grades are the recalibrated ones. Estimated from
/// out-of-fold predictions: the whole training, run on all folds but one, scored the fold it
/// had not seen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recalibration {
    /// Number of folds.
    pub folds: usize,
    /// Intercept of the calibration line.
    pub intercept: f64,
    /// Slope of the calibration line (positive).
    pub slope: f64,
    /// Calibration-in-the-large of the out-of-fold predictions before recalibration.
    pub in_the_large: f64,
}

/// A trained scorecard. Built by training or by loading a validated model file; immutable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    format: String,
    format_version: u32,
    created_by: String,
    target: String,
    id_column: Option<String>,
    protected: Vec<String>,
    scaling: Scaling,
    rounded_points: bool,
    intercept: f64,
    features: Vec<Feature>,
    grades: Vec<GradeBand>,
    policy: Policy,
    training: TrainingSummary,
    checksum: String,
}

/// The parts of a model that training assembles.
#[derive(Debug, Clone)]
pub(crate) struct ModelParts {
    pub target: String,
    pub id_column: Option<String>,
    pub protected: Vec<String>,
    pub scaling: Scaling,
    pub rounded_points: bool,
    pub intercept: f64,
    pub features: Vec<Feature>,
    pub grades: Vec<GradeBand>,
    pub policy: Policy,
    pub training: TrainingSummary,
}

impl Model {
    /// Assemble, validate and checksum a model.
    pub(crate) fn from_parts(p: ModelParts) -> Result<Model, ModelError> {
        let mut model = Model {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            created_by: format!("microscore {}", env!("CARGO_PKG_VERSION")),
            target: p.target,
            id_column: p.id_column,
            protected: p.protected,
            scaling: p.scaling,
            rounded_points: p.rounded_points,
            intercept: p.intercept,
            features: p.features,
            grades: p.grades,
            policy: p.policy,
            training: p.training,
            checksum: String::new(),
        };
        model.validate()?;
        model.checksum = model.content_hash()?;
        Ok(model)
    }

    /// Parse and validate a model from JSON text.
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        // Check the header first, so that a newer file says so rather than "unknown field".
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ModelError::Json(e.to_string()))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(ModelError::Unsupported(format!(
                    "format is '{other}', expected '{FORMAT}'"
                )))
            }
            None => {
                return Err(ModelError::Unsupported(
                    "no 'format' field: not a microscore model".into(),
                ))
            }
        }
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(ModelError::Unsupported(format!(
                    "format_version {v}; this microscore reads version {FORMAT_VERSION}"
                )))
            }
            None => {
                return Err(ModelError::Unsupported(
                    "no valid 'format_version' field".into(),
                ))
            }
        }
        let model: Model =
            serde_json::from_value(value).map_err(|e| ModelError::Json(e.to_string()))?;
        model.validate()?;
        let actual = model.content_hash()?;
        if actual != model.checksum {
            return Err(ModelError::Checksum {
                expected: model.checksum.clone(),
                actual,
            });
        }
        Ok(model)
    }

    /// Load and validate a model file: a regular file (not a FIFO or a device, which could
    /// block or never end) of at most [`MAX_MODEL_BYTES`].
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let io = |source| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = crate::format::read_text_file(path, MAX_MODEL_BYTES).map_err(io)?;
        Model::from_json(&text).map_err(|e| ModelError::InFile {
            path: path.display().to_string(),
            source: Box::new(e),
        })
    }

    /// The model as pretty-printed JSON (the model file's content), with a final newline.
    pub fn to_json(&self) -> Result<String, ModelError> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| ModelError::Json(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }

    /// Write the model file atomically, replacing an existing file.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        self.save_to(path, true)
    }

    /// Write the model file atomically; an existing file is replaced only with `replace` (and
    /// of two writers, one wins whole).
    pub fn save_to(&self, path: &Path, replace: bool) -> Result<(), ModelError> {
        use std::io::Write;
        let io = |source| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = self.to_json()?;
        let mut file = crate::format::AtomicFile::create(path, replace).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.commit().map_err(io)
    }

    /// SHA-256 of the compact JSON of the model with an empty checksum field.
    fn content_hash(&self) -> Result<String, ModelError> {
        let mut copy = self.clone();
        copy.checksum = String::new();
        let bytes = serde_json::to_vec(&copy).map_err(|e| ModelError::Json(e.to_string()))?;
        let digest = Sha256::digest(&bytes);
        Ok(format!("sha256:{}", hex(&digest)))
    }

    /// Check every field; the error names the first invalid one.
    fn validate(&self) -> Result<(), ModelError> {
        let invalid = |field: String, reason: &str| ModelError::Invalid {
            field,
            reason: reason.to_string(),
        };
        let finite = |field: String, x: f64| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(invalid(field, "must be a finite number"))
            }
        };
        self.scaling
            .validate()
            .map_err(|e| invalid(format!("scaling.{}", e.setting), &e.to_string()))?;
        finite("intercept".into(), self.intercept)?;
        if self.features.is_empty() {
            return Err(invalid(
                "features".into(),
                "a scorecard needs at least one feature",
            ));
        }
        let mut names = std::collections::HashSet::new();
        let mut codes = std::collections::HashSet::new();
        for (f, feature) in self.features.iter().enumerate() {
            let at = |rest: &str| format!("features[{f}]{rest}");
            if feature.name.is_empty() || !names.insert(feature.name.as_str()) {
                return Err(invalid(
                    at(".name"),
                    "must be a non-empty, unique column name",
                ));
            }
            if feature.reason_code.is_empty() || !codes.insert(feature.reason_code.as_str()) {
                return Err(invalid(
                    at(".reason_code"),
                    "must be a non-empty, unique code",
                ));
            }
            finite(at(".coefficient"), feature.coefficient)?;
            let b = &feature.binning;
            if b.bins.is_empty() {
                return Err(invalid(at(".binning.bins"), "no bins"));
            }
            if feature.points.len() != b.bins.len() {
                return Err(invalid(at(".points"), "must have one entry per bin"));
            }
            for (i, p) in feature.points.iter().enumerate() {
                finite(at(&format!(".points[{i}]")), *p)?;
            }
            for (language, text) in &feature.statements {
                let field = at(&format!(".statements.{language}"));
                if !statements::is_language_tag(language) {
                    return Err(invalid(
                        field,
                        "is not a language tag (en, zh, zh-Hans, pt-BR)",
                    ));
                }
                if let Some(problem) = statements::statement_problem(text) {
                    return Err(invalid(field, &problem));
                }
            }
            if self.protected.iter().any(|p| p == &feature.name) {
                return Err(invalid(
                    at(".name"),
                    "is a protected attribute: it can never be scored, nor be a reason",
                ));
            }
            for (i, bin) in b.bins.iter().enumerate() {
                let at_bin = |rest: &str| at(&format!(".binning.bins[{i}]{rest}"));
                finite(at_bin(".woe"), bin.woe)?;
                finite(at_bin(".iv"), bin.iv)?;
                for (name, x) in [("goods", bin.counts.goods), ("bads", bin.counts.bads)] {
                    if !(x.is_finite() && x >= 0.0) {
                        return Err(invalid(
                            at_bin(&format!(".counts.{name}")),
                            "must be a finite count >= 0",
                        ));
                    }
                }
            }
            let n_bins = b.bins.len();
            let n_regular = b.n_regular();
            let check_route = |field: String, bin: usize| {
                if bin < n_bins {
                    Ok(())
                } else {
                    Err(invalid(
                        field,
                        &format!("bin {bin} does not exist ({n_bins} bins)"),
                    ))
                }
            };
            check_route(at(".binning.missing.bin"), b.missing.bin)?;
            match &b.rule {
                BinRule::Numeric {
                    edges,
                    specials,
                    min,
                    max,
                } => {
                    for (i, e) in edges.iter().enumerate() {
                        finite(at(&format!(".binning.rule.edges[{i}]")), *e)?;
                        if i > 0 && *e <= edges[i - 1] {
                            return Err(invalid(
                                at(&format!(".binning.rule.edges[{i}]")),
                                "edges must be strictly increasing",
                            ));
                        }
                    }
                    if n_regular != edges.len() + 1 {
                        return Err(invalid(
                            at(".binning.bins"),
                            "a numeric feature needs one interval bin more than it has edges",
                        ));
                    }
                    for (i, s) in specials.iter().enumerate() {
                        finite(at(&format!(".binning.rule.specials[{i}].value")), s.value)?;
                        if specials[..i].iter().any(|o| o.value == s.value) {
                            return Err(invalid(
                                at(&format!(".binning.rule.specials[{i}]")),
                                "duplicate special value",
                            ));
                        }
                        check_route(at(&format!(".binning.rule.specials[{i}].bin")), s.route.bin)?;
                    }
                    for (name, v) in [("min", min), ("max", max)] {
                        if let Some(x) = v {
                            finite(at(&format!(".binning.rule.{name}")), *x)?;
                        }
                    }
                }
                BinRule::Categorical {
                    categories,
                    unseen_bin,
                } => {
                    check_route(at(".binning.rule.unseen_bin"), *unseen_bin)?;
                    for (i, c) in categories.iter().enumerate() {
                        if i > 0 && c.category <= categories[i - 1].category {
                            return Err(invalid(
                                at(&format!(".binning.rule.categories[{i}]")),
                                "categories must be unique and sorted",
                            ));
                        }
                        if c.bin >= n_regular {
                            return Err(invalid(
                                at(&format!(".binning.rule.categories[{i}].bin")),
                                "must point at a category bin",
                            ));
                        }
                    }
                    if b.bins[..n_regular]
                        .iter()
                        .any(|bin| !matches!(bin.kind, BinKind::Categories { .. }))
                    {
                        return Err(invalid(
                            at(".binning.bins"),
                            "a categorical feature has only category bins",
                        ));
                    }
                }
            }
        }
        if let Some(c) = &self.training.calibration {
            finite("training.calibration.intercept".into(), c.intercept)?;
            finite("training.calibration.in_the_large".into(), c.in_the_large)?;
            if !(c.slope.is_finite() && c.slope > 0.0) {
                return Err(invalid(
                    "training.calibration.slope".into(),
                    "must be a finite number above 0",
                ));
            }
        }
        // Finite points can still add up past the largest f64: every score must be finite.
        for (field, x) in [
            ("features", self.min_score()),
            ("features", self.max_score()),
        ] {
            if !x.is_finite() {
                return Err(invalid(
                    field.into(),
                    "the points add up to a score that is not a finite number",
                ));
            }
        }
        self.check_policy(&self.policy)
            .map_err(|e| invalid(format!("policy.{}", e.field), &e.reason))?;
        if self.grades.is_empty() {
            return Err(invalid("grades".into(), "at least one grade"));
        }
        for (i, g) in self.grades.iter().enumerate() {
            let last = i + 1 == self.grades.len();
            match (g.min_score, last) {
                (None, true) => {}
                (Some(m), false) => {
                    finite(format!("grades[{i}].min_score"), m)?;
                    if i > 0 && self.grades[i - 1].min_score.is_some_and(|prev| m >= prev) {
                        return Err(invalid(
                            format!("grades[{i}].min_score"),
                            "grades must go from the highest score down",
                        ));
                    }
                }
                (Some(_), true) => {
                    return Err(invalid(
                        format!("grades[{i}].min_score"),
                        "the last grade takes every lower score (null)",
                    ))
                }
                (None, false) => {
                    return Err(invalid(
                        format!("grades[{i}].min_score"),
                        "only the last grade has no minimum",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Name of the target column the model was trained on.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// How the target column's values read as outcomes (for evaluating on labelled data).
    pub fn target_rule(&self) -> TargetRule<'_> {
        TargetRule::new(&self.training.settings.bad_values)
    }

    /// Name of the id column, if one was given.
    pub fn id_column(&self) -> Option<&str> {
        self.id_column.as_deref()
    }

    /// Protected attributes recorded for fairness reporting (never features).
    pub fn protected(&self) -> &[String] {
        &self.protected
    }

    /// The scaling.
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// Whether bin points were rounded to integers.
    pub fn rounded_points(&self) -> bool {
        self.rounded_points
    }

    /// Intercept of the logistic fit.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The scorecard's features, in scoring order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Risk grades from best to worst.
    pub fn grades(&self) -> &[GradeBand] {
        &self.grades
    }

    /// The decision policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The same model with these reason statements (one map per feature, in feature order;
    /// checked by [`crate::scoring::reasons::with_statements`]); the checksum is recomputed.
    pub(crate) fn set_statements(&mut self, statements: Vec<BTreeMap<String, String>>) {
        for (f, s) in self.features.iter_mut().zip(statements) {
            f.statements = s;
        }
        // Hashing a validated model cannot fail; keep the old checksum if it somehow does,
        // and loading will then refuse the file.
        if let Ok(c) = self.content_hash() {
            self.checksum = c;
        }
    }

    /// The lowest and highest score the model gives.
    pub fn score_range(&self) -> (f64, f64) {
        (self.min_score(), self.max_score())
    }

    /// The same model with another decision policy (validated; the checksum is recomputed).
    pub fn with_policy(&self, policy: Policy) -> Result<Model, ModelError> {
        self.check_policy(&policy)
            .map_err(|e| ModelError::Invalid {
                field: format!("policy.{}", e.field),
                reason: e.reason,
            })?;
        let mut model = self.clone();
        model.policy = policy;
        model.checksum = model.content_hash()?;
        Ok(model)
    }

    /// The same model with the policy `spec` resolved against its scaling and grades (a policy
    /// file given to `score --policy`).
    pub fn with_policy_spec(&self, spec: &PolicySpec) -> Result<Model, ModelError> {
        let policy =
            spec.resolve(&self.scaling, &self.grades)
                .map_err(|e| ModelError::Invalid {
                    field: format!("policy.{}", e.field),
                    reason: e.reason,
                })?;
        self.with_policy(policy)
    }

    /// A policy fits this model when it is valid and every numeric column it reads (amounts,
    /// revenue, the thin-file indicator) is not one of the model's categorical features.
    fn check_policy(&self, policy: &Policy) -> Result<(), PolicyError> {
        policy.validate()?;
        for c in policy.columns().iter().filter(|c| c.numeric) {
            let categorical = self
                .features
                .iter()
                .any(|f| f.name == c.name && matches!(f.binning.rule, BinRule::Categorical { .. }));
            if categorical {
                return Err(PolicyError {
                    field: c.field.to_string(),
                    reason: format!(
                        "'{}' is a categorical feature of the model; the policy reads it as a number",
                        c.name
                    ),
                });
            }
        }
        Ok(())
    }

    /// The training summary.
    pub fn training(&self) -> &TrainingSummary {
        &self.training
    }

    /// What an analyst should look at before signing the scorecard off, read from the model
    /// file alone: kept features whose IV is suspiciously strong ([`STRONG_IV`]), then pairs
    /// of neighbouring bins whose order of default rates is unstable ([`UNSTABLE_FLIP`]), in
    /// feature and bin order. Notes, not refusals: the scorecard stands as trained.
    pub fn training_notes(&self) -> Vec<TrainingNote> {
        let strong = self
            .training
            .candidates
            .iter()
            .filter(|c| c.kept && c.iv > STRONG_IV)
            .map(|c| TrainingNote::StrongIv {
                feature: c.name.clone(),
                iv: c.iv,
            });
        let unstable = self.features.iter().flat_map(|f| {
            f.binning
                .unstable_neighbours(UNSTABLE_FLIP)
                .into_iter()
                .map(move |(k, flip)| TrainingNote::UnstableNeighbours {
                    feature: f.name.clone(),
                    lower: f.binning.bins[k].label.clone(),
                    upper: f.binning.bins[k + 1].label.clone(),
                    flip,
                })
        });
        let against = self
            .features
            .iter()
            .filter(|f| f.coefficient >= 0.0)
            .map(|f| TrainingNote::AgainstWoe {
                feature: f.name.clone(),
                coefficient: f.coefficient,
            });
        strong.chain(unstable).chain(against).collect()
    }

    /// The content checksum (`sha256:...`).
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Lowest score any input can get.
    pub fn min_score(&self) -> f64 {
        self.features.iter().map(Feature::min_points).sum()
    }

    /// Highest score any input can get.
    pub fn max_score(&self) -> f64 {
        self.features.iter().map(Feature::max_points).sum()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One line of the scorecard table a credit committee signs off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardRow {
    /// Feature name.
    pub feature: String,
    /// Bin label; a group scored in another bin says which.
    pub bin: String,
    /// Training rows (weight).
    pub count: f64,
    /// Share of the training rows.
    pub share: f64,
    /// Training bad rate (NaN for an empty bin).
    pub bad_rate: f64,
    /// WoE used for scoring.
    pub woe: f64,
    /// IV contributed (0 for a group scored in another bin).
    pub iv: f64,
    /// Points.
    pub points: f64,
}

impl Model {
    /// The scorecard table: every bin of every feature, plus missing and special groups that
    /// are scored in another bin (labelled with the bin they join).
    pub fn scorecard_rows(&self) -> Vec<ScorecardRow> {
        let total = self.training.goods + self.training.bads;
        let mut rows = Vec::new();
        for f in &self.features {
            let b = &f.binning;
            let row =
                |label: String, counts: crate::model::Counts, bin: usize, iv: f64| ScorecardRow {
                    feature: f.name.clone(),
                    bin: label,
                    count: counts.total(),
                    share: counts.total() / total,
                    bad_rate: counts.bad_rate(),
                    woe: b.bins[bin].woe,
                    iv,
                    points: f.points[bin],
                };
            for (i, bin) in b.bins.iter().enumerate() {
                rows.push(row(bin.label.clone(), bin.counts, i, bin.iv));
            }
            let joined =
                |what: &str, bin: usize| format!("{what} (scored as {})", b.bins[bin].label);
            if !b.missing.own_bin {
                rows.push(row(
                    joined("missing", b.missing.bin),
                    b.missing.counts,
                    b.missing.bin,
                    0.0,
                ));
            }
            if let BinRule::Numeric { specials, .. } = &b.rule {
                for s in specials.iter().filter(|s| !s.route.own_bin) {
                    let label = joined(&format!("special {}", s.value), s.route.bin);
                    rows.push(row(label, s.route.counts, s.route.bin, 0.0));
                }
            }
            if let BinRule::Categorical { unseen_bin, .. } = &b.rule {
                rows.push(row(
                    joined("unseen category", *unseen_bin),
                    crate::model::Counts::default(),
                    *unseen_bin,
                    0.0,
                ));
            }
        }
        rows
    }
}
