//! ClusterNetworkPolicy (`policy.networking.k8s.io/v1alpha2`): the CRD's
//! rules (kubernetes-sigs/network-policy-api `apis/v1alpha2`) and what
//! Cilium needs to honour it (cilium-semantics §3.5).

use super::meta::{self, KeyRule, NameRule};
use super::net::{self, warn};
use super::Check;
use crate::diagnostic::Code;
use crate::model::*;
use crate::source::Span;

pub(super) fn cluster_network_policy(c: &mut Check, policy: &ClusterNetworkPolicy, document: &Document) {
    meta::object_meta(c, &policy.metadata, NameRule::Subdomain, document);
    let version = c.options.cilium_version;
    let type_span = document.kind.as_ref().map(|k| k.span).unwrap_or(document.span);
    if !version.at_least(1, 20) {
        warn(
            c,
            Code::VersionGate,
            type_span,
            format!("Cilium {version} ignores ClusterNetworkPolicy: support starts in 1.20"),
            None,
        );
    } else {
        warn(
            c,
            Code::NeedsAgentFlag,
            type_span,
            "Cilium enforces ClusterNetworkPolicy only with --enable-k8s-cluster-network-policy (off by default)"
                .to_owned(),
            None,
        );
    }
    let Some(spec) = &policy.spec else { return };
    c.at("spec", |c| {
        if let Some(priority) = &spec.priority {
            if !(0..=1000).contains(&priority.value) {
                c.at("priority", |c| {
                    c.emit(
                        Code::UnsupportedValue,
                        priority.span,
                        format!("priority {} must be between 0 and 1000", priority.value),
                        None,
                    )
                });
            }
        }
        if let Some(subject) = &spec.subject {
            c.at("subject", |c| {
                exactly_one(
                    c,
                    subject.span,
                    &[
                        ("namespaces", subject.namespaces.is_some()),
                        ("pods", subject.pods.is_some()),
                    ],
                );
                if let Some(s) = &subject.namespaces {
                    c.at("namespaces", |c| meta::selector(c, s, KeyRule::Kubernetes));
                }
                if let Some(p) = &subject.pods {
                    c.at("pods", |c| pods(c, p));
                }
            });
        }
        for (field, rules, direction) in [
            ("ingress", &spec.ingress, Direction::Ingress),
            ("egress", &spec.egress, Direction::Egress),
        ] {
            let Some(rules) = rules else { continue };
            c.at(field, |c| {
                max_items(c, rules.span, rules.len(), 25, field);
                c.each(rules, |c, r| rule(c, r, direction));
            });
        }
    });
}

fn exactly_one(c: &mut Check, span: Span, fields: &[(&str, bool)]) {
    let set: Vec<&str> = fields.iter().filter(|(_, s)| *s).map(|(n, _)| *n).collect();
    let names = fields
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if set.len() != 1 {
        c.emit(
            Code::ExclusiveFields,
            span,
            if set.is_empty() {
                format!("exactly one of {names} must be set")
            } else {
                format!("exactly one of {names} may be set, found {}", set.join(" and "))
            },
            None,
        );
    }
}

fn max_items(c: &mut Check, span: Span, len: usize, max: usize, what: &str) {
    if len > max {
        c.emit(
            Code::ListLength,
            span,
            format!("`{what}` has {len} items; at most {max} are allowed"),
            None,
        );
    }
}

fn pods(c: &mut Check, pods: &NamespacedPod) {
    if let Some(s) = &pods.namespace_selector {
        c.at("namespaceSelector", |c| meta::selector(c, s, KeyRule::Kubernetes));
    }
    if let Some(s) = &pods.pod_selector {
        c.at("podSelector", |c| meta::selector(c, s, KeyRule::Kubernetes));
    }
}

fn rule(c: &mut Check, rule: &Spanned<ClusterNetworkPolicyRule>, direction: Direction) {
    if let Some(name) = &rule.name {
        if name.value.chars().count() > 100 {
            c.at("name", |c| {
                c.emit(
                    Code::InvalidFormat,
                    name.span,
                    "rule name must be at most 100 characters",
                    None,
                )
            });
        }
    }
    let peers_field = if direction == Direction::Ingress { "from" } else { "to" };
    let mut non_pod_peer = false;
    if let Some(peers) = &rule.peers {
        c.at(peers_field, |c| {
            if peers.is_empty() {
                c.emit(
                    Code::ListLength,
                    peers.span,
                    format!("`{peers_field}` needs at least one peer"),
                    None,
                );
            }
            max_items(c, peers.span, peers.len(), 25, peers_field);
            c.each(peers, |c, p| {
                exactly_one(
                    c,
                    p.span,
                    &[
                        ("namespaces", p.namespaces.is_some()),
                        ("pods", p.pods.is_some()),
                        ("nodes", p.nodes.is_some()),
                        ("networks", p.networks.is_some()),
                        ("domainNames", p.domain_names.is_some()),
                    ],
                );
                non_pod_peer |= p.nodes.is_some() || p.networks.is_some() || p.domain_names.is_some();
                if let Some(s) = &p.namespaces {
                    c.at("namespaces", |c| meta::selector(c, s, KeyRule::Kubernetes));
                }
                if let Some(pp) = &p.pods {
                    c.at("pods", |c| pods(c, pp));
                }
                if let Some(s) = &p.nodes {
                    c.at("nodes", |c| {
                        meta::selector(c, s, KeyRule::Kubernetes);
                        warn(
                            c,
                            Code::NeedsAgentFlag,
                            s.span,
                            "`nodes` peers need the agent flag --enable-node-selector-labels (off by default)"
                                .to_owned(),
                            None,
                        );
                    });
                }
                if let Some(networks) = &p.networks {
                    c.at("networks", |c| {
                        if networks.is_empty() {
                            c.emit(
                                Code::ListLength,
                                networks.span,
                                "`networks` needs at least one CIDR",
                                None,
                            );
                        }
                        max_items(c, networks.span, networks.len(), 25, "networks");
                        c.each(networks, |c, n| {
                            if n.value.len() > 43 {
                                c.emit(Code::InvalidCidr, n.span, "a CIDR is at most 43 characters", None);
                            } else {
                                net::cidr(c, n);
                            }
                        });
                    });
                }
                if let Some(names) = &p.domain_names {
                    c.at("domainNames", |c| {
                        if names.is_empty() {
                            c.emit(
                                Code::ListLength,
                                names.span,
                                "`domainNames` needs at least one name",
                                None,
                            );
                        }
                        max_items(c, names.span, names.len(), 25, "domainNames");
                        if rule.action.as_ref().is_some_and(|a| a.value != Action::Accept) {
                            c.emit(
                                Code::UnsupportedValue,
                                names.span,
                                "`domainNames` peers are only supported in Accept rules",
                                Some("deny everything else with a lower-precedence rule instead".to_owned()),
                            );
                        }
                        c.each(names, |c, n| {
                            if !is_domain_name(&n.value) {
                                c.emit(
                                    Code::InvalidDnsName,
                                    n.span,
                                    format!("invalid domain name `{}`", n.value),
                                    Some("a name like `example.com`, or `*.example.com` for its subdomains".to_owned()),
                                );
                            }
                        });
                    });
                }
            });
        });
    }
    if let Some(protocols) = &rule.protocols {
        c.at("protocols", |c| {
            if protocols.is_empty() {
                c.emit(Code::ListLength, protocols.span, "`protocols` needs at least one item when given", None);
            }
            max_items(c, protocols.span, protocols.len(), 25, "protocols");
            c.each(protocols, |c, p| {
                exactly_one(
                    c,
                    p.span,
                    &[
                        ("tcp", p.tcp.is_some()),
                        ("udp", p.udp.is_some()),
                        ("sctp", p.sctp.is_some()),
                        ("destinationNamedPort", p.destination_named_port.is_some()),
                    ],
                );
                for (field, port) in [("tcp", &p.tcp), ("udp", &p.udp), ("sctp", &p.sctp)] {
                    if let Some(port) = port {
                        c.at(field, |c| protocol_port(c, port));
                    }
                }
                if let Some(named) = &p.destination_named_port {
                    c.at("destinationNamedPort", |c| {
                        net::port_name(c, &named.value, named.span);
                        if non_pod_peer {
                            c.emit(
                                Code::ExclusiveFields,
                                named.span,
                                "networks/nodes/domainNames peers cannot be used with a named port: they have no named ports",
                                None,
                            );
                        }
                    });
                }
            });
        });
    }
}

fn protocol_port(c: &mut Check, port: &Spanned<ProtocolPort>) {
    let Some(destination) = &port.destination_port else {
        c.emit(Code::MissingField, port.span, "needs `destinationPort`", None);
        return;
    };
    c.at("destinationPort", |c| {
        exactly_one(
            c,
            destination.span,
            &[
                ("number", destination.number.is_some()),
                ("range", destination.range.is_some()),
            ],
        );
        if let Some(n) = &destination.number {
            c.at("number", |c| net::port_number(c, n.value, n.span, false));
        }
        if let Some(range) = &destination.range {
            c.at("range", |c| {
                if let Some(s) = &range.start {
                    c.at("start", |c| net::port_number(c, s.value, s.span, false));
                }
                if let Some(e) = &range.end {
                    c.at("end", |c| net::port_number(c, e.value, e.span, false));
                }
                if let (Some(s), Some(e)) = (&range.start, &range.end) {
                    if s.value >= e.value {
                        c.emit(
                            Code::InvalidEndPort,
                            range.span,
                            "Start port must be less than End port",
                            None,
                        );
                    }
                }
            });
        }
    });
}

/// `^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`
fn is_domain_name(name: &str) -> bool {
    let body = name.strip_prefix("*.").unwrap_or(name);
    let body = body.strip_suffix('.').unwrap_or(body);
    let labels: Vec<&str> = body.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        })
}
