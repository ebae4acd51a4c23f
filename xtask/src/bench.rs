//! `cargo xtask bench`: the figures in BENCHMARKS.md.
//!
//! - native: criterion on a generated 10,000-policy file (`core/benches/check.rs`):
//!   the YAML tree alone, parsing into the model, parsing plus validation;
//! - native: criterion on generated clusters of 1,000 pods with 100, 500 and
//!   2,000 policies (`core/benches/engine.rs`): analysis, the connectivity
//!   matrix, one `explain`;
//! - native: criterion on 10,000 generated NetworkPolicies (`core/benches/convert.rs`):
//!   parsing, converting to CNP without and with the proof;
//! - WASM in node: the npm package's `parse` and `validate` on the 10k file,
//!   its `connectivity` and `explain` on the clusters, `convert` against
//!   `parse` on the 10k NetworkPolicies (`xtask/bench/convert.mjs`);
//! - sizes: the npm `.wasm` and the editor's first load, raw and gzipped;
//! - the editor in headless Chromium on the clusters (`xtask/bench/editor.mjs`).
//!
//! `--quick` skips the editor build.

use std::path::Path;

use crate::util::{Ctx, Error, Result};
use crate::{npm, web};

pub fn run(ctx: &Ctx, args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    let input = ctx.root.join("target/bench/policies-10k.yaml");
    std::fs::create_dir_all(input.parent().unwrap_or(&ctx.root))?;
    let text = ctx
        .cmd("cargo")
        .args([
            "run",
            "--locked",
            "--quiet",
            "--release",
            "-p",
            "netpolkit",
            "--example",
            "bench_input",
            "--",
            "10000",
        ])
        .read()?;
    std::fs::write(&input, &text)?;
    println!("input: {} ({} bytes, 10,000 policies)", input.display(), text.len());

    let criterion = ctx
        .cmd("cargo")
        .args([
            "bench",
            "--locked",
            "-p",
            "netpolkit",
            "--bench",
            "check",
            "--",
            "--noplot",
        ])
        .read()?;
    print!("{criterion}");
    let native: Vec<(String, f64)> = ["yaml-tree", "parse", "check"]
        .iter()
        .filter_map(|name| {
            criterion_median_ms(&criterion, &format!("10k-policies/{name}/")).map(|ms| (name.to_string(), ms))
        })
        .collect();

    let mut clusters = Vec::new();
    for policies in CLUSTER_POLICIES {
        let path = ctx
            .root
            .join(format!("target/bench/cluster-1000-pods-{policies}-policies.yaml"));
        let text = ctx
            .cmd("cargo")
            .args([
                "run",
                "--locked",
                "--quiet",
                "--release",
                "-p",
                "netpolkit",
                "--example",
                "bench_input",
                "--",
            ])
            .args(["cluster", "1000", &policies.to_string()])
            .read()?;
        std::fs::write(&path, &text)?;
        println!(
            "input: {} ({} bytes, 1,000 pods, {policies} policies)",
            path.display(),
            text.len()
        );
        clusters.push(path);
    }
    let engine = ctx
        .cmd("cargo")
        .args([
            "bench",
            "--locked",
            "-p",
            "netpolkit",
            "--bench",
            "engine",
            "--",
            "--noplot",
        ])
        .read()?;
    print!("{engine}");

    let knp_input = ctx.root.join("target/bench/knp-10k.yaml");
    let knp = ctx
        .cmd("cargo")
        .args([
            "run",
            "--locked",
            "--quiet",
            "--release",
            "-p",
            "netpolkit",
            "--example",
            "bench_input",
            "--",
            "knp",
            "10000",
        ])
        .read()?;
    std::fs::write(&knp_input, &knp)?;
    println!(
        "input: {} ({} bytes, 10,000 NetworkPolicies)",
        knp_input.display(),
        knp.len()
    );
    let conversion = ctx
        .cmd("cargo")
        .args([
            "bench",
            "--locked",
            "-p",
            "netpolkit",
            "--bench",
            "convert",
            "--",
            "--noplot",
        ])
        .read()?;
    print!("{conversion}");

    // Builds the package's node/, web/ and bundler/ variants (the tarball is a by-product).
    npm::build(ctx)?;
    let wasm_js = ctx.root.join("wasm-pkg/npm/node/netpolkit.js");
    let wasm = ctx
        .cmd("node")
        .arg(ctx.root.join("xtask/bench/wasm.mjs"))
        .arg(&wasm_js)
        .arg(&input)
        .read()?;
    print!("{wasm}");
    let wasm_engine = ctx
        .cmd("node")
        .arg(ctx.root.join("xtask/bench/engine.mjs"))
        .arg(&wasm_js)
        .args(&clusters)
        .read()?;
    print!("{wasm_engine}");
    let wasm_convert = ctx
        .cmd("node")
        .arg(ctx.root.join("xtask/bench/convert.mjs"))
        .arg(&wasm_js)
        .arg(&knp_input)
        .read()?;
    print!("{wasm_convert}");

    let npm_wasm = ctx.root.join("wasm-pkg/npm/web/netpolkit_bg.wasm");
    let npm_size = sizes(ctx, &[npm_wasm.as_path()])?;
    let editor = if quick {
        None
    } else {
        let dist = web::build(ctx)?;
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dist)? {
            let path = entry?.path();
            if path.is_file() {
                files.push(path);
            }
        }
        let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
        let size = sizes(ctx, &refs)?;
        let mut timings = String::new();
        for cluster in &clusters {
            timings.push_str(
                &ctx.cmd("node")
                    .arg(ctx.root.join("xtask/bench/editor.mjs"))
                    .arg(&dist)
                    .arg(cluster)
                    .read()?,
            );
        }
        print!("{timings}");
        Some((size, timings))
    };

    println!("\n| measurement | result |\n|---|---|");
    for (name, ms) in &native {
        println!("| native {name}, 10k policies | {ms:.0} ms |");
    }
    if let (Some((_, parse)), Some((_, check))) = (
        native.iter().find(|(n, _)| n == "parse"),
        native.iter().find(|(n, _)| n == "check"),
    ) {
        println!("| native check / parse | {:.2} |", check / parse);
    }
    for line in wasm.lines().filter(|l| l.starts_with('|')) {
        println!("{line}");
    }
    for policies in CLUSTER_POLICIES {
        for what in ["analyze", "connectivity", "explain"] {
            if let Some(ms) = criterion_median_ms(&engine, &format!("engine-1000-pods/{what}/{policies}")) {
                println!("| native {what}, 1,000 pods × {policies} policies | {ms:.3} ms |");
            }
        }
    }
    for line in wasm_engine.lines().filter(|l| l.starts_with('|')) {
        println!("{line}");
    }
    let convert_ms = |what: &str| criterion_median_ms(&conversion, &format!("10k-knp/{what}/10k"));
    for what in ["parse", "convert-to-cnp", "convert-to-cnp-and-prove"] {
        if let Some(ms) = convert_ms(what) {
            println!("| native {what}, 10k NetworkPolicies | {ms:.0} ms |");
        }
    }
    if let (Some(parse), Some(convert)) = (convert_ms("parse"), convert_ms("convert-to-cnp")) {
        println!("| native convert / parse | {:.2} |", convert / parse);
    }
    for line in wasm_convert.lines().filter(|l| l.starts_with('|')) {
        println!("{line}");
    }
    println!("| npm .wasm | {} B raw, {} B gzip -9 |", npm_size.0, npm_size.1);
    if let Some(((raw, gz), timings)) = editor {
        println!("| editor first load (dist/) | {raw} B raw, {gz} B gzip -9 |");
        for line in timings.lines().filter(|l| l.starts_with('|')) {
            println!("{line}");
        }
    }
    Ok(())
}

/// Policy counts of the generated clusters (1,000 pods each).
const CLUSTER_POLICIES: [usize; 3] = [100, 500, 2000];

/// The middle of criterion's `time: [low mid high]` for benchmark `id`
/// (its result line starts with the id, then spaces or the line's end), in ms.
fn criterion_median_ms(output: &str, id: &str) -> Option<f64> {
    let mut lines = output.lines().skip_while(|l| {
        l.strip_prefix(id)
            .is_none_or(|rest| !(rest.is_empty() || rest.starts_with(' ')))
    });
    let time_line = lines.find(|l| l.contains("time:"))?;
    let inside = time_line.split('[').nth(1)?.split(']').next()?;
    let parts: Vec<&str> = inside.split_whitespace().collect();
    let (value, unit) = (parts.get(2)?, parts.get(3)?);
    let value: f64 = value.parse().ok()?;
    Some(match *unit {
        "s" => value * 1000.0,
        "ms" => value,
        "µs" | "us" => value / 1000.0,
        "ns" => value / 1_000_000.0,
        _ => return None,
    })
}

/// Total raw bytes and total `gzip -9` bytes of `files`.
fn sizes(ctx: &Ctx, files: &[&Path]) -> Result<(u64, u64)> {
    let mut raw = 0;
    let mut gz = 0;
    for file in files {
        raw += std::fs::metadata(file)?.len();
        let out = ctx
            .cmd("sh")
            .arg("-c")
            .arg("gzip -9 -c \"$1\" | wc -c")
            .arg("sh")
            .arg(file)
            .read()?;
        gz += out
            .trim()
            .parse::<u64>()
            .map_err(|e| Error(format!("gzip size: {e}")))?;
    }
    Ok((raw, gz))
}

#[cfg(test)]
mod tests {
    use super::criterion_median_ms;

    #[test]
    fn reads_criterion_medians_by_exact_id() {
        let out = "Benchmarking g/a/100: Analyzing\ng/a/1000\n  time:   [1.0 ms 2.0 ms 3.0 ms]\n\
                   g/a/100                  time:   [10.5 µs 11.0 µs 12.0 µs]\n";
        assert_eq!(criterion_median_ms(out, "g/a/1000"), Some(2.0));
        assert_eq!(criterion_median_ms(out, "g/a/100"), Some(0.011));
        assert_eq!(criterion_median_ms(out, "g/b/100"), None);
    }
}
