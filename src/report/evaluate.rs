//! `evaluate`: discrimination, calibration, gains, cut-offs, characteristics and fairness of
//! a scored, labelled file.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scan::{
    accumulate, no_rows, sorted_scores, Acc, Bucket, DataSummary, GroupAcc, ReportError,
    ReportInput,
};
use super::validation::{self, HlGroup, HosmerLemeshow, Jeffreys};
use crate::metrics::{self, RiskGroup};
use crate::scoring::Scorer;

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
    pub(super) fn of(scorer: &Scorer) -> ModelInfo {
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

/// Indices splitting `weights` (in order) into `parts` groups of about equal total weight;
/// ties never split (each entry is one distinct score).
pub(super) fn quantile_groups(weights: &[f64], parts: usize) -> Vec<std::ops::Range<usize>> {
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

pub(super) fn downsample<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max {
        return points.to_vec();
    }
    let step = (points.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .map(|i| points[((i as f64 * step).round() as usize).min(points.len() - 1)])
        .collect()
}

pub(super) fn fairness(acc: &Acc) -> Vec<Fairness> {
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

pub(super) fn characteristics(scorer: &Scorer, acc: &Acc) -> Vec<(String, Vec<BinRow>)> {
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
