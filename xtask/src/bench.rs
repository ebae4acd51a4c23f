//! `cargo xtask bench`: the figures in BENCHMARKS.md.
//!
//! - native: criterion on a generated 10,000-policy file (`core/benches/check.rs`):
//!   the YAML tree alone, parsing into the model, parsing plus validation;
//! - WASM in node: the npm package's `parse` and `validate` on the same file;
//! - sizes: the npm `.wasm` and the editor's first load, raw and gzipped.
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
        .filter_map(|name| criterion_median_ms(&criterion, name).map(|ms| (name.to_string(), ms)))
        .collect();

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
        Some(sizes(ctx, &refs)?)
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
    println!("| npm .wasm | {} B raw, {} B gzip -9 |", npm_size.0, npm_size.1);
    if let Some((raw, gz)) = editor {
        println!("| editor first load (dist/) | {raw} B raw, {gz} B gzip -9 |");
    }
    Ok(())
}

/// The middle of criterion's `time: [low mid high]` line for `name`, in ms.
fn criterion_median_ms(output: &str, name: &str) -> Option<f64> {
    let header = format!("10k-policies/{name}/");
    let mut lines = output.lines().skip_while(|l| !l.contains(&header));
    let time_line = lines.find(|l| l.contains("time:"))?;
    let inside = time_line.split('[').nth(1)?.split(']').next()?;
    let parts: Vec<&str> = inside.split_whitespace().collect();
    let (value, unit) = (parts.get(2)?, parts.get(3)?);
    let value: f64 = value.parse().ok()?;
    Some(match *unit {
        "s" => value * 1000.0,
        "ms" => value,
        "µs" | "us" => value / 1000.0,
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
