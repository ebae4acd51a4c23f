//! What the engine decides differently after the move, flow by flow, for
//! the pods a policy selects (the given workloads, or a pod built from the
//! subject selector as NP519 does):
//!
//! - NP610 (from Azure NPM): egress isolation loses NPM's implicit allow to
//!   the pod's own node (peers-and-aks §1.1 item 4). Microsoft's validator
//!   flags nearly every egress policy; here only those whose pods the target
//!   really cuts off from their node (a CiliumNetworkPolicy with
//!   `toEntities: [host]` restores it, and then nothing is said).
//! - NP611 (from Azure NPM): LoadBalancer/NodePort Services with
//!   externalTrafficPolicy Cluster whose pods' ingress policy NPM did not
//!   enforce on external traffic (item 5). The validator flags any such
//!   Service unless an ingress rule has an empty `from`; here only when an
//!   external client is allowed before and dropped after, so eTP=Local,
//!   namespaces without ingress isolation and rules that admit external
//!   addresses (`ipBlock: 0.0.0.0/0`) give nothing.
//! - NP612 (AKS LocalDNS, §1.2): egress-isolated pods that cannot reach
//!   169.254.10.0/24 and their node on UDP and TCP port 53.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{object_name, Checks};
use crate::analysis::Analysis;
use crate::cluster::{Endpoint, EndpointKind, NAMESPACE};
use crate::diagnostic::{Code, Related};
use crate::engine::{Engine, Flow, Reason};
use crate::findings::paths::representative;
use crate::ir::{lower::ports::proto, Peer, PolicyEntry, Proto, Selector, SelectorKey, Source, Subject, L3};
use crate::model::{Direction, Document, IntOrString, Manifest, Service};
use crate::profile::ProfileKind;
use crate::source::Span;

/// Pods tried per policy or Service.
const CANDIDATES: usize = 3;

/// The node flows NP610 tries: DNS on the node, HTTPS, the kubelet.
const NODE_FLOWS: [Flow; 4] = [
    Flow {
        protocol: Proto::Udp,
        port: 53,
    },
    Flow {
        protocol: Proto::Tcp,
        port: 53,
    },
    Flow {
        protocol: Proto::Tcp,
        port: 443,
    },
    Flow {
        protocol: Proto::Tcp,
        port: 10250,
    },
];

pub(super) fn run(c: &mut Checks<'_>) {
    if c.before().profile.kind == ProfileKind::AzureNpm {
        node_egress(c);
        external_ingress(c);
    }
    if c.target().local_dns {
        local_dns(c);
    }
}

/// A pod as each side sees it: given workloads by their index (both sides
/// build the cluster from the same documents), or one pod built from the
/// selector, the same on both sides.
#[derive(Clone)]
pub(super) struct Candidate {
    pub before: Endpoint,
    pub after: Endpoint,
}

/// Up to [`CANDIDATES`] pods that `subject` (an entry's subject on `side`) selects.
pub(super) fn candidates(c: &Checks<'_>, side: &Analysis, subject: &Selector) -> Vec<Candidate> {
    let (before, after) = (&c.before().cluster.endpoints, &c.after().cluster.endpoints);
    let given: Vec<Candidate> = side
        .cluster
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is_pod() && subject.matches(&e.labels))
        .filter_map(|(i, _)| {
            Some(Candidate {
                before: before.get(i)?.clone(),
                after: after.get(i)?.clone(),
            })
        })
        .filter(|p| p.before.name == p.after.name)
        .take(CANDIDATES)
        .collect();
    if !given.is_empty() {
        return given;
    }
    representative(subject, &side.profile)
        .map(|pod| Candidate {
            before: pod.clone(),
            after: pod,
        })
        .into_iter()
        .collect()
}

/// The pod placed on a node (its own, or one named for the check), and that
/// node as `analysis` sees it.
pub(super) fn on_node(analysis: &Analysis, pod: &Endpoint) -> (Endpoint, Endpoint) {
    let mut pod = pod.clone();
    let name = pod.node.clone().unwrap_or_else(|| "aks-nodepool1-0".to_owned());
    pod.node = Some(name.clone());
    let known = analysis
        .cluster
        .endpoints
        .iter()
        .find(|e| e.kind == EndpointKind::Node && e.node.as_deref() == Some(name.as_str()));
    let node = match known {
        Some(n) => n.clone(),
        None => {
            let mut n = Endpoint::external(None, None);
            n.kind = EndpointKind::Node;
            n.name = format!("node/{name}");
            n.labels = crate::ir::Labels::default();
            n.node = Some(name);
            n.ips = analysis
                .profile
                .node_cidrs
                .first()
                .and_then(|net| net.hosts().nth(4))
                .into_iter()
                .collect();
            n
        }
    };
    (pod, node)
}

/// The policies with egress default deny on `side`, by policy, with one
/// subject each.
fn egress_isolating(side: &Analysis) -> Vec<(usize, &PolicyEntry, &Selector)> {
    let mut seen = BTreeSet::new();
    side.lowered
        .entries
        .iter()
        .filter(|e| e.direction == Direction::Egress && e.default_deny)
        .filter_map(|e| match &e.subject {
            Subject::Endpoints(s) if seen.insert((e.origin.policy, s.to_string())) => Some((e.origin.policy, e, s)),
            _ => None,
        })
        .collect()
}

/// Where a policy isolates egress: its `egress` list, else its
/// `policyTypes`, else the rule.
fn egress_field(document: &Document, entry: &PolicyEntry) -> (Span, String) {
    let prefix = entry.origin.path.split('.').next().unwrap_or("spec");
    match &document.manifest {
        Manifest::NetworkPolicy(p) => {
            let Some(spec) = &p.spec else {
                return (entry.origin.span, entry.origin.path.clone());
            };
            if let Some(egress) = &spec.egress {
                (egress.span, "spec.egress".to_owned())
            } else if let Some(types) = &spec.policy_types {
                (types.span, "spec.policyTypes".to_owned())
            } else {
                (spec.span, "spec".to_owned())
            }
        }
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => p
            .rules()
            .find(|(path, _)| path == prefix)
            .and_then(|(path, rule)| {
                let (field, list) = [("egress", &rule.egress), ("egressDeny", &rule.egress_deny)]
                    .into_iter()
                    .find(|(_, l)| l.is_some())?;
                Some((list.as_ref()?.span, format!("{path}.{field}")))
            })
            .unwrap_or((entry.origin.span, entry.origin.path.clone())),
        _ => (entry.origin.span, entry.origin.path.clone()),
    }
}

fn flows_text(flows: &[Flow]) -> String {
    flows.iter().map(Flow::to_string).collect::<Vec<_>>().join(", ")
}

/// NP610: pods whose own node Azure NPM let them reach and the target does not.
/// Said once per pod, at the first policy that isolates it; the other
/// policies isolating it are related locations, so a pod three policies
/// isolate is one finding (and one companion policy), not three.
fn node_egress(c: &mut Checks<'_>) {
    let (before, after) = (c.before(), c.after());
    let (engine_before, engine_after) = (before.engine(), after.engine());
    let mut memo: BTreeMap<String, Vec<Flow>> = BTreeMap::new();
    // The pods said so far, with the place of their finding in `c.out`.
    let mut said: BTreeMap<String, usize> = BTreeMap::new();
    for (policy, entry, subject) in egress_isolating(before) {
        let Some(info) = before.lowered.policies.get(policy) else {
            continue;
        };
        let Some(document) = c.documents().get(info.document) else {
            continue;
        };
        // The pods this policy isolates that lose their node: the first one
        // not said yet is named, the rest are counted.
        let mut first = None;
        let mut more = 0;
        let mut also = None;
        let mut losing = Vec::new();
        for candidate in candidates(c, before, subject) {
            let (pod_before, node_before) = on_node(before, &candidate.before);
            let (pod_after, node_after) = on_node(after, &candidate.after);
            // A pod several policies isolate is decided once.
            let lost = memo.entry(pod_after.name.clone()).or_insert_with(|| {
                NODE_FLOWS
                    .into_iter()
                    .filter(|flow| {
                        // Only what NPM's exception alone allowed: a rule that
                        // allowed it by address is NP602's business.
                        engine_before
                            .decide(&pod_before, Direction::Egress, &node_before, flow)
                            .reason
                            == Reason::NodeEgress
                            && !engine_after
                                .decide(&pod_after, Direction::Egress, &node_after, flow)
                                .allowed
                    })
                    .collect()
            });
            if lost.is_empty() || losing.contains(&pod_after.name) {
                continue;
            }
            losing.push(pod_after.name.clone());
            if let Some(&at) = said.get(&pod_after.name) {
                also.get_or_insert(at);
            } else if first.is_none() {
                first = Some((pod_after.name.clone(), node_after.name.clone(), lost.clone()));
            } else {
                more += 1;
            }
        }
        let (span, path) = egress_field(document, entry);
        if let Some((pod, node, lost)) = first {
            let others = match more {
                0 => String::new(),
                1 => " (and 1 more pod)".to_owned(),
                n => format!(" (and {n} more pods)"),
            };
            let message = format!(
                "{} isolates the egress of {pod}{others}: Azure NPM always let it reach its own node ({node}), Cilium does not, so {} to the node is dropped after the move",
                object_name(document),
                flows_text(&lost)
            );
            let hint = "right after the move, allow the node explicitly: a CiliumNetworkPolicy for these pods with `egress: [{toEntities: [host]}]` (with ports to narrow it); `netpolkit rewrite` writes it".to_owned();
            c.report(Code::NodeEgressLost, document, span, &path, message, hint);
            let at = c.out.len() - 1;
            for pod in losing {
                said.entry(pod).or_insert(at);
            }
        } else if let Some(at) = also {
            let note = format!("{}, which isolates it too", object_name(document));
            let finding = &mut c.out[at];
            if !finding.related.iter().any(|r| r.span == span) {
                finding.related.push(crate::diagnostic::Related { span, message: note });
            }
        }
    }
}

/// An address outside the cluster standing for any external client.
fn external_client() -> Endpoint {
    Endpoint::external(Some(IpAddr::from([198, 51, 100, 7])), None)
}

/// NP611: external traffic through a LoadBalancer/NodePort Service with
/// externalTrafficPolicy Cluster that NPM let in and the target drops.
fn external_ingress(c: &mut Checks<'_>) {
    let (before, after) = (c.before(), c.after());
    let (engine_before, engine_after) = (before.engine(), after.engine());
    let client = external_client();
    for document in c.documents() {
        let Manifest::Service(service) = &document.manifest else {
            continue;
        };
        let Some(kind) = service
            .service_type
            .as_ref()
            .filter(|t| matches!(t.value.as_str(), "LoadBalancer" | "NodePort"))
        else {
            continue;
        };
        if service
            .external_traffic_policy
            .as_ref()
            .is_some_and(|p| p.value == "Local")
        {
            continue;
        }
        let Some(backends) = backends(c, service) else { continue };
        let mut finding: Option<(String, Vec<Flow>, Option<usize>)> = None;
        for backend in backends {
            let mut lost = Vec::new();
            let mut by = None;
            for flow in service_flows(service, &backend.after) {
                let was = engine_before.decide(&backend.before, Direction::Ingress, &client, &flow);
                let now = engine_after.decide(&backend.after, Direction::Ingress, &client, &flow);
                if !was.allowed || now.allowed || admits_addresses(&engine_after, &backend.after, &flow) {
                    continue;
                }
                lost.push(flow);
                by = by.or(match &now.reason {
                    Reason::DefaultDeny { selected_by } => selected_by.first().copied(),
                    Reason::Decided { entries, .. } => entries.first().copied(),
                    _ => None,
                });
            }
            if !lost.is_empty() {
                finding = Some((backend.after.name.clone(), lost, by));
                break;
            }
        }
        let Some((pod, lost, by)) = finding else { continue };
        let (span, path) = match &service.external_traffic_policy {
            Some(p) => (p.span, "spec.externalTrafficPolicy"),
            None => (kind.span, "spec.type"),
        };
        let message = format!(
            "{} ({}, externalTrafficPolicy Cluster) brings external clients to {pod} on {}; Azure NPM did not enforce ingress policy on that traffic, Cilium does, and the pod's ingress policy drops it after the move",
            object_name(document),
            kind.value,
            flows_text(&lost)
        );
        let hint = "allow the expected external clients in an ingress rule of the pods behind the Service, e.g. `from: [{ipBlock: {cidr: 0.0.0.0/0}}]` on the target ports, or narrower client ranges".to_owned();
        let related = by.and_then(|i| {
            let e = after.lowered.entries.get(i)?;
            let info = after.lowered.policies.get(e.origin.policy)?;
            Some(Related {
                span: e.origin.span,
                message: format!("{} {} isolates the pod's ingress", info.display_name(), e.origin.path),
            })
        });
        let d = c.report(Code::ExternalIngressEnforced, document, span, path, message, hint);
        d.related.extend(related);
    }
}

/// Whether an ingress rule selecting `pod` names addresses (a CIDR peer) on
/// this flow: the expected external clients are then already spelled out.
fn admits_addresses(engine: &Engine<'_>, pod: &Endpoint, flow: &Flow) -> bool {
    engine.selecting(pod, Direction::Ingress).into_iter().any(|i| {
        let e = &engine.lowered.entries[i];
        matches!(&e.l3, L3::Peers(p) if p.iter().any(|p| matches!(p, Peer::Cidr { .. })))
            && engine.l4_matches(e, flow, pod)
    })
}

/// The pods behind a Service (given ones, or one built from its selector);
/// `None` for a Service without a selector.
fn backends(c: &Checks<'_>, service: &Service) -> Option<Vec<Candidate>> {
    let selector = service.selector.as_ref().filter(|s| !s.is_empty())?;
    let namespace = service.metadata.namespace().unwrap_or("default");
    let behind = |e: &Endpoint| {
        e.is_pod()
            && e.namespace.as_deref() == Some(namespace)
            && selector
                .iter()
                .all(|(k, v)| e.pod_labels.iter().any(|(pk, pv)| pk == k && pv == v))
    };
    let (before, after) = (&c.before().cluster.endpoints, &c.after().cluster.endpoints);
    let given: Vec<Candidate> = before
        .iter()
        .zip(after)
        .filter(|(b, a)| behind(b) && a.name == b.name)
        .take(CANDIDATES)
        .map(|(b, a)| Candidate {
            before: b.clone(),
            after: a.clone(),
        })
        .collect();
    if !given.is_empty() {
        return Some(given);
    }
    let mut wanted = Selector::wildcard();
    for (k, v) in selector.iter() {
        wanted.add_label(SelectorKey::new(Source::K8s, k), v);
    }
    wanted.add_label(SelectorKey::new(Source::K8s, NAMESPACE), namespace);
    let mut pod = representative(&wanted, &c.after().profile)?;
    pod.pod_labels = selector.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    Some(vec![Candidate {
        before: pod.clone(),
        after: pod,
    }])
}

/// The flows a Service delivers to `pod`: its target ports (named ones
/// looked up on the pod).
fn service_flows(service: &Service, pod: &Endpoint) -> Vec<Flow> {
    let mut flows = Vec::new();
    for p in &service.ports {
        let protocol = p.protocol.as_ref().map_or(Proto::Tcp, |p| proto(p.value));
        let port = match p.target_port.as_ref().map(|t| &t.value) {
            Some(IntOrString::Int(n)) => u16::try_from(*n).ok(),
            Some(IntOrString::Str(name)) => pod
                .ports
                .iter()
                .find(|c| c.name.as_deref() == Some(name.as_str()) && c.protocol == protocol)
                .map(|c| c.port),
            None => p.port.as_ref().and_then(|n| u16::try_from(n.value).ok()),
        };
        if let Some(port) = port.filter(|p| *p > 0) {
            let flow = Flow { protocol, port };
            if !flows.contains(&flow) {
                flows.push(flow);
            }
        }
    }
    flows
}

/// NP612: egress-isolated pods that cannot reach LocalDNS (169.254.10.0/24
/// and the node, UDP and TCP 53).
fn local_dns(c: &mut Checks<'_>) {
    let after = c.after();
    let engine = after.engine();
    let local_dns = Endpoint::external(Some(IpAddr::from([169, 254, 10, 10])), None);
    // DNS, UDP and TCP: the first two of the node flows.
    let dns = &NODE_FLOWS[..2];
    let mut memo: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (policy, entry, subject) in egress_isolating(after) {
        let Some(info) = after.lowered.policies.get(policy) else {
            continue;
        };
        let Some(document) = c.documents().get(info.document) else {
            continue;
        };
        for candidate in candidates(c, after, subject) {
            let (pod, node) = on_node(after, &candidate.after);
            let missing = memo.entry(pod.name.clone()).or_insert_with(|| {
                let mut missing = Vec::new();
                for (what, to) in [("169.254.10.0/24", &local_dns), ("the node (host)", &node)] {
                    let blocked: Vec<Flow> = dns
                        .iter()
                        .copied()
                        .filter(|f| !engine.decide(&pod, Direction::Egress, to, f).allowed)
                        .collect();
                    if !blocked.is_empty() {
                        missing.push(format!("{what} on {}", flows_text(&blocked)));
                    }
                }
                missing
            });
            if missing.is_empty() {
                continue;
            }
            let missing = missing.clone();
            let (span, path) = egress_field(document, entry);
            let message = format!(
                "with LocalDNS, {} resolves names through 169.254.10.0/24 and its node, but {} blocks {}: name lookups fail",
                pod.name,
                object_name(document),
                missing.join(" and ")
            );
            let hint = "allow egress to `ipBlock: {cidr: 169.254.10.0/24}` (toCIDR) and to the `host` entity on UDP and TCP 53".to_owned();
            c.report(Code::LocalDnsBlocked, document, span, &path, message, hint);
            break;
        }
    }
}
