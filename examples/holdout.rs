//! Train on one synthetic file, report the holdout AUC on another (the figures quoted in
//! docs/scorecard.md):
//!
//! ```sh
//! cargo run --release --example holdout -- TRAIN.csv HOLDOUT.csv \
//!     [TREND [SOLVER [MAX_CORR [MIN_IV [MIN_BIN_SHARE [MAX_BINS [PREBINS]]]]]]]
//! ```
use std::path::Path;
use std::time::Instant;

use microscore::input::table::{read_table, ReadOptions};
use microscore::train::{train, TrainParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (train_path, test_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let options = ReadOptions {
        skip: vec!["application_id".into(), "gender".into()],
        ..ReadOptions::default()
    };
    let t0 = Instant::now();
    let table = read_table(train_path, &options)?;
    let t1 = Instant::now();
    let mut params = TrainParams::new("default_12m");
    if let Some(t) = args.get(3) {
        params.binning.trend = t.parse()?;
    }
    if let Some(s) = args.get(4) {
        params.fit.solver = s.parse()?;
    }
    if let Some(c) = args.get(5) {
        params.max_correlation = c.parse()?;
    }
    if let Some(c) = args.get(6) {
        params.min_iv = c.parse()?;
    }
    if let Some(c) = args.get(7) {
        params.binning.min_bin_share = c.parse()?;
    }
    if let Some(c) = args.get(8) {
        params.binning.max_bins = c.parse()?;
    }
    if let Some(c) = args.get(9) {
        params.binning.max_prebins = c.parse()?;
    }
    let model = train(&table, &params)?;
    let t2 = Instant::now();
    let test = read_table(test_path, &options)?;
    let scores = microscore::scoring::score_table(&model, &test)?;
    let bad: Vec<bool> = match &test.column("default_12m").unwrap().data {
        microscore::input::table::ColumnData::Numeric(v) => v.iter().map(|&x| x == 1.0).collect(),
        _ => unreachable!(),
    };
    let risk: Vec<f64> = scores.iter().map(|s| -s).collect();
    println!(
        "read {:.3}s train {:.3}s; features {}; train AUC {:.4}; holdout AUC {:.4}",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        model.features().len(),
        model.training().auc,
        microscore::metrics::auc(&risk, &bad, None).unwrap()
    );
    Ok(())
}
