//! Scoring speed: one application with reason codes, and a 2-million-row in-memory batch.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use microscore::model::builtin::default_model;
use microscore::scoring::{BatchOutput, Scorer, Value};
use microscore::synth::application;

/// Row-major inputs of `n` synthetic applications in the scorer's input order.
fn matrix(scorer: &Scorer, n: u64) -> Vec<f64> {
    let header = microscore::synth::csv_header();
    let names: Vec<&str> = header.split(',').collect();
    let positions: Vec<Option<usize>> = scorer
        .input_columns()
        .iter()
        .map(|c| names.iter().position(|n| *n == c.name))
        .collect();
    let mut x = Vec::with_capacity(n as usize * positions.len());
    let mut line = Vec::new();
    for i in 0..n {
        line.clear();
        application(99, i).write_csv(&mut line);
        let text = std::str::from_utf8(&line).unwrap();
        let cells: Vec<&str> = text.trim_end().split(',').collect();
        for (j, p) in positions.iter().enumerate() {
            let cell = p.map_or("", |p| cells[p]);
            x.push(if cell.is_empty() {
                f64::NAN
            } else if scorer.input_columns()[j].categorical {
                scorer.category_index(j, cell).map_or(-1.0, f64::from)
            } else {
                cell.parse().unwrap()
            });
        }
    }
    x
}

fn scoring(c: &mut Criterion) {
    let scorer = Scorer::new(default_model().unwrap());
    let m = scorer.input_columns().len();
    let mut group = c.benchmark_group("score");

    let one = matrix(&scorer, 1);
    let values: Vec<Value<'_>> = one
        .iter()
        .enumerate()
        .map(
            |(j, &x)| match scorer.model().features().get(j).map(|f| &f.binning.rule) {
                Some(microscore::model::BinRule::Categorical { categories, .. }) => {
                    Value::Text(&categories[x as usize].category)
                }
                _ => Value::Number(x),
            },
        )
        .collect();
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_application_4_reasons", |b| {
        b.iter(|| scorer.score_values(&values, 4).unwrap().score)
    });

    let n = 2_000_000usize;
    let x = matrix(&scorer, n as u64);
    assert_eq!(x.len(), n * m);
    let mut score = vec![0.0; n];
    let mut pd = vec![0.0; n];
    let mut grade = vec![0u8; n];
    let mut decision = vec![0u8; n];
    let mut reasons = vec![0i32; n * 4];
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for k in [0usize, 4] {
        group.bench_with_input(BenchmarkId::new("batch_2m_reasons", k), &k, |b, &k| {
            b.iter(|| {
                scorer
                    .score_matrix(
                        &x,
                        k,
                        BatchOutput {
                            score: Some(&mut score),
                            pd: Some(&mut pd),
                            grade: Some(&mut grade),
                            decision: Some(&mut decision),
                            reasons: (k > 0).then_some(&mut reasons[..n * k]),
                            ..BatchOutput::default()
                        },
                    )
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
