//! What the fixture tests share: every `.yaml` file of a directory under
//! `core/tests/`, run one by one (`FIXTURE=name` picks files), failures
//! collected so one run shows them all.

use std::path::Path;

/// Runs `run` on every `.yaml` file of `core/tests/<dir>` (at least `min` of
/// them) and fails with every file's problems.
pub fn run_fixtures(dir: &str, min: usize, run: fn(&Path) -> Result<(), String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(dir);
    let filter = std::env::var("FIXTURE").ok();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= min, "fixtures missing in {}", dir.display());
    let failures: Vec<String> = files
        .iter()
        .filter(|f| {
            filter
                .as_ref()
                .is_none_or(|name| f.to_string_lossy().contains(name.as_str()))
        })
        .filter_map(|f| run(f).err())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
