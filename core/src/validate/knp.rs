//! NetworkPolicy: the API server's rules (k8s.io/kubernetes
//! `pkg/apis/networking/validation` `ValidateNetworkPolicy`), plus the
//! warnings Cilium's translation (cilium-semantics §1) makes worth giving.

use super::meta::{self, KeyRule, NameRule};
use super::net;
use super::Check;
use crate::diagnostic::{Code, Severity};
use crate::model::{
    Document, IntOrString, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, PolicyType,
};

pub(super) fn network_policy(c: &mut Check, policy: &NetworkPolicy, document: &Document) {
    meta::object_meta(c, &policy.metadata, NameRule::Subdomain, document);
    let Some(spec) = &policy.spec else {
        c.emit_as(
            Code::MissingField,
            Severity::Warning,
            document.span,
            "no `spec`: this policy selects every pod of its namespace and denies all their ingress",
            Some("add a `spec` with a `podSelector` (`{}` for every pod)".to_owned()),
        );
        return;
    };
    c.at("spec", |c| {
        match &spec.pod_selector {
            Some(selector) => c.at("podSelector", |c| meta::selector(c, selector, KeyRule::Kubernetes)),
            None if c.written_wrongly() => {}
            None => c.emit_as(
                Code::MissingField,
                Severity::Warning,
                spec.span,
                "no `podSelector`: this policy selects every pod of its namespace",
                Some("write `podSelector: {}` to say so explicitly".to_owned()),
            ),
        }
        if let Some(types) = &spec.policy_types {
            if types.len() > 2 {
                c.at("policyTypes", |c| {
                    c.emit(
                        Code::PolicyTypes,
                        types.span,
                        "may not specify more than two policyTypes",
                        None,
                    )
                });
            } else {
                let mut seen: Vec<PolicyType> = Vec::new();
                c.at("policyTypes", |c| {
                    c.each(types, |c, t| {
                        if seen.contains(&t.value) {
                            c.emit_as(
                                Code::PolicyTypes,
                                Severity::Warning,
                                t.span,
                                format!("`{}` is listed twice", t.as_str()),
                                Some("remove the duplicate".to_owned()),
                            );
                        }
                        seen.push(t.value);
                    })
                });
            }
        }
        for (field, rules) in [("ingress", &spec.ingress), ("egress", &spec.egress)] {
            let Some(rules) = rules else { continue };
            let peers = if field == "ingress" { "from" } else { "to" };
            c.at(field, |c| c.each(rules, |c, r| rule(c, r, peers)));
        }
    });
}

fn rule(c: &mut Check, rule: &NetworkPolicyRule, peers_field: &'static str) {
    if let Some(peers) = &rule.peers {
        c.at(peers_field, |c| c.each(peers, |c, p| peer(c, p, p.span)));
    }
    if let Some(ports) = &rule.ports {
        c.at("ports", |c| c.each(ports, |c, p| port(c, p)));
    }
}

/// `ValidateNetworkPolicyPeer` and `ValidateIPBlock`.
fn peer(c: &mut Check, peer: &NetworkPolicyPeer, span: crate::source::Span) {
    let set = [
        peer.pod_selector.is_some(),
        peer.namespace_selector.is_some(),
        peer.ip_block.is_some(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    if set == 0 && !c.written_wrongly() {
        c.emit(
            Code::EmptyPeer,
            span,
            "must specify a peer: `podSelector`, `namespaceSelector` or `ipBlock`",
            Some("to allow every peer, leave out the whole `from`/`to` list instead of writing `{}`".to_owned()),
        );
    }
    if set > 1 {
        if let Some(block) = &peer.ip_block {
            c.at("ipBlock", |c| {
                c.emit(
                    Code::IpBlockWithSelector,
                    block.span,
                    "may not specify more than 1 peer type: `ipBlock` excludes `podSelector` and `namespaceSelector`",
                    Some("give each its own list item: start the second with its own `-`".to_owned()),
                )
            });
        }
    }
    if let Some(selector) = &peer.pod_selector {
        c.at("podSelector", |c| meta::selector(c, selector, KeyRule::Kubernetes));
    }
    if let Some(selector) = &peer.namespace_selector {
        c.at("namespaceSelector", |c| {
            meta::selector(c, selector, KeyRule::Kubernetes)
        });
    }
    if let Some(block) = &peer.ip_block {
        c.at("ipBlock", |c| {
            let cidr = block
                .cidr
                .as_ref()
                .and_then(|s| c.at("cidr", |c| net::cidr(c, s)).map(|n| (n, s)));
            if let Some(except) = &block.except {
                net::excepts(c, cidr, except, true);
            }
        });
    }
}

/// `ValidateNetworkPolicyPort`: protocol (checked when read), port number
/// or name, endPort only after a numeric port and not below it.
fn port(c: &mut Check, port: &NetworkPolicyPort) {
    match port.port.as_ref().map(|p| (&p.value, p.span)) {
        Some((IntOrString::Int(n), at)) => {
            c.at("port", |c| net::port_number(c, *n, at, false));
            if let Some(end) = &port.end_port {
                c.at("endPort", |c| {
                    if end.value < *n {
                        c.emit(
                            Code::InvalidEndPort,
                            end.span,
                            format!("endPort {} must be greater than or equal to port {n}", end.value),
                            None,
                        );
                    }
                    net::port_number(c, end.value, end.span, false);
                });
            }
        }
        Some((IntOrString::Str(name), at)) => {
            c.at("port", |c| net::port_name(c, name, at));
            if let Some(end) = &port.end_port {
                c.at("endPort", |c| {
                    c.emit(
                        Code::InvalidEndPort,
                        end.span,
                        "endPort may not be specified when port is non-numeric",
                        Some("ranges need a numeric `port`".to_owned()),
                    )
                });
            }
        }
        None => {
            if let Some(end) = &port.end_port {
                c.at("endPort", |c| {
                    c.emit(
                        Code::InvalidEndPort,
                        end.span,
                        "endPort may not be specified when port is not specified",
                        Some("add the first port of the range as `port`".to_owned()),
                    )
                });
            }
        }
    }
}
