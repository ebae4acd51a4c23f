//! `cargo xtask versions`: the wasm-bindgen and wasm-opt pins agree across
//! `xtask/src/pins.rs`, the workspace `Cargo.toml`, `Cargo.lock` and `Trunk.toml`.

use crate::pins;
use crate::util::{Ctx, Error, Result};

pub fn check(ctx: &Ctx) -> Result {
    let read = |file: &str| std::fs::read_to_string(ctx.root.join(file)).map_err(|e| Error(format!("{file}: {e}")));
    let mut problems = Vec::new();

    let manifest = read("Cargo.toml")?;
    let pin = format!("wasm-bindgen = \"={}\"", pins::WASM_BINDGEN);
    if !manifest.contains(&pin) {
        problems.push(format!("Cargo.toml must pin `{pin}`"));
    }

    let lock = read("Cargo.lock")?;
    match locked_version(&lock, "wasm-bindgen") {
        Some(v) if v == pins::WASM_BINDGEN => {}
        other => problems.push(format!(
            "Cargo.lock resolves wasm-bindgen {other:?}, pinned {}",
            pins::WASM_BINDGEN
        )),
    }

    let trunk = read("Trunk.toml")?;
    let bindgen_line = format!("wasm_bindgen = \"{}\"", pins::WASM_BINDGEN);
    let opt_line = format!("wasm_opt = \"version_{}\"", pins::BINARYEN);
    for line in [&bindgen_line, &opt_line] {
        if !trunk.contains(line.as_str()) {
            problems.push(format!("Trunk.toml [tools] must say `{line}`"));
        }
    }

    let tools = read("xtask/tools/package.json")?;
    let binaryen = format!("\"binaryen\": \"{}.0.0\"", pins::BINARYEN);
    if !tools.contains(&binaryen) {
        problems.push(format!("xtask/tools/package.json must depend on {binaryen}"));
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error(format!("tool versions disagree:\n  {}", problems.join("\n  "))))
    }
}

/// The version Cargo.lock records for package `name`.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let header = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == header {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}
