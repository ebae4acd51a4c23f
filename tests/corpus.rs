//! The public corpus (`../shared/corpus`, see its README): every file reads,
//! every document is found, the valid ones validate clean, the known-invalid
//! ones yield their expected diagnostics (snapshots), and every document
//! survives parse → emit → parse unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netpolkit::emit::{self, Format};
use netpolkit::{CiliumVersion, Code, Kind, LineIndex, Options, Severity};
use netpolkit_tests::{files_under, shared};

fn corpus() -> Vec<(String, String)> {
    let root = shared().join("corpus");
    let files = files_under(&root, &["yaml", "yml", "json"]);
    assert!(files.len() >= 97, "corpus not found at {}", root.display());
    files
        .into_iter()
        .map(|p: PathBuf| {
            let name = p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            (
                name,
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
        })
        .collect()
}

/// Files the corpus README lists as rejected, per Cilium version.
fn known_invalid(version: CiliumVersion) -> Vec<&'static str> {
    let mut files = vec![
        "cilium-examples/auth/auth.yaml",
        "cilium-examples/l3/requires/requires.yaml",
        "cilium-minikube/historical/malformed_policy.yaml",
    ];
    if version < CiliumVersion::new(1, 20) {
        files.push("cilium-examples/host/allow-extended-protocols.yaml");
    }
    files.sort();
    files
}

#[test]
fn every_document_is_found_with_its_kind() {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (name, text) in corpus() {
        let parsed = netpolkit::parse(&text);
        assert!(
            !parsed.diagnostics.iter().any(|d| d.code == Code::YamlSyntax),
            "{name}: syntax error {:?}",
            parsed.diagnostics
        );
        for doc in &parsed.documents {
            let key = match doc.model_kind() {
                Some(k) if k.is_policy() => k.name().to_owned(),
                _ => "other".to_owned(),
            };
            *kinds.entry(key).or_default() += 1;
        }
    }
    // Counts from the corpus README: 37 KNP, 49 CNP, 10 CCNP, 13 other documents.
    assert_eq!(kinds.get(Kind::NetworkPolicy.name()), Some(&37));
    assert_eq!(kinds.get(Kind::CiliumNetworkPolicy.name()), Some(&49));
    assert_eq!(kinds.get(Kind::CiliumClusterwideNetworkPolicy.name()), Some(&10));
    assert_eq!(kinds.get("other"), Some(&13));
}

#[test]
fn valid_files_validate_clean_and_known_invalid_ones_do_not() {
    for version in [CiliumVersion::NEWEST, CiliumVersion::new(1, 19)] {
        let options = Options {
            cilium_version: version,
        };
        let mut with_errors = Vec::new();
        for (name, text) in corpus() {
            let checked = netpolkit::check(&text, &options);
            if checked.diagnostics.iter().any(|d| d.severity == Severity::Error) {
                with_errors.push(name);
            }
        }
        with_errors.sort();
        assert_eq!(
            with_errors,
            known_invalid(version),
            "files with errors under Cilium {version}"
        );
    }
}

/// One line per diagnostic: where, what, and the hint.
fn render(name: &str, text: &str, options: &Options) -> String {
    let checked = netpolkit::check(text, options);
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in &checked.diagnostics {
        let at = index.line_col(text, d.span.start);
        out.push_str(&format!(
            "{name}:{}:{} {} {} {} [{}] {}\n",
            at.line,
            at.column,
            d.severity.as_str(),
            d.code.id(),
            d.code.name(),
            d.path,
            d.message
        ));
        if let Some(hint) = &d.hint {
            out.push_str(&format!("    hint: {hint}\n"));
        }
    }
    out
}

#[test]
fn diagnostics_snapshot() {
    let mut all = String::new();
    for version in [CiliumVersion::NEWEST, CiliumVersion::new(1, 19)] {
        all.push_str(&format!("== Cilium {version}\n"));
        let options = Options {
            cilium_version: version,
        };
        for (name, text) in corpus() {
            all.push_str(&render(&name, &text, &options));
        }
    }
    insta::with_settings!({ snapshot_path => Path::new("snapshots"), prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("corpus_diagnostics", all);
    });
}

#[test]
fn every_document_round_trips() {
    for (name, text) in corpus() {
        let first = netpolkit::parse(&text);
        let yaml = emit::render(&emit::formatted(&text, &first), Format::Yaml);
        let second = netpolkit::parse(&yaml);
        assert_eq!(
            first.documents.len(),
            second.documents.len(),
            "{name}: document count after emit\n{yaml}"
        );
        for (a, b) in first.documents.iter().zip(&second.documents) {
            assert_eq!(
                a.manifest, b.manifest,
                "{name}: document {} changed by emit\n{yaml}",
                a.index
            );
        }
        // Formatting is idempotent.
        let again = emit::render(&emit::formatted(&yaml, &second), Format::Yaml);
        assert_eq!(yaml, again, "{name}: fmt is not idempotent");
        // And JSON carries the same manifests.
        if !first.has_errors() {
            let json = emit::render(&emit::formatted(&text, &first), Format::Json);
            let from_json = netpolkit::parse(&json);
            let manifests: Vec<_> = from_json.documents.iter().map(|d| &d.manifest).collect();
            let expected: Vec<_> = first.documents.iter().map(|d| &d.manifest).collect();
            assert_eq!(manifests, expected, "{name}: JSON round trip");
        }
    }
}
