//! Fixture tests: every file in `tests/fixtures/` is a manifest stream whose
//! expected diagnostics are written on the lines they point at, as a
//! comment `# expect: NP101 NP206` (ids or names; `NP301@agent` or
//! `NP101@api` also checks who refuses it). A header line
//! `# options: cilium-version=1.19` sets the options. Every diagnostic must
//! be expected and every expectation met; each case cites the rule it
//! reproduces (cilium-semantics.md section or the Kubernetes function).
//!
//! Run one file: `FIXTURE=knp cargo test -p netpolkit --test fixtures`.

mod expect;

use std::collections::BTreeMap;
use std::path::Path;

use netpolkit::{CiliumVersion, Code, LineIndex, Options, RefusedBy};

fn options(text: &str) -> Options {
    let mut options = Options::default();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("# options:") else {
            continue;
        };
        for setting in rest.split_whitespace() {
            match setting.split_once('=') {
                Some(("cilium-version", v)) => {
                    options.cilium_version = v.parse::<CiliumVersion>().expect("fixture cilium-version")
                }
                _ => panic!("unknown fixture option `{setting}`"),
            }
        }
    }
    options
}

/// What a fixture expects: (line, code) → how many times, and for codes
/// written with a suffix, who must refuse them: `NP301@agent` (the Cilium
/// agent) or `NP101@api` (the API server).
#[derive(Default)]
struct Expected {
    count: BTreeMap<(usize, Code), usize>,
    refused_by: BTreeMap<(usize, Code), RefusedBy>,
}

fn expectations(text: &str) -> Expected {
    let mut expected = Expected::default();
    for (i, line) in text.lines().enumerate() {
        let Some((_, codes)) = line.split_once("# expect:") else {
            continue;
        };
        for word in codes.split_whitespace() {
            let (name, by) = match word.split_once('@') {
                Some((name, "agent")) => (name, Some(RefusedBy::CiliumAgent)),
                Some((name, "api")) => (name, Some(RefusedBy::ApiServer)),
                Some((_, other)) => panic!("line {}: unknown refuser `{other}`", i + 1),
                None => (word, None),
            };
            let code = Code::parse(name).unwrap_or_else(|| panic!("line {}: unknown code `{name}`", i + 1));
            *expected.count.entry((i + 1, code)).or_default() += 1;
            if let Some(by) = by {
                expected.refused_by.insert((i + 1, code), by);
            }
        }
    }
    expected
}

fn run(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let checked = netpolkit::check(&text, &options(&text));
    let index = LineIndex::new(&text);
    let expected = expectations(&text);
    let mut problems = Vec::new();
    let mut actual: BTreeMap<(usize, Code), usize> = BTreeMap::new();
    let mut described: BTreeMap<(usize, Code), Vec<String>> = BTreeMap::new();
    for d in &checked.diagnostics {
        let line = index.line_col(&text, d.span.start).line;
        if let Some(by) = expected.refused_by.get(&(line, d.code)) {
            if d.refused_by != Some(*by) {
                problems.push(format!(
                    "line {line}: {} should be refused by {by:?}, is {:?}",
                    d.code.id(),
                    d.refused_by
                ));
            }
        }
        *actual.entry((line, d.code)).or_default() += 1;
        described
            .entry((line, d.code))
            .or_default()
            .push(format!("{} [{}] {}", d.path, d.code.name(), d.message));
    }
    for (key, n) in &expected.count {
        let got = actual.get(key).copied().unwrap_or(0);
        if got != *n {
            problems.push(format!(
                "line {}: expected {} × {} {}, got {got}",
                key.0,
                n,
                key.1.id(),
                key.1.name()
            ));
        }
    }
    for (key, n) in &actual {
        if !expected.count.contains_key(key) {
            for what in &described[key] {
                problems.push(format!("line {}: unexpected {} ({n}×): {what}", key.0, key.1.id()));
            }
        }
    }
    expect::outcome(file, problems)
}

#[test]
fn fixtures() {
    expect::run_fixtures("fixtures", 1, run);
}
