//! Training a scorecard: binning, WoE, selection, logistic fit, sign checks and scaling.
//!
//! ```text
//! table --bin every candidate (in parallel)--> WoE columns --IV / correlation filters-->
//!       --logistic fit (Newton)--> drop wrong-signed features and refit, unless the
//!         likelihood-ratio test refuses the drop (a suppressor, kept and noted) -->
//!       --points scaling, grades--> Model
//! ```

pub mod binning;
pub mod calibration;
pub mod distributed;
pub mod estimator;
pub mod fit;
pub mod selection;
pub mod settings;
pub mod woe;

pub use settings::{
    default_model_params, Setting, SettingError, TrainConfig, TrainParams, NEAR_COPY_AUC,
};

use std::collections::HashSet;

use ndarray::Array2;
use rayon::prelude::*;

use crate::input::table::{ColumnData, Table, MISSING_CODE};
use crate::metrics;
use crate::model::scaling::grades_from_pds;
use crate::model::Binning;
use crate::model::Counts;
use crate::model::FitParams;
use crate::model::{
    CandidateReport, Feature, Model, ModelError, ModelParts, TrainSettings, TrainingSummary,
};
use crate::train::binning::{
    bin_categorical_checked, bin_numeric_counts, categorical_counts, numeric_counts, BinningError,
};
use crate::train::fit::{fit_logistic_from, FitError, LogisticFit, NewtonSums};
use crate::train::selection::{
    correlation_binned, select_with_partners, Candidate, IvFloor, Verdict,
};

/// Errors raised by training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Setting(#[from] SettingError),
    /// The settings are inconsistent, or do not fit the data (a column named twice, a
    /// protected attribute forced in).
    #[error("invalid setting: {0}")]
    Params(String),
    /// A configuration that cannot be read (an unknown key, a value of the wrong type).
    #[error("invalid configuration: {0}")]
    Config(String),
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

/// Why a binned feature is refused as a leak of the outcome, if it is.
fn leak_refusal(b: &Binned, params: &TrainParams) -> Option<String> {
    if b.determines_target {
        return Some(
            "leak: each of its values holds only defaults or only repayments, so it determines \
             the outcome (a copy of the target or a function of it)"
                .to_string(),
        );
    }
    if params.include.contains(&b.name) {
        return None;
    }
    let auc = b.binning.training_auc().unwrap_or(0.5);
    if auc >= NEAR_COPY_AUC {
        return Some(format!(
            "leak: on its own it orders {:.1}% of (default, repayment) pairs correctly (AUC \
             {auc:.4}, at least {NEAR_COPY_AUC}): a copy of the target, not an application-time \
             variable; exclude it, or include it to force it in",
            100.0 * auc
        ));
    }
    match params.max_iv {
        Some(max_iv) if b.binning.iv > max_iv => Some(format!(
            "leak: IV {:.2} above max_iv {max_iv}: exclude it, or include it to force it in",
            b.binning.iv
        )),
        _ => None,
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

/// The p-value of the likelihood-ratio test of dropping feature `j` of `kept` from `fit`
/// (whose log-loss is `full`): the refit without it, warm-started, against the fit with it
/// (one degree of freedom). Small: the feature's effect, at equal values of the others, is
/// real.
fn drop_p_value(
    rows: &mut dyn TrainingRows,
    binned: &[Binned],
    kept: &[usize],
    fit: &LogisticFit,
    j: usize,
    full: f64,
    params: &FitParams,
) -> Result<f64, TrainError> {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let without = [&kept[..j], &kept[j + 1..]].concat();
    let start = LogisticFit {
        intercept: fit.intercept,
        coefficients: [&fit.coefficients[..j], &fit.coefficients[j + 1..]].concat(),
    };
    let reduced = rows.fit(binned, &without, Some(&start), params)?;
    let g = 2.0 * (rows.loss(binned, &without, &reduced)? - full);
    Ok(ChiSquared::new(1.0).map_or(1.0, |chi2| chi2.sf(g.max(0.0))))
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
    /// The unpenalised log-loss (`-log likelihood`, weighted) of `fit` on the WoE of the
    /// candidates `kept`: what the likelihood-ratio test of the sign check compares.
    fn loss(
        &mut self,
        binned: &[Binned],
        kept: &[usize],
        fit: &LogisticFit,
    ) -> Result<f64, TrainError>;
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
        ColumnData::Numeric(v) => rule.numbers(v).map_err(|(i, text)| bad(i, text)),
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
        // The design row by row (row-major, as the solver reads it).
        let n = self.bad.len();
        let columns: Vec<&RowBins> = kept.iter().map(|&k| &self.columns[k]).collect();
        let mut values = Vec::with_capacity(n * kept.len());
        for i in 0..n {
            values.extend(columns.iter().map(|(bins, woe)| woe[bins[i] as usize]));
        }
        let x = Array2::from_shape_vec((n, kept.len()), values)
            .map_err(|e| TrainError::Params(format!("the design matrix: {e}")))?;
        Ok(fit_logistic_from(
            x.view(),
            &self.bad,
            self.weights.as_deref(),
            params,
            start,
        )?)
    }

    fn loss(
        &mut self,
        _binned: &[Binned],
        kept: &[usize],
        fit: &LogisticFit,
    ) -> Result<f64, TrainError> {
        let columns: Vec<&RowBins> = kept.iter().map(|&k| &self.columns[k]).collect();
        let beta = fit.beta();
        let mut sums = NewtonSums::zeros(kept.len());
        let mut row = vec![0.0; kept.len()];
        for (i, &bad) in self.bad.iter().enumerate() {
            for (x, (bins, woe)) in row.iter_mut().zip(&columns) {
                *x = woe[bins[i] as usize];
            }
            let w = self.weights.as_deref().map_or(1.0, |w| w[i]);
            sums.add_loss(&row, &beta, bad, w);
        }
        Ok(sums.loss)
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
    // Leaks first: a feature whose groups determine the outcome is refused; one that orders
    // nearly every pair of rows on its own (a copy of the target with a little noise), or
    // whose IV is above a ceiling the user set, is refused unless forced in.
    let refusals: Vec<Option<String>> = binned.iter().map(|b| leak_refusal(b, params)).collect();
    // The features the sign check took out (below), refused when the selection runs again.
    let mut wrong_signs: Vec<Option<String>> = vec![None; binned.len()];
    let selection = |rows: &mut dyn TrainingRows,
                     wrong_signs: &[Option<String>]|
     -> Result<(Vec<Verdict>, Vec<Option<usize>>), TrainError> {
        let offered: Vec<Candidate<'_>> = binned
            .iter()
            .zip(refusals.iter().zip(wrong_signs))
            .map(|(b, (refusal, wrong))| Candidate {
                name: &b.name,
                iv: b.binning.iv,
                p_value: b.binning.association_p_value(),
                constant: b.binning.is_constant(),
                forced: params.include.contains(&b.name),
                refused: refusal.as_deref().or(wrong.as_deref()),
            })
            .collect();
        let correlation = rows.correlations(&binned)?;
        Ok(select_with_partners(
            &offered,
            IvFloor {
                min_iv: params.min_iv,
                significance: params.min_iv_significance,
            },
            params.max_correlation,
            &*correlation,
        ))
    };
    let (mut verdicts, mut partners) = selection(rows, &wrong_signs)?;

    // Fit, then drop wrong-signed features one at a time (the most wrong first) and refit. A
    // feature dropped for its correlation with one that leaves this way is offered again: the
    // selection runs again without the wrong-signed ones, so that a feature is only ever
    // dropped for a partner the card keeps.
    let mut previous: Option<(Vec<usize>, LogisticFit)> = None;
    // The p-value of each feature kept against its WoE in the last fit.
    let mut against_woe: Vec<Option<f64>> = vec![None; binned.len()];
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
        // Warm start from the previous fit, without the feature just dropped (and from 0 for
        // a feature offered again).
        let start = previous.as_ref().map(|(cols, f)| LogisticFit {
            intercept: f.intercept,
            coefficients: kept
                .iter()
                .map(|k| {
                    cols.iter()
                        .position(|c| c == k)
                        .map_or(0.0, |p| f.coefficients[p])
                })
                .collect(),
        });
        let fit = rows.fit(&binned, &kept, start.as_ref(), &params.fit)?;
        // The wrong-signed features, the most wrong first; with a significance level, each is
        // tested in turn, and the first whose drop the likelihood-ratio test allows leaves.
        let mut wrong: Vec<(usize, f64)> = fit
            .coefficients
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, c)| c >= 0.0)
            .collect();
        wrong.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // The test's level, and the log-loss of the fit it compares against (a card of one
        // feature has nothing to test).
        let alpha = params.sign_significance.filter(|_| kept.len() > 1);
        let full = match alpha {
            Some(_) if !wrong.is_empty() => rows.loss(&binned, &kept, &fit)?,
            _ => f64::NAN,
        };
        let mut worst = None;
        against_woe.fill(None);
        for &(j, c) in &wrong {
            let Some(alpha) = alpha else {
                worst = Some((j, c, String::new()));
                break;
            };
            let p = drop_p_value(rows, &binned, &kept, &fit, j, full, &params.fit)?;
            if p <= alpha {
                against_woe[kept[j]] = Some(p);
            } else {
                let test = format!(
                    " (and dropping it passes the likelihood-ratio test: p {p:.2e} above {alpha})"
                );
                worst = Some((j, c, test));
                break;
            }
        }
        match worst {
            Some((j, c, test)) => {
                let dropped = kept[j];
                let reason = format!(
                    "coefficient {c:+.4} has the wrong sign: its points would run against its \
                     WoE{test}"
                );
                wrong_signs[dropped] = Some(reason.clone());
                if partners.contains(&Some(dropped)) {
                    (verdicts, partners) = selection(rows, &wrong_signs)?;
                } else {
                    verdicts[dropped] = Verdict::Drop(reason);
                }
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
        .enumerate()
        .map(|(i, (b, v))| CandidateReport {
            name: b.name.clone(),
            kind: b.kind.to_string(),
            iv: b.binning.iv,
            bins: b.binning.bins.len(),
            kept: *v == Verdict::Keep,
            reason: match v {
                Verdict::Drop(r) => Some(r.clone()),
                Verdict::Keep if params.include.contains(&b.name) => Some("forced in".into()),
                Verdict::Keep => against_woe[i].map(|p| {
                    format!(
                        "kept against its WoE: dropping it fails the likelihood-ratio test \
                         (p {p:.2e} <= {})",
                        params.sign_significance.unwrap_or(0.0)
                    )
                }),
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
                min_iv_significance: params.min_iv_significance,
                max_iv: params.max_iv,
                sign_significance: params.sign_significance,
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
