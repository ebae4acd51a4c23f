//! `cargo xtask npm`: the npm package `netpolkit`, built without wasm-pack.
//!
//! wasm-pack would only wrap `cargo build` and `wasm-bindgen`, and it
//! downloads its tools from GitHub, which this project never does. So the
//! steps are spelled out here: one release build of `wasm-pkg`, one
//! `wasm-bindgen` run per target into `wasm-pkg/npm/{bundler,web,node}/`
//! (git-ignored), `wasm-opt -Oz` on each module; the same again without the
//! `analysis` feature into `wasm-pkg/npm/lite/` (`netpolkit/lite`:
//! validate, parse, format); and `npm pack` next to the committed
//! `wasm-pkg/npm/package.json`, whose `exports` map picks the directory for
//! each consumer.
//!
//! [`test`] then installs the tarball into a fresh project, the way a user
//! would, and runs `tests/npm/*.test.mjs` against it with `node --test`:
//! what is tested is what gets published, including `package.json`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::pins;
use crate::util::{is_node_summary, Ctx, Error, Result, Summary};

/// The wasm-bindgen targets and the package directory each one fills.
/// `experimental-nodejs-module` is ESM that loads the module synchronously,
/// which is what `"type": "module"` and the `node` export condition need.
const TARGETS: [(&str, &str); 3] = [
    ("bundler", "bundler"),
    ("web", "web"),
    ("experimental-nodejs-module", "node"),
];

/// The package's modules: the whole API at the top, and `lite/` without the
/// `analysis` feature (the `./lite` export).
const MODULES: [(&str, bool); 2] = [("", false), ("lite", true)];

/// The file stem in every target directory; the `exports` map names it.
const OUT_NAME: &str = "netpolkit";

/// Builds the package and packs it into `target/npm/`; returns the tarball.
pub fn build(ctx: &Ctx) -> Result<PathBuf> {
    let package = ctx.root.join("wasm-pkg/npm");
    check_package_version(&package)?;
    check_tool(ctx, "wasm-bindgen", &format!("wasm-bindgen {}", pins::WASM_BINDGEN))?;
    check_tool(ctx, "wasm-opt", &format!("(version_{})", pins::BINARYEN))?;

    // The whole package, then `netpolkit/lite` (validate, parse, format)
    // into `lite/`; both builds write the same file, so each is bound
    // before the next build.
    for (subdir, lite) in MODULES {
        let features: &[&str] = if lite { &["--no-default-features"] } else { &[] };
        ctx.cmd("cargo")
            .args([
                "build",
                "--locked",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "wasm-pkg",
            ])
            .args(features)
            .run()?;
        let wasm = cargo_target_dir(ctx).join("wasm32-unknown-unknown/release/wasm_pkg.wasm");
        if !wasm.is_file() {
            return Err(Error(format!("cargo build did not produce {}", wasm.display())));
        }
        for (target, dir) in TARGETS {
            let out = package.join(subdir).join(dir);
            // A stale file from an earlier layout would otherwise be packed too.
            if out.exists() {
                fs::remove_dir_all(&out)?;
            }
            ctx.cmd("wasm-bindgen")
                .args(["--target", target, "--out-name", OUT_NAME, "--out-dir"])
                .arg(&out)
                .arg(&wasm)
                .run()?;
            let module = out.join(format!("{OUT_NAME}_bg.wasm"));
            let before = fs::metadata(&module)?.len();
            ctx.cmd("wasm-opt")
                .arg("-Oz")
                .arg(&module)
                .arg("-o")
                .arg(&module)
                .run()?;
            let raw = fs::metadata(&module)?.len();
            let gzipped = gzipped_size(ctx, &module)?;
            let shown = Path::new(subdir).join(dir);
            eprintln!(
                "npm: {}/{OUT_NAME}_bg.wasm {raw} B raw, {gzipped} B gzip -9 (before wasm-opt: {before} B)",
                shown.display()
            );
        }
    }

    let destination = ctx.root.join("target/npm");
    fs::create_dir_all(&destination)?;
    let packed = ctx
        .cmd("npm")
        .args(["pack", "--pack-destination"])
        .arg(&destination)
        .dir(&package)
        .read()?;
    // npm prints notices on stderr and the tarball's file name as the last stdout line.
    let name = packed
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .ok_or("npm pack printed no tarball name")?;
    let tarball = destination.join(name);
    let size = fs::metadata(&tarball)
        .map_err(|e| Error(format!("{}: {e}", tarball.display())))?
        .len();
    eprintln!("npm: {} ({size} B)", tarball.display());
    Ok(tarball)
}

/// Installs `tarball` into a fresh consumer project under `target/` and runs
/// `tests/npm/*.test.mjs` there with `node --test`.
pub fn test(ctx: &Ctx, tarball: &Path) -> Result<Summary> {
    // npm runs in the consumer directory, where a relative path would point elsewhere.
    let tarball = std::path::absolute(tarball)?;
    let consumer = ctx.root.join("target/npm-consumer");
    // Fresh every time, so nothing left over from an earlier install can hide a packaging mistake.
    if consumer.exists() {
        fs::remove_dir_all(&consumer)?;
    }
    fs::create_dir_all(&consumer)?;
    fs::write(
        consumer.join("package.json"),
        "{\n  \"name\": \"npm-consumer\",\n  \"private\": true,\n  \"type\": \"module\"\n}\n",
    )?;
    ctx.cmd("npm")
        .args(["install", "--no-audit", "--no-fund"])
        .arg(&tarball)
        .dir(&consumer)
        .run()?;

    let mut tests = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(ctx.root.join("tests/npm"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        // Helpers are copied too, so the tests can import them by relative path.
        if !name.ends_with(".mjs") {
            continue;
        }
        fs::copy(&path, consumer.join(name))?;
        if name.ends_with(".test.mjs") {
            tests.push(name.to_owned());
        }
    }
    if tests.is_empty() {
        return Err("tests/npm holds no *.test.mjs files".into());
    }

    // The tests run from the consumer directory, where they cannot find the
    // repository by relative path; the README example test needs it.
    ctx.cmd("node")
        .arg("--test")
        .args(&tests)
        .dir(&consumer)
        .env("NETPOLKIT_ROOT", &ctx.root)
        .run_tests("node --test (npm package)", is_node_summary)
}

/// The package.json version must be the crate's (the one `version()`
/// returns); xtask shares the workspace version with wasm-pkg.
fn check_package_version(package: &Path) -> Result {
    let manifest = fs::read_to_string(package.join("package.json"))?;
    let version = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"version\": \""))
        .and_then(|rest| rest.split('"').next())
        .ok_or("wasm-pkg/npm/package.json has no \"version\"")?;
    let crate_version = env!("CARGO_PKG_VERSION");
    if version == crate_version {
        Ok(())
    } else {
        Err(Error(format!(
            "wasm-pkg/npm/package.json says version {version}, the crate is {crate_version}: make them agree"
        )))
    }
}

/// Fails unless `program --version` ends with `wanted`: a wasm-bindgen CLI
/// that differs from the crate's exact pin writes glue the module rejects.
fn check_tool(ctx: &Ctx, program: &str, wanted: &str) -> Result {
    match ctx.version_of(program) {
        Some(found) if found.ends_with(wanted) => Ok(()),
        found => Err(Error(format!(
            "{program}: wanted `{wanted}`, found {}; run `cargo xtask setup`",
            found.as_deref().unwrap_or("nothing")
        ))),
    }
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` if set (relative to the
/// root, where cargo runs), else `<root>/target`.
fn cargo_target_dir(ctx: &Ctx) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => ctx.root.join(dir),
        None => ctx.root.join("target"),
    }
}

/// The size of `file` compressed with `gzip -9`, roughly what a web server sends.
fn gzipped_size(ctx: &Ctx, file: &Path) -> Result<u64> {
    let count = ctx
        .cmd("sh")
        .args(["-c", "gzip -9 -c \"$1\" | wc -c", "sh"])
        .arg(file)
        .read()?;
    count
        .trim()
        .parse()
        .map_err(|e| Error(format!("gzip size of {}: {e} ({count:?})", file.display())))
}
