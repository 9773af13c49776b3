//! Shared proptest strategies: awkward numbers and texts, labelled training tables small enough
//! to train in milliseconds, models trained on them, and applications for any model.
//!
//! The number of cases comes from `PROPTEST_CASES` (CI keeps the default of each test; the deeper
//! pass in docs/testing.md raises it).

use microscore::input::table::{Column, ColumnData, Table, MISSING_CODE};
use microscore::model::Model;
use microscore::model::Trend;
use microscore::scoring::{Scorer, Value};
use microscore::train::{train, TrainError, TrainParams};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Any f64, weighted toward the ones that break code: NaN, infinities, the extremes, signed
/// zero and subnormals.
pub fn awkward_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -1.0e4f64..1.0e4,
        2 => (-60i32..60).prop_map(f64::from),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => prop::sample::select(vec![
            f64::MAX, f64::MIN, f64::MIN_POSITIVE, -0.0, 0.0, 5e-324, -5e-324, 1e300, -1e300, 1e-300,
        ]),
        1 => any::<f64>(),
    ]
}

/// A text cell, weighted toward the awkward ones: empty, blank, missing tokens, `none`, numbers
/// as text, unseen words, arbitrary Unicode.
pub fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just("  ".to_string()),
        1 => prop::sample::select(vec!["NA", "n/a", "null", "NaN", "none", "None", "inf", "-0"])
            .prop_map(str::to_string),
        2 => "[a-z_]{1,10}",
        1 => "\\PC{0,16}",
        2 => awkward_f64().prop_map(|x| x.to_string()),
    ]
}

/// One input value of any kind.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Missing.
    Missing,
    /// A number (possibly NaN or infinite).
    Number(f64),
    /// Text.
    Text(String),
}

impl Cell {
    /// As the scorer's value type.
    pub fn value(&self) -> Value<'_> {
        match self {
            Cell::Missing => Value::Missing,
            Cell::Number(x) => Value::Number(*x),
            Cell::Text(s) => Value::Text(s),
        }
    }
}

/// Any cell.
pub fn awkward_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        1 => Just(Cell::Missing),
        4 => awkward_f64().prop_map(Cell::Number),
        2 => awkward_text().prop_map(Cell::Text),
    ]
}

/// An application for a scorer: one cell per input column. For categorical inputs, often one of
/// the model's own categories, so that real bins are reached as well as the fallbacks.
pub fn application(scorer: &Scorer) -> impl Strategy<Value = Vec<Cell>> {
    let per_column: Vec<BoxedStrategy<Cell>> = scorer
        .input_columns()
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let categories: Vec<String> = scorer
                .model()
                .features()
                .get(j)
                .map(|f| match &f.binning.rule {
                    microscore::model::BinRule::Categorical { categories, .. } => {
                        categories.iter().map(|c| c.category.clone()).collect()
                    }
                    _ => Vec::new(),
                })
                .unwrap_or_default();
            if c.categorical && !categories.is_empty() {
                prop_oneof![
                    3 => prop::sample::select(categories).prop_map(Cell::Text),
                    1 => awkward_cell(),
                ]
                .boxed()
            } else {
                prop_oneof![
                    3 => (-10.0f64..80.0).prop_map(Cell::Number),
                    1 => awkward_cell(),
                ]
                .boxed()
            }
        })
        .collect();
    per_column
}

/// A labelled table generated from a seed: a risk-decreasing integer feature `tenure`, a
/// U-shaped `age`, a noisy `income` with 10% missing and a special value -1, a categorical
/// `region` with a missing share, and the 0/1 target `bad`.
pub fn labelled_table(seed: u64, rows: usize) -> Table {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let regions = ["north", "south", "east", "west", "none"];
    let region_risk = [0.0, 0.6, -0.4, 0.3, 0.9];
    let mut tenure = Vec::with_capacity(rows);
    let mut age = Vec::with_capacity(rows);
    let mut income = Vec::with_capacity(rows);
    let mut region = Vec::with_capacity(rows);
    let mut bad = Vec::with_capacity(rows);
    for _ in 0..rows {
        let t = f64::from(rng.gen_range(0u32..60));
        let a = f64::from(rng.gen_range(18u32..75));
        let inc: f64 = rng.gen_range(500.0..20000.0);
        let r = rng.gen_range(0..regions.len());
        let logit = -1.2 - 0.04 * t + 0.002 * (a - 45.0).powi(2) - inc / 15000.0 + region_risk[r];
        let p = 1.0 / (1.0 + (-logit).exp());
        bad.push(f64::from(u8::from(rng.gen::<f64>() < p)));
        tenure.push(t);
        age.push(a);
        let u: f64 = rng.gen();
        income.push(if u < 0.1 {
            f64::NAN
        } else if u < 0.14 {
            -1.0
        } else {
            (inc * 100.0).round() / 100.0
        });
        region.push(if rng.gen::<f64>() < 0.05 {
            MISSING_CODE
        } else {
            r as u32
        });
    }
    let numeric = |name: &str, v: Vec<f64>| Column {
        name: name.into(),
        data: ColumnData::Numeric(v),
    };
    Table::new(vec![
        numeric("tenure", tenure),
        numeric("age", age),
        numeric("income", income),
        Column {
            name: "region".into(),
            data: ColumnData::Categorical {
                codes: region,
                levels: regions.iter().map(|s| s.to_string()).collect(),
            },
        },
        numeric("bad", bad),
    ])
}

/// Training settings for the small tables: every feature kept unless it fails the sign check.
pub fn small_params(trend: Trend, max_bins: usize) -> TrainParams {
    let mut p = TrainParams::new("bad");
    p.min_iv = 0.0;
    p.max_correlation = 1.0;
    p.binning.max_bins = max_bins;
    p.binning.min_bin_share = 0.05;
    p.binning.min_bin_goods = 1.0;
    p.binning.min_bin_bads = 1.0;
    p.binning.trend = trend;
    p.fit.solver = microscore::model::Solver::Newton;
    p.specials.insert("income".into(), vec![-1.0]);
    p
}

/// A trend for numeric features.
pub fn trend() -> impl Strategy<Value = Trend> {
    prop::sample::select(vec![
        Trend::Ascending,
        Trend::Descending,
        Trend::Auto,
        Trend::Peak,
        Trend::Valley,
        Trend::AutoShape,
    ])
}

/// Train on a generated table; `None` when the data leave no feature (a legitimate outcome
/// that the property then skips).
pub fn try_train(table: &Table, params: &TrainParams) -> Option<Model> {
    match train(table, params) {
        Ok(model) => Some(model),
        Err(TrainError::NoFeatures(_)) => None,
        Err(e) => panic!("training failed on a generated table: {e}"),
    }
}

/// A model trained on a generated table, with the seed, rows and settings that made it.
pub fn model() -> impl Strategy<Value = Model> {
    (any::<u64>(), 300usize..900, trend(), 2usize..8).prop_filter_map(
        "no feature survived",
        |(seed, rows, trend, max_bins)| {
            try_train(&labelled_table(seed, rows), &small_params(trend, max_bins))
        },
    )
}

/// The configuration of a property test file: `PROPTEST_CASES` cases when set (the deeper
/// pass), else `default_cases` (CI); failures are persisted to, and replayed from,
/// `proptest-regressions/<file>.txt` (committed).
pub fn config(default_cases: u32, file: &'static str) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let path: &'static str = Box::leak(format!("proptest-regressions/{file}.txt").into_boxed_str());
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(path),
        )),
        ..ProptestConfig::default()
    }
}
