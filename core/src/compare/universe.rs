//! The universe a comparison decides flows over: the workloads given, and
//! endpoints generated from what either side's policies mention, so that
//! two policy sets that decide some flow differently are caught deciding a
//! flow of the universe differently.
//!
//! Every selector is read as requirements on *slots* of an identity: a pod
//! label, the namespace, a namespace label, the cluster, the service
//! account (cilium-semantics §1.2), or a node label. For each selector a
//! pod (or node) that satisfies it is generated — its *base* — and, for each
//! slot it constrains, one variant per value that slot can take: every
//! value the selector names, one value no selector names, and the label
//! absent. Two selectors that differ on some identity differ on one of
//! these: if neither base tells them apart, both bases satisfy both
//! selectors, and the slot whose requirements differ is varied from a base
//! through a value that one accepts and the other refuses (a value one of
//! them names, or the unnamed value, or absence).
//!
//! Addresses follow every CIDR and `except` of either side: first and last
//! address and one outside each end (§3.6: inside the pod range they are
//! pods, inside the node range nodes, elsewhere outside the cluster);
//! generated pods and nodes get addresses of the cluster's ranges that no
//! narrower CIDR mentions. Ports are one per interval that the mentioned
//! ports, ranges and named ports cut the port space into (so both ends of a
//! range and one past each end), per group of protocols the ports tell apart.
//! Everything is deterministic and bounded.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;

use super::Side;
use crate::cluster::{Cluster, Endpoint, EndpointKind, NAMESPACE, NAMESPACE_LABELS};
use crate::engine::Flow;
use crate::ir::{is_cilium_derived, FqdnMatch, Label, Labels, Op, Peer, PortNumber, Proto, Selector, SelectorKey};
use crate::ir::{Lowered, Source, Subject, L3};
use crate::model::{
    Container, ContainerPort, Document, IntOrString, Kind, LabelEntry, LabelMap, Manifest, Namespace, NodeAddress,
    NodeObject, ObjectMeta, Pod, PodFacts, Protocol, Spanned, Str,
};
use crate::profile::{Profile, ProfileKind};
use crate::source::Span;

const CLUSTER: &str = "io.cilium.k8s.policy.cluster";
const SERVICE_ACCOUNT: &str = "io.cilium.k8s.policy.serviceaccount";
const METADATA_NAME: &str = "kubernetes.io/metadata.name";

/// At most this many generated pods, nodes and outside addresses.
const MAX_PODS: usize = 4000;
const MAX_NODES: usize = 300;
const MAX_EXTERNALS: usize = 1000;

/// Generated endpoint names start with this.
pub const GENERATED: &str = "gen:";

/// The given workloads and the generated documents and addresses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Universe {
    pub documents: Vec<Document>,
    /// Documents with an index from this one on are generated.
    pub generated_from: usize,
    /// Generated pods of other clusters: document index → cluster name.
    pub remote: HashMap<usize, String>,
    /// Addresses (and DNS names) outside the cluster.
    pub externals: Vec<Endpoint>,
    /// Generated pods put on a generated node to be its own pod.
    pub probes: HashSet<usize>,
    /// Generation stopped at a bound.
    pub capped: bool,
}

impl Universe {
    /// The cluster of this universe under `profile`: generated endpoints
    /// are named `gen:...`, pods of other clusters carry their cluster.
    pub fn cluster(&self, profile: &Profile) -> Cluster {
        let mut cluster = Cluster::build(&self.documents, profile);
        for e in &mut cluster.endpoints {
            let Some(document) = e.document.filter(|d| *d >= self.generated_from) else {
                continue;
            };
            e.name = format!("{GENERATED}{}", e.name);
            if let Some(remote) = self.remote.get(&document) {
                let labels = e
                    .labels
                    .iter()
                    .filter(|l| !(l.key == CLUSTER && l.source == Source::K8s))
                    .cloned()
                    .chain(std::iter::once(Label::new(Source::K8s, CLUSTER, remote.clone())))
                    .collect();
                e.labels = Labels::new(labels);
                e.remote_cluster = Some(remote.clone());
                e.node = None;
            }
        }
        cluster
    }

    /// Whether `e` is a generated pod placed on a generated node to be its own.
    pub fn is_probe(&self, e: &Endpoint) -> bool {
        e.document.is_some_and(|d| self.probes.contains(&d))
    }

    pub fn is_generated(&self, e: &Endpoint) -> bool {
        e.kind == EndpointKind::External || e.document.is_some_and(|d| d >= self.generated_from)
    }
}

/// Where a requirement's key lives on a pod or node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Slot {
    Namespace,
    NsLabel(String),
    Cluster,
    ServiceAccount,
    PodLabel(String),
    NodeLabel(String),
}

impl Slot {
    /// Whether the slot can be empty (a label can be absent; a pod always
    /// has a namespace, a cluster and a service account).
    fn may_be_absent(&self) -> bool {
        matches!(self, Slot::NsLabel(_) | Slot::PodLabel(_) | Slot::NodeLabel(_))
    }
}

/// What a key means for the endpoints generated.
enum Place {
    Slot(Slot),
    /// Something no generated endpoint carries (a positive requirement on it
    /// cannot be met; a negative one always is).
    Never,
    /// Decided by something else than labels (reserved identities of nodes
    /// follow where the pod runs; nodes are always in the local cluster).
    Ignored,
}

fn pod_place(key: &SelectorKey) -> Place {
    match &key.source {
        Source::K8s | Source::Any => {
            if key.key == NAMESPACE {
                Place::Slot(Slot::Namespace)
            } else if let Some(rest) = key.key.strip_prefix(NAMESPACE_LABELS) {
                // Kubernetes labels every namespace with its name.
                if rest == METADATA_NAME {
                    Place::Slot(Slot::Namespace)
                } else {
                    Place::Slot(Slot::NsLabel(rest.to_owned()))
                }
            } else if key.key == CLUSTER {
                Place::Slot(Slot::Cluster)
            } else if key.key == SERVICE_ACCOUNT {
                Place::Slot(Slot::ServiceAccount)
            } else if is_cilium_derived(&key.key) {
                Place::Never
            } else {
                Place::Slot(Slot::PodLabel(key.key.clone()))
            }
        }
        // Kubernetes semantics: a pod's own label with a key Cilium derives.
        s if *s == Source::pod_label() => Place::Slot(Slot::PodLabel(key.key.clone())),
        _ => Place::Never,
    }
}

fn node_place(key: &SelectorKey) -> Place {
    match &key.source {
        // Nodes never carry the labels Cilium derives for pods.
        Source::Any if is_cilium_derived(&key.key) => Place::Never,
        Source::Node | Source::Any => Place::Slot(Slot::NodeLabel(key.key.clone())),
        Source::K8s if key.key == CLUSTER => Place::Ignored,
        Source::Reserved => Place::Ignored,
        _ => Place::Never,
    }
}

/// One requirement on a slot's value (`None`: absent).
#[derive(Clone, Debug)]
enum Req {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    Absent,
}

impl Req {
    fn positive(&self) -> bool {
        matches!(self, Req::In(_) | Req::Exists)
    }

    fn holds(&self, value: Option<&str>) -> bool {
        match self {
            Req::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
            Req::NotIn(values) => !value.is_some_and(|v| values.iter().any(|x| x == v)),
            Req::Exists => value.is_some(),
            Req::Absent => value.is_none(),
        }
    }

    fn values(&self) -> &[String] {
        match self {
            Req::In(v) | Req::NotIn(v) => v,
            _ => &[],
        }
    }
}

type Reqs = BTreeMap<Slot, Vec<Req>>;

/// A selector's requirements by slot; `None` when no generated endpoint can
/// satisfy it.
fn requirements(s: &Selector, place: fn(&SelectorKey) -> Place) -> Option<Reqs> {
    let mut out: Reqs = BTreeMap::new();
    let requirements =
        s.match_labels
            .iter()
            .map(|(k, v)| (k, Req::In(vec![v.clone()])))
            .chain(s.expressions.iter().map(|(k, op, values)| {
                let req = match op {
                    Op::In => Req::In(values.clone()),
                    Op::NotIn => Req::NotIn(values.clone()),
                    Op::Exists => Req::Exists,
                    Op::DoesNotExist => Req::Absent,
                };
                (k, req)
            }));
    for (key, req) in requirements {
        match place(key) {
            Place::Slot(slot) => out.entry(slot).or_default().push(req),
            Place::Never if req.positive() => return None,
            Place::Never | Place::Ignored => {}
        }
    }
    Some(out)
}

/// An identity to generate: a value per slot (a slot left out is absent, or
/// its default: a namespace of its own, the local cluster, `default`).
type Point = BTreeMap<Slot, String>;

/// The values of every slot, across all selectors.
struct Values {
    /// The value no selector names, per slot.
    other: HashMap<Slot, String>,
    local_cluster: String,
    /// The namespace of pods whose namespace no selector names.
    other_namespace: String,
}

impl Values {
    fn new(all: &[&Reqs], local_cluster: &str, given_namespaces: &BTreeSet<String>) -> Values {
        let mut mentioned: HashMap<&Slot, HashSet<&str>> = HashMap::new();
        for reqs in all {
            for (slot, list) in reqs.iter() {
                let set = mentioned.entry(slot).or_default();
                set.extend(list.iter().flat_map(|r| r.values()).map(String::as_str));
            }
        }
        let fresh = |base: &str, taken: &dyn Fn(&str) -> bool| -> String {
            let mut candidate = base.to_owned();
            let mut n = 2;
            while taken(&candidate) {
                candidate = format!("{base}-{n}");
                n += 1;
            }
            candidate
        };
        let namespaces = mentioned.get(&Slot::Namespace).cloned().unwrap_or_default();
        let other_namespace = fresh("netpolkit-ns-{}", &|c| {
            namespaces.contains(c) || given_namespaces.contains(c)
        });
        let mut other = HashMap::new();
        for (slot, set) in &mentioned {
            let base = match slot {
                Slot::Namespace => continue,
                Slot::Cluster => "other-cluster",
                Slot::ServiceAccount => "other-sa",
                _ => "other",
            };
            let value = fresh(base, &|c| {
                set.contains(c) || (**slot == Slot::Cluster && c == local_cluster)
            });
            other.insert((*slot).clone(), value);
        }
        Values {
            other,
            local_cluster: local_cluster.to_owned(),
            other_namespace,
        }
    }

    /// The values worth trying in `slot` for these requirements, the
    /// preferred base first.
    fn candidates(&self, slot: &Slot, reqs: &[Req]) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = Vec::new();
        let mut push = |v: Option<String>| {
            if !out.contains(&v) {
                out.push(v);
            }
        };
        match slot {
            Slot::Cluster => push(Some(self.local_cluster.clone())),
            Slot::ServiceAccount => push(Some("default".to_owned())),
            _ => {}
        }
        for v in reqs.iter().flat_map(|r| r.values()) {
            push(Some(v.clone()));
        }
        if slot.may_be_absent() {
            push(None);
        }
        match slot {
            Slot::Namespace => push(Some(self.other_namespace.clone())),
            _ => push(Some(
                self.other.get(slot).cloned().unwrap_or_else(|| "other".to_owned()),
            )),
        }
        out
    }

    /// The base point of a selector and one variant per other value of each
    /// slot it constrains; `None` when it cannot be satisfied.
    fn family(&self, reqs: &Reqs) -> Option<Vec<Point>> {
        let mut base = Point::new();
        let mut tries = Vec::new();
        for (slot, list) in reqs {
            let candidates = self.candidates(slot, list);
            let pick = candidates
                .iter()
                .find(|v| list.iter().all(|r| r.holds(v.as_deref())))?
                .clone();
            if let Some(v) = &pick {
                base.insert(slot.clone(), v.clone());
            }
            tries.push((slot, pick, candidates));
        }
        let mut out = vec![base.clone()];
        for (slot, pick, candidates) in tries {
            for v in candidates.into_iter().filter(|v| *v != pick) {
                let mut point = base.clone();
                match v {
                    Some(v) => point.insert(slot.clone(), v),
                    None => point.remove(slot),
                };
                out.push(point);
            }
        }
        Some(out)
    }
}

/// What either side mentions.
#[derive(Default)]
struct Mentions {
    pod_selectors: Vec<Selector>,
    node_selectors: Vec<Selector>,
    cidrs: Vec<IpNet>,
    fqdns: Vec<FqdnMatch>,
}

impl Mentions {
    fn of(sides: &[Side; 2], given: &[Document]) -> Mentions {
        let mut m = Mentions::default();
        let mut seen_pods = HashSet::new();
        let mut seen_nodes = HashSet::new();
        let mut pod = |m: &mut Mentions, s: &Selector| {
            if seen_pods.insert(s.clone()) {
                m.pod_selectors.push(s.clone());
            }
        };
        let mut node = |m: &mut Mentions, s: &Selector| {
            if seen_nodes.insert(s.clone()) {
                m.node_selectors.push(s.clone());
            }
        };
        for side in sides {
            for entry in &side.lowered.entries {
                match &entry.subject {
                    Subject::Endpoints(s) => pod(&mut m, s),
                    Subject::Host(s) => node(&mut m, s),
                }
                let L3::Peers(peers) = &entry.l3 else { continue };
                for peer in peers {
                    match peer {
                        Peer::Selector(s) => {
                            pod(&mut m, s);
                            // Cilium identities: a selector on node or any
                            // labels may match nodes (§2.13).
                            let on_nodes = s
                                .match_labels
                                .iter()
                                .map(|(k, _)| k)
                                .chain(s.expressions.iter().map(|(k, _, _)| k))
                                .any(|k| matches!(k.source, Source::Node | Source::Any));
                            if on_nodes {
                                node(&mut m, s);
                            }
                        }
                        Peer::Nodes { selector, .. } => node(&mut m, selector),
                        Peer::Cidr { cidr, except } => {
                            m.cidrs.push(*cidr);
                            m.cidrs.extend(except.iter().copied());
                        }
                        Peer::Fqdn(f) => {
                            if !m.fqdns.contains(f) {
                                m.fqdns.push(f.clone());
                            }
                        }
                        Peer::Entity(_) | Peer::Unresolved(_) => {}
                    }
                }
            }
        }
        // The pods behind each Service (Azure NPM's exceptions follow them).
        for d in given {
            if let Manifest::Service(s) = &d.manifest {
                let Some(labels) = s.selector.as_ref().filter(|l| !l.is_empty()) else {
                    continue;
                };
                let mut selector = Selector::wildcard();
                for (k, v) in labels.iter() {
                    selector.add_label(SelectorKey::new(Source::K8s, k), v);
                }
                let ns = s.metadata.namespace().unwrap_or("default");
                selector.add_label(SelectorKey::new(Source::K8s, NAMESPACE), ns);
                pod(&mut m, &selector);
            }
        }
        let mut seen = HashSet::new();
        m.cidrs.retain(|c| seen.insert(*c));
        m
    }

    /// Container port names the policies use, with the protocol of their first use.
    fn named_ports(sides: &[Side; 2]) -> Vec<(String, Protocol)> {
        let mut out: Vec<(String, Protocol)> = Vec::new();
        for side in sides {
            for p in side.lowered.entries.iter().flat_map(|e| &e.l4).flat_map(|r| &r.ports) {
                if let PortNumber::Named(name) = &p.port {
                    if !out.iter().any(|(n, _)| n == name) {
                        let protocol = match p.protocol {
                            Proto::Udp => Protocol::Udp,
                            Proto::Sctp => Protocol::Sctp,
                            _ => Protocol::Tcp,
                        };
                        out.push((name.clone(), protocol));
                    }
                }
            }
        }
        out
    }
}

/// Hands out addresses of a range that no narrower CIDR of the policies
/// mentions, so that generated endpoints answer CIDRs like most of the range.
struct Addresses {
    ranges: Vec<(IpNet, u128)>,
    avoid: Vec<IpNet>,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn from_u128(like: IpAddr, n: u128) -> Option<IpAddr> {
    match like {
        IpAddr::V4(_) => u32::try_from(n).ok().map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(_) => Some(IpAddr::V6(n.into())),
    }
}

fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

impl Addresses {
    fn new(ranges: &[IpNet], cidrs: &[IpNet]) -> Addresses {
        Addresses {
            ranges: ranges
                .iter()
                .map(|r| (*r, to_u128(r.network()).saturating_add(1)))
                .collect(),
            avoid: cidrs.to_vec(),
        }
    }

    /// One fresh address in each range (of the families the ranges have).
    fn next(&mut self) -> Vec<IpAddr> {
        let mut out = Vec::new();
        for (range, next) in &mut self.ranges {
            let range = *range;
            let last = to_u128(range.broadcast());
            let narrower: Vec<&IpNet> = self
                .avoid
                .iter()
                .filter(|c| overlap(c, &range) && !c.contains(&range))
                .collect();
            while *next <= last {
                let Some(ip) = from_u128(range.network(), *next) else {
                    break;
                };
                match narrower.iter().find(|c| c.contains(&ip)) {
                    Some(c) => *next = to_u128(c.broadcast()).saturating_add(1),
                    None => {
                        *next = next.saturating_add(1);
                        out.push(ip);
                        break;
                    }
                }
            }
        }
        out
    }
}

/// First and last address of each CIDR and one outside each end.
fn boundaries(cidrs: &[IpNet]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for c in cidrs {
        let (first, last) = (to_u128(c.network()), to_u128(c.broadcast()));
        let like = c.network();
        let candidates = [
            Some(first),
            Some(last),
            first.checked_sub(1),
            last.checked_add(1)
                .filter(|_| !(like.is_ipv4() && last == u128::from(u32::MAX))),
        ];
        for ip in candidates.into_iter().flatten().filter_map(|n| from_u128(like, n)) {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}

/// Names that a DNS pattern or name matches, and near misses.
fn dns_names(fqdns: &[FqdnMatch]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |n: String| {
        let n = n.trim_end_matches('.').to_ascii_lowercase();
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    };
    for f in fqdns {
        match f {
            FqdnMatch::Name(n) => {
                push(n.clone());
                push(format!("x.{}", n.trim_end_matches('.')));
            }
            FqdnMatch::Pattern(p) => {
                let p = p.trim();
                if p == "*" {
                    push("any.example".to_owned());
                } else if let Some(rest) = p.strip_prefix("**.") {
                    push(format!("a.b.{}", rest.replace('*', "x")));
                    push(rest.replace('*', "x"));
                } else {
                    push(p.replace('*', "x"));
                    if let Some(rest) = p.strip_prefix("*.") {
                        push(rest.replace('*', "x"));
                    }
                }
            }
        }
    }
    out
}

fn s(v: impl Into<String>) -> Str {
    Spanned::new(v.into(), Span::default())
}

fn label_map(labels: &BTreeMap<String, String>) -> Option<Spanned<LabelMap>> {
    (!labels.is_empty()).then(|| {
        Spanned::new(
            LabelMap::new(
                labels
                    .iter()
                    .map(|(k, v)| LabelEntry {
                        key: s(k.clone()),
                        value: s(v.clone()),
                    })
                    .collect(),
            ),
            Span::default(),
        )
    })
}

fn describe(labels: &BTreeMap<String, String>) -> String {
    let list: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", list.join(","))
}

/// Builds the documents of a universe.
struct Builder {
    documents: Vec<Document>,
    next_index: usize,
    remote: HashMap<usize, String>,
    namespaces: BTreeSet<String>,
    nodes: BTreeSet<String>,
    pods: HashSet<(String, String)>,
    pod_addresses: Addresses,
    node_addresses: Addresses,
    named_ports: Vec<(String, Protocol, u16)>,
    probes: HashSet<usize>,
    capped: bool,
}

impl Builder {
    fn push(&mut self, kind: Kind, manifest: Manifest) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.documents.push(Document {
            index,
            span: Span::default(),
            path: String::new(),
            api_version: Some(s(kind.api_version())),
            kind: Some(s(kind.name())),
            manifest,
            source: None,
        });
        index
    }

    fn namespace(&mut self, name: &str, labels: &BTreeMap<String, String>) {
        if self.namespaces.insert(name.to_owned()) {
            let metadata = ObjectMeta {
                name: Some(s(name)),
                labels: label_map(labels),
                ..ObjectMeta::default()
            };
            self.push(
                Kind::Namespace,
                Manifest::Namespace(Namespace {
                    metadata: Spanned::new(metadata, Span::default()),
                }),
            );
        }
    }

    fn node(&mut self, name: &str, labels: &BTreeMap<String, String>, ips: Vec<IpAddr>) -> bool {
        if self.nodes.len() >= MAX_NODES {
            self.capped = true;
            return false;
        }
        if !self.nodes.insert(name.to_owned()) {
            return false;
        }
        let ips = if ips.is_empty() {
            self.node_addresses.next()
        } else {
            ips
        };
        let metadata = ObjectMeta {
            name: Some(s(name)),
            labels: label_map(labels),
            ..ObjectMeta::default()
        };
        self.push(
            Kind::Node,
            Manifest::Node(NodeObject {
                metadata: Spanned::new(metadata, Span::default()),
                pod_cidrs: Vec::new(),
                addresses: ips
                    .into_iter()
                    .map(|ip| NodeAddress {
                        kind: Some(s("InternalIP")),
                        address: Some(s(ip.to_string())),
                    })
                    .collect(),
            }),
        );
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn pod(
        &mut self,
        namespace: &str,
        name: String,
        labels: &BTreeMap<String, String>,
        service_account: &str,
        node: &str,
        ips: Vec<IpAddr>,
        remote: Option<&str>,
    ) -> Option<usize> {
        if self.pods.len() >= MAX_PODS {
            self.capped = true;
            return None;
        }
        if !self.pods.insert((namespace.to_owned(), name.clone())) {
            return None;
        }
        let ips = if ips.is_empty() { self.pod_addresses.next() } else { ips };
        let metadata = ObjectMeta {
            name: Some(s(name)),
            namespace: Some(s(namespace)),
            labels: label_map(labels),
            ..ObjectMeta::default()
        };
        let ports = self
            .named_ports
            .iter()
            .map(|(name, protocol, port)| {
                Spanned::new(
                    ContainerPort {
                        name: Some(s(name.clone())),
                        container_port: Some(Spanned::new(i64::from(*port), Span::default())),
                        protocol: Some(Spanned::new(*protocol, Span::default())),
                    },
                    Span::default(),
                )
            })
            .collect();
        let index = self.push(
            Kind::Pod,
            Manifest::Pod(Pod {
                metadata: Spanned::new(metadata, Span::default()),
                spec: PodFacts {
                    host_network: None,
                    node_name: Some(s(node)),
                    service_account_name: Some(s(service_account)),
                    containers: vec![Container {
                        name: Some(s("main")),
                        ports,
                    }],
                },
                pod_ips: ips.iter().map(|ip| s(ip.to_string())).collect(),
                host_ip: None,
            }),
        );
        if let Some(cluster) = remote {
            self.remote.insert(index, cluster.to_owned());
        }
        Some(index)
    }
}

/// The universe for comparing `sides` over `workloads`.
pub(crate) fn build(workloads: &[Document], sides: [Side; 2], generate: bool) -> Universe {
    let given: Vec<Document> = workloads
        .iter()
        .filter(|d| {
            matches!(
                d.manifest,
                Manifest::Namespace(_)
                    | Manifest::Pod(_)
                    | Manifest::Node(_)
                    | Manifest::Service(_)
                    | Manifest::Workload(_)
            )
        })
        .cloned()
        .collect();
    let generated_from = given.iter().map(|d| d.index + 1).max().unwrap_or(0);
    if !generate {
        return Universe {
            documents: given,
            generated_from: usize::MAX,
            ..Universe::default()
        };
    }
    let mentions = Mentions::of(&sides, &given);
    let profiles = [sides[0].profile, sides[1].profile];
    let given_namespaces = crate::sort::set(given.iter().filter_map(|d| match &d.manifest {
        Manifest::Namespace(ns) => ns.metadata.name().map(str::to_owned),
        _ => None,
    }));
    let ranges = |f: fn(&Profile) -> &Vec<IpNet>| -> Vec<IpNet> {
        let mut out: Vec<IpNet> = Vec::new();
        for p in profiles {
            for r in f(p) {
                if !out.contains(r) {
                    out.push(*r);
                }
            }
        }
        out
    };
    let (pod_ranges, node_ranges, service_ranges) = (
        ranges(|p| &p.pod_cidrs),
        ranges(|p| &p.node_cidrs),
        ranges(|p| &p.service_cidrs),
    );

    let pod_reqs: Vec<Reqs> = mentions
        .pod_selectors
        .iter()
        .filter_map(|s| requirements(s, pod_place))
        .collect();
    let node_reqs: Vec<Reqs> = mentions
        .node_selectors
        .iter()
        .filter_map(|s| requirements(s, node_place))
        .collect();
    let all: Vec<&Reqs> = pod_reqs.iter().chain(&node_reqs).collect();
    let values = Values::new(&all, &sides[0].profile.cluster_name, &given_namespaces);

    // Synthetic numbers for the named ports, away from every number mentioned.
    let mentioned_numbers: HashSet<u16> = sides
        .iter()
        .flat_map(|s| s.lowered.entries.iter())
        .flat_map(|e| &e.l4)
        .flat_map(|r| &r.ports)
        .filter_map(|p| match p.port {
            PortNumber::Number(n) => Some(n),
            PortNumber::Named(_) => None,
        })
        .collect();
    let mut number = 30000u16;
    let mut named_ports = Vec::new();
    for (name, protocol) in Mentions::named_ports(&sides) {
        number += 1;
        while mentioned_numbers.contains(&number) {
            number += 1;
        }
        named_ports.push((name, protocol, number));
    }

    let mut b = Builder {
        documents: given,
        next_index: generated_from,
        remote: HashMap::new(),
        namespaces: given_namespaces.clone(),
        nodes: BTreeSet::new(),
        pods: HashSet::new(),
        pod_addresses: Addresses::new(&pod_ranges, &mentions.cidrs),
        node_addresses: Addresses::new(&node_ranges, &mentions.cidrs),
        named_ports,
        probes: HashSet::new(),
        capped: false,
    };

    // Pods: the families of every selector, deduplicated.
    let mut points: Vec<Point> = vec![Point::new()];
    let mut seen: HashSet<Point> = points.iter().cloned().collect();
    for reqs in &pod_reqs {
        for point in values.family(reqs).into_iter().flatten() {
            if seen.insert(point.clone()) {
                points.push(point);
            }
        }
    }
    // A namespace the policies name and the input does not describe gets the
    // labels of the first point that wants it labelled.
    let mut planned: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let ns_labels = |p: &Point| -> BTreeMap<String, String> {
        crate::sort::map(p.iter().filter_map(|(slot, v)| match slot {
            Slot::NsLabel(k) => Some((k.clone(), v.clone())),
            _ => None,
        }))
    };
    for p in &points {
        let ns = p.get(&Slot::Namespace).unwrap_or(&values.other_namespace);
        if *ns != values.other_namespace && !given_namespaces.contains(ns) {
            let labels = ns_labels(p);
            let entry = planned.entry(ns.clone()).or_default();
            if entry.is_empty() {
                *entry = labels;
            }
        }
    }

    // Nodes: one without labels that generated pods run on, then the
    // families of node selectors.
    let base_node = "{}".to_owned();
    b.node(&base_node, &BTreeMap::new(), Vec::new());
    let mut node_points: Vec<Point> = Vec::new();
    let mut seen_nodes: HashSet<Point> = HashSet::new();
    for reqs in &node_reqs {
        for point in values.family(reqs).into_iter().flatten() {
            if seen_nodes.insert(point.clone()) {
                node_points.push(point);
            }
        }
    }
    let mut probe_nodes = Vec::new();
    for point in &node_points {
        let labels = crate::sort::map(point.iter().filter_map(|(slot, v)| match slot {
            Slot::NodeLabel(k) => Some((k.clone(), v.clone())),
            _ => None,
        }));
        let name = describe(&labels);
        if b.node(&name, &labels, Vec::new()) {
            probe_nodes.push(name);
        }
    }

    for p in &points {
        let ns_value = p.get(&Slot::Namespace).unwrap_or(&values.other_namespace);
        let namespace = if *ns_value == values.other_namespace {
            let labels = ns_labels(p);
            let name = if labels.is_empty() {
                values.other_namespace.clone()
            } else {
                format!("netpolkit-ns-{}", describe(&labels))
            };
            b.namespace(&name, &labels);
            name
        } else {
            if let Some(labels) = planned.get(ns_value) {
                b.namespace(ns_value, labels);
            }
            ns_value.clone()
        };
        let labels = crate::sort::map(p.iter().filter_map(|(slot, v)| match slot {
            Slot::PodLabel(k) => Some((k.clone(), v.clone())),
            _ => None,
        }));
        let service_account = p.get(&Slot::ServiceAccount).map_or("default", String::as_str);
        let remote = p
            .get(&Slot::Cluster)
            .filter(|c| **c != values.local_cluster)
            .map(String::as_str);
        let mut name = format!("pod{}", describe(&labels));
        if service_account != "default" {
            name = format!("{name}:serviceaccount={service_account}");
        }
        if let Some(cluster) = remote {
            name = format!("{name}:cluster={cluster}");
        }
        b.pod(
            &namespace,
            name,
            &labels,
            service_account,
            &base_node,
            Vec::new(),
            remote,
        );
    }

    // A pod on each generated node, so that each is some pod's own node.
    let plain = values.other_namespace.clone();
    b.namespace(&plain, &BTreeMap::new());
    for node in probe_nodes {
        let pod = b.pod(
            &plain,
            format!("pod{{}}@{node}"),
            &BTreeMap::new(),
            "default",
            &node,
            Vec::new(),
            None,
        );
        b.probes.extend(pod);
    }

    // Addresses at every CIDR boundary.
    let mut externals = Vec::new();
    let within = |ranges: &[IpNet], ip: &IpAddr| ranges.iter().any(|r| r.contains(ip));
    let mut addresses = boundaries(&mentions.cidrs);
    for default in ["203.0.113.1", "2001:db8::1"] {
        if let Ok(ip) = default.parse::<IpAddr>() {
            if !addresses.contains(&ip) {
                addresses.push(ip);
            }
        }
    }
    for ip in addresses {
        if within(&service_ranges, &ip) {
            // Policies apply after load-balancing: not an endpoint (§3.7).
            continue;
        }
        if within(&pod_ranges, &ip) {
            b.pod(
                &plain,
                ip.to_string(),
                &BTreeMap::new(),
                "default",
                &base_node,
                vec![ip],
                None,
            );
        } else if within(&node_ranges, &ip) {
            b.node(&ip.to_string(), &BTreeMap::new(), vec![ip]);
        } else if externals.len() < MAX_EXTERNALS {
            externals.push(Endpoint::external(Some(ip), None));
        } else {
            b.capped = true;
        }
    }
    for name in dns_names(&mentions.fqdns) {
        if externals.len() < MAX_EXTERNALS {
            externals.push(Endpoint::external(None, Some(name)));
        } else {
            b.capped = true;
        }
    }

    Universe {
        documents: b.documents,
        generated_from,
        remote: b.remote,
        externals,
        probes: b.probes,
        capped: b.capped,
    }
}

/// The flows to decide: per group of protocols that no port rule tells
/// apart, one port per interval of the port space that the mentioned ports
/// cut (ICMP: each mentioned type and one other).
pub(crate) fn flows(
    lowered: [&Lowered; 2],
    endpoints: &[Endpoint],
    cluster: &Cluster,
    profiles: [&Profile; 2],
) -> Vec<Flow> {
    let specs: Vec<&crate::ir::PortProto> = lowered
        .iter()
        .flat_map(|l| l.entries.iter())
        .flat_map(|e| &e.l4)
        .flat_map(|r| &r.ports)
        .collect();
    let azure = profiles.iter().any(|p| p.kind == ProfileKind::AzureNpm);
    let named: HashSet<&str> = specs
        .iter()
        .filter_map(|p| match &p.port {
            PortNumber::Named(n) => Some(n.as_str()),
            PortNumber::Number(_) => None,
        })
        .collect();

    // Everything that can cover a flow's protocol.
    let mut coverers: Vec<Proto> = specs.iter().map(|p| p.protocol).collect();
    coverers.extend(
        endpoints
            .iter()
            .flat_map(|e| &e.ports)
            .filter(|c| c.name.as_deref().is_some_and(|n| named.contains(n)))
            .map(|c| c.protocol),
    );
    if azure {
        coverers.extend(cluster.services.iter().flat_map(|s| &s.ports).map(|(_, _, p)| *p));
    }
    crate::sort::sort(&mut coverers);
    coverers.dedup();
    let mut candidates = vec![Proto::Tcp, Proto::Udp, Proto::Sctp, Proto::Icmp, Proto::Icmpv6];
    candidates.extend(coverers.iter().filter(|p| matches!(p, Proto::Other(_))));
    let mut groups: Vec<(Vec<bool>, Proto)> = Vec::new();
    for c in candidates {
        let signature: Vec<bool> = coverers.iter().map(|p| p.covers(c)).collect();
        if !groups.iter().any(|(s, _)| *s == signature) {
            groups.push((signature, c));
        }
    }

    let mut flows = Vec::new();
    for (_, protocol) in groups {
        let covering: Vec<&&crate::ir::PortProto> = specs.iter().filter(|p| p.protocol.covers(protocol)).collect();
        if matches!(protocol, Proto::Icmp | Proto::Icmpv6) {
            let mut types = crate::sort::set(covering.iter().filter_map(|p| match p.port {
                PortNumber::Number(n) => Some(n),
                PortNumber::Named(_) => None,
            }));
            let preferred = if protocol == Proto::Icmp { 8 } else { 128 };
            let other = std::iter::once(preferred)
                .chain(0..=255)
                .find(|t| !types.contains(t))
                .unwrap_or(preferred);
            types.insert(other);
            flows.extend(types.into_iter().map(|port| Flow { protocol, port }));
            continue;
        }
        let mut cuts: BTreeSet<u32> = BTreeSet::new();
        let mut cut = |start: u32, end: u32| {
            cuts.insert(start);
            cuts.insert(end + 1);
        };
        for p in &covering {
            match &p.port {
                PortNumber::Number(0) => {}
                PortNumber::Number(n) => {
                    let end = p.end_port.filter(|e| e > n).unwrap_or(*n);
                    cut(u32::from(*n), u32::from(end));
                }
                PortNumber::Named(name) => {
                    for c in endpoints.iter().flat_map(|e| &e.ports) {
                        if c.name.as_deref() == Some(name.as_str()) && c.protocol.covers(protocol) {
                            cut(u32::from(c.port), u32::from(c.port));
                        }
                    }
                }
            }
        }
        if azure {
            for s in &cluster.services {
                for (port, target, p) in &s.ports {
                    if p.covers(protocol) {
                        cut(u32::from(*port), u32::from(*port));
                        match target {
                            Some(IntOrString::Int(t)) => {
                                if let Ok(t) = u16::try_from(*t) {
                                    cut(u32::from(t), u32::from(t));
                                }
                            }
                            Some(IntOrString::Str(name)) => {
                                for c in endpoints.iter().flat_map(|e| &e.ports) {
                                    if c.name.as_deref() == Some(name.as_str()) {
                                        cut(u32::from(c.port), u32::from(c.port));
                                    }
                                }
                            }
                            None => {}
                        }
                    }
                }
            }
        }
        let cuts: Vec<u16> = cuts
            .into_iter()
            .filter_map(|c| u16::try_from(c).ok())
            .filter(|c| *c > 0)
            .collect();
        match cuts.first() {
            None => flows.push(Flow {
                protocol,
                port: if matches!(protocol, Proto::Other(_)) { 0 } else { 80 },
            }),
            Some(first) => {
                // The interval below the first cut, then one per cut.
                if *first > 1 {
                    flows.push(Flow {
                        protocol,
                        port: first - 1,
                    });
                }
                flows.extend(cuts.iter().map(|&port| Flow { protocol, port }));
            }
        }
    }
    crate::sort::sort(&mut flows);
    flows.dedup();
    flows
}
