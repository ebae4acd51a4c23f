//! Cilium's CRD schemas as an independent oracle for netpolkit's reading of
//! CiliumNetworkPolicy (CNP) and CiliumClusterwideNetworkPolicy (CCNP).
//!
//! `../shared/crds/` holds the CustomResourceDefinitions Cilium installs
//! (1.20-dev, and the v1.19 branch point). Their OpenAPI schemas say what the
//! API server accepts. A small validator ([`openapi`], written from the
//! Kubernetes semantics, not from netpolkit) judges documents with them, with
//! strict field validation; netpolkit judges the same documents with the
//! matching `CiliumVersion`. They agree when
//!
//! > the CRD rejects the document ⇔ netpolkit reports an error with a
//! > structural code ([`oracle::STRUCTURAL_CODES`]).
//!
//! Checked on: every CNP/CCNP of the public corpus (and the corpus README's
//! verdicts); a minimal document for every field of the rule schema, and an
//! unknown key next to each; every enum value and a near miss; values around
//! every limit and odd strings for every pattern, format and free string;
//! the envelope and YAML-only rules (duplicate keys); and seeded random
//! mutations of the corpus documents ([`mutate`]).
//!
//! Disagreements that are known (netpolkit bugs, or rules reported with a code
//! on the wrong side of the structural line) are listed with a reproduction
//! each in [`oracle::KNOWN_DISAGREEMENTS`]; anything else fails, printing each
//! kind of disagreement once with a document and both verdicts.
//!
//! `--nocapture` shows the counts and the allow-list. For a deeper mutation
//! run: `CRD_ORACLE_CASES=20000 CRD_ORACLE_SEED=7 cargo test -p netpolkit-tests --test crd mutated`.

#[path = "crd/coverage.rs"]
mod coverage;
#[path = "crd/mutate.rs"]
mod mutate;
#[path = "crd/openapi.rs"]
mod openapi;
#[path = "crd/oracle.rs"]
mod oracle;

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use coverage::{document_with, minimal, near_miss, rule_paths};
use mutate::{mutate, Dice, Mutation};
use openapi::{cel_rules, formats, keywords, CHECKED_FORMATS, ENFORCED, IGNORED_FORMATS, NO_EFFECT, SPEC_OR_SPECS};
use oracle::{
    corpus_policies, is_structural, judge, judge_yaml, releases, without_indexes, Release, Stricter, Verdict,
    KNOWN_DISAGREEMENTS,
};

/// Problems found by a test, grouped by kind: each kind is shown once, with
/// its count and its first example.
#[derive(Default)]
struct Findings(BTreeMap<String, (usize, String)>);

impl Findings {
    fn add(&mut self, kind: String, example: String) {
        self.0.entry(kind).or_insert((0, example)).0 += 1;
    }

    /// A disagreement, filed under [`signature`].
    fn disagreement(&mut self, name: &str, release: &Release, document: &str, verdict: &Verdict) {
        self.add(signature(verdict), disagreement(name, release, document, verdict));
    }

    /// Fails listing every kind of problem, or passes when there is none.
    fn assert_none(self, what: &str) {
        if self.0.is_empty() {
            return;
        }
        let total: usize = self.0.values().map(|(n, _)| n).sum();
        let mut text = format!("{total} {what}, {} kinds:\n", self.0.len());
        for (kind, (count, _)) in &self.0 {
            text.push_str(&format!("  {count:>5}× {kind}\n"));
        }
        text.push_str("\nfirst example of each kind:\n");
        for (kind, (_, example)) in self.0.iter().take(60) {
            text.push_str(&format!("\n##### {kind}\n{example}\n"));
        }
        panic!("{text}");
    }
}

/// The kind of a disagreement: the stricter side and the index-free places
/// it complains about (with netpolkit's non-structural codes there, if any).
fn signature(verdict: &Verdict) -> String {
    let mut items: Vec<String> = if verdict.netpolkit_rejects() {
        verdict
            .netpolkit
            .iter()
            .filter(|d| is_structural(d))
            .map(|d| format!("netpolkit {} at {}", d.code.id(), digest_path(&d.path)))
            .collect()
    } else {
        verdict
            .crd
            .iter()
            .map(|v| {
                let instead: Vec<&str> = verdict
                    .netpolkit
                    .iter()
                    .filter(|d| d.path == v.path)
                    .map(|d| d.code.id())
                    .collect();
                let message = v.message.split([':', '"']).next().unwrap_or("").trim();
                format!(
                    "CRD `{message}` at {} (netpolkit: {})",
                    digest_path(&v.path),
                    if instead.is_empty() {
                        "-".to_owned()
                    } else {
                        instead.join(",")
                    }
                )
            })
            .collect()
    };
    items.sort();
    items.dedup();
    items.join("; ")
}

/// `specs[2].egressDeny[0].toCIDRSet[1].cidr` → `spec.*[].*CIDRSet[].cidr`:
/// one name for the same field in every rule list and direction.
fn digest_path(path: &str) -> String {
    let path = without_indexes(path);
    let path = path.strip_prefix("specs[]").map(|p| format!("spec{p}")).unwrap_or(path);
    let rules = regex::Regex::new(r"\b(ingressDeny|egressDeny|ingress|egress)\[\]").unwrap();
    let peers = regex::Regex::new(r"\b(from|to)(Endpoints|CIDRSet|CIDR|Entities|Groups|Nodes|Requires)\b").unwrap();
    peers.replace_all(&rules.replace_all(&path, "*[]"), "*$2").into_owned()
}

/// A failure message for a disagreement: which document, what both said.
fn disagreement(name: &str, release: &Release, document: &str, verdict: &Verdict) -> String {
    format!(
        "=== {name} [Cilium {}]: netpolkit and the CRD disagree\n--- document\n{document}\n--- verdicts\n{}",
        release.label,
        verdict.explain()
    )
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON")
}

// --- the validator and the schemas ------------------------------------------

#[test]
fn schemas_use_only_what_the_validator_understands() {
    for release in releases() {
        for crd in [&release.cnp, &release.ccnp] {
            let file = crd.file.display();
            for keyword in keywords(&crd.schema) {
                assert!(
                    ENFORCED.contains(&keyword.as_str()) || NO_EFFECT.contains(&keyword.as_str()),
                    "{file}: schema keyword `{keyword}` is unknown to the oracle's validator; teach it"
                );
            }
            for format in formats(&crd.schema) {
                assert!(
                    CHECKED_FORMATS.contains(&format.as_str()) || IGNORED_FORMATS.contains(&format.as_str()),
                    "{file}: format `{format}` is unknown to the oracle's validator"
                );
            }
            let expected: Vec<String> = if release.label == "1.19" {
                vec![]
            } else {
                vec![SPEC_OR_SPECS.to_owned()]
            };
            assert_eq!(cel_rules(&crd.schema), expected, "{file}: CEL rules");
            assert_eq!(crd.api_version, "cilium.io/v2");
        }
        // The README: both kinds share the rule schema.
        assert_eq!(
            release.cnp.schema["properties"]["spec"],
            release.ccnp.schema["properties"]["spec"]
        );
        assert_eq!(
            release.cnp.schema["properties"]["specs"],
            release.ccnp.schema["properties"]["specs"]
        );
    }
}

/// Facts about the CRDs that the validator must reproduce, written by hand
/// from the schemas (so a validator bug cannot hide behind netpolkit).
#[test]
fn validator_knows_the_crd_semantics() {
    let rule = |rule: Value| json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "p"}, "spec": rule});
    let port_rule = |ports: Value| rule(json!({"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": ports}]}]}));
    let icmp = |field: Value| rule(json!({"endpointSelector": {}, "ingress": [{"icmps": [{"fields": [field]}]}]}));
    let valid = |doc: &Value, release: &Release| release.cnp.check(doc).is_empty();
    let [newest, v119] = [&releases()[0], &releases()[1]];
    let cases: Vec<(&str, Value, bool, bool)> = vec![
        // (what, document, valid on 1.20-dev, valid on 1.19)
        (
            "minimal",
            rule(json!({"endpointSelector": {}, "ingress": []})),
            true,
            true,
        ),
        ("no selector", rule(json!({"ingress": []})), false, false),
        (
            "both selectors",
            rule(json!({"endpointSelector": {}, "nodeSelector": {}, "ingress": []})),
            false,
            false,
        ),
        ("no rule list", rule(json!({"endpointSelector": {}})), false, false),
        (
            "null list is pruned",
            rule(json!({"endpointSelector": {}, "ingress": null})),
            false,
            false,
        ),
        (
            "unknown field",
            rule(json!({"endpointSelector": {}, "ingress": [], "podSelector": {}})),
            false,
            false,
        ),
        ("port as integer", port_rule(json!([{"port": 80}])), false, false),
        (
            "port 99999 passes the loose pattern",
            port_rule(json!([{"port": "99999"}])),
            true,
            true,
        ),
        ("port named", port_rule(json!([{"port": "http-8080"}])), true, true),
        ("port empty", port_rule(json!([{"port": ""}])), false, false),
        (
            "endPort 65536",
            port_rule(json!([{"port": "80", "endPort": 65536}])),
            false,
            false,
        ),
        (
            "endPort as string",
            port_rule(json!([{"port": "80", "endPort": "90"}])),
            false,
            false,
        ),
        ("protocol GRE", port_rule(json!([{"protocol": "GRE"}])), true, false),
        ("protocol tcp", port_rule(json!([{"protocol": "tcp"}])), false, false),
        (
            "40 ports",
            port_rule(json!(vec![json!({"port": "80"}); 40])),
            true,
            true,
        ),
        (
            "41 ports",
            port_rule(json!(vec![json!({"port": "80"}); 41])),
            false,
            false,
        ),
        (
            "CIDR with a leading zero (Go's ParseCIDR)",
            rule(json!({"endpointSelector": {}, "egress": [{"toCIDR": ["010.0.0.0/8"]}]})),
            false,
            false,
        ),
        (
            "IPv6 CIDR",
            rule(json!({"endpointSelector": {}, "egress": [{"toCIDR": ["fd00::/8"]}]})),
            true,
            true,
        ),
        ("ICMP type 8", icmp(json!({"type": 8})), true, true),
        (
            "ICMP type 300 (pattern skips integers)",
            icmp(json!({"type": 300})),
            true,
            true,
        ),
        ("ICMP type \"8\"", icmp(json!({"type": "8"})), true, true),
        (
            "ICMP type ExtendedEchoReply (pattern typo)",
            icmp(json!({"type": "ExtendedEchoReply"})),
            false,
            false,
        ),
        ("ICMP type list", icmp(json!({"type": [8]})), false, false),
        (
            "ICMP family null defaults",
            icmp(json!({"type": 8, "family": null})),
            true,
            true,
        ),
        ("ICMP without type", icmp(json!({"family": "IPv4"})), false, false),
        (
            "label value with a space",
            rule(json!({"endpointSelector": {"matchLabels": {"app": "a b"}}, "ingress": []})),
            false,
            false,
        ),
        (
            "label value 64 chars",
            rule(json!({"endpointSelector": {"matchLabels": {"app": "a".repeat(64)}}, "ingress": []})),
            false,
            false,
        ),
        (
            "matchLabels null value is pruned",
            rule(json!({"endpointSelector": {"matchLabels": {"app": null}}, "ingress": []})),
            true,
            true,
        ),
        (
            "CIDR without prefix",
            rule(json!({"endpointSelector": {}, "egress": [{"toCIDR": ["10.0.0.1"]}]})),
            false,
            false,
        ),
        (
            "CIDR set with two members",
            rule(
                json!({"endpointSelector": {}, "egress": [{"toCIDRSet": [{"cidr": "10.0.0.0/8", "cidrGroupRef": "g"}]}]}),
            ),
            false,
            false,
        ),
        (
            "log value with a format character",
            rule(json!({"endpointSelector": {}, "ingress": [], "log": {"value": "a\u{200b}b"}})),
            false,
            false,
        ),
        (
            "serverNames empty",
            rule(json!({"endpointSelector": {}, "egress": [{"toPorts": [{"serverNames": []}]}]})),
            false,
            false,
        ),
        (
            "serverNames duplicate (list-type set)",
            rule(json!({"endpointSelector": {}, "egress": [{"toPorts": [{"serverNames": ["a.b", "a.b"]}]}]})),
            false,
            false,
        ),
        (
            "serverNames a*b (1.20 pattern only)",
            rule(json!({"endpointSelector": {}, "egress": [{"toPorts": [{"serverNames": ["a*b"]}]}]})),
            true,
            false,
        ),
        (
            "rules empty (oneOf holds for no branch)",
            rule(json!({"endpointSelector": {}, "egress": [{"toPorts": [{"rules": {}}]}]})),
            false,
            false,
        ),
        (
            "kafka rules",
            rule(json!({"endpointSelector": {}, "egress": [{"toPorts": [{"rules": {"kafka": []}}]}]})),
            false,
            true,
        ),
        (
            "fromRequires with an item",
            rule(json!({"endpointSelector": {}, "ingress": [{"fromRequires": ["x"]}]})),
            false,
            false,
        ),
        (
            "listener priority 101",
            rule(
                json!({"endpointSelector": {}, "egress": [{"toPorts": [{"listener": {"envoyConfig": {"name": "e"}, "name": "l", "priority": 101}}]}]}),
            ),
            false,
            false,
        ),
        (
            "cidrGroupRef upper case",
            rule(json!({"endpointSelector": {}, "egress": [{"toCIDRSet": [{"cidrGroupRef": "Group"}]}]})),
            false,
            false,
        ),
    ];
    let mut findings = Findings::default();
    for (what, doc, on_newest, on_119) in &cases {
        for (release, expected) in [(newest, on_newest), (v119, on_119)] {
            if valid(doc, release) != *expected {
                findings.add(
                    format!("{what} [{}]", release.label),
                    format!(
                        "expected {}, validator says {:?}\n{}",
                        if *expected { "valid" } else { "invalid" },
                        release.cnp.check(doc),
                        pretty(doc)
                    ),
                );
            }
        }
    }
    // The envelope.
    let base = rule(json!({"endpointSelector": {}, "ingress": []}));
    let mut no_spec = base.clone();
    no_spec.as_object_mut().unwrap().remove("spec");
    assert!(!valid(&no_spec, newest), "the 1.20 CEL rule wants spec or specs");
    assert!(valid(&no_spec, v119), "1.19 has no CEL rule");
    let mut no_name = base.clone();
    no_name["metadata"] = json!({});
    assert!(!valid(&no_name, newest), "ObjectMeta needs a name");
    let mut top_level = base.clone();
    top_level["description"] = json!("x");
    assert!(!valid(&top_level, newest), "unknown top-level field");
    findings.assert_none("validator self-test failures");
}

// --- the corpus ---------------------------------------------------------------

/// The corpus README's verdicts: which documents fail which CRD.
#[test]
fn corpus_crd_verdicts_match_the_corpus_readme() {
    let expected_invalid: &[(&str, &[&str])] = &[
        ("cilium-examples/auth/auth.yaml", &["1.20-dev", "1.19"]),
        ("cilium-examples/l3/requires/requires.yaml", &["1.20-dev", "1.19"]),
        ("cilium-examples/host/allow-extended-protocols.yaml", &["1.19"]),
        (
            "cilium-minikube/historical/malformed_policy.yaml",
            &["1.20-dev", "1.19"],
        ),
    ];
    let docs = corpus_policies();
    assert_eq!(docs.len(), 59, "the corpus README lists 49 CNP and 10 CCNP documents");
    let mut findings = Findings::default();
    for doc in docs {
        for release in releases() {
            let expected = expected_invalid
                .iter()
                .any(|(file, rels)| doc.file == *file && rels.contains(&release.label));
            let verdict = doc.judge(release);
            if verdict.crd_rejects() != expected {
                findings.add(
                    format!("{} [{}]", doc.name(), release.label),
                    format!(
                        "README says {}, the CRD validator says\n{}",
                        if expected { "invalid" } else { "valid" },
                        verdict.explain()
                    ),
                );
            }
            if expected && !verdict.netpolkit_rejects() {
                findings.disagreement(&doc.name(), release, &doc.text, &verdict);
            }
        }
    }
    findings.assert_none("corpus verdicts differ from the README");
}

/// Every corpus document, strictly (the allow-list does not apply here).
#[test]
fn corpus_netpolkit_agrees_with_the_crds() {
    let mut findings = Findings::default();
    for doc in corpus_policies() {
        for release in releases() {
            let verdict = doc.judge(release);
            if !verdict.agrees() {
                findings.disagreement(&doc.name(), release, &doc.text, &verdict);
            }
        }
    }
    findings.assert_none("corpus documents judged differently");
}

/// What JSON mutations cannot express (duplicate keys) and the envelope
/// around the rules: both sides judge these YAML documents alike.
#[test]
fn envelope_and_yaml_level_rules_agree() {
    const HEAD: &str = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n";
    const META: &str = "metadata:\n  name: p\n  namespace: default\n";
    const SPEC: &str = "spec:\n  endpointSelector: {}\n  ingress: []\n";
    let cases: Vec<(&str, String, [bool; 2])> = vec![
        // (what, document, [valid on 1.20-dev, valid on 1.19])
        ("minimal", format!("{HEAD}{META}{SPEC}"), [true, true]),
        (
            "duplicate key in spec",
            format!("{HEAD}{META}{SPEC}  ingress: []\n"),
            [false, false],
        ),
        (
            "duplicate key in matchLabels",
            format!("{HEAD}{META}spec:\n  endpointSelector:\n    matchLabels: {{a: x, a: y}}\n  ingress: []\n"),
            [false, false],
        ),
        (
            "spec: null (the 1.20 CEL rule)",
            format!("{HEAD}{META}spec: null\n"),
            [false, true],
        ),
        ("no spec", format!("{HEAD}{META}"), [false, true]),
        ("specs: []", format!("{HEAD}{META}specs: []\n"), [true, true]),
        (
            "spec and specs",
            format!("{HEAD}{META}{SPEC}specs:\n- endpointSelector: {{}}\n  egress: []\n"),
            [true, true],
        ),
        (
            "top-level description",
            format!("{HEAD}{META}{SPEC}description: x\n"),
            [false, false],
        ),
        (
            "metadata as a string",
            format!("{HEAD}metadata: p\n{SPEC}"),
            [false, false],
        ),
        ("no metadata", format!("{HEAD}{SPEC}"), [false, false]),
        (
            "no name",
            format!("{HEAD}metadata:\n  namespace: default\n{SPEC}"),
            [false, false],
        ),
        ("status", format!("{HEAD}{META}{SPEC}status: {{}}\n"), [true, true]),
        (
            "apiVersion v2alpha1",
            format!("apiVersion: cilium.io/v2alpha1\nkind: CiliumNetworkPolicy\n{META}{SPEC}"),
            [false, false],
        ),
        (
            "kind as a list",
            format!("apiVersion: cilium.io/v2\nkind: [x]\n{META}{SPEC}"),
            [false, false],
        ),
    ];
    let mut findings = Findings::default();
    for (what, text, valid) in &cases {
        for (release, valid) in releases().iter().zip(valid) {
            let verdict = judge_yaml(release, text);
            if verdict.crd_rejects() == *valid {
                findings.add(format!("TEST BUG: {what} [{}]", release.label), verdict.explain());
            } else if verdict.known_disagreement().is_none() {
                findings.disagreement(what, release, text, &verdict);
            }
        }
    }
    findings.assert_none("envelope documents judged differently");
}

// --- field coverage ------------------------------------------------------------

/// Every field of the rule schema, in a minimal CRD-valid document: netpolkit
/// knows it (no NP101) and, like the CRD, finds nothing structural wrong.
#[test]
fn every_crd_field_is_known_to_netpolkit() {
    let mut findings = Findings::default();
    let mut covered = 0;
    for release in releases() {
        for crd in [&release.cnp, &release.ccnp] {
            for (path, schema) in rule_paths(crd) {
                if !path.reachable {
                    continue;
                }
                covered += 1;
                let doc = document_with(crd, &path, minimal(crd, schema));
                let verdict = judge(release, &doc);
                let name = format!("{} field {}", crd.kind, path.render());
                if verdict.crd_rejects() {
                    findings.add(
                        format!("TEST BUG: minimal document is CRD-invalid: {name}"),
                        format!("{}\n{}", pretty(&doc), verdict.explain()),
                    );
                } else if verdict.netpolkit.iter().any(|d| d.code.id() == "NP101") {
                    findings.add(
                        format!("netpolkit does not know {}", digest_path(&path.concrete())),
                        disagreement(&name, release, &pretty(&doc), &verdict),
                    );
                } else if verdict.known_disagreement().is_none() {
                    findings.disagreement(&name, release, &pretty(&doc), &verdict);
                }
            }
        }
    }
    eprintln!("field coverage: {covered} schema paths (both kinds, both releases)");
    findings.assert_none("schema fields judged differently");
}

/// An unknown key next to the fields of every object of the schema (and at
/// the top level): both refuse it, at the same path.
#[test]
fn unknown_keys_are_refused_by_both() {
    const KEY: &str = "xUnknownField";
    let mut findings = Findings::default();
    let mut objects = 0;
    for release in releases() {
        for crd in [&release.cnp, &release.ccnp] {
            let mut targets: Vec<(String, Value)> = Vec::new();
            for (path, schema) in rule_paths(crd) {
                if !path.reachable || schema.get("properties").is_none() {
                    continue;
                }
                let mut leaf = minimal(crd, schema);
                leaf[KEY] = json!("x");
                targets.push((format!("{}.{KEY}", path.concrete()), document_with(crd, &path, leaf)));
            }
            let spec_path = &rule_paths(crd)[0].0;
            let mut top = document_with(crd, spec_path, minimal(crd, crd.rule_schema()));
            top[KEY] = json!("x");
            targets.push((KEY.to_owned(), top));
            for (at, doc) in targets {
                objects += 1;
                let verdict = judge(release, &doc);
                let crd_says = verdict
                    .crd
                    .iter()
                    .any(|v| v.path == at && v.message.starts_with("unknown field"));
                let np_says = verdict.netpolkit.iter().any(|d| d.code.id() == "NP101" && d.path == at);
                if !crd_says || verdict.crd.len() != 1 {
                    findings.add(
                        format!("TEST BUG: expected exactly the unknown field from the CRD at {at}"),
                        verdict.explain(),
                    );
                }
                if !np_says {
                    let name = format!("{} unknown key at {at}", crd.kind);
                    findings.add(
                        format!("netpolkit misses an unknown key at {}", digest_path(&at)),
                        disagreement(&name, release, &pretty(&doc), &verdict),
                    );
                }
            }
        }
    }
    eprintln!("unknown-key injection: {objects} objects");
    findings.assert_none("unknown keys not refused at their path");
}

/// Every enum of the schema: each value is accepted by both, its case-flipped
/// near miss refused by both (netpolkit at the value's path).
#[test]
fn enums_match_what_netpolkit_accepts() {
    let mut findings = Findings::default();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for release in releases() {
        let crd = &release.cnp;
        for (path, schema) in rule_paths(crd) {
            let Some(values) = schema.get("enum").and_then(Value::as_array) else {
                continue;
            };
            let field = path.render().rsplit('.').next().unwrap_or("").to_owned();
            for value in values {
                let word = value.as_str().expect("string enums");
                seen.entry(format!("{} {field}", release.label))
                    .or_default()
                    .push(word.to_owned());
                for (candidate, valid) in [(word.to_owned(), true), (near_miss(word), false)] {
                    let name = format!("enum {} = {candidate:?}", path.render());
                    check_probe(release, &path, json!(candidate), Some(valid), &name, &mut findings);
                }
            }
        }
    }
    for (field, values) in &seen {
        let mut v = values.clone();
        v.sort();
        v.dedup();
        eprintln!("enum {field}: {}", v.join(" "));
    }
    findings.assert_none("enum values judged differently");
}

/// Judges a minimal document whose node at `path` holds `leaf`: the CRD
/// verdict must be `expect_valid` (when given; otherwise the test is wrong),
/// and netpolkit must agree, on the whole document and at `path` itself.
fn check_probe(
    release: &Release,
    path: &coverage::SchemaPath,
    leaf: Value,
    expect_valid: Option<bool>,
    name: &str,
    findings: &mut Findings,
) {
    let crd = &release.cnp;
    let doc = document_with(crd, path, leaf);
    let verdict = judge(release, &doc);
    if expect_valid.is_some_and(|valid| valid == verdict.crd_rejects()) {
        findings.add(
            format!("TEST BUG: unexpected CRD verdict for {name} [{}]", release.label),
            format!("{}\n{}", pretty(&doc), verdict.explain()),
        );
        return;
    }
    let name = format!("{name} (at {})", path.concrete());
    let here = verdict.only_at(&path.concrete());
    if verdict.known_disagreement().is_none() {
        findings.disagreement(&name, release, &pretty(&doc), &verdict);
    } else if here.known_disagreement().is_none() {
        // Both refuse the document, but not for the same reason at this path.
        findings.add(
            format!("{} (at the probed path)", signature(&here)),
            disagreement(&name, release, &pretty(&doc), &verdict),
        );
    }
}

/// Values around every limit of the schema, and odd strings wherever a
/// pattern, a format or nothing at all applies.
fn probes(crd: &oracle::Crd, schema: &Value) -> Vec<(Value, Option<bool>)> {
    let int = |key: &str| schema.get(key).and_then(Value::as_i64);
    let mut out: Vec<(Value, Option<bool>)> = Vec::new();
    if schema.get("enum").is_some() {
        return out; // enums_match_what_netpolkit_accepts
    }
    let int_or_string = schema.get("x-kubernetes-int-or-string").is_some();
    match schema.get("type").and_then(Value::as_str) {
        _ if int_or_string => {
            out.extend([-1, 0, 255, 256].map(|n| (json!(n), Some(true))));
            out.extend(mutate::ODD_STRINGS.iter().map(|s| (json!(s), None)));
        }
        Some("string") => {
            let free = ["pattern", "format", "maxLength", "minLength"]
                .iter()
                .all(|k| schema.get(*k).is_none());
            out.extend(mutate::ODD_STRINGS.iter().map(|s| (json!(s), free.then_some(true))));
            if let Some(n) = int("maxLength") {
                out.push((json!("a".repeat(n as usize)), None));
                out.push((json!("a".repeat(n as usize + 1)), Some(false)));
            }
            if int("minLength").is_some_and(|n| n > 0) {
                out.push((json!(""), Some(false)));
            }
        }
        Some("integer") => match (int("minimum"), int("maximum")) {
            (None, None) => out.extend([-1i64, 0, 2147483648].map(|n| (json!(n), None))),
            (min, max) => {
                for (bound, inside, outside) in [(min, 0, -1), (max, 0, 1)] {
                    if let Some(b) = bound {
                        out.push((json!(b + inside), Some(true)));
                        out.push((json!(b + outside), Some(false)));
                    }
                }
            }
        },
        Some("array") => {
            let item = minimal(crd, &schema["items"]);
            if let Some(n) = int("maxItems") {
                out.push((json!(vec![item.clone(); n as usize]), Some(true)));
                out.push((json!(vec![item; n as usize + 1]), Some(false)));
            }
            if int("minItems").is_some_and(|n| n > 0) {
                out.push((json!([]), Some(false)));
            }
        }
        _ => {}
    }
    out
}

/// Every limit, pattern and format of the rule schema (and odd values for
/// free strings): judged alike, at the value's own path.
#[test]
fn constraints_match_what_netpolkit_accepts() {
    let mut findings = Findings::default();
    let mut count = 0;
    for release in releases() {
        let crd = &release.cnp;
        for (path, schema) in rule_paths(crd) {
            if !path.reachable {
                continue;
            }
            for (leaf, expect) in probes(crd, schema) {
                count += 1;
                let name = format!("{} = {}", path.render(), short(&leaf));
                check_probe(release, &path, leaf, expect, &name, &mut findings);
            }
        }
    }
    eprintln!("constraint probes: {count}");
    findings.assert_none("constraint probes judged differently");
}

/// A value for a test name, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 50 {
        format!(
            "{}…({} chars)",
            text.chars().take(20).collect::<String>(),
            text.chars().count()
        )
    } else {
        text
    }
}

// --- mutations ---------------------------------------------------------------

const MUTATION_CASES: u32 = 2000;
const MUTATION_SEED: [u8; 32] = *b"netpolkit crd oracle mutations!!";

/// Seeded random structural mutations of the CRD-valid corpus documents:
/// the CRD rejects the mutant exactly when netpolkit reports a structural error.
#[test]
fn mutated_corpus_documents_are_judged_alike() {
    let docs: Vec<_> = corpus_policies().iter().collect();
    // For deeper local runs: CRD_ORACLE_CASES=20000 CRD_ORACLE_SEED=7 cargo test ...
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("CRD_ORACLE_CASES").map_or(MUTATION_CASES, |n| n as u32);
    let mut seed = MUTATION_SEED;
    if let Some(n) = env("CRD_ORACLE_SEED") {
        seed[..8].copy_from_slice(&n.to_le_bytes());
    }
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = (0..docs.len(), 0..Mutation::ALL.len(), any::<u64>());
    #[derive(Default)]
    struct Tally {
        judged: usize,
        crd_invalid: usize,
        by_mutation: BTreeMap<Mutation, usize>,
        known: BTreeMap<&'static str, usize>,
        unexplained: Findings,
    }
    let tally = RefCell::new(Tally::default());
    runner
        .run(&strategy, |(d, m, seed)| {
            let doc = docs[d];
            for release in releases() {
                if doc.judge(release).crd_rejects() {
                    continue; // only CRD-valid documents are mutated
                }
                let crd = release.crd(&doc.kind).expect("Cilium kind");
                // Same seed for both releases. A mutation with no place in this
                // document (no serverNames to empty...) gives way to another
                // kind, drawn from the same seed.
                let mut dice = Dice::new(seed);
                let mut kinds = Mutation::ALL.to_vec();
                let mut kind = m;
                let found = loop {
                    if kinds.is_empty() {
                        break None;
                    }
                    let mutation = kinds.remove(kind % kinds.len());
                    if let Some(x) = mutate(crd, &doc.json, mutation, &mut dice) {
                        break Some((mutation, x));
                    }
                    kind = dice.below(usize::MAX);
                };
                let Some((mutation, mutated)) = found else { continue };
                let verdict = judge(release, &mutated.document);
                let mut t = tally.borrow_mut();
                t.judged += 1;
                t.crd_invalid += usize::from(verdict.crd_rejects());
                *t.by_mutation.entry(mutation).or_default() += 1;
                match verdict.known_disagreement() {
                    Some(ids) => {
                        for id in ids {
                            *t.known.entry(id).or_default() += 1;
                        }
                    }
                    None => {
                        let name = format!("{} mutated ({mutation:?}): {}", doc.name(), mutated.what);
                        t.unexplained
                            .disagreement(&name, release, &pretty(&mutated.document), &verdict);
                    }
                }
            }
            Ok(())
        })
        .expect("the mutation runner never fails a case itself");
    let t = tally.into_inner();
    eprintln!(
        "mutations: {cases} cases, {} judged mutants ({} CRD-invalid), per kind {:?}",
        t.judged, t.crd_invalid, t.by_mutation
    );
    eprintln!("known disagreements hit: {:?}", t.known);
    for mutation in Mutation::ALL {
        assert!(t.by_mutation.contains_key(&mutation), "{mutation:?} was never applied");
    }
    assert!(
        t.crd_invalid > t.judged / 4 && t.crd_invalid < t.judged,
        "mutants should be mostly, not all, invalid"
    );
    t.unexplained
        .assert_none("mutants judged differently by netpolkit and the CRD");
}

// --- the allow-list -------------------------------------------------------------

/// Each known disagreement still happens (else the core was fixed: remove the
/// entry), and is explained by its own entry.
#[test]
fn known_disagreements_still_reproduce() {
    let mut findings = Findings::default();
    for known in KNOWN_DISAGREEMENTS {
        eprintln!(
            "allow-list {} ({:?} stricter): {}",
            known.id,
            known.stricter,
            known.why.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for release in releases().iter().filter(|r| known.releases.contains(&r.label)) {
            let verdict = judge_yaml(release, known.repro);
            eprintln!("  [{}] {}", release.label, verdict.explain().replace('\n', "\n    "));
            let expected_side = match known.stricter {
                Stricter::Netpolkit => !verdict.crd_rejects() && verdict.netpolkit_rejects(),
                Stricter::Crd => verdict.crd_rejects() && !verdict.netpolkit_rejects(),
            };
            let explained = verdict.known_disagreement().is_some_and(|ids| ids.contains(&known.id));
            if !expected_side || !explained {
                findings.add(
                    format!(
                        "allow-list entry `{}` [{}] no longer reproduces as described: fixed? remove it",
                        known.id, release.label
                    ),
                    format!("{}\n{}", known.repro, verdict.explain()),
                );
            }
        }
    }
    findings.assert_none("stale allow-list entries");
}

/// ClusterNetworkPolicy → CiliumClusterwideNetworkPolicy / CiliumNetworkPolicy
/// (`netpolkit convert`, cilium-semantics §3.5): every converted document,
/// alone, passes the CRD schema and netpolkit's own check, at both releases.
#[test]
fn converted_cluster_network_policies_pass_the_crds() {
    use netpolkit::convert::{convert, ConvertOptions, Target};
    let input = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: every-peer, labels: {team: net}, annotations: {owner: alice}}
spec:
  tier: Admin
  priority: 10
  subject:
    pods:
      namespaceSelector: {matchLabels: {team: shop}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [api, web]}]}
  ingress:
  - name: from-ops
    action: Accept
    from:
    - namespaces: {matchLabels: {team: ops}}
    - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: prom}}}
    protocols:
    - tcp: {destinationPort: {number: 8080}}
    - destinationNamedPort: metrics
  - name: no-dev
    action: Deny
    from:
    - namespaces: {matchLabels: {team: dev}}
  - name: pass
    action: Pass
    from:
    - namespaces: {}
  egress:
  - name: out
    action: Accept
    to:
    - nodes: {matchLabels: {pool: a}}
    - networks: [10.0.0.0/8, "fd00::/8"]
    protocols:
    - udp: {destinationPort: {range: {start: 1000, end: 2000}}}
    - sctp: {destinationPort: {number: 9}}
  - name: names
    action: Accept
    to:
    - domainNames: [example.com, "*.example.org"]
  - name: deny-all
    action: Deny
    to:
    - namespaces: {}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 0
  subject:
    namespaces: {}
  egress:
  - name: deny
    action: Deny
    to:
    - networks: [192.0.2.0/24]
"#;
    let mut findings = Findings::default();
    let mut judged = 0;
    for target in [Target::Ccnp, Target::Cnp] {
        let options = ConvertOptions {
            to: target,
            namespace: Some("shop".to_owned()),
            ..ConvertOptions::default()
        };
        let c = convert(input, &options);
        assert!(!c.output().is_empty(), "nothing converted to {}", target.as_str());
        for document in c.output() {
            let text = netpolkit::emit::emit(&[document], netpolkit::emit::Format::Yaml);
            for release in releases() {
                let verdict = judge_yaml(release, &text);
                judged += 1;
                if verdict.crd_rejects() || verdict.netpolkit_rejects() {
                    findings.add(
                        format!("converted to {} [{}]", target.as_str(), release.label),
                        format!("{text}\n{}", verdict.explain()),
                    );
                }
            }
        }
    }
    findings.assert_none("converted documents refused");
    assert!(judged >= 8, "only {judged} documents judged");
}
