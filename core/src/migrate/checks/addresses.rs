//! NP601/NP602: NetworkPolicy ipBlock peers that reach pod or node addresses
//! (peers-and-aks §1.1 item 2, §1.2; cilium-semantics §3.6). Kubernetes and
//! Azure NPM match an ipBlock against every address; Cilium matches pods by
//! identity and, on AKS, nodes too, so the part of a block inside the pod or
//! node ranges stops matching.
//!
//! Refinement over Microsoft's validator, which flags every ipBlock: only
//! the part of the block (minus `except`) inside the cluster's ranges counts,
//! so `203.0.113.0/24` or `0.0.0.0/0 except 10.0.0.0/8` are not flagged; a
//! rule whose other peers already select every pod (the AKS FAQ's
//! `namespaceSelector: {}`) loses nothing for pods; a target whose
//! `policy-cidr-match-mode` still matches pods or nodes loses nothing.
//! CiliumNetworkPolicy CIDR rules are not looked at: the dataplanes of
//! today do not enforce them, and Cilium never matched cluster addresses
//! with them.

use ipnet::IpNet;

use super::flows::{candidates, on_node};
use super::{direction_words, enforced_at, Checks};
use crate::diagnostic::Code;
use crate::engine::Flow;
use crate::ir::lower::ports::proto;
use crate::ir::{Proto, Subject};
use crate::migrate::ranges::Coverage;
use crate::model::NetworkPolicyPeer;
use crate::model::{Direction, Document, IntOrString, Manifest, NetworkPolicyRule, Protocol, Spanned};

pub(super) fn run(c: &mut Checks<'_>) {
    let (before, after) = (&c.before().profile, c.target());
    let lost_pods = !after.cidr_match_pods && (!before.is_cilium() || before.cidr_match_pods);
    let lost_nodes = !after.cidr_match_nodes && (!before.is_cilium() || before.cidr_match_nodes);
    if !lost_pods && !lost_nodes {
        return;
    }
    for document in c.documents() {
        let Manifest::NetworkPolicy(policy) = &document.manifest else {
            continue;
        };
        let Some(spec) = &policy.spec else { continue };
        for (direction, field, peers_field, rules) in [
            (Direction::Ingress, "ingress", "from", &spec.ingress),
            (Direction::Egress, "egress", "to", &spec.egress),
        ] {
            for (i, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
                let Some(peers) = &rule.peers else { continue };
                for (j, peer) in peers.iter().enumerate() {
                    let peer_path = format!("spec.{field}[{i}].{peers_field}[{j}]");
                    let Some((cidr, coverage)) = coverage(peer, after) else {
                        continue;
                    };
                    // Only what the dataplane of today enforces can be lost.
                    if !enforced_at(c.before(), document.index, &peer_path) {
                        continue;
                    }
                    let path = format!("{peer_path}.ipBlock.cidr");
                    let what = direction_words(direction);
                    if lost_pods && !coverage.pods.is_empty() && !others_select_every_pod(peers, j) {
                        let scope = if coverage.all_pods(after) {
                            "every pod address".to_owned()
                        } else {
                            format!("pod addresses {}", nets(&coverage.pods))
                        };
                        let message = format!(
                            "this ipBlock ({}) covers {scope}; {} allows {what} those pods by address, but Cilium matches pods by identity, never by address (cilium-semantics §3.6), so on {} this rule no longer allows {what} any pod",
                            cidr.value,
                            c.before().profile.describe(),
                            after.describe(),
                        );
                        let hint = "add peers that select the pods meant next to the ipBlock, e.g. `- namespaceSelector: {}` for every pod (the AKS FAQ's workaround), before the move; `netpolkit rewrite` proposes them".to_owned();
                        c.report(Code::IpBlockPodRange, document, cidr.span, &path, message, hint);
                    }
                    if lost_nodes && !coverage.nodes.is_empty() && !nodes_still_reached(c, document, direction, rule) {
                        let scope = if coverage.all_nodes(after) {
                            "every node address".to_owned()
                        } else {
                            format!("node addresses {}", nets(&coverage.nodes))
                        };
                        let message = format!(
                            "this ipBlock ({}) covers {scope}; {} allows {what} nodes by address, but on {} an ipBlock never matches a node (nodes have the host and remote-node identities; policy-cidr-match-mode is off), so {what} nodes is dropped",
                            cidr.value,
                            c.before().profile.describe(),
                            after.describe(),
                        );
                        let entities = match direction {
                            Direction::Egress => "toEntities",
                            Direction::Ingress => "fromEntities",
                        };
                        let hint = if c.on_aks() {
                            format!("a NetworkPolicy cannot select nodes on AKS: right after the move, apply a CiliumNetworkPolicy for the same pods with `{entities}: [host, remote-node]`; `netpolkit rewrite` writes it")
                        } else {
                            format!("add a CiliumNetworkPolicy for the same pods with `{entities}: [host, remote-node]` (`netpolkit rewrite` writes it), or set policy-cidr-match-mode=nodes on the agent")
                        };
                        c.report(Code::IpBlockNodeRange, document, cidr.span, &path, message, hint);
                    }
                }
            }
        }
    }
}

/// The block of an ipBlock peer and its coverage of the target's ranges,
/// when the CIDR parses (invalid ones are validation's business).
fn coverage<'p>(
    peer: &'p Spanned<NetworkPolicyPeer>,
    profile: &crate::profile::Profile,
) -> Option<(&'p crate::model::Str, Coverage)> {
    let block = peer.ip_block.as_ref()?;
    let cidr = block.cidr.as_ref()?;
    let net = cidr.value.trim().parse::<IpNet>().ok()?.trunc();
    let except: Vec<IpNet> = block
        .except
        .iter()
        .flat_map(|l| l.iter())
        .filter_map(|e| e.value.trim().parse::<IpNet>().ok())
        .map(|n| n.trunc())
        .collect();
    Some((cidr, Coverage::of(net, &except, profile)))
}

/// Whether, on the target, the policy's pods still reach (or are reached
/// from) a node on the rule's first port: another policy (the companion
/// `netpolkit rewrite` writes, `toEntities: [host, remote-node]`) already
/// restores what the block loses, so nothing is lost.
fn nodes_still_reached(
    c: &Checks<'_>,
    document: &Document,
    direction: Direction,
    rule: &Spanned<NetworkPolicyRule>,
) -> bool {
    let after = c.after();
    let subject = after.lowered.entries.iter().find_map(|e| {
        let policy = after.lowered.policies.get(e.origin.policy)?;
        match &e.subject {
            Subject::Endpoints(s) if policy.document == document.index => Some(s),
            _ => None,
        }
    });
    let Some(subject) = subject else { return false };
    // The rule's first port (a name as the pod numbers it), else any port.
    let first = rule.ports.iter().flat_map(|l| l.iter()).next();
    let flow_for = |pod: &crate::cluster::Endpoint| -> Option<Flow> {
        let Some(port) = first else {
            return Some(Flow {
                protocol: Proto::Tcp,
                port: 443,
            });
        };
        let protocol = proto(port.protocol.as_ref().map_or(Protocol::Tcp, |p| p.value));
        match port.port.as_ref().map(|n| &n.value) {
            Some(IntOrString::Int(n)) => Some(Flow {
                protocol,
                port: u16::try_from(*n).ok()?,
            }),
            Some(IntOrString::Str(name)) => {
                pod.ports
                    .iter()
                    .find(|p| p.name.as_deref() == Some(name.as_str()))
                    .map(|p| Flow {
                        protocol: p.protocol,
                        port: p.port,
                    })
            }
            None => Some(Flow { protocol, port: 443 }),
        }
    };
    let engine = after.engine();
    let pods = candidates(c, after, subject);
    !pods.is_empty()
        && pods.iter().all(|pod| {
            // Another node than the pod's own: Cilium always admits the
            // local node, so only a remote one tells.
            let (mut pod, mut node) = on_node(after, &pod.after);
            // A pod built from the selector has no container ports: give it
            // the rule's port name, so named ports resolve on both sides.
            if let Some(IntOrString::Str(name)) = first.and_then(|p| p.port.as_ref()).map(|n| &n.value) {
                if !pod.ports.iter().any(|p| p.name.as_deref() == Some(name.as_str())) {
                    pod.ports.push(crate::cluster::ContainerPort {
                        name: Some(name.clone()),
                        port: 30999,
                        protocol: proto(
                            first
                                .and_then(|p| p.protocol.as_ref())
                                .map_or(Protocol::Tcp, |p| p.value),
                        ),
                    });
                }
            }
            let other = "netpolkit-other-node".to_owned();
            node.name = format!("node/{other}");
            node.node = Some(other);
            node.ips = after
                .profile
                .node_cidrs
                .first()
                .and_then(|n| n.hosts().nth(5))
                .into_iter()
                .collect();
            flow_for(&pod).is_some_and(|flow| engine.decide(&pod, direction, &node, &flow).allowed)
        })
}

/// Whether another peer of the rule selects every pod of every namespace
/// (`namespaceSelector: {}` with no or an empty podSelector), so the pods
/// the block covered stay allowed.
fn others_select_every_pod(peers: &[Spanned<NetworkPolicyPeer>], block: usize) -> bool {
    peers.iter().enumerate().any(|(k, p)| {
        k != block
            && p.ip_block.is_none()
            && p.namespace_selector.as_ref().is_some_and(|n| n.is_empty())
            && p.pod_selector.as_ref().is_none_or(|s| s.is_empty())
    })
}

/// At most three networks, then a count.
fn nets(list: &[IpNet]) -> String {
    let shown: Vec<String> = list.iter().take(3).map(|n| n.to_string()).collect();
    match list.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}
