//! Conversion against parsing alone, on 10,000 generated NetworkPolicies
//! (issue 4: converting ≤ 1.3 × parsing the same bytes).
//! `cargo bench -p netpolkit --bench convert` (or `cargo xtask bench`).
//! Measured with the CLI's allocator (mimalloc), see `ALLOCATOR`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use netpolkit::convert::{convert, ConvertOptions, Target};

mod generate;

/// The `netpolkit` CLI's allocator, so the figures are what its users get.
/// With glibc's malloc, freeing the output models dominates (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("10k-knp");
    group.sample_size(10);
    let text = generate::network_policies(10_000);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(BenchmarkId::new("parse", "10k"), &text, |b, t| {
        b.iter(|| netpolkit::parse(t))
    });
    let options = ConvertOptions {
        to: Target::Cnp,
        prove: false,
        ..ConvertOptions::default()
    };
    group.bench_with_input(BenchmarkId::new("convert-to-cnp", "10k"), &text, |b, t| {
        b.iter(|| convert(t, &options))
    });
    let proving = ConvertOptions {
        prove: true,
        ..options.clone()
    };
    group.bench_with_input(BenchmarkId::new("convert-to-cnp-and-prove", "10k"), &text, |b, t| {
        b.iter(|| convert(t, &proving))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
