//! The generated part of a comparison's universe: for every selector either
//! side mentions, a pod that matches it and pods that miss it by one
//! requirement each (in namespaces made to match or miss the namespace
//! requirements), nodes for node selectors and the host entities, addresses
//! at both ends of every CIDR and except, and the ports next to every port.
//!
//! Generated workloads are written as manifests and read like the user's,
//! so they get their identities exactly as real pods do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::engine::Flow;
use crate::ir::{Lowered, Op, Peer, PortNumber, Proto, Selector, Source, Subject, L3};
use crate::model::{Document, Manifest};
use crate::profile::Profile;

/// At most this many generated pods (the universe stays small enough to compare quickly).
const MAX_PODS: usize = 1500;
/// At most about this many matrix cells (endpoints² × ports) per side: the
/// matrix is a byte per cell, so big policy sets get fewer generated pods.
const MAX_CELLS: usize = 40_000_000;
const SERVICE_ACCOUNT: &str = "io.cilium.k8s.policy.serviceaccount";
const CLUSTER: &str = "io.cilium.k8s.policy.cluster";
/// A value no policy mentions.
const OTHER: &str = "netpolkit-other";

/// What the generator adds to the given workloads.
pub struct Samples {
    pub documents: Vec<Document>,
    /// Addresses outside the cluster (or in its ranges), as text for `Cluster::resolve`.
    pub addresses: Vec<String>,
    pub ports: Vec<Flow>,
    /// Fewer pods were generated than the selectors call for (the universe
    /// would not fit in memory).
    pub truncated: bool,
}

/// A requirement on one label of a pod, its namespace, or its service account.
#[derive(Clone, Debug)]
struct Req {
    op: Op,
    values: Vec<String>,
}

impl Req {
    fn holds(&self, value: Option<&str>) -> bool {
        match self.op {
            Op::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
        }
    }
}

/// Where a selector key lives on a pod.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Pod(String),
    Namespace,
    NamespaceLabel(String),
    ServiceAccount,
}

/// A selector as requirements per slot; `None` for selectors that are
/// not about pods (reserved identities).
fn slots(selector: &Selector) -> Option<BTreeMap<Slot, Vec<Req>>> {
    let mut out: BTreeMap<Slot, Vec<Req>> = BTreeMap::new();
    let requirements = selector
        .match_labels
        .iter()
        .map(|(k, v)| (k, Op::In, vec![v.clone()]))
        .chain(selector.expressions.iter().map(|(k, op, vs)| (k, *op, vs.clone())));
    for (key, op, values) in requirements {
        if !matches!(key.source, Source::K8s | Source::Any) {
            if key.source == Source::Reserved {
                return None;
            }
            continue;
        }
        let slot = if key.key == NAMESPACE {
            Slot::Namespace
        } else if let Some(label) = key.key.strip_prefix(NAMESPACE_LABELS) {
            // Kubernetes sets this label to the namespace's name, always.
            if label == "kubernetes.io/metadata.name" {
                Slot::Namespace
            } else {
                Slot::NamespaceLabel(label.to_owned())
            }
        } else if key.key == SERVICE_ACCOUNT {
            Slot::ServiceAccount
        } else if key.key == CLUSTER {
            continue;
        } else {
            Slot::Pod(key.key.clone())
        };
        out.entry(slot).or_default().push(Req { op, values });
    }
    Some(out)
}

/// The first candidate value (None = absent) for which `want(holds)` is true.
fn choose(reqs: &[Req], candidates: &[Option<String>], want: bool) -> Option<Option<String>> {
    candidates
        .iter()
        .find(|c| reqs.iter().all(|r| r.holds(c.as_deref())) == want)
        .cloned()
}

/// One generated pod: a value (or absence) per slot.
type Assignment = BTreeMap<Slot, Option<String>>;

pub fn generate(workloads: &[Document], sides: &[&Lowered], profile: &Profile) -> Samples {
    let mut selectors: BTreeSet<Selector> = BTreeSet::new();
    let mut node_selectors: BTreeSet<Selector> = BTreeSet::new();
    let mut cidrs: Vec<IpNet> = Vec::new();
    let mut ports: BTreeSet<Flow> = BTreeSet::new();
    let mut named: BTreeSet<(String, Proto)> = BTreeSet::new();
    for lowered in sides {
        for entry in &lowered.entries {
            match &entry.subject {
                Subject::Endpoints(s) => {
                    selectors.insert(s.clone());
                }
                Subject::Host(s) => {
                    node_selectors.insert(s.clone());
                }
            }
            if let L3::Peers(peers) = &entry.l3 {
                for peer in peers {
                    match peer {
                        Peer::Selector(s) => {
                            selectors.insert(s.clone());
                        }
                        Peer::Nodes { selector, .. } => {
                            node_selectors.insert(selector.clone());
                        }
                        Peer::Cidr { cidr, except } => {
                            cidrs.push(*cidr);
                            cidrs.extend(except.iter().copied());
                        }
                        _ => {}
                    }
                }
            }
            for port in entry.l4.iter().flat_map(|r| &r.ports) {
                let protocols: &[Proto] = match port.protocol {
                    Proto::Any => &[Proto::Tcp, Proto::Udp, Proto::Sctp],
                    ref p => std::slice::from_ref(p),
                };
                for &protocol in protocols {
                    match &port.port {
                        PortNumber::Number(n) => {
                            let end = port.end_port.filter(|e| *e > *n).unwrap_or(*n);
                            for p in [n.checked_sub(1), Some(*n), Some(end), end.checked_add(1)]
                                .into_iter()
                                .flatten()
                                .filter(|p| *p > 0 || matches!(protocol, Proto::Icmp | Proto::Icmpv6))
                            {
                                ports.insert(Flow { protocol, port: p });
                            }
                        }
                        PortNumber::Named(name) => {
                            named.insert((name.clone(), protocol));
                        }
                    }
                }
            }
        }
    }
    // Every pod-selecting selector: one pod that matches, one per requirement missed.
    let mut assignments: Vec<Assignment> = vec![Assignment::new()];
    let values = mentioned_values(&selectors);
    for selector in &selectors {
        let Some(slots) = slots(selector) else { continue };
        let candidates = |slot: &Slot| -> Vec<Option<String>> {
            let mut c: Vec<Option<String>> = values.get(slot).into_iter().flatten().cloned().map(Some).collect();
            c.push(Some(OTHER.to_owned()));
            c.push(None);
            c
        };
        let mut matching = Assignment::new();
        let mut satisfiable = true;
        for (slot, reqs) in &slots {
            match choose(reqs, &candidates(slot), true) {
                Some(v) => {
                    matching.insert(slot.clone(), v);
                }
                None => satisfiable = false,
            }
        }
        if !satisfiable {
            continue;
        }
        for (slot, reqs) in &slots {
            if let Some(v) = choose(reqs, &candidates(slot), false) {
                let mut miss = matching.clone();
                miss.insert(slot.clone(), v);
                assignments.push(miss);
            }
        }
        assignments.push(matching);
    }
    let mut seen = BTreeSet::new();
    assignments.retain(|a| seen.insert(a.clone()));
    let generated = assignments.len();
    assignments.truncate(MAX_PODS);
    let addresses_count = 2 + 4 * cidrs.len();
    let flows = (ports.len() + named.len()).max(1);
    let fixed = workloads.len() + node_selectors.len() + 2 + addresses_count;
    let fits = |pods: usize| (fixed + pods).pow(2).saturating_mul(flows) <= MAX_CELLS;
    while assignments.len() > 1 && !fits(assignments.len()) {
        let keep = assignments.len() * 3 / 4;
        assignments.truncate(keep.max(1));
    }
    let truncated = assignments.len() < generated;

    let given = Given::read(workloads);
    let mut text = String::new();
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut namespace_by_labels: BTreeMap<BTreeMap<String, String>, String> = BTreeMap::new();
    let mut addresses = Addresses::new(profile, &given.ips);
    let node_names = nodes(&mut text, &given, &node_selectors, &mut addresses);
    for (i, assignment) in assignments.iter().enumerate() {
        let labels: BTreeMap<String, String> = assignment
            .iter()
            .filter_map(|(slot, v)| match (slot, v) {
                (Slot::NamespaceLabel(k), Some(v)) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
        let namespace = match assignment.get(&Slot::Namespace) {
            Some(Some(name)) => {
                if !given.namespaces.contains(name) {
                    namespaces.entry(name.clone()).or_insert(labels);
                }
                name.clone()
            }
            _ => {
                let next = namespace_by_labels.len();
                namespace_by_labels
                    .entry(labels.clone())
                    .or_insert_with(|| {
                        let name = format!("netpolkit-ns-{next}");
                        namespaces.insert(name.clone(), labels);
                        name
                    })
                    .clone()
            }
        };
        let pod_labels: Vec<(String, String)> = assignment
            .iter()
            .filter_map(|(slot, v)| match (slot, v) {
                (Slot::Pod(k), Some(v)) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
        let account = match assignment.get(&Slot::ServiceAccount) {
            Some(Some(a)) => a.clone(),
            _ => "default".to_owned(),
        };
        let node = node_names.get(i % 2).or(node_names.first());
        pod(
            &mut text,
            i,
            &namespace,
            &pod_labels,
            &account,
            node,
            &named,
            &mut addresses,
        );
    }
    for (name, labels) in &namespaces {
        let _ = writeln!(
            text,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels: {}",
            q(name),
            map(labels)
        );
    }
    let parsed = crate::parse(&text);
    let documents = parsed
        .documents
        .into_iter()
        .filter(|d| !matches!(d.manifest, Manifest::Invalid | Manifest::Other))
        .collect();
    Samples {
        documents,
        addresses: boundaries(&cidrs),
        ports: ports.into_iter().collect(),
        truncated,
    }
}

/// The values each slot's requirements mention, sorted.
fn mentioned_values(selectors: &BTreeSet<Selector>) -> BTreeMap<Slot, BTreeSet<String>> {
    let mut out: BTreeMap<Slot, BTreeSet<String>> = BTreeMap::new();
    for selector in selectors {
        for (slot, reqs) in slots(selector).into_iter().flatten() {
            let set = out.entry(slot).or_default();
            for r in reqs {
                set.extend(r.values);
            }
        }
    }
    out
}

/// What the given workloads already use.
struct Given {
    namespaces: BTreeSet<String>,
    ips: BTreeSet<IpAddr>,
    nodes: Vec<String>,
}

impl Given {
    fn read(workloads: &[Document]) -> Given {
        let mut given = Given {
            namespaces: BTreeSet::new(),
            ips: BTreeSet::new(),
            nodes: Vec::new(),
        };
        for d in workloads {
            match &d.manifest {
                Manifest::Namespace(n) => {
                    given.namespaces.extend(n.metadata.name().map(str::to_owned));
                }
                Manifest::Node(n) => given.nodes.extend(n.metadata.name().map(str::to_owned)),
                _ => {}
            }
            if let Some(source) = &d.source {
                collect_ips(source, &mut given.ips);
            }
        }
        given
    }
}

/// Every string in the tree that is an IP address (pod and node addresses).
fn collect_ips(node: &crate::yaml::Node, out: &mut BTreeSet<IpAddr>) {
    match &node.value {
        crate::yaml::Value::Str(s) => {
            if let Ok(ip) = s.parse() {
                out.insert(ip);
            }
        }
        crate::yaml::Value::Seq(items) => items.iter().for_each(|i| collect_ips(i, out)),
        crate::yaml::Value::Map(entries) => entries.iter().for_each(|e| collect_ips(&e.value, out)),
        _ => {}
    }
}

/// Free addresses in the cluster's ranges.
struct Addresses {
    pods: Option<IpNet>,
    nodes: Option<IpNet>,
    used: BTreeSet<IpAddr>,
    next: u128,
}

impl Addresses {
    fn new(profile: &Profile, used: &BTreeSet<IpAddr>) -> Self {
        Addresses {
            pods: profile.pod_cidrs.first().copied(),
            nodes: profile.node_cidrs.first().copied(),
            used: used.clone(),
            next: 0,
        }
    }

    /// A free address counted down from the top of `net`.
    fn take(&mut self, net: Option<IpNet>) -> Option<IpAddr> {
        let net = net?;
        let top = as_u128(net.broadcast());
        let size = top - as_u128(net.network());
        while self.next + 2 < size {
            self.next += 1;
            let ip = from_u128(top - self.next, net.network());
            if self.used.insert(ip) {
                return Some(ip);
            }
        }
        None
    }
}

fn as_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(n: u128, like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(u32::try_from(n).unwrap_or(0))),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(n)),
    }
}

/// Both ends of every range and the addresses just outside them.
fn boundaries(cidrs: &[IpNet]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for net in cidrs {
        let (low, high) = (as_u128(net.network()), as_u128(net.broadcast()));
        let max = match net {
            IpNet::V4(_) => u128::from(u32::MAX),
            IpNet::V6(_) => u128::MAX,
        };
        for n in [
            low.checked_sub(1),
            Some(low),
            Some(high),
            high.checked_add(1).filter(|n| *n <= max),
        ]
        .into_iter()
        .flatten()
        {
            out.insert(from_u128(n, net.network()));
        }
    }
    // An address no policy names, of each family.
    out.insert(
        "203.0.113.254"
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
    );
    out.insert(
        "2001:db8::fe"
            .parse()
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
    );
    out.into_iter().map(|ip| ip.to_string()).collect()
}

/// The given nodes, or two generated ones (one runs the generated pods, the
/// other does not: the host and remote-node entities), plus a node per node
/// selector that matches it and one that misses it.
fn nodes(text: &mut String, given: &Given, selectors: &BTreeSet<Selector>, addresses: &mut Addresses) -> Vec<String> {
    let mut names = given.nodes.clone();
    let mut labelled: Vec<BTreeMap<String, String>> = Vec::new();
    if names.is_empty() {
        labelled.push(BTreeMap::new());
        labelled.push(BTreeMap::new());
    }
    for s in selectors {
        let mut labels = BTreeMap::new();
        for (k, v) in &s.match_labels {
            if k.source == Source::Node || k.source == Source::Any {
                labels.insert(k.key.clone(), v.clone());
            }
        }
        for (k, op, vs) in &s.expressions {
            if matches!(op, Op::In | Op::Exists) && matches!(k.source, Source::Node | Source::Any) {
                labels.insert(k.key.clone(), vs.first().cloned().unwrap_or_else(|| OTHER.to_owned()));
            }
        }
        labelled.push(labels);
    }
    for (i, labels) in labelled.iter().enumerate() {
        let name = format!("netpolkit-node-{i}");
        let ip = addresses.take(addresses.nodes).map_or(String::new(), |ip| {
            format!(
                "\nstatus:\n  addresses:\n  - type: InternalIP\n    address: {}",
                q(&ip.to_string())
            )
        });
        let _ = writeln!(
            text,
            "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {}\n  labels: {}{ip}",
            q(&name),
            map(labels)
        );
        names.push(name);
    }
    names
}

#[allow(clippy::too_many_arguments)]
fn pod(
    text: &mut String,
    i: usize,
    namespace: &str,
    labels: &[(String, String)],
    account: &str,
    node: Option<&String>,
    named: &BTreeSet<(String, Proto)>,
    addresses: &mut Addresses,
) {
    let labels: BTreeMap<String, String> = labels.iter().cloned().collect();
    let mut ports = String::new();
    for (n, (name, protocol)) in named.iter().enumerate() {
        let protocol = match protocol {
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
            _ => "TCP",
        };
        let _ = write!(
            ports,
            "\n    - {{name: {}, containerPort: {}, protocol: {protocol}}}",
            q(name),
            30000 + n
        );
    }
    let node = node.map_or(String::new(), |n| format!("\n  nodeName: {}", q(n)));
    let ip = addresses.take(addresses.pods).map_or(String::new(), |ip| {
        format!("\nstatus:\n  podIP: {}", q(&ip.to_string()))
    });
    let ports = if ports.is_empty() {
        String::new()
    } else {
        format!("\n    ports:{ports}")
    };
    let _ = writeln!(
        text,
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: netpolkit-pod-{i}\n  namespace: {}\n  labels: {}\n\
         spec:\n  serviceAccountName: {}{node}\n  containers:\n  - name: c\n    image: x{ports}{ip}",
        q(namespace),
        map(&labels),
        q(account)
    );
}

/// A double-quoted YAML (and JSON) string.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
    format!("{{{}}}", items.join(", "))
}
