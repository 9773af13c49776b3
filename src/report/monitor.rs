//! `monitor`: the stability of the scores and of each characteristic between a baseline file
//! and a current one.

use serde::Serialize;

use super::evaluate::{quantile_groups, ModelInfo};
use super::scan::{accumulate, no_rows, sorted_scores, DataSummary, ReportError, ReportInput};
use super::validation;
use crate::scoring::Scorer;

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
