//! The engine on a generated cluster of 1,000 pods: the connectivity matrix
//! at 100, 500 and 2,000 policies, and one `explain`.
//! `cargo bench -p netpolkit --bench engine` (or `cargo xtask bench`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use netpolkit::engine::{ConnectivityOptions, FlowQuery};
use netpolkit::{analyze, AnalyzeOptions};

mod generate;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine-1000-pods");
    group.sample_size(10);
    for policies in [100, 500, 2000] {
        let text = generate::cluster(1000, policies);
        let analysis = analyze(&text, &AnalyzeOptions::default());
        group.bench_with_input(BenchmarkId::new("connectivity", policies), &analysis, |b, a| {
            b.iter(|| a.connectivity(&ConnectivityOptions::default()))
        });
        group.bench_with_input(BenchmarkId::new("analyze", policies), &text, |b, t| {
            b.iter(|| analyze(t, &AnalyzeOptions::default()))
        });
        let query = FlowQuery {
            from: "ns-1/app-1-5".to_owned(),
            to: "ns-2/app-2-10".to_owned(),
            port: "8080".to_owned(),
        };
        group.bench_with_input(BenchmarkId::new("explain", policies), &analysis, |b, a| {
            b.iter(|| a.explain(&query).map(|e| e.allowed))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
