//! Reading `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.

use super::meta::selector;
use super::{Object, Reader};
use crate::model::*;
use crate::yaml::Node;

pub(super) fn cluster_network_policy(
    r: &mut Reader,
    top: &Object,
    metadata: Spanned<ObjectMeta>,
) -> ClusterNetworkPolicy {
    ClusterNetworkPolicy {
        metadata,
        spec: r.required(top, "spec", spec),
    }
}

const TIERS: &[(Tier, &str)] = &[(Tier::Admin, "Admin"), (Tier::Baseline, "Baseline")];
const ACTIONS: &[(Action, &str)] = &[
    (Action::Accept, "Accept"),
    (Action::Deny, "Deny"),
    (Action::Pass, "Pass"),
];

fn spec(r: &mut Reader, node: &Node) -> Option<Spanned<ClusterNetworkPolicySpec>> {
    let o = r.object(node, &["tier", "priority", "subject", "ingress", "egress"])?;
    let spec = ClusterNetworkPolicySpec {
        tier: r.required(&o, "tier", |r, n| r.one_of(n, TIERS)),
        priority: r.required(&o, "priority", Reader::integer),
        subject: r.required(&o, "subject", |r, n| {
            let o = r.object(n, &["namespaces", "pods"])?;
            let subject = ClusterNetworkPolicySubject {
                namespaces: r.field(&o, "namespaces", selector),
                pods: r.field(&o, "pods", namespaced_pod),
            };
            Some(Spanned::new(subject, r.value_span(n)))
        }),
        ingress: r.field(&o, "ingress", |r, n| r.list(n, |r, n| rule(r, n, Direction::Ingress))),
        egress: r.field(&o, "egress", |r, n| r.list(n, |r, n| rule(r, n, Direction::Egress))),
    };
    Some(Spanned::new(spec, r.value_span(node)))
}

fn namespaced_pod(r: &mut Reader, node: &Node) -> Option<Spanned<NamespacedPod>> {
    let o = r.object(node, &["namespaceSelector", "podSelector"])?;
    let pods = NamespacedPod {
        namespace_selector: r.field(&o, "namespaceSelector", selector),
        pod_selector: r.required(&o, "podSelector", selector),
    };
    Some(Spanned::new(pods, r.value_span(node)))
}

fn rule(r: &mut Reader, node: &Node, direction: Direction) -> Option<ClusterNetworkPolicyRule> {
    let peers_field = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let o = r.object(node, &["name", "action", peers_field, "protocols"])?;
    Some(ClusterNetworkPolicyRule {
        name: r.field(&o, "name", Reader::string),
        action: r.required(&o, "action", |r, n| r.one_of(n, ACTIONS)),
        peers: r.required(&o, peers_field, |r, n| r.list(n, |r, n| peer(r, n, direction))),
        protocols: r.field(&o, "protocols", |r, n| r.list(n, protocol)),
    })
}

fn peer(r: &mut Reader, node: &Node, direction: Direction) -> Option<ClusterNetworkPolicyPeer> {
    let fields: &[&str] = match direction {
        Direction::Ingress => &["namespaces", "pods"],
        Direction::Egress => &["namespaces", "pods", "nodes", "networks", "domainNames"],
    };
    let o = r.object(node, fields)?;
    Some(ClusterNetworkPolicyPeer {
        namespaces: r.field(&o, "namespaces", selector),
        pods: r.field(&o, "pods", namespaced_pod),
        nodes: r.field(&o, "nodes", selector),
        networks: r.field(&o, "networks", Reader::strings),
        domain_names: r.field(&o, "domainNames", Reader::strings),
    })
}

fn protocol(r: &mut Reader, node: &Node) -> Option<ClusterNetworkPolicyProtocol> {
    let o = r.object(node, &["tcp", "udp", "sctp", "destinationNamedPort"])?;
    Some(ClusterNetworkPolicyProtocol {
        tcp: r.field(&o, "tcp", protocol_port),
        udp: r.field(&o, "udp", protocol_port),
        sctp: r.field(&o, "sctp", protocol_port),
        destination_named_port: r.field(&o, "destinationNamedPort", Reader::string),
    })
}

fn protocol_port(r: &mut Reader, node: &Node) -> Option<Spanned<ProtocolPort>> {
    let o = r.object(node, &["destinationPort"])?;
    let port = ProtocolPort {
        destination_port: r.field(&o, "destinationPort", |r, n| {
            let o = r.object(n, &["number", "range"])?;
            let port = PortMatch {
                number: r.field(&o, "number", Reader::integer),
                range: r.field(&o, "range", |r, n| {
                    let o = r.object(n, &["start", "end"])?;
                    let range = PortRange {
                        start: r.required(&o, "start", Reader::integer),
                        end: r.required(&o, "end", Reader::integer),
                    };
                    Some(Spanned::new(range, r.value_span(n)))
                }),
            };
            Some(Spanned::new(port, r.value_span(n)))
        }),
    };
    Some(Spanned::new(port, r.value_span(node)))
}
