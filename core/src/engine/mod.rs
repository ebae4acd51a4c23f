//! Verdicts: for one endpoint, one direction and one peer, what Cilium (or
//! Kubernetes, or Azure NPM) does with a flow, and why — the algorithm of
//! cilium-semantics §3.8 over the entries of [`crate::ir`].

mod connectivity;
mod explain;
mod matrix;

pub use connectivity::{Connectivity, ConnectivityOptions};
pub(crate) use connectivity::{NodePairKey, Rows};
pub use explain::{parse_port, DirectionReport, ExplainReport, Explanation, FlowQuery, PortSpec, ReasonKind, RuleRef};
pub use matrix::{parse_flow_port, render_matrix, MatrixFormat};

use crate::cluster::{Cluster, Endpoint, EndpointKind};
use crate::ir::{Label, Labels, Lowered, Peer, PolicyEntry, PortNumber, Proto, Source, Subject, Tier, Verdict, L3, L7};
use crate::model::{Direction, Entity, IntOrString};
use crate::profile::{Profile, ProfileKind};

/// The protocol and port (or ICMP type) of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow {
    pub protocol: Proto,
    pub port: u16,
}

impl std::fmt::Display for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.protocol {
            Proto::Icmp | Proto::Icmpv6 => write!(f, "{} type {}", self.protocol.as_str(), self.port),
            p => write!(f, "{}/{}", p.as_str(), self.port),
        }
    }
}

/// Why a direction allows or drops a flow.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// No policy applies to this endpoint in this direction.
    NotSelected,
    /// Policies do not apply to this kind of endpoint here (an address
    /// outside the cluster; a node or host-network pod without the host firewall).
    NotEnforced(String),
    /// These entries (same tier and priority) decided.
    Decided { verdict: Verdict, entries: Vec<usize> },
    /// Default deny, but Cilium always lets the local node in (kubelet probes, §3.1).
    HostAllowed { selected_by: Vec<usize> },
    /// Selected by these entries, in default deny, and nothing allows the flow.
    DefaultDeny { selected_by: Vec<usize> },
    /// Selected, but no selecting entry asks for default deny.
    NotDefaultDeny { selected_by: Vec<usize> },
    /// Azure NPM never blocks a pod's egress to its own node.
    NodeEgress,
    /// Azure NPM does not enforce ingress for traffic through this
    /// LoadBalancer/NodePort service with externalTrafficPolicy=Cluster.
    ServiceBypass { service: String },
}

/// The verdict of one direction.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectionVerdict {
    pub direction: Direction,
    pub allowed: bool,
    pub reason: Reason,
    /// The L7 rules traffic is then filtered by (None: no L7 filtering).
    pub l7: Option<Vec<L7>>,
}

/// Decides flows for one set of entries in one cluster under one profile.
pub struct Engine<'a> {
    pub profile: &'a Profile,
    pub lowered: &'a Lowered,
    pub cluster: &'a Cluster,
}

/// The tiers in evaluation order.
const TIERS: [Tier; 3] = [Tier::Admin, Tier::Normal, Tier::Baseline];

impl<'a> Engine<'a> {
    pub fn new(profile: &'a Profile, lowered: &'a Lowered, cluster: &'a Cluster) -> Self {
        Engine {
            profile,
            lowered,
            cluster,
        }
    }

    fn entry(&self, i: usize) -> &PolicyEntry {
        &self.lowered.entries[i]
    }

    /// The entries that apply to `at` in `direction` (§3.1 step 2).
    pub fn selecting(&self, at: &Endpoint, direction: Direction) -> Vec<usize> {
        self.lowered
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.direction == direction && self.selects(e, at))
            .map(|(i, _)| i)
            .collect()
    }

    pub(crate) fn selects(&self, entry: &PolicyEntry, at: &Endpoint) -> bool {
        match &entry.subject {
            Subject::Endpoints(s) => at.is_pod() && s.matches(&at.labels),
            Subject::Host(s) => self.profile.host_firewall && at.kind == EndpointKind::Node && s.matches(&at.labels),
        }
    }

    /// Why policies cannot apply at `at` at all, if they cannot.
    pub(crate) fn not_enforced(&self, at: &Endpoint) -> Option<String> {
        match at.kind {
            EndpointKind::External => Some("it is outside the cluster".to_owned()),
            _ if at.remote_cluster.is_some() => {
                Some("it is in another cluster of the mesh, whose own policies apply there".to_owned())
            }
            _ if at.host_network => Some(if self.profile.is_cilium() {
                "a host-network pod has its node's identity; endpoint policies do not select it".to_owned()
            } else {
                "network policies do not apply to host-network pods".to_owned()
            }),
            EndpointKind::Node if !self.profile.host_firewall || !self.profile.is_cilium() => {
                Some("policies do not apply to nodes (no host firewall)".to_owned())
            }
            _ => None,
        }
    }

    /// The verdict at `at` for traffic in `direction` with `other` (the
    /// source for ingress, the destination for egress), §3.8.
    pub fn decide(&self, at: &Endpoint, direction: Direction, other: &Endpoint, flow: &Flow) -> DirectionVerdict {
        let selecting = match self.not_enforced(at) {
            Some(why) => return allowed(direction, Reason::NotEnforced(why)),
            None => self.selecting(at, direction),
        };
        let l3 = |i: usize| self.l3_matches(&self.entry(i).l3, at, other);
        self.decide_with(at, direction, other, flow, &selecting, &l3)
    }

    /// [`Engine::decide`] with the selecting entries known and the L3 test
    /// given (`l3(entry)`: whether `other` is among the entry's peers), so
    /// that connectivity can answer it from a table.
    pub(crate) fn decide_with(
        &self,
        at: &Endpoint,
        direction: Direction,
        other: &Endpoint,
        flow: &Flow,
        selecting: &[usize],
        l3: &dyn Fn(usize) -> bool,
    ) -> DirectionVerdict {
        if selecting.is_empty() {
            return allowed(direction, Reason::NotSelected);
        }
        let default_deny = selecting.iter().any(|&i| self.entry(i).default_deny);
        let destination = match direction {
            Direction::Ingress => at,
            Direction::Egress => other,
        };
        for tier in TIERS {
            let mut matching: Vec<usize> = selecting
                .iter()
                .copied()
                .filter(|&i| {
                    let e = self.entry(i);
                    e.tier == tier && self.l4_matches(e, flow, destination) && l3(i)
                })
                .collect();
            crate::sort::sort_by(&mut matching, |a, b| {
                self.entry(*a).priority.total_cmp(&self.entry(*b).priority)
            });
            let mut level_start = 0;
            while level_start < matching.len() {
                let priority = self.entry(matching[level_start]).priority;
                let level_end = matching[level_start..]
                    .iter()
                    .position(|&i| self.entry(i).priority != priority)
                    .map_or(matching.len(), |p| level_start + p);
                let level = &matching[level_start..level_end];
                let with = |v: Verdict| -> Vec<usize> {
                    level.iter().copied().filter(|&i| self.entry(i).verdict == v).collect()
                };
                let denies = with(Verdict::Deny);
                if !denies.is_empty() {
                    return DirectionVerdict {
                        direction,
                        allowed: false,
                        reason: Reason::Decided {
                            verdict: Verdict::Deny,
                            entries: denies,
                        },
                        l7: None,
                    };
                }
                let allows = with(Verdict::Allow);
                if !allows.is_empty() {
                    let l7 = self.l7(&allows, flow, destination, default_deny);
                    return DirectionVerdict {
                        direction,
                        allowed: true,
                        reason: Reason::Decided {
                            verdict: Verdict::Allow,
                            entries: allows,
                        },
                        l7,
                    };
                }
                if !with(Verdict::Pass).is_empty() {
                    break;
                }
                level_start = level_end;
            }
        }
        if let Some(reason) = self.azure_npm_exception(at, direction, other, flow) {
            return allowed(direction, reason);
        }
        if direction == Direction::Ingress && default_deny && self.profile.is_cilium() && self.is_local_host(at, other)
        {
            return allowed(
                direction,
                Reason::HostAllowed {
                    selected_by: selecting.to_vec(),
                },
            );
        }
        if default_deny {
            DirectionVerdict {
                direction,
                allowed: false,
                reason: Reason::DefaultDeny {
                    selected_by: selecting.to_vec(),
                },
                l7: None,
            }
        } else {
            allowed(
                direction,
                Reason::NotDefaultDeny {
                    selected_by: selecting.to_vec(),
                },
            )
        }
    }

    /// Whether `other` is the node `at` runs on (the `host` entity for `at`).
    pub(crate) fn is_local_host(&self, at: &Endpoint, other: &Endpoint) -> bool {
        other.is_node_like() && other.node.is_some() && other.node == at.node
    }

    /// The identity labels `other` has as seen from `at`: a node (or a
    /// host-network pod) is `reserved:host` on its own node and
    /// `reserved:remote-node` elsewhere; only with node selector labels on
    /// does it also carry its node's labels and its cluster (§2.13, C9).
    fn identity<'o>(&self, at: &Endpoint, other: &'o Endpoint) -> std::borrow::Cow<'o, Labels> {
        if other.is_node_like() {
            let reserved = if self.is_local_host(at, other) {
                "host"
            } else {
                "remote-node"
            };
            let mut labels = vec![Label::new(Source::Reserved, reserved, "")];
            if self.profile.node_selector_labels {
                // A node is its own node endpoint; only a host-network pod
                // needs its node looked up (this runs for every node pair of
                // a matrix or a proof, so no search where none is needed).
                let node = if other.kind == EndpointKind::Node {
                    Some(other)
                } else {
                    self.cluster
                        .endpoints
                        .iter()
                        .find(|e| e.kind == EndpointKind::Node && e.node == other.node)
                };
                if let Some(node) = node {
                    labels.extend(node.labels.iter().cloned());
                }
                labels.push(Label::new(
                    Source::K8s,
                    "io.cilium.k8s.policy.cluster",
                    self.profile.cluster_name.clone(),
                ));
            }
            return std::borrow::Cow::Owned(Labels::new(labels));
        }
        std::borrow::Cow::Borrowed(&other.labels)
    }

    /// Whether `other` is one of the L3 peers (as seen from `at`).
    pub(crate) fn l3_matches(&self, l3: &L3, at: &Endpoint, other: &Endpoint) -> bool {
        let L3::Peers(peers) = l3 else { return false };
        peers.iter().any(|p| self.peer_matches(p, at, other))
    }

    pub(crate) fn peer_matches(&self, peer: &Peer, at: &Endpoint, other: &Endpoint) -> bool {
        match peer {
            // Kubernetes: a pod or namespace selector selects pods, never
            // nodes or outside addresses; only an absent `from`/`to` (the
            // wildcard) admits everything. Cilium matches identities (§1.4).
            Peer::Selector(s) if !self.profile.is_cilium() => {
                s.is_wildcard() || (other.is_pod() && s.matches(&other.labels))
            }
            Peer::Selector(s) => s.matches(&self.identity(at, other)),
            // A destination known only by its DNS name (a `toFQDNs` peer's):
            // its addresses are world addresses, of either family, that no
            // narrower CIDR names; only a zero-length prefix (the family's
            // `reserved:world-ipv4/-ipv6`, §3.6) covers them, as the `world`
            // entity (both families, §2.11) does.
            Peer::Cidr { cidr, .. } if other.kind == EndpointKind::External && other.ips.is_empty() => {
                other.dns_name.is_some() && cidr.prefix_len() == 0
            }
            Peer::Cidr { cidr, except } => {
                let applies = match other.kind {
                    EndpointKind::External => true,
                    // §3.6: CIDR rules never match cluster addresses under
                    // Cilium, unless policy-cidr-match-mode says so.
                    _ if !self.profile.is_cilium() => true,
                    _ if other.is_node_like() => self.profile.cidr_match_nodes,
                    _ => self.profile.cidr_match_pods,
                };
                applies
                    && other
                        .ips
                        .iter()
                        .any(|ip| cidr.contains(ip) && !except.iter().any(|e| e.contains(ip)))
            }
            Peer::Entity(e) => self.entity_matches(*e, at, other),
            Peer::Nodes {
                selector,
                include_local,
            } => {
                other.is_node_like()
                    && (*include_local || !self.is_local_host(at, other))
                    && selector.matches(&self.identity(at, other))
            }
            Peer::Fqdn(m) => {
                other.kind == EndpointKind::External && other.dns_name.as_deref().is_some_and(|n| m.matches(n))
            }
            Peer::Unresolved(_) => false,
        }
    }

    /// §2.11 entities.
    fn entity_matches(&self, entity: Entity, at: &Endpoint, other: &Endpoint) -> bool {
        match entity {
            Entity::All => true,
            Entity::World => other.kind == EndpointKind::External,
            Entity::Cluster => other.kind != EndpointKind::External,
            Entity::Host => self.is_local_host(at, other),
            Entity::RemoteNode => other.is_node_like() && !self.is_local_host(at, other),
            // Health, init, ingress and unmanaged endpoints, and the API
            // server, are not in the model; `none` never matches.
            Entity::Init
            | Entity::Ingress
            | Entity::Unmanaged
            | Entity::Health
            | Entity::KubeApiserver
            | Entity::None => false,
        }
    }

    /// Whether the entry's ports admit the flow; named ports are looked up
    /// on the destination (§1.6).
    pub(crate) fn l4_matches(&self, entry: &PolicyEntry, flow: &Flow, destination: &Endpoint) -> bool {
        entry.l4.is_empty()
            || entry
                .l4
                .iter()
                .any(|r| r.ports.iter().any(|p| port_matches(p, flow, destination)))
    }

    /// §3.3: the L7 rules of the allowing entries on this port, unless an
    /// L4-only allow (or, from 1.18, a direction outside default deny)
    /// lets every request through.
    fn l7(&self, allows: &[usize], flow: &Flow, destination: &Endpoint, default_deny: bool) -> Option<Vec<L7>> {
        if !self.profile.is_cilium() || (!default_deny && self.profile.cilium_version.at_least(1, 18)) {
            return None;
        }
        let mut rules = Vec::new();
        for &i in allows {
            let entry = self.entry(i);
            if entry.l4.is_empty() {
                return None;
            }
            for rule in entry
                .l4
                .iter()
                .filter(|r| r.ports.iter().any(|p| port_matches(p, flow, destination)))
            {
                match &rule.l7 {
                    None => return None,
                    Some(l7) => rules.push(l7.clone()),
                }
            }
        }
        (!rules.is_empty()).then_some(rules)
    }

    /// Azure NPM's two exceptions (peers-and-aks §1.1 items 4 and 5).
    fn azure_npm_exception(
        &self,
        at: &Endpoint,
        direction: Direction,
        other: &Endpoint,
        flow: &Flow,
    ) -> Option<Reason> {
        if self.profile.kind != ProfileKind::AzureNpm {
            return None;
        }
        match direction {
            Direction::Egress if self.is_local_host(at, other) => Some(Reason::NodeEgress),
            Direction::Ingress if other.kind == EndpointKind::External || other.is_node_like() => {
                self.cluster.services.iter().find_map(|s| {
                    let exposed = matches!(s.service_type.as_str(), "LoadBalancer" | "NodePort")
                        && s.external_traffic_policy != "Local"
                        && at.namespace.as_deref() == Some(s.namespace.as_str())
                        && !s.selector.is_empty()
                        && s.selector
                            .iter()
                            .all(|(k, v)| at.pod_labels.iter().any(|(pk, pv)| pk == k && pv == v))
                        && s.ports.iter().any(|(port, target, protocol)| {
                            protocol.covers(flow.protocol)
                                && match target {
                                    None => *port == flow.port,
                                    Some(IntOrString::Int(n)) => i64::from(flow.port) == *n,
                                    Some(IntOrString::Str(name)) => at
                                        .ports
                                        .iter()
                                        .any(|p| p.name.as_deref() == Some(name.as_str()) && p.port == flow.port),
                                }
                        });
                    exposed.then(|| Reason::ServiceBypass {
                        service: format!("{}/{}", s.namespace, s.name),
                    })
                })
            }
            _ => None,
        }
    }
}

fn allowed(direction: Direction, reason: Reason) -> DirectionVerdict {
    DirectionVerdict {
        direction,
        allowed: true,
        reason,
        l7: None,
    }
}

/// Whether one port of an entry admits the flow.
fn port_matches(p: &crate::ir::PortProto, flow: &Flow, destination: &Endpoint) -> bool {
    if !p.protocol.covers(flow.protocol) {
        return false;
    }
    let icmp = matches!(flow.protocol, Proto::Icmp | Proto::Icmpv6);
    match &p.port {
        PortNumber::Number(n) if icmp => *n == flow.port,
        PortNumber::Number(0) => true,
        PortNumber::Number(n) => {
            let end = p.end_port.filter(|e| *e >= *n).unwrap_or(*n);
            (*n..=end).contains(&flow.port)
        }
        PortNumber::Named(name) => destination.ports.iter().any(|c| {
            c.name.as_deref() == Some(name.as_str()) && c.port == flow.port && c.protocol.covers(flow.protocol)
        }),
    }
}
