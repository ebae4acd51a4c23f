//! Random small clusters with policies written natively as
//! CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or
//! ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2), as proptest
//! strategies (failures shrink to small YAML), and their rendering.
//!
//! The workloads are those of [`super::generate`] (namespaces, pods with
//! container ports, some on the host network, nodes with addresses), plus
//! node labels and, sometimes, one Service that `toServices` can name.
//!
//! Every policy is valid as written (cilium-semantics §2.12, §2.13b, and
//! the ClusterNetworkPolicy CRD's rules): the generated values are indices
//! into menus, and rendering bends each choice into what its place allows
//! (no L7 in deny rules or host policies, DNS rules only on egress with a
//! port, `toServices` and `toFQDNs` only where they exist, one kind of peer
//! per rule, named KCNP ports never next to `nodes` or `networks`).

// Only `convert_cilium_random.rs` uses this module; the other tests that
// include `oracle` do not.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use proptest::prelude::*;

use super::generate::{
    cidr_menu, cidr_rule, namespace_line, pod, q, render_workloads, PodGen, Workloads, NAMESPACES, NODE_KEYS, NS_KEYS,
    NUMBERS, POD_KEYS, PORT_NAMES, RANGES,
};

/// What kind of policies a scenario holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Cnp,
    Ccnp,
    /// ClusterNetworkPolicies, with a few CiliumNetworkPolicies beside them
    /// (so that the tiers have something to rank against).
    Kcnp,
}

/// The kind the scenario is converted to: most policies are generated
/// inside what it can express (see [`CiliumPolicyGen::expressible`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    Knp,
    Cnp,
    Ccnp,
}

#[derive(Clone, Debug)]
pub struct CiliumScenario {
    pub source: Source,
    pub aim: Aim,
    pub namespaces: Vec<Vec<(usize, usize)>>,
    pub nodes: Vec<Vec<(usize, usize)>>,
    pub pods: Vec<PodGen>,
    /// A Service `svc` in namespace `.0` selecting `app: APP[.1]`.
    pub service: Option<(usize, usize)>,
    pub policies: Vec<CiliumPolicyGen>,
    pub kcnps: Vec<KcnpGen>,
    /// `--namespace`: indices into the namespaces (plus one that is not
    /// there), or `None` to let the workloads say.
    pub namespace_flag: Option<Vec<usize>>,
}

// --- Cilium selectors --------------------------------------------------------

/// A selector key: its class, an index into the class, and how its source is written.
#[derive(Clone, Debug)]
pub struct KeyGen {
    pub class: KeyClass,
    pub index: usize,
    /// 0: no source, 1: `k8s:`, 2: `any:` (where the class allows it).
    pub prefix: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyClass {
    /// The pod's own labels ([`POD_KEYS`]).
    Pod,
    /// `io.kubernetes.pod.namespace`.
    Namespace,
    /// `io.cilium.k8s.namespace.labels.*` ([`NS_KEYS`]).
    NamespaceLabel,
    /// Labels Cilium derives: service account, cluster.
    Derived,
    /// `reserved:*`.
    Reserved,
    /// Node labels ([`NODE_KEYS`]), for node selectors.
    Node,
}

const NAMESPACE_KEY: &str = "io.kubernetes.pod.namespace";
const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";
const NAMESPACE_VALUES: [&str; 5] = ["alpha", "default", "beta", "gamma", "delta"];
const DERIVED: [(&str, &[&str]); 2] = [
    ("io.cilium.k8s.policy.serviceaccount", &["default", "robot"]),
    ("io.cilium.k8s.policy.cluster", &["default", "other"]),
];
const RESERVED: [&str; 5] = [
    "reserved:host",
    "reserved:remote-node",
    "reserved:health",
    "reserved:world",
    "reserved:init",
];

impl KeyGen {
    /// The key as written, and the values it may take.
    fn resolve(&self) -> (String, Vec<&'static str>) {
        let source = match self.prefix % 3 {
            0 => "",
            1 => "k8s:",
            _ => "any:",
        };
        match self.class {
            KeyClass::Pod => {
                let (k, v) = POD_KEYS[self.index % POD_KEYS.len()];
                (format!("{source}{k}"), v.to_vec())
            }
            KeyClass::Namespace => (format!("{source}{NAMESPACE_KEY}"), NAMESPACE_VALUES.to_vec()),
            KeyClass::NamespaceLabel => {
                let (k, v) = NS_KEYS[self.index % NS_KEYS.len()];
                let values = if k == "kubernetes.io/metadata.name" {
                    NAMESPACE_VALUES.to_vec()
                } else {
                    v.to_vec()
                };
                let source = if self.prefix % 2 == 1 { "k8s:" } else { "" };
                (format!("{source}{NAMESPACE_LABELS}{k}"), values)
            }
            KeyClass::Derived => {
                let (k, v) = DERIVED[self.index % DERIVED.len()];
                (format!("{source}{k}"), v.to_vec())
            }
            KeyClass::Reserved => (RESERVED[self.index % RESERVED.len()].to_owned(), vec![""]),
            KeyClass::Node => {
                let (k, v) = NODE_KEYS[self.index % NODE_KEYS.len()];
                (k.to_owned(), v.to_vec())
            }
        }
    }
}

/// A Cilium label selector.
#[derive(Clone, Debug)]
pub struct CSel {
    pub labels: Vec<(KeyGen, usize)>,
    /// (key, operator 0..4 = In, NotIn, Exists, DoesNotExist, values)
    pub expressions: Vec<(KeyGen, u8, Vec<usize>)>,
}

fn key(weights: [u32; 6]) -> impl Strategy<Value = KeyGen> {
    let class = prop_oneof![
        weights[0] => Just(KeyClass::Pod),
        weights[1] => Just(KeyClass::Namespace),
        weights[2] => Just(KeyClass::NamespaceLabel),
        weights[3] => Just(KeyClass::Derived),
        weights[4] => Just(KeyClass::Reserved),
        weights[5] => Just(KeyClass::Node),
    ];
    (
        class,
        0usize..8,
        prop_oneof![4 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(class, index, prefix)| KeyGen { class, index, prefix })
}

/// Peer selectors: mostly pod labels, then namespaces, now and then the
/// labels Cilium derives and reserved identities.
const PEER_KEYS: [u32; 6] = [10, 3, 3, 1, 1, 0];
/// CNP subjects: pod labels, rarely namespace keys (which Cilium overrides, §2.13).
const CNP_SUBJECT_KEYS: [u32; 6] = [12, 1, 2, 1, 0, 0];
/// CCNP subjects: pod labels and namespaces, rarely reserved identities.
const CCNP_SUBJECT_KEYS: [u32; 6] = [8, 4, 4, 1, 1, 0];
/// Node selectors.
const NODE_SELECTOR_KEYS: [u32; 6] = [0, 0, 0, 0, 0, 1];

fn csel(weights: [u32; 6]) -> impl Strategy<Value = CSel> {
    let expression = (key(weights), 0u8..4, prop::collection::vec(0usize..8, 1..=2));
    prop_oneof![
        1 => Just(CSel { labels: vec![], expressions: vec![] }),
        4 => (
            prop::collection::vec((key(weights), 0usize..8), 0..=2),
            prop::collection::vec(expression, 0..=2),
        )
            .prop_map(|(labels, expressions)| CSel { labels, expressions }),
    ]
}

fn render_csel(s: &CSel) -> String {
    let mut labels = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for (k, v) in &s.labels {
        let (key, values) = k.resolve();
        let value = values[v % values.len()];
        // `tier` and `any:tier` are one key to Cilium, which keeps one of
        // the two values at random (a Go map): write each key once.
        if seen.insert(key.strip_prefix("any:").unwrap_or(&key).to_owned()) {
            labels.insert(key, value);
        }
    }
    let mut parts = Vec::new();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
        parts.push(format!("matchLabels: {{{}}}", pairs.join(", ")));
    }
    if !s.expressions.is_empty() {
        let items: Vec<String> = s
            .expressions
            .iter()
            .map(|(k, op, vs)| {
                let (key, values) = k.resolve();
                // Reserved labels have no value: only `Exists` and `DoesNotExist` say something.
                let op = if k.class == KeyClass::Reserved {
                    2 + op % 2
                } else {
                    op % 4
                };
                let op = ["In", "NotIn", "Exists", "DoesNotExist"][usize::from(op)];
                if op == "In" || op == "NotIn" {
                    let chosen: BTreeSet<&str> = vs.iter().map(|v| values[v % values.len()]).collect();
                    let list: Vec<String> = chosen.iter().map(|v| q(v)).collect();
                    format!("{{key: {}, operator: {op}, values: [{}]}}", q(&key), list.join(", "))
                } else {
                    format!("{{key: {}, operator: {op}}}", q(&key))
                }
            })
            .collect();
        parts.push(format!("matchExpressions: [{}]", items.join(", ")));
    }
    format!("{{{}}}", parts.join(", "))
}

// --- Cilium policies ---------------------------------------------------------

#[derive(Clone, Debug)]
pub struct CiliumPolicyGen {
    pub clusterwide: bool,
    /// Kept inside what the scenario's aim can express.
    pub plain: bool,
    /// The namespaces (indices) a plain clusterwide subject is pinned to.
    pub pin: Vec<usize>,
    pub ns: usize,
    /// One rule is written as `spec` unless `specs` is asked for.
    pub specs: bool,
    pub rules: Vec<RuleGen>,
}

#[derive(Clone, Debug)]
pub struct RuleGen {
    /// `None`: a host policy (`nodeSelector`, clusterwide only).
    pub subject: Option<CSel>,
    pub node_selector: CSel,
    /// ingress, ingressDeny, egress, egressDeny; `Some(vec![])` is written `[]`.
    pub sections: [Option<Vec<PeerRuleGen>>; 4],
    pub default_deny: Option<(Option<bool>, Option<bool>)>,
}

#[derive(Clone, Debug)]
pub struct PeerRuleGen {
    pub peers: PeersGen,
    pub l4: L4Gen,
}

#[derive(Clone, Debug)]
pub enum PeersGen {
    Omitted,
    /// An empty list is written `[]` (selects nothing, §2.14).
    Endpoints(Vec<CSel>),
    Cidr(Vec<usize>),
    /// (cidr, except: `None` left out, or picks among the menu entries inside it)
    CidrSet(Vec<(usize, Option<Vec<usize>>)>),
    Entities(Vec<usize>),
    Nodes(Vec<CSel>),
    /// 0: the service by name, 1: by name and namespace, 2: by labels and
    /// namespace, 3: by labels.
    Services(Vec<u8>),
    Fqdns(Vec<u8>),
}

#[derive(Clone, Debug)]
pub enum L4Gen {
    None,
    Ports(Vec<PortRuleGen>),
    /// (IPv6, type index)
    Icmps(Vec<(bool, usize)>),
}

#[derive(Clone, Debug)]
pub struct PortRuleGen {
    /// (protocol 0..5 = omitted, TCP, UDP, SCTP, ANY; port)
    pub ports: Vec<(u8, PortGen)>,
    /// 0: none, 1: HTTP, 2: DNS.
    pub l7: u8,
}

#[derive(Clone, Debug)]
pub enum PortGen {
    Zero,
    Number(usize),
    Range(usize),
    Named(usize),
}

pub const ENTITIES: [&str; 11] = [
    "all",
    "world",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "init",
    "health",
    "unmanaged",
    "ingress",
    "none",
];

/// (IPv6, type as written)
const ICMP_TYPES: [(bool, &str); 6] = [
    (false, "8"),
    (false, "0"),
    (false, "EchoRequest"),
    (false, "DestinationUnreachable"),
    (true, "128"),
    (true, "EchoReply"),
];

const FQDNS: [&str; 3] = [
    "{matchName: api.example.com}",
    "{matchPattern: \"*.example.com\"}",
    "{matchName: db.example.org}",
];

fn port_gen() -> impl Strategy<Value = PortGen> {
    prop_oneof![
        1 => Just(PortGen::Zero),
        4 => (0..NUMBERS.len()).prop_map(PortGen::Number),
        2 => (0..RANGES.len()).prop_map(PortGen::Range),
        2 => (0..PORT_NAMES.len()).prop_map(PortGen::Named),
    ]
}

fn port_rule_gen() -> impl Strategy<Value = PortRuleGen> {
    (
        prop::collection::vec((0u8..5, port_gen()), 1..=3),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(ports, l7)| PortRuleGen { ports, l7 })
}

fn l4_gen() -> impl Strategy<Value = L4Gen> {
    prop_oneof![
        3 => Just(L4Gen::None),
        5 => prop::collection::vec(port_rule_gen(), 1..=2).prop_map(L4Gen::Ports),
        1 => prop::collection::vec((any::<bool>(), 0usize..ICMP_TYPES.len()), 1..=2).prop_map(L4Gen::Icmps),
    ]
}

fn peers_gen() -> impl Strategy<Value = PeersGen> {
    prop_oneof![
        3 => Just(PeersGen::Omitted),
        8 => prop::collection::vec(csel(PEER_KEYS), 0..=3).prop_map(PeersGen::Endpoints),
        1 => prop::collection::vec(any::<usize>(), 1..=2).prop_map(PeersGen::Cidr),
        2 => prop::collection::vec(
            (any::<usize>(), prop::option::of(prop::collection::vec(any::<usize>(), 0..=2))),
            1..=2
        )
        .prop_map(PeersGen::CidrSet),
        3 => prop::collection::vec(0..ENTITIES.len(), 1..=3).prop_map(PeersGen::Entities),
        1 => prop::collection::vec(csel(NODE_SELECTOR_KEYS), 1..=2).prop_map(PeersGen::Nodes),
        1 => prop::collection::vec(0u8..4, 1..=2).prop_map(PeersGen::Services),
        1 => prop::collection::vec(0u8..3, 1..=2).prop_map(PeersGen::Fqdns),
    ]
}

fn peer_rule_gen() -> impl Strategy<Value = PeerRuleGen> {
    (peers_gen(), l4_gen()).prop_map(|(peers, l4)| PeerRuleGen { peers, l4 })
}

fn section() -> impl Strategy<Value = Option<Vec<PeerRuleGen>>> {
    prop_oneof![
        3 => Just(None),
        3 => prop::collection::vec(peer_rule_gen(), 0..=3).prop_map(Some),
    ]
}

fn rule_gen(clusterwide: bool) -> impl Strategy<Value = RuleGen> {
    let subject = if clusterwide {
        prop_oneof![
            1 => Just(None),
            8 => csel(CCNP_SUBJECT_KEYS).prop_map(Some),
        ]
        .boxed()
    } else {
        csel(CNP_SUBJECT_KEYS).prop_map(Some).boxed()
    };
    let flag = prop_oneof![2 => Just(None), 1 => Just(Some(false)), 1 => Just(Some(true))];
    (
        subject,
        csel(NODE_SELECTOR_KEYS),
        [section(), section(), section(), section()],
        prop::option::weighted(0.3, (flag.clone(), flag)),
    )
        .prop_map(|(subject, node_selector, sections, default_deny)| RuleGen {
            subject,
            node_selector,
            sections,
            default_deny,
        })
}

fn cilium_policy(clusterwide: bool) -> impl Strategy<Value = CiliumPolicyGen> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(0usize..4, 1..=2),
        0usize..4,
        prop::bool::weighted(0.2),
        prop::collection::vec(rule_gen(clusterwide), 1..=2),
    )
        .prop_map(move |(plain, pin, ns, specs, rules)| CiliumPolicyGen {
            clusterwide,
            plain,
            pin,
            ns,
            specs,
            rules,
        })
}

impl CSel {
    /// Namespaces (and namespace labels) required, never only excluded.
    fn positive_namespaces(&mut self) {
        for (k, op, _) in &mut self.expressions {
            if matches!(k.class, KeyClass::Namespace | KeyClass::NamespaceLabel) && *op % 2 == 1 {
                *op -= 1;
            }
        }
    }

    fn without(&mut self, classes: &[KeyClass]) {
        self.labels.retain(|(k, _)| !classes.contains(&k.class));
        self.expressions.retain(|(k, _, _)| !classes.contains(&k.class));
    }

    /// Pinned to the namespaces `pin` (indices into the scenario's).
    fn pin(&mut self, pin: &[usize], namespaces: usize) {
        self.without(&[KeyClass::Namespace]);
        let key = KeyGen {
            class: KeyClass::Namespace,
            index: 0,
            prefix: 0,
        };
        let values: Vec<usize> = pin.iter().map(|p| p % namespaces).collect();
        if values.len() == 1 {
            self.labels.push((key, values[0]));
        } else {
            self.expressions.push((key, 0, values));
        }
    }
}

impl CiliumPolicyGen {
    /// The policy bent into what `aim` can express exactly:
    ///
    /// - CCNP (from CNP): peers require the namespaces they name (a CNP peer
    ///   that only excludes namespaces also matches nodes, a CCNP peer never);
    /// - CNP (from CCNP): subjects are pods of namespaces named outright;
    /// - KNP: pod subjects (named namespaces, for CCNP), no deny rules, no
    ///   `enableDefaultDeny: false`, endpoint peers on pods, CIDRs, the
    ///   entities `all`, `world`, `none` and `host` (on ingress), ports
    ///   without L7 or ICMP.
    fn expressible(&self, aim: Aim, namespaces: usize) -> CiliumPolicyGen {
        let mut p = self.clone();
        if !p.plain {
            return p;
        }
        for r in &mut p.rules {
            if aim != Aim::Ccnp && p.clusterwide {
                let mut subject = r.subject.clone().unwrap_or(CSel {
                    labels: vec![],
                    expressions: vec![],
                });
                subject.without(&[KeyClass::Reserved, KeyClass::Node]);
                subject.pin(&p.pin, namespaces);
                r.subject = Some(subject);
            }
            if aim == Aim::Knp {
                if let Some(subject) = &mut r.subject {
                    subject.without(&[KeyClass::Reserved, KeyClass::Node, KeyClass::Derived]);
                }
                r.sections[1] = None;
                r.sections[3] = None;
                if let Some((ingress, egress)) = &mut r.default_deny {
                    for b in [ingress, egress] {
                        if *b == Some(false) {
                            *b = Some(true);
                        }
                    }
                }
            }
            for (k, section) in r.sections.iter_mut().enumerate() {
                let ingress = k < 2;
                for rule in section.iter_mut().flatten() {
                    if let PeersGen::Endpoints(list) | PeersGen::Nodes(list) = &mut rule.peers {
                        for sel in list.iter_mut() {
                            sel.positive_namespaces();
                        }
                    }
                    if aim != Aim::Knp {
                        continue;
                    }
                    rule.peers = match &rule.peers {
                        PeersGen::Endpoints(list) => PeersGen::Endpoints(
                            list.iter()
                                .cloned()
                                .map(|mut sel| {
                                    sel.without(&[KeyClass::Reserved, KeyClass::Node]);
                                    sel
                                })
                                .collect(),
                        ),
                        PeersGen::Entities(list) => {
                            let allowed: &[usize] = if ingress { &[0, 1, 10, 3] } else { &[0, 1, 10] };
                            PeersGen::Entities(list.iter().map(|e| allowed[e % allowed.len()]).collect())
                        }
                        PeersGen::Nodes(list) => PeersGen::Cidr((0..list.len()).collect()),
                        PeersGen::Services(list) | PeersGen::Fqdns(list) => {
                            PeersGen::Cidr(list.iter().map(|x| usize::from(*x)).collect())
                        }
                        other => other.clone(),
                    };
                    match &mut rule.l4 {
                        L4Gen::Icmps(_) => rule.l4 = L4Gen::None,
                        L4Gen::Ports(rules) => {
                            for pr in rules {
                                pr.l7 = 0;
                            }
                        }
                        L4Gen::None => {}
                    }
                }
            }
        }
        p
    }
}

// --- ClusterNetworkPolicy ----------------------------------------------------

#[derive(Clone, Debug)]
pub struct KcnpGen {
    /// Admin with Deny rules only, or Baseline with Accept rules only (and,
    /// aiming at CNP, a subject in a named namespace): what Cilium's one
    /// level of deny-over-allow says exactly (§3.5).
    pub plain: bool,
    pub pin: usize,
    pub baseline: bool,
    pub priority: usize,
    pub subject: KSubject,
    pub ingress: Option<Vec<KRule>>,
    pub egress: Option<Vec<KRule>>,
}

/// A Kubernetes selector over namespace labels or pod labels.
#[derive(Clone, Debug)]
pub struct KSel {
    pub labels: Vec<(usize, usize)>,
    pub expressions: Vec<(usize, u8, Vec<usize>)>,
}

#[derive(Clone, Debug)]
pub enum KSubject {
    Namespaces(KSel),
    /// (namespaceSelector, left out when `None`; podSelector)
    Pods(Option<KSel>, KSel),
}

#[derive(Clone, Debug)]
pub struct KRule {
    pub named: bool,
    /// 0 Accept, 1 Deny, 2 Pass.
    pub action: u8,
    pub peers: Vec<KPeer>,
    pub protocols: Option<Vec<KProto>>,
}

#[derive(Clone, Debug)]
pub enum KPeer {
    Namespaces(KSel),
    Pods(Option<KSel>, KSel),
    /// Egress only.
    Nodes(KSel),
    /// Egress only: menu indices.
    Networks(Vec<usize>),
}

#[derive(Clone, Debug)]
pub enum KProto {
    /// (protocol 0..3 = TCP, UDP, SCTP; port)
    Port(u8, KPort),
    Named(usize),
}

#[derive(Clone, Debug)]
pub enum KPort {
    Number(usize),
    Range(usize),
}

const PRIORITIES: [i64; 4] = [0, 10, 10, 500];

fn ksel() -> impl Strategy<Value = KSel> {
    let expression = (0usize..8, 0u8..4, prop::collection::vec(0usize..8, 1..=2));
    prop_oneof![
        1 => Just(KSel { labels: vec![], expressions: vec![] }),
        3 => (
            prop::collection::vec((0usize..8, 0usize..8), 0..=2),
            prop::collection::vec(expression, 0..=1),
        )
            .prop_map(|(labels, expressions)| KSel { labels, expressions }),
    ]
}

/// Namespace selectors may name the namespace by `kubernetes.io/metadata.name`.
fn render_ksel(s: &KSel, keys: &[(&'static str, &'static [&'static str])]) -> String {
    let values_of = |key: &str, values: &'static [&'static str]| -> Vec<&'static str> {
        if key == "kubernetes.io/metadata.name" {
            NAMESPACE_VALUES.to_vec()
        } else {
            values.to_vec()
        }
    };
    let mut labels = BTreeMap::new();
    for (k, v) in &s.labels {
        let (key, values) = keys[k % keys.len()];
        let values = values_of(key, values);
        labels.entry(key).or_insert(values[v % values.len()]);
    }
    let mut parts = Vec::new();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
        parts.push(format!("matchLabels: {{{}}}", pairs.join(", ")));
    }
    if !s.expressions.is_empty() {
        let items: Vec<String> = s
            .expressions
            .iter()
            .map(|(k, op, vs)| {
                let (key, values) = keys[k % keys.len()];
                let values = values_of(key, values);
                let op = ["In", "NotIn", "Exists", "DoesNotExist"][usize::from(*op % 4)];
                if op == "In" || op == "NotIn" {
                    let chosen: BTreeSet<&str> = vs.iter().map(|v| values[v % values.len()]).collect();
                    let list: Vec<String> = chosen.iter().map(|v| q(v)).collect();
                    format!("{{key: {}, operator: {op}, values: [{}]}}", q(key), list.join(", "))
                } else {
                    format!("{{key: {}, operator: {op}}}", q(key))
                }
            })
            .collect();
        parts.push(format!("matchExpressions: [{}]", items.join(", ")));
    }
    format!("{{{}}}", parts.join(", "))
}

fn kpeer() -> impl Strategy<Value = KPeer> {
    prop_oneof![
        3 => ksel().prop_map(KPeer::Namespaces),
        4 => (prop::option::of(ksel()), ksel()).prop_map(|(n, p)| KPeer::Pods(n, p)),
        1 => ksel().prop_map(KPeer::Nodes),
        2 => prop::collection::vec(any::<usize>(), 1..=2).prop_map(KPeer::Networks),
    ]
}

fn kproto() -> impl Strategy<Value = KProto> {
    prop_oneof![
        4 => (0u8..3, prop_oneof![
            3 => (0..NUMBERS.len()).prop_map(KPort::Number),
            1 => (0..RANGES.len()).prop_map(KPort::Range),
        ])
            .prop_map(|(p, port)| KProto::Port(p, port)),
        1 => (0..PORT_NAMES.len()).prop_map(KProto::Named),
    ]
}

fn krule() -> impl Strategy<Value = KRule> {
    (
        any::<bool>(),
        prop_oneof![4 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8)],
        prop::collection::vec(kpeer(), 1..=3),
        prop::option::weighted(0.6, prop::collection::vec(kproto(), 1..=3)),
    )
        .prop_map(|(named, action, peers, protocols)| KRule {
            named,
            action,
            peers,
            protocols,
        })
}

fn kcnp() -> impl Strategy<Value = KcnpGen> {
    let subject = prop_oneof![
        ksel().prop_map(KSubject::Namespaces),
        (prop::option::of(ksel()), ksel()).prop_map(|(n, p)| KSubject::Pods(n, p)),
    ];
    let rules = prop_oneof![
        1 => Just(None),
        3 => prop::collection::vec(krule(), 1..=3).prop_map(Some),
    ];
    (
        (prop::bool::weighted(0.8), 0usize..4),
        any::<bool>(),
        0..PRIORITIES.len(),
        subject,
        rules.clone(),
        rules,
    )
        .prop_map(|((plain, pin), baseline, priority, subject, ingress, egress)| KcnpGen {
            plain,
            pin,
            baseline,
            priority,
            subject,
            ingress,
            egress,
        })
}

impl KcnpGen {
    fn expressible(&self, aim: Aim, namespaces: usize) -> KcnpGen {
        let mut p = self.clone();
        if !p.plain {
            return p;
        }
        let action = if p.baseline { 0 } else { 1 };
        for r in p.ingress.iter_mut().chain(p.egress.iter_mut()).flatten() {
            r.action = action;
        }
        if aim == Aim::Cnp {
            // `kubernetes.io/metadata.name` (NS_KEYS[2]) of one namespace.
            let pin = (2, p.pin % namespaces);
            let drop_name = |s: &mut KSel| {
                s.labels.retain(|(k, _)| k % NS_KEYS.len() != 2);
                s.expressions.retain(|(k, _, _)| k % NS_KEYS.len() != 2);
            };
            match &mut p.subject {
                KSubject::Namespaces(s) => {
                    drop_name(s);
                    s.labels.push(pin);
                }
                KSubject::Pods(n, _) => {
                    let mut s = n.clone().unwrap_or(KSel {
                        labels: vec![],
                        expressions: vec![],
                    });
                    drop_name(&mut s);
                    s.labels.push(pin);
                    *n = Some(s);
                }
            }
        }
        p
    }
}

// --- scenarios ---------------------------------------------------------------

pub fn scenario(source: Source, aim: Aim) -> impl Strategy<Value = CiliumScenario> {
    let (cilium, kcnps) = match source {
        Source::Cnp => (
            prop::collection::vec(cilium_policy(false), 1..=6).boxed(),
            Just(vec![]).boxed(),
        ),
        Source::Ccnp => (
            prop::collection::vec(cilium_policy(true), 1..=6).boxed(),
            Just(vec![]).boxed(),
        ),
        Source::Kcnp => (
            prop::collection::vec(cilium_policy(false), 0..=1).boxed(),
            prop::collection::vec(kcnp(), 1..=6).boxed(),
        ),
    };
    (
        prop::collection::vec(prop::collection::vec((0usize..3, 0usize..5), 0..=2), 2..=4),
        prop::collection::vec(prop::collection::vec((0usize..2, 0usize..2), 0..=2), 0..=2),
        prop::collection::vec(pod(), 3..=9),
        prop::option::weighted(0.3, (0usize..4, 0usize..3)),
        cilium,
        kcnps,
        prop::option::weighted(0.3, prop::collection::vec(0usize..5, 1..=3)),
    )
        .prop_map(
            move |(namespaces, nodes, pods, service, policies, kcnps, namespace_flag)| CiliumScenario {
                source,
                aim,
                namespaces,
                nodes,
                pods,
                service,
                policies,
                kcnps,
                namespace_flag,
            },
        )
}

impl CiliumScenario {
    /// The namespace names of the workloads.
    pub fn namespace_names(&self) -> Vec<&'static str> {
        NAMESPACES[..self.namespaces.len()].to_vec()
    }

    /// `--namespace` as the option takes it, if the scenario passes one.
    pub fn flag(&self) -> Option<String> {
        let names = self.namespace_names();
        self.namespace_flag.as_ref().map(|picks| {
            let chosen: BTreeSet<&str> = picks
                .iter()
                .map(|p| if *p < names.len() { names[*p] } else { "delta" })
                .collect();
            chosen.into_iter().collect::<Vec<_>>().join(",")
        })
    }

    pub fn render(&self) -> String {
        let mut y = String::new();
        // Namespace labels: team and env (the metadata name is set by the model).
        let namespace_labels: Vec<Vec<(usize, usize)>> = self
            .namespaces
            .iter()
            .map(|l| l.iter().map(|(k, v)| (k % 2, *v)).collect())
            .collect();
        let Workloads { pod_ips, node_ips, .. } = render_workloads(&mut y, &namespace_labels, &self.nodes, &self.pods);
        let names = self.namespace_names();
        let ns = |i: usize| names[i % names.len()];
        if let Some((namespace, app)) = self.service {
            let (_, apps) = POD_KEYS[0];
            let _ = writeln!(
                y,
                "apiVersion: v1\nkind: Service\nmetadata: {{name: svc, namespace: {}, labels: {{tier: back}}}}\n\
                 spec:\n  selector: {{app: {}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n---",
                ns(namespace),
                apps[app % apps.len()]
            );
        }
        let menu = cidr_menu(&pod_ips, &node_ips, &[]);
        let service = self.service.map(|(namespace, _)| ns(namespace));
        let count = names.len();
        for (i, p) in self.policies.iter().enumerate() {
            let p = p.expressible(self.aim, count);
            render_cilium(&mut y, i, &p, ns(p.ns), &menu, service);
        }
        for (i, p) in self.kcnps.iter().enumerate() {
            render_kcnp(&mut y, i, &p.expressible(self.aim, count), &menu);
        }
        y
    }
}

fn render_cilium(
    y: &mut String,
    i: usize,
    p: &CiliumPolicyGen,
    namespace: &str,
    menu: &[String],
    service: Option<&str>,
) {
    if p.clusterwide {
        let _ = writeln!(
            y,
            "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: ccnp{i}"
        );
    } else {
        let _ = writeln!(
            y,
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: cnp{i}{}",
            namespace_line(namespace, i)
        );
    }
    let rules: Vec<String> = p
        .rules
        .iter()
        .map(|r| render_rule(r, p.clusterwide, menu, service))
        .collect();
    if rules.len() == 1 && !p.specs {
        y.push_str("spec:\n");
        for line in rules[0].lines() {
            let _ = writeln!(y, "  {line}");
        }
    } else {
        y.push_str("specs:\n");
        for rule in &rules {
            for (k, line) in rule.lines().enumerate() {
                let lead = if k == 0 { "- " } else { "  " };
                let _ = writeln!(y, "{lead}{line}");
            }
        }
    }
    y.push_str("---\n");
}

/// One rule, at indentation 0.
fn render_rule(r: &RuleGen, clusterwide: bool, menu: &[String], service: Option<&str>) -> String {
    let mut out = String::new();
    let host = clusterwide && r.subject.is_none();
    match &r.subject {
        Some(s) => {
            let _ = writeln!(out, "endpointSelector: {}", render_csel(s));
        }
        None => {
            let _ = writeln!(out, "nodeSelector: {}", render_csel(&r.node_selector));
        }
    }
    let mut any = false;
    for (k, section) in r.sections.iter().enumerate() {
        let Some(rules) = section else { continue };
        let (field, ingress, deny) = [
            ("ingress", true, false),
            ("ingressDeny", true, true),
            ("egress", false, false),
            ("egressDeny", false, true),
        ][k];
        any = true;
        if rules.is_empty() {
            let _ = writeln!(out, "{field}: []");
            continue;
        }
        let _ = writeln!(out, "{field}:");
        for rule in rules {
            let place = Place {
                ingress,
                deny,
                host,
                clusterwide,
            };
            let lines = render_peer_rule(rule, place, menu, service);
            if lines.is_empty() {
                out.push_str("- {}\n");
                continue;
            }
            for (k, line) in lines.iter().enumerate() {
                let lead = if k == 0 { "- " } else { "  " };
                for (j, part) in line.lines().enumerate() {
                    let lead = if j == 0 { lead } else { "  " };
                    let _ = writeln!(out, "{lead}{part}");
                }
            }
        }
    }
    if !any {
        // §2.12: a rule needs at least one section.
        out.push_str("ingress: [{}]\n");
    }
    if let Some((ingress, egress)) = r.default_deny {
        let mut parts = Vec::new();
        if let Some(b) = ingress {
            parts.push(format!("ingress: {b}"));
        }
        if let Some(b) = egress {
            parts.push(format!("egress: {b}"));
        }
        let _ = writeln!(out, "enableDefaultDeny: {{{}}}", parts.join(", "));
    }
    out
}

#[derive(Clone, Copy)]
struct Place {
    ingress: bool,
    deny: bool,
    host: bool,
    clusterwide: bool,
}

/// The fields of one peer rule (each may span lines, at indentation 0).
fn render_peer_rule(rule: &PeerRuleGen, place: Place, menu: &[String], service: Option<&str>) -> Vec<String> {
    let from = |kind: &str| {
        if place.ingress {
            format!("from{kind}")
        } else {
            format!("to{kind}")
        }
    };
    let mut lines = Vec::new();
    let mut peers = rule.peers.clone();
    // Bend what this place does not allow into something it does.
    if matches!(peers, PeersGen::Services(_)) && place.ingress {
        peers = PeersGen::Entities(vec![1]);
    }
    if let PeersGen::Fqdns(f) = &peers {
        if place.ingress || place.deny || place.host {
            peers = PeersGen::Cidr(f.iter().map(|x| usize::from(*x)).collect());
        }
    }
    match &peers {
        PeersGen::Omitted => {}
        PeersGen::Endpoints(list) if list.is_empty() => lines.push(format!("{}: []", from("Endpoints"))),
        PeersGen::Endpoints(list) => {
            let items: Vec<String> = list.iter().map(render_csel).collect();
            lines.push(format!("{}: [{}]", from("Endpoints"), items.join(", ")));
        }
        PeersGen::Cidr(list) => {
            let items: BTreeSet<&str> = list.iter().map(|c| menu[c % menu.len()].as_str()).collect();
            let items: Vec<&str> = items.into_iter().collect();
            lines.push(format!("{}: [{}]", from("CIDR"), items.join(", ")));
        }
        PeersGen::CidrSet(list) => {
            let items: Vec<String> = list.iter().map(|(c, except)| cidr_rule(menu, *c, except)).collect();
            lines.push(format!("{}: [{}]", from("CIDRSet"), items.join(", ")));
        }
        PeersGen::Entities(list) => {
            let items: BTreeSet<&str> = list.iter().map(|e| ENTITIES[e % ENTITIES.len()]).collect();
            let items: Vec<&str> = items.into_iter().collect();
            lines.push(format!("{}: [{}]", from("Entities"), items.join(", ")));
        }
        PeersGen::Nodes(list) => {
            let items: Vec<String> = list.iter().map(render_csel).collect();
            lines.push(format!("{}: [{}]", from("Nodes"), items.join(", ")));
        }
        PeersGen::Services(list) => {
            let items: BTreeSet<String> = list
                .iter()
                .map(|k| match (k % 4, service) {
                    (0, _) => "{k8sService: {serviceName: svc}}".to_owned(),
                    (1, Some(ns)) => format!("{{k8sService: {{serviceName: svc, namespace: {ns}}}}}"),
                    (1, None) => "{k8sService: {serviceName: svc, namespace: beta}}".to_owned(),
                    (2, Some(ns)) => {
                        format!(
                            "{{k8sServiceSelector: {{selector: {{matchLabels: {{tier: back}}}}, namespace: {ns}}}}}"
                        )
                    }
                    _ => "{k8sServiceSelector: {selector: {matchLabels: {tier: back}}}}".to_owned(),
                })
                .collect();
            let items: Vec<String> = items.into_iter().collect();
            lines.push(format!("toServices: [{}]", items.join(", ")));
        }
        PeersGen::Fqdns(list) => {
            let items: BTreeSet<&str> = list.iter().map(|f| FQDNS[usize::from(*f) % FQDNS.len()]).collect();
            let items: Vec<&str> = items.into_iter().collect();
            lines.push(format!("toFQDNs: [{}]", items.join(", ")));
        }
    }
    match &rule.l4 {
        L4Gen::None => {}
        L4Gen::Icmps(fields) => {
            let items: Vec<String> = fields
                .iter()
                .map(|(_, t)| {
                    let (v6, written) = ICMP_TYPES[t % ICMP_TYPES.len()];
                    let family = if v6 { "IPv6" } else { "IPv4" };
                    format!("{{family: {family}, type: {}}}", q(written))
                })
                .collect();
            lines.push(format!("icmps: [{{fields: [{}]}}]", items.join(", ")));
        }
        L4Gen::Ports(port_rules) => {
            let mut items = Vec::new();
            for pr in port_rules {
                let l7 = match pr.l7 {
                    _ if place.deny || place.host => 0,
                    2 if place.ingress => 1,
                    other => other,
                };
                let ports: Vec<String> = match l7 {
                    // HTTP: TCP only, and never port 0 (§2.12).
                    1 => pr
                        .ports
                        .iter()
                        .map(|(_, p)| match p {
                            PortGen::Number(i) | PortGen::Range(i) => {
                                format!("{{port: \"{}\", protocol: TCP}}", NUMBERS[i % NUMBERS.len()])
                            }
                            PortGen::Named(i) => format!("{{port: {}, protocol: TCP}}", PORT_NAMES[*i]),
                            PortGen::Zero => "{port: \"80\", protocol: TCP}".to_owned(),
                        })
                        .collect(),
                    // DNS: a port, no range (§2.12).
                    2 => {
                        let protocol = ["ANY", "UDP", "TCP"][usize::from(pr.ports[0].0 % 3)];
                        vec![format!("{{port: \"53\", protocol: {protocol}}}")]
                    }
                    _ => pr.ports.iter().map(|(proto, p)| render_port(*proto, p)).collect(),
                };
                let mut item = format!("{{ports: [{}]", ports.join(", "));
                match l7 {
                    1 => item.push_str(", rules: {http: [{method: GET, path: \"/api/.*\"}, {method: POST}]}"),
                    2 => item.push_str(", rules: {dns: [{matchPattern: \"*\"}]}"),
                    _ => {}
                }
                item.push('}');
                items.push(item);
            }
            lines.push(format!("toPorts: [{}]", items.join(", ")));
        }
    }
    let _ = place.clusterwide;
    lines
}

fn render_port(protocol: u8, p: &PortGen) -> String {
    let mut parts = Vec::new();
    match p {
        PortGen::Zero => parts.push("port: \"0\"".to_owned()),
        PortGen::Number(i) => parts.push(format!("port: \"{}\"", NUMBERS[*i])),
        PortGen::Range(i) => {
            let (a, b) = RANGES[*i];
            parts.push(format!("port: \"{a}\""));
            parts.push(format!("endPort: {b}"));
        }
        PortGen::Named(i) => parts.push(format!("port: {}", PORT_NAMES[*i])),
    }
    match protocol % 5 {
        0 => {}
        1 => parts.push("protocol: TCP".to_owned()),
        2 => parts.push("protocol: UDP".to_owned()),
        3 => parts.push("protocol: SCTP".to_owned()),
        _ => parts.push("protocol: ANY".to_owned()),
    }
    format!("{{{}}}", parts.join(", "))
}

fn render_kcnp(y: &mut String, i: usize, p: &KcnpGen, menu: &[String]) {
    let tier = if p.baseline { "Baseline" } else { "Admin" };
    let _ = writeln!(
        y,
        "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata:\n  name: kcnp{i}\n\
         spec:\n  tier: {tier}\n  priority: {}",
        PRIORITIES[p.priority % PRIORITIES.len()]
    );
    match &p.subject {
        KSubject::Namespaces(s) => {
            let _ = writeln!(y, "  subject:\n    namespaces: {}", render_ksel(s, &NS_KEYS));
        }
        KSubject::Pods(n, s) => {
            let _ = writeln!(y, "  subject:\n    pods:");
            if let Some(n) = n {
                let _ = writeln!(y, "      namespaceSelector: {}", render_ksel(n, &NS_KEYS));
            }
            let _ = writeln!(y, "      podSelector: {}", render_ksel(s, &POD_KEYS));
        }
    }
    let mut any = false;
    for (field, peers_field, rules, egress) in [
        ("ingress", "from", &p.ingress, false),
        ("egress", "to", &p.egress, true),
    ] {
        let Some(rules) = rules else { continue };
        any = true;
        let _ = writeln!(y, "  {field}:");
        for (k, r) in rules.iter().enumerate() {
            let action = ["Accept", "Deny", "Pass"][usize::from(r.action % 3)];
            let _ = writeln!(y, "  - action: {action}");
            if r.named {
                let _ = writeln!(y, "    name: {field}-{k}");
            }
            let _ = writeln!(y, "    {peers_field}:");
            let mut non_pod = false;
            for peer in &r.peers {
                let peer = match peer {
                    // `nodes` and `networks` are egress peers only.
                    KPeer::Nodes(s) if !egress => KPeer::Namespaces(s.clone()),
                    KPeer::Networks(_) if !egress => KPeer::Namespaces(KSel {
                        labels: vec![],
                        expressions: vec![],
                    }),
                    other => other.clone(),
                };
                match &peer {
                    KPeer::Namespaces(s) => {
                        let _ = writeln!(y, "    - namespaces: {}", render_ksel(s, &NS_KEYS));
                    }
                    KPeer::Pods(n, s) => {
                        let _ = writeln!(y, "    - pods:");
                        if let Some(n) = n {
                            let _ = writeln!(y, "        namespaceSelector: {}", render_ksel(n, &NS_KEYS));
                        }
                        let _ = writeln!(y, "        podSelector: {}", render_ksel(s, &POD_KEYS));
                    }
                    KPeer::Nodes(s) => {
                        non_pod = true;
                        let _ = writeln!(y, "    - nodes: {}", render_ksel(s, &NODE_KEYS));
                    }
                    KPeer::Networks(list) => {
                        non_pod = true;
                        let items: BTreeSet<&str> = list.iter().map(|c| menu[c % menu.len()].as_str()).collect();
                        let items: Vec<&str> = items.into_iter().collect();
                        let _ = writeln!(y, "    - networks: [{}]", items.join(", "));
                    }
                }
            }
            if let Some(protocols) = &r.protocols {
                let _ = writeln!(y, "    protocols:");
                for proto in protocols {
                    let proto = match proto {
                        // Nodes and networks have no named ports (the CRD refuses the pair).
                        KProto::Named(i) if non_pod => KProto::Port(0, KPort::Number(*i)),
                        other => other.clone(),
                    };
                    match proto {
                        KProto::Named(i) => {
                            let _ = writeln!(y, "    - destinationNamedPort: {}", PORT_NAMES[i % PORT_NAMES.len()]);
                        }
                        KProto::Port(p, port) => {
                            let protocol = ["tcp", "udp", "sctp"][usize::from(p % 3)];
                            let dest = match port {
                                KPort::Number(i) => format!("number: {}", NUMBERS[i % NUMBERS.len()]),
                                KPort::Range(i) => {
                                    let (a, b) = RANGES[i % RANGES.len()];
                                    // The CRD wants start < end.
                                    let b = if a == b { b + 1 } else { b };
                                    format!("range: {{start: {a}, end: {b}}}")
                                }
                            };
                            let _ = writeln!(y, "    - {protocol}: {{destinationPort: {{{dest}}}}}");
                        }
                    }
                }
            }
        }
    }
    if !any {
        y.push_str("  ingress: []\n");
    }
    y.push_str("---\n");
}
