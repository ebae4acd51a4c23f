//! The AKS rewriter (issue 6): each fixture in `tests/migrate/rewrite/` is
//! rewritten and compared with its snapshot `<name>.rewritten.yaml`
//! (`NETPOLKIT_BLESS=1` writes the snapshots again), its proof is checked,
//! and the rewritten text must read back without errors.
//!
//! A fixture's first lines may say, as comments:
//! `# from: upstream` (default `azure-npm`), `# restored: yes` (the proof
//! finds no differing flow) or `# restored: no` (NP621 expected), and
//! `# np621: yes` for an NP621 beside an exact proof.

use std::path::{Path, PathBuf};

use netpolkit::migrate::{rewrite, MigrateOptions, Rewrite};
use netpolkit::profile::ProfileKind;
use netpolkit::{analyze, AnalyzeOptions, Code};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrate/rewrite");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && !p.file_name().unwrap().to_string_lossy().ends_with(".rewritten.yaml")
        })
        .collect();
    out.sort();
    out
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix('#')?.trim().strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

fn options(text: &str) -> MigrateOptions {
    MigrateOptions {
        from: header(text, "from").map_or(ProfileKind::AzureNpm, |f| f.parse().unwrap()),
        ..MigrateOptions::default()
    }
}

fn np621(r: &Rewrite) -> Vec<&netpolkit::Diagnostic> {
    r.diagnostics
        .iter()
        .filter(|d| d.code == Code::NotRestored && d.severity == netpolkit::Severity::Warning)
        .collect()
}

fn assert_reads_back(name: &str, r: &Rewrite, options: &MigrateOptions) {
    let read = analyze(
        &r.text,
        &AnalyzeOptions {
            profile: options.after(),
            lower_invalid: false,
        },
    );
    let errors: Vec<_> = read
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == netpolkit::Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: the rewritten text has errors: {errors:#?}\n{}",
        r.text
    );
}

#[test]
fn fixtures_rewrite_to_their_snapshots_with_their_proofs() {
    let bless = std::env::var_os("NETPOLKIT_BLESS").is_some();
    let mut failures = Vec::new();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 15, "fixtures missing");
    for path in fixtures {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let options = options(&text);
        let r = rewrite(&text, &options);
        println!(
            "{name}: {} edits, {} endpoints, {} flows, {} differing, {} NP620, {} NP621",
            r.edits.len(),
            r.proof.endpoints,
            r.proof.flows,
            r.proof.differing,
            r.diagnostics.iter().filter(|d| d.code == Code::RewriteProposed).count(),
            np621(&r).len()
        );
        let snapshot = path.with_file_name(format!("{name}.rewritten.yaml"));
        if bless {
            std::fs::write(&snapshot, &r.text).unwrap();
        } else {
            let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
            if expected != r.text {
                failures.push(format!("{name}: text differs from its snapshot:\n{}", r.text));
            }
        }
        assert_reads_back(&name, &r, &options);
        match header(&text, "restored") {
            Some("yes") => {
                if r.proof.differing != 0 {
                    failures.push(format!(
                        "{name}: {} flows differ: {:#?}",
                        r.proof.differing, r.proof.differences
                    ));
                }
                let expect_np621 = header(&text, "np621") == Some("yes");
                if np621(&r).is_empty() == expect_np621 {
                    failures.push(format!("{name}: NP621 expected {expect_np621}: {:#?}", np621(&r)));
                }
            }
            Some("no") => {
                if np621(&r).is_empty() {
                    failures.push(format!("{name}: NP621 expected"));
                }
            }
            other => failures.push(format!("{name}: header `restored` missing ({other:?})")),
        }
        // Every edit is explained where it applies.
        for e in &r.edits {
            assert!(!e.reason.is_empty(), "{name}: an edit without reason");
        }
        if !r.edits.is_empty() {
            assert!(
                r.diagnostics.iter().any(|d| d.code == Code::RewriteProposed),
                "{name}: edits without NP620"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Over the corpus files that use ipBlock: no panic, and a text that
/// reads back without errors whenever the original had none.
#[test]
fn corpus_with_ip_blocks_rewrites_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let corpus = if corpus.exists() {
        corpus
    } else {
        PathBuf::from("/work/shared/corpus")
    };
    if !corpus.exists() {
        eprintln!("no corpus at {}", corpus.display());
        return;
    }
    let mut files = Vec::new();
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut checked = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !text.contains("ipBlock") {
            continue;
        }
        for from in [ProfileKind::Upstream, ProfileKind::AzureNpm] {
            let options = MigrateOptions {
                from,
                ..MigrateOptions::default()
            };
            let original_errors = analyze(
                &text,
                &AnalyzeOptions {
                    profile: options.after(),
                    lower_invalid: false,
                },
            )
            .parsed
            .has_errors();
            let r = rewrite(&text, &options);
            if !original_errors {
                assert_reads_back(&path.display().to_string(), &r, &options);
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no corpus file with ipBlock");
}

/// The proof can fail: without the rewrite, the FAQ's policy loses flows
/// under aks that the rewrite then restores.
#[test]
fn the_faq_policy_breaks_without_the_rewrite() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrate/rewrite/faq-upstream.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let options = options(&text);
    let migration = netpolkit::migrate::migrate(&text, &options);
    assert!(migration.breaking.differing > 0, "{:#?}", migration.breaking);
    assert_eq!(migration.rewrite.proof.differing, 0);
}
