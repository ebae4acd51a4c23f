//! The editor (`web-app/`): `trunk build` into `dist/`, its end-to-end test
//! in Chromium, and `trunk serve`. Trunk reads `index.html` and `Trunk.toml`
//! at the repository root; `--offline` also makes cargo offline, hence the
//! `cargo fetch --locked` first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{is_node_summary, Ctx, Error, Result, Summary};

/// Builds the editor into `<root>/dist` and prints its first-load size.
pub fn build(ctx: &Ctx) -> Result<PathBuf> {
    ctx.cmd("cargo").args(["fetch", "--locked"]).run()?;
    ctx.cmd("trunk").args(["build", "--release", "--offline"]).run()?;
    let dist = ctx.root.join("dist");
    print_first_load(&dist, ctx.has("gzip"))?;
    Ok(dist)
}

/// Runs `tests/e2e` (node:test + playwright-core) against `dist`.
pub fn e2e(ctx: &Ctx, dist: &Path) -> Result<Summary> {
    let dist = dist
        .canonicalize()
        .map_err(|e| Error(format!("{}: {e}", dist.display())))?;
    ctx.cmd("node")
        .arg("--test")
        .dir(ctx.root.join("tests/e2e"))
        .env("NETPOLKIT_DIST", dist)
        .run_tests("node --test (editor end to end)", is_node_summary)
}

/// Serves the editor on http://127.0.0.1:8080 until interrupted.
///
/// A release build, for two reasons: what you try is what ships (wasm-opt
/// only runs with `--release`, and the debug wasm is several times larger
/// and checks noticeably slower as you type), and Trunk's live reload is off
/// anyway (its client is an inline script the page's CSP refuses; see
/// Trunk.toml), so the faster debug rebuilds would buy little.
pub fn serve(ctx: &Ctx) -> Result {
    ctx.cmd("cargo").args(["fetch", "--locked"]).run()?;
    println!("serving the editor on http://127.0.0.1:8080/ (Ctrl-C to stop; reload the page after a rebuild)");
    ctx.cmd("trunk")
        .args([
            "serve",
            "--release",
            "--offline",
            "--address",
            "127.0.0.1",
            "--port",
            "8080",
        ])
        .run()
}

/// Prints what a browser downloads to show the editor: `index.html` and the
/// files it references (stylesheet, loader, JS glue, wasm), raw and gzip -9.
fn print_first_load(dist: &Path, have_gzip: bool) -> Result {
    let index = std::fs::read_to_string(dist.join("index.html"))?;
    let mut files = vec!["index.html".to_owned()];
    for reference in local_references(&index) {
        if !files.contains(&reference) {
            files.push(reference);
        }
    }
    println!("editor first load ({}):", dist.display());
    let (mut raw_total, mut gz_total) = (0u64, 0u64);
    for name in &files {
        let path = dist.join(name);
        let raw = std::fs::metadata(&path)
            .map_err(|e| Error(format!("{} is referenced by index.html but {e}", path.display())))?
            .len();
        let gz = have_gzip.then(|| gzip_size(&path)).flatten();
        raw_total += raw;
        gz_total += gz.unwrap_or(0);
        println!(
            "  {name:<45} {raw:>10} B {:>10} B gz",
            gz.map_or("?".to_owned(), |g| g.to_string())
        );
    }
    println!("  {:<45} {raw_total:>10} B {gz_total:>10} B gz", "total");
    if !have_gzip {
        println!("  (gzip is not on PATH: no gzipped sizes)");
    }
    Ok(())
}

/// The dist-relative paths in `src="/…"` and `href="/…"` attributes (Trunk
/// writes absolute URLs under the public URL `/`); `data:` and other
/// origins are not downloads from dist.
fn local_references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let Some(end) = rest.find('"') else { break };
            let value = &rest[..end];
            if let Some(path) = value.strip_prefix('/').filter(|p| !p.starts_with('/') && !p.is_empty()) {
                out.push(path.to_owned());
            }
        }
    }
    out
}

/// Size of `path` compressed with `gzip -9`, if gzip runs.
fn gzip_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::local_references;

    #[test]
    fn first_load_counts_the_files_index_html_references() {
        let html = r#"<link rel="icon" href="data:,"><link rel="stylesheet" href="/style-1.css"/>
<script src="/boot-2.js" type="module"></script><link rel="modulepreload" href="/web-app-3.js">
<link rel="preload" href="/web-app-3_bg.wasm" as="fetch"><a href="https://example.com/">x</a>"#;
        assert_eq!(
            local_references(html),
            vec!["boot-2.js", "style-1.css", "web-app-3.js", "web-app-3_bg.wasm"]
        );
    }
}
