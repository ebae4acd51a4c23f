//! Conversion between NetworkPolicy, CiliumNetworkPolicy and
//! CiliumClusterwideNetworkPolicy: the spellings cilium-semantics §1.8 and
//! §2.13 require, names and metadata, and equivalence on random policy sets.
//!
//! Equivalence is checked twice: by the conversion's own proof (generated
//! universe, `compare`), and here directly with the engine's connectivity
//! matrix over the scenario's workloads, so neither check vouches for
//! itself. `CONVERT_CASES=n` runs more cases, `CONVERT_SEED=n` another seed.

#[allow(dead_code)]
mod oracle;

use std::collections::BTreeMap;

use netpolkit::convert::{convert, Conversion, ConvertOptions, Target};
use netpolkit::engine::{ConnectivityOptions, Engine};
use netpolkit::{analyze, AnalyzeOptions, Code};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

fn to(target: Target, text: &str) -> Conversion {
    convert(
        text,
        &ConvertOptions {
            to: target,
            ..ConvertOptions::default()
        },
    )
}

/// The output without the provenance annotation lines, for comparing texts.
fn body(c: &Conversion) -> String {
    let mut out = String::new();
    let mut skip = false;
    for line in c.text.lines() {
        if line == "  annotations:" {
            skip = true;
            continue;
        }
        if skip && line.starts_with("    ") {
            continue;
        }
        skip = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn assert_clean(c: &Conversion) {
    assert!(!c.has_errors(), "{:#?}\n{}", c.diagnostics, c.text);
    assert!(
        c.checked.parsed.diagnostics.is_empty(),
        "the output does not validate clean: {:#?}\n{}",
        c.checked.parsed.diagnostics,
        c.text
    );
    assert!(!c.is_lossy(), "{:#?}", c.diagnostics);
}

/// §1.8: every row of the table, in one policy.
#[test]
fn knp_to_cnp_spells_what_section_1_8_requires() {
    let knp = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
  labels: {team: data}
  annotations: {owner: alice}
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: prom}}
    - namespaceSelector: {}
    - ipBlock: {cidr: 10.1.0.0/16, except: [10.1.2.0/24]}
    ports:
    - port: 5432
    - protocol: UDP
      port: 5000
      endPort: 5010
  - {}
"#;
    let c = to(Target::Cnp, knp);
    assert_clean(&c);
    let expected = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: db
  namespace: shop
  labels:
    team: data
spec:
  endpointSelector:
    matchLabels:
      app: db
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
    - matchLabels:
        app: prom
        io.cilium.k8s.namespace.labels.team: ops
    - matchExpressions:
      - key: io.kubernetes.pod.namespace
        operator: Exists
    toPorts:
    - ports:
      - port: "5432"
        protocol: TCP
      - port: "5000"
        endPort: 5010
        protocol: UDP
  - fromCIDRSet:
    - cidr: 10.1.0.0/16
      except:
      - 10.1.2.0/24
    toPorts:
    - ports:
      - port: "5432"
        protocol: TCP
      - port: "5000"
        endPort: 5010
        protocol: UDP
  - fromEntities:
    - all
  egress:
  - {}
"#;
    assert_eq!(body(&c), expected);
    // User labels and annotations are kept; the provenance is recorded.
    assert!(c.text.contains("    owner: alice\n"), "{}", c.text);
    assert!(
        c.text
            .contains("    netpolkit.dev/converted-from: NetworkPolicy shop/db\n"),
        "{}",
        c.text
    );
}

/// §1.5: a NetworkPolicy without rules puts its pods into ingress default
/// deny (policyTypes omitted), or both directions; in Cilium that is an
/// explicit empty rule (§2.14: `ingress: [{}]` selects nothing).
#[test]
fn default_deny_from_policy_types_is_an_explicit_empty_rule() {
    let knp = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\n\
               spec:\n  podSelector: {}\n";
    let c = to(Target::Cnp, knp);
    assert_clean(&c);
    assert!(
        body(&c).ends_with("spec:\n  endpointSelector: {}\n  ingress:\n  - {}\n"),
        "{}",
        c.text
    );
    let both = knp.replace(
        "podSelector: {}\n",
        "podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
    );
    let c = to(Target::Cnp, &both);
    assert!(
        body(&c).ends_with("  ingress:\n  - {}\n  egress:\n  - {}\n"),
        "{}",
        c.text
    );
    // Egress only: no ingress default deny.
    let egress = knp.replace("podSelector: {}\n", "podSelector: {}\n  policyTypes: [Egress]\n");
    let c = to(Target::Cnp, &egress);
    assert!(
        body(&c).ends_with("  endpointSelector: {}\n  egress:\n  - {}\n"),
        "{}",
        c.text
    );
}

/// §2.13: a clusterwide policy gets no namespace injected, so the subject and
/// the same-namespace peers are pinned to the policy's namespace in writing.
#[test]
fn knp_to_ccnp_pins_the_namespace() {
    let knp = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to:
    - podSelector: {matchLabels: {app: db}}
    - namespaceSelector: {matchLabels: {team: ops}}
"#;
    let c = to(Target::Ccnp, knp);
    assert_clean(&c);
    let expected = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: shop-web
spec:
  endpointSelector:
    matchLabels:
      app: web
      io.kubernetes.pod.namespace: shop
  ingress:
  - {}
  egress:
  - toEndpoints:
    - matchLabels:
        app: db
        io.kubernetes.pod.namespace: shop
    - matchLabels:
        io.cilium.k8s.namespace.labels.team: ops
"#;
    assert_eq!(body(&c), expected);
}

/// A policy without namespace is in `default` (where kubectl puts it and
/// where the engine reads it); the clusterwide output pins it there and
/// says so, as an NP404 at the metadata.
#[test]
fn a_policy_without_namespace_is_pinned_to_default_with_a_note() {
    let knp = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector: {matchLabels: {app: web}}
";
    let cnp = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress: [{}]
";
    for text in [knp, cnp] {
        let c = to(Target::Ccnp, text);
        assert_clean(&c);
        assert!(
            c.text.contains("      io.kubernetes.pod.namespace: default\n"),
            "{}",
            c.text
        );
        let notes: Vec<_> = c
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ConversionNote)
            .collect();
        assert_eq!(notes.len(), 1, "{:#?}", c.diagnostics);
        assert_eq!(notes[0].path, "metadata");
        assert_eq!(&text[notes[0].span.start..notes[0].span.start + 9], "metadata:");
        assert!(notes[0].message.contains("`default`"));
        // A namespaced target keeps it namespace-less, with nothing to say.
        let c = to(Target::Cnp, text);
        assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    }
}

const CNP: &str = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: web}
    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}
    - matchLabels: {reserved:host: ""}
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
  egress:
  - toServices:
    - k8sService: {serviceName: db}
  - toEntities: [world]
"#;

/// §2.13: CNP → CCNP writes out what Cilium injects; CCNP → CNP takes it back out.
#[test]
fn cnp_and_ccnp_round_trip() {
    let c = to(Target::Ccnp, CNP);
    assert_clean(&c);
    let expected = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: shop-api
spec:
  endpointSelector:
    matchLabels:
      app: api
      io.kubernetes.pod.namespace: shop
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
        io.kubernetes.pod.namespace: shop
    - matchLabels:
        "k8s:io.kubernetes.pod.namespace": ops
    - matchLabels:
        "reserved:host": ""
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
  egress:
  - toServices:
    - k8sService:
        serviceName: db
        namespace: shop
  - toEntities:
    - world
"#;
    assert_eq!(body(&c), expected);
    // And back: the same policy as the source (the service's namespace is now written).
    let back = to(Target::Cnp, &c.text);
    assert_clean(&back);
    let original = netpolkit::parse(CNP);
    let returned = netpolkit::parse(&back.text);
    let spec = |p: &netpolkit::Parsed| match &p.documents[0].manifest {
        netpolkit::Manifest::CiliumNetworkPolicy(p) => (p.metadata.name().map(str::to_owned), p.spec.clone()),
        other => panic!("{other:?}"),
    };
    let (name, returned_spec) = spec(&returned);
    assert_eq!(name.as_deref(), Some("api"));
    let (_, original_spec) = spec(&original);
    let strip = |s: Option<netpolkit::model::Spanned<netpolkit::model::Rule>>| {
        let mut s = s.unwrap().value;
        for r in s.egress.iter_mut().flat_map(|l| l.value.iter_mut()) {
            for svc in r.value.services.iter_mut().flat_map(|l| l.value.iter_mut()) {
                if let Some(k) = &mut svc.value.k8s_service {
                    k.value.namespace = None;
                }
            }
        }
        s
    };
    assert_eq!(strip(returned_spec), strip(original_spec));
}

/// A clusterwide policy goes to the namespaces its subject can select: the
/// input's, judged by namespace labels, or those it names.
#[test]
fn ccnp_to_cnp_spreads_over_the_namespaces_it_selects() {
    let text = r#"apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: c, labels: {env: dev}}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: prod-web}
spec:
  endpointSelector:
    matchLabels: {app: web, io.cilium.k8s.namespace.labels.env: prod}
  ingress:
  - fromEndpoints: [{matchLabels: {app: lb}}]
"#;
    let c = to(Target::Cnp, text);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    assert!(
        c.checked.parsed.diagnostics.is_empty(),
        "{:#?}",
        c.checked.parsed.diagnostics
    );
    // Exact for the namespaces there are; a namespace created later with
    // env=prod is covered by the clusterwide policy only: said, and proven.
    let loss = c.diagnostics.iter().find(|d| d.code == Code::NoEquivalent).unwrap();
    assert!(
        loss.message.contains("written for the namespaces a, b"),
        "{}",
        loss.message
    );
    let proof = c.proof.as_ref().unwrap();
    assert!(!proof.equivalent);
    assert!(
        proof
            .differences
            .iter()
            .all(|d| d.to.contains("netpolkit-ns") || d.from.contains("netpolkit-ns")),
        "{:#?}",
        proof.differences
    );
    let namespaces: Vec<_> = c
        .output()
        .iter()
        .map(|d| {
            d.manifest
                .metadata()
                .and_then(|m| m.namespace())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(namespaces, ["a", "b"]);
    // Peers of a clusterwide policy are pods of any namespace: written out.
    assert!(
        c.text
            .contains("  - fromEndpoints:\n    - matchLabels:\n        app: lb\n      matchExpressions:\n      - key: io.kubernetes.pod.namespace\n        operator: Exists\n"),
        "{}",
        c.text
    );
    // Without namespaces in the input: an error that says what to do.
    let alone = text.split("---\n").last().unwrap();
    let c = to(Target::Cnp, alone);
    let d = c.diagnostics.iter().find(|d| d.code == Code::NeedsNamespace).unwrap();
    assert!(d.hint.as_deref().unwrap().contains("--namespace"));
    assert!(c.has_errors());
    assert!(c.output().is_empty());
    // `--namespace` places it.
    let c = convert(
        alone,
        &ConvertOptions {
            to: Target::Cnp,
            namespace: Some("a,c".to_owned()),
            ..ConvertOptions::default()
        },
    );
    assert_eq!(c.output().len(), 2);
}

/// A host policy has no namespaced form: reported, never dropped silently.
#[test]
fn host_policies_stay_clusterwide() {
    let text = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: host}\nspec:\n  \
                nodeSelector: {}\n  ingress:\n  - fromEntities: [cluster]\n";
    let c = convert(
        text,
        &ConvertOptions {
            to: Target::Cnp,
            namespace: Some("a".to_owned()),
            ..ConvertOptions::default()
        },
    );
    let d = c.diagnostics.iter().find(|d| d.code == Code::NoEquivalent).unwrap();
    assert_eq!(d.path, "spec.nodeSelector");
    assert!(c.output().is_empty());
    // Strict makes the loss an error.
    let strict = convert(
        text,
        &ConvertOptions {
            to: Target::Cnp,
            namespace: Some("a".to_owned()),
            strict: true,
            ..ConvertOptions::default()
        },
    );
    assert!(strict.has_errors());
    // Without `--namespace` the loss is all there is to say: a host policy
    // selects nodes, so no namespace is missing (it said "selects pods in
    // any namespace", NP402, before).
    let bare = convert(
        text,
        &ConvertOptions {
            to: Target::Cnp,
            ..ConvertOptions::default()
        },
    );
    let codes: Vec<Code> = bare.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::NoEquivalent], "{:?}", bare.diagnostics);
    assert!(!bare.has_errors());
}

/// Policies already of the target kind are copied; policies with errors are
/// not converted and say so; names stay unique.
#[test]
fn copies_refuses_and_keeps_names_unique() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x-q, namespace: default}\n\
                spec: {podSelector: {}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                metadata: {name: q, namespace: default-x}\nspec: {podSelector: {}}\n---\n\
                apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: keep}\n\
                spec: {endpointSelector: {}, ingress: [{}]}\n---\napiVersion: networking.k8s.io/v1\n\
                kind: NetworkPolicy\nmetadata: {name: bad}\nspec: {podSelecter: {}}\n";
    let c = to(Target::Ccnp, text);
    let names: Vec<_> = c.output().iter().map(|d| d.name().unwrap_or("").to_owned()).collect();
    assert_eq!(names, ["default-x-q", "default-x-q-2", "keep"]);
    let refused = c
        .diagnostics
        .iter()
        .find(|d| d.message.contains("NetworkPolicy bad has errors"))
        .unwrap();
    assert_eq!(refused.severity, netpolkit::Severity::Error);
}

// --- equivalence on random policy sets ---------------------------------------

/// About 3.5 policies per case: over 10,000 policies per direction.
const CASES: u32 = 3000;
const SEED: u64 = 0x6e70_6b5f_636f_6e76;

/// The engine's verdicts for the scenario's own workloads, source against
/// output, keyed by (from, to, port).
fn matrix_differences(c: &Conversion) -> Vec<String> {
    let source = &c.source;
    let out = Engine::new(&source.profile, &c.checked.lowered, &source.cluster);
    let a = source.engine().connectivity(&ConnectivityOptions::default());
    let b = out.connectivity(&ConnectivityOptions {
        ports: a.flows.clone(),
        ..ConnectivityOptions::default()
    });
    let a = source.engine().connectivity(&ConnectivityOptions {
        ports: b.flows.clone(),
        ..ConnectivityOptions::default()
    });
    let index = |m: &netpolkit::engine::Connectivity| {
        let mut map = BTreeMap::new();
        for (i, from) in m.endpoints.iter().enumerate() {
            for (j, to) in m.endpoints.iter().enumerate() {
                for (p, port) in m.ports.iter().enumerate() {
                    map.insert((from.clone(), to.clone(), port.clone()), m.is_allowed(i, j, p));
                }
            }
        }
        map
    };
    let (a, b) = (index(&a), index(&b));
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|((f, t, p), v)| format!("{f} -> {t} {p}: source {v}"))
        .take(10)
        .collect()
}

/// The conversion checks its output as built; reading the emitted text
/// back must give the same documents (clean) and the same entries.
fn read_back(c: &Conversion) -> Result<(), String> {
    let again = analyze(&c.text, &AnalyzeOptions::default());
    let entries = |l: &netpolkit::ir::Lowered| l.entries.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    if !again.parsed.diagnostics.is_empty() {
        return Err(format!(
            "the output read back has diagnostics: {:#?}\n{}",
            again.parsed.diagnostics, c.text
        ));
    }
    if again.parsed.documents.len() != c.output().len() || entries(&again.lowered) != entries(&c.checked.lowered) {
        return Err(format!(
            "the output read back lowers differently from the output as built:\n{:#?}\n{:#?}\n{}",
            entries(&again.lowered),
            entries(&c.checked.lowered),
            c.text
        ));
    }
    Ok(())
}

fn check_case(text: &str, target: Target, policies: &mut usize) -> Result<(), String> {
    let c = to(target, text);
    *policies += c.source.lowered.policies.len();
    if c.has_errors() || !c.checked.parsed.diagnostics.is_empty() {
        return Err(format!(
            "conversion to {} failed: {:#?}\noutput diagnostics: {:#?}\n{}",
            target.as_str(),
            c.diagnostics,
            c.checked.parsed.diagnostics,
            c.text
        ));
    }
    read_back(&c)?;
    let differences = matrix_differences(&c);
    if !differences.is_empty() {
        return Err(format!(
            "{} flows of the input's workloads differ:\n{}\n--- output ---\n{}",
            target.as_str(),
            differences.join("\n"),
            c.text
        ));
    }
    match &c.proof {
        Some(p) if p.equivalent => Ok(()),
        Some(p) => Err(format!(
            "the proof finds {} differing flows, e.g. {:?}\n--- output ---\n{}",
            p.differing,
            p.differences.first(),
            c.text
        )),
        None => Err("no proof".to_owned()),
    }
}

/// Source → `via` → source kind again: no loss, and the same verdicts as
/// the original for the scenario's workloads (the final conversion's own
/// proof compares it with the intermediate form, so the chain is covered).
fn check_round_trip(text: &str, via: Target, back: Target, policies: &mut usize) -> Result<(), String> {
    let there = to(via, text);
    *policies += there.source.lowered.policies.len();
    let workloads: Vec<&str> = text
        .split("---\n")
        .filter(|d| !d.contains("kind: NetworkPolicy") && !d.contains("kind: Cilium"))
        .collect();
    let again = format!("{}---\n{}", there.text, workloads.join("---\n"));
    let c = to(back, &again);
    if c.has_errors() || c.is_lossy() {
        return Err(format!(
            "{} -> {} lost something: {:#?}\n--- via ---\n{}\n--- back ---\n{}",
            via.as_str(),
            back.as_str(),
            c.diagnostics,
            there.text,
            c.text
        ));
    }
    read_back(&there)?;
    read_back(&c)?;
    let original = to(back, text);
    let source = &original.source;
    let a = source.engine().connectivity(&ConnectivityOptions::default());
    let b = Engine::new(&source.profile, &c.checked.lowered, &source.cluster).connectivity(&ConnectivityOptions {
        ports: a.flows.clone(),
        ..ConnectivityOptions::default()
    });
    let a = source.engine().connectivity(&ConnectivityOptions {
        ports: b.flows.clone(),
        ..ConnectivityOptions::default()
    });
    if a.ports != b.ports || a.allowed != b.allowed {
        return Err(format!(
            "the round trip through {} changes verdicts\n--- via ---\n{}\n--- back ---\n{}",
            via.as_str(),
            there.text,
            c.text
        ));
    }
    Ok(())
}

fn run(name: &str, targets: &[Target]) {
    let cases = std::env::var("CONVERT_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    let seed = std::env::var("CONVERT_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(SEED);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 500,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let policies = std::cell::Cell::new(0usize);
    let result = runner.run(&oracle::generate::scenario(false), |s| {
        let rendered = s.render();
        let mut count = policies.get();
        for target in targets {
            match target {
                // CNP → CCNP and back, on CNPs converted from the scenario's policies.
                Target::Ccnp if targets.len() == 1 => {
                    let cnp = to(Target::Cnp, &rendered.yaml);
                    let workloads: Vec<&str> = rendered
                        .yaml
                        .split("---\n")
                        .filter(|d| !d.contains("kind: NetworkPolicy"))
                        .collect();
                    let text = format!("{}---\n{}", cnp.text, workloads.join("---\n"));
                    check_case(&text, Target::Ccnp, &mut count).map_err(TestCaseError::fail)?;
                    let mut ignored = 0;
                    check_round_trip(&text, Target::Ccnp, Target::Cnp, &mut ignored).map_err(TestCaseError::fail)?;
                }
                Target::Knp => check_round_trip(&rendered.yaml, Target::Cnp, Target::Knp, &mut count)
                    .map_err(TestCaseError::fail)?,
                other => check_case(&rendered.yaml, *other, &mut count).map_err(TestCaseError::fail)?,
            }
        }
        policies.set(count);
        Ok(())
    });
    match result {
        Ok(()) => {
            let per_direction = policies.get() / targets.len();
            println!("{name}: {cases} cases, {per_direction} policies converted per direction");
            if cases >= CASES {
                assert!(per_direction >= 10_000, "only {per_direction} policies per direction");
            }
        }
        Err(TestError::Fail(why, minimal)) => {
            panic!(
                "{name} failed (seed {seed}):\n{why}\n\nshrunk scenario:\n{}",
                minimal.render().yaml
            )
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// §1.8 and §2.13: random NetworkPolicy sets (every field, the traps of
/// §1.4–§1.6) convert to CNP and to CCNP with the same verdicts.
#[test]
fn knp_to_cilium_is_equivalent_on_random_policy_sets() {
    run("knp -> cnp, ccnp", &[Target::Cnp, Target::Ccnp]);
}

/// Round trip KNP → CNP → KNP: nothing lost, the same verdicts.
#[test]
fn knp_cnp_knp_round_trip_is_equivalent_on_random_policy_sets() {
    run("knp -> cnp -> knp", &[Target::Knp]);
}

/// §2.13: CNP → CCNP writes the injected namespaces out; CCNP → CNP takes
/// them back: the same verdicts both ways.
#[test]
fn cnp_ccnp_cnp_round_trip_is_equivalent_on_random_policy_sets() {
    run("cnp -> ccnp -> cnp", &[Target::Ccnp]);
}

/// Every vector, scenario, example and corpus file to every kind: the
/// output as built (what the proof and the diagnostics use) is what its
/// text reads back as.
#[test]
fn every_file_reads_back_as_built() {
    let files = oracle::every_manifest_file();
    assert!(files.len() > 100, "only {} files", files.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for target in [Target::Knp, Target::Cnp, Target::Ccnp] {
            let c = convert(
                &text,
                &ConvertOptions {
                    to: target,
                    ..ConvertOptions::default()
                },
            );
            // With diagnostics the output was read from its text already.
            if c.output().is_empty() || !c.checked.parsed.diagnostics.is_empty() {
                continue;
            }
            checked += 1;
            if let Err(why) = read_back(&c) {
                failures.push(format!("{} --to {}: {why}", file.display(), target.as_str()));
            }
        }
    }
    println!("{checked} conversions of {} files read back as built", files.len());
    assert!(checked > 200, "only {checked} conversions had output");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
