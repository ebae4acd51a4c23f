//! Parse + validate against parse alone, on a generated 10,000-policy file.
//! `cargo bench -p netpolkit --bench check` (or `cargo xtask bench`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod generate;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("10k-policies");
    group.sample_size(10);
    let text = generate::policies(10_000);
    group.throughput(Throughput::Bytes(text.len() as u64));
    let options = netpolkit::Options::default();
    group.bench_with_input(BenchmarkId::new("yaml-tree", "10k"), &text, |b, t| {
        b.iter(|| netpolkit::yaml::parse_stream(t))
    });
    group.bench_with_input(BenchmarkId::new("parse", "10k"), &text, |b, t| {
        b.iter(|| netpolkit::parse(t))
    });
    group.bench_with_input(BenchmarkId::new("check", "10k"), &text, |b, t| {
        b.iter(|| netpolkit::check(t, &options))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
