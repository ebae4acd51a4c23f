//! ClusterNetworkPolicy → output tree.

use super::{int, list, selector, string, strings, Obj};
use crate::model::*;
use crate::yaml::Out;

pub(super) fn spec(spec: &ClusterNetworkPolicySpec) -> Out {
    let mut o = Obj::new();
    o.opt("tier", spec.tier.as_ref().map(|t| Out::str(t.as_str())));
    o.opt("priority", spec.priority.as_ref().map(int));
    o.opt(
        "subject",
        spec.subject.as_ref().map(|s| {
            let mut o = Obj::new();
            o.opt("namespaces", s.namespaces.as_ref().map(|s| selector(s)));
            o.opt("pods", s.pods.as_ref().map(|p| pods(p)));
            o.build()
        }),
    );
    o.opt("ingress", spec.ingress.as_ref().map(|l| list(l, |r| rule(r, "from"))));
    o.opt("egress", spec.egress.as_ref().map(|l| list(l, |r| rule(r, "to"))));
    o.build()
}

fn pods(pods: &NamespacedPod) -> Out {
    let mut o = Obj::new();
    o.opt(
        "namespaceSelector",
        pods.namespace_selector.as_ref().map(|s| selector(s)),
    );
    o.opt("podSelector", pods.pod_selector.as_ref().map(|s| selector(s)));
    o.build()
}

fn rule(rule: &ClusterNetworkPolicyRule, peers: &str) -> Out {
    let mut o = Obj::new();
    o.opt("name", rule.name.as_ref().map(string));
    o.opt("action", rule.action.as_ref().map(|a| Out::str(a.as_str())));
    o.opt(
        peers,
        rule.peers.as_ref().map(|l| {
            list(l, |p| {
                let mut o = Obj::new();
                o.opt("namespaces", p.namespaces.as_ref().map(|s| selector(s)));
                o.opt("pods", p.pods.as_ref().map(|p| pods(p)));
                o.opt("nodes", p.nodes.as_ref().map(|s| selector(s)));
                o.opt("networks", p.networks.as_ref().map(strings));
                o.opt("domainNames", p.domain_names.as_ref().map(strings));
                o.build()
            })
        }),
    );
    o.opt(
        "protocols",
        rule.protocols.as_ref().map(|l| {
            list(l, |p| {
                let mut o = Obj::new();
                o.opt("tcp", p.tcp.as_ref().map(|p| protocol_port(p)));
                o.opt("udp", p.udp.as_ref().map(|p| protocol_port(p)));
                o.opt("sctp", p.sctp.as_ref().map(|p| protocol_port(p)));
                o.opt("destinationNamedPort", p.destination_named_port.as_ref().map(string));
                o.build()
            })
        }),
    );
    o.build()
}

fn protocol_port(port: &ProtocolPort) -> Out {
    let mut o = Obj::new();
    o.opt(
        "destinationPort",
        port.destination_port.as_ref().map(|d| {
            let mut o = Obj::new();
            o.opt("number", d.number.as_ref().map(int));
            o.opt(
                "range",
                d.range.as_ref().map(|r| {
                    let mut o = Obj::new();
                    o.opt("start", r.start.as_ref().map(int));
                    o.opt("end", r.end.as_ref().map(int));
                    o.build()
                }),
            );
            o.build()
        }),
    );
    o.build()
}
