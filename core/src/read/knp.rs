//! Reading `networking.k8s.io/v1` NetworkPolicy.

use super::meta::selector;
use super::{Object, Reader};
use crate::model::{
    IpBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec, PolicyType,
    Protocol, Spanned,
};
use crate::yaml::Node;

pub(super) fn network_policy(
    r: &mut Reader,
    top: &Object,
    metadata: Spanned<crate::model::ObjectMeta>,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata,
        spec: r.field(top, "spec", spec),
    }
}

fn spec(r: &mut Reader, node: &Node) -> Option<Spanned<NetworkPolicySpec>> {
    let o = r.object(node, &["podSelector", "policyTypes", "ingress", "egress"])?;
    let spec = NetworkPolicySpec {
        pod_selector: r.field(&o, "podSelector", selector),
        policy_types: r.field(&o, "policyTypes", |r, n| {
            let list = r.list(n, |r, n| r.one_of(n, POLICY_TYPES))?;
            Some(Spanned::new(
                list.value.into_iter().map(|t| t.value).collect(),
                list.span,
            ))
        }),
        ingress: r.field(&o, "ingress", |r, n| r.list(n, |r, n| rule(r, n, "from"))),
        egress: r.field(&o, "egress", |r, n| r.list(n, |r, n| rule(r, n, "to"))),
    };
    Some(Spanned::new(spec, r.value_span(node)))
}

const POLICY_TYPES: &[(PolicyType, &str)] = &[(PolicyType::Ingress, "Ingress"), (PolicyType::Egress, "Egress")];

/// The protocols a NetworkPolicy port accepts.
pub(super) const KUBERNETES_PROTOCOLS: &[(Protocol, &str)] =
    &[(Protocol::Tcp, "TCP"), (Protocol::Udp, "UDP"), (Protocol::Sctp, "SCTP")];

fn rule(r: &mut Reader, node: &Node, peers: &'static str) -> Option<NetworkPolicyRule> {
    let o = r.object(node, &[peers, "ports"])?;
    Some(NetworkPolicyRule {
        peers: r.field(&o, peers, |r, n| r.list(n, peer)),
        ports: r.field(&o, "ports", |r, n| r.list(n, port)),
    })
}

fn peer(r: &mut Reader, node: &Node) -> Option<NetworkPolicyPeer> {
    let o = r.object(node, &["podSelector", "namespaceSelector", "ipBlock"])?;
    Some(NetworkPolicyPeer {
        pod_selector: r.field(&o, "podSelector", selector),
        namespace_selector: r.field(&o, "namespaceSelector", selector),
        ip_block: r.field(&o, "ipBlock", |r, n| {
            let o = r.object(n, &["cidr", "except"])?;
            let block = IpBlock {
                cidr: r.required(&o, "cidr", Reader::string),
                except: r.field(&o, "except", Reader::strings),
            };
            Some(Spanned::new(block, r.value_span(n)))
        }),
    })
}

fn port(r: &mut Reader, node: &Node) -> Option<NetworkPolicyPort> {
    let o = r.object(node, &["protocol", "port", "endPort"])?;
    Some(NetworkPolicyPort {
        protocol: r.field(&o, "protocol", |r, n| r.one_of(n, KUBERNETES_PROTOCOLS)),
        port: r.field(&o, "port", Reader::int_or_string),
        end_port: r.field(&o, "endPort", Reader::integer),
    })
}
