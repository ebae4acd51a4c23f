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
use crate::cluster::{Endpoint, EndpointKind};
use crate::ir::{Peer, PortNumber, Proto, L3};
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
        flows.sort();
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
        flows.sort();
        flows.dedup();
        if flows.is_empty() {
            flows.push(Flow {
                protocol: Proto::Tcp,
                port: 80,
            });
        }

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

        // Per endpoint: selecting entries, peer answers, services (memoised by identity).
        let mut by_identity: HashMap<(&crate::ir::Labels, bool), [Vec<usize>; 2]> = HashMap::new();
        let mut keys: HashMap<ClassKey, usize> = HashMap::new();
        let mut class_of = Vec::with_capacity(endpoints.len());
        let mut representatives: Vec<usize> = Vec::new();
        let mut class_answers: Vec<Vec<bool>> = Vec::new();
        let mut class_selecting: Vec<[Vec<usize>; 2]> = Vec::new();
        for (i, e) in endpoints.iter().enumerate() {
            let enforced = self.not_enforced(e).is_none();
            let selecting = if enforced {
                by_identity
                    .entry((&e.labels, e.is_pod()))
                    .or_insert_with(|| {
                        [
                            self.selecting(e, Direction::Ingress),
                            self.selecting(e, Direction::Egress),
                        ]
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
                peers.iter().map(|p| self.peer_matches(p, e, e)).collect()
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
            let next = representatives.len();
            let class = *keys.entry(key).or_insert(next);
            if class == next {
                representatives.push(i);
                class_answers.push(answers);
                class_selecting.push(selecting);
            }
            class_of.push(class);
        }

        let c = representatives.len();
        let p = flows.len();
        let node_like: Vec<bool> = representatives.iter().map(|&r| endpoints[r].is_node_like()).collect();
        let verdict = |src: &Endpoint, a: usize, dst: &Endpoint, b: usize, flow: &Flow, table: bool| -> bool {
            // With a table, whether the other side is an entry's peer is a lookup.
            let egress_l3 = |i: usize| {
                if table {
                    entry_peers[i].iter().any(|&k| class_answers[b][k])
                } else {
                    self.l3_matches(&self.lowered.entries[i].l3, src, dst)
                }
            };
            let egress = self.decide_with(src, Direction::Egress, dst, flow, &class_selecting[a][1], &egress_l3);
            if !egress.allowed {
                return false;
            }
            let ingress_l3 = |i: usize| {
                if table {
                    entry_peers[i].iter().any(|&k| class_answers[a][k])
                } else {
                    self.l3_matches(&self.lowered.entries[i].l3, dst, src)
                }
            };
            self.decide_with(dst, Direction::Ingress, src, flow, &class_selecting[b][0], &ingress_l3)
                .allowed
        };

        // Pairs of classes without a node-like side.
        let mut class_allowed = vec![false; c * c * p];
        for a in (0..c).filter(|&a| !node_like[a]) {
            for b in (0..c).filter(|&b| !node_like[b]) {
                let (src, dst) = (&endpoints[representatives[a]], &endpoints[representatives[b]]);
                for (k, flow) in flows.iter().enumerate() {
                    class_allowed[(a * c + b) * p + k] = verdict(src, a, dst, b, flow, true);
                }
            }
        }

        let n = endpoints.len();
        let mut allowed = vec![false; n * n * p];
        // Pairs with a node-like side depend on where the pod runs.
        let mut with_nodes: HashMap<(usize, usize, bool, bool), Vec<bool>> = HashMap::new();
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (class_of[i], class_of[j]);
                let cell = (i * n + j) * p;
                if !node_like[a] && !node_like[b] {
                    allowed[cell..cell + p].copy_from_slice(&class_allowed[(a * c + b) * p..(a * c + b + 1) * p]);
                    continue;
                }
                let (src, dst) = (&endpoints[i], &endpoints[j]);
                let local = self.is_local_host(src, dst) || self.is_local_host(dst, src);
                let (first, second) = if node_like[a] { (j, a) } else { (i, b) };
                let key = (class_of[first], second, local, node_like[a]);
                let row = with_nodes
                    .entry(key)
                    .or_insert_with(|| flows.iter().map(|flow| verdict(src, a, dst, b, flow, false)).collect());
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
}
