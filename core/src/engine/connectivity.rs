//! Connectivity: every pair of endpoints × the ports that matter.
//!
//! Pods that no rule can tell apart (same selecting entries, same answer to
//! every peer, same named ports, same services) share a class; verdicts
//! between pods are computed once per pair of classes with peer matches
//! read from a table, so the cost follows the number of identities, not of
//! pods. Pairs with a node (or host-network pod) depend on whether the pod
//! runs on that node, and are computed per class, node and that relation.

use std::collections::HashMap;

use serde::Serialize;

use super::{Engine, Flow};
use crate::cluster::{Endpoint, EndpointKind, NAMESPACE};
use crate::ir::{Peer, PortNumber, Proto, Source, Subject, L3};
use crate::model::Direction;

/// What to put in the matrix beyond the cluster's own endpoints.
#[derive(Clone, Debug, Default)]
pub struct ConnectivityOptions {
    /// Extra endpoints: addresses or names outside the cluster.
    pub externals: Vec<Endpoint>,
    /// Ports to check besides those the policies mention.
    pub ports: Vec<Flow>,
    /// Leave out nodes.
    pub without_nodes: bool,
}

/// The matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Connectivity {
    /// Endpoint names, in row/column order.
    pub endpoints: Vec<String>,
    /// The ports checked, `TCP/80`.
    pub ports: Vec<String>,
    #[serde(skip)]
    pub flows: Vec<Flow>,
    /// `allowed[(from * n + to) * ports + p]`.
    #[serde(skip)]
    pub allowed: Vec<bool>,
    /// Number of distinct classes the endpoints fell into.
    pub classes: usize,
}

impl Connectivity {
    pub fn is_allowed(&self, from: usize, to: usize, port: usize) -> bool {
        let n = self.endpoints.len();
        self.allowed[(from * n + to) * self.flows.len() + port]
    }
}

/// Endpoints sorted into classes, and what decides a pair of classes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Classes {
    /// The class of each endpoint.
    pub class_of: Vec<usize>,
    /// One endpoint of each class.
    pub representatives: Vec<usize>,
    /// Per class: a node, or a host-network pod (a class of its own).
    pub node_like: Vec<bool>,
    /// Per class: the entries selecting it, `[ingress, egress]`.
    pub selecting: Vec<[Vec<usize>; 2]>,
    /// Per class (not node-like): whether it is each distinct peer.
    pub answers: Vec<Vec<bool>>,
    /// Per entry: its peers, as indices into `answers`.
    entry_peers: Vec<Vec<usize>>,
}

/// Verdict rows of one direction at a class (a bit per flow), memoised by
/// what decides them: the class, which of its selecting entries the other
/// side is a peer of, the destination's ports, and whether the other side
/// is outside the cluster.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rows {
    index: HashMap<RowKey, usize>,
    rows: Vec<Vec<u64>>,
    /// Per class: an id of its representative's container ports.
    ports: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RowKey {
    at: usize,
    ingress: bool,
    peers: Vec<u64>,
    destination_ports: usize,
    other_outside: bool,
}

impl Rows {
    pub fn new(classes: &Classes, endpoints: &[Endpoint]) -> Rows {
        let mut ids: HashMap<&[super::super::cluster::ContainerPort], usize> = HashMap::new();
        let ports = classes
            .representatives
            .iter()
            .map(|&r| {
                let next = ids.len();
                *ids.entry(endpoints[r].ports.as_slice()).or_insert(next)
            })
            .collect();
        Rows {
            ports,
            ..Rows::default()
        }
    }

    pub fn row(&self, id: usize) -> &[u64] {
        &self.rows[id]
    }
}

/// The namespace a selector requires with a `k8s:` label (`None`: any).
fn required_namespace(s: &crate::ir::Selector) -> Option<&str> {
    s.match_labels
        .iter()
        .find(|(k, _)| k.source == Source::K8s && k.key == NAMESPACE)
        .map(|(_, v)| v.as_str())
}

/// Items (entries, peers) by the namespace their selector requires: an
/// endpoint can only match those of its own namespace, and those that
/// require none.
struct Namespaced<'a> {
    by: HashMap<&'a str, Vec<usize>>,
    any: Vec<usize>,
}

impl<'a> Namespaced<'a> {
    fn new(items: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut n = Namespaced {
            by: HashMap::new(),
            any: Vec::new(),
        };
        for (i, ns) in items.enumerate() {
            match ns {
                Some(ns) => n.by.entry(ns).or_default().push(i),
                None => n.any.push(i),
            }
        }
        n
    }

    /// The indices of the items `e` can match, ascending.
    fn candidates(&self, e: &Endpoint) -> Vec<usize> {
        let own = e
            .labels
            .get(Source::K8s, NAMESPACE)
            .and_then(|ns| self.by.get(ns))
            .map_or(&[][..], Vec::as_slice);
        let mut out: Vec<usize> = self.any.iter().chain(own).copied().collect();
        crate::sort::sort_unstable(&mut out);
        out
    }
}

/// See [`Engine::node_pair_key`].
pub(crate) type NodePairKey = (usize, usize, bool, bool);

/// What a verdict can depend on about a pod (or an external address).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ClassKey {
    selecting: [Vec<usize>; 2],
    answers: Vec<bool>,
    ports: Vec<(Option<String>, u16, Proto)>,
    services: Vec<usize>,
    kind: u8,
    /// Node-like endpoints and externals are classes of their own.
    unique: Option<usize>,
}

impl Engine<'_> {
    /// The ports the policies mention: numbers (range ends included) and
    /// named ports resolved on the endpoints that have them.
    fn mentioned_ports(&self, endpoints: &[Endpoint]) -> Vec<Flow> {
        let mut flows = Vec::new();
        let protocols = |p: Proto| -> Vec<Proto> {
            match p {
                Proto::Any => vec![Proto::Tcp, Proto::Udp, Proto::Sctp],
                other => vec![other],
            }
        };
        for entry in &self.lowered.entries {
            for port in entry.l4.iter().flat_map(|r| &r.ports) {
                match &port.port {
                    PortNumber::Number(0) if !matches!(port.protocol, Proto::Icmp | Proto::Icmpv6) => {}
                    PortNumber::Number(n) => {
                        for protocol in protocols(port.protocol) {
                            flows.push(Flow { protocol, port: *n });
                            if let Some(end) = port.end_port.filter(|e| e > n) {
                                flows.push(Flow { protocol, port: end });
                            }
                        }
                    }
                    PortNumber::Named(name) => {
                        for e in endpoints {
                            for c in e.ports.iter().filter(|c| c.name.as_deref() == Some(name.as_str())) {
                                flows.push(Flow {
                                    protocol: c.protocol,
                                    port: c.port,
                                });
                            }
                        }
                    }
                }
            }
        }
        crate::sort::sort(&mut flows);
        flows.dedup();
        flows
    }

    pub fn connectivity(&self, options: &ConnectivityOptions) -> Connectivity {
        let mut endpoints: Vec<Endpoint> = self
            .cluster
            .endpoints
            .iter()
            .filter(|e| !(options.without_nodes && e.is_node_like()))
            .cloned()
            .collect();
        endpoints.extend(options.externals.iter().cloned());
        let mut flows = self.mentioned_ports(&endpoints);
        flows.extend(options.ports.iter().copied());
        crate::sort::sort(&mut flows);
        flows.dedup();
        if flows.is_empty() {
            flows.push(Flow {
                protocol: Proto::Tcp,
                port: 80,
            });
        }

        let classes = self.classes(&endpoints);
        let c = classes.representatives.len();
        let p = flows.len();

        // Pairs of classes without a node-like side.
        let mut class_allowed = vec![false; c * c * p];
        for a in (0..c).filter(|&a| !classes.node_like[a]) {
            for b in (0..c).filter(|&b| !classes.node_like[b]) {
                for (k, flow) in flows.iter().enumerate() {
                    class_allowed[(a * c + b) * p + k] = self.class_allowed(&classes, &endpoints, a, b, flow);
                }
            }
        }

        let n = endpoints.len();
        let mut allowed = vec![false; n * n * p];
        // Pairs with a node-like side depend on where the pod runs.
        let mut with_nodes: HashMap<NodePairKey, Vec<bool>> = HashMap::new();
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (classes.class_of[i], classes.class_of[j]);
                let cell = (i * n + j) * p;
                if !classes.node_like[a] && !classes.node_like[b] {
                    allowed[cell..cell + p].copy_from_slice(&class_allowed[(a * c + b) * p..(a * c + b + 1) * p]);
                    continue;
                }
                let row = with_nodes
                    .entry(self.node_pair_key(&classes, &endpoints, i, j))
                    .or_insert_with(|| self.pair_row(&classes, &endpoints[i], a, &endpoints[j], b, &flows));
                allowed[cell..cell + p].copy_from_slice(row);
            }
        }
        Connectivity {
            endpoints: endpoints.iter().map(|e| e.name.clone()).collect(),
            ports: flows.iter().map(|f| f.to_string()).collect(),
            flows,
            allowed,
            classes: c,
        }
    }

    /// Sorts `endpoints` into classes that no rule tells apart.
    pub(crate) fn classes(&self, endpoints: &[Endpoint]) -> Classes {
        // Every distinct peer once, and each entry's peers by index.
        let mut peer_index: HashMap<&Peer, usize> = HashMap::new();
        let mut peers: Vec<&Peer> = Vec::new();
        let entry_peers: Vec<Vec<usize>> = self
            .lowered
            .entries
            .iter()
            .map(|e| match &e.l3 {
                L3::Nothing => Vec::new(),
                L3::Peers(list) => list
                    .iter()
                    .map(|p| {
                        *peer_index.entry(p).or_insert_with(|| {
                            peers.push(p);
                            peers.len() - 1
                        })
                    })
                    .collect(),
            })
            .collect();

        // Selectors that name a namespace need only be tried on its endpoints.
        let subjects = Namespaced::new(self.lowered.entries.iter().map(|e| match &e.subject {
            Subject::Endpoints(s) => required_namespace(s),
            Subject::Host(_) => None,
        }));
        let peer_namespaces = Namespaced::new(peers.iter().map(|p| match p {
            Peer::Selector(s) => required_namespace(s),
            _ => None,
        }));

        // Per endpoint: selecting entries, peer answers, services (memoised by identity).
        let mut by_identity: HashMap<(&crate::ir::Labels, bool), [Vec<usize>; 2]> = HashMap::new();
        let mut keys: HashMap<ClassKey, usize> = HashMap::new();
        let mut classes = Classes {
            class_of: Vec::with_capacity(endpoints.len()),
            ..Classes::default()
        };
        for (i, e) in endpoints.iter().enumerate() {
            let enforced = self.not_enforced(e).is_none();
            let selecting = if enforced {
                by_identity
                    .entry((&e.labels, e.is_pod()))
                    .or_insert_with(|| {
                        let candidates = subjects.candidates(e);
                        let select = |direction: Direction| -> Vec<usize> {
                            candidates
                                .iter()
                                .copied()
                                .filter(|&k| {
                                    let entry = &self.lowered.entries[k];
                                    entry.direction == direction && self.selects(entry, e)
                                })
                                .collect()
                        };
                        [select(Direction::Ingress), select(Direction::Egress)]
                    })
                    .clone()
            } else {
                [Vec::new(), Vec::new()]
            };
            let node_like = e.is_node_like();
            // Pods answer peers the same from every viewpoint; nodes do not.
            let answers: Vec<bool> = if node_like {
                Vec::new()
            } else {
                let mut answers = vec![false; peers.len()];
                for k in peer_namespaces.candidates(e) {
                    answers[k] = self.peer_matches(peers[k], e, e);
                }
                answers
            };
            let services = self
                .cluster
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    e.namespace.as_deref() == Some(s.namespace.as_str())
                        && !s.selector.is_empty()
                        && s.selector
                            .iter()
                            .all(|(k, v)| e.pod_labels.iter().any(|(pk, pv)| pk == k && pv == v))
                })
                .map(|(s, _)| s)
                .collect();
            let key = ClassKey {
                selecting: selecting.clone(),
                answers: answers.clone(),
                ports: e.ports.iter().map(|p| (p.name.clone(), p.port, p.protocol)).collect(),
                services,
                kind: (u8::from(e.is_pod()) << 2)
                    | (u8::from(enforced) << 1)
                    | u8::from(e.kind == EndpointKind::External),
                unique: (node_like || e.kind == EndpointKind::External).then_some(i),
            };
            let next = classes.representatives.len();
            let class = *keys.entry(key).or_insert(next);
            if class == next {
                classes.representatives.push(i);
                classes.answers.push(answers);
                classes.selecting.push(selecting);
                classes.node_like.push(node_like);
            }
            classes.class_of.push(class);
        }
        classes.entry_peers = entry_peers;
        classes
    }

    /// Whether the representatives of classes `a` and `b` (neither
    /// node-like) allow `flow` from `a` to `b`: what every pair of their
    /// members gets.
    pub(crate) fn class_allowed(
        &self,
        classes: &Classes,
        endpoints: &[Endpoint],
        a: usize,
        b: usize,
        flow: &Flow,
    ) -> bool {
        let (src, dst) = (
            &endpoints[classes.representatives[a]],
            &endpoints[classes.representatives[b]],
        );
        self.pair_allowed(classes, src, a, dst, b, flow, true)
    }

    /// What the verdict between endpoints `i` and `j` depends on when one
    /// of them is node-like: the pod's class, the node, and whether the pod
    /// runs on it.
    pub(crate) fn node_pair_key(&self, classes: &Classes, endpoints: &[Endpoint], i: usize, j: usize) -> NodePairKey {
        let (a, b) = (classes.class_of[i], classes.class_of[j]);
        let (src, dst) = (&endpoints[i], &endpoints[j]);
        let local = self.is_local_host(src, dst) || self.is_local_host(dst, src);
        let (first, second) = if classes.node_like[a] { (j, a) } else { (i, b) };
        (classes.class_of[first], second, local, classes.node_like[a])
    }

    /// The verdicts, one bit per flow, of `direction` at class `at` for
    /// traffic with class `other` (neither node-like), as a row of `rows`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn direction_row(
        &self,
        classes: &Classes,
        endpoints: &[Endpoint],
        rows: &mut Rows,
        at: usize,
        direction: Direction,
        other: usize,
        flows: &[Flow],
    ) -> usize {
        let ingress = direction == Direction::Ingress;
        let selecting = &classes.selecting[at][usize::from(!ingress)];
        let mut peers = vec![0u64; selecting.len().div_ceil(64)];
        for (n, &e) in selecting.iter().enumerate() {
            if classes.entry_peers[e].iter().any(|&k| classes.answers[other][k]) {
                peers[n / 64] |= 1 << (n % 64);
            }
        }
        let (at_endpoint, other_endpoint) = (
            &endpoints[classes.representatives[at]],
            &endpoints[classes.representatives[other]],
        );
        let key = RowKey {
            at,
            ingress,
            peers,
            destination_ports: if ingress { 0 } else { rows.ports[other] },
            other_outside: other_endpoint.kind == EndpointKind::External,
        };
        if let Some(&id) = rows.index.get(&key) {
            return id;
        }
        let l3 = |i: usize| classes.entry_peers[i].iter().any(|&k| classes.answers[other][k]);
        let mut row = vec![0u64; flows.len().div_ceil(64)];
        for (k, flow) in flows.iter().enumerate() {
            if self
                .decide_with(at_endpoint, direction, other_endpoint, flow, selecting, &l3)
                .allowed
            {
                row[k / 64] |= 1 << (k % 64);
            }
        }
        let id = rows.rows.len();
        rows.rows.push(row);
        rows.index.insert(key, id);
        id
    }

    /// [`Engine::pair_allowed`] (without the table) for each of `flows`.
    /// Whether the other side is an entry's peer does not depend on the
    /// flow, so it is decided once per selecting entry, not once per flow:
    /// for a node that is the identity built from its labels (§2.13), which
    /// is what pairs with a node side spend most of their time on.
    pub(crate) fn pair_row(
        &self,
        classes: &Classes,
        src: &Endpoint,
        a: usize,
        dst: &Endpoint,
        b: usize,
        flows: &[Flow],
    ) -> Vec<bool> {
        let peers = |selecting: &[usize], at: &Endpoint, other: &Endpoint| -> Vec<(usize, bool)> {
            selecting
                .iter()
                .map(|&i| (i, self.l3_matches(&self.lowered.entries[i].l3, at, other)))
                .collect()
        };
        let (egress_selecting, ingress_selecting) = (&classes.selecting[a][1], &classes.selecting[b][0]);
        let (egress_peers, ingress_peers) = (peers(egress_selecting, src, dst), peers(ingress_selecting, dst, src));
        let look = |list: &[(usize, bool)], i: usize| list.iter().any(|&(k, matched)| k == i && matched);
        let egress_l3 = |i: usize| look(&egress_peers, i);
        let ingress_l3 = |i: usize| look(&ingress_peers, i);
        flows
            .iter()
            .map(|flow| {
                self.decide_with(src, Direction::Egress, dst, flow, egress_selecting, &egress_l3)
                    .allowed
                    && self
                        .decide_with(dst, Direction::Ingress, src, flow, ingress_selecting, &ingress_l3)
                        .allowed
            })
            .collect()
    }

    /// Egress at `src` (of class `a`), then ingress at `dst` (of class `b`).
    /// With `table`, whether the other side is an entry's peer is read from
    /// the classes' answers (valid only when neither side is node-like).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pair_allowed(
        &self,
        classes: &Classes,
        src: &Endpoint,
        a: usize,
        dst: &Endpoint,
        b: usize,
        flow: &Flow,
        table: bool,
    ) -> bool {
        let egress_l3 = |i: usize| {
            if table {
                classes.entry_peers[i].iter().any(|&k| classes.answers[b][k])
            } else {
                self.l3_matches(&self.lowered.entries[i].l3, src, dst)
            }
        };
        let egress = self.decide_with(src, Direction::Egress, dst, flow, &classes.selecting[a][1], &egress_l3);
        if !egress.allowed {
            return false;
        }
        let ingress_l3 = |i: usize| {
            if table {
                classes.entry_peers[i].iter().any(|&k| classes.answers[a][k])
            } else {
                self.l3_matches(&self.lowered.entries[i].l3, dst, src)
            }
        };
        self.decide_with(
            dst,
            Direction::Ingress,
            src,
            flow,
            &classes.selecting[b][0],
            &ingress_l3,
        )
        .allowed
    }
}
