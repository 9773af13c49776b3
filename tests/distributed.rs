//! Training on partitioned data (what the Spark driver runs) equals training on one machine with
//! the same pre-bin edges: the same bins and selection, coefficients within 1e-6, whatever the
//! partitioning. Partitions are simulated here by record batches of uneven sizes, each folded by
//! its own `PartialStats` and shipped as JSON, exactly as the Python package does on Spark.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use microscore::input::table::{ColumnData, Table, MISSING_CODE};
use microscore::model::Solver;
use microscore::train::binning::NumericCounts;
use microscore::train::distributed::{
    train_partitioned, ColumnKind, Partial, PartialStats, Request,
};
use microscore::train::{train, TrainError, TrainParams};

/// The table as one record batch per partition (contiguous slices of the given sizes).
fn partitions(table: &Table, sizes: &[usize]) -> Vec<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in table.columns() {
        match &c.data {
            ColumnData::Numeric(v) => {
                fields.push(Field::new(&c.name, DataType::Float64, true));
                arrays.push(Arc::new(Float64Array::from_iter(
                    v.iter().map(|x| (!x.is_nan()).then_some(*x)),
                )));
            }
            ColumnData::Categorical { codes, levels } => {
                fields.push(Field::new(&c.name, DataType::Utf8, true));
                arrays.push(Arc::new(StringArray::from_iter(
                    codes
                        .iter()
                        .map(|&k| (k != MISSING_CODE).then(|| levels[k as usize].clone())),
                )));
            }
        }
    }
    let whole = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(whole.slice(at, n));
        at += n;
    }
    assert_eq!(at, table.n_rows(), "partition sizes must cover the table");
    out
}

fn kinds(table: &Table) -> Vec<(String, ColumnKind)> {
    table
        .columns()
        .iter()
        .map(|c| {
            let kind = match c.data {
                ColumnData::Numeric(_) => ColumnKind::Numeric,
                ColumnData::Categorical { .. } => ColumnKind::Categorical,
            };
            (c.name.clone(), kind)
        })
        .collect()
}

/// Runs each request over the partitions (in two record batches each, to exercise the fold)
/// with a JSON round trip of requests and partials.
fn runner(parts: &[RecordBatch]) -> impl FnMut(&Request) -> Result<Vec<Partial>, TrainError> + '_ {
    |request| {
        let request = Request::from_json(&request.to_json().unwrap()).unwrap();
        Ok(parts
            .iter()
            .map(|batch| {
                let mut stats = PartialStats::new(request.clone()).unwrap();
                let half = batch.num_rows() / 2;
                stats.add(&batch.slice(0, half)).unwrap();
                stats
                    .add(&batch.slice(half, batch.num_rows() - half))
                    .unwrap();
                Partial::from_json(&stats.finish().to_json().unwrap()).unwrap()
            })
            .collect())
    }
}

/// Edges that are not the data's own quantiles: every 7th of the sorted distinct values.
fn coarse_edges(table: &Table, params: &TrainParams) -> BTreeMap<String, Vec<f64>> {
    let bad = vec![false; table.n_rows()];
    table
        .columns()
        .iter()
        .filter(|c| c.name != params.target)
        .filter_map(|c| match &c.data {
            ColumnData::Numeric(v) => {
                let counts = NumericCounts::quantiles(v, &bad, None, &[], 13).unwrap();
                Some((c.name.clone(), counts.edges))
            }
            ColumnData::Categorical { .. } => None,
        })
        .collect()
}

#[test]
fn partitioned_training_equals_one_machine_with_the_same_edges() {
    let table = common::synthetic_table(30_000, 5);
    let mut params = TrainParams::new("default_12m");
    params.fit.solver = Solver::Newton;
    params.specials.insert("existing_loans".into(), vec![0.0]);
    params.prebin_edges = coarse_edges(&table, &params);
    let single = train(&table, &params).unwrap();
    for sizes in [
        vec![30_000],
        vec![7_001, 12_999, 10_000],
        vec![1, 2_999, 26_000, 1_000],
    ] {
        let parts = partitions(&table, &sizes);
        let model = train_partitioned(&params, &kinds(&table), &mut runner(&parts)).unwrap();
        assert_eq!(model.features().len(), single.features().len(), "{sizes:?}");
        let mut largest = 0.0f64;
        for (a, b) in model.features().iter().zip(single.features()) {
            assert_eq!(a.name, b.name);
            // Same bins, counts and WoE: binning is solved from exactly merged counts.
            assert_eq!(a.binning, b.binning, "{} {sizes:?}", a.name);
            largest = largest.max((a.coefficient - b.coefficient).abs());
        }
        eprintln!("partitions {sizes:?}: largest coefficient difference {largest:e}");
        assert!(largest < 1e-6, "{sizes:?}: {largest}");
        assert!((model.intercept() - single.intercept()).abs() < 1e-6);
        let (t, s) = (model.training(), single.training());
        assert_eq!((t.rows, t.bads, t.goods), (s.rows, s.bads, s.goods));
        assert_eq!(
            t.candidates
                .iter()
                .map(|c| (&c.name, c.kept))
                .collect::<Vec<_>>(),
            s.candidates
                .iter()
                .map(|c| (&c.name, c.kept))
                .collect::<Vec<_>>()
        );
        assert!((t.auc - s.auc).abs() < 1e-9, "{} {}", t.auc, s.auc);
        assert!((t.ks - s.ks).abs() < 1e-9);
        assert_eq!(t.settings.prebin_edges, params.prebin_edges);
    }
}

#[test]
fn weighted_partitioned_training_equals_one_machine() {
    let mut table = common::synthetic_table(8_000, 11);
    let weights: Vec<f64> = (0..table.n_rows())
        .map(|i| 0.5 + (i % 4) as f64 * 0.75)
        .collect();
    let mut columns = table.into_columns();
    columns.push(microscore::input::table::Column {
        name: "w".into(),
        data: ColumnData::Numeric(weights),
    });
    table = Table::new(columns);
    let mut params = TrainParams::new("default_12m");
    params.fit.solver = Solver::Newton;
    params.weight_column = Some("w".into());
    params.prebin_edges = coarse_edges(&table, &params);
    params.prebin_edges.remove("w");
    let single = train(&table, &params).unwrap();
    let parts = partitions(&table, &[3_000, 5_000]);
    let model = train_partitioned(&params, &kinds(&table), &mut runner(&parts)).unwrap();
    for (a, b) in model.features().iter().zip(single.features()) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.binning, b.binning);
        assert!((a.coefficient - b.coefficient).abs() < 1e-6);
    }
}

#[test]
fn partitioned_training_needs_edges_newton_and_good_targets() {
    let table = common::synthetic_table(2_000, 3);
    let parts = partitions(&table, &[2_000]);
    let mut params = TrainParams::new("default_12m");
    params.fit.solver = Solver::Lbfgs;
    let err = train_partitioned(&params, &kinds(&table), &mut runner(&parts)).unwrap_err();
    assert!(err.to_string().contains("newton"), "{err}");
    params.fit.solver = Solver::Newton;
    let err = train_partitioned(&params, &kinds(&table), &mut runner(&parts)).unwrap_err();
    assert!(err.to_string().contains("has no pre-bin edges"), "{err}");
    // A target value other than 0/1 in a partition is named with its column.
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "default_12m",
            DataType::Float64,
            true,
        )])),
        vec![Arc::new(Float64Array::from(vec![0.0, 1.0, 2.0])) as ArrayRef],
    )
    .unwrap();
    let request = Request::from_json(
        r#"{"target": "default_12m", "weight": null, "pass": "counts", "numeric": [], "categorical": []}"#,
    )
    .unwrap();
    let mut stats = PartialStats::new(request).unwrap();
    let err = stats.add(&batch).unwrap_err().to_string();
    assert!(
        err.contains("'default_12m', row 2") && err.contains("not 0 or 1"),
        "{err}"
    );
}
