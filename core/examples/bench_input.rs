//! Prints the generated benchmark input: `cargo run -p netpolkit --example bench_input -- 10000`
//! (policies alone), `-- cluster 1000 500` (1,000 pods and 500 policies) or
//! `-- knp 10000` (NetworkPolicies alone, the conversion benchmark's input).

#[path = "../benches/generate.rs"]
mod generate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cluster, pods, policies] if cluster == "cluster" => {
            let pods = pods.parse().unwrap_or(1000);
            let policies = policies.parse().unwrap_or(500);
            print!("{}", generate::cluster(pods, policies));
        }
        [knp, count] if knp == "knp" => print!("{}", generate::network_policies(count.parse().unwrap_or(10_000))),
        _ => {
            let count = args.first().and_then(|n| n.parse().ok()).unwrap_or(10_000);
            print!("{}", generate::policies(count));
        }
    }
}
