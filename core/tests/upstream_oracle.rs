//! An independent oracle for the engine's NetworkPolicy verdicts.
//!
//! **What it is.** `oracle/reference.rs` is a deliberately simple, slow and
//! literal evaluator of upstream Kubernetes NetworkPolicy semantics, written
//! from the Kubernetes documentation (the networking.k8s.io/v1 NetworkPolicy
//! API reference and the "Network Policies" concept page). It shares nothing
//! with netpolkit but the parsed model (`netpolkit::parse`): no lowering, no
//! IR entries, no engine, no selector or CIDR code. `oracle/generate.rs`
//! makes small random clusters (namespaces, labelled pods with named ports,
//! nodes, host-network pods, outside addresses) with random NetworkPolicies
//! using every field, as seeded proptest strategies, so a failure shrinks to
//! a small manifest.
//!
//! Two properties, over every (source, destination, port) among all pods,
//! nodes and outside addresses and every port the policies mention (range
//! ends and their neighbours, named ports resolved per pod) plus a control
//! port, in TCP and UDP:
//!
//! 1. `upstream_engine_matches_reference`: under `ProfileKind::Upstream`,
//!    `Analysis::explain` and `Analysis::connectivity` agree with each other
//!    and with the reference.
//! 2. `cilium_engine_differs_only_where_the_spec_says`: under
//!    `ProfileKind::Cilium` (stock newest: local-cluster on, no
//!    policy-cidr-match-mode), the engine equals the reference with exactly
//!    the departures cilium-semantics.md documents switched on: (a) ipBlock
//!    never matches pod or node addresses (§3.6), (b) ingress from the pod's
//!    own node is allowed while isolated (§3.1 item 4), (c) rules are enforced
//!    whatever `policyTypes` says, which only adds default deny (§1.5); (d)
//!    the identity label filter (§3.7) cannot matter, as pods only carry the
//!    plain keys app, tier, role and team. Every flow where the engine departs
//!    from upstream is attributed to the smallest set of these reasons that
//!    explains it (counts are printed with `--nocapture`).
//!
//! In the upstream property, pod selectors also use the keys
//! `io.kubernetes.pod.namespace` and `io.cilium.k8s.policy.serviceaccount`:
//! ordinary label keys to Kubernetes (no generated pod carries them), but
//! identity labels Cilium synthesises. The Cilium property uses only the
//! plain keys, since the reference does not model Cilium's identity labels.
//!
//! A failure prints the generated YAML, the flow, the engine's explanation
//! and the reference's verdict with its reasoning (for Cilium, the upstream
//! verdict too and which reason sets would explain the engine), then the
//! shrunk scenario.
//!
//! **What it is not.** Not a model of any real dataplane beyond the rules
//! above: no Services or DNAT, no reply traffic, no SCTP or ICMP, no IPv6, no
//! workload templates, no CiliumNetworkPolicy or ClusterNetworkPolicy, no
//! L7, no AKS or Azure NPM profile, no non-default Cilium flags. It only
//! generates objects the API server accepts (the test fails if netpolkit
//! reports an error in them). Where the documentation is silent or
//! undefined it avoids the case: host-network pods have no container ports
//! (named ports on them are undefined), and host-network pods follow the
//! concept page's "most common implementation" (never selected; matched,
//! like their node, only by ipBlock or an empty from/to). The concept
//! page's two stated exceptions (a pod cannot block access to itself;
//! ingress from the pod's own node is always allowed) are NOT part of the
//! properties, which use the rules netpolkit's upstream profile is
//! specified with; `upstream_profile_leaves_out_the_concept_page_exceptions`
//! pins that decision.
//!
//! **Findings.** The `finding_*` tests are the minimal reproductions of
//! what the properties found (and the engine now gets right), each with the
//! expected verdicts and where the rule is written: selectors that select
//! nodes or outside addresses under upstream, node identities carrying
//! labels without node selector labels, and pod selectors on label keys
//! Cilium derives itself.
//!
//! Run: `cargo test -p netpolkit --test upstream_oracle -- --nocapture`;
//! `ORACLE_CASES=5000` runs more cases, `ORACLE_SEED=n` another seed.

#[allow(dead_code)]
mod oracle;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Instant;

use netpolkit::engine::{ConnectivityOptions, FlowQuery};
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::{analyze, Analysis, AnalyzeOptions};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use oracle::generate::{scenario, Scenario};
use oracle::reference::{Cluster, Flow, Proto, Semantics, Verdict};

const CASES: u32 = 1000;
const SEED: u64 = 0x6e70_6b69_745f_6f72;

fn analyze_as(kind: ProfileKind, text: &str) -> Analysis {
    analyze(
        text,
        &AnalyzeOptions {
            profile: ProfileSettings {
                kind: Some(kind),
                ..ProfileSettings::default()
            },
            ..AnalyzeOptions::default()
        },
    )
}

fn engine_flow(f: Flow) -> netpolkit::engine::Flow {
    netpolkit::engine::Flow {
        protocol: match f.proto {
            Proto::Tcp => netpolkit::ir::Proto::Tcp,
            Proto::Udp => netpolkit::ir::Proto::Udp,
            Proto::Sctp => netpolkit::ir::Proto::Sctp,
        },
        port: f.port,
    }
}

#[derive(Default)]
struct Stats {
    cases: usize,
    flows: usize,
    allowed: usize,
    /// Flows where the engine departs from the upstream reference, by the
    /// smallest set of Cilium reasons that explains them.
    departures: BTreeMap<String, usize>,
}

/// The Cilium reasons, alone and combined, smallest sets first.
fn reason_sets() -> Vec<(String, Semantics)> {
    let mut sets = Vec::new();
    for bits in 1u8..8 {
        let sem = Semantics {
            cidr_outside_only: bits & 1 != 0,
            host_allow: bits & 2 != 0,
            cilium_policy_types: bits & 4 != 0,
            documented_exceptions: false,
        };
        let label: Vec<&str> = [(1, "a"), (2, "b"), (4, "c")]
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, l)| *l)
            .collect();
        sets.push((label.join("+"), sem));
    }
    sets.sort_by_key(|(l, _)| (l.len(), l.clone()));
    sets
}

/// One disagreement, as text.
fn mismatch(what: &str, flow_text: &str, engine: &str, reference: &[(String, &Verdict)], extra: &str) -> String {
    let mut s = format!("{what}\nflow: {flow_text}\nengine says:\n{engine}");
    for (label, v) in reference {
        s.push_str(&format!("reference ({label}) says: {v}\n"));
    }
    s.push_str(extra);
    s
}

/// Checks one scenario under `kind`; Err carries the report of the first
/// disagreements.
fn check(s: &Scenario, kind: ProfileKind, stats: &mut Stats) -> Result<(), String> {
    let rendered = s.render();
    let text = &rendered.yaml;
    let analysis = analyze_as(kind, text);
    if analysis.parsed.has_errors() {
        let errors: Vec<String> = analysis
            .parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == netpolkit::Severity::Error)
            .map(|d| format!("{} {} at {}: {}", d.code.id(), d.code.name(), d.path, d.message))
            .collect();
        return Err(format!(
            "netpolkit reports errors in a generated manifest (the API server accepts it):\n{}\n--- YAML ---\n{text}",
            errors.join("\n")
        ));
    }
    let parsed = netpolkit::parse(text);
    let cluster = Cluster::from_documents(&parsed.documents, &rendered.externals);
    if cluster.policies.len() != s.policies.len() {
        return Err(format!(
            "the model has {} NetworkPolicies, {} were written\n{text}",
            cluster.policies.len(),
            s.policies.len()
        ));
    }
    let semantics = match kind {
        ProfileKind::Upstream => Semantics::UPSTREAM,
        _ => Semantics::CILIUM,
    };
    let matrix = analysis.connectivity(&ConnectivityOptions {
        externals: rendered
            .externals
            .iter()
            .map(|ip| netpolkit::cluster::Endpoint::external(Some(*ip), None))
            .collect(),
        ports: rendered.flows.iter().map(|f| engine_flow(*f)).collect(),
        without_nodes: false,
    });
    let row = |name: &str| matrix.endpoints.iter().position(|e| e == name);
    let column: Vec<Option<usize>> = rendered
        .flows
        .iter()
        .map(|f| matrix.flows.iter().position(|m| *m == engine_flow(*f)))
        .collect();
    let reasons = reason_sets();

    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0usize;
    for src in &cluster.endpoints {
        for dst in &cluster.endpoints {
            for (k, flow) in rendered.flows.iter().enumerate() {
                stats.flows += 1;
                let query = FlowQuery {
                    from: src.name.clone(),
                    to: dst.name.clone(),
                    port: flow.to_string(),
                };
                let explanation = match analysis.explain(&query) {
                    Ok(e) => e,
                    Err(e) => {
                        failed += 1;
                        failures.push(format!("explain refused {} -> {} {flow}: {e}", src.name, dst.name));
                        continue;
                    }
                };
                let expected = cluster.verdict(semantics, src, dst, *flow);
                if explanation.allowed {
                    stats.allowed += 1;
                }
                let in_matrix = match (row(&src.name), row(&dst.name), column[k]) {
                    (Some(i), Some(j), Some(p)) => Some(matrix.is_allowed(i, j, p)),
                    _ => None,
                };
                if in_matrix != Some(explanation.allowed) {
                    failed += 1;
                    failures.push(mismatch(
                        &format!(
                            "connectivity says {in_matrix:?} (None: missing from the matrix), explain says {}",
                            explanation.allowed
                        ),
                        &format!("{} -> {} {flow}", src.name, dst.name),
                        &explanation.text(&analysis.lowered, text),
                        &[(semantics.reasons(), &expected)],
                        "",
                    ));
                    continue;
                }
                if kind != ProfileKind::Upstream {
                    let upstream = cluster.verdict(Semantics::UPSTREAM, src, dst, *flow);
                    if explanation.allowed == upstream.allowed && explanation.allowed == expected.allowed {
                        continue;
                    }
                    // The reason sets (smallest first) that give the engine's verdict.
                    let explaining: Vec<&str> = reasons
                        .iter()
                        .filter(|(_, sem)| cluster.verdict(*sem, src, dst, *flow).allowed == explanation.allowed)
                        .map(|(l, _)| l.as_str())
                        .collect();
                    if explanation.allowed != upstream.allowed {
                        let label = explaining.first().map_or("unexplained", |l| l);
                        *stats.departures.entry(label.to_owned()).or_default() += 1;
                    }
                    if explanation.allowed != expected.allowed {
                        failed += 1;
                        let extra = if explanation.allowed == upstream.allowed {
                            "the engine keeps the upstream verdict where Cilium's documented rules change it\n"
                                .to_owned()
                        } else {
                            format!(
                                "the engine departs from upstream; reason sets that would give its verdict: {}\n",
                                if explaining.is_empty() {
                                    "none (unexplained)".to_owned()
                                } else {
                                    explaining.join(", ")
                                }
                            )
                        };
                        failures.push(mismatch(
                            "engine (cilium) disagrees with the reference with Cilium's documented departures",
                            &format!("{} -> {} {flow}", src.name, dst.name),
                            &explanation.text(&analysis.lowered, text),
                            &[("upstream".to_owned(), &upstream), (semantics.reasons(), &expected)],
                            &extra,
                        ));
                    }
                } else if explanation.allowed != expected.allowed {
                    failed += 1;
                    failures.push(mismatch(
                        "engine (upstream) disagrees with the reference",
                        &format!("{} -> {} {flow}", src.name, dst.name),
                        &explanation.text(&analysis.lowered, text),
                        &[(semantics.reasons(), &expected)],
                        "",
                    ));
                }
            }
        }
    }
    stats.cases += 1;
    if failed == 0 {
        return Ok(());
    }
    let shown: Vec<String> = failures.into_iter().take(3).collect();
    Err(format!(
        "{failed} of {} flows disagree; the first {}:\n\n{}\n--- YAML ({kind}) ---\n{text}",
        cluster.endpoints.len().pow(2) * rendered.flows.len(),
        shown.len(),
        shown.join("\n"),
    ))
}

fn run_property(name: &str, kind: ProfileKind) {
    let cases = std::env::var("ORACLE_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(SEED);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let started = Instant::now();
    let stats = RefCell::new(Stats::default());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&scenario(kind == ProfileKind::Upstream), |s| {
        check(&s, kind, &mut stats.borrow_mut()).map_err(TestCaseError::fail)
    });
    let stats = stats.into_inner();
    match result {
        Ok(()) => {
            println!(
                "{name}: {} cases, {} flows ({} allowed) in {:.1?}",
                stats.cases,
                stats.flows,
                stats.allowed,
                started.elapsed()
            );
            if kind != ProfileKind::Upstream {
                println!(
                    "{name}: flows where the engine departs from upstream, by the smallest set of reasons explaining them: {:?}",
                    stats.departures
                );
            }
        }
        Err(TestError::Fail(why, minimal)) => {
            panic!("{name} failed (seed {seed}):\n{why}\n\nshrunk scenario: {minimal:#?}")
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn upstream_engine_matches_reference() {
    run_property("upstream", ProfileKind::Upstream);
}

#[test]
fn cilium_engine_differs_only_where_the_spec_says() {
    run_property("cilium", ProfileKind::Cilium);
}

/// The concept page's example policy (`test-network-policy`), with the
/// outcomes the page lists for it: the reference must reproduce them, and
/// the engine too.
#[test]
fn concept_page_example() {
    let text = r#"apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {project: myproject}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: default, labels: {role: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: frontend, namespace: default, labels: {role: frontend}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {role: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.12}
---
apiVersion: v1
kind: Pod
metadata: {name: stranger, namespace: default, labels: {role: stranger}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.13}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 5978
"#;
    let externals: Vec<std::net::IpAddr> = ["172.17.0.5", "172.17.1.5", "172.17.2.5", "10.0.0.5"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let parsed = netpolkit::parse(text);
    let cluster = Cluster::from_documents(&parsed.documents, &externals);
    // The page's egress target 10.0.0.0/24 lies in the AKS default service
    // range, where an address stands for no pod; this cluster's services
    // live in the kubeadm default range instead.
    let analysis = analyze(
        text,
        &AnalyzeOptions {
            profile: ProfileSettings {
                kind: Some(ProfileKind::Upstream),
                service_cidrs: Some(vec!["10.96.0.0/12".parse().unwrap()]),
                ..ProfileSettings::default()
            },
            ..AnalyzeOptions::default()
        },
    );
    assert!(!analysis.parsed.has_errors(), "{:?}", analysis.parsed.diagnostics);
    let cases = [
        ("default/frontend", "default/db", 6379, Proto::Tcp, true),
        ("other/client", "default/db", 6379, Proto::Tcp, true),
        ("172.17.0.5", "default/db", 6379, Proto::Tcp, true),
        ("172.17.2.5", "default/db", 6379, Proto::Tcp, true),
        ("172.17.1.5", "default/db", 6379, Proto::Tcp, false),
        ("default/stranger", "default/db", 6379, Proto::Tcp, false),
        ("default/frontend", "default/db", 6380, Proto::Tcp, false),
        ("default/frontend", "default/db", 6379, Proto::Udp, false),
        ("default/db", "10.0.0.5", 5978, Proto::Tcp, true),
        ("default/db", "10.0.0.5", 5979, Proto::Tcp, false),
        ("default/db", "default/frontend", 5978, Proto::Tcp, false),
        ("default/frontend", "default/stranger", 80, Proto::Tcp, true),
    ];
    for (from, to, port, proto, allowed) in cases {
        let flow = Flow { proto, port };
        let (src, dst) = (cluster.endpoint(from).unwrap(), cluster.endpoint(to).unwrap());
        let v = cluster.verdict(Semantics::UPSTREAM, src, dst, flow);
        assert_eq!(v.allowed, allowed, "reference: {from} -> {to} {flow}: {v}");
        let e = analysis
            .explain(&FlowQuery {
                from: from.to_owned(),
                to: to.to_owned(),
                port: flow.to_string(),
            })
            .unwrap();
        assert_eq!(e.allowed, allowed, "engine: {}", e.text(&analysis.lowered, text));
    }
}

/// The concept page states two exceptions the properties leave out:
/// "a pod cannot block access to itself" and "When a pod is isolated for
/// ingress, the only allowed connections into the pod are those from the
/// pod's node and those allowed by the ingress list". netpolkit's upstream
/// profile is the API's rules alone, by decision (issue 3 counts the host
/// allow among the ways Cilium differs from upstream, §3.1 item 4): it
/// denies both flows below, where the reference with the exceptions allows
/// them, and the cilium profile allows the node's flow by its host allow.
/// README.md ("Profiles") says so to users.
#[test]
fn upstream_profile_leaves_out_the_concept_page_exceptions() {
    let text = r#"apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.224.0.4}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: n1, containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.10}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"#;
    let parsed = netpolkit::parse(text);
    let cluster = Cluster::from_documents(&parsed.documents, &[]);
    let analysis = analyze_as(ProfileKind::Upstream, text);
    let documented = Semantics {
        documented_exceptions: true,
        ..Semantics::UPSTREAM
    };
    let flow = Flow {
        proto: Proto::Tcp,
        port: 8080,
    };
    let cilium = analyze_as(ProfileKind::Cilium, text);
    for (from, to, cilium_allows) in [("node/n1", "shop/db", true), ("shop/db", "shop/db", false)] {
        let (src, dst) = (cluster.endpoint(from).unwrap(), cluster.endpoint(to).unwrap());
        let v = cluster.verdict(documented, src, dst, flow);
        assert!(v.allowed, "reference with the page's exceptions: {v}");
        let query = FlowQuery {
            from: from.to_owned(),
            to: to.to_owned(),
            port: flow.to_string(),
        };
        let e = analysis.explain(&query).unwrap();
        assert!(!e.allowed, "upstream: {}", e.text(&analysis.lowered, text));
        let e = cilium.explain(&query).unwrap();
        assert_eq!(e.allowed, cilium_allows, "cilium: {}", e.text(&cilium.lowered, text));
    }
}

/// One expected verdict, where the rule behind it is written, and whether
/// the reference evaluator models the case (it does not model Cilium's
/// synthesised identity labels).
struct Expect {
    kind: ProfileKind,
    flow: (&'static str, &'static str, &'static str),
    allowed: bool,
    source: &'static str,
    reference: bool,
}

fn check_expectations(text: &str, externals: &[&str], expectations: &[Expect]) {
    let externals: Vec<std::net::IpAddr> = externals.iter().map(|s| s.parse().unwrap()).collect();
    let parsed = netpolkit::parse(text);
    let cluster = Cluster::from_documents(&parsed.documents, &externals);
    let mut failures = Vec::new();
    for e in expectations {
        let analysis = analyze_as(e.kind, text);
        assert!(!analysis.parsed.has_errors(), "{:?}", analysis.parsed.diagnostics);
        let (from, to, port) = e.flow;
        let word = |b: bool| if b { "ALLOW" } else { "DENY" };
        if e.reference {
            let (proto, number) = match port.split_once('/') {
                Some((n, "UDP")) => (Proto::Udp, n),
                Some((n, _)) => (Proto::Tcp, n),
                None => (Proto::Tcp, port),
            };
            let flow = Flow {
                proto,
                port: number.parse().unwrap(),
            };
            let semantics = match e.kind {
                ProfileKind::Upstream => Semantics::UPSTREAM,
                _ => Semantics::CILIUM,
            };
            let v = cluster.verdict(
                semantics,
                cluster.endpoint(from).unwrap(),
                cluster.endpoint(to).unwrap(),
                flow,
            );
            assert_eq!(
                v.allowed, e.allowed,
                "the reference disagrees with the expectation: {v}"
            );
        }
        let got = analysis
            .explain(&FlowQuery {
                from: from.to_owned(),
                to: to.to_owned(),
                port: port.to_owned(),
            })
            .unwrap();
        if got.allowed != e.allowed {
            failures.push(format!(
                "[{}] {from} -> {to} {port}: expected {} ({}), engine says:\n{}",
                e.kind,
                word(e.allowed),
                e.source,
                got.text(&analysis.lowered, text)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Finding 1 and 2: a peer whose namespaceSelector has only negative
/// requirements (NotIn, DoesNotExist).
const NEGATIVE_NAMESPACE_SELECTOR: &str = r#"apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.224.0.4}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 10.224.0.5}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {nodeName: n1, containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.10}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-from-dev, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: env, operator: NotIn, values: [dev]}]
"#;

/// Finding 1 (upstream profile): a namespaceSelector selects pods of the
/// namespaces it matches ("namespaceSelector: This selects particular
/// namespaces for which all Pods should be allowed", concept page; API
/// reference, NetworkPolicyPeer), never nodes or outside addresses; the
/// engine lets `env NotIn [dev]` match both, because the lowered selector
/// has nothing that requires a pod.
#[test]
fn finding_1_negative_namespace_selector_matches_non_pods_upstream() {
    let doc = "concept page, Behavior of to and from selectors: namespaceSelector selects Pods";
    check_expectations(
        NEGATIVE_NAMESPACE_SELECTOR,
        &["203.0.113.7"],
        &[
            Expect {
                kind: ProfileKind::Upstream,
                flow: ("203.0.113.7", "shop/web", "80/TCP"),
                allowed: false,
                source: doc,
                reference: true,
            },
            Expect {
                kind: ProfileKind::Upstream,
                flow: ("node/n2", "shop/web", "80/TCP"),
                allowed: false,
                source: doc,
                reference: true,
            },
        ],
    );
}

/// Finding 2 (cilium profile, stock flags): nodes carry the
/// `io.cilium.k8s.policy.cluster` label unconditionally, so a KNP peer made
/// of negative namespace requirements plus the local-cluster label (§1.4
/// step 2) selects every node. §1.4 builds a selector over pod identities
/// ("`Exists` on the namespace label does NOT match reserved identities");
/// nodes are `reserved:host` / `reserved:remote-node` (§3.6) and get node
/// labels only with `enable-node-selector-labels` (§2.3 fromNodes, C9). The
/// departures the spec allows (§3.6, §3.1 item 4, §1.5, §3.7) do not cover
/// this. The local node stays allowed by the host allow (§3.1 item 4).
#[test]
fn finding_2_nodes_match_negative_namespace_selectors_under_cilium() {
    check_expectations(
        NEGATIVE_NAMESPACE_SELECTOR,
        &["203.0.113.7"],
        &[
            Expect {
                kind: ProfileKind::Cilium,
                flow: ("node/n2", "shop/web", "80/TCP"),
                allowed: false,
                source: "cilium-semantics §1.4, §3.6: a remote node is reserved:remote-node, not a pod identity",
                reference: true,
            },
            Expect {
                kind: ProfileKind::Cilium,
                flow: ("203.0.113.7", "shop/web", "80/TCP"),
                allowed: false,
                source: "§1.4 step 2: the local-cluster label keeps world out",
                reference: true,
            },
            Expect {
                kind: ProfileKind::Cilium,
                flow: ("node/n1", "shop/web", "80/TCP"),
                allowed: true,
                source: "§3.1 item 4: host allow",
                reference: true,
            },
        ],
    );
}

/// Finding 3: `io.kubernetes.pod.namespace` and
/// `io.cilium.k8s.policy.serviceaccount` are identity labels Cilium
/// synthesises. To Kubernetes they are ordinary label keys no pod here
/// carries, so a selector requiring them selects nothing; the upstream
/// profile matches them against the synthesised labels instead. Under
/// Cilium, `parsePodSelector` overwrites the namespace key with the
/// policy's namespace (§1.3; §1.4 step 4: "pod selector +
/// k8s:io.kubernetes.pod.namespace=<policyNs> (i.e. same-namespace pods)"),
/// but the engine keeps the user's value in peers (`Selector::add_label`).
#[test]
fn finding_3_synthesised_label_keys_in_pod_selectors() {
    let text = r#"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: alpha}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: peer, namespace: alpha}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: beta}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: gamma}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: delta}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: delta}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-beta, namespace: alpha}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchLabels: {io.kubernetes.pod.namespace: beta}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: isolate-beta, namespace: gamma}
spec:
  podSelector: {matchLabels: {io.kubernetes.pod.namespace: beta}}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-default-sa, namespace: delta}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchLabels: {io.cilium.k8s.policy.serviceaccount: default}}
"#;
    let k8s = "API reference, LabelSelector: matchLabels are pod labels; no pod has this one";
    let cilium = "cilium-semantics §1.4 step 4: same-namespace pods (parsePodSelector sets the namespace key)";
    check_expectations(
        text,
        &[],
        &[
            Expect {
                kind: ProfileKind::Upstream,
                flow: ("beta/client", "alpha/web", "80/TCP"),
                allowed: false,
                source: k8s,
                reference: true,
            },
            Expect {
                kind: ProfileKind::Upstream,
                flow: ("beta/client", "gamma/db", "80/TCP"),
                allowed: true,
                source: "the podSelector selects no pod, so gamma/db is not isolated",
                reference: true,
            },
            Expect {
                kind: ProfileKind::Upstream,
                flow: ("delta/job", "delta/api", "80/TCP"),
                allowed: false,
                source: k8s,
                reference: true,
            },
            Expect {
                kind: ProfileKind::Cilium,
                flow: ("beta/client", "alpha/web", "80/TCP"),
                allowed: false,
                source: cilium,
                reference: false,
            },
            Expect {
                kind: ProfileKind::Cilium,
                flow: ("alpha/peer", "alpha/web", "80/TCP"),
                allowed: true,
                source: cilium,
                reference: false,
            },
        ],
    );
}
