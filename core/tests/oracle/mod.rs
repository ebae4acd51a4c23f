//! The independent oracle of `tests/upstream_oracle.rs`: a reference
//! evaluator written from the Kubernetes documentation, and a generator of
//! small random clusters.

pub mod cilium_generate;
pub mod generate;
pub mod reference;

/// Every vector, scenario, example and corpus manifest (`.yaml`/`.yml`),
/// sorted: the files the conversion sweeps run over.
pub fn every_manifest_file() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut walk = vec![
        root.join("tests/scenarios"),
        root.join("tests/vectors"),
        root.join("../examples"),
        root.join("../../shared/corpus"),
    ];
    while let Some(dir) = walk.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
