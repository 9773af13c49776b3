//! Training quality on real data: German credit (Statlog), 5-fold stratified cross-validation.

mod common;

use microscore::metrics::auc;
use microscore::scoring::score_table;
use microscore::train::{train, TrainParams};

fn cv_auc(params: &TrainParams, seed: u64) -> (f64, Vec<f64>) {
    let table = common::german_credit();
    let bad = common::labels(&table, "bad");
    let folds = common::stratified_folds(&bad, 5, seed);
    let mut aucs = Vec::new();
    for k in 0..5 {
        let train_rows: Vec<usize> = (0..bad.len()).filter(|&i| folds[i] != k).collect();
        let test_rows: Vec<usize> = (0..bad.len()).filter(|&i| folds[i] == k).collect();
        let model = train(&table.select_rows(&train_rows), params).expect("training succeeds");
        let scores = score_table(&model, &table.select_rows(&test_rows)).unwrap();
        let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
        let test_bad: Vec<bool> = test_rows.iter().map(|&i| bad[i]).collect();
        aucs.push(auc(&risk, &test_bad, None).unwrap());
    }
    (aucs.iter().sum::<f64>() / 5.0, aucs)
}

/// Logistic regression on one-hot data reaches about 0.78-0.79 here; the scorecard must too.
#[test]
fn german_credit_cross_validated_auc_is_at_least_078() {
    let params = TrainParams::new("bad");
    for seed in [42, 1, 2, 3] {
        let (mean, folds) = cv_auc(&params, seed);
        eprintln!("German credit 5-fold AUC (fold seed {seed}) {mean:.4} {folds:?}");
        assert!(
            mean >= 0.78,
            "fold seed {seed}: 5-fold CV AUC {mean:.4} ({folds:?})"
        );
    }
}

fn holdout_auc(params: &TrainParams) -> f64 {
    let train_table = common::synthetic_table(100_000, 1);
    let holdout = common::synthetic_table(100_000, 2);
    let model = train(&train_table, params).unwrap();
    let scores = score_table(&model, &holdout).unwrap();
    let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
    auc(&risk, &common::labels(&holdout, "default_12m"), None).unwrap()
}

/// optbinning 1.0.0 (BinningProcess + LogisticRegression, its defaults) reaches a holdout AUC of
/// 0.7844-0.7848 on this split (benches/quality, benches/peers/optbinning_holdout.py) and
/// LightGBM 0.7868. With settings for a large sample (keep every feature, finer bins)
/// microscore beats optbinning. The defaults reach 0.7846 (0.7827 before weak features were
/// kept by their significance): within 0.001 of optbinning's upper figure, 0.005 of LightGBM.
#[test]
fn synthetic_holdout_auc_matches_optbinning() {
    const OPTBINNING_HOLDOUT_AUC: f64 = 0.7848;
    let mut params = TrainParams::new("default_12m");
    params.fit.solver = microscore::model::Solver::Newton;
    let defaults = holdout_auc(&params);
    params.min_iv = 0.0;
    params.max_correlation = 0.9;
    params.binning.min_bin_share = 0.02;
    params.binning.max_prebins = 50;
    params.binning.max_bins = 20;
    params.binning.trend = microscore::model::Trend::AutoShape;
    let large_sample = holdout_auc(&params);
    eprintln!("holdout AUC: defaults {defaults:.4}, large-sample settings {large_sample:.4}");
    assert!(large_sample >= OPTBINNING_HOLDOUT_AUC, "{large_sample:.4}");
    const LIGHTGBM_HOLDOUT_AUC: f64 = 0.7868;
    assert!(defaults >= LIGHTGBM_HOLDOUT_AUC - 0.005, "{defaults:.4}");
    assert!(defaults >= OPTBINNING_HOLDOUT_AUC - 0.001, "{defaults:.4}");
}
