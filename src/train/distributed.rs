//! Training on data split into partitions that never meet (a Spark cluster's executors), by
//! mergeable statistics.
//!
//! The driver runs the same training as one machine ([`crate::train`]): only its passes over the
//! rows change. Each pass is a [`Request`] sent to every partition; a partition folds its
//! Arrow record batches into a [`Partial`] ([`PartialStats`]); the driver adds the partials up
//! in partition order ([`Partial::merge`]) and carries on:
//!
//! 1. **Counts**: the class totals, per-pre-bin counts of every numeric candidate (over
//!    pre-bin edges the driver chose, for example from Spark's `approxQuantile`) and per-category
//!    counts of every categorical one. Counts add up exactly, so the optimal binning solved from
//!    them on the driver is the one the whole data gives with the same edges.
//! 2. **Moments** of the candidates' WoE columns, for the correlation filter.
//! 3. **Newton** sums (loss, gradient, Hessian) at each iterate of the Newton solver.
//! 4. **Scores**: the training rows grouped by score, for the AUC and KS of the summary.
//!
//! The model file is the same format as every other. Requests and partials travel as JSON
//! (floats round-trip exactly).

use std::collections::{BTreeMap, HashSet};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use crate::input::is_missing_token;
use crate::metrics::RiskGroup;
use crate::model::Binning;
use crate::model::Counts;
use crate::model::{Feature, Model};
use crate::model::{FitParams, Solver};
use crate::train::binning::{
    bin_categorical_checked, bin_numeric_counts, BinningError, CategoricalCounts, NumericCounts,
};
use crate::train::fit::{newton_with, FitError, LogisticFit, NewtonData, NewtonSums};
use crate::train::selection::MomentSums;
use crate::train::{train_on, Binned, TrainError, TrainParams, TrainingRows};

/// How a column is read: as numbers or as category names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers (null or NaN = missing).
    Numeric,
    /// Text categories (null or a missing token such as `NA` = missing).
    Categorical,
}

/// A numeric feature to count: its pre-bin edges and special values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSpec {
    /// Column.
    pub name: String,
    /// Pre-bin edges.
    pub edges: Vec<f64>,
    /// Special values.
    pub specials: Vec<f64>,
}

/// A binned feature as a pass needs it: where its values are and how they bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedSpec {
    /// Column.
    pub name: String,
    /// Its binning.
    pub binning: Binning,
    /// Points per bin (the scores pass only; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<f64>,
}

/// One pass over every partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pass", rename_all = "snake_case")]
pub enum Pass {
    /// Class totals and the counts that binning is solved from.
    Counts {
        /// Numeric candidates.
        numeric: Vec<NumericSpec>,
        /// Categorical candidates.
        categorical: Vec<String>,
    },
    /// Moments of the WoE columns of the candidates.
    Moments {
        /// Candidates.
        features: Vec<BinnedSpec>,
    },
    /// Newton sums (loss, gradient and Hessian) at `beta` (coefficients of `features` in
    /// order, then the intercept).
    Newton {
        /// Features in the fit.
        features: Vec<BinnedSpec>,
        /// The iterate.
        beta: Vec<f64>,
    },
    /// Training rows grouped by score.
    Scores {
        /// The scorecard's features with their points.
        features: Vec<BinnedSpec>,
    },
}

/// What every partition is asked: the target (and weight) columns and the pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The 0/1 target column.
    pub target: String,
    /// The sample-weight column, if any.
    pub weight: Option<String>,
    /// Target values that mean "default" (empty: 1/true).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_values: Vec<String>,
    /// The pass.
    #[serde(flatten)]
    pub pass: Pass,
}

/// What one partition returns for a [`Request`]; partials add up with [`Partial::merge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pass", rename_all = "snake_case")]
pub enum Partial {
    /// See [`Pass::Counts`].
    Counts {
        /// Rows.
        rows: u64,
        /// Weighted goods and bads.
        total: Counts,
        /// Per numeric candidate, in request order.
        numeric: Vec<NumericCounts>,
        /// Per categorical candidate, in request order.
        categorical: Vec<CategoricalCounts>,
    },
    /// See [`Pass::Moments`].
    Moments(MomentSums),
    /// See [`Pass::Newton`].
    Newton(NewtonSums),
    /// See [`Pass::Scores`].
    Scores {
        /// Groups in increasing risk (the negated score).
        groups: Vec<RiskGroup>,
    },
}

/// Errors of partitioned training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistributedError {
    /// A request or partial is not valid JSON of the right shape.
    #[error("invalid {what}: {message}")]
    Message {
        /// `request` or `partial`.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A value in a partition cannot be used.
    #[error("column '{column}', row {row} of its batch: {message}")]
    Value {
        /// Column.
        column: String,
        /// 0-based row within the record batch.
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// A column is missing or of a type that cannot be read.
    #[error("column '{column}': {message}")]
    Column {
        /// Column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// Partials of different passes or shapes.
    #[error("partials cannot be merged: {0}")]
    Mismatch(String),
}

impl From<DistributedError> for TrainError {
    fn from(e: DistributedError) -> TrainError {
        TrainError::Params(e.to_string())
    }
}

/// Parse `what` (a request or a partial) from JSON.
fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    json: &str,
) -> Result<T, DistributedError> {
    serde_json::from_str(json).map_err(|e| DistributedError::Message {
        what,
        message: e.to_string(),
    })
}

/// `what` as JSON (serde_json writes a non-finite number as null, which then fails to parse).
fn to_json<T: Serialize>(what: &'static str, value: &T) -> Result<String, DistributedError> {
    serde_json::to_string(value).map_err(|e| DistributedError::Message {
        what,
        message: e.to_string(),
    })
}

impl Request {
    /// Parse a request from JSON.
    pub fn from_json(json: &str) -> Result<Request, DistributedError> {
        from_json("request", json)
    }

    /// The request as JSON.
    pub fn to_json(&self) -> Result<String, DistributedError> {
        to_json("request", self)
    }
}

impl Partial {
    /// Parse a partial from JSON.
    pub fn from_json(json: &str) -> Result<Partial, DistributedError> {
        from_json("partial", json)
    }

    /// The partial as JSON.
    pub fn to_json(&self) -> Result<String, DistributedError> {
        to_json("partial", self)
    }

    /// Add another partition's partial of the same pass.
    pub fn merge(&mut self, other: &Partial) -> Result<(), DistributedError> {
        let mismatch = |m: &str| DistributedError::Mismatch(m.to_string());
        match (self, other) {
            (
                Partial::Counts {
                    rows,
                    total,
                    numeric,
                    categorical,
                },
                Partial::Counts {
                    rows: r,
                    total: t,
                    numeric: n,
                    categorical: c,
                },
            ) => {
                if numeric.len() != n.len() || categorical.len() != c.len() {
                    return Err(mismatch("different numbers of features"));
                }
                *rows += r;
                *total += *t;
                for (a, b) in numeric.iter_mut().zip(n) {
                    a.merge(b).map_err(|e| mismatch(&e.0))?;
                }
                for (a, b) in categorical.iter_mut().zip(c) {
                    a.merge(b);
                }
            }
            (Partial::Moments(a), Partial::Moments(b)) => {
                if a.sums.len() != b.sums.len() {
                    return Err(mismatch("different numbers of features"));
                }
                a.merge(b);
            }
            (Partial::Newton(a), Partial::Newton(b)) => {
                if a.gradient.len() != b.gradient.len() || a.hessian.len() != b.hessian.len() {
                    return Err(mismatch("different numbers of coefficients"));
                }
                a.merge(b);
            }
            (Partial::Scores { groups: a }, Partial::Scores { groups: b }) => {
                *a = merge_groups(a, b)
            }
            _ => return Err(mismatch("partials of different passes")),
        }
        Ok(())
    }
}

/// Merge two lists of risk groups sorted by value.
fn merge_groups(a: &[RiskGroup], b: &[RiskGroup]) -> Vec<RiskGroup> {
    let mut out: Vec<RiskGroup> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i].value.total_cmp(&b[j].value).is_le());
        let g = if take_a {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        match out.last_mut() {
            Some(last) if last.value == g.value => {
                last.good += g.good;
                last.bad += g.bad;
            }
            _ => out.push(g),
        }
    }
    out
}

/// Add up partials in order (partition order: the result does not depend on the threads).
pub fn merge_partials(partials: &[Partial]) -> Result<Partial, DistributedError> {
    let mut iter = partials.iter();
    let mut acc = iter
        .next()
        .cloned()
        .ok_or_else(|| DistributedError::Mismatch("no partials".into()))?;
    for p in iter {
        acc.merge(p)?;
    }
    Ok(acc)
}

/// One partition's fold of record batches into a [`Partial`] (the executor side).
#[derive(Debug)]
pub struct PartialStats {
    request: Request,
    acc: Partial,
}

/// A column of a batch cast to `to` (`what` names the type in the error).
fn cast(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
    what: &str,
) -> Result<ArrayRef, DistributedError> {
    arrow_cast::cast(&column(batch, name)?, to).map_err(|e| DistributedError::Column {
        column: name.to_string(),
        message: format!("cannot be read as {what}: {e}"),
    })
}

/// A column of a batch read as numbers (null = NaN).
fn numbers(batch: &RecordBatch, name: &str) -> Result<Vec<f64>, DistributedError> {
    let cast = cast(batch, name, &DataType::Float64, "numbers")?;
    let f = cast.as_primitive::<Float64Type>();
    Ok((0..f.len())
        .map(|i| if f.is_null(i) { f64::NAN } else { f.value(i) })
        .collect())
}

/// A column of a batch read as text (null = `None`).
fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, DistributedError> {
    let cast = cast(batch, name, &DataType::Utf8, "text")?;
    let s = cast.as_string::<i32>();
    Ok((0..s.len())
        .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
        .collect())
}

fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef, DistributedError> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| DistributedError::Column {
            column: name.to_string(),
            message: "is not in the data".into(),
        })
}

/// The category of a text value as training reads it (`None` = missing).
fn category(value: Option<&str>) -> Option<&str> {
    value.filter(|t| !is_missing_token(t)).map(str::trim)
}

/// The target of every row, by the same rule as single-machine training.
fn targets(
    batch: &RecordBatch,
    name: &str,
    bad_values: &[String],
) -> Result<Vec<bool>, DistributedError> {
    let rule = crate::model::TargetRule::new(bad_values);
    let bad = |row: usize, value: String| DistributedError::Value {
        column: name.to_string(),
        row,
        message: format!("value {value} is not {}", rule.describe()),
    };
    let data_type = column(batch, name)?.data_type().clone();
    if data_type.is_numeric() || data_type == DataType::Boolean {
        rule.numbers(&numbers(batch, name)?)
            .map_err(|(i, text)| bad(i, text))
    } else {
        texts(batch, name)?
            .iter()
            .enumerate()
            .map(|(i, t)| match category(t.as_deref()) {
                None => Err(bad(i, "(missing)".into())),
                Some(t) => rule.text(t).ok_or_else(|| bad(i, format!("{t:?}"))),
            })
            .collect()
    }
}

fn weights(batch: &RecordBatch, name: &str) -> Result<Vec<f64>, DistributedError> {
    let w = numbers(batch, name)?;
    if let Some((row, x)) = w
        .iter()
        .enumerate()
        .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
    {
        return Err(DistributedError::Value {
            column: name.to_string(),
            row,
            message: format!("value {x} is not a finite weight >= 0"),
        });
    }
    Ok(w)
}

/// The bin of every row of a batch for one binned feature.
fn bins_of(batch: &RecordBatch, spec: &BinnedSpec) -> Result<Vec<usize>, DistributedError> {
    let b = &spec.binning;
    Ok(match b.rule {
        crate::model::BinRule::Numeric { .. } => numbers(batch, &spec.name)?
            .into_iter()
            .map(|x| b.numeric_bin(x).unwrap_or(b.missing.bin))
            .collect(),
        crate::model::BinRule::Categorical { .. } => texts(batch, &spec.name)?
            .iter()
            .map(|t| {
                b.category_bin(category(t.as_deref()))
                    .unwrap_or(b.missing.bin)
            })
            .collect(),
    })
}

/// Per-row WoE of every feature, row-major with a trailing 1 (the intercept) per row.
fn woe_rows(batch: &RecordBatch, features: &[BinnedSpec]) -> Result<Vec<f64>, DistributedError> {
    let n = batch.num_rows();
    let p = features.len() + 1;
    let mut rows = vec![1.0; n * p];
    for (j, f) in features.iter().enumerate() {
        for (i, bin) in bins_of(batch, f)?.into_iter().enumerate() {
            rows[i * p + j] = f.binning.bins[bin].woe;
        }
    }
    Ok(rows)
}

impl PartialStats {
    /// Start a partition's fold.
    pub fn new(request: Request) -> Result<PartialStats, DistributedError> {
        let acc = match &request.pass {
            Pass::Counts {
                numeric,
                categorical,
            } => Partial::Counts {
                rows: 0,
                total: Counts::default(),
                numeric: numeric
                    .iter()
                    .map(|s| {
                        NumericCounts::new(s.edges.clone(), &s.specials).map_err(|e| {
                            DistributedError::Column {
                                column: s.name.clone(),
                                message: e.0,
                            }
                        })
                    })
                    .collect::<Result<_, _>>()?,
                categorical: vec![CategoricalCounts::default(); categorical.len()],
            },
            Pass::Moments { features } => Partial::Moments(MomentSums::zeros(features.len())),
            Pass::Newton { features, beta, .. } => {
                if beta.len() != features.len() + 1 {
                    return Err(DistributedError::Message {
                        what: "request",
                        message: format!(
                            "{} coefficients for {} features",
                            beta.len(),
                            features.len()
                        ),
                    });
                }
                Partial::Newton(NewtonSums::zeros(features.len() + 1))
            }
            Pass::Scores { .. } => Partial::Scores { groups: Vec::new() },
        };
        Ok(PartialStats { request, acc })
    }

    /// Fold one record batch in.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), DistributedError> {
        let bad = targets(batch, &self.request.target, &self.request.bad_values)?;
        let w = match &self.request.weight {
            Some(c) => Some(weights(batch, c)?),
            None => None,
        };
        let weight = |i: usize| w.as_ref().map_or(1.0, |w| w[i]);
        match (&self.request.pass, &mut self.acc) {
            (
                Pass::Counts {
                    numeric: specs,
                    categorical: names,
                },
                Partial::Counts {
                    rows,
                    total,
                    numeric,
                    categorical,
                },
            ) => {
                *rows += bad.len() as u64;
                for (i, &b) in bad.iter().enumerate() {
                    total.add(b, weight(i));
                }
                for (spec, counts) in specs.iter().zip(numeric.iter_mut()) {
                    for (i, x) in numbers(batch, &spec.name)?.into_iter().enumerate() {
                        counts.add(x, bad[i], weight(i)).map_err(|value| {
                            DistributedError::Value {
                                column: spec.name.clone(),
                                row: i,
                                message: format!("value {value} is not finite"),
                            }
                        })?;
                    }
                }
                for (name, counts) in names.iter().zip(categorical.iter_mut()) {
                    let mut batch_counts: BTreeMap<&str, Counts> = BTreeMap::new();
                    let values = texts(batch, name)?;
                    for (i, t) in values.iter().enumerate() {
                        counts.total.add(bad[i], weight(i));
                        match category(t.as_deref()) {
                            None => counts.missing.add(bad[i], weight(i)),
                            Some(c) => batch_counts.entry(c).or_default().add(bad[i], weight(i)),
                        }
                    }
                    let levels = batch_counts
                        .into_iter()
                        .map(|(c, n)| (c.to_string(), n))
                        .collect();
                    counts.merge(&CategoricalCounts {
                        levels,
                        ..CategoricalCounts::default()
                    });
                }
            }
            (Pass::Moments { features }, Partial::Moments(sums)) => {
                let p = features.len() + 1;
                let rows = woe_rows(batch, features)?;
                for i in 0..bad.len() {
                    sums.add_row(&rows[i * p..(i + 1) * p - 1], weight(i));
                }
            }
            (Pass::Newton { features, beta }, Partial::Newton(sums)) => {
                let p = features.len() + 1;
                let rows = woe_rows(batch, features)?;
                for i in 0..bad.len() {
                    let row = &rows[i * p..(i + 1) * p];
                    sums.add_row(row, beta, bad[i], weight(i));
                    sums.add_loss(&row[..p - 1], beta, bad[i], weight(i));
                }
            }
            (Pass::Scores { features }, Partial::Scores { groups }) => {
                let mut scores = vec![0.0; bad.len()];
                for f in features {
                    for (s, bin) in scores.iter_mut().zip(bins_of(batch, f)?) {
                        *s += f.points[bin];
                    }
                }
                let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
                let here =
                    crate::metrics::sorted_groups(&risk, &bad, w.as_deref()).unwrap_or_default();
                *groups = merge_groups(groups, &here);
            }
            _ => unreachable!("the partial is made for its pass"),
        }
        Ok(())
    }

    /// The partition's partial.
    pub fn finish(self) -> Partial {
        self.acc
    }
}

/// Training rows that live in partitions, reached through `run` (one call per pass: the
/// partials of every partition, in partition order).
struct PartitionedRows<'r> {
    run: &'r mut dyn FnMut(&Request) -> Result<Vec<Partial>, TrainError>,
    target: String,
    weight: Option<String>,
    bad_values: Vec<String>,
    columns: Vec<(String, ColumnKind)>,
    rows: u64,
    total: Counts,
    /// Numeric and categorical counts by column, from the counts pass.
    counts: BTreeMap<String, FeatureCounts>,
}

enum FeatureCounts {
    Numeric(NumericCounts),
    Categorical(CategoricalCounts),
}

impl PartitionedRows<'_> {
    fn pass(&mut self, pass: Pass) -> Result<Partial, TrainError> {
        let request = Request {
            target: self.target.clone(),
            weight: self.weight.clone(),
            bad_values: self.bad_values.clone(),
            pass,
        };
        let partials = (self.run)(&request)?;
        Ok(merge_partials(&partials)?)
    }

    fn specs(binned: &[Binned], which: &[usize]) -> Vec<BinnedSpec> {
        which
            .iter()
            .map(|&k| BinnedSpec {
                name: binned[k].name.clone(),
                binning: binned[k].binning.clone(),
                points: Vec::new(),
            })
            .collect()
    }
}

fn unexpected() -> TrainError {
    TrainError::Params("a partition returned the partial of another pass".into())
}

impl TrainingRows for PartitionedRows<'_> {
    fn totals(&self) -> (u64, Counts) {
        (self.rows, self.total)
    }

    fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(c, _)| c.as_str()).collect()
    }

    fn column_is_numeric(&self, name: &str) -> Option<bool> {
        self.columns
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, kind)| *kind == ColumnKind::Numeric)
    }

    fn bin(
        &mut self,
        params: &TrainParams,
        reserved: &HashSet<&str>,
    ) -> Result<Vec<Binned>, TrainError> {
        self.columns
            .iter()
            .filter(|(name, _)| !reserved.contains(name.as_str()))
            .map(|(name, kind)| {
                let result = match self.counts.get(name) {
                    Some(FeatureCounts::Numeric(c)) => {
                        bin_numeric_counts(c, &params.binning, params.trends.get(name).copied())
                            .map(|b| (b, c.determines_target()))
                    }
                    Some(FeatureCounts::Categorical(c)) => {
                        bin_categorical_checked(c, &params.binning)
                    }
                    None => Err(BinningError::Edges("no counts were gathered".into())),
                };
                let (binning, determines_target) =
                    result.map_err(|source| TrainError::Binning {
                        feature: name.clone(),
                        source,
                    })?;
                Ok(Binned {
                    name: name.clone(),
                    kind: match kind {
                        ColumnKind::Numeric => "numeric",
                        ColumnKind::Categorical => "categorical",
                    },
                    binning,
                    determines_target,
                })
            })
            .collect()
    }

    fn correlations<'s>(
        &'s mut self,
        binned: &[Binned],
    ) -> Result<Box<dyn Fn(usize, usize) -> f64 + Sync + 's>, TrainError> {
        let all: Vec<usize> = (0..binned.len()).collect();
        let features = Self::specs(binned, &all);
        match self.pass(Pass::Moments { features })? {
            Partial::Moments(sums) => Ok(Box::new(move |i, j| sums.correlation(i, j))),
            _ => Err(unexpected()),
        }
    }

    fn fit(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        start: Option<&LogisticFit>,
        params: &FitParams,
    ) -> Result<LogisticFit, TrainError> {
        let features = Self::specs(binned, kept);
        let totals = (self.total.total(), self.total.bads);
        let mut data = NewtonPasses {
            rows: self,
            features,
            last: None,
        };
        Ok(newton_with(&mut data, kept.len(), totals, params, start)?)
    }

    fn loss(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        fit: &LogisticFit,
    ) -> Result<f64, TrainError> {
        let beta = fit.beta();
        let pass = Pass::Newton {
            features: Self::specs(binned, kept),
            beta,
        };
        match self.pass(pass)? {
            Partial::Newton(sums) => Ok(sums.loss),
            _ => Err(unexpected()),
        }
    }

    fn score_groups(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        features: &[Feature],
    ) -> Result<Vec<RiskGroup>, TrainError> {
        let mut specs = Self::specs(binned, kept);
        for (s, f) in specs.iter_mut().zip(features) {
            s.points = f.points.clone();
        }
        match self.pass(Pass::Scores { features: specs })? {
            Partial::Scores { groups } => Ok(groups),
            _ => Err(unexpected()),
        }
    }
}

/// The Newton solver's passes: every pass at a new `beta` returns the derivatives too, and the
/// last one is kept, so the solver's "loss, then derivatives at the same point" is one pass.
struct NewtonPasses<'a, 'r> {
    rows: &'a mut PartitionedRows<'r>,
    features: Vec<BinnedSpec>,
    /// The last pass: its beta and sums.
    last: Option<(Vec<f64>, NewtonSums)>,
}

impl NewtonData for NewtonPasses<'_, '_> {
    fn sums(&mut self, beta: &[f64], _derivatives: bool) -> Result<NewtonSums, FitError> {
        if let Some((b, sums)) = &self.last {
            if b.as_slice() == beta {
                return Ok(sums.clone());
            }
        }
        let pass = Pass::Newton {
            features: self.features.clone(),
            beta: beta.to_vec(),
        };
        let sums = match self.rows.pass(pass) {
            Ok(Partial::Newton(sums)) => sums,
            Ok(_) => return Err(FitError::Partitions(unexpected().to_string())),
            Err(e) => return Err(FitError::Partitions(e.to_string())),
        };
        self.last = Some((beta.to_vec(), sums.clone()));
        Ok(sums)
    }
}

/// Train a scorecard on partitioned data. `columns` are the data's columns with how each is
/// read; `run` sends a request to every partition and returns their partials in partition
/// order. Every numeric candidate needs its pre-bin edges in `params.prebin_edges` (they are
/// recorded in the model, so that one machine can reproduce the binning). The fit is Newton's
/// ([`Solver::Newton`]): linfa's L-BFGS needs the rows in one place.
pub fn train_partitioned(
    params: &TrainParams,
    columns: &[(String, ColumnKind)],
    run: &mut dyn FnMut(&Request) -> Result<Vec<Partial>, TrainError>,
) -> Result<Model, TrainError> {
    params.validate()?;
    if params.fit.solver != Solver::Newton {
        return Err(TrainError::Params(
            "training on partitioned data uses the newton solver (solver = \"newton\")".into(),
        ));
    }
    if params.calibration_folds > 0 {
        return Err(TrainError::Params(
            "recalibration (calibration_folds) retrains on folds of the rows, which needs them \
             in one place; recalibrate on one machine"
                .into(),
        ));
    }
    let mut seen = HashSet::new();
    if let Some((dup, _)) = columns.iter().find(|(c, _)| !seen.insert(c.as_str())) {
        return Err(TrainError::Params(format!("column '{dup}' appears twice")));
    }
    for name in std::iter::once(&params.target).chain(params.weight_column.as_ref()) {
        if !columns.iter().any(|(c, _)| c == name) {
            return Err(TrainError::MissingColumn(name.clone()));
        }
    }
    let reserved = params.reserved();
    let mut numeric = Vec::new();
    let mut categorical = Vec::new();
    for (name, kind) in columns
        .iter()
        .filter(|(c, _)| !reserved.contains(c.as_str()))
    {
        match kind {
            ColumnKind::Numeric => numeric.push(NumericSpec {
                name: name.clone(),
                edges: params.prebin_edges.get(name).cloned().ok_or_else(|| {
                    TrainError::Params(format!("numeric column '{name}' has no pre-bin edges"))
                })?,
                specials: params.specials.get(name).cloned().unwrap_or_default(),
            }),
            ColumnKind::Categorical => categorical.push(name.clone()),
        }
    }
    let mut rows = PartitionedRows {
        run,
        target: params.target.clone(),
        weight: params.weight_column.clone(),
        bad_values: params.bad_values.clone(),
        columns: columns.to_vec(),
        rows: 0,
        total: Counts::default(),
        counts: BTreeMap::new(),
    };
    let names: Vec<String> = numeric
        .iter()
        .map(|s| s.name.clone())
        .chain(categorical.iter().cloned())
        .collect();
    match rows.pass(Pass::Counts {
        numeric,
        categorical,
    })? {
        Partial::Counts {
            rows: n,
            total,
            numeric,
            categorical,
        } => {
            rows.rows = n;
            rows.total = total;
            let counts = numeric
                .into_iter()
                .map(FeatureCounts::Numeric)
                .chain(categorical.into_iter().map(FeatureCounts::Categorical));
            rows.counts = names.into_iter().zip(counts).collect();
        }
        _ => return Err(unexpected()),
    }
    train_on(&mut rows, params, None)
}
