//! NetworkPolicy → output tree.

use super::{int, int_or_string, list, selector, string, strings, Obj};
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec};
use crate::yaml::Out;

pub(super) fn spec(spec: &NetworkPolicySpec) -> Out {
    let mut o = Obj::new();
    o.opt("podSelector", spec.pod_selector.as_ref().map(|s| selector(s)));
    o.opt(
        "policyTypes",
        spec.policy_types
            .as_ref()
            .map(|t| Out::Seq(t.iter().map(|t| Out::str(t.as_str())).collect())),
    );
    o.opt("ingress", spec.ingress.as_ref().map(|l| list(l, |r| rule(r, "from"))));
    o.opt("egress", spec.egress.as_ref().map(|l| list(l, |r| rule(r, "to"))));
    o.build()
}

fn rule(rule: &NetworkPolicyRule, peers: &str) -> Out {
    let mut o = Obj::new();
    o.opt(peers, rule.peers.as_ref().map(|l| list(l, peer)));
    o.opt("ports", rule.ports.as_ref().map(|l| list(l, port)));
    o.build()
}

fn peer(peer: &NetworkPolicyPeer) -> Out {
    let mut o = Obj::new();
    o.opt("podSelector", peer.pod_selector.as_ref().map(|s| selector(s)));
    o.opt(
        "namespaceSelector",
        peer.namespace_selector.as_ref().map(|s| selector(s)),
    );
    o.opt(
        "ipBlock",
        peer.ip_block.as_ref().map(|b| {
            let mut o = Obj::new();
            o.opt("cidr", b.cidr.as_ref().map(string));
            o.opt("except", b.except.as_ref().map(strings));
            o.build()
        }),
    );
    o.build()
}

fn port(port: &NetworkPolicyPort) -> Out {
    let mut o = Obj::new();
    o.opt("protocol", port.protocol.as_ref().map(|p| Out::str(p.as_str())));
    o.opt("port", port.port.as_ref().map(|p| int_or_string(p)));
    o.opt("endPort", port.end_port.as_ref().map(int));
    o.build()
}
