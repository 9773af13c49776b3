//! Applying a scorecard: bins, points, score, PD, grade, ranked reason codes, flags and the
//! policy decision.
//!
//! [`Scorer`] compiles a [`Model`] into lookup tables once; every scorer of the project (the
//! CLI, the batch file scorer, the C ABI, Python) calls these functions, so results agree bit
//! for bit:
//!
//! - the **score** is the sum of the features' points, added in the model's feature order
//!   starting from zero;
//! - the **PD** follows from the score through the model's scaling;
//! - **reason codes** rank features by points lost against the feature's maximum points (PMML
//!   `pointsBelow`), largest first, ties by model feature order; a feature at its maximum never
//!   appears;
//! - unusual inputs are scored by the model's recorded routes and **flagged**: missing values
//!   (missing route), special values (their route), unseen categories (the unseen route), values
//!   outside the training range (the end bins), infinities (scored as missing: an impossible value
//!   is never rewarded), and text in a numeric feature (scored as missing). Nothing panics.

pub mod reasons;

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::format::number_text;
use crate::input::table::{ColumnData, Table, MISSING_CODE};
use crate::model::policy::{CompiledPolicy, Outcome, PolicyInput};
use crate::model::BinRule;
use crate::model::Model;

/// Errors raised while scoring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// A feature's column is absent.
    #[error("column '{0}' required by the model is missing")]
    MissingColumn(String),
    /// A numeric feature's column holds text.
    #[error("column '{0}' must be numeric for this model, but it holds text")]
    NotNumeric(String),
    /// An output or input buffer has the wrong length.
    #[error("buffer '{name}' holds {len} values, {needed} needed")]
    BufferSize {
        /// Which buffer.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The length needed.
        needed: usize,
    },
    /// A column's length differs from the number of rows.
    #[error("column '{name}' has {len} values, but there are {needed} rows")]
    ColumnLength {
        /// Column.
        name: String,
        /// Its length.
        len: usize,
        /// The number of rows.
        needed: usize,
    },
    /// A category code points past the column's levels.
    #[error("column '{name}': category code {code} is out of range ({levels} levels)")]
    BadCode {
        /// Column.
        name: String,
        /// The code.
        code: u32,
        /// Number of levels.
        levels: usize,
    },
    /// More reason codes were asked for than supported.
    #[error("at most {MAX_REASONS} reason codes per application ({0} asked)")]
    TooManyReasons(usize),
    /// Columns the model (or, for decisions, its policy) reads are absent.
    #[error(transparent)]
    MissingColumns(#[from] crate::input::schema::MissingColumns),
    /// A requested amount or revenue that the policy cannot use, in an in-memory batch (the
    /// file scorers reject such rows instead; a policy with `invalid_amount: "refer"` refers
    /// them).
    #[error("row {row}, column '{column}': value {value}: {reason} (the decision policy rejects such applications; set its invalid_amount to \"refer\" to refer them instead)")]
    InvalidAmount {
        /// 1-based row of the batch.
        row: usize,
        /// The column.
        column: String,
        /// The value as text.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
}

/// What to do with columns the model reads that the data lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AbsentColumns {
    /// An error naming every absent column (the default).
    #[default]
    Error,
    /// Score them as missing, flagging every row `absent_column` (an explicit opt-in).
    AsMissing,
}

/// Largest number of reason codes per application.
pub const MAX_REASONS: usize = 32;

/// Flags raised by unusual inputs (bits of a `u32`).
pub mod flags {
    /// A feature value was missing.
    pub const MISSING: u32 = 1;
    /// A categorical value was not seen in training.
    pub const UNSEEN_CATEGORY: u32 = 1 << 1;
    /// A numeric value lay outside the training range.
    pub const OUT_OF_RANGE: u32 = 1 << 2;
    /// A numeric value was infinite (scored as missing).
    pub const NOT_FINITE: u32 = 1 << 3;
    /// A numeric feature got text that is not a number (scored as missing).
    pub const NOT_A_NUMBER: u32 = 1 << 4;
    /// A declared special value was used.
    pub const SPECIAL_VALUE: u32 = 1 << 5;
    /// The thin-file rule turned a decline into a referral.
    pub const THIN_FILE_REFERRAL: u32 = 1 << 6;
    /// A column the model reads was absent from the data and scored as missing (only with the
    /// explicit opt-in: `--allow-missing-columns`, `missing_columns="as_missing"`).
    pub const ABSENT_COLUMN: u32 = 1 << 7;
    /// The requested amount or revenue was invalid (negative, infinite or not a number): the
    /// application was referred without a limit (policy `invalid_amount: "refer"`).
    pub const INVALID_AMOUNT: u32 = 1 << 8;

    /// Names of the flags, in bit order.
    pub const NAMES: [&str; 9] = [
        "missing",
        "unseen_category",
        "out_of_range",
        "not_finite",
        "not_a_number",
        "special_value",
        "thin_file_referral",
        "absent_column",
        "invalid_amount",
    ];

    /// The names of the flags set in `bits`.
    pub fn names(bits: u32) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| *n)
    }

    /// The flags set in `bits` as the output files write them: their names joined by `;`, in
    /// bit order ("" when none), e.g. `missing;absent_column`.
    pub fn text(bits: u32) -> String {
        names(bits).collect::<Vec<_>>().join(";")
    }
}

/// One input value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Missing.
    Missing,
    /// A number (NaN is missing).
    Number(f64),
    /// Text: a category, or a number written as text.
    Text(&'a str),
}

#[derive(Debug, Clone)]
enum Rule {
    Numeric {
        edges: Vec<f64>,
        specials: Vec<(f64, u16)>,
        min: f64,
        max: f64,
    },
    Categorical {
        /// Bin of each category, in the model's (sorted) category order.
        by_index: Vec<u16>,
        /// Category text (as bytes) to its index in `by_index`.
        index: FxHashMap<Box<[u8]>, u32>,
        unseen: u16,
    },
}

#[derive(Debug, Clone)]
struct Compiled {
    rule: Rule,
    missing: u16,
    points: Vec<f64>,
    max_points: f64,
    /// Per bin: the reason rank of (this feature, bin) among all features' bins (0 = the
    /// most points lost); `u32::MAX` when the bin loses no points (never a reason).
    reason_rank: Vec<u32>,
    history: bool,
}

impl Compiled {
    /// Bin and flags of a numeric value (NaN = missing).
    #[inline]
    fn numeric(&self, x: f64) -> (u16, u32) {
        match &self.rule {
            Rule::Numeric {
                edges,
                specials,
                min,
                max,
            } => {
                if !x.is_finite() {
                    if x.is_nan() {
                        (self.missing, flags::MISSING)
                    } else {
                        (self.missing, flags::NOT_FINITE)
                    }
                } else if let Some(&(_, b)) = (!specials.is_empty())
                    .then(|| specials.iter().find(|(v, _)| *v == x))
                    .flatten()
                {
                    (b, flags::SPECIAL_VALUE)
                } else {
                    // Branch-free count of edges <= x: faster than a binary search for the
                    // handful of edges a scorecard feature has.
                    let bin = if edges.len() <= 32 {
                        edges.iter().map(|&e| u16::from(e <= x)).sum::<u16>()
                    } else {
                        edges.partition_point(|&e| e <= x) as u16
                    };
                    let f = if x < *min || x > *max {
                        flags::OUT_OF_RANGE
                    } else {
                        0
                    };
                    (bin, f)
                }
            }
            // A number given for a categorical feature: the model's category index.
            Rule::Categorical {
                by_index, unseen, ..
            } => {
                if x.is_nan() {
                    (self.missing, flags::MISSING)
                } else if x >= 0.0 && x.fract() == 0.0 && (x as usize) < by_index.len() {
                    (by_index[x as usize], 0)
                } else {
                    (*unseen, flags::UNSEEN_CATEGORY)
                }
            }
        }
    }

    /// Bin and flags of a value given as text.
    fn text(&self, s: &str) -> (u16, u32) {
        match &self.rule {
            Rule::Numeric { .. } => {
                if crate::input::is_missing_token(s) {
                    (self.missing, flags::MISSING)
                } else {
                    match crate::input::parse_number(s) {
                        Some(x) => self.numeric(x),
                        None => (self.missing, flags::NOT_A_NUMBER),
                    }
                }
            }
            Rule::Categorical {
                by_index,
                index,
                unseen,
            } => {
                let t = s.trim();
                if crate::input::is_missing_token(t) {
                    (self.missing, flags::MISSING)
                } else {
                    match index.get(t.as_bytes()) {
                        Some(&i) => (by_index[i as usize], 0),
                        None => (*unseen, flags::UNSEEN_CATEGORY),
                    }
                }
            }
        }
    }

    fn value(&self, v: Value<'_>) -> (u16, u32) {
        match (v, &self.rule) {
            (Value::Missing, _) => (self.missing, flags::MISSING),
            (Value::Number(x), Rule::Categorical { .. }) if !x.is_nan() => {
                // A category that looks like a number: match its text.
                self.text(&number_text(x))
            }
            (Value::Number(x), _) => self.numeric(x),
            (Value::Text(s), _) => self.text(s),
        }
    }
}

/// Where the policy's inputs come from.
#[derive(Debug, Clone)]
enum Source {
    /// Not available.
    None,
    /// Input column `i` (numeric).
    Column(usize),
}

/// One input column of the scorer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputColumn {
    /// Column name.
    pub name: String,
    /// Whether it holds categories (given as text, or as the model's category index).
    pub categorical: bool,
}

/// A borrowed column of input values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnRef<'a> {
    /// Numbers (NaN = missing).
    Numeric(&'a [f64]),
    /// Categories as codes into `levels` ([`MISSING_CODE`] = missing).
    Categorical {
        /// One code per row.
        codes: &'a [u32],
        /// Distinct values.
        levels: &'a [String],
    },
}

impl ColumnRef<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnRef::Numeric(v) => v.len(),
            ColumnRef::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A borrowed input column with its name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NamedColumn<'a> {
    /// Column name.
    pub name: &'a str,
    /// Values.
    pub data: ColumnRef<'a>,
}

impl NamedColumn<'_> {
    /// Check that the column has `n` rows and that every category code points at a level.
    pub fn check(&self, n: usize) -> Result<(), ScoreError> {
        let len = self.data.len();
        if len != n {
            return Err(ScoreError::ColumnLength {
                name: self.name.to_string(),
                len,
                needed: n,
            });
        }
        if let ColumnRef::Categorical { codes, levels } = self.data {
            if let Some(&bad) = codes
                .iter()
                .find(|&&code| code != MISSING_CODE && code as usize >= levels.len())
            {
                return Err(ScoreError::BadCode {
                    name: self.name.to_string(),
                    code: bad,
                    levels: levels.len(),
                });
            }
        }
        Ok(())
    }
}

/// The reason for points lost on one feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reason<'m> {
    /// Stable reason code.
    pub code: &'m str,
    /// Feature index in the model.
    pub feature: usize,
    /// Feature name.
    pub name: &'m str,
    /// Label of the bin the value fell in.
    pub bin_label: &'m str,
    /// Points lost against the feature's maximum.
    pub points_lost: f64,
}

/// How one feature scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureScore<'m> {
    /// Feature name.
    pub name: &'m str,
    /// Bin index.
    pub bin: usize,
    /// Bin label.
    pub bin_label: &'m str,
    /// Points given.
    pub points: f64,
    /// The feature's maximum points.
    pub max_points: f64,
    /// Flags raised by this feature's value.
    pub flags: u32,
}

/// The full result of scoring one application.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored<'m> {
    /// Total score (the sum of the feature points).
    pub score: f64,
    /// Probability of default.
    pub pd: f64,
    /// Risk grade.
    pub grade: &'m str,
    /// Index of the grade in [`Model::grades`] (0 = best).
    pub grade_index: usize,
    /// Policy outcome.
    pub outcome: Outcome,
    /// Per-feature breakdown, in model order.
    pub features: Vec<FeatureScore<'m>>,
    /// Reason codes, most points lost first.
    pub reasons: Vec<Reason<'m>>,
    /// All flags raised.
    pub flags: u32,
    /// Whether the policy's thin-file rule applies (no credit history).
    pub thin_file: bool,
}

/// Caller-provided output buffers for batch scoring; each has one entry per row (`reasons` has
/// `k` per row, feature indices, `-1` where there are fewer than `k` reasons). Optional buffers
/// are skipped.
#[derive(Debug, Default)]
pub struct BatchOutput<'a> {
    /// Scores.
    pub score: Option<&'a mut [f64]>,
    /// PDs.
    pub pd: Option<&'a mut [f64]>,
    /// Grade index into [`Model::grades`].
    pub grade: Option<&'a mut [u8]>,
    /// Decisions: 0 approve, 1 refer, 2 decline.
    pub decision: Option<&'a mut [u8]>,
    /// Recommended limits.
    pub limit: Option<&'a mut [f64]>,
    /// Expected losses.
    pub expected_loss: Option<&'a mut [f64]>,
    /// Annual rates (the grade's price; NaN when the policy has none).
    pub annual_rate: Option<&'a mut [f64]>,
    /// Points of every feature, row-major (`n` x number of features).
    pub points: Option<&'a mut [f64]>,
    /// Bin of every feature, row-major (`n` x number of features).
    pub bins: Option<&'a mut [u16]>,
    /// Flags.
    pub flags: Option<&'a mut [u32]>,
    /// Reason codes, `k` per row, as feature indices (`-1` = none).
    pub reasons: Option<&'a mut [i32]>,
}

/// Rows per parallel work unit.
const CHUNK: usize = 16_384;

/// A compiled scorecard, ready to score. Immutable, `Send + Sync`: share it between threads.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: Model,
    features: Vec<Compiled>,
    inputs: Vec<InputColumn>,
    requested: Source,
    revenue: Source,
    thin: Source,
    thin_equals: Option<f64>,
    policy: CompiledPolicy,
    /// Lowest score of each grade (best first; the last is -inf).
    grade_min: Vec<f64>,
    /// Input column index by name.
    input_index: HashMap<String, usize>,
    pd_map: crate::model::scaling::PdMap,
    /// The feature of each reason rank (see `Compiled::reason_rank`).
    rank_feature: Vec<u32>,
}

/// Everything computed for one row, without allocation.
#[derive(Debug, Clone, Copy)]
struct RowResult {
    score: f64,
    pd: f64,
    grade: u8,
    outcome: Outcome,
    flags: u32,
    thin_file: bool,
}

/// Rank every (feature, bin) that loses points by points lost, descending, ties in feature
/// order: comparing two features' ranks is comparing them as reasons. Sets each feature's
/// `reason_rank` and returns the feature of each rank.
fn rank_reasons(features: &mut [Compiled]) -> Vec<u32> {
    let mut lost: Vec<(f64, usize, usize)> = Vec::new();
    for (i, f) in features.iter_mut().enumerate() {
        f.reason_rank = vec![u32::MAX; f.points.len()];
        for (b, &p) in f.points.iter().enumerate() {
            let l = f.max_points - p;
            if l > 0.0 {
                lost.push((l, i, b));
            }
        }
    }
    lost.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    lost.iter()
        .enumerate()
        .map(|(rank, &(_, i, b))| {
            features[i].reason_rank[b] = rank as u32;
            i as u32
        })
        .collect()
}

impl Scorer {
    /// Compile a model.
    pub fn new(model: Model) -> Scorer {
        let history: Vec<&str> = model
            .policy()
            .thin_file
            .as_ref()
            .map(|t| t.history_features.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut features: Vec<Compiled> = model
            .features()
            .iter()
            .map(|f| {
                let b = &f.binning;
                let rule = match &b.rule {
                    BinRule::Numeric {
                        edges,
                        specials,
                        min,
                        max,
                    } => Rule::Numeric {
                        edges: edges.clone(),
                        specials: specials
                            .iter()
                            .map(|s| (s.value, s.route.bin as u16))
                            .collect(),
                        min: min.unwrap_or(f64::NEG_INFINITY),
                        max: max.unwrap_or(f64::INFINITY),
                    },
                    BinRule::Categorical {
                        categories,
                        unseen_bin,
                    } => Rule::Categorical {
                        by_index: categories.iter().map(|c| c.bin as u16).collect(),
                        index: categories
                            .iter()
                            .enumerate()
                            .map(|(i, c)| (c.category.as_bytes().into(), i as u32))
                            .collect(),
                        unseen: *unseen_bin as u16,
                    },
                };
                Compiled {
                    rule,
                    missing: b.missing.bin as u16,
                    points: f.points.clone(),
                    max_points: f.max_points(),
                    reason_rank: Vec::new(),
                    history: history.contains(&f.name.as_str()),
                }
            })
            .collect();
        let mut inputs: Vec<InputColumn> = model
            .features()
            .iter()
            .map(|f| InputColumn {
                name: f.name.clone(),
                categorical: matches!(f.binning.rule, BinRule::Categorical { .. }),
            })
            .collect();
        let mut source = |name: Option<&str>| match name {
            None => Source::None,
            Some(name) => match inputs.iter().position(|c| c.name == name) {
                Some(i) if !inputs[i].categorical => Source::Column(i),
                Some(_) => Source::None,
                None => {
                    inputs.push(InputColumn {
                        name: name.to_string(),
                        categorical: false,
                    });
                    Source::Column(inputs.len() - 1)
                }
            },
        };
        let policy = model.policy().clone();
        let limit = policy.limit.as_ref();
        let requested = source(limit.and_then(|l| l.requested_column.as_deref()));
        let revenue = source(limit.and_then(|l| l.revenue_column.as_deref()));
        let thin = source(policy.thin_file.as_ref().map(|t| t.column.as_str()));
        let thin_equals = policy.thin_file.as_ref().and_then(|t| t.equals);
        let policy = CompiledPolicy::new(model.policy(), model.grades());
        let grade_min = model
            .grades()
            .iter()
            .map(|g| g.min_score.unwrap_or(f64::NEG_INFINITY))
            .collect();
        let input_index = inputs
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let rank_feature = rank_reasons(&mut features);
        Scorer {
            rank_feature,
            input_index,
            pd_map: model.scaling().pd_map(),
            policy,
            grade_min,
            model,
            features,
            inputs,
            requested,
            revenue,
            thin,
            thin_equals,
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The reason rank of bin `bin` of feature `feature`: 0 for the (feature, bin) that loses
    /// the most points of all, then by points lost, ties in feature order; `None` for a bin that
    /// loses no points (never a reason). A row's top-k reasons are the features of its k
    /// smallest ranks: this is what the exports reproduce.
    pub fn reason_rank(&self, feature: usize, bin: usize) -> Option<u32> {
        let rank = *self.features.get(feature)?.reason_rank.get(bin)?;
        (rank != u32::MAX).then_some(rank)
    }

    /// The columns an application provides, in the order of a row-major batch: the model's
    /// features, then the policy's extra numeric columns (requested amount, revenue, thin-file
    /// indicator) when they are not features. A column absent from the data is missing.
    pub fn input_columns(&self) -> &[InputColumn] {
        &self.inputs
    }

    /// The training categories of feature `feature` in the model's category order (the order
    /// of [`Scorer::category_index`]); empty for a numeric feature or out of range.
    pub fn category_names(&self, feature: usize) -> impl Iterator<Item = &str> + '_ {
        let routes = match self.model.features().get(feature).map(|f| &f.binning.rule) {
            Some(BinRule::Categorical { categories, .. }) => categories.as_slice(),
            _ => &[],
        };
        routes.iter().map(|r| r.category.as_str())
    }

    /// Index of a feature's category in the model's category order (for row-major batches).
    pub fn category_index(&self, feature: usize, category: &str) -> Option<u32> {
        self.category_index_bytes(feature, category.as_bytes())
    }

    /// The scorer's input for a category given as text, as the row-major and column batches
    /// take it: NaN when it is missing (a missing token, spaces around it ignored), else its
    /// index in the model's category order ([`Scorer::category_index`] of the trimmed text), or
    /// -1 for a category the model never saw. The rule by which a [`Value::Text`] is scored.
    pub fn category_code(&self, feature: usize, text: &str) -> f64 {
        let t = text.trim();
        if crate::input::is_missing_token(t) {
            f64::NAN
        } else {
            self.category_index(feature, t).map_or(-1.0, f64::from)
        }
    }

    /// [`Scorer::category_index`] for a category given as bytes, matched exactly (no trimming).
    #[inline]
    pub fn category_index_bytes(&self, feature: usize, category: &[u8]) -> Option<u32> {
        match &self.features.get(feature)?.rule {
            Rule::Categorical { index, .. } => index.get(category).copied(),
            Rule::Numeric { .. } => None,
        }
    }

    /// Score, PD, grade, policy and flags of a row from its feature bins and policy inputs.
    #[inline]
    fn finish(
        &self,
        bins: &[u16],
        mut row_flags: u32,
        policy_value: impl Fn(&Source) -> f64,
    ) -> RowResult {
        let mut score = 0.0;
        for (f, &b) in self.features.iter().zip(bins) {
            score += f.points[b as usize];
        }
        let pd = self.pd_map.pd(score);
        let grade = self
            .grade_min
            .iter()
            .position(|&m| score >= m)
            .unwrap_or(self.grade_min.len() - 1);
        let thin_value = policy_value(&self.thin);
        let thin_file = !matches!(self.thin, Source::None)
            && match self.thin_equals {
                None => thin_value.is_nan(),
                Some(v) => thin_value == v,
            };
        let outcome = self.policy.decide(&PolicyInput {
            score,
            pd,
            grade,
            history_points_lost: if thin_file {
                self.features
                    .iter()
                    .zip(bins)
                    .filter(|(f, _)| f.history)
                    .map(|(f, &b)| f.max_points - f.points[b as usize])
                    .sum()
            } else {
                0.0
            },
            thin_file,
            requested: policy_value(&self.requested),
            revenue: policy_value(&self.revenue),
        });
        if outcome.thin_file_referral {
            row_flags |= flags::THIN_FILE_REFERRAL;
        }
        if outcome.invalid_amount {
            row_flags |= flags::INVALID_AMOUNT;
        }
        RowResult {
            score,
            pd,
            grade: grade as u8,
            outcome,
            flags: row_flags,
            thin_file,
        }
    }

    /// Whether the policy rejects applications with an invalid amount (rather than refer them).
    fn rejects_invalid_amounts(&self) -> bool {
        self.model.policy().invalid_amount == crate::model::policy::InvalidAmount::Reject
    }

    /// The error for row `row` (0-based) whose policy amounts, read by `value`, are invalid.
    fn invalid_amount_error(&self, row: usize, value: &dyn Fn(&Source) -> f64) -> ScoreError {
        let (requested, revenue) = (value(&self.requested), value(&self.revenue));
        let issue = self.policy.amount_issue(requested, revenue);
        let (source, x) = match issue {
            Some(i) if i.revenue => (&self.revenue, revenue),
            _ => (&self.requested, requested),
        };
        let column = match source {
            Source::Column(c) => self.inputs[*c].name.clone(),
            Source::None => String::new(),
        };
        ScoreError::InvalidAmount {
            row: row + 1,
            column,
            value: number_text(x),
            reason: issue.map_or("invalid", |i| i.reason).to_string(),
        }
    }

    /// The first invalid amount of an application, if any, as (column, reason): what the file
    /// scorers reject. `requested` and `revenue` are the values of the policy's columns (NaN =
    /// missing or absent).
    pub fn amount_issue(&self, inputs: &[f64]) -> Option<(&str, &'static str)> {
        let value = |s: &Source| match s {
            Source::None => f64::NAN,
            Source::Column(c) => inputs.get(*c).copied().unwrap_or(f64::NAN),
        };
        let issue = self
            .policy
            .amount_issue(value(&self.requested), value(&self.revenue))?;
        let source = if issue.revenue {
            &self.revenue
        } else {
            &self.requested
        };
        match source {
            Source::Column(c) => Some((self.inputs[*c].name.as_str(), issue.reason)),
            Source::None => None,
        }
    }

    /// Whether the file scorers reject a row with an invalid amount (the policy's
    /// `invalid_amount` is `reject`, the default) rather than score it as a flagged referral.
    pub fn rejects_amount_issues(&self) -> bool {
        self.rejects_invalid_amounts()
    }

    /// The columns scoring reads, each with what reads it: every feature (`feature`), and with
    /// `decisions`, every column of the decision policy (`policy.amount_column`, ...) but the
    /// history features, which matter only as features.
    pub fn needed_columns(&self, decisions: bool) -> Vec<(&str, String)> {
        let mut out: Vec<(&str, String)> = self
            .model
            .features()
            .iter()
            .map(|f| (f.name.as_str(), "feature".to_string()))
            .collect();
        if decisions {
            for c in self.model.policy().columns() {
                if c.field != "history_features" {
                    out.push((c.name, format!("policy.{}", c.field)));
                }
            }
        }
        out
    }

    /// Check that the data's columns (`available`) hold every column scoring reads
    /// ([`Scorer::needed_columns`]); the error names each absent one, with a "did you mean".
    pub fn check_columns(
        &self,
        available: &[&str],
        decisions: bool,
    ) -> Result<(), crate::input::schema::MissingColumns> {
        let needed = self.needed_columns(decisions);
        crate::input::schema::check_columns(needed.iter().map(|(n, b)| (*n, b.as_str())), available)
    }

    /// With decision outputs asked for and a policy that rejects invalid amounts: the error for
    /// the first of `n` rows (read by `value(row, source)`) whose amount is invalid. Checked
    /// before anything is written.
    fn check_amounts(
        &self,
        n: usize,
        out: &BatchOutput<'_>,
        value: impl Fn(usize, &Source) -> f64,
    ) -> Result<(), ScoreError> {
        let decisions =
            out.decision.is_some() || out.limit.is_some() || out.expected_loss.is_some();
        if !decisions || !self.rejects_invalid_amounts() || self.model.policy().limit.is_none() {
            return Ok(());
        }
        let bad = (0..n).find(|&i| {
            self.policy
                .amount_issue(value(i, &self.requested), value(i, &self.revenue))
                .is_some()
        });
        match bad {
            Some(i) => Err(self.invalid_amount_error(i, &|s| value(i, s))),
            None => Ok(()),
        }
    }

    /// Fill `out` (length k) with the top-k reasons as feature indices, `-1` padded: the
    /// features that lost points, most points lost first, ties in feature order.
    #[inline]
    fn reasons_into(&self, bins: &[u16], out: &mut [i32]) {
        let k = out.len();
        // The k best (lowest) reason ranks of the row's bins, ascending: each rank is carried
        // down the slots with integer min/max, a branch-free insertion (which features lose
        // points depends on the data, so branches would mispredict).
        let mut top = [u32::MAX; MAX_REASONS];
        for (f, &b) in self.features.iter().zip(bins) {
            let mut carry = f.reason_rank[b as usize];
            for slot in &mut top[..k] {
                let low = carry.min(*slot);
                carry = carry.max(*slot);
                *slot = low;
            }
        }
        for (o, &rank) in out.iter_mut().zip(&top) {
            *o = match self.rank_feature.get(rank as usize) {
                Some(&f) => f as i32,
                None => -1,
            };
        }
    }

    /// Score one application given as values in [`Scorer::input_columns`] order, with the top
    /// `k` reasons.
    pub fn score_values(&self, values: &[Value<'_>], k: usize) -> Result<Scored<'_>, ScoreError> {
        if values.len() != self.inputs.len() {
            return Err(ScoreError::BufferSize {
                name: "values",
                len: values.len(),
                needed: self.inputs.len(),
            });
        }
        if k > MAX_REASONS {
            return Err(ScoreError::TooManyReasons(k));
        }
        let (bins, all_flags, features) = self.feature_scores(|i, c| c.value(values[i]));
        // Policy amounts given as text: a number, a missing token, or not a number (invalid:
        // never read as missing).
        let mut text_amount: Option<(usize, &str)> = None;
        let policy_value = |s: &Source| match s {
            Source::None => f64::NAN,
            Source::Column(i) => match values[*i] {
                Value::Missing => f64::NAN,
                Value::Number(x) => x,
                Value::Text(t) if crate::input::is_missing_token(t) => f64::NAN,
                Value::Text(t) => crate::input::parse_number(t).unwrap_or(f64::NEG_INFINITY),
            },
        };
        for source in [&self.requested, &self.revenue] {
            if let Source::Column(i) = source {
                if let Value::Text(t) = values[*i] {
                    if !crate::input::is_missing_token(t)
                        && crate::input::parse_number(t).is_none()
                        && text_amount.is_none()
                    {
                        text_amount = Some((*i, t));
                    }
                }
            }
        }
        let r = self.finish(&bins, all_flags, policy_value);
        if r.outcome.invalid_amount && self.rejects_invalid_amounts() {
            return Err(match text_amount {
                Some((i, t)) => ScoreError::InvalidAmount {
                    row: 1,
                    column: self.inputs[i].name.clone(),
                    value: format!("{t:?}"),
                    reason: "an amount must be a number".into(),
                },
                None => self.invalid_amount_error(0, &policy_value),
            });
        }
        Ok(self.scored(&bins, features, &r, k))
    }

    /// Every feature's bin (by `bin_of(feature, compiled)`), the union of their flags, and
    /// their scores.
    fn feature_scores(
        &self,
        bin_of: impl Fn(usize, &Compiled) -> (u16, u32),
    ) -> (Vec<u16>, u32, Vec<FeatureScore<'_>>) {
        let mut bins = Vec::with_capacity(self.features.len());
        let mut all_flags = 0;
        let mut features = Vec::with_capacity(self.features.len());
        for (i, (c, f)) in self.features.iter().zip(self.model.features()).enumerate() {
            let (b, fl) = bin_of(i, c);
            bins.push(b);
            all_flags |= fl;
            features.push(FeatureScore {
                name: &f.name,
                bin: b as usize,
                bin_label: &f.binning.bins[b as usize].label,
                points: c.points[b as usize],
                max_points: c.max_points,
                flags: fl,
            });
        }
        (bins, all_flags, features)
    }

    /// The full result of a row from its bins, feature scores and policy result, with the
    /// top `k` reasons.
    fn scored<'s>(
        &'s self,
        bins: &[u16],
        features: Vec<FeatureScore<'s>>,
        r: &RowResult,
        k: usize,
    ) -> Scored<'s> {
        let mut idx = [-1i32; MAX_REASONS];
        self.reasons_into(bins, &mut idx[..k.min(self.features.len())]);
        let reasons = idx
            .iter()
            .take_while(|&&i| i >= 0)
            .map(|&i| {
                let f = &features[i as usize];
                let mf = &self.model.features()[i as usize];
                Reason {
                    code: &mf.reason_code,
                    feature: i as usize,
                    name: f.name,
                    bin_label: f.bin_label,
                    points_lost: f.max_points - f.points,
                }
            })
            .collect();
        Scored {
            score: r.score,
            pd: r.pd,
            grade: &self.model.grades()[r.grade as usize].grade,
            grade_index: usize::from(r.grade),
            outcome: r.outcome,
            features,
            reasons,
            flags: r.flags,
            thin_file: r.thin_file,
        }
    }

    /// Score one application given in [`Scorer::score_matrix`] form (inputs in
    /// [`Scorer::input_columns`] order, NaN = missing, categories as the model's index), with
    /// the top `k` reasons: the same numbers as a row of [`Scorer::score_matrix`], with every
    /// feature's bin and points.
    pub fn score_inputs(&self, inputs: &[f64], k: usize) -> Result<Scored<'_>, ScoreError> {
        if inputs.len() != self.inputs.len() {
            return Err(ScoreError::BufferSize {
                name: "inputs",
                len: inputs.len(),
                needed: self.inputs.len(),
            });
        }
        if k > MAX_REASONS {
            return Err(ScoreError::TooManyReasons(k));
        }
        let (bins, all_flags, features) = self.feature_scores(|i, c| c.numeric(inputs[i]));
        let r = self.finish(&bins, all_flags, |s| match s {
            Source::None => f64::NAN,
            Source::Column(c) => inputs[*c],
        });
        Ok(self.scored(&bins, features, &r, k))
    }

    /// Score one application given as named fields (numbers or text). Fields the model does not
    /// use are ignored; an input it reads that is not among the fields is scored as missing
    /// and flags the result [`flags::ABSENT_COLUMN`].
    pub fn score_fields<'v>(
        &self,
        fields: &[(&str, Value<'v>)],
        k: usize,
    ) -> Result<Scored<'_>, ScoreError> {
        let mut values = vec![Value::Missing; self.inputs.len()];
        let mut given = vec![false; self.inputs.len()];
        for (name, v) in fields {
            if let Some(&i) = self.input_index.get(*name) {
                values[i] = *v;
                given[i] = true;
            }
        }
        let mut scored = self.score_values(&values, k)?;
        if given.contains(&false) {
            scored.flags |= flags::ABSENT_COLUMN;
        }
        Ok(scored)
    }

    fn check_outputs(&self, n: usize, k: usize, out: &BatchOutput<'_>) -> Result<(), ScoreError> {
        if k > MAX_REASONS {
            return Err(ScoreError::TooManyReasons(k));
        }
        let check = |name: &'static str, len: Option<usize>, needed: usize| match len {
            Some(len) if len != needed => Err(ScoreError::BufferSize { name, len, needed }),
            _ => Ok(()),
        };
        check("score", out.score.as_ref().map(|b| b.len()), n)?;
        check("pd", out.pd.as_ref().map(|b| b.len()), n)?;
        check("grade", out.grade.as_ref().map(|b| b.len()), n)?;
        check("decision", out.decision.as_ref().map(|b| b.len()), n)?;
        check("limit", out.limit.as_ref().map(|b| b.len()), n)?;
        check(
            "expected_loss",
            out.expected_loss.as_ref().map(|b| b.len()),
            n,
        )?;
        check("annual_rate", out.annual_rate.as_ref().map(|b| b.len()), n)?;
        let nf = self.features.len();
        check("points", out.points.as_ref().map(|b| b.len()), n * nf)?;
        check("bins", out.bins.as_ref().map(|b| b.len()), n * nf)?;
        check("flags", out.flags.as_ref().map(|b| b.len()), n)?;
        check("reasons", out.reasons.as_ref().map(|b| b.len()), n * k)?;
        Ok(())
    }

    /// Score a row-major matrix of `n` rows and [`Scorer::input_columns`] columns (NaN =
    /// missing; categorical columns hold the model's category index, anything else is unseen)
    /// into caller buffers, with `k` reason codes per row. Parallel over rows for large batches;
    /// results do not depend on the number of threads. No allocation per row.
    pub fn score_matrix(
        &self,
        x: &[f64],
        k: usize,
        mut out: BatchOutput<'_>,
    ) -> Result<(), ScoreError> {
        let m = self.inputs.len();
        if m == 0 || x.len() % m != 0 {
            return Err(ScoreError::BufferSize {
                name: "matrix",
                len: x.len(),
                needed: m * (x.len() / m.max(1)).max(1),
            });
        }
        let n = x.len() / m;
        self.check_outputs(n, k, &out)?;
        self.check_amounts(n, &out, |i, s| match s {
            Source::None => f64::NAN,
            Source::Column(c) => x[i * m + c],
        })?;
        let row = |i: usize, bins: &mut [u16], reasons: Option<&mut [i32]>| -> RowResult {
            let xs = &x[i * m..(i + 1) * m];
            let mut fl = 0;
            for (j, (f, b)) in self.features.iter().zip(bins.iter_mut()).enumerate() {
                let (bin, f2) = f.numeric(xs[j]);
                *b = bin;
                fl |= f2;
            }
            let r = self.finish(bins, fl, |s| match s {
                Source::None => f64::NAN,
                Source::Column(c) => xs[*c],
            });
            if let Some(out) = reasons {
                self.reasons_into(bins, out);
            }
            r
        };
        self.run_batch(n, k, &mut out, row);
        Ok(())
    }

    /// Score `n` rows given column by column: `columns[j]` holds input `j` of every row (in
    /// [`Scorer::input_columns`] order, NaN = missing, categories as the model's index), or is
    /// `None` when the column is absent (missing). Same results as [`Scorer::score_matrix`].
    pub fn score_columns(
        &self,
        columns: &[Option<&[f64]>],
        n: usize,
        k: usize,
        mut out: BatchOutput<'_>,
    ) -> Result<(), ScoreError> {
        if columns.len() != self.inputs.len() {
            return Err(ScoreError::BufferSize {
                name: "columns",
                len: columns.len(),
                needed: self.inputs.len(),
            });
        }
        if let Some(short) = columns.iter().flatten().find(|c| c.len() < n) {
            return Err(ScoreError::BufferSize {
                name: "column",
                len: short.len(),
                needed: n,
            });
        }
        self.check_outputs(n, k, &out)?;
        let value = |c: &Option<&[f64]>, i: usize| c.map_or(f64::NAN, |v| v[i]);
        self.check_amounts(n, &out, |i, s| match s {
            Source::None => f64::NAN,
            Source::Column(c) => value(&columns[*c], i),
        })?;
        let row = |i: usize, bins: &mut [u16], reasons: Option<&mut [i32]>| -> RowResult {
            let mut fl = 0;
            for ((f, b), c) in self.features.iter().zip(bins.iter_mut()).zip(columns) {
                let (bin, f2) = f.numeric(value(c, i));
                *b = bin;
                fl |= f2;
            }
            let r = self.finish(bins, fl, |s| match s {
                Source::None => f64::NAN,
                Source::Column(c) => value(&columns[*c], i),
            });
            if let Some(out) = reasons {
                self.reasons_into(bins, out);
            }
            r
        };
        self.run_batch(n, k, &mut out, row);
        Ok(())
    }

    /// Score every row of a table (columns matched by name; absent columns are missing) into
    /// caller buffers, with `k` reason codes per row.
    pub fn score_table_into(
        &self,
        table: &Table,
        k: usize,
        out: BatchOutput<'_>,
    ) -> Result<(), ScoreError> {
        let columns: Vec<NamedColumn<'_>> = table
            .columns()
            .iter()
            .map(|c| NamedColumn {
                name: &c.name,
                data: match &c.data {
                    ColumnData::Numeric(v) => ColumnRef::Numeric(v),
                    ColumnData::Categorical { codes, levels } => {
                        ColumnRef::Categorical { codes, levels }
                    }
                },
            })
            .collect();
        self.score_named_columns(&columns, table.n_rows(), k, out)
    }

    /// [`Scorer::score_named_columns_with`], absent columns an error.
    pub fn score_named_columns(
        &self,
        columns: &[NamedColumn<'_>],
        n: usize,
        k: usize,
        out: BatchOutput<'_>,
    ) -> Result<(), ScoreError> {
        self.score_named_columns_with(columns, n, k, out, AbsentColumns::Error)
    }

    /// Score `n` rows given as borrowed, named columns (numbers, or category codes with their
    /// levels), as a data frame holds them: columns are matched by exact name and unused
    /// columns are ignored. Every feature must be present, and, when decisions (decision, limit
    /// or expected loss) are asked for, every column of the policy: an absent one is an error
    /// naming it ([`ScoreError::MissingColumns`]), unless `absent` is
    /// [`AbsentColumns::AsMissing`], which scores it as missing and flags every row
    /// `absent_column`. A numeric column given for a categorical feature is matched by its
    /// number's text; a categorical column given for a numeric feature is an error. Nothing is
    /// copied per column; results equal [`Scorer::score_table_into`].
    pub fn score_named_columns_with(
        &self,
        columns: &[NamedColumn<'_>],
        n: usize,
        k: usize,
        mut out: BatchOutput<'_>,
        absent: AbsentColumns,
    ) -> Result<(), ScoreError> {
        self.check_outputs(n, k, &out)?;
        for c in columns {
            c.check(n)?;
        }
        let decisions =
            out.decision.is_some() || out.limit.is_some() || out.expected_loss.is_some();
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let absent_flag = match (self.check_columns(&names, decisions), absent) {
            (Ok(()), _) => 0,
            (Err(e), AbsentColumns::Error) => return Err(e.into()),
            (Err(_), AbsentColumns::AsMissing) => flags::ABSENT_COLUMN,
        };
        let find = |name: &str| columns.iter().find(|c| c.name == name);
        // Per feature: bin and flags of every row, column by column.
        let binned: Vec<(Vec<u16>, Vec<u32>)> = self
            .features
            .par_iter()
            .zip(self.model.features())
            .map(|(c, f)| match find(&f.name).map(|col| col.data) {
                None => Ok((vec![c.missing; n], vec![flags::MISSING; n])),
                Some(ColumnRef::Numeric(v)) => {
                    Ok(v.iter().map(|&x| c.value(Value::Number(x))).unzip())
                }
                Some(ColumnRef::Categorical { codes, levels }) => {
                    if matches!(c.rule, Rule::Numeric { .. }) {
                        return Err(ScoreError::NotNumeric(f.name.clone()));
                    }
                    let per_level: Vec<(u16, u32)> = levels.iter().map(|l| c.text(l)).collect();
                    Ok(codes
                        .iter()
                        .map(|&code| {
                            if code == MISSING_CODE {
                                (c.missing, flags::MISSING)
                            } else {
                                per_level[code as usize]
                            }
                        })
                        .unzip())
                }
            })
            .collect::<Result<_, _>>()?;
        let policy_columns: Vec<Option<&[f64]>> = self
            .inputs
            .iter()
            .map(|c| match find(&c.name).map(|col| col.data) {
                Some(ColumnRef::Numeric(v)) => Some(v),
                _ => None,
            })
            .collect();
        self.check_amounts(n, &out, |i, s| match s {
            Source::None => f64::NAN,
            Source::Column(c) => policy_columns[*c].map_or(f64::NAN, |v| v[i]),
        })?;
        let row = |i: usize, bins: &mut [u16], reasons: Option<&mut [i32]>| -> RowResult {
            let mut fl = absent_flag;
            for (b, (cb, cf)) in bins.iter_mut().zip(&binned) {
                *b = cb[i];
                fl |= cf[i];
            }
            let r = self.finish(bins, fl, |s| match s {
                Source::None => f64::NAN,
                Source::Column(c) => policy_columns[*c].map_or(f64::NAN, |v| v[i]),
            });
            if let Some(out) = reasons {
                self.reasons_into(bins, out);
            }
            r
        };
        self.run_batch(n, k, &mut out, row);
        Ok(())
    }

    /// Run `row` over `n` rows in fixed chunks (in parallel) and write the outputs.
    fn run_batch<F>(&self, n: usize, k: usize, out: &mut BatchOutput<'_>, row: F)
    where
        F: Fn(usize, &mut [u16], Option<&mut [i32]>) -> RowResult + Sync,
    {
        let nf = self.features.len();
        let chunks = n.div_ceil(CHUNK);
        // Split every output buffer into per-chunk slices: one BatchOutput per chunk.
        fn split<'b, T>(
            buf: &'b mut Option<&mut [T]>,
            size: usize,
            chunks: usize,
        ) -> impl Iterator<Item = Option<&'b mut [T]>> {
            buf.as_deref_mut()
                .map(|b| b.chunks_mut(size.max(1)))
                .into_iter()
                .flatten()
                .map(Some)
                .chain(std::iter::repeat_with(|| None))
                .take(chunks)
        }
        let mut score = split(&mut out.score, CHUNK, chunks);
        let mut pd = split(&mut out.pd, CHUNK, chunks);
        let mut grade = split(&mut out.grade, CHUNK, chunks);
        let mut decision = split(&mut out.decision, CHUNK, chunks);
        let mut limit = split(&mut out.limit, CHUNK, chunks);
        let mut expected_loss = split(&mut out.expected_loss, CHUNK, chunks);
        let mut annual_rate = split(&mut out.annual_rate, CHUNK, chunks);
        let mut points = split(&mut out.points, CHUNK * nf, chunks);
        let mut bins = split(&mut out.bins, CHUNK * nf, chunks);
        let mut flags = split(&mut out.flags, CHUNK, chunks);
        let mut reasons = split(&mut out.reasons, CHUNK * k, chunks);
        let parts: Vec<(usize, BatchOutput<'_>)> = (0..chunks)
            .map(|c| {
                (
                    c,
                    BatchOutput {
                        score: score.next().flatten(),
                        pd: pd.next().flatten(),
                        grade: grade.next().flatten(),
                        decision: decision.next().flatten(),
                        limit: limit.next().flatten(),
                        expected_loss: expected_loss.next().flatten(),
                        annual_rate: annual_rate.next().flatten(),
                        points: points.next().flatten(),
                        bins: bins.next().flatten(),
                        flags: flags.next().flatten(),
                        reasons: reasons.next().flatten().filter(|_| k > 0),
                    },
                )
            })
            .collect();
        let work = |(c, mut part): (usize, BatchOutput<'_>)| {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(n);
            let mut row_bins = vec![0u16; nf];
            for i in start..end {
                let j = i - start;
                let rs = part
                    .reasons
                    .as_deref_mut()
                    .map(|r| &mut r[j * k..(j + 1) * k]);
                let r = row(i, &mut row_bins, rs);
                let set = |b: &mut Option<&mut [f64]>, x: f64| {
                    if let Some(b) = b.as_deref_mut() {
                        b[j] = x;
                    }
                };
                set(&mut part.score, r.score);
                set(&mut part.pd, r.pd);
                set(&mut part.limit, r.outcome.limit);
                set(&mut part.expected_loss, r.outcome.expected_loss);
                set(&mut part.annual_rate, r.outcome.annual_rate);
                if let Some(b) = part.grade.as_deref_mut() {
                    b[j] = r.grade;
                }
                if let Some(b) = part.decision.as_deref_mut() {
                    b[j] = r.outcome.decision.code();
                }
                if let Some(b) = part.flags.as_deref_mut() {
                    b[j] = r.flags;
                }
                if let Some(b) = part.points.as_deref_mut() {
                    let row = &mut b[j * nf..(j + 1) * nf];
                    for ((p, f), &bin) in row.iter_mut().zip(&self.features).zip(&row_bins) {
                        *p = f.points[bin as usize];
                    }
                }
                if let Some(b) = part.bins.as_deref_mut() {
                    b[j * nf..(j + 1) * nf].copy_from_slice(&row_bins);
                }
            }
        };
        // One unit runs on the calling thread: no hand-over to the pool for a small batch.
        if parts.len() == 1 {
            parts.into_iter().for_each(work);
        } else {
            parts.into_par_iter().for_each(work);
        }
    }
}

/// Scores of every row of a table (a convenience over [`Scorer::score_table_into`]).
pub fn score_table(model: &Model, table: &Table) -> Result<Vec<f64>, ScoreError> {
    let scorer = Scorer::new(model.clone());
    let mut scores = vec![0.0; table.n_rows()];
    scorer.score_table_into(
        table,
        0,
        BatchOutput {
            score: Some(&mut scores),
            ..BatchOutput::default()
        },
    )?;
    Ok(scores)
}
