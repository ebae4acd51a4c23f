//! A reference evaluator of Kubernetes NetworkPolicy, written from the
//! Kubernetes documentation only (the networking.k8s.io/v1 NetworkPolicy API
//! reference and the "Network Policies" concept page), deliberately slow and
//! literal: every flow walks every policy, rule, peer and port.
//!
//! It reads netpolkit's parsed model (`netpolkit::parse(text).documents`) and
//! nothing else of netpolkit: no lowering, no IR, no engine, no label or CIDR
//! code. Label selectors and CIDR containment are implemented here.
//!
//! The upstream rules it encodes ([`Semantics::UPSTREAM`]):
//!
//! * A policy selects the pods of its own namespace that its `podSelector`
//!   matches (`{}` or missing: all of them). Host-network pods are never
//!   selected, nodes and addresses outside the cluster are never isolated.
//! * `policyTypes`, when missing (or empty), is `[Ingress]` plus `Egress` iff
//!   the policy has at least one egress rule. A policy applies to a pod for a
//!   direction iff it selects the pod and the direction is in its
//!   `policyTypes`; the rules of a direction it does not apply to are ignored.
//! * A pod is isolated for a direction iff some policy applies to it for that
//!   direction; then a connection is allowed iff some rule of some applying
//!   policy matches. Rules are ORed; a rule matches iff (its `from`/`to` is
//!   missing or empty, or any peer matches) and (its `ports` is missing or
//!   empty, or any port matches).
//! * Peers: `podSelector` alone = pods of the policy's namespace;
//!   `namespaceSelector` alone = all pods of matching namespaces (namespaces
//!   carry `kubernetes.io/metadata.name`); both = pods matching both;
//!   `ipBlock` = any address in `cidr` and in no `except` (pods, nodes and
//!   outside addresses alike). Nodes, host-network pods and outside addresses
//!   are matched only by `ipBlock` (or by an empty `from`/`to`).
//! * Ports: protocol TCP by default; no `port` = every port of the protocol;
//!   `endPort` makes `[port, endPort]`; a named port matches the destination
//!   pod's container port of that name and the flow's protocol.
//! * A flow is allowed iff egress at the source and ingress at the
//!   destination both allow it.
//!
//! Switches in [`Semantics`] turn on Cilium's documented departures
//! (cilium-semantics.md §3.6, §3.1 item 4, §1.5) and the concept page's two
//! stated exceptions (a pod cannot block itself; ingress from the pod's own
//! node is always allowed).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use netpolkit::model::{
    Document, IntOrString, LabelSelector, Manifest, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicyRule, Operator, PolicyType, Protocol,
};

/// A transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
        }
    }

    fn of(p: Protocol) -> Option<Proto> {
        match p {
            Protocol::Tcp => Some(Proto::Tcp),
            Protocol::Udp => Some(Proto::Udp),
            Protocol::Sctp => Some(Proto::Sctp),
            _ => None,
        }
    }
}

/// A flow's protocol and destination port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flow {
    pub proto: Proto,
    pub port: u16,
}

impl fmt::Display for Flow {
    /// `80/TCP`, as `FlowQuery::port` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.proto.name())
    }
}

/// A container port of a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub proto: Proto,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Pod {
        namespace: String,
        labels: BTreeMap<String, String>,
        host_network: bool,
        ports: Vec<ContainerPort>,
    },
    Node,
    External,
}

/// Something traffic comes from or goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `ns/pod`, `node/NAME` or the address as written.
    pub name: String,
    pub kind: Kind,
    pub ips: Vec<IpAddr>,
    /// The node a pod runs on, or the node itself.
    pub node: Option<String>,
}

impl Endpoint {
    /// A pod on the pod network: the only thing policies select.
    fn selectable_pod(&self) -> Option<(&str, &BTreeMap<String, String>)> {
        match &self.kind {
            Kind::Pod {
                namespace,
                labels,
                host_network: false,
                ..
            } => Some((namespace, labels)),
            _ => None,
        }
    }

    fn is_external(&self) -> bool {
        self.kind == Kind::External
    }

    /// Whether `other` is this pod's node: the node itself, or a host-network
    /// pod on it (it uses the node's network namespace).
    fn is_resident_node(&self, other: &Endpoint) -> bool {
        let node_like = match &other.kind {
            Kind::Node => true,
            Kind::Pod { host_network, .. } => *host_network,
            Kind::External => false,
        };
        node_like && self.selectable_pod().is_some() && self.node.is_some() && self.node == other.node
    }
}

/// A NetworkPolicy and the namespace it lives in.
pub struct Policy<'a> {
    pub name: String,
    pub namespace: String,
    pub np: &'a NetworkPolicy,
}

impl Policy<'_> {
    fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    fn rules(&self, dir: Dir) -> &[netpolkit::model::Spanned<NetworkPolicyRule>] {
        let Some(spec) = &self.np.spec else { return &[] };
        let list = match dir {
            Dir::Ingress => &spec.ingress,
            Dir::Egress => &spec.egress,
        };
        list.as_ref().map_or(&[], |l| l.value.as_slice())
    }

    fn explicit_types(&self) -> Vec<PolicyType> {
        self.np
            .spec
            .as_ref()
            .and_then(|s| s.policy_types.as_ref())
            .map(|t| t.iter().map(|t| t.value).collect())
            .unwrap_or_default()
    }

    fn pod_selector(&self) -> Option<&LabelSelector> {
        self.np.spec.as_ref()?.pod_selector.as_ref().map(|s| &s.value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Ingress,
    Egress,
}

impl Dir {
    fn name(self) -> &'static str {
        match self {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        }
    }
}

/// Which semantics to evaluate with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Semantics {
    /// Cilium §3.6 (policy-cidr-match-mode unset): an ipBlock matches only
    /// addresses outside the cluster, never a pod, host-network pod or node.
    pub cidr_outside_only: bool,
    /// Cilium §3.1 item 4: ingress from the pod's own node is always allowed
    /// when the pod is isolated for ingress.
    pub host_allow: bool,
    /// Cilium §1.5: rules are enforced whatever `policyTypes` says; the field
    /// only adds default deny.
    pub cilium_policy_types: bool,
    /// The concept page's exceptions: "a pod cannot block access to itself"
    /// and, when isolated for ingress, "the only allowed connections into the
    /// pod are those from the pod's node and those allowed by the ingress list".
    pub documented_exceptions: bool,
}

impl Semantics {
    pub const UPSTREAM: Semantics = Semantics {
        cidr_outside_only: false,
        host_allow: false,
        cilium_policy_types: false,
        documented_exceptions: false,
    };
    pub const CILIUM: Semantics = Semantics {
        cidr_outside_only: true,
        host_allow: true,
        cilium_policy_types: true,
        documented_exceptions: false,
    };

    /// The Cilium reasons this set turns on, labelled (a), (b), (c) as in the module doc of `tests/upstream_oracle.rs`.
    pub fn reasons(self) -> String {
        let mut r = Vec::new();
        if self.cidr_outside_only {
            r.push("(a) ipBlock never matches cluster addresses [§3.6]");
        }
        if self.host_allow {
            r.push("(b) host allow from the pod's own node [§3.1 item 4]");
        }
        if self.cilium_policy_types {
            r.push("(c) rules enforced whatever policyTypes says [§1.5]");
        }
        if r.is_empty() {
            "upstream".to_owned()
        } else {
            r.join(" + ")
        }
    }
}

/// The verdict of one direction and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirVerdict {
    pub allowed: bool,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub egress: DirVerdict,
    pub ingress: DirVerdict,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |b: bool| if b { "ALLOW" } else { "DENY" };
        writeln!(f, "{}", word(self.allowed))?;
        writeln!(f, "  egress: {}: {}", word(self.egress.allowed), self.egress.why)?;
        write!(f, "  ingress: {}: {}", word(self.ingress.allowed), self.ingress.why)
    }
}

/// The cluster as the reference sees it.
pub struct Cluster<'a> {
    /// Namespace name → labels, `kubernetes.io/metadata.name` included.
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    pub endpoints: Vec<Endpoint>,
    pub policies: Vec<Policy<'a>>,
}

impl<'a> Cluster<'a> {
    /// Namespaces, pods, nodes and NetworkPolicies of `documents`, plus the
    /// outside addresses `externals`.
    pub fn from_documents(documents: &'a [Document], externals: &[IpAddr]) -> Cluster<'a> {
        let mut namespaces = BTreeMap::new();
        let mut endpoints = Vec::new();
        let mut policies = Vec::new();
        for d in documents {
            if let Manifest::Namespace(ns) = &d.manifest {
                let Some(name) = ns.metadata.name() else { continue };
                let mut labels: BTreeMap<String, String> = ns
                    .metadata
                    .labels
                    .iter()
                    .flat_map(|m| m.iter())
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                // "The Kubernetes control plane sets an immutable label
                // kubernetes.io/metadata.name on all namespaces".
                labels.insert("kubernetes.io/metadata.name".to_owned(), name.to_owned());
                namespaces.insert(name.to_owned(), labels);
            }
        }
        for d in documents {
            match &d.manifest {
                Manifest::Pod(p) => {
                    let namespace = p.metadata.namespace().unwrap_or("default").to_owned();
                    namespaces.entry(namespace.clone()).or_insert_with(|| {
                        BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), namespace.clone())])
                    });
                    let labels = p
                        .metadata
                        .labels
                        .iter()
                        .flat_map(|m| m.iter())
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    let ports = p
                        .spec
                        .containers
                        .iter()
                        .flat_map(|c| &c.ports)
                        .filter_map(|cp| {
                            Some(ContainerPort {
                                name: cp.name.as_ref().map(|n| n.value.clone()),
                                port: u16::try_from(cp.container_port.as_ref()?.value).ok()?,
                                proto: cp.protocol.as_ref().map_or(Some(Proto::Tcp), |p| Proto::of(p.value))?,
                            })
                        })
                        .collect();
                    endpoints.push(Endpoint {
                        name: format!("{namespace}/{}", p.metadata.name().unwrap_or("")),
                        kind: Kind::Pod {
                            namespace,
                            labels,
                            host_network: p.spec.host_network.as_ref().is_some_and(|h| h.value),
                            ports,
                        },
                        ips: p.pod_ips.iter().filter_map(|ip| ip.value.parse().ok()).collect(),
                        node: p.spec.node_name.as_ref().map(|n| n.value.clone()),
                    });
                }
                Manifest::Node(n) => {
                    let name = n.metadata.name().unwrap_or("").to_owned();
                    endpoints.push(Endpoint {
                        name: format!("node/{name}"),
                        kind: Kind::Node,
                        ips: n
                            .addresses
                            .iter()
                            .filter_map(|a| a.address.as_ref()?.value.parse().ok())
                            .collect(),
                        node: Some(name),
                    });
                }
                Manifest::NetworkPolicy(np) => policies.push(Policy {
                    name: np.metadata.name().unwrap_or("").to_owned(),
                    namespace: np.metadata.namespace().unwrap_or("default").to_owned(),
                    np,
                }),
                _ => {}
            }
        }
        for ip in externals {
            endpoints.push(Endpoint {
                name: ip.to_string(),
                kind: Kind::External,
                ips: vec![*ip],
                node: None,
            });
        }
        Cluster {
            namespaces,
            endpoints,
            policies,
        }
    }

    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// The verdict for `src → dst` on `flow`.
    pub fn verdict(&self, sem: Semantics, src: &Endpoint, dst: &Endpoint, flow: Flow) -> Verdict {
        let egress = self.direction(sem, Dir::Egress, src, dst, dst, flow);
        let ingress = self.direction(sem, Dir::Ingress, dst, src, dst, flow);
        Verdict {
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
        }
    }

    /// Whether `policy` applies to a pod it selects for `dir`.
    fn applies_for(&self, sem: Semantics, policy: &Policy, dir: Dir) -> bool {
        let explicit = policy.explicit_types();
        let has = |t: PolicyType| explicit.contains(&t);
        if sem.cilium_policy_types {
            // §1.5: a direction with rules always produces entries (all of
            // them default deny); without rules, default deny for ingress
            // when policyTypes has Ingress or lacks Egress, for egress when
            // it has Egress.
            match dir {
                Dir::Ingress => {
                    !policy.rules(Dir::Ingress).is_empty() || has(PolicyType::Ingress) || !has(PolicyType::Egress)
                }
                Dir::Egress => !policy.rules(Dir::Egress).is_empty() || has(PolicyType::Egress),
            }
        } else {
            // API reference: "If this field is not specified, it will default
            // based on the existence of ingress or egress rules" (the API
            // server treats an empty list the same way).
            let types = if explicit.is_empty() {
                let mut t = vec![PolicyType::Ingress];
                if !policy.rules(Dir::Egress).is_empty() {
                    t.push(PolicyType::Egress);
                }
                t
            } else {
                explicit
            };
            types.contains(&match dir {
                Dir::Ingress => PolicyType::Ingress,
                Dir::Egress => PolicyType::Egress,
            })
        }
    }

    fn selects(&self, policy: &Policy, pod: &Endpoint) -> bool {
        match pod.selectable_pod() {
            Some((namespace, labels)) => {
                namespace == policy.namespace && selector_matches(policy.pod_selector(), labels)
            }
            None => false,
        }
    }

    /// The verdict taken at `at` (the source for egress, the destination for
    /// ingress) for traffic with `other`; `dst` is the flow's destination.
    fn direction(
        &self,
        sem: Semantics,
        dir: Dir,
        at: &Endpoint,
        other: &Endpoint,
        dst: &Endpoint,
        flow: Flow,
    ) -> DirVerdict {
        if at.selectable_pod().is_none() {
            let what = match at.kind {
                Kind::Pod { .. } => "a host-network pod",
                Kind::Node => "a node",
                Kind::External => "outside the cluster",
            };
            return DirVerdict {
                allowed: true,
                why: format!("{} is {what}: never isolated", at.name),
            };
        }
        let applying: Vec<&Policy> = self
            .policies
            .iter()
            .filter(|p| self.selects(p, at) && self.applies_for(sem, p, dir))
            .collect();
        if applying.is_empty() {
            return DirVerdict {
                allowed: true,
                why: format!("no policy applies to {} for {} (not isolated)", at.name, dir.name()),
            };
        }
        let names: Vec<String> = applying.iter().map(|p| p.id()).collect();
        let isolated = format!("isolated for {} by [{}]", dir.name(), names.join(", "));
        if sem.documented_exceptions && at == other {
            return DirVerdict {
                allowed: true,
                why: format!("{isolated}; a pod cannot block access to itself (concept page)"),
            };
        }
        if sem.documented_exceptions && dir == Dir::Ingress && at.is_resident_node(other) {
            return DirVerdict {
                allowed: true,
                why: format!("{isolated}; connections from the pod's node are always allowed (concept page)"),
            };
        }
        let mut trace = Vec::new();
        for p in &applying {
            let rules = p.rules(dir);
            if rules.is_empty() {
                trace.push(format!("{}: no {} rules", p.id(), dir.name()));
            }
            for (i, rule) in rules.iter().enumerate() {
                let at_rule = format!("{} {}[{i}]", p.id(), dir.name());
                match self.rule_matches(sem, p, rule, other, dst, flow) {
                    Ok(how) => {
                        return DirVerdict {
                            allowed: true,
                            why: format!("{isolated}; allowed by {at_rule} ({how})"),
                        }
                    }
                    Err(why) => trace.push(format!("{at_rule}: {why}")),
                }
            }
        }
        if sem.host_allow && dir == Dir::Ingress && at.is_resident_node(other) {
            return DirVerdict {
                allowed: true,
                why: format!("{isolated}; no rule matches, but Cilium lets the pod's own node in (§3.1 item 4)"),
            };
        }
        DirVerdict {
            allowed: false,
            why: format!(
                "{isolated}; no rule allows {flow} with {}: {}",
                other.name,
                trace.join("; ")
            ),
        }
    }

    /// Ok(how it matched) or Err(why not).
    fn rule_matches(
        &self,
        sem: Semantics,
        policy: &Policy,
        rule: &NetworkPolicyRule,
        peer: &Endpoint,
        dst: &Endpoint,
        flow: Flow,
    ) -> Result<String, String> {
        let peers = rule.peers.as_ref().map_or(&[][..], |l| l.value.as_slice());
        let peer_how = if peers.is_empty() {
            "every peer".to_owned()
        } else {
            let matching = peers
                .iter()
                .enumerate()
                .find(|(_, p)| self.peer_matches(sem, policy, p, peer));
            match matching {
                Some((j, p)) => format!("peer[{j}] {} matches {}", describe_peer(p), peer.name),
                None => {
                    let all: Vec<String> = peers.iter().map(|p| describe_peer(p)).collect();
                    return Err(format!("no peer matches {} (peers: {})", peer.name, all.join(", ")));
                }
            }
        };
        let ports = rule.ports.as_ref().map_or(&[][..], |l| l.value.as_slice());
        let port_how = if ports.is_empty() {
            "every port".to_owned()
        } else {
            match ports.iter().enumerate().find(|(_, p)| port_matches(p, flow, dst)) {
                Some((k, p)) => format!("port[{k}] {}", describe_port(p)),
                None => {
                    let all: Vec<String> = ports.iter().map(|p| describe_port(p)).collect();
                    return Err(format!(
                        "{peer_how}, but no port matches {flow} (ports: {})",
                        all.join(", ")
                    ));
                }
            }
        };
        Ok(format!("{peer_how}; {port_how}"))
    }

    fn peer_matches(&self, sem: Semantics, policy: &Policy, peer: &NetworkPolicyPeer, target: &Endpoint) -> bool {
        if let Some(block) = &peer.ip_block {
            if sem.cidr_outside_only && !target.is_external() {
                return false;
            }
            let Some(cidr) = block.cidr.as_ref().and_then(|c| Cidr::parse(&c.value)) else {
                return false;
            };
            let excepts: Vec<Cidr> = block
                .except
                .iter()
                .flat_map(|l| l.iter())
                .filter_map(|e| Cidr::parse(&e.value))
                .collect();
            return target
                .ips
                .iter()
                .any(|ip| cidr.contains(*ip) && !excepts.iter().any(|e| e.contains(*ip)));
        }
        let Some((namespace, labels)) = target.selectable_pod() else {
            return false;
        };
        let namespace_ok = match &peer.namespace_selector {
            None => namespace == policy.namespace,
            Some(sel) => {
                let empty = BTreeMap::new();
                selector_matches(Some(sel), self.namespaces.get(namespace).unwrap_or(&empty))
            }
        };
        namespace_ok && selector_matches(peer.pod_selector.as_ref().map(|s| &s.value), labels)
    }
}

/// Kubernetes label selector semantics: every matchLabels pair present, and
/// every requirement true (In: key present with a listed value; NotIn: key
/// absent or value not listed; Exists; DoesNotExist). No selector and `{}`
/// select everything.
pub fn selector_matches(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = selector else { return true };
    let pairs_ok = selector
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .all(|(k, v)| labels.get(k).map(String::as_str) == Some(v));
    let requirements_ok = selector.match_expressions.iter().flat_map(|l| l.iter()).all(|r| {
        let values: Vec<&str> = r
            .values
            .iter()
            .flat_map(|v| v.iter())
            .map(|s| s.value.as_str())
            .collect();
        let value = labels.get(&r.key.value).map(String::as_str);
        match r.operator.value {
            Operator::In => value.is_some_and(|v| values.contains(&v)),
            Operator::NotIn => value.is_none_or(|v| !values.contains(&v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    });
    pairs_ok && requirements_ok
}

/// NetworkPolicyPort: protocol (TCP when missing) and port (all when
/// missing; `[port, endPort]`; or the destination pod's container port of
/// that name on that protocol).
fn port_matches(port: &NetworkPolicyPort, flow: Flow, dst: &Endpoint) -> bool {
    let proto = match &port.protocol {
        None => Some(Proto::Tcp),
        Some(p) => Proto::of(p.value),
    };
    if proto != Some(flow.proto) {
        return false;
    }
    match port.port.as_ref().map(|p| &p.value) {
        None => true,
        Some(IntOrString::Int(n)) => {
            let end = port.end_port.as_ref().map_or(*n, |e| e.value);
            (*n..=end).contains(&i64::from(flow.port))
        }
        Some(IntOrString::Str(name)) => match &dst.kind {
            Kind::Pod { ports, .. } => ports
                .iter()
                .any(|c| c.name.as_deref() == Some(name.as_str()) && c.port == flow.port && c.proto == flow.proto),
            _ => false,
        },
    }
}

fn describe_selector(s: &LabelSelector) -> String {
    let mut parts: Vec<String> = s
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for r in s.match_expressions.iter().flat_map(|l| l.iter()) {
        let values: Vec<&str> = r
            .values
            .iter()
            .flat_map(|v| v.iter())
            .map(|s| s.value.as_str())
            .collect();
        parts.push(format!(
            "{} {} [{}]",
            r.key.value,
            r.operator.value.as_str(),
            values.join(",")
        ));
    }
    format!("{{{}}}", parts.join(", "))
}

fn describe_peer(p: &NetworkPolicyPeer) -> String {
    if let Some(b) = &p.ip_block {
        let cidr = b.cidr.as_ref().map_or("?", |c| c.value.as_str());
        let except: Vec<&str> = b
            .except
            .iter()
            .flat_map(|l| l.iter())
            .map(|e| e.value.as_str())
            .collect();
        return format!("ipBlock {cidr} except [{}]", except.join(","));
    }
    let mut parts = Vec::new();
    if let Some(ns) = &p.namespace_selector {
        parts.push(format!("namespaceSelector {}", describe_selector(ns)));
    }
    if let Some(pod) = &p.pod_selector {
        parts.push(format!("podSelector {}", describe_selector(pod)));
    }
    parts.join(" + ")
}

fn describe_port(p: &NetworkPolicyPort) -> String {
    let proto = p.protocol.as_ref().map_or("TCP", |p| p.value.as_str());
    match (&p.port, &p.end_port) {
        (None, _) => format!("all {proto}"),
        (Some(n), Some(e)) => format!("{}-{}/{proto}", n.value, e.value),
        (Some(n), None) => format!("{}/{proto}", n.value),
    }
}

/// An IP prefix; `contains` compares the first `len` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, len) = text.split_once('/')?;
        let addr: IpAddr = addr.parse().ok()?;
        let len: u8 = len.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (len <= max).then_some(Cidr { addr, len })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.len == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.len))
                };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.len == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.len))
                };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Whether `other` lies inside this prefix and is strictly smaller
    /// (what the API server wants of an `except`).
    pub fn strictly_contains(&self, other: &Cidr) -> bool {
        other.len > self.len && self.contains(other.addr)
    }
}
