//! What the fixture tests share: every `.yaml` file of a directory under
//! `core/tests/`, run one by one (`FIXTURE=name` picks files), failures
//! collected so one run shows them all; and the `# expect: CODE other`
//! markers written on the lines findings point at.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use netpolkit::{Code, Diagnostic, LineIndex};

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

/// A fixture file's result: every problem found in it, under its name.
pub fn outcome(file: &Path, problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", file.display(), problems.join("\n  ")))
    }
}

/// The codes `family` selects that no fixture of `core/tests/<dir>`
/// expects: each must have a positive case.
pub fn without_positive_case(dir: &str, family: impl Fn(&Code) -> bool) -> Vec<&'static str> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(dir);
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    let expected = expectations(&all);
    Code::ALL
        .iter()
        .filter(|c| family(c))
        .filter(|c| !expected.keys().any(|(_, code, _)| code == *c))
        .map(|c| c.id())
        .collect()
}

/// (line, code, other policy or "") → count.
pub type Expected = BTreeMap<(usize, Code, String), usize>;

/// The `# expect: NP501 deny-web, NP519` markers of a text: the code (id or
/// name) and, for findings about two places, the other's name.
pub fn expectations(text: &str) -> Expected {
    let mut expected = Expected::new();
    for (i, line) in text.lines().enumerate() {
        let Some((_, rest)) = line.split_once("# expect:") else {
            continue;
        };
        for item in rest.split(',') {
            let mut words = item.split_whitespace();
            let Some(code) = words.next() else { continue };
            let code = Code::parse(code).unwrap_or_else(|| panic!("line {}: unknown code `{code}`", i + 1));
            let other = words.next().unwrap_or("").to_owned();
            *expected.entry((i + 1, code, other)).or_default() += 1;
        }
    }
    expected
}

/// The other end's name, from a related location's message
/// (`NetworkPolicy shop/deny-web spec.ingress[0]` → `deny-web`).
pub fn other_policy(message: &str) -> String {
    let reference = message.split_whitespace().nth(1).unwrap_or("");
    reference.rsplit('/').next().unwrap_or("").to_owned()
}

/// Every difference between the markers of `text` and `found`, as lines
/// for a failure message. A finding without a named other end (or whose
/// marker names none) matches `# expect: CODE`.
pub fn compare(text: &str, found: &[Diagnostic]) -> Vec<String> {
    let expected = expectations(text);
    let index = LineIndex::new(text);
    let mut actual = Expected::new();
    let mut described: BTreeMap<(usize, Code, String), Vec<String>> = BTreeMap::new();
    for d in found {
        let line = index.line_col(text, d.span.start).line;
        let other = d.related.first().map(|r| other_policy(&r.message)).unwrap_or_default();
        let key = (line, d.code, other.clone());
        let bare = (line, d.code, String::new());
        let key = if !expected.contains_key(&key) && expected.contains_key(&bare) {
            bare
        } else {
            key
        };
        *actual.entry(key.clone()).or_default() += 1;
        described.entry(key).or_default().push(format!(
            "{} [{}] {} (other: {other})",
            d.path,
            d.code.name(),
            d.message
        ));
    }
    let mut problems = Vec::new();
    for (key, n) in &expected {
        let got = actual.get(key).copied().unwrap_or(0);
        if got != *n {
            problems.push(format!(
                "line {}: expected {n} × {} {} {}, got {got}",
                key.0,
                key.1.id(),
                key.1.name(),
                key.2
            ));
        }
    }
    for (key, n) in &actual {
        if !expected.contains_key(key) {
            for what in &described[key] {
                problems.push(format!("line {}: unexpected {} ({n}×): {what}", key.0, key.1.id()));
            }
        }
    }
    problems
}
