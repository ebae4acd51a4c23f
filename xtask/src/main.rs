//! `cargo xtask <command>`: the project's build, test and serve entry points.
//!
//! - `setup`  install what is missing (idempotent; `serve` and `test` call it)
//! - `test`   every test: format, clippy, host, WASM in Chromium, npm in node, editor end to end
//! - `serve`  build and serve the editor on http://127.0.0.1:8080
//! - `bench`  the measurements in BENCHMARKS.md
//! - `npm`    build and pack the npm package
//! - `versions` check that the pinned tool versions agree
//! - `fuzz-equivalence [CASES] [SEED]` the conversion property tests, longer

mod bench;
mod npm;
mod pins;
mod setup;
mod util;
mod versions;
mod web;

use std::process::ExitCode;

use setup::Needs;
use util::{is_cargo_summary, Ctx, Result, Summary};

const HELP: &str = "usage: cargo xtask <setup|test|serve|bench|npm|versions>

  setup     install the toolchain pieces that are missing (idempotent)
  test      run every test (installs what is missing first)
  serve     build and serve the editor on http://127.0.0.1:8080
  bench     measure parsing, validation and sizes (see BENCHMARKS.md)
  npm       build and pack the npm package into target/npm/
  versions  check that the pinned tool versions agree
  fuzz-equivalence [CASES] [SEED]
            convert random policy sets in every direction and prove each
            conversion (release build; default 30000 cases, a random seed)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ctx = Ctx::new();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup(&ctx, Needs::Test),
        Some("test") => test(&ctx),
        Some("serve") => setup::setup(&ctx, Needs::Serve).and_then(|()| web::serve(&ctx)),
        Some("bench") => setup::setup(&ctx, Needs::Serve).and_then(|()| bench::run(&ctx, &args[1..])),
        Some("npm") => setup::setup(&ctx, Needs::Serve).and_then(|()| npm::build(&ctx).map(|_| ())),
        Some("versions") => versions::check(&ctx),
        Some("fuzz-equivalence") => fuzz_equivalence(&ctx, &args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The property tests of `core/tests/convert.rs` (NetworkPolicy sources)
/// and `core/tests/convert_cilium_random.rs` (native CNP, CCNP and
/// ClusterNetworkPolicy sources) with more cases and another seed than
/// `test` runs: `CONVERT_CASES`, `CONVERT_SEED`.
fn fuzz_equivalence(ctx: &Ctx, args: &[String]) -> Result {
    let cases = args.first().cloned().unwrap_or_else(|| "30000".to_owned());
    let seed = args.get(1).cloned().unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now.to_string()
    });
    println!("fuzz-equivalence: {cases} cases per property, seed {seed} (rerun with `cargo xtask fuzz-equivalence {cases} {seed}`)");
    ctx.cmd("cargo")
        .args([
            "test",
            "--locked",
            "--release",
            "-p",
            "netpolkit",
            "--test",
            "convert",
            "--test",
            "convert_cilium_random",
            "--",
            "random",
            "--nocapture",
        ])
        .env("CONVERT_CASES", &cases)
        .env("CONVERT_SEED", &seed)
        .run()
}

fn test(ctx: &Ctx) -> Result {
    setup::setup(ctx, Needs::Test)?;
    ctx.cmd("cargo").args(["fmt", "--all", "--", "--check"]).run()?;
    ctx.cmd("cargo")
        .args([
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .run()?;
    ctx.cmd("cargo")
        .args([
            "clippy",
            "--locked",
            "-p",
            "wasm-pkg",
            "-p",
            "web-app",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--", "-D", "warnings"])
        .run()?;
    // The package's lite module (`netpolkit/lite`) is the same crate without
    // its default feature.
    ctx.cmd("cargo")
        .args([
            "clippy",
            "--locked",
            "-p",
            "wasm-pkg",
            "--no-default-features",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--", "-D", "warnings"])
        .run()?;
    let mut summaries: Vec<Summary> = Vec::new();
    // Every crate but the npm package's (tested in Chromium below), on the host.
    summaries.push(
        ctx.cmd("cargo")
            .args(["test", "--locked", "--workspace", "--exclude", "wasm-pkg"])
            .run_tests("cargo test (host)", is_cargo_summary)?,
    );
    // The npm package's own unit tests need no browser (its options' field lists).
    summaries.push(
        ctx.cmd("cargo")
            .args(["test", "--locked", "-p", "wasm-pkg", "--lib"])
            .run_tests("cargo test (npm package, host)", is_cargo_summary)?,
    );
    summaries.push(
        ctx.cmd("cargo")
            .args([
                "test",
                "--locked",
                "-p",
                "wasm-pkg",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .run_tests("wasm-bindgen-test (headless Chromium)", is_cargo_summary)?,
    );
    let tarball = npm::build(ctx)?;
    summaries.push(npm::test(ctx, &tarball)?);
    let dist = web::build(ctx)?;
    summaries.push(web::e2e(ctx, &dist)?);
    println!("\n== summary ==");
    for summary in &summaries {
        println!("{}:", summary.runner);
        for line in &summary.lines {
            println!("  {line}");
        }
    }
    Ok(())
}
