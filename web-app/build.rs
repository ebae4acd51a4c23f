//! Compiles `../examples/*.yaml` into the editor, so that adding a file to
//! `examples/` adds it to the example picker without touching any code.
//!
//! Writes `$OUT_DIR/examples.rs`: a sorted `EXAMPLES` slice of
//! `Example { stem, title, text }`, where `title` comes from the file's first
//! comment line and `text` is an `include_str!` of the file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = absolute(&manifest_dir.join("../examples"));
    // The directory itself: a file added or removed changes its mtime.
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml") && p.is_file())
        .collect();
    files.sort();

    let mut out = String::from(
        "/// Every example manifest in `examples/`, sorted by file name.\npub const EXAMPLES: &[Example] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("example file names are UTF-8");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let title = title_of(&text).unwrap_or_else(|| stem.to_owned());
        let absolute = absolute(path);
        writeln!(
            out,
            "    Example {{ stem: {stem:?}, title: {title:?}, text: include_str!({:?}) }},",
            absolute.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("];\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("examples.rs"), out).expect("cannot write examples.rs");
}

/// The first `#` comment line, up to the end of its first sentence or clause
/// (`.` or `:` followed by a space or the end of the line).
fn title_of(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| l.starts_with('#'))?;
    let line = line.trim_start_matches('#').trim();
    let bytes = line.as_bytes();
    let cut = line
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | ':') && bytes.get(i + 1).is_none_or(|b| *b == b' '))
        .map_or(line.len(), |(i, _)| i);
    let title = line[..cut].trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// `include_str!` resolves relative paths against the generated file (in
/// OUT_DIR), so the paths written there must be absolute.
fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
