//! Throughput of the synthetic application generator.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use microscore::synth::{application, write_applications};
use microscore::FileFormat;

fn generator(c: &mut Criterion) {
    let mut group = c.benchmark_group("synth");
    group.sample_size(10);
    let rows = 100_000u64;
    group.throughput(Throughput::Elements(rows));
    for format in [FileFormat::Csv, FileFormat::Jsonl] {
        group.bench_with_input(BenchmarkId::new("write", format), &format, |b, &format| {
            let mut buf = Vec::with_capacity(40 << 20);
            b.iter(|| {
                buf.clear();
                write_applications(&mut buf, rows, 42, format, |_| {}).unwrap()
            })
        });
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_application", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            application(42, i)
        })
    });
    group.finish();
}

criterion_group!(benches, generator);
criterion_main!(benches);
