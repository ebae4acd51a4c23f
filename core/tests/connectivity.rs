//! The connectivity matrix (computed per class of endpoints, with peer
//! matches from a table) agrees with `explain` (computed per flow, the
//! obvious way) on every cell, for every scenario, vector and example.

use std::path::Path;

use netpolkit::engine::{ConnectivityOptions, FlowQuery};
use netpolkit::{analyze, AnalyzeOptions};

fn check(file: &Path, options: &AnalyzeOptions) -> Result<usize, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let analysis = analyze(&text, options);
    let externals = vec![
        analysis.cluster.resolve("203.0.113.9").map_err(|e| e.to_string())?,
        analysis.cluster.resolve("api.example.com").map_err(|e| e.to_string())?,
    ];
    let matrix = analysis.connectivity(&ConnectivityOptions {
        externals,
        ..ConnectivityOptions::default()
    });
    let mut cells = 0;
    for (i, from) in matrix.endpoints.iter().enumerate() {
        for (j, to) in matrix.endpoints.iter().enumerate() {
            for (p, flow) in matrix.flows.iter().enumerate() {
                let query = FlowQuery {
                    from: from.clone(),
                    to: to.clone(),
                    port: format!("{}/{}", flow.port, flow.protocol.as_str()),
                };
                let explained = analysis
                    .explain(&query)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                if explained.allowed != matrix.is_allowed(i, j, p) {
                    return Err(format!(
                        "{}: {from} -> {to} {flow}: matrix says {}, explain says\n{}",
                        file.display(),
                        matrix.is_allowed(i, j, p),
                        explained.text(&analysis.lowered, &text)
                    ));
                }
                cells += 1;
            }
        }
    }
    Ok(cells)
}

#[test]
fn matrix_agrees_with_explain_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/scenarios", "tests/vectors", "../examples"] {
        for entry in std::fs::read_dir(root.join(dir)).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|e| e == "yaml") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    let mut cells = 0;
    let mut failures = Vec::new();
    for file in &files {
        for profile in ["cilium", "upstream", "azure-npm"] {
            let options = AnalyzeOptions {
                profile: netpolkit::profile::ProfileSettings {
                    kind: Some(profile.parse().expect("profile")),
                    ..Default::default()
                },
                ..Default::default()
            };
            match check(file, &options) {
                Ok(n) => cells += n,
                Err(e) => failures.push(format!("[{profile}] {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(cells > 1000, "only {cells} cells checked");
}
