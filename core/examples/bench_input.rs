//! Prints the generated benchmark input: `cargo run -p netpolkit --example bench_input -- 10000`.

#[path = "../benches/generate.rs"]
mod generate;

fn main() {
    let count = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    print!("{}", generate::policies(count));
}
