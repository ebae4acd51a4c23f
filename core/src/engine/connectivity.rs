//! Connectivity: every pair of endpoints × the ports that matter.
//!
//! Endpoints that no rule can tell apart share a class (same selecting
//! entries, same answer to every peer, same named ports, same node), and
//! verdicts are computed once per pair of classes, so the cost follows the
//! number of distinct identities, not the number of pods.

use std::collections::HashMap;

use serde::Serialize;

use super::{Engine, Flow};
use crate::cluster::Endpoint;
use crate::ir::{PortNumber, Proto, L3};
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
            .filter(|e| !(options.without_nodes && e.is_node_like() && !e.is_pod()))
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

        // Classes: endpoints no rule can tell apart.
        let selecting: Vec<[Vec<usize>; 2]> = endpoints
            .iter()
            .map(|e| {
                if self.not_enforced(e).is_some() {
                    [Vec::new(), Vec::new()]
                } else {
                    [
                        self.selecting(e, Direction::Ingress),
                        self.selecting(e, Direction::Egress),
                    ]
                }
            })
            .collect();
        let peers: Vec<&crate::ir::Peer> = self
            .lowered
            .entries
            .iter()
            .filter_map(|e| match &e.l3 {
                L3::Peers(p) => Some(p),
                L3::Nothing => None,
            })
            .flatten()
            .collect();
        let Some(viewpoint) = endpoints.first().cloned() else {
            return Connectivity {
                endpoints: Vec::new(),
                ports: flows.iter().map(|f| f.to_string()).collect(),
                flows,
                allowed: Vec::new(),
                classes: 0,
            };
        };
        let mut keys: HashMap<ClassKey, usize> = HashMap::new();
        let mut class_of = Vec::with_capacity(endpoints.len());
        let mut representatives: Vec<usize> = Vec::new();
        for (i, e) in endpoints.iter().enumerate() {
            // Peer answers as seen from a pod elsewhere; node-ness and the
            // node name settle what differs from a pod on the same node.
            let answers: Vec<bool> = peers.iter().map(|p| self.peer_matches(p, &viewpoint, e)).collect();
            let key = ClassKey {
                selecting: selecting[i].clone(),
                answers,
                ports: e.ports.iter().map(|p| (p.name.clone(), p.port, p.protocol)).collect(),
                node: e.node.clone(),
                node_like: e.is_node_like(),
                pod: e.is_pod(),
                external: e.kind == crate::cluster::EndpointKind::External,
                enforced: self.not_enforced(e).is_none(),
                labels: if e.kind == crate::cluster::EndpointKind::External {
                    Vec::new()
                } else {
                    e.pod_labels.clone()
                },
                namespace: e.namespace.clone(),
                dns: e.dns_name.clone(),
                ips: if e.kind == crate::cluster::EndpointKind::External {
                    e.ips.clone()
                } else {
                    Vec::new()
                },
            };
            let next = representatives.len();
            let class = *keys.entry(key).or_insert(next);
            if class == next {
                representatives.push(i);
            }
            class_of.push(class);
        }
        let c = representatives.len();
        let p = flows.len();
        let mut class_allowed = vec![false; c * c * p];
        for (a, &ra) in representatives.iter().enumerate() {
            for (b, &rb) in representatives.iter().enumerate() {
                let (src, dst) = (&endpoints[ra], &endpoints[rb]);
                for (k, flow) in flows.iter().enumerate() {
                    let egress = self.decide_with(src, Direction::Egress, dst, flow, &selecting[ra][1]);
                    let allowed = egress.allowed
                        && self
                            .decide_with(dst, Direction::Ingress, src, flow, &selecting[rb][0])
                            .allowed;
                    class_allowed[(a * c + b) * p + k] = allowed;
                }
            }
        }
        let n = endpoints.len();
        let mut allowed = vec![false; n * n * p];
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (class_of[i], class_of[j]);
                allowed[(i * n + j) * p..(i * n + j + 1) * p]
                    .copy_from_slice(&class_allowed[(a * c + b) * p..(a * c + b + 1) * p]);
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

/// Everything a verdict can depend on about an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ClassKey {
    selecting: [Vec<usize>; 2],
    answers: Vec<bool>,
    ports: Vec<(Option<String>, u16, Proto)>,
    node: Option<String>,
    node_like: bool,
    pod: bool,
    external: bool,
    enforced: bool,
    labels: Vec<(String, String)>,
    namespace: Option<String>,
    dns: Option<String>,
    ips: Vec<std::net::IpAddr>,
}
