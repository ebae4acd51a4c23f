//! Finding fixtures: every file in `tests/findings/` is a policy set (with a
//! `ClusterProfile` document where the profile matters) whose expected
//! precedence findings are written on the lines they point at, as
//! `# expect: NP501 deny-web` — the code (id or name) and, for findings
//! about two rules, the name of the other policy; several are separated by
//! commas. Every NP5xx finding must be expected and every expectation met,
//! so each file holds positive and negative cases; each case cites its
//! section of cilium-semantics.md. The inputs must validate without errors.
//!
//! Run one file: `FIXTURE=shadow cargo test -p netpolkit --test findings`.

mod expect;

use std::path::Path;

use netpolkit::{analyze, AnalyzeOptions, LineIndex, Severity};

fn run(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let analysis = analyze(&text, &AnalyzeOptions::default());
    let index = LineIndex::new(&text);
    let mut problems = Vec::new();
    for d in analysis
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
    {
        let line = index.line_col(&text, d.span.start).line;
        problems.push(format!("line {line}: input error {} {}", d.code.id(), d.message));
    }
    problems.extend(expect::compare(&text, &analysis.findings()));
    expect::outcome(file, problems)
}

#[test]
fn findings_fixtures() {
    expect::run_fixtures("findings", 8, run);
}

/// Every NP5xx code has a fixture that expects it.
#[test]
fn every_finding_code_has_a_positive_case() {
    let missing = expect::without_positive_case("findings", |c| c.id().starts_with("NP5"));
    assert!(missing.is_empty(), "no fixture expects {missing:?}");
}

/// The analysis runs on every example and corpus manifest without panicking,
/// and every finding points inside its text with a code of its family.
#[test]
fn findings_run_on_the_examples_and_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("examples"), root.join("../shared/corpus")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "examples and corpus not found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let analysis = analyze(&text, &AnalyzeOptions::default());
        for d in analysis.findings() {
            assert!(d.code.id().starts_with("NP5"), "{}: {}", file.display(), d.code.id());
            assert!(d.span.end <= text.len(), "{}: span out of the text", file.display());
            for r in &d.related {
                assert!(r.span.end <= text.len());
            }
        }
        let _ = analysis.summary();
    }
}
