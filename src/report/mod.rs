//! The validation pack: `evaluate` (discrimination, calibration, gains, cut-offs, fairness) and
//! `monitor` (score and characteristic stability), as JSON for machines and a self-contained
//! HTML page (inline SVG charts) or Markdown for people.
//!
//! A file is read once, in chunks, scored in parallel and folded into accumulators whose size
//! depends on the model (score buckets of [`SCORE_STEP`] points, bins, grades, groups), not on
//! the number of rows; the statistics are computed from them at the end.

pub mod render;
pub mod strategy;
pub mod svg;
pub mod validation;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use self::validation::{HlGroup, HosmerLemeshow, Jeffreys};
use crate::input::is_missing_token;
use crate::metrics::{self, RiskGroup};
use crate::scoring::Scorer;

/// Errors that stop a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file cannot be used.
    #[error("{path}: {message}")]
    Data {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Rows read from one file and what became of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    /// The file.
    pub file: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows scored and counted in the statistics.
    pub rows_scored: u64,
    /// Rows left out, with the first reasons.
    pub rows_rejected: u64,
    /// Up to 20 rejected rows: (line, reason).
    pub rejects: Vec<(u64, String)>,
    /// Rows with a 0/1 outcome.
    pub rows_labelled: u64,
}

#[derive(Debug, Clone, Default)]
struct GroupAcc {
    n: f64,
    approved: f64,
    score_sum: f64,
    pd_sum: f64,
    labelled: f64,
    bads: f64,
}

impl GroupAcc {
    fn merge(&mut self, o: &GroupAcc) {
        self.n += o.n;
        self.approved += o.approved;
        self.score_sum += o.score_sum;
        self.pd_sum += o.pd_sum;
        self.labelled += o.labelled;
        self.bads += o.bads;
    }
}

/// Per score bucket: rows, labelled goods, labelled bads, the PD sum of the labelled rows, the
/// PD sum of all rows, the limits the rows would get if granted, and their expected loss if
/// granted (PD x LGD x limit; the last two 0 without loan sizing).
type Bucket = [f64; BUCKET];
/// Entries of a [`Bucket`].
const BUCKET: usize = 7;

/// Everything a pass over one file accumulates.
#[derive(Debug, Clone, Default)]
struct Acc {
    /// By score bucket ([`SCORE_STEP`] points wide, counted from the card's minimum).
    scores: HashMap<u64, Bucket>,
    /// Per grade: rows, labelled, defaults, PD sum of the labelled.
    grades: Vec<[f64; 4]>,
    decisions: [u64; 3],
    brier: f64,
    log_loss: f64,
    labelled: u64,
    /// Per feature, per bin: rows, labelled, bads.
    bins: Vec<Vec<[f64; 3]>>,
    /// (attribute, value) -> group.
    groups: BTreeMap<(String, String), GroupAcc>,
    read: u64,
    scored: u64,
    rejected: u64,
    rejects: Vec<(u64, String)>,
}

impl Acc {
    fn new(scorer: &Scorer) -> Acc {
        Acc {
            grades: vec![[0.0; 4]; scorer.model().grades().len()],
            bins: scorer
                .model()
                .features()
                .iter()
                .map(|f| vec![[0.0; 3]; f.binning.bins.len()])
                .collect(),
            ..Acc::default()
        }
    }

    fn merge(mut self, o: Acc) -> Acc {
        for (k, v) in o.scores {
            let e = self.scores.entry(k).or_insert([0.0; BUCKET]);
            for j in 0..BUCKET {
                e[j] += v[j];
            }
        }
        for (a, b) in self.grades.iter_mut().zip(&o.grades) {
            for j in 0..4 {
                a[j] += b[j];
            }
        }
        for j in 0..3 {
            self.decisions[j] += o.decisions[j];
        }
        self.brier += o.brier;
        self.log_loss += o.log_loss;
        self.labelled += o.labelled;
        for (fa, fb) in self.bins.iter_mut().zip(&o.bins) {
            for (a, b) in fa.iter_mut().zip(fb) {
                for j in 0..3 {
                    a[j] += b[j];
                }
            }
        }
        for (k, v) in o.groups {
            self.groups.entry(k).or_default().merge(&v);
        }
        self.read += o.read;
        self.scored += o.scored;
        self.rejected += o.rejected;
        self.rejects.extend(o.rejects);
        self.rejects.sort();
        self.rejects.truncate(20);
        self
    }
}

/// One scored row, as the statistics need it.
#[derive(Debug, Clone)]
struct RowFigures {
    score: f64,
    pd: f64,
    grade: usize,
    decision: usize,
    approved: bool,
    granted: f64,
    label: Option<bool>,
    thin_file: bool,
}

/// The rows of one unit of a file, scored on a worker.
#[derive(Debug, Default)]
struct UnitFigures {
    read: u64,
    rejected: u64,
    /// The first rejects: (line, reason).
    rejects: Vec<(u64, String)>,
    rows: Vec<RowFigures>,
    /// Each row's bin of every feature, row-major.
    bins: Vec<u16>,
    /// Each row's value of every protected attribute, row-major.
    groups: Vec<String>,
}

impl Acc {
    /// Count one scored row: its figures, its bins and its protected attributes' values.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        r: &RowFigures,
        bins: &[u16],
        groups: &[String],
        input: &ReportInput,
        has_thin: bool,
        lgd: f64,
        min_score: f64,
    ) {
        self.scored += 1;
        let label = r.label;
        let bucket = ((r.score - min_score) / SCORE_STEP).round().max(0.0) as u64;
        let e = self.scores.entry(bucket).or_insert([0.0; BUCKET]);
        e[0] += 1.0;
        e[4] += r.pd;
        if r.granted.is_finite() {
            e[5] += r.granted;
            e[6] += r.pd * lgd * r.granted;
        }
        self.decisions[r.decision] += 1;
        self.grades[r.grade][0] += 1.0;
        if let Some(bad) = label {
            e[1 + usize::from(bad)] += 1.0;
            e[3] += r.pd;
            self.labelled += 1;
            let y = f64::from(u8::from(bad));
            self.brier += (r.pd - y).powi(2);
            self.log_loss -= if bad { r.pd.ln() } else { (1.0 - r.pd).ln() };
            self.grades[r.grade][1] += 1.0;
            self.grades[r.grade][2] += y;
            self.grades[r.grade][3] += r.pd;
        }
        for (fi, &bin) in bins.iter().enumerate() {
            let b = &mut self.bins[fi][usize::from(bin)];
            b[0] += 1.0;
            if let Some(bad) = label {
                b[1] += 1.0;
                b[2] += f64::from(u8::from(bad));
            }
        }
        let mut group = |attr: &str, value: &str| {
            let g = self
                .groups
                .entry((attr.to_string(), value.to_string()))
                .or_default();
            g.n += 1.0;
            g.approved += f64::from(u8::from(r.approved));
            g.score_sum += r.score;
            g.pd_sum += r.pd;
            if let Some(bad) = label {
                g.labelled += 1.0;
                g.bads += f64::from(u8::from(bad));
            }
        };
        for (attr, value) in input.protected.iter().zip(groups) {
            group(attr, value);
        }
        if has_thin {
            group(
                "thin_file",
                if r.thin_file {
                    "thin file"
                } else {
                    "with history"
                },
            );
        }
    }
}

/// How to read a file for a report.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    /// The file: CSV (optionally `.gz`), JSON Lines or Parquet, read as `score` reads it.
    pub path: PathBuf,
    /// Format, CSV delimiter and decimal comma (default: from the name and the content).
    pub input: crate::input::InputOptions,
    /// The 0/1 outcome column (1 = default); `None`: the model's target when present.
    pub target: Option<String>,
    /// Whether the outcome column must be present.
    pub require_target: bool,
    /// Protected attributes to break results down by.
    pub protected: Vec<String>,
    /// Whether the report shows decisions: then the policy's columns must be present too.
    pub decisions: bool,
}

/// Rows folded sequentially into one accumulator before it is merged into the total.
const RUN_ROWS: usize = 1_024;

/// Width of the score buckets the statistics are accumulated in: scores closer than this count
/// as ties, which keeps memory bounded by the card's score range, not the number of rows (a
/// scorecard's score is a sum of many features' points, so nearly every row's score is distinct).
pub const SCORE_STEP: f64 = 1e-3;

/// Read, score and accumulate one file, in parallel units. The file is read exactly as
/// `score` reads it ([`crate::batch::scan_file`]: every format, the same dialect, conversions
/// and rejects); a row whose outcome is not 0/1 is rejected too.
fn accumulate(scorer: &Scorer, input: &ReportInput) -> Result<(Acc, DataSummary), ReportError> {
    let path = &input.path;
    let data_err = |message: String| ReportError::Data {
        path: path.clone(),
        message,
    };
    let target_name = input
        .target
        .clone()
        .unwrap_or_else(|| scorer.model().target().to_string());
    // Carried per row: the outcome (when in the file), then the protected attributes.
    let has_target = std::sync::atomic::AtomicBool::new(false);
    let keep = |header: &[String]| -> Result<Vec<String>, crate::batch::BatchError> {
        let mut keep = Vec::new();
        // JSON Lines has no header: keys are looked up per record.
        let present = header.is_empty() || header.contains(&target_name);
        if present {
            keep.push(target_name.clone());
            has_target.store(true, std::sync::atomic::Ordering::Relaxed);
        } else if input.require_target {
            return Err(crate::batch::BatchError::BadHeader {
                path: path.clone(),
                message: format!(
                    "the outcome column '{target_name}' is not in the header (use --target)"
                ),
            });
        }
        for p in &input.protected {
            if !header.is_empty() && !header.contains(p) {
                return Err(crate::batch::BatchError::BadHeader {
                    path: path.clone(),
                    message: format!("protected attribute '{p}' is not in the header"),
                });
            }
            keep.push(p.clone());
        }
        Ok(keep)
    };
    let mut required: Vec<String> = input.protected.clone();
    if input.require_target {
        required.push(target_name.clone());
    }
    let options = crate::batch::BatchOptions {
        input: input.input,
        ..crate::batch::BatchOptions::default()
    };
    let rule = scorer.model().target_rule();
    let has_thin = scorer.model().policy().thin_file.is_some();
    let lgd = scorer.model().policy().lgd;
    let min_score = scorer.model().min_score();
    let n_protected = input.protected.len();
    let nf = scorer.model().features().len();
    // On the workers: each accepted row scored, as the figures the statistics need.
    let map = |unit: crate::batch::ScanUnit<'_>| -> Result<UnitFigures, String> {
        let target_kept = has_target.load(std::sync::atomic::Ordering::Relaxed);
        let offset = usize::from(target_kept);
        let mut out = UnitFigures {
            read: unit.read(),
            rejects: unit
                .rejects()
                .iter()
                .map(|r| (r.line, r.describe()))
                .collect(),
            ..UnitFigures::default()
        };
        for i in 0..unit.rows() {
            let label = match unit.kept(i, 0).filter(|_| target_kept) {
                None if input.require_target => {
                    out.rejects.push((
                        unit.line(i),
                        format!(
                            "outcome '{target_name}' is missing, not {}",
                            rule.describe()
                        ),
                    ));
                    continue;
                }
                None => None,
                Some(t) => match rule.text(t) {
                    Some(bad) => Some(bad),
                    None if !input.require_target && is_missing_token(t) => None,
                    None => {
                        out.rejects.push((
                            unit.line(i),
                            format!("outcome '{target_name}' is {t:?}, not {}", rule.describe()),
                        ));
                        continue;
                    }
                },
            };
            let r = scorer
                .score_inputs(unit.inputs(i), 0)
                .map_err(|e| format!("line {}: could not be scored: {e}", unit.line(i)))?;
            out.rows.push(RowFigures {
                score: r.score,
                pd: r.pd,
                grade: r.grade_index,
                decision: usize::from(r.outcome.decision.code()),
                approved: r.outcome.decision == crate::model::policy::Decision::Approve,
                granted: r.outcome.granted_limit,
                label,
                thin_file: r.thin_file,
            });
            out.bins.extend(r.features.iter().map(|f| f.bin as u16));
            for k in 0..n_protected {
                let v = unit.kept(i, offset + k).unwrap_or("").trim();
                out.groups
                    .push(if is_missing_token(v) { "(missing)" } else { v }.to_string());
            }
        }
        out.rejected = out.rejects.len() as u64;
        out.rejects.sort();
        out.rejects.truncate(20);
        Ok(out)
    };
    // In input order: rows folded in runs of RUN_ROWS, each run merged into the total, so that
    // the sums depend only on the rows, never on the format, the units or the thread count.
    let mut total = Acc::new(scorer);
    let mut run = Acc::new(scorer);
    let mut failed: Option<String> = None;
    let fold = |part: Result<UnitFigures, String>| {
        let part = match part {
            Ok(p) => p,
            Err(e) => {
                failed.get_or_insert(e);
                return;
            }
        };
        total.read += part.read;
        total.rejected += part.rejected;
        total.rejects.extend(part.rejects);
        total.rejects.sort();
        total.rejects.truncate(20);
        for (i, row) in part.rows.iter().enumerate() {
            let groups = &part.groups[i * n_protected..(i + 1) * n_protected];
            run.add(
                row,
                &part.bins[i * nf..(i + 1) * nf],
                groups,
                input,
                has_thin,
                lgd,
                min_score,
            );
            if run.scored as usize == RUN_ROWS {
                let done = std::mem::replace(&mut run, Acc::new(scorer));
                total = std::mem::take(&mut total).merge(done);
            }
        }
    };
    crate::batch::scan_file(
        scorer,
        path,
        &options,
        input.decisions,
        &keep,
        &required,
        &map,
        fold,
    )
    .map_err(|e| match e {
        crate::batch::BatchError::Io { source, .. }
        | crate::batch::BatchError::Input(crate::input::InputError::Io { source, .. }) => {
            ReportError::Io {
                path: path.clone(),
                source,
            }
        }
        other => data_err(strip_path(&other.to_string(), path)),
    })?;
    if let Some(e) = failed {
        return Err(data_err(e));
    }
    let total = total.merge(run);
    let summary = DataSummary {
        file: path.display().to_string(),
        rows_read: total.read,
        rows_scored: total.scored,
        rows_rejected: total.rejected,
        rejects: total.rejects.clone(),
        rows_labelled: total.labelled,
    };
    Ok((total, summary))
}

/// An error's message without the path it starts with (the report's error names it).
fn strip_path(message: &str, path: &Path) -> String {
    let p = path.display().to_string();
    message
        .strip_prefix(&p)
        .map(|m| m.trim_start_matches([':', ' ']).to_string())
        .unwrap_or_else(|| message.to_string())
}

/// A file with no row that could be scored gives no figures: an error, never a report of
/// zeros and verdicts.
fn no_rows(input: &ReportInput, data: &DataSummary) -> Result<(), ReportError> {
    if data.rows_scored > 0 {
        return Ok(());
    }
    Err(ReportError::Data {
        path: input.path.clone(),
        message: if data.rows_read == 0 {
            "no data rows (only a header): nothing to report on".into()
        } else {
            format!(
                "none of its {} rows could be scored (first: {}): nothing to report on",
                data.rows_read,
                data.rejects
                    .first()
                    .map_or_else(String::new, |(l, why)| format!("line {l}: {why}"))
            )
        },
    })
}

/// The model a report is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// Content checksum of the model file.
    pub checksum: String,
    /// Features, in model order.
    pub features: Vec<String>,
    /// Lowest and highest possible scores.
    pub score_range: [f64; 2],
}

impl ModelInfo {
    fn of(scorer: &Scorer) -> ModelInfo {
        let m = scorer.model();
        ModelInfo {
            checksum: m.checksum().to_string(),
            features: m.features().iter().map(|f| f.name.clone()).collect(),
            score_range: [m.min_score(), m.max_score()],
        }
    }
}

/// Discrimination of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discrimination {
    /// Area under the ROC curve (ties count half).
    pub auc: f64,
    /// 95% DeLong confidence interval of the AUC.
    pub auc_ci95: [f64; 2],
    /// 2 AUC - 1.
    pub gini: f64,
    /// Kolmogorov-Smirnov statistic.
    pub ks: f64,
    /// Score at which KS is reached: applicants scoring below it are the high-risk side.
    pub ks_score: f64,
    /// Labelled goods and bads.
    pub goods: f64,
    /// Labelled bads.
    pub bads: f64,
    /// ROC curve points (false positive rate, true positive rate), at most 201.
    pub roc: Vec<[f64; 2]>,
    /// KS curve: (score, share of bads at or below, share of goods at or below), at most 201.
    pub ks_curve: Vec<[f64; 3]>,
}

/// Calibration of one grade.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeCalibration {
    /// Grade.
    pub grade: String,
    /// Labelled applicants.
    pub n: f64,
    /// Defaults.
    pub defaults: f64,
    /// Observed default rate.
    pub observed: f64,
    /// Mean predicted PD.
    pub expected: f64,
    /// Jeffreys test of the mean PD against the defaults.
    pub jeffreys: Option<Jeffreys>,
}

/// Calibration: how well the PD matches the observed default rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Mean squared error of the PD.
    pub brier: f64,
    /// Mean negative log-likelihood.
    pub log_loss: f64,
    /// Mean PD.
    pub mean_pd: f64,
    /// Observed default rate.
    pub observed_rate: f64,
    /// The calibration line (intercept and slope of the outcome on the PD's log-odds, and
    /// calibration-in-the-large); `None` when it cannot be fitted.
    pub line: Option<crate::train::calibration::CalibrationLine>,
    /// Per grade, best first.
    pub grades: Vec<GradeCalibration>,
    /// Hosmer-Lemeshow over PD deciles.
    pub hosmer_lemeshow: Option<HosmerLemeshow>,
    /// The deciles of the test.
    pub deciles: Vec<HlGroup>,
}

/// One score decile of the gains table (riskiest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GainsRow {
    /// 1 = lowest scores.
    pub decile: usize,
    /// Score range.
    pub min_score: f64,
    /// Score range.
    pub max_score: f64,
    /// Applicants.
    pub n: f64,
    /// Defaults.
    pub bads: f64,
    /// Default rate.
    pub bad_rate: f64,
    /// Share of all defaults in this and riskier deciles.
    pub cum_bads: f64,
    /// Share of all goods in this and riskier deciles.
    pub cum_goods: f64,
    /// Bad rate over the overall bad rate.
    pub lift: f64,
}

/// Approving everyone at or above a cut-off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutoffRow {
    /// The cut-off score.
    pub cutoff: f64,
    /// Share approved.
    pub approval_rate: f64,
    /// Default rate among the approved.
    pub bad_rate: f64,
    /// Share of all defaults declined.
    pub bads_declined: f64,
}

/// Histogram of scores for goods and bads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreHistogram {
    /// Bin edges (one more than the counts).
    pub edges: Vec<f64>,
    /// Goods per bin.
    pub goods: Vec<f64>,
    /// Bads per bin.
    pub bads: Vec<f64>,
}

/// One bin of a characteristic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinRow {
    /// Bin label.
    pub label: String,
    /// Rows.
    pub n: f64,
    /// Share of rows.
    pub share: f64,
    /// Default rate (labelled rows; NaN without).
    pub bad_rate: f64,
}

/// Outcomes of one group of applicants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// Group value.
    pub value: String,
    /// Applicants.
    pub n: f64,
    /// Share approved.
    pub approval_rate: f64,
    /// Approval rate over the most-favoured group's.
    pub adverse_impact_ratio: f64,
    /// Whether the ratio is below 0.8 (the four-fifths rule).
    pub flagged: bool,
    /// Mean score.
    pub mean_score: f64,
    /// Mean PD.
    pub mean_pd: f64,
    /// Observed default rate (NaN without labels).
    pub bad_rate: f64,
}

/// Outcomes by the values of one attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fairness {
    /// The attribute (`thin_file` for the policy's thin-file split).
    pub attribute: String,
    /// Groups, largest first.
    pub groups: Vec<GroupRow>,
}

/// The validation report of a model on labelled data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The model.
    pub model: ModelInfo,
    /// The data.
    pub data: DataSummary,
    /// Approvals, referrals and declines.
    pub decisions: [u64; 3],
    /// AUC, Gini, KS.
    pub discrimination: Discrimination,
    /// PD against outcomes.
    pub calibration: Calibration,
    /// Gains and lift by score decile.
    pub gains: Vec<GainsRow>,
    /// Approval rate against bad rate across cut-offs.
    pub cutoffs: Vec<CutoffRow>,
    /// Scores of goods and bads.
    pub histogram: ScoreHistogram,
    /// Each feature's bins with counts and default rates.
    pub characteristics: Vec<(String, Vec<BinRow>)>,
    /// Outcomes by protected attribute and by thin file.
    pub fairness: Vec<Fairness>,
    /// Seconds taken.
    pub seconds: f64,
}

/// Score buckets in increasing order: (score at the bucket's centre, [rows, goods, bads, PD sum]).
fn sorted_scores(scorer: &Scorer, acc: &Acc) -> Vec<(f64, Bucket)> {
    let min = scorer.model().min_score();
    let mut v: Vec<(f64, Bucket)> = acc
        .scores
        .iter()
        .map(|(&k, &c)| (min + k as f64 * SCORE_STEP, c))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// Indices splitting `weights` (in order) into `parts` groups of about equal total weight;
/// ties never split (each entry is one distinct score).
fn quantile_groups(weights: &[f64], parts: usize) -> Vec<std::ops::Range<usize>> {
    let total: f64 = weights.iter().sum();
    let mut out = Vec::new();
    let (mut start, mut cum) = (0, 0.0);
    for (i, w) in weights.iter().enumerate() {
        cum += w;
        let target = total * (out.len() + 1) as f64 / parts as f64;
        if cum >= target - 1e-9 && out.len() + 1 < parts {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < weights.len() {
        out.push(start..weights.len());
    }
    out.retain(|r| !r.is_empty());
    out
}

fn downsample<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max {
        return points.to_vec();
    }
    let step = (points.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .map(|i| points[((i as f64 * step).round() as usize).min(points.len() - 1)])
        .collect()
}

fn fairness(acc: &Acc) -> Vec<Fairness> {
    let mut by_attr: BTreeMap<&str, Vec<(&str, &GroupAcc)>> = BTreeMap::new();
    for ((attr, value), g) in &acc.groups {
        by_attr.entry(attr).or_default().push((value, g));
    }
    by_attr
        .into_iter()
        .map(|(attr, groups)| {
            let best = groups
                .iter()
                .map(|(_, g)| g.approved / g.n)
                .fold(0.0f64, f64::max);
            let mut rows: Vec<GroupRow> = groups
                .iter()
                .map(|(value, g)| {
                    let approval = g.approved / g.n;
                    let air = if best > 0.0 {
                        approval / best
                    } else {
                        f64::NAN
                    };
                    GroupRow {
                        value: value.to_string(),
                        n: g.n,
                        approval_rate: approval,
                        adverse_impact_ratio: air,
                        flagged: air < 0.8,
                        mean_score: g.score_sum / g.n,
                        mean_pd: g.pd_sum / g.n,
                        bad_rate: if g.labelled > 0.0 {
                            g.bads / g.labelled
                        } else {
                            f64::NAN
                        },
                    }
                })
                .collect();
            rows.sort_by(|a, b| b.n.total_cmp(&a.n).then(a.value.cmp(&b.value)));
            Fairness {
                attribute: attr.to_string(),
                groups: rows,
            }
        })
        .collect()
}

fn characteristics(scorer: &Scorer, acc: &Acc) -> Vec<(String, Vec<BinRow>)> {
    scorer
        .model()
        .features()
        .iter()
        .zip(&acc.bins)
        .map(|(f, bins)| {
            let total: f64 = bins.iter().map(|b| b[0]).sum();
            let rows = f
                .binning
                .bins
                .iter()
                .zip(bins)
                .map(|(bin, c)| BinRow {
                    label: bin.label.clone(),
                    n: c[0],
                    share: if total > 0.0 { c[0] / total } else { 0.0 },
                    bad_rate: if c[1] > 0.0 { c[2] / c[1] } else { f64::NAN },
                })
                .collect();
            (f.name.clone(), rows)
        })
        .collect()
}

/// Evaluate a model on a labelled CSV file.
pub fn evaluate(scorer: &Scorer, input: &ReportInput) -> Result<Evaluation, ReportError> {
    let started = std::time::Instant::now();
    let input = ReportInput {
        require_target: true,
        ..input.clone()
    };
    let (acc, data) = accumulate(scorer, &input)?;
    no_rows(&input, &data)?;
    let no_outcomes = |message: &str| ReportError::Data {
        path: input.path.clone(),
        message: message.to_string(),
    };
    let scores = sorted_scores(scorer, &acc);
    // Risk groups: the riskiest (lowest score) last, as metrics expects increasing risk.
    let groups: Vec<RiskGroup> = scores
        .iter()
        .rev()
        .filter(|(_, c)| c[1] + c[2] > 0.0)
        .map(|(s, c)| RiskGroup {
            value: -s,
            good: c[1],
            bad: c[2],
        })
        .collect();
    let auc = metrics::auc_of(&groups)
        .ok_or_else(|| no_outcomes("the outcome needs both defaults and non-defaults"))?;
    let ks = metrics::ks_of(&groups).ok_or_else(|| no_outcomes("no outcomes"))?;
    let var = metrics::auc_variance_delong(&groups).unwrap_or(f64::NAN);
    let half = 1.959_963_984_540_054 * var.sqrt();
    let (goods, bads): (f64, f64) = groups
        .iter()
        .fold((0.0, 0.0), |(g, b), x| (g + x.good, b + x.bad));
    // ROC from the riskiest score down; KS curve from the lowest score up.
    let mut roc = vec![[0.0, 0.0]];
    let (mut fp, mut tp) = (0.0, 0.0);
    for g in groups.iter().rev() {
        fp += g.good;
        tp += g.bad;
        roc.push([fp / goods, tp / bads]);
    }
    let mut ks_curve = Vec::new();
    let (mut cg, mut cb) = (0.0, 0.0);
    for (s, c) in &scores {
        cg += c[1];
        cb += c[2];
        ks_curve.push([*s, cb / bads, cg / goods]);
    }
    let discrimination = Discrimination {
        auc,
        auc_ci95: [(auc - half).max(0.0), (auc + half).min(1.0)],
        gini: 2.0 * auc - 1.0,
        ks: ks.statistic,
        ks_score: -ks.at,
        goods,
        bads,
        roc: downsample(&roc, 201),
        ks_curve: downsample(&ks_curve, 201),
    };

    // Calibration.
    let labelled = acc.labelled as f64;
    let grades = scorer
        .model()
        .grades()
        .iter()
        .zip(&acc.grades)
        .map(|(g, c)| {
            let expected = if c[1] > 0.0 { c[3] / c[1] } else { f64::NAN };
            GradeCalibration {
                grade: g.grade.clone(),
                n: c[1],
                defaults: c[2],
                observed: if c[1] > 0.0 { c[2] / c[1] } else { f64::NAN },
                expected,
                jeffreys: validation::jeffreys(c[1], c[2], expected),
            }
        })
        .collect();
    // PD deciles (the PD falls as the score rises, so score deciles are PD deciles).
    let labelled_scores: Vec<&(f64, Bucket)> =
        scores.iter().filter(|(_, c)| c[1] + c[2] > 0.0).collect();
    let weights: Vec<f64> = labelled_scores.iter().map(|(_, c)| c[1] + c[2]).collect();
    // Score deciles of the labelled rows: the PD deciles of Hosmer-Lemeshow and the gains table.
    let decile_ranges = quantile_groups(&weights, 10);
    let deciles: Vec<HlGroup> = decile_ranges
        .iter()
        .cloned()
        .map(|r| {
            labelled_scores[r].iter().fold(
                HlGroup {
                    n: 0.0,
                    observed: 0.0,
                    expected: 0.0,
                },
                |mut g, (_, c)| {
                    g.n += c[1] + c[2];
                    g.observed += c[2];
                    g.expected += c[3];
                    g
                },
            )
        })
        .collect();
    let pd_sum: f64 = deciles.iter().map(|g| g.expected).sum();
    // The calibration line over the score buckets (one PD each, to the bucket's width).
    let line = crate::train::calibration::calibration_line(
        &labelled_scores
            .iter()
            .map(|(_, c)| (c[3] / (c[1] + c[2]), c[1], c[2]))
            .collect::<Vec<_>>(),
    );
    let calibration = Calibration {
        brier: acc.brier / labelled,
        log_loss: acc.log_loss / labelled,
        mean_pd: pd_sum / labelled,
        observed_rate: bads / labelled,
        line,
        grades,
        hosmer_lemeshow: validation::hosmer_lemeshow(&deciles),
        deciles,
    };

    // Gains by score decile, riskiest first.
    let gains: Vec<GainsRow> = {
        let (mut cum_b, mut cum_g) = (0.0, 0.0);
        decile_ranges
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let part = &labelled_scores[r];
                let (g, b) = part
                    .iter()
                    .fold((0.0, 0.0), |(g, b), (_, c)| (g + c[1], b + c[2]));
                cum_b += b;
                cum_g += g;
                let rate = b / (g + b);
                GainsRow {
                    decile: i + 1,
                    min_score: part.first().map_or(f64::NAN, |p| p.0),
                    max_score: part.last().map_or(f64::NAN, |p| p.0),
                    n: g + b,
                    bads: b,
                    bad_rate: rate,
                    cum_bads: cum_b / bads,
                    cum_goods: cum_g / goods,
                    lift: rate / (bads / labelled),
                }
            })
            .collect()
    };

    // Cut-offs: approving everyone at or above each of 40 score quantiles.
    let cutoffs: Vec<CutoffRow> = {
        let ranges = quantile_groups(&weights, 40);
        let mut rows = Vec::new();
        for r in ranges {
            let cutoff = labelled_scores[r.start].0;
            let (mut ag, mut ab) = (0.0, 0.0);
            for (_, c) in &labelled_scores[r.start..] {
                ag += c[1];
                ab += c[2];
            }
            rows.push(CutoffRow {
                cutoff,
                approval_rate: (ag + ab) / labelled,
                bad_rate: ab / (ag + ab),
                bads_declined: 1.0 - ab / bads,
            });
        }
        rows
    };

    // Score histogram over 30 equal-width bins of the observed range.
    let histogram = {
        let lo = labelled_scores.first().map_or(0.0, |p| p.0);
        let hi = labelled_scores.last().map_or(1.0, |p| p.0).max(lo + 1e-9);
        let k = 30;
        let width = (hi - lo) / k as f64;
        let mut h = ScoreHistogram {
            edges: (0..=k).map(|i| lo + width * i as f64).collect(),
            goods: vec![0.0; k],
            bads: vec![0.0; k],
        };
        for (s, c) in &labelled_scores {
            let i = (((s - lo) / width) as usize).min(k - 1);
            h.goods[i] += c[1];
            h.bads[i] += c[2];
        }
        h
    };

    Ok(Evaluation {
        model: ModelInfo::of(scorer),
        decisions: acc.decisions,
        discrimination,
        calibration,
        gains,
        cutoffs,
        histogram,
        characteristics: characteristics(scorer, &acc),
        fairness: fairness(&acc),
        data,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Stability of one distribution between the baseline and the current file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stability {
    /// What is compared (`score` or a feature).
    pub name: String,
    /// Population stability index (smoothed: empty bins count).
    pub psi: f64,
    /// `stable` (< 0.10), `moderate shift` (< 0.25) or `major shift`.
    pub band: String,
    /// Per bin: label, baseline share, current share, baseline bad rate, current bad rate
    /// (NaN without labels).
    pub bins: Vec<(String, f64, f64, f64, f64)>,
}

/// The monitoring report: the current population against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monitoring {
    /// The model.
    pub model: ModelInfo,
    /// The baseline file (usually the development sample).
    pub baseline: DataSummary,
    /// The current file.
    pub current: DataSummary,
    /// Score stability over the baseline's score deciles.
    pub score: Stability,
    /// Characteristic stability over each feature's bins, largest PSI first.
    pub characteristics: Vec<Stability>,
    /// Approvals, referrals and declines of the baseline and the current file.
    pub decisions: [[u64; 3]; 2],
    /// Seconds taken.
    pub seconds: f64,
}

/// Compare the population of `current` with `baseline` (labels used when present).
pub fn monitor(
    scorer: &Scorer,
    baseline: &ReportInput,
    current: &ReportInput,
) -> Result<Monitoring, ReportError> {
    let started = std::time::Instant::now();
    let (base, base_summary) = accumulate(scorer, baseline)?;
    let (cur, cur_summary) = accumulate(scorer, current)?;
    for (input, summary) in [(baseline, &base_summary), (current, &cur_summary)] {
        no_rows(input, summary)?;
    }
    let rate = |c: &[f64; 4]| {
        if c[1] + c[2] > 0.0 {
            c[2] / (c[1] + c[2])
        } else {
            f64::NAN
        }
    };
    // Score bands: the baseline's deciles; the current rows fall in them by score.
    let base_scores = sorted_scores(scorer, &base);
    let weights: Vec<f64> = base_scores.iter().map(|(_, c)| c[0]).collect();
    let ranges = quantile_groups(&weights, 10);
    let lower: Vec<f64> = ranges.iter().map(|r| base_scores[r.start].0).collect();
    let band_of = |s: f64| lower.iter().rposition(|&l| s >= l).unwrap_or(0);
    let mut b = vec![[0.0; 4]; lower.len()];
    let mut c = vec![[0.0; 4]; lower.len()];
    for (s, v) in &base_scores {
        let e = &mut b[band_of(*s)];
        for j in 0..3 {
            e[j] += v[j];
        }
    }
    for (s, v) in sorted_scores(scorer, &cur) {
        let e = &mut c[band_of(s)];
        for j in 0..3 {
            e[j] += v[j];
        }
    }
    let stability = |name: String, labels: Vec<String>, b: &[[f64; 4]], c: &[[f64; 4]]| {
        let bn: Vec<f64> = b.iter().map(|x| x[0]).collect();
        let cn: Vec<f64> = c.iter().map(|x| x[0]).collect();
        let (tb, tc) = (bn.iter().sum::<f64>(), cn.iter().sum::<f64>());
        let psi = validation::psi(&bn, &cn);
        Stability {
            name,
            psi,
            band: validation::psi_band(psi).to_string(),
            bins: labels
                .into_iter()
                .zip(b.iter().zip(c))
                .map(|(l, (x, y))| (l, x[0] / tb, y[0] / tc, rate(x), rate(y)))
                .collect(),
        }
    };
    let score_labels: Vec<String> = lower
        .iter()
        .enumerate()
        .map(|(i, l)| match lower.get(i + 1) {
            Some(u) => format!(
                "[{}, {})",
                crate::format::number_text((l * 10.0).round() / 10.0),
                crate::format::number_text((u * 10.0).round() / 10.0)
            ),
            None => format!(
                "[{}, max]",
                crate::format::number_text((l * 10.0).round() / 10.0)
            ),
        })
        .collect();
    let score = stability("score".into(), score_labels, &b, &c);
    let as4 = |v: &Vec<[f64; 3]>| -> Vec<[f64; 4]> {
        v.iter().map(|x| [x[0], x[1] - x[2], x[2], 0.0]).collect()
    };
    let mut characteristics: Vec<Stability> = scorer
        .model()
        .features()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            stability(
                f.name.clone(),
                f.binning.bins.iter().map(|b| b.label.clone()).collect(),
                &as4(&base.bins[i]),
                &as4(&cur.bins[i]),
            )
        })
        .collect();
    characteristics.sort_by(|a, b| b.psi.total_cmp(&a.psi).then(a.name.cmp(&b.name)));
    Ok(Monitoring {
        model: ModelInfo::of(scorer),
        baseline: base_summary,
        current: cur_summary,
        score,
        characteristics,
        decisions: [base.decisions, cur.decisions],
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Where a report's path points.
pub fn ensure_parent(path: &Path) -> Result<(), ReportError> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() && !p.is_dir() => Err(ReportError::Data {
            path: path.to_path_buf(),
            message: "the folder does not exist".into(),
        }),
        _ => Ok(()),
    }
}
