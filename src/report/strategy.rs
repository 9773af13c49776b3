//! The strategy table: what each score cut-off would do to a book of applications, the table a
//! credit committee sets its cut-offs from after training.
//!
//! For each cut-off (every grade boundary, the policy's current cut-offs and a grid of
//! [`StrategyOptions::step`] points) the table gives, among the applications approved at or
//! above it: how many and what share, the model's expected bad rate (mean PD), the observed bad
//! rate (labelled data only), the marginal bad rate of the applications this cut-off adds over
//! the one above it, and, when the policy sizes loans, the exposure and the expected loss
//! (PD x LGD x the limit each would be granted). [`StrategyTarget`] picks the cut-offs for a
//! target approval rate or a maximum bad rate, with a refer band below.
//!
//! The file is read, scored and accumulated exactly as [`super::evaluate`] does (score buckets
//! of [`super::SCORE_STEP`] points), so memory does not grow with the file.

use serde::Serialize;

use super::scan::{accumulate, sorted_scores, DataSummary, ReportError, ReportInput, SCORE_STEP};
use crate::scoring::Scorer;

/// How to choose the cut-offs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrategyTarget {
    /// Approve at least this share of applications, with the highest cut-off that does.
    ApproveRate(f64),
    /// Approve as many as possible while the observed bad rate of the approved stays at or
    /// below this (labelled data only).
    MaxBadRate(f64),
}

/// Settings of [`strategy`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrategyOptions {
    /// Points between grid cut-offs (default: a quarter of the model's PDO).
    pub step: Option<f64>,
    /// Cut-offs to choose, if any.
    pub target: Option<StrategyTarget>,
    /// Points between the approval and the decline cut-off (default: the model's PDO, so the
    /// refer band spans a doubling of the odds).
    pub refer_band: Option<f64>,
}

/// Approving every application at or above one cut-off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyRow {
    /// Approve at score >= this.
    pub cutoff: f64,
    /// The PD at the cut-off score.
    pub pd: f64,
    /// The grade this cut-off is the lowest score of, if it is a grade boundary.
    pub grade: Option<String>,
    /// Applications approved.
    pub approved: f64,
    /// Share of the scored applications approved.
    pub approval_rate: f64,
    /// Mean PD of the approved (the model's bad rate).
    pub expected_bad_rate: f64,
    /// Observed bad rate of the labelled approved (NaN without labels).
    pub bad_rate: f64,
    /// Observed bad rate of the applications between this cut-off and the one above it (NaN
    /// without labels or when none are between).
    pub marginal_bad_rate: f64,
    /// Sum of the limits the approved would be granted (NaN without loan sizing).
    pub exposure: f64,
    /// Expected loss of the approved, PD x LGD x limit (NaN without loan sizing).
    pub expected_loss: f64,
}

/// Cut-offs chosen for a [`StrategyTarget`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChosenCutoffs {
    /// Approve at score >= this.
    pub approve_min_score: f64,
    /// Decline below this; refer between.
    pub decline_below_score: f64,
    /// What approving at `approve_min_score` gives.
    pub at_approval: StrategyRow,
}

/// The strategy table of a model on a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strategy {
    /// The data.
    pub data: DataSummary,
    /// Whether the file has outcomes (observed bad rates).
    pub labelled: bool,
    /// Whether the policy sizes loans (exposure and expected loss).
    pub sized: bool,
    /// The policy's current cut-offs: approve at or above, decline below.
    pub current: [f64; 2],
    /// One row per cut-off, highest first.
    pub rows: Vec<StrategyRow>,
    /// The cut-offs chosen for the target, if one was given.
    pub chosen: Option<ChosenCutoffs>,
}

/// Running sums over the buckets from the highest score down.
#[derive(Debug, Clone, Copy, Default)]
struct Cum {
    n: f64,
    labelled: f64,
    bads: f64,
    pd: f64,
    exposure: f64,
    el: f64,
}

/// The strategy table of `scorer`'s model on `input` (see the module documentation).
pub fn strategy(
    scorer: &Scorer,
    input: &ReportInput,
    options: &StrategyOptions,
) -> Result<Strategy, ReportError> {
    let bad_setting = |message: String| ReportError::Data {
        path: input.path.clone(),
        message,
    };
    let model = scorer.model();
    let scaling = model.scaling();
    let step = options.step.unwrap_or(scaling.pdo / 4.0);
    if !(step.is_finite() && step > 0.0) {
        return Err(bad_setting(format!(
            "the grid step must be > 0 points, got {step}"
        )));
    }
    let band = options.refer_band.unwrap_or(scaling.pdo);
    if !(band.is_finite() && band >= 0.0) {
        return Err(bad_setting(format!(
            "the refer band must be >= 0 points, got {band}"
        )));
    }
    let (acc, data) = accumulate(scorer, input)?;
    if data.rows_scored == 0 {
        return Err(bad_setting("no rows could be scored".into()));
    }
    let labelled = data.rows_labelled > 0;
    let sized = model.policy().limit.is_some();

    // Buckets from the highest score down, with running sums.
    let mut buckets = sorted_scores(scorer, &acc);
    buckets.reverse();
    let mut cum = Vec::with_capacity(buckets.len());
    let mut run = Cum::default();
    for (_, b) in &buckets {
        run.n += b[0];
        run.labelled += b[1] + b[2];
        run.bads += b[2];
        run.pd += b[4];
        run.exposure += b[5];
        run.el += b[6];
        cum.push(run);
    }
    let total = run.n;
    // The running sums of the buckets at or above a cut-off.
    let at = |cutoff: f64| -> Cum {
        let k = buckets.partition_point(|(s, _)| *s >= cutoff - SCORE_STEP / 2.0);
        if k == 0 {
            Cum::default()
        } else {
            cum[k - 1]
        }
    };
    let nan_unless = |on: bool, x: f64| if on { x } else { f64::NAN };
    let row = |cutoff: f64, above: Option<Cum>| -> StrategyRow {
        let c = at(cutoff);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let marginal = match above {
            Some(up) => ratio(c.bads - up.bads, c.labelled - up.labelled),
            None => ratio(c.bads, c.labelled),
        };
        StrategyRow {
            cutoff,
            pd: scaling.pd(cutoff),
            grade: model
                .grades()
                .iter()
                .find(|g| g.min_score.is_some_and(|m| (m - cutoff).abs() < 0.005))
                .map(|g| g.grade.clone()),
            approved: c.n,
            approval_rate: ratio(c.n, total),
            expected_bad_rate: ratio(c.pd, c.n),
            bad_rate: nan_unless(labelled, ratio(c.bads, c.labelled)),
            marginal_bad_rate: nan_unless(labelled, marginal),
            exposure: nan_unless(sized, c.exposure),
            expected_loss: nan_unless(sized, c.el),
        }
    };

    // The cut-offs: a grid over the observed scores, the grade boundaries and the current ones.
    let policy = model.policy();
    let (lo, hi) = (
        buckets.last().map_or(0.0, |b| b.0),
        buckets.first().map_or(0.0, |b| b.0),
    );
    let mut cutoffs: Vec<f64> = Vec::new();
    let mut x = (hi / step).ceil() * step;
    while x >= (lo / step).floor() * step - 1e-9 && cutoffs.len() < 10_000 {
        cutoffs.push(round2(x));
        x -= step;
    }
    cutoffs.extend(model.grades().iter().filter_map(|g| g.min_score));
    cutoffs.push(policy.approve_min_score);
    cutoffs.push(policy.decline_below_score);
    cutoffs.retain(|c| c.is_finite());
    cutoffs.sort_by(|a, b| b.total_cmp(a));
    // Cut-offs that print the same (a grade boundary and a cut-off rounded to it) are one.
    cutoffs.dedup_by(|a, b| (*a - *b).abs() < 0.005);
    let mut rows: Vec<StrategyRow> = Vec::with_capacity(cutoffs.len());
    let mut above: Option<Cum> = None;
    for &c in &cutoffs {
        rows.push(row(c, above));
        above = Some(at(c));
    }

    let chosen = match options.target {
        None => None,
        Some(target) => {
            // The index of the lowest bucket approved.
            let k = match target {
                StrategyTarget::ApproveRate(r) => {
                    if !(r > 0.0 && r <= 1.0) {
                        return Err(bad_setting(format!(
                            "the approval rate must be in (0, 1], got {r}"
                        )));
                    }
                    cum.iter()
                        .position(|c| c.n >= r * total - 1e-9)
                        .unwrap_or(cum.len() - 1)
                }
                StrategyTarget::MaxBadRate(b) => {
                    if !labelled {
                        return Err(bad_setting(
                            "a maximum bad rate needs outcomes: the file has no labelled rows \
                             (use --target, or choose by --approve-rate)"
                                .into(),
                        ));
                    }
                    if !(b.is_finite() && b >= 0.0) {
                        return Err(bad_setting(format!(
                            "the maximum bad rate must be >= 0, got {b}"
                        )));
                    }
                    cum.iter()
                        .rposition(|c| c.labelled > 0.0 && c.bads <= b * c.labelled + 1e-12)
                        .ok_or_else(|| {
                            bad_setting(format!(
                                "no cut-off keeps the bad rate of the approved at or below {b}: \
                                 the highest-scored labelled applications already default more"
                            ))
                        })?
                }
            };
            // A cut-off that takes bucket k and leaves out bucket k + 1: a round 2-decimal
            // score where one fits between them.
            let low = buckets[k].0 - SCORE_STEP / 2.0;
            let next = buckets
                .get(k + 1)
                .map_or(f64::NEG_INFINITY, |b| b.0 + SCORE_STEP / 2.0);
            let floor = (low * 100.0).floor() / 100.0;
            let approve = if floor > next { floor } else { low };
            Some(ChosenCutoffs {
                approve_min_score: approve,
                decline_below_score: round2(approve - band).min(approve),
                at_approval: row(approve, None),
            })
        }
    };
    Ok(Strategy {
        data,
        labelled,
        sized,
        current: [policy.approve_min_score, policy.decline_below_score],
        rows,
        chosen,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;

    #[test]
    fn cut_offs_for_an_approval_rate_and_a_bad_rate_on_generated_data() {
        let dir = std::env::temp_dir().join(format!("microscore-strategy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("apps.csv");
        let mut bytes = Vec::new();
        crate::synth::write_applications(&mut bytes, 4000, 3, crate::FileFormat::Csv, |_| {})
            .unwrap();
        std::fs::write(&path, bytes).unwrap();
        let scorer = Scorer::new(crate::model::builtin::default_model().unwrap());
        let input = ReportInput {
            path: path.clone(),
            target: None,
            require_target: false,
            protected: Vec::new(),
            decisions: true,
            ..ReportInput::default()
        };
        let options = StrategyOptions {
            step: None,
            target: Some(StrategyTarget::ApproveRate(0.7)),
            refer_band: None,
        };
        let s = strategy(&scorer, &input, &options).unwrap();
        assert!(s.labelled && s.sized);
        // Rows run from the highest cut-off down: approvals grow, the grades' boundaries are in.
        assert!(s.rows.windows(2).all(|w| w[0].cutoff > w[1].cutoff));
        assert!(s.rows.windows(2).all(|w| w[0].approved <= w[1].approved));
        assert!(s.rows.iter().any(|r| r.grade.as_deref() == Some("B")));
        let last = s.rows.last().unwrap();
        assert_eq!(last.approved, 4000.0);
        let c = s.chosen.unwrap();
        assert!(c.at_approval.approval_rate >= 0.7, "{c:?}");
        assert!(c.at_approval.approval_rate < 0.71, "{c:?}");
        assert_eq!(c.decline_below_score, round2(c.approve_min_score - 20.0));
        // A bad-rate target: the approved default at most that often.
        let options = StrategyOptions {
            target: Some(StrategyTarget::MaxBadRate(0.03)),
            ..options
        };
        let c = strategy(&scorer, &input, &options).unwrap().chosen.unwrap();
        assert!(c.at_approval.bad_rate <= 0.03, "{c:?}");
        assert!(c.at_approval.approval_rate > 0.2, "{c:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
