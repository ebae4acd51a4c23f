//! The reverse conversions: CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy
//! → NetworkPolicy (cilium-semantics §1.8, "Reverse direction") and
//! ClusterNetworkPolicy → Cilium's kinds (§3.5).
//!
//! Each case is a small input, the output text it must give, the diagnostics
//! (codes and paths: one per construct without equivalent, at its source),
//! the output read back without errors, and the verdicts. Verdicts are checked
//! twice: by the conversion's proof (`compare`, over a generated universe)
//! and here with the engine's connectivity matrix over the input's own
//! workloads and a few outside addresses. Exact cases must agree on every
//! flow; lossy cases that change verdicts must differ, on the flows named.

#[allow(dead_code)]
mod oracle;

use std::collections::BTreeMap;

use netpolkit::cluster::Endpoint;
use netpolkit::convert::{convert, Conversion, ConvertOptions, Target};
use netpolkit::engine::{Connectivity, ConnectivityOptions, Engine};
use netpolkit::profile::ProfileSettings;
use netpolkit::{Code, Severity};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

// --- helpers -----------------------------------------------------------------

/// The profile of every case: Cilium (newest) with ClusterNetworkPolicy and
/// node selector labels on, so that every construct is enforced on both sides.
fn profile() -> ProfileSettings {
    ProfileSettings {
        cluster_network_policy: Some(true),
        node_selector_labels: Some(true),
        ..ProfileSettings::default()
    }
}

fn options(to: Target) -> ConvertOptions {
    ConvertOptions {
        to,
        profile: profile(),
        ..ConvertOptions::default()
    }
}

fn to(target: Target, text: &str) -> Conversion {
    convert(text, &options(target))
}

/// The output without the annotation lines (the provenance is checked apart).
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

/// (code, path) of every conversion diagnostic, in order, except the
/// proof's verdict (`not-equivalent`), which [`assert_equivalent`] and
/// [`assert_changes`] check.
fn found(c: &Conversion) -> Vec<(Code, String)> {
    c.diagnostics
        .iter()
        .filter(|d| d.code != Code::NotEquivalent)
        .map(|d| (d.code, d.path.clone()))
        .collect()
}

fn expect(list: &[(Code, &str)]) -> Vec<(Code, String)> {
    list.iter().map(|(c, p)| (*c, (*p).to_owned())).collect()
}

/// The output reads back without errors: it validates under the profile.
fn assert_valid(c: &Conversion) {
    let errors: Vec<_> = c
        .checked
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "the output has errors: {errors:#?}\n{}", c.text);
    assert!(!c.checked.parsed.has_errors(), "{}", c.text);
}

/// Addresses outside the cluster every matrix includes: one public IPv4 and
/// IPv6 address, one in 10/8.
const OUTSIDE: [&str; 3] = ["8.8.8.8", "2001:db8::1", "10.1.2.3"];

fn matrix(engine: &Engine, ports: Vec<netpolkit::engine::Flow>) -> Connectivity {
    engine.connectivity(&ConnectivityOptions {
        externals: OUTSIDE
            .iter()
            .map(|a| Endpoint::external(a.parse().ok(), None))
            .collect(),
        ports,
        ..ConnectivityOptions::default()
    })
}

/// The flows of the input's workloads (and [`OUTSIDE`]) whose verdict
/// differs between source and output: `from -> to port: before`.
fn differing(c: &Conversion) -> Vec<String> {
    let source = &c.source;
    let old = source.engine();
    let new = Engine::new(&source.profile, &c.checked.lowered, &source.cluster);
    // Both sides' ports, so that neither side's ports go unchecked.
    let a = matrix(&old, Vec::new());
    let b = matrix(&new, a.flows.clone());
    let a = matrix(&old, b.flows.clone());
    let index = |m: &Connectivity| {
        let mut map = BTreeMap::new();
        for (i, from) in m.endpoints.iter().enumerate() {
            for (j, to) in m.endpoints.iter().enumerate() {
                for (p, port) in m.ports.iter().enumerate() {
                    map.insert(format!("{from} -> {to} {port}"), m.is_allowed(i, j, p));
                }
            }
        }
        map
    };
    let (a, b) = (index(&a), index(&b));
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: {}", if *v { "allowed" } else { "denied" }))
        .collect()
}

/// The verdict of one flow (`shop/web`, `shop/api`, `TCP/8080`) before and after.
fn verdicts(c: &Conversion, from: &str, to: &str, port: &str) -> (bool, bool) {
    let source = &c.source;
    let old = source.engine();
    let new = Engine::new(&source.profile, &c.checked.lowered, &source.cluster);
    let a = matrix(&old, Vec::new());
    let b = matrix(&new, a.flows.clone());
    let a = matrix(&old, b.flows.clone());
    let look = |m: &Connectivity| {
        let i = m.endpoints.iter().position(|e| e == from).expect(from);
        let j = m.endpoints.iter().position(|e| e == to).expect(to);
        let p = m.ports.iter().position(|x| x == port).expect(port);
        m.is_allowed(i, j, p)
    };
    (look(&a), look(&b))
}

/// Exact: no flow of the workloads changes, and the proof agrees.
fn assert_equivalent(c: &Conversion) {
    let differences = differing(c);
    assert!(
        differences.is_empty(),
        "flows differ:\n{}\n--- output ---\n{}",
        differences.join("\n"),
        c.text
    );
    let proof = c.proof.as_ref().expect("a proof");
    assert!(proof.equivalent, "the proof finds differences: {proof:#?}\n{}", c.text);
    assert!(!c.diagnostics.iter().any(|d| d.code == Code::NotEquivalent));
}

/// Lossy: `flow` (as [`differing`] writes it) changes, and the proof (once it
/// compares flows at all) finds a difference too and blames the source.
fn assert_changes(c: &Conversion, flow: &str) {
    let differences = differing(c);
    assert!(
        differences.iter().any(|d| d == flow),
        "expected `{flow}` among the differing flows, found:\n{}\n--- output ---\n{}",
        differences.join("\n"),
        c.text
    );
    let proof = c.proof.as_ref().expect("a proof");
    // The comparison is compared over a universe; until it compares any flow
    // (flows == 0) it cannot find the difference.
    if proof.flows > 0 {
        assert!(!proof.equivalent, "the proof misses the difference: {proof:#?}");
        assert!(proof.differing > 0 && !proof.differences.is_empty());
        assert!(c.diagnostics.iter().any(|d| d.code == Code::NotEquivalent));
    }
}

/// Namespaces, pods (with named ports) and nodes most cases run against.
const WORKLOADS: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop, env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops, env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {team: dev, env: dev}}
---
apiVersion: v1
kind: Node
metadata: {name: node1, labels: {kubernetes.io/hostname: node1, pool: a}}
---
apiVersion: v1
kind: Node
metadata: {name: node2, labels: {kubernetes.io/hostname: node2, pool: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api, tier: backend}}
spec:
  nodeName: node1
  containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: node2, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: ops, labels: {app: prom}}
spec: {nodeName: node1, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ops, labels: {app: web}}
spec: {nodeName: node2, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: dev, labels: {app: web}}
spec: {nodeName: node2, containers: [{name: c, image: x}]}
---
"#;

fn with_workloads(policies: &str) -> String {
    format!("{WORKLOADS}{policies}")
}

/// Prints a conversion (output, diagnostics, differing flows, proof): for
/// writing a new case.
#[allow(dead_code)]
fn dump(c: &Conversion) {
    println!("{}", c.text);
    for d in &c.diagnostics {
        println!("({:?}, {:?}), // {}", d.code, d.path, d.message);
    }
    for d in &c.checked.parsed.diagnostics {
        println!("OUT {:?} {:?} {} {}", d.code, d.severity, d.path, d.message);
    }
    println!("{:#?}", differing(c));
    println!("{:#?}", c.proof);
}

// --- CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → NetworkPolicy ----

/// §1.8 read backwards, every row: the subject loses its source prefixes
/// (§1.3 injects the namespace either way); a peer without namespace keys is
/// the policy's namespace (§2.13) and a bare podSelector (§1.4); namespace
/// labels are a namespaceSelector; a namespace name is the automatic
/// `kubernetes.io/metadata.name` label; `{}` is every pod of the namespace;
/// `world` is the zero prefixes (§3.6); ANY is TCP, UDP and SCTP (§2.5);
/// ports without peers are a rule without `from` (§2.14 ≡ §1.5).
#[test]
fn cnp_to_knp_spells_section_1_8_backwards() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: api
  namespace: shop
  labels: {team: shop}
  annotations: {owner: alice}
spec:
  endpointSelector:
    matchLabels: {"k8s:app": api, tier: backend}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: web}
    - matchLabels: {"k8s:io.kubernetes.pod.namespace": ops, app: prom}
    - matchLabels: {io.cilium.k8s.namespace.labels.team: dev}
    - {}
    toPorts:
    - ports: [{port: "8080", protocol: TCP}, {port: "53"}]
  - fromEntities: [world]
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
  - fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]
  - toPorts:
    - ports: [{port: "9090", endPort: 9099, protocol: TCP}, {port: "0", protocol: UDP}]
  egress:
  - toEntities: [all]
    toPorts:
    - ports: [{port: "53", protocol: UDP}]
  - toCIDR: [192.0.2.1/32, 198.51.100.0/24]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    let expected = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
  labels:
    team: shop
spec:
  podSelector:
    matchLabels:
      app: api
      tier: backend
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    - podSelector:
        matchLabels:
          app: prom
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ops
    - namespaceSelector:
        matchLabels:
          team: dev
    - podSelector: {}
    ports:
    - protocol: TCP
      port: 8080
    - protocol: TCP
      port: 53
    - protocol: UDP
      port: 53
    - protocol: SCTP
      port: 53
  - from:
    - ipBlock:
        cidr: 0.0.0.0/0
    - ipBlock:
        cidr: "::/0"
    ports:
    - protocol: TCP
      port: 443
  - from:
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 10.1.0.0/16
  - ports:
    - protocol: TCP
      port: 9090
      endPort: 9099
    - protocol: UDP
  egress:
  - ports:
    - protocol: UDP
      port: 53
  - to:
    - ipBlock:
        cidr: 192.0.2.1/32
    - ipBlock:
        cidr: 198.51.100.0/24
"#;
    assert_eq!(body(&c), expected);
    // Metadata is kept, the provenance recorded.
    assert!(c.text.contains("    owner: alice\n"), "{}", c.text);
    assert!(c
        .text
        .contains("    netpolkit.dev/converted-from: CiliumNetworkPolicy shop/api\n"));
    // Exact, but spelled differently: notes, no loss.
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec.ingress[0].fromEndpoints[1]"),
            (Code::ConversionNote, "spec.ingress[0].toPorts[0].ports[1]"),
            (Code::ConversionNote, "spec.ingress[1].fromEntities[0]"),
        ])
    );
    assert!(!c.is_lossy() && !c.has_errors());
    assert_valid(&c);
    assert_equivalent(&c);
}

/// §2.14: a rule without peers and ports selects nothing; `ingress: [{}]`
/// only puts the subject into default deny, which is `policyTypes` alone in
/// a NetworkPolicy (§1.5). An explicitly empty peer list selects nothing
/// either; it must not become a rule without `to` (every peer).
#[test]
fn default_deny_only_rules_are_policy_types() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: lockdown, namespace: shop}
spec:
  endpointSelector: {}
  ingress:
  - {}
  egress:
  - toEndpoints: []
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    assert_eq!(
        body(&c),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: lockdown\n  namespace: shop\n\
         spec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n"
    );
    assert_eq!(found(&c), expect(&[]));
    assert_valid(&c);
    assert_equivalent(&c);
}

/// One NetworkPolicy per rule: `spec` and every `specs[i]` have their own
/// subject and default deny (§2.14, §3.1). Names are the policy's, with the
/// rule's position when there are several; the provenance names the item.
#[test]
fn specs_give_one_network_policy_per_rule() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: multi, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
specs:
- endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEndpoints: [{matchLabels: {app: api}}]
- description: the database
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    let names: Vec<_> = c.output().iter().map(|d| d.name().unwrap_or("").to_owned()).collect();
    assert_eq!(names, ["multi-0", "multi-1", "multi-2"]);
    for (i, provenance) in [
        "CiliumNetworkPolicy shop/multi",
        "CiliumNetworkPolicy shop/multi specs[0]",
        "CiliumNetworkPolicy shop/multi specs[1]",
    ]
    .iter()
    .enumerate()
    {
        let meta = c.output()[i].manifest.metadata().unwrap();
        assert_eq!(meta.annotation("netpolkit.dev/converted-from"), Some(*provenance));
    }
    assert!(body(&c).contains(
        "  name: multi-1\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  \
         policyTypes:\n  - Egress\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          app: api\n"
    ));
    // The description changes no verdict: noted, not lost.
    assert_eq!(found(&c), expect(&[(Code::ConversionNote, "specs[1].description")]));
    assert_valid(&c);
    assert_equivalent(&c);
}

/// §1.8 "Reverse direction": everything outside the subset is reported at
/// its source, saying what the output does instead, and never widens what
/// is allowed: a rule whose peers (or ports) were all lost is left out, L7
/// leaves its port fully open (§3.3, the one widening, reported so).
#[test]
fn cnp_constructs_without_network_policy_form_are_reported() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rich, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http: [{method: GET, path: /health}]
    authentication: {mode: required}
  - fromEntities: [remote-node, kube-apiserver]
  - fromNodes: [{matchLabels: {pool: a}}]
  - icmps: [{fields: [{type: 8}]}]
  - fromEndpoints: [{matchLabels: {"reserved:health": ""}}]
  egress:
  - toFQDNs: [{matchName: example.com}]
  - toServices: [{k8sService: {serviceName: db, namespace: shop}}]
  - toGroups: [{aws: {securityGroupsIds: [sg-1]}}]
  - toCIDRSet: [{cidrGroupRef: partners}]
  - toEndpoints: [{matchLabels: {app: prom, io.kubernetes.pod.namespace: ops}}]
    toPorts:
    - ports: [{port: "53", protocol: UDP}]
      rules:
        dns: [{matchPattern: "*"}]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    // What is left: the pod peers, their ports open to every request.
    let expected = r#"spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - protocol: TCP
      port: 8080
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: prom
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ops
    ports:
    - protocol: UDP
      port: 53
"#;
    assert!(body(&c).ends_with(expected), "{}", c.text);
    assert_eq!(
        found(&c),
        expect(&[
            (Code::NoEquivalent, "spec.ingress[0].toPorts[0].rules"),
            (Code::NoEquivalent, "spec.ingress[0].authentication"),
            (Code::NoEquivalent, "spec.ingress[1].fromEntities[0]"),
            (Code::NoEquivalent, "spec.ingress[1].fromEntities[1]"),
            (Code::NoEquivalent, "spec.ingress[2].fromNodes"),
            (Code::NoEquivalent, "spec.ingress[3].icmps"),
            (Code::NoEquivalent, "spec.ingress[4].fromEndpoints[0]"),
            (Code::NoEquivalent, "spec.egress[0].toFQDNs"),
            (Code::NoEquivalent, "spec.egress[1].toServices"),
            (Code::NoEquivalent, "spec.egress[2].toGroups"),
            (Code::NoEquivalent, "spec.egress[3].toCIDRSet[0]"),
            (Code::ConversionNote, "spec.egress[4].toEndpoints[0]"),
            (Code::NoEquivalent, "spec.egress[4].toPorts[0].rules"),
        ])
    );
    let l7 = c
        .diagnostics
        .iter()
        .find(|d| d.path == "spec.ingress[0].toPorts[0].rules")
        .unwrap();
    assert_eq!(
        l7.message,
        "left out: NetworkPolicy has no L7 rules (http); the output allows all traffic on these ports"
    );
    assert!(c.is_lossy());
    assert_valid(&c);
    // The lost peers are no longer allowed (§2.11 remote-node, §2.7 ICMP).
    assert_changes(&c, "node/node2 -> shop/api TCP/8080: allowed");
    assert_changes(&c, "8.8.8.8 -> shop/api ICMP type 8: allowed");
}

/// §3.2: a deny wins over every allow, of any policy; NetworkPolicy has no
/// deny, so it is lost, and the output allows what the rule denied wherever
/// an allow covers it. The default deny the deny rules put the subject into
/// (§3.1 step 3: enableDefaultDeny defaults to true for them) is kept.
#[test]
fn deny_rules_are_lost_and_their_default_deny_kept() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: guard, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEntities: [cluster]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: web}}]
  egressDeny:
  - toEndpoints: [{matchLabels: {app: prom, io.kubernetes.pod.namespace: ops}}]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    assert!(
        body(&c)
            .ends_with("  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n  - from:\n    - namespaceSelector: {}\n"),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::NoEquivalent, "spec.ingress[0].fromEntities[0]"),
            (Code::NoEquivalent, "spec.ingressDeny[0]"),
            (Code::NoEquivalent, "spec.egressDeny[0]"),
        ])
    );
    let deny = c.diagnostics.iter().find(|d| d.path == "spec.ingressDeny[0]").unwrap();
    assert!(deny
        .message
        .starts_with("left out: NetworkPolicy has no deny rules; the output allows"));
    assert_valid(&c);
    // shop/web was denied by the deny rule, and is now allowed by `cluster`'s pods.
    assert_changes(&c, "shop/web -> shop/api TCP/80: denied");
    // A remote node was in `cluster`, and is no longer.
    assert_changes(&c, "node/node2 -> shop/api TCP/80: allowed");
    // Egress: denied both before (the deny, then default deny) and after (default deny).
    assert!(!differing(&c).iter().any(|f| f.starts_with("shop/api -> ops/prom")));
}

/// §2.11 entities: `all` is the wildcard (no `from`, §1.5), `host` on ingress
/// is admitted anyway under default deny (§3.1 step 4), `none` selects
/// nothing; all three are exact.
#[test]
fn exact_entities() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: entities, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEntities: [host, none]
  - fromEntities: [all, cluster]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
  egress:
  - toEntities: [none]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    assert!(
        body(&c).ends_with(
            "  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n  - ports:\n    - protocol: TCP\n      port: 8080\n"
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec.ingress[0].fromEntities[0]"),
            (Code::ConversionNote, "spec.ingress[0].fromEntities[1]"),
            (Code::ConversionNote, "spec.egress[0].toEntities[0]"),
        ])
    );
    assert_valid(&c);
    assert_equivalent(&c);
}

/// §2.2 `enableDefaultDeny: false`: the rule allows without isolating the
/// pods; a NetworkPolicy always isolates (§1.5). The direction is left out
/// (written, it would deny every other flow), which is exact on its own and
/// lossy only next to a policy that isolates the pods.
#[test]
fn enable_default_deny_false_is_lost() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: dns, namespace: shop}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egress:
  - toEndpoints: [{matchLabels: {app: prom, io.kubernetes.pod.namespace: ops}}]
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    assert!(
        body(&c).ends_with(
            "  podSelector: {}\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    - podSelector:\n        \
             matchLabels:\n          app: web\n"
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[(Code::NoEquivalent, "spec.enableDefaultDeny.egress")])
    );
    assert_valid(&c);
    assert_equivalent(&c);
    // Next to a policy that isolates shop's pods on egress, the allow is missing.
    let isolating = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: iso, namespace: shop}\n\
                     spec:\n  podSelector: {}\n  policyTypes: [Egress]\n---\n";
    let c = to(Target::Knp, &with_workloads(&format!("{isolating}{cnp}")));
    assert_changes(&c, "shop/web -> ops/prom TCP/80: allowed");
}

/// §2.13: a clusterwide policy's subject is anywhere, its peers are pods of
/// any namespace. As NetworkPolicies it is spread over the namespaces it
/// covers (one per rule and namespace), the subject's namespace
/// requirements decided per namespace, its peers `namespaceSelector: {}`
/// (§1.4 = `io.kubernetes.pod.namespace Exists`).
#[test]
fn ccnp_to_knp_spreads_over_namespaces() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: web}
spec:
  endpointSelector:
    matchLabels: {app: web}
    matchExpressions: [{key: io.kubernetes.pod.namespace, operator: In, values: [shop, ops]}]
  ingress:
  - fromEndpoints:
    - matchLabels: {app: prom}
    - matchLabels: {io.cilium.k8s.namespace.labels.team: ops}
    - matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: In, values: [ops]}]
"#;
    let c = to(Target::Knp, &with_workloads(ccnp));
    let policy = |ns: &str| {
        format!(
            r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: {ns}
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: prom
      namespaceSelector: {{}}
    - namespaceSelector:
        matchLabels:
          team: ops
    - namespaceSelector:
        matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: In
          values:
          - ops
"#
        )
    };
    assert_eq!(body(&c), format!("{}---\n{}", policy("ops"), policy("shop")));
    assert!(c
        .text
        .contains("netpolkit.dev/converted-from: CiliumClusterwideNetworkPolicy web\n"));
    assert_eq!(
        found(&c),
        expect(&[(Code::ConversionNote, "spec.ingress[0].fromEndpoints[2]")])
    );
    assert_valid(&c);
    assert_equivalent(&c);
}

/// A peer requiring a namespace name only by exclusion (`NotIn`) also
/// matches identities that are not pods, unless the clusterwide policy's own
/// `Exists` is written too (§2.13): the namespace label then must exist.
///
/// Exact because the API server sets every namespace's
/// `kubernetes.io/metadata.name` to its name (the cluster model does the
/// same, and the generated universe never makes it name another namespace).
#[test]
fn namespace_exclusions_keep_to_pods() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: not-dev}
spec:
  endpointSelector:
    matchLabels: {app: web, io.kubernetes.pod.namespace: shop}
  ingress:
  - fromEndpoints:
    - matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [dev]}]
"#;
    let c = to(Target::Knp, &with_workloads(ccnp));
    assert!(
        body(&c).ends_with(
            r#"  - from:
    - namespaceSelector:
        matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values:
          - dev
        - key: kubernetes.io/metadata.name
          operator: Exists
"#
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[(Code::ConversionNote, "spec.ingress[0].fromEndpoints[0]")])
    );
    assert_valid(&c);
    assert_equivalent(&c);
}

/// A subject on namespace labels other than the name cannot be decided
/// without the namespace's labels: it stays in the podSelector as the label
/// Cilium derives for every pod (exact under Cilium, noted). The output
/// covers the namespaces of the input only, where the source also covers
/// namespaces that are not there (yet): the driver reports that, and the
/// proof's generated namespaces show it. Without any namespace to go to, a
/// clusterwide policy is an error that says what to do; `--namespace`
/// places it.
#[test]
fn ccnp_namespaces_come_from_the_input_or_the_flag() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: prod}
spec:
  endpointSelector:
    matchLabels: {io.cilium.k8s.namespace.labels.env: prod}
  egress:
  - toEndpoints: [{}]
"#;
    let c = to(Target::Knp, &with_workloads(ccnp));
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
    assert_eq!(namespaces, ["ops", "shop"]);
    assert!(
        body(&c).contains(
            "spec:\n  podSelector:\n    matchLabels:\n      io.cilium.k8s.namespace.labels.env: prod\n  policyTypes:\n  \
             - Egress\n  egress:\n  - to:\n    - namespaceSelector: {}\n"
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::NoEquivalent, ""),
            (Code::ConversionNote, "spec.endpointSelector")
        ])
    );
    let coverage = c.diagnostics.iter().find(|d| d.code == Code::NoEquivalent).unwrap();
    assert!(coverage.message.contains("ops, shop"), "{}", coverage.message);
    assert_valid(&c);
    // The input's own pods keep every verdict; a namespace the input lacks does not.
    assert_eq!(differing(&c), Vec::<String>::new());
    let proof = c.proof.as_ref().unwrap();
    if proof.flows > 0 {
        assert!(!proof.equivalent);
        assert!(
            proof.differences.iter().all(|d| d.from.contains("netpolkit-ns-")),
            "{proof:#?}"
        );
    }

    let alone = to(Target::Knp, ccnp);
    assert_eq!(
        found(&alone),
        expect(&[
            (Code::NeedsNamespace, ""),
            (Code::ConversionNote, "spec.endpointSelector")
        ])
    );
    let d = alone
        .diagnostics
        .iter()
        .find(|d| d.code == Code::NeedsNamespace)
        .unwrap();
    assert_eq!(d.severity, Severity::Error);
    assert!(d.hint.as_deref().unwrap_or("").contains("--namespace"));
    assert!(alone.output().is_empty() && alone.has_errors());

    let placed = convert(
        ccnp,
        &ConvertOptions {
            namespace: Some("a, b".to_owned()),
            ..options(Target::Knp)
        },
    );
    assert_eq!(placed.output().len(), 2);
    assert_valid(&placed);
}

/// §2.13: a clusterwide subject is not limited to pods: `{}` also selects
/// Cilium's own endpoints that are no pods (health, ingress), which no
/// NetworkPolicy can. Per namespace, the pods are converted; the rest is
/// reported (and namespaces beyond the input by the driver).
#[test]
fn ccnp_subject_of_every_endpoint() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: lockdown}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{}]
"#;
    let c = to(Target::Knp, &with_workloads(ccnp));
    assert_eq!(c.output().len(), 3);
    assert!(
        body(&c).ends_with(
            "  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    \
             - namespaceSelector: {}\n"
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[(Code::NoEquivalent, ""), (Code::NoEquivalent, "spec.endpointSelector")])
    );
    assert_valid(&c);
    // The input's pods: every verdict kept.
    assert_eq!(differing(&c), Vec::<String>::new());
}

/// §2.13: a CNP's subject is always in its namespace; an
/// `io.kubernetes.pod.namespace` in it is ignored by Cilium (noted, not
/// written). A peer naming the policy's own namespace is a bare podSelector.
/// Labels Cilium derives (service account) are kept, noted as Cilium-only.
#[test]
fn cnp_namespace_spellings() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: own, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api, io.kubernetes.pod.namespace: elsewhere}}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: web, "k8s:io.kubernetes.pod.namespace": shop}
    - matchLabels: {io.cilium.k8s.policy.serviceaccount: monitor}
"#;
    let c = to(Target::Knp, &with_workloads(cnp));
    assert!(
        body(&c).ends_with(
            r#"spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    - podSelector:
        matchLabels:
          io.cilium.k8s.policy.serviceaccount: monitor
"#
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec.endpointSelector"),
            (Code::ConversionNote, "spec.ingress[0].fromEndpoints[1]"),
        ])
    );
    assert_valid(&c);
    assert_equivalent(&c);
}

/// §2.2/§2.13: a host policy (nodeSelector) and a subject of reserved
/// identities select no pod: no NetworkPolicy, reported, never dropped
/// silently; `--strict` makes each loss an error.
#[test]
fn host_and_reserved_subjects_have_no_network_policy() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: infra}
specs:
- nodeSelector: {matchLabels: {pool: a}}
  ingress:
  - fromEntities: [cluster]
- endpointSelector: {matchLabels: {"reserved:health": ""}}
  ingress:
  - fromEntities: [remote-node]
"#;
    let c = to(Target::Knp, &with_workloads(ccnp));
    assert!(c.output().is_empty(), "{}", c.text);
    for path in ["specs[0].nodeSelector", "specs[1].endpointSelector"] {
        assert!(
            found(&c).contains(&(Code::NoEquivalent, path.to_owned())),
            "{:#?}",
            c.diagnostics
        );
    }
    assert!(c.is_lossy() && !c.has_errors());
    let strict = convert(
        &with_workloads(ccnp),
        &ConvertOptions {
            strict: true,
            ..options(Target::Knp)
        },
    );
    assert!(strict.has_errors());
    assert!(strict
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::NoEquivalent)
        .all(|d| d.severity == Severity::Error));
}

/// §1.6 and §2.5, port by port: port "0" is every port of its protocol (a
/// NetworkPolicy port without `port`); a named port is lower-cased (the
/// agent does, §2.5) and, with ANY, written for each protocol; an endPort
/// not above the port is no range; an extended protocol has no form.
#[test]
fn ports_one_by_one() {
    let cnp = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ports, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - toPorts:
    - ports:
      - {port: "0", protocol: SCTP}
      - {port: HTTP}
      - {port: "7000", endPort: 7000, protocol: TCP}
      - {port: "8080", protocol: TCP}
    - ports:
      - {port: "8080", protocol: TCP}
      - {protocol: VRRP}
  - toPorts:
    - ports: [{protocol: GRE}]
"#;
    let profile = ProfileSettings {
        cilium_version: Some(netpolkit::CiliumVersion::new(1, 20)),
        ..profile()
    };
    let c = convert(
        &with_workloads(cnp),
        &ConvertOptions {
            profile,
            ..options(Target::Knp)
        },
    );
    assert!(
        body(&c).ends_with(
            r#"  ingress:
  - ports:
    - protocol: SCTP
    - protocol: TCP
      port: http
    - protocol: UDP
      port: http
    - protocol: SCTP
      port: http
    - protocol: TCP
      port: 7000
    - protocol: TCP
      port: 8080
"#
        ),
        "{}",
        c.text
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec.ingress[0].toPorts[0].ports[1]"),
            (Code::NoEquivalent, "spec.ingress[0].toPorts[1].ports[1].protocol"),
            (Code::NoEquivalent, "spec.ingress[1].toPorts[0].ports[0].protocol"),
        ])
    );
    assert_valid(&c);
    // The API pod's named port `http` (8080/TCP) is allowed on both sides.
    assert!(
        !differing(&c).iter().any(|f| f.contains("TCP/8080")),
        "{:#?}",
        differing(&c)
    );
}

// --- ClusterNetworkPolicy → CiliumClusterwideNetworkPolicy / CiliumNetworkPolicy

/// kube-dns, for `domainNames` (§3.5: Cilium adds an allow to it on its
/// named ports `dns` and `dns-tcp`).
const KUBE_DNS: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  nodeName: node1
  containers: [{name: c, image: x, ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]}]
---
"#;

/// Isolates shop's pods both ways (a NetworkPolicy: Normal tier, default deny).
const ISOLATE_SHOP: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: isolate, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
"#;

/// §3.5, field by field: subject `pods` is its namespace labels (prefixed)
/// and pod labels in one selector; Accept is an allow, written with
/// `enableDefaultDeny: false` (a ClusterNetworkPolicy never default-denies);
/// `namespaces` peers match every cluster (K01: no cluster label), `pods`
/// peers are pinned like Cilium's own (K02), `nodes` include the local node
/// (K08), `networks` are CIDRs (K09), `domainNames` are FQDNs plus the DNS
/// rule (K10), protocols are ports (K03–K05). Baseline Accept is exact: like
/// a Cilium allow it beats default deny and loses to any deny (§3.8).
#[test]
fn kcnp_baseline_accept_to_ccnp_field_by_field() {
    let kcnp = r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: shop-baseline, labels: {team: net}}
spec:
  tier: Baseline
  priority: 10
  subject:
    pods:
      namespaceSelector: {matchLabels: {team: shop}}
      podSelector: {matchLabels: {app: api}}
  ingress:
  - name: from-ops
    action: Accept
    from:
    - namespaces: {matchLabels: {team: ops}}
    protocols:
    - tcp: {destinationPort: {number: 8080}}
    - destinationNamedPort: dns
  egress:
  - name: out
    action: Accept
    to:
    - pods:
        namespaceSelector: {}
        podSelector: {matchLabels: {app: web}}
    - nodes: {matchLabels: {pool: a}}
    - networks: [10.0.0.0/8]
    protocols:
    - udp: {destinationPort: {range: {start: 1000, end: 2000}}}
    - tcp: {destinationPort: {number: 80}}
  - name: names
    action: Accept
    to:
    - domainNames: [example.com, "*.example.org"]
"#;
    let c = to(
        Target::Ccnp,
        &format!("{}{KUBE_DNS}{ISOLATE_SHOP}{kcnp}", with_workloads("")),
    );
    let expected = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: shop-baseline
  labels:
    team: net
spec:
  endpointSelector:
    matchLabels:
      app: api
      io.cilium.k8s.namespace.labels.team: shop
  enableDefaultDeny:
    ingress: false
    egress: false
  ingress:
  - fromEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.team: ops
      matchExpressions:
      - key: io.cilium.k8s.policy.cluster
        operator: Exists
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
      - port: dns
        protocol: ANY
  egress:
  - toEndpoints:
    - matchLabels:
        app: web
      matchExpressions:
      - key: io.kubernetes.pod.namespace
        operator: Exists
    - matchLabels:
        "node:pool": a
        "reserved:host": ""
    toPorts:
    - ports:
      - port: "1000"
        endPort: 2000
        protocol: UDP
      - port: "80"
        protocol: TCP
  - toNodes:
    - matchLabels:
        pool: a
    toPorts:
    - ports:
      - port: "1000"
        endPort: 2000
        protocol: UDP
      - port: "80"
        protocol: TCP
  - toCIDR:
    - 10.0.0.0/8
    toPorts:
    - ports:
      - port: "1000"
        endPort: 2000
        protocol: UDP
      - port: "80"
        protocol: TCP
  - toFQDNs:
    - matchName: example.com
    - matchPattern: "**.example.org"
  - toEndpoints:
    - matchLabels:
        k8s-app: kube-dns
      matchExpressions:
      - key: io.kubernetes.pod.namespace
        operator: Exists
      - key: io.cilium.k8s.policy.cluster
        operator: Exists
    toPorts:
    - ports:
      - port: dns
        protocol: ANY
      - port: dns-tcp
        protocol: ANY
      rules:
        dns:
        - matchName: example.com
        - matchPattern: "**.example.org"
"#;
    let text = body(&c);
    let converted = text.split("---\n").last().unwrap_or("");
    assert_eq!(converted, expected);
    assert!(c
        .text
        .contains("    netpolkit.dev/converted-from: ClusterNetworkPolicy shop-baseline\n"));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec.egress[0].to[1].nodes"),
            (Code::ConversionNote, "spec.egress[1].to[0].domainNames"),
        ])
    );
    assert!(!c.is_lossy());
    assert_valid(&c);
    assert_equivalent(&c);
    // The isolation of shop/api is there, and the Baseline rules open it.
    assert_eq!(verdicts(&c, "ops/prom", "shop/api", "TCP/8080"), (true, true));
    assert_eq!(verdicts(&c, "shop/web", "shop/api", "TCP/8080"), (false, false));
    assert_eq!(verdicts(&c, "shop/api", "ops/web", "TCP/80"), (true, true));
    assert_eq!(verdicts(&c, "shop/api", "node/node1", "UDP/1000"), (true, true));
    assert_eq!(verdicts(&c, "shop/api", "node/node2", "UDP/1000"), (false, false));
    assert_eq!(verdicts(&c, "shop/api", "10.1.2.3", "TCP/80"), (true, true));
    assert_eq!(verdicts(&c, "shop/api", "kube-system/coredns", "UDP/53"), (true, true));
}

/// A ClusterNetworkPolicy for shop/api's ingress, with `TIER` and `ACTION`.
fn kcnp(tier: &str, action: &str) -> String {
    format!(
        r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {{name: guard}}
spec:
  tier: {tier}
  priority: 5
  subject:
    pods:
      namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: shop}}}}
      podSelector: {{matchLabels: {{app: api}}}}
  ingress:
  - name: web
    action: {action}
    from:
    - pods:
        namespaceSelector: {{}}
        podSelector: {{matchLabels: {{app: web}}}}
"#
    )
}

/// A CiliumNetworkPolicy in shop that allows web → api and denies it from dev.
const SHOP_CNP: &str = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: shop-api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web, io.kubernetes.pod.namespace: shop}}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: dev}}]
---
"#;

/// §3.5/§3.8: an Admin Deny is decided before every Normal-tier policy; a
/// Cilium deny beats every allow of its level. Same flows dropped, even next
/// to a policy that allows them: exact, nothing to report.
#[test]
fn kcnp_admin_deny_is_exact() {
    let c = to(
        Target::Ccnp,
        &with_workloads(&format!("{SHOP_CNP}{}", kcnp("Admin", "Deny"))),
    );
    assert_eq!(
        found(&c),
        expect(&[(Code::ConversionNote, "spec"), (Code::ConversionNote, "spec")])
    );
    let text = body(&c);
    let converted = text.split("---\n").last().unwrap_or("");
    assert_eq!(
        converted,
        r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: guard
spec:
  endpointSelector:
    matchLabels:
      app: api
      io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name: shop
  enableDefaultDeny:
    ingress: false
  ingressDeny:
  - fromEndpoints:
    - matchLabels:
        app: web
      matchExpressions:
      - key: io.kubernetes.pod.namespace
        operator: Exists
"#
    );
    assert_valid(&c);
    assert_equivalent(&c);
    // Denied by the Admin rule, whatever the CNP allows; dev/web by the CNP's deny.
    assert_eq!(verdicts(&c, "shop/web", "shop/api", "TCP/80"), (false, false));
    assert_eq!(verdicts(&c, "dev/web", "shop/api", "TCP/80"), (false, false));
    assert_eq!(verdicts(&c, "ops/prom", "shop/api", "TCP/80"), (false, false));
}

/// §3.5: an Admin Accept overrides the denies of every Normal-tier policy;
/// as a Cilium allow it loses to them (§3.2: deny wins). One diagnostic at
/// the tier; the flows the CNP denies change.
#[test]
fn kcnp_admin_accept_loses_to_cilium_denies() {
    let accept = kcnp("Admin", "Accept").replace("app: web}}", "app: web}}\n    - namespaces: {}");
    let c = to(Target::Ccnp, &with_workloads(&format!("{SHOP_CNP}{accept}")));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::NoEquivalent, "spec.tier"),
        ])
    );
    let d = c.diagnostics.iter().find(|d| d.code == Code::NoEquivalent).unwrap();
    assert!(d.message.contains("Admin tier"), "{}", d.message);
    assert!(d.hint.as_deref().unwrap_or("").contains("ClusterNetworkPolicy"));
    assert_valid(&c);
    // dev/web: accepted by the Admin rule over the CNP's deny; now denied.
    assert_changes(&c, "dev/web -> shop/api TCP/80: allowed");
    // Without a deny anywhere, the same conversion changes nothing.
    let alone = to(Target::Ccnp, &with_workloads(&format!("{ISOLATE_SHOP}{accept}")));
    assert_eq!(found(&alone), found(&c));
    assert_equivalent(&alone);
}

/// §3.5: a Baseline Deny applies only where no Normal-tier policy decided;
/// as a Cilium deny it overrides their allows.
#[test]
fn kcnp_baseline_deny_overrides_normal_allows() {
    let c = to(
        Target::Ccnp,
        &with_workloads(&format!("{SHOP_CNP}{}", kcnp("Baseline", "Deny"))),
    );
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::NoEquivalent, "spec.tier"),
        ])
    );
    assert_valid(&c);
    // shop/web: allowed by the CNP before the Baseline tier is reached; now denied.
    assert_changes(&c, "shop/web -> shop/api TCP/80: allowed");
    // ops/web: nothing Normal decides it; denied by the Baseline rule, and still.
    assert_eq!(verdicts(&c, "ops/web", "shop/api", "TCP/80"), (false, false));
}

/// §3.5: Pass skips the rest of its tier; Cilium has no such action.
#[test]
fn kcnp_pass_has_no_cilium_form() {
    // The Pass comes first, then a Deny it shadows for ops/web.
    let pass = kcnp("Admin", "Pass")
        + "  - name: ops\n    action: Deny\n    from:\n    - namespaces: {matchLabels: {team: ops}}\n";
    let c = to(Target::Ccnp, &with_workloads(&pass));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::NoEquivalent, "spec.ingress[0].action"),
            (Code::NoEquivalent, "spec.ingress[1]"),
        ])
    );
    assert_valid(&c);
    // ops/web: passed on (nothing else selects shop/api: allowed); now the Deny drops it.
    assert_changes(&c, "ops/web -> shop/api TCP/80: allowed");
}

/// §3.5/§3.8: rules are decided in order (priority + index/100), Cilium's
/// by deny over allow. An Accept that comes first and overlaps a later Deny
/// loses the overlap; disjoint ports cannot overlap and stay exact.
#[test]
fn kcnp_rule_order() {
    let ordered = |deny_port: u16| {
        format!(
            r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {{name: ordered}}
spec:
  tier: Baseline
  priority: 1
  subject:
    namespaces: {{matchLabels: {{team: shop}}}}
  ingress:
  - name: web
    action: Accept
    from:
    - pods: {{namespaceSelector: {{}}, podSelector: {{matchLabels: {{app: web}}}}}}
    protocols:
    - tcp: {{destinationPort: {{number: 80}}}}
  - name: rest
    action: Deny
    from:
    - namespaces: {{}}
    protocols:
    - tcp: {{destinationPort: {{range: {{start: {deny_port}, end: 9000}}}}}}
"#
        )
    };
    let c = to(Target::Ccnp, &with_workloads(&ordered(80)));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::NoEquivalent, "spec.tier"),
            (Code::NoEquivalent, "spec.ingress[1]"),
        ])
    );
    let d = c.diagnostics.iter().find(|d| d.path == "spec.ingress[1]").unwrap();
    assert!(
        d.message.contains("`spec.ingress[0]` (Accept) comes first"),
        "{}",
        d.message
    );
    assert_valid(&c);
    assert_changes(&c, "ops/web -> shop/api TCP/80: allowed");
    // The Deny from port 81 on does not meet the Accept on 80: only the
    // Baseline tier is lost (for the NetworkPolicy-free input, nothing changes).
    let c = to(Target::Ccnp, &with_workloads(&ordered(81)));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
            (Code::NoEquivalent, "spec.tier"),
        ])
    );
    assert_equivalent(&c);
}

/// §2.13: a CiliumNetworkPolicy's subject is pinned to its namespace; a
/// ClusterNetworkPolicy becomes one per namespace its subject covers (its
/// namespace labels kept, so each part selects what the source selected
/// there), its peers spelled so that Cilium does not pin them to that
/// namespace. Namespaces the input lacks (or created later) are not covered:
/// the driver reports it, and the flows of the input's pods stay the same.
#[test]
fn kcnp_to_cnp_per_namespace() {
    let policy = r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: prod}
spec:
  tier: Admin
  priority: 1
  subject:
    namespaces:
      matchLabels: {env: prod}
  egress:
  - name: no-dev
    action: Deny
    to:
    - namespaces: {matchLabels: {env: dev}}
"#;
    let c = to(Target::Cnp, &with_workloads(policy));
    let cnp = |ns: &str| {
        format!(
            r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: prod
  namespace: {ns}
spec:
  endpointSelector:
    matchLabels:
      io.cilium.k8s.namespace.labels.env: prod
  enableDefaultDeny:
    egress: false
  egressDeny:
  - toEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.env: dev
      matchExpressions:
      - key: io.cilium.k8s.policy.cluster
        operator: Exists
"#
        )
    };
    assert_eq!(body(&c), format!("{}---\n{}", cnp("ops"), cnp("shop")));
    assert_eq!(
        found(&c),
        expect(&[
            (Code::NoEquivalent, ""),
            (Code::ConversionNote, "spec"),
            (Code::ConversionNote, "spec"),
        ])
    );
    assert_valid(&c);
    assert_eq!(differing(&c), Vec::<String>::new());
    assert_eq!(verdicts(&c, "shop/web", "dev/web", "TCP/80"), (false, false));
    assert_eq!(verdicts(&c, "shop/web", "ops/web", "TCP/80"), (true, true));
    // `--namespace` places it where asked; the subject's labels still decide
    // there (nothing in dev), and ops, left out, is no longer covered.
    let placed = convert(
        &with_workloads(policy),
        &ConvertOptions {
            namespace: Some("dev,shop".to_owned()),
            ..options(Target::Cnp)
        },
    );
    assert_eq!(placed.output().len(), 2);
    assert_eq!(
        differing(&placed),
        [
            "ops/prom -> dev/web TCP/80: denied",
            "ops/web -> dev/web TCP/80: denied"
        ]
    );
    // Without namespaces in the input: an error saying what to do.
    let alone = to(Target::Cnp, policy);
    assert!(alone.output().is_empty());
    assert!(found(&alone).contains(&(Code::NeedsNamespace, String::new())));
    assert!(alone.has_errors());
}

// --- found by the random properties of convert_cilium_random.rs ------------------

/// `to` with `--namespace`.
fn to_namespaces(target: Target, text: &str, namespaces: &str) -> Conversion {
    convert(
        text,
        &ConvertOptions {
            namespace: Some(namespaces.to_owned()),
            ..options(target)
        },
    )
}

/// A CNP in shop whose ingress peer names namespaces only by exclusion.
const EXCLUDING_PEER: &str = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints:
    - matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [dev]}]
"#;

/// §2.13: a CNP peer that names a namespace gets none injected; naming it
/// only by exclusion, it also matches identities without a namespace (here
/// the remote node node2, which carries the cluster label with node
/// selector labels on). A CCNP peer always gets `io.kubernetes.pod.namespace
/// Exists`: the nodes are lost, and that is reported.
#[test]
fn cnp_peer_excluding_namespaces_to_ccnp_is_reported() {
    let c = to(Target::Ccnp, &with_workloads(EXCLUDING_PEER));
    assert_valid(&c);
    assert_eq!(
        found(&c),
        expect(&[(Code::NoEquivalent, "spec.ingress[0].fromEndpoints[0]")])
    );
    assert_changes(&c, "node/node2 -> shop/api TCP/80: allowed");
    // Requiring a namespace keeps the peer to pods: exact.
    let required = EXCLUDING_PEER.replace("operator: NotIn, values: [dev]", "operator: In, values: [ops, shop]");
    let c = to(Target::Ccnp, &with_workloads(&required));
    assert!(found(&c).is_empty(), "{:?}", found(&c));
    assert_equivalent(&c);
}

/// §1.4 and §1.2: Cilium's own translation of a NetworkPolicy peer whose
/// namespaceSelector only excludes (`NotIn`) keeps it as written, so it
/// matches nodes too, like the CNP peer: exact. But a NetworkPolicy reads
/// pod labels as `k8s:` labels, where a CNP key without source is `any:`
/// and also matches a node's labels (node selector labels on): a pod-label
/// requirement beside such a peer is reported, and the node it matched is
/// lost.
#[test]
fn cnp_peer_excluding_namespaces_to_knp() {
    let c = to(Target::Knp, &with_workloads(EXCLUDING_PEER));
    assert_valid(&c);
    assert!(
        !found(&c).iter().any(|(code, _)| *code == Code::NoEquivalent),
        "{:?}",
        found(&c)
    );
    assert_equivalent(&c);
    let egress = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toEndpoints:
    - matchLabels: {pool: a}
      matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [dev]}]
"#;
    let c = to(Target::Knp, &with_workloads(egress));
    assert_valid(&c);
    assert!(
        found(&c).contains(&(Code::NoEquivalent, "spec.egress[0].toEndpoints[0]".to_owned())),
        "{:?}",
        found(&c)
    );
    assert_changes(&c, "shop/api -> node/node1 TCP/80: allowed");
    // Written as a pod label (`k8s:`), it is one in both: exact.
    let c = to(
        Target::Knp,
        &with_workloads(&egress.replace("{pool: a}", "{\"k8s:pool\": a}")),
    );
    assert!(
        !found(&c).iter().any(|(code, _)| *code == Code::NoEquivalent),
        "{:?}",
        found(&c)
    );
    assert_equivalent(&c);
}

/// §1.4 and §1.2, forwards: a NetworkPolicy peer whose namespaceSelector
/// only excludes matches nodes under Cilium's translation, and its pod
/// labels are `k8s:` labels; the CNP written for it keeps the pod keys'
/// source, so that they do not match the node's own labels (node1 has
/// `pool: a`) with node selector labels on.
#[test]
fn knp_peer_excluding_namespaces_to_cnp_keeps_pod_labels() {
    let knp = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [dev]}]}
      podSelector: {matchLabels: {pool: a}}
"#;
    let c = to(Target::Cnp, &with_workloads(knp));
    assert_valid(&c);
    assert!(c.text.contains("        \"k8s:pool\": a\n"), "{}", c.text);
    assert_equivalent(&c);
}

/// §2.13: a CCNP placed with `--namespace` is written only where its
/// subject can select pods; the namespaces it names that the flag leaves
/// out lose it, which is reported (it was written, without its namespace
/// requirement, into the flag's namespaces: selecting pods it never did).
#[test]
fn ccnp_pinned_subject_and_the_namespace_flag() {
    let ccnp = r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: lock-web}
spec:
  endpointSelector: {matchLabels: {app: web, io.kubernetes.pod.namespace: shop}}
  ingress: [{}]
"#;
    for target in [Target::Cnp, Target::Knp] {
        let c = to_namespaces(target, &with_workloads(ccnp), "ops");
        assert_valid(&c);
        assert!(c.output().is_empty(), "{}", c.text);
        assert_eq!(
            found(&c),
            expect(&[(Code::NoEquivalent, "spec.endpointSelector")]),
            "{}",
            target.as_str()
        );
        assert_changes(&c, "shop/api -> shop/web TCP/80: denied");
        assert!(
            !differing(&c).iter().any(|d| d.contains("-> ops/web")),
            "{:#?}",
            differing(&c)
        );
        // With shop among the namespaces: exact, and nothing for ops.
        let c = to_namespaces(target, &with_workloads(ccnp), "ops,shop");
        assert_valid(&c);
        assert_eq!(c.output().len(), 1, "{}", c.text);
        assert!(
            found(&c).iter().all(|(code, _)| *code == Code::ConversionNote),
            "{:?}",
            found(&c)
        );
        assert_equivalent(&c);
    }
}

/// §3.5: the same for a ClusterNetworkPolicy whose subject names its namespace.
#[test]
fn kcnp_pinned_subject_and_the_namespace_flag() {
    let kcnp = r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-dev}
spec:
  tier: Admin
  priority: 5
  subject:
    pods:
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: api}}
  ingress:
  - action: Deny
    from:
    - namespaces: {matchLabels: {team: dev}}
"#;
    let c = to_namespaces(Target::Cnp, &with_workloads(kcnp), "ops");
    assert_valid(&c);
    assert!(c.output().is_empty(), "{}", c.text);
    assert!(
        found(&c).contains(&(Code::NoEquivalent, "spec.subject".to_owned())),
        "{:?}",
        found(&c)
    );
    assert_changes(&c, "dev/web -> shop/api TCP/80: denied");
    let c = to_namespaces(Target::Cnp, &with_workloads(kcnp), "shop");
    assert!(
        !found(&c).iter().any(|(code, _)| *code == Code::NoEquivalent),
        "{:?}",
        found(&c)
    );
    assert_equivalent(&c);
}

/// §2.13: a CCNP peer in its CNP form is pinned to pods of any namespace;
/// only a peer that says nothing but "this CNP's own namespace" may drop
/// that label (Cilium injects it). Beside another namespace requirement (an
/// `In`, or the same key under another source) it must stay: both must
/// hold, and here they cannot, so the peer selects nothing.
#[test]
fn ccnp_peer_with_two_namespace_requirements_to_cnp() {
    for peer in [
        "{matchLabels: {io.kubernetes.pod.namespace: shop}, matchExpressions: [{key: io.kubernetes.pod.namespace, \
         operator: In, values: [ops]}]}",
        "{matchLabels: {io.kubernetes.pod.namespace: ops, \"k8s:io.kubernetes.pod.namespace\": shop}}",
    ] {
        let ccnp = format!(
            r#"apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {{name: api}}
spec:
  endpointSelector: {{matchLabels: {{app: api, io.kubernetes.pod.namespace: shop}}}}
  ingress:
  - fromEndpoints: [{peer}]
"#
        );
        let c = to(Target::Cnp, &with_workloads(&ccnp));
        assert_valid(&c);
        assert!(found(&c).is_empty(), "{:?}", found(&c));
        assert_equivalent(&c);
    }
}

/// §2.8: `toServices` names a Service of the cluster; the output is applied
/// to the same cluster, so the proof resolves the output's services against
/// the input's (the output alone has none, and every flow to the service's
/// pods looked denied).
#[test]
fn to_services_is_proven_against_the_input_services() {
    let text = r#"apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toServices: [{k8sService: {serviceName: api}}]
"#;
    let c = to(Target::Ccnp, &with_workloads(text));
    assert_valid(&c);
    assert!(found(&c).is_empty(), "{:?}", found(&c));
    let proof = c.proof.as_ref().unwrap();
    assert!(proof.equivalent, "{:#?}", proof.differences);
    assert!(!c.diagnostics.iter().any(|d| d.code == Code::NotEquivalent));
}

/// §3.5: Cilium selects a ClusterNetworkPolicy `namespaces` peer by its
/// namespace labels alone; requiring none (`NotIn`), it also matches nodes
/// and addresses outside the cluster, which the CCNP's endpoint peer
/// (limited to pods, §2.13) does not: reported.
#[test]
fn kcnp_peer_excluding_namespaces_is_reported() {
    let kcnp = r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: not-dev}
spec:
  tier: Admin
  priority: 5
  subject:
    pods:
      namespaceSelector: {matchLabels: {team: shop}}
      podSelector: {matchLabels: {app: api}}
  ingress:
  - action: Deny
    from:
    - namespaces: {matchExpressions: [{key: team, operator: NotIn, values: [dev]}]}
"#;
    let c = to(Target::Ccnp, &with_workloads(kcnp));
    assert_valid(&c);
    assert!(
        found(&c).contains(&(Code::NoEquivalent, "spec.ingress[0].from[0]".to_owned())),
        "{:?}",
        found(&c)
    );
    assert_changes(&c, "node/node2 -> shop/api TCP/80: denied");
    assert_changes(&c, "8.8.8.8 -> shop/api TCP/80: denied");
}

/// §3.5 and §1.2: Cilium reads a `pods` peer's pod labels as `k8s:` labels;
/// written without a source they are `any:` and match node labels too, which
/// matters in a CNP where the namespace part does not keep the peer to pods
/// (no namespace is injected beside namespace labels, §2.13): there they
/// are written with `k8s:`.
#[test]
fn kcnp_pod_labels_stay_pod_labels_in_a_cnp() {
    let kcnp = r#"apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-pool-a}
spec:
  tier: Admin
  priority: 5
  subject:
    namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}
  egress:
  - action: Deny
    to:
    - pods:
        namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [dev]}]}
        podSelector: {matchLabels: {pool: a}}
"#;
    let c = to(Target::Cnp, &with_workloads(kcnp));
    assert_valid(&c);
    assert!(c.text.contains("        \"k8s:pool\": a\n"), "{}", c.text);
    assert!(
        !found(&c).iter().any(|(code, _)| *code == Code::NoEquivalent),
        "{:?}",
        found(&c)
    );
    assert_equivalent(&c);
}

/// §3.6 and §2.11: `world` is `0.0.0.0/0` and `::/0` also for a destination
/// known only by its DNS name (a `toFQDNs` peer's addresses are world
/// addresses): the comparison must not tell them apart there.
#[test]
fn world_and_the_zero_prefixes_agree_on_named_destinations() {
    let fqdn = r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: names, namespace: dev}
spec:
  endpointSelector: {}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
"#;
    let world = format!(
        "{fqdn}---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: out, namespace: shop}}\n\
         spec:\n  endpointSelector: {{}}\n  egress:\n  - toEntities: [world]\n"
    );
    let zero = format!(
        "{fqdn}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: shop}}\n\
         spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {{cidr: 0.0.0.0/0}}\n    \
         - ipBlock: {{cidr: '::/0'}}\n"
    );
    let read = |text: &str| {
        netpolkit::analyze(
            &with_workloads(text),
            &netpolkit::AnalyzeOptions {
                profile: profile(),
                ..netpolkit::AnalyzeOptions::default()
            },
        )
    };
    let (a, b) = (read(&world), read(&zero));
    fn side(x: &netpolkit::Analysis) -> netpolkit::compare::Side<'_> {
        netpolkit::compare::Side {
            profile: &x.profile,
            lowered: &x.lowered,
        }
    }
    let compared = netpolkit::compare::compare(
        &a.parsed.documents,
        side(&a),
        side(&b),
        &netpolkit::compare::CompareOptions {
            generate: true,
            max_explained: 5,
        },
    );
    assert_eq!(compared.differing, 0, "{:#?}", compared.differences);
    // A narrower prefix does not cover a name (its address is not known).
    let narrow = zero
        .replace("0.0.0.0/0", "203.0.113.0/24")
        .replace("'::/0'", "'2001:db8::/32'");
    let c = read(&narrow);
    let compared = netpolkit::compare::compare(
        &a.parsed.documents,
        side(&a),
        side(&c),
        &netpolkit::compare::CompareOptions {
            generate: true,
            max_explained: 0,
        },
    );
    assert!(
        compared
            .differences
            .iter()
            .any(|d| d.to == "api.example.com" && d.old_allowed && !d.new_allowed),
        "{:#?}",
        compared.differences
    );
}

// --- every file we have ---------------------------------------------------------

/// Every vector, scenario, example and corpus file, to every target these
/// directions produce: nothing panics, the output reads back without
/// errors, and where nothing was reported lost, no flow of the file's
/// workloads changes.
#[test]
fn every_file_converts_and_exact_conversions_keep_every_flow() {
    let files = oracle::every_manifest_file();
    assert!(files.len() > 100, "only {} files", files.len());
    let mut failures = Vec::new();
    let mut exact = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let has = |kind: &str| text.contains(&format!("kind: {kind}\n"));
        let mut targets = Vec::new();
        if has("CiliumNetworkPolicy") || has("CiliumClusterwideNetworkPolicy") {
            targets.push(Target::Knp);
        }
        if has("ClusterNetworkPolicy") {
            targets.extend([Target::Ccnp, Target::Cnp]);
        }
        for target in targets {
            let c = to(target, &text);
            let name = format!("{} --to {}", file.display(), target.as_str());
            if c.checked.parsed.has_errors() {
                let errors: Vec<_> = c
                    .checked
                    .parsed
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| format!("{} {}: {}", d.code.id(), d.path, d.message))
                    .collect();
                failures.push(format!(
                    "{name}: the output has errors:\n{}\n{}",
                    errors.join("\n"),
                    c.text
                ));
                continue;
            }
            let refused = c.diagnostics.iter().any(|d| d.severity == Severity::Error);
            // What the conversion itself reports lost (the proof's verdict is checked next).
            let lost = c.diagnostics.iter().any(|d| d.code == Code::NoEquivalent);
            if lost || refused || c.output().is_empty() {
                continue;
            }
            let differences = differing(&c);
            let proof = c.proof.as_ref().filter(|p| !p.equivalent);
            if let Some(proof) = proof {
                failures.push(format!(
                    "{name}: nothing reported lost, yet the proof finds {} differing flows: {:#?}\n--- output ---\n{}",
                    proof.differing,
                    proof.differences.first(),
                    c.text
                ));
            } else if differences.is_empty() {
                exact += 1;
            } else {
                failures.push(format!(
                    "{name}: nothing reported lost, yet flows differ:\n{}\n--- output ---\n{}",
                    differences.join("\n"),
                    c.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    println!("{} files, {exact} exact conversions", files.len());
    assert!(exact > 10, "only {exact} exact conversions checked");
}

// --- round trips on random policy sets ------------------------------------------

/// The CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy the forward
/// conversion writes for a NetworkPolicy (§1.8) are all in the subset that
/// converts back: random NetworkPolicy sets (every field, the traps of
/// §1.4–§1.6) go to CNP and CCNP and back to NetworkPolicy with nothing
/// reported lost and every flow of the scenario's workloads unchanged.
/// `CONVERT_CASES=n` runs more cases, `CONVERT_SEED=n` another seed.
#[test]
fn knp_round_trips_through_cilium_kinds() {
    let cases = std::env::var("CONVERT_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("CONVERT_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0x0072_6576_6572_7365_u64);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 300,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&oracle::generate::scenario(false), |s| {
        let rendered = s.render();
        for via in [Target::Cnp, Target::Ccnp] {
            round_trip(&rendered.yaml, via).map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, minimal)) => {
            panic!(
                "round trip failed (seed {seed}):\n{why}\n\nshrunk scenario:\n{}",
                minimal.render().yaml
            )
        }
        Err(e) => panic!("{e}"),
    }
}

fn round_trip(text: &str, via: Target) -> Result<(), String> {
    let plain = ConvertOptions {
        to: via,
        prove: false,
        ..ConvertOptions::default()
    };
    let there = convert(text, &plain);
    if there.has_errors() {
        return Err(format!("to {}: {:#?}", via.as_str(), there.diagnostics));
    }
    // Back, with the scenario's workloads (they place the clusterwide policies).
    let workloads: Vec<&netpolkit::Document> = there
        .source
        .parsed
        .documents
        .iter()
        .filter(|d| !d.model_kind().is_some_and(|k| k.is_policy()))
        .collect();
    let back_text = format!(
        "{}---\n{}",
        netpolkit::emit::emit(&workloads, netpolkit::emit::Format::Yaml),
        there.text
    );
    let back = convert(
        &back_text,
        &ConvertOptions {
            to: Target::Knp,
            prove: false,
            ..ConvertOptions::default()
        },
    );
    let lost: Vec<_> = back
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::NoEquivalent || d.severity == Severity::Error)
        .collect();
    if !lost.is_empty() || back.checked.parsed.has_errors() {
        return Err(format!(
            "back from {}: {lost:#?}\noutput: {:#?}\n--- {} ---\n{}\n--- back ---\n{}",
            via.as_str(),
            back.checked.parsed.diagnostics,
            via.as_str(),
            there.text,
            back.text
        ));
    }
    // The original NetworkPolicies against the returned ones, over the original workloads.
    let source = &there.source;
    let old = source.engine();
    let new = Engine::new(&source.profile, &back.checked.lowered, &source.cluster);
    let a = matrix(&old, Vec::new());
    let b = matrix(&new, a.flows.clone());
    let a = matrix(&old, b.flows.clone());
    let mut differences = Vec::new();
    for (i, from) in a.endpoints.iter().enumerate() {
        for (j, to) in a.endpoints.iter().enumerate() {
            for (p, port) in a.ports.iter().enumerate() {
                let (Some(bi), Some(bj), Some(bp)) = (
                    b.endpoints.iter().position(|e| e == from),
                    b.endpoints.iter().position(|e| e == to),
                    b.ports.iter().position(|x| x == port),
                ) else {
                    continue;
                };
                if a.is_allowed(i, j, p) != b.is_allowed(bi, bj, bp) {
                    differences.push(format!("{from} -> {to} {port}: before {}", a.is_allowed(i, j, p)));
                }
            }
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "via {}: flows differ:\n{}\n--- {} ---\n{}\n--- back ---\n{}",
            via.as_str(),
            differences.iter().take(10).cloned().collect::<Vec<_>>().join("\n"),
            via.as_str(),
            there.text,
            back.text
        ))
    }
}
