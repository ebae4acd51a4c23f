//! Cross-crate tests for netpolkit (see the `[[test]]` targets): the public
//! corpus in `../shared/corpus`, the Cilium CRD schemas in `../shared/crds`
//! as an independent oracle, and the README's examples.
//!
//! The README's Rust examples run as doctests of this crate:
#![doc = include_str!("../README.md")]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The shared reference material beside the repository (`../shared`).
pub fn shared() -> PathBuf {
    repo_root().join("../shared")
}

/// Every file under `dir` with one of `extensions`, sorted.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
