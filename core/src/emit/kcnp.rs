//! ClusterNetworkPolicy → output.

use super::{int, list, selector, string, strings, W};
use crate::model::*;

pub(super) fn spec(w: &mut W, spec: &ClusterNetworkPolicySpec) {
    w.map(|w| {
        w.opt("tier", spec.tier.as_ref(), |w, t| w.str(t.as_str()));
        w.opt("priority", spec.priority.as_ref(), int);
        w.opt("subject", spec.subject.as_ref(), |w, s| {
            w.map(|w| {
                w.opt("namespaces", s.namespaces.as_ref(), |w, s| selector(w, s));
                w.opt("pods", s.pods.as_ref(), |w, p| pods(w, p));
            })
        });
        w.opt("ingress", spec.ingress.as_ref(), |w, l| {
            list(w, l, |w, r| rule(w, r, "from"))
        });
        w.opt("egress", spec.egress.as_ref(), |w, l| {
            list(w, l, |w, r| rule(w, r, "to"))
        });
    });
}

fn pods(w: &mut W, pods: &NamespacedPod) {
    w.map(|w| {
        w.opt("namespaceSelector", pods.namespace_selector.as_ref(), |w, s| {
            selector(w, s)
        });
        w.opt("podSelector", pods.pod_selector.as_ref(), |w, s| selector(w, s));
    });
}

fn rule(w: &mut W, rule: &ClusterNetworkPolicyRule, peers: &str) {
    w.map(|w| {
        w.opt("name", rule.name.as_ref(), string);
        w.opt("action", rule.action.as_ref(), |w, a| w.str(a.as_str()));
        w.opt(peers, rule.peers.as_ref(), |w, l| {
            list(w, l, |w, p| {
                w.map(|w| {
                    w.opt("namespaces", p.namespaces.as_ref(), |w, s| selector(w, s));
                    w.opt("pods", p.pods.as_ref(), |w, p| pods(w, p));
                    w.opt("nodes", p.nodes.as_ref(), |w, s| selector(w, s));
                    w.opt("networks", p.networks.as_ref(), strings);
                    w.opt("domainNames", p.domain_names.as_ref(), strings);
                })
            })
        });
        w.opt("protocols", rule.protocols.as_ref(), |w, l| {
            list(w, l, |w, p| {
                w.map(|w| {
                    w.opt("tcp", p.tcp.as_ref(), |w, p| protocol_port(w, p));
                    w.opt("udp", p.udp.as_ref(), |w, p| protocol_port(w, p));
                    w.opt("sctp", p.sctp.as_ref(), |w, p| protocol_port(w, p));
                    w.opt("destinationNamedPort", p.destination_named_port.as_ref(), string);
                })
            })
        });
    });
}

fn protocol_port(w: &mut W, port: &ProtocolPort) {
    w.map(|w| {
        w.opt("destinationPort", port.destination_port.as_ref(), |w, d| {
            w.map(|w| {
                w.opt("number", d.number.as_ref(), int);
                w.opt("range", d.range.as_ref(), |w, r| {
                    w.map(|w| {
                        w.opt("start", r.start.as_ref(), int);
                        w.opt("end", r.end.as_ref(), int);
                    })
                });
            })
        });
    });
}
