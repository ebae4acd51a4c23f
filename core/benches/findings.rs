//! The precedence analysis (`findings`) alone, on generated policy sets of
//! 1,000 and 5,000 policies (namespaced and clusterwide, no workloads) and
//! on a cluster of 1,000 pods with 500 policies (the path checks).
//! `cargo bench -p netpolkit --bench findings`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use netpolkit::{analyze, AnalyzeOptions};

mod generate;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("findings");
    group.sample_size(10);
    let inputs = [
        ("1000-policies", generate::policies(1000)),
        ("5000-policies", generate::policies(5000)),
        ("cluster-1000-pods-500-policies", generate::cluster(1000, 500)),
    ];
    for (name, text) in &inputs {
        let analysis = analyze(text, &AnalyzeOptions::default());
        group.bench_with_input(BenchmarkId::new("findings", name), &analysis, |b, a| {
            b.iter(|| a.findings().len())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
