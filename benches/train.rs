//! Training speed: the full pipeline (binning, WoE, selection, fit, scaling) on synthetic
//! applications, and the optimal binning of one feature.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use microscore::input::table::{read_table, ColumnData, ReadOptions, Table};
use microscore::model::BinningParams;
use microscore::model::Solver;
use microscore::synth::write_applications;
use microscore::train::binning::bin_numeric;
use microscore::train::{train, TrainParams};
use microscore::FileFormat;

fn table(rows: u64) -> Table {
    let path = std::env::temp_dir().join(format!("microscore-bench-train-{rows}.csv"));
    let file = std::fs::File::create(&path).unwrap();
    write_applications(
        std::io::BufWriter::new(file),
        rows,
        1,
        FileFormat::Csv,
        |_| {},
    )
    .unwrap();
    let options = ReadOptions {
        skip: vec!["application_id".into(), "gender".into()],
        ..ReadOptions::default()
    };
    let t = read_table(&path, &options).unwrap();
    let _ = std::fs::remove_file(&path);
    t
}

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    let rows = 100_000;
    let data = table(rows);
    group.throughput(Throughput::Elements(rows));
    for solver in [Solver::Newton, Solver::Lbfgs] {
        let mut params = TrainParams::new("default_12m");
        params.fit.solver = solver;
        group.bench_with_input(
            BenchmarkId::new(format!("pipeline_{solver:?}").to_lowercase(), rows),
            &params,
            |b, params| b.iter(|| train(&data, params).unwrap()),
        );
    }
    // The sign check's likelihood-ratio tests (default) against dropping every wrong-signed
    // feature untested: what the tests cost.
    let mut untested = TrainParams::new("default_12m");
    untested.sign_significance = None;
    group.bench_with_input(
        BenchmarkId::new("pipeline_newton_sign_untested", rows),
        &untested,
        |b, params| b.iter(|| train(&data, params).unwrap()),
    );
    let revenue = match &data.column("monthly_revenue").unwrap().data {
        ColumnData::Numeric(v) => v.clone(),
        _ => unreachable!(),
    };
    let bad: Vec<bool> = match &data.column("default_12m").unwrap().data {
        ColumnData::Numeric(v) => v.iter().map(|&x| x == 1.0).collect(),
        _ => unreachable!(),
    };
    group.bench_function(BenchmarkId::new("bin_one_feature", rows), |b| {
        b.iter(|| bin_numeric(&revenue, &bad, None, &[], &BinningParams::default(), None).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
