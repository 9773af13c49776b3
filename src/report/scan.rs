//! Reading a file into a report's sums: the file is read exactly as `score` reads it, in
//! chunks scored in parallel, and folded in input order into accumulators whose size depends on
//! the model (score buckets of [`SCORE_STEP`] points, bins, grades, groups), not on the number
//! of rows.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::input::is_missing_token;
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
    /// The file cannot be read as a table of applications (its message names the file).
    #[error(transparent)]
    Read(crate::batch::BatchError),
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
pub(super) struct GroupAcc {
    pub(super) n: f64,
    pub(super) approved: f64,
    pub(super) score_sum: f64,
    pub(super) pd_sum: f64,
    pub(super) labelled: f64,
    pub(super) bads: f64,
}

impl GroupAcc {
    pub(super) fn merge(&mut self, o: &GroupAcc) {
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
pub(super) type Bucket = [f64; BUCKET];

/// Entries of a [`Bucket`].
pub(super) const BUCKET: usize = 7;

/// Everything a pass over one file accumulates.
#[derive(Debug, Clone, Default)]
pub(super) struct Acc {
    /// By score bucket ([`SCORE_STEP`] points wide, counted from the card's minimum).
    pub(super) scores: HashMap<u64, Bucket>,
    /// Per grade: rows, labelled, defaults, PD sum of the labelled.
    pub(super) grades: Vec<[f64; 4]>,
    pub(super) decisions: [u64; 3],
    pub(super) brier: f64,
    pub(super) log_loss: f64,
    pub(super) labelled: u64,
    /// Per feature, per bin: rows, labelled, bads.
    pub(super) bins: Vec<Vec<[f64; 3]>>,
    /// (attribute, value) -> group.
    pub(super) groups: BTreeMap<(String, String), GroupAcc>,
    pub(super) read: u64,
    pub(super) scored: u64,
    pub(super) rejected: u64,
    pub(super) rejects: Vec<(u64, String)>,
}

impl Acc {
    pub(super) fn new(scorer: &Scorer) -> Acc {
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

    pub(super) fn merge(mut self, o: Acc) -> Acc {
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
pub(super) struct RowFigures {
    pub(super) score: f64,
    pub(super) pd: f64,
    pub(super) grade: usize,
    pub(super) decision: usize,
    pub(super) approved: bool,
    pub(super) granted: f64,
    pub(super) label: Option<bool>,
    pub(super) thin_file: bool,
}

/// The rows of one unit of a file, scored on a worker.
#[derive(Debug, Default)]
pub(super) struct UnitFigures {
    pub(super) read: u64,
    pub(super) rejected: u64,
    /// The first rejects: (line, reason).
    pub(super) rejects: Vec<(u64, String)>,
    pub(super) rows: Vec<RowFigures>,
    /// Each row's bin of every feature, row-major.
    pub(super) bins: Vec<u16>,
    /// Each row's value of every protected attribute, row-major.
    pub(super) groups: Vec<String>,
}

impl Acc {
    /// Count one scored row: its figures, its bins and its protected attributes' values.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
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
pub(super) const RUN_ROWS: usize = 1_024;

/// Width of the score buckets the statistics are accumulated in: scores closer than this count
/// as ties, which keeps memory bounded by the card's score range, not the number of rows (a
/// scorecard's score is a sum of many features' points, so nearly every row's score is distinct).
pub const SCORE_STEP: f64 = 1e-3;

/// Read, score and accumulate one file, in parallel units. The file is read exactly as
/// `score` reads it ([`crate::batch::scan_file`]: every format, the same dialect, conversions
/// and rejects); a row whose outcome is not 0/1 is rejected too.
pub(super) fn accumulate(
    scorer: &Scorer,
    input: &ReportInput,
) -> Result<(Acc, DataSummary), ReportError> {
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
    let keep = |header: &[String]| -> Result<Vec<String>, crate::batch::BatchError> {
        let mut keep = Vec::new();
        // JSON Lines has no header: keys are looked up per record.
        let present = header.is_empty() || header.contains(&target_name);
        if present {
            keep.push(target_name.clone());
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
        let target = unit.kept_index(&target_name);
        let offset = usize::from(target.is_some());
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
            let label = match target.and_then(|k| unit.kept(i, k)) {
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
        other if other.names_file() => ReportError::Read(other),
        other => data_err(other.to_string()),
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

/// A file with no row that could be scored gives no figures: an error, never a report of
/// zeros and verdicts.
pub(super) fn no_rows(input: &ReportInput, data: &DataSummary) -> Result<(), ReportError> {
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

/// Score buckets in increasing order: (score at the bucket's centre, [rows, goods, bads, PD sum]).
pub(super) fn sorted_scores(scorer: &Scorer, acc: &Acc) -> Vec<(f64, Bucket)> {
    let min = scorer.model().min_score();
    let mut v: Vec<(f64, Bucket)> = acc
        .scores
        .iter()
        .map(|(&k, &c)| (min + k as f64 * SCORE_STEP, c))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
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
