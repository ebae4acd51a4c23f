//! NetworkPolicy → output.

use super::{int, int_or_string, list, selector, string, strings, W};
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec};

pub(super) fn spec(w: &mut W, spec: &NetworkPolicySpec) {
    w.map(|w| {
        w.opt("podSelector", spec.pod_selector.as_ref(), |w, s| selector(w, s));
        w.opt("policyTypes", spec.policy_types.as_ref(), |w, t| {
            w.seq(t.iter(), |w, t| w.str(t.as_str()))
        });
        w.opt("ingress", spec.ingress.as_ref(), |w, l| {
            list(w, l, |w, r| rule(w, r, "from"))
        });
        w.opt("egress", spec.egress.as_ref(), |w, l| {
            list(w, l, |w, r| rule(w, r, "to"))
        });
    });
}

fn rule(w: &mut W, rule: &NetworkPolicyRule, peers: &str) {
    w.map(|w| {
        w.opt(peers, rule.peers.as_ref(), |w, l| list(w, l, peer));
        w.opt("ports", rule.ports.as_ref(), |w, l| list(w, l, port));
    });
}

fn peer(w: &mut W, peer: &NetworkPolicyPeer) {
    w.map(|w| {
        w.opt("podSelector", peer.pod_selector.as_ref(), |w, s| selector(w, s));
        w.opt("namespaceSelector", peer.namespace_selector.as_ref(), |w, s| {
            selector(w, s)
        });
        w.opt("ipBlock", peer.ip_block.as_ref(), |w, b| {
            w.map(|w| {
                w.opt("cidr", b.cidr.as_ref(), string);
                w.opt("except", b.except.as_ref(), strings);
            })
        });
    });
}

fn port(w: &mut W, port: &NetworkPolicyPort) {
    w.map(|w| {
        w.opt("protocol", port.protocol.as_ref(), |w, p| w.str(p.as_str()));
        w.opt("port", port.port.as_ref(), |w, p| int_or_string(w, p));
        w.opt("endPort", port.end_port.as_ref(), int);
    });
}
