//! Reading CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy
//! (cilium-semantics §2; the CRD schemas in `crds/` list the same fields).

use super::meta::selector;
use super::{Object, Reader};
use crate::model::*;
use crate::yaml::Node;

pub(super) fn cilium_policy(r: &mut Reader, top: &Object, metadata: Spanned<ObjectMeta>) -> CiliumPolicy {
    CiliumPolicy {
        metadata,
        spec: r.field(top, "spec", |r, n| rule(r, n).map(|v| Spanned::new(v, r.value_span(n)))),
        specs: r.field(top, "specs", |r, n| r.list(n, rule)),
    }
}

const RULE_FIELDS: &[&str] = &[
    "description",
    "endpointSelector",
    "nodeSelector",
    "enableDefaultDeny",
    "ingress",
    "ingressDeny",
    "egress",
    "egressDeny",
    "labels",
    "log",
];

fn rule(r: &mut Reader, node: &Node) -> Option<Rule> {
    let o = r.object(node, RULE_FIELDS)?;
    Some(Rule {
        description: r.field(&o, "description", Reader::string),
        endpoint_selector: r.field(&o, "endpointSelector", selector),
        node_selector: r.field(&o, "nodeSelector", selector),
        enable_default_deny: r.field(&o, "enableDefaultDeny", |r, n| {
            let o = r.object(n, &["ingress", "egress"])?;
            let config = DefaultDenyConfig {
                ingress: r.field(&o, "ingress", Reader::boolean),
                egress: r.field(&o, "egress", Reader::boolean),
            };
            Some(Spanned::new(config, r.value_span(n)))
        }),
        ingress: r.field(&o, "ingress", |r, n| {
            r.list(n, |r, n| peer_rule(r, n, Direction::Ingress, false))
        }),
        ingress_deny: r.field(&o, "ingressDeny", |r, n| {
            r.list(n, |r, n| peer_rule(r, n, Direction::Ingress, true))
        }),
        egress: r.field(&o, "egress", |r, n| {
            r.list(n, |r, n| peer_rule(r, n, Direction::Egress, false))
        }),
        egress_deny: r.field(&o, "egressDeny", |r, n| {
            r.list(n, |r, n| peer_rule(r, n, Direction::Egress, true))
        }),
        labels: r.field(&o, "labels", |r, n| {
            r.list(n, |r, n| {
                let o = r.object(n, &["key", "value", "source"])?;
                Some(RuleLabel {
                    key: r.required(&o, "key", Reader::string),
                    value: r.field(&o, "value", Reader::string),
                    source: r.field(&o, "source", Reader::string),
                })
            })
        }),
        log: r.field(&o, "log", |r, n| {
            let o = r.object(n, &["value"])?;
            Some(Spanned::new(
                LogConfig {
                    value: r.field(&o, "value", Reader::string),
                },
                r.value_span(n),
            ))
        }),
    })
}

/// The fields a rule may have, by direction and verdict (§2.13b).
fn peer_rule_fields(direction: Direction, deny: bool) -> &'static [&'static str] {
    match (direction, deny) {
        (Direction::Ingress, false) => &[
            "fromEndpoints",
            "fromRequires",
            "fromCIDR",
            "fromCIDRSet",
            "fromEntities",
            "fromGroups",
            "fromNodes",
            "toPorts",
            "icmps",
            "authentication",
        ],
        (Direction::Ingress, true) => &[
            "fromEndpoints",
            "fromRequires",
            "fromCIDR",
            "fromCIDRSet",
            "fromEntities",
            "fromGroups",
            "fromNodes",
            "toPorts",
            "icmps",
        ],
        (Direction::Egress, false) => &[
            "toEndpoints",
            "toRequires",
            "toCIDR",
            "toCIDRSet",
            "toEntities",
            "toServices",
            "toGroups",
            "toNodes",
            "toFQDNs",
            "toPorts",
            "icmps",
            "authentication",
        ],
        (Direction::Egress, true) => &[
            "toEndpoints",
            "toRequires",
            "toCIDR",
            "toCIDRSet",
            "toEntities",
            "toServices",
            "toGroups",
            "toNodes",
            "toPorts",
            "icmps",
        ],
    }
}

const ENTITY_NAMES: &[(Entity, &str)] = &[
    (Entity::All, "all"),
    (Entity::World, "world"),
    (Entity::Cluster, "cluster"),
    (Entity::Host, "host"),
    (Entity::Init, "init"),
    (Entity::Ingress, "ingress"),
    (Entity::Unmanaged, "unmanaged"),
    (Entity::RemoteNode, "remote-node"),
    (Entity::Health, "health"),
    (Entity::None, "none"),
    (Entity::KubeApiserver, "kube-apiserver"),
];

fn peer_rule(r: &mut Reader, node: &Node, direction: Direction, deny: bool) -> Option<PeerRule> {
    let o = r.object(node, peer_rule_fields(direction, deny))?;
    let f = |kind: PeerKind| kind.field(direction);
    Some(PeerRule {
        endpoints: r.field(&o, f(PeerKind::Endpoints), |r, n| {
            r.list(n, |r, n| selector(r, n).map(|s| s.value))
        }),
        requires: r.field(&o, f(PeerKind::Requires), |r, n| r.list(n, |_, n| Some(n.clone()))),
        cidr: r.field(&o, f(PeerKind::Cidr), Reader::strings),
        cidr_set: r.field(&o, f(PeerKind::CidrSet), |r, n| r.list(n, cidr_rule)),
        entities: r.field(&o, f(PeerKind::Entities), |r, n| {
            let list = r.list(n, entity)?;
            Some(Spanned::new(
                list.value.into_iter().map(|e| e.value).collect(),
                list.span,
            ))
        }),
        groups: r.field(&o, f(PeerKind::Groups), |r, n| r.list(n, group)),
        nodes: r.field(&o, f(PeerKind::Nodes), |r, n| {
            r.list(n, |r, n| selector(r, n).map(|s| s.value))
        }),
        services: if direction == Direction::Egress {
            r.field(&o, "toServices", |r, n| r.list(n, service))
        } else {
            None
        },
        fqdns: if direction == Direction::Egress && !deny {
            r.field(&o, "toFQDNs", |r, n| r.list(n, fqdn))
        } else {
            None
        },
        to_ports: r.field(&o, "toPorts", |r, n| r.list(n, |r, n| port_rule(r, n, deny))),
        icmps: r.field(&o, "icmps", |r, n| r.list(n, icmp_rule)),
        authentication: if deny {
            None
        } else {
            r.field(&o, "authentication", |r, n| {
                let o = r.object(n, &["mode"])?;
                Some(Spanned::new(
                    Authentication {
                        mode: r.required(&o, "mode", Reader::string),
                    },
                    r.value_span(n),
                ))
            })
        },
    })
}

fn entity(r: &mut Reader, node: &Node) -> Option<Spanned<Entity>> {
    let s = r.string(node)?;
    if let Some(e) = Entity::from_name(&s.value) {
        return Some(Spanned::new(e, s.span));
    }
    if s.value == "world-ipv4" || s.value == "world-ipv6" {
        let d = crate::diagnostic::Diagnostic::new(
            crate::diagnostic::Code::UnsupportedValue,
            s.span,
            format!("entity `{}` is not in the CRD enum; the API server refuses it", s.value),
        )
        .with_hint("use `world`, or a `toCIDRSet` of 0.0.0.0/0 or ::/0 for one address family");
        r.report(d);
        return None;
    }
    r.unsupported(&s, ENTITY_NAMES.iter().map(|(_, n)| *n));
    None
}

fn cidr_rule(r: &mut Reader, node: &Node) -> Option<CidrRule> {
    let o = r.object(node, &["cidr", "cidrGroupRef", "cidrGroupSelector", "except"])?;
    Some(CidrRule {
        cidr: r.field(&o, "cidr", Reader::string),
        cidr_group_ref: r.field(&o, "cidrGroupRef", Reader::string),
        cidr_group_selector: r.field(&o, "cidrGroupSelector", selector),
        except: r.field(&o, "except", Reader::strings),
    })
}

fn group(r: &mut Reader, node: &Node) -> Option<Group> {
    let o = r.object(node, &["aws"])?;
    Some(Group {
        aws: r.field(&o, "aws", |r, n| {
            let o = r.object(n, &["labels", "securityGroupsIds", "securityGroupsNames", "region"])?;
            let aws = AwsGroup {
                labels: r.field(&o, "labels", Reader::label_map),
                security_groups_ids: r.field(&o, "securityGroupsIds", Reader::strings),
                security_groups_names: r.field(&o, "securityGroupsNames", Reader::strings),
                region: r.field(&o, "region", Reader::string),
            };
            Some(Spanned::new(aws, r.value_span(n)))
        }),
    })
}

fn service(r: &mut Reader, node: &Node) -> Option<ServiceSelector> {
    let o = r.object(node, &["k8sService", "k8sServiceSelector"])?;
    Some(ServiceSelector {
        k8s_service: r.field(&o, "k8sService", |r, n| {
            let o = r.object(n, &["serviceName", "namespace"])?;
            let name = ServiceName {
                service_name: r.field(&o, "serviceName", Reader::string),
                namespace: r.field(&o, "namespace", Reader::string),
            };
            Some(Spanned::new(name, r.value_span(n)))
        }),
        k8s_service_selector: r.field(&o, "k8sServiceSelector", |r, n| {
            let o = r.object(n, &["selector", "namespace"])?;
            let sel = ServiceLabelSelector {
                selector: r.required(&o, "selector", selector),
                namespace: r.field(&o, "namespace", Reader::string),
            };
            Some(Spanned::new(sel, r.value_span(n)))
        }),
    })
}

fn fqdn(r: &mut Reader, node: &Node) -> Option<FqdnSelector> {
    let o = r.object(node, &["matchName", "matchPattern"])?;
    Some(FqdnSelector {
        match_name: r.field(&o, "matchName", Reader::string),
        match_pattern: r.field(&o, "matchPattern", Reader::string),
    })
}

/// The protocols of the newest Cilium CRD enum; older versions are checked
/// by the validator.
const CILIUM_PROTOCOLS: &[(Protocol, &str)] = &[
    (Protocol::Tcp, "TCP"),
    (Protocol::Udp, "UDP"),
    (Protocol::Sctp, "SCTP"),
    (Protocol::Vrrp, "VRRP"),
    (Protocol::Igmp, "IGMP"),
    (Protocol::Gre, "GRE"),
    (Protocol::Ipip, "IPIP"),
    (Protocol::Ipv6, "IPV6"),
    (Protocol::Esp, "ESP"),
    (Protocol::Ah, "AH"),
    (Protocol::Any, "ANY"),
];

fn port_rule(r: &mut Reader, node: &Node, deny: bool) -> Option<PortRule> {
    let fields: &[&str] = if deny {
        &["ports"]
    } else {
        &[
            "ports",
            "terminatingTLS",
            "originatingTLS",
            "serverNames",
            "listener",
            "rules",
        ]
    };
    let o = r.object(node, fields)?;
    Some(PortRule {
        ports: r.field(&o, "ports", |r, n| {
            r.list(n, |r, n| {
                let o = r.object(n, &["port", "endPort", "protocol"])?;
                Some(PortProtocol {
                    port: r.field(&o, "port", Reader::string),
                    end_port: r.field(&o, "endPort", Reader::integer),
                    protocol: r.field(&o, "protocol", |r, n| r.one_of(n, CILIUM_PROTOCOLS)),
                })
            })
        }),
        terminating_tls: r.field(&o, "terminatingTLS", tls),
        originating_tls: r.field(&o, "originatingTLS", tls),
        server_names: r.field(&o, "serverNames", Reader::strings),
        listener: r.field(&o, "listener", |r, n| {
            let o = r.object(n, &["envoyConfig", "name", "priority"])?;
            let listener = Listener {
                envoy_config: r.required(&o, "envoyConfig", |r, n| {
                    let o = r.object(n, &["kind", "name"])?;
                    let config = EnvoyConfigRef {
                        kind: r.field(&o, "kind", Reader::string),
                        name: r.required(&o, "name", Reader::string),
                    };
                    Some(Spanned::new(config, r.value_span(n)))
                }),
                name: r.required(&o, "name", Reader::string),
                priority: r.field(&o, "priority", Reader::integer),
            };
            Some(Spanned::new(listener, r.value_span(n)))
        }),
        rules: r.field(&o, "rules", l7_rules),
    })
}

fn tls(r: &mut Reader, node: &Node) -> Option<Spanned<TlsContext>> {
    let o = r.object(node, &["secret", "trustedCA", "certificate", "privateKey"])?;
    let context = TlsContext {
        secret: r.required(&o, "secret", secret),
        trusted_ca: r.field(&o, "trustedCA", Reader::string),
        certificate: r.field(&o, "certificate", Reader::string),
        private_key: r.field(&o, "privateKey", Reader::string),
    };
    Some(Spanned::new(context, r.value_span(node)))
}

fn secret(r: &mut Reader, node: &Node) -> Option<Spanned<SecretRef>> {
    let o = r.object(node, &["name", "namespace"])?;
    let secret = SecretRef {
        name: r.required(&o, "name", Reader::string),
        namespace: r.field(&o, "namespace", Reader::string),
    };
    Some(Spanned::new(secret, r.value_span(node)))
}

fn l7_rules(r: &mut Reader, node: &Node) -> Option<Spanned<L7Rules>> {
    let o = r.object(node, &["http", "dns", "kafka", "l7proto", "l7"])?;
    let rules = L7Rules {
        http: r.field(&o, "http", |r, n| r.list(n, http_rule)),
        dns: r.field(&o, "dns", |r, n| r.list(n, fqdn)),
        kafka: r.field(&o, "kafka", |r, n| {
            r.list(n, |r, n| {
                let o = r.object(n, &["role", "apiKey", "apiVersion", "clientID", "topic"])?;
                Some(KafkaRule {
                    role: r.field(&o, "role", Reader::string),
                    api_key: r.field(&o, "apiKey", Reader::string),
                    api_version: r.field(&o, "apiVersion", Reader::string),
                    client_id: r.field(&o, "clientID", Reader::string),
                    topic: r.field(&o, "topic", Reader::string),
                })
            })
        }),
        l7proto: r.field(&o, "l7proto", Reader::string),
        l7: r.field(&o, "l7", |r, n| r.list(n, |r, n| r.label_map(n).map(|m| m.value))),
    };
    Some(Spanned::new(rules, r.value_span(node)))
}

fn http_rule(r: &mut Reader, node: &Node) -> Option<HttpRule> {
    let o = r.object(node, &["path", "method", "host", "headers", "headerMatches"])?;
    Some(HttpRule {
        path: r.field(&o, "path", Reader::string),
        method: r.field(&o, "method", Reader::string),
        host: r.field(&o, "host", Reader::string),
        headers: r.field(&o, "headers", Reader::strings),
        header_matches: r.field(&o, "headerMatches", |r, n| {
            r.list(n, |r, n| {
                let o = r.object(n, &["name", "value", "secret", "mismatch"])?;
                Some(HeaderMatch {
                    name: r.required(&o, "name", Reader::string),
                    value: r.field(&o, "value", Reader::string),
                    secret: r.field(&o, "secret", secret),
                    mismatch: r.field(&o, "mismatch", Reader::string),
                })
            })
        }),
    })
}

fn icmp_rule(r: &mut Reader, node: &Node) -> Option<IcmpRule> {
    let o = r.object(node, &["fields"])?;
    Some(IcmpRule {
        fields: r.field(&o, "fields", |r, n| {
            r.list(n, |r, n| {
                let o = r.object(n, &["family", "type"])?;
                Some(IcmpField {
                    family: r.field(&o, "family", Reader::string),
                    icmp_type: r.required(&o, "type", Reader::int_or_string),
                })
            })
        }),
    })
}
