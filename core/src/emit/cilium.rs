//! CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → output tree.

use super::{boolean, int, int_or_string, label_map, list, selector, string, strings, Obj};
use crate::model::*;
use crate::yaml::Out;

pub(super) fn rule(rule: &Rule) -> Out {
    let mut o = Obj::new();
    o.opt("description", rule.description.as_ref().map(string));
    o.opt("endpointSelector", rule.endpoint_selector.as_ref().map(|s| selector(s)));
    o.opt("nodeSelector", rule.node_selector.as_ref().map(|s| selector(s)));
    o.opt(
        "enableDefaultDeny",
        rule.enable_default_deny.as_ref().map(|d| {
            let mut o = Obj::new();
            o.opt("ingress", d.ingress.as_ref().map(boolean));
            o.opt("egress", d.egress.as_ref().map(boolean));
            o.build()
        }),
    );
    for (direction, _, field, rules) in rule.sections() {
        o.opt(field, rules.map(|l| list(l, |r| peer_rule(r, direction))));
    }
    o.opt(
        "labels",
        rule.labels.as_ref().map(|l| {
            list(l, |label| {
                let mut o = Obj::new();
                o.opt("key", label.key.as_ref().map(string));
                o.opt("value", label.value.as_ref().map(string));
                o.opt("source", label.source.as_ref().map(string));
                o.build()
            })
        }),
    );
    o.opt(
        "log",
        rule.log.as_ref().map(|l| {
            let mut o = Obj::new();
            o.opt("value", l.value.value.as_ref().map(string));
            o.build()
        }),
    );
    o.build()
}

fn peer_rule(rule: &PeerRule, direction: Direction) -> Out {
    let mut o = Obj::new();
    let f = |kind: PeerKind| kind.field(direction);
    o.opt(
        f(PeerKind::Endpoints),
        rule.endpoints.as_ref().map(|l| list(l, selector)),
    );
    o.opt(
        f(PeerKind::Requires),
        rule.requires.as_ref().map(|l| list(l, super::node)),
    );
    o.opt(f(PeerKind::Cidr), rule.cidr.as_ref().map(strings));
    o.opt(f(PeerKind::CidrSet), rule.cidr_set.as_ref().map(|l| list(l, cidr_rule)));
    o.opt(
        f(PeerKind::Entities),
        rule.entities
            .as_ref()
            .map(|l| Out::Seq(l.iter().map(|e| Out::str(e.as_str())).collect())),
    );
    o.opt(f(PeerKind::Groups), rule.groups.as_ref().map(|l| list(l, group)));
    o.opt(f(PeerKind::Nodes), rule.nodes.as_ref().map(|l| list(l, selector)));
    o.opt(f(PeerKind::Services), rule.services.as_ref().map(|l| list(l, service)));
    o.opt(f(PeerKind::Fqdns), rule.fqdns.as_ref().map(|l| list(l, fqdn)));
    o.opt("toPorts", rule.to_ports.as_ref().map(|l| list(l, port_rule)));
    o.opt("icmps", rule.icmps.as_ref().map(|l| list(l, icmp_rule)));
    o.opt(
        "authentication",
        rule.authentication.as_ref().map(|a| {
            let mut o = Obj::new();
            o.opt("mode", a.mode.as_ref().map(string));
            o.build()
        }),
    );
    o.build()
}

fn cidr_rule(rule: &CidrRule) -> Out {
    let mut o = Obj::new();
    o.opt("cidr", rule.cidr.as_ref().map(string));
    o.opt("cidrGroupRef", rule.cidr_group_ref.as_ref().map(string));
    o.opt(
        "cidrGroupSelector",
        rule.cidr_group_selector.as_ref().map(|s| selector(s)),
    );
    o.opt("except", rule.except.as_ref().map(strings));
    o.build()
}

fn group(group: &Group) -> Out {
    let mut o = Obj::new();
    o.opt(
        "aws",
        group.aws.as_ref().map(|a| {
            let mut o = Obj::new();
            o.opt("labels", a.labels.as_ref().map(|m| label_map(m)));
            o.opt("securityGroupsIds", a.security_groups_ids.as_ref().map(strings));
            o.opt("securityGroupsNames", a.security_groups_names.as_ref().map(strings));
            o.opt("region", a.region.as_ref().map(string));
            o.build()
        }),
    );
    o.build()
}

fn service(service: &ServiceSelector) -> Out {
    let mut o = Obj::new();
    o.opt(
        "k8sService",
        service.k8s_service.as_ref().map(|s| {
            let mut o = Obj::new();
            o.opt("serviceName", s.service_name.as_ref().map(string));
            o.opt("namespace", s.namespace.as_ref().map(string));
            o.build()
        }),
    );
    o.opt(
        "k8sServiceSelector",
        service.k8s_service_selector.as_ref().map(|s| {
            let mut o = Obj::new();
            o.opt("selector", s.selector.as_ref().map(|s| selector(s)));
            o.opt("namespace", s.namespace.as_ref().map(string));
            o.build()
        }),
    );
    o.build()
}

fn fqdn(fqdn: &FqdnSelector) -> Out {
    let mut o = Obj::new();
    o.opt("matchName", fqdn.match_name.as_ref().map(string));
    o.opt("matchPattern", fqdn.match_pattern.as_ref().map(string));
    o.build()
}

fn port_rule(rule: &PortRule) -> Out {
    let mut o = Obj::new();
    o.opt(
        "ports",
        rule.ports.as_ref().map(|l| {
            list(l, |p| {
                let mut o = Obj::new();
                o.opt("port", p.port.as_ref().map(string));
                o.opt("endPort", p.end_port.as_ref().map(int));
                o.opt("protocol", p.protocol.as_ref().map(|p| Out::str(p.as_str())));
                o.build()
            })
        }),
    );
    o.opt("terminatingTLS", rule.terminating_tls.as_ref().map(|t| tls(t)));
    o.opt("originatingTLS", rule.originating_tls.as_ref().map(|t| tls(t)));
    o.opt("serverNames", rule.server_names.as_ref().map(strings));
    o.opt(
        "listener",
        rule.listener.as_ref().map(|l| {
            let mut o = Obj::new();
            o.opt(
                "envoyConfig",
                l.envoy_config.as_ref().map(|c| {
                    let mut o = Obj::new();
                    o.opt("kind", c.kind.as_ref().map(string));
                    o.opt("name", c.name.as_ref().map(string));
                    o.build()
                }),
            );
            o.opt("name", l.name.as_ref().map(string));
            o.opt("priority", l.priority.as_ref().map(int));
            o.build()
        }),
    );
    o.opt("rules", rule.rules.as_ref().map(|r| l7_rules(r)));
    o.build()
}

fn tls(tls: &TlsContext) -> Out {
    let mut o = Obj::new();
    o.opt("secret", tls.secret.as_ref().map(|s| secret(s)));
    o.opt("trustedCA", tls.trusted_ca.as_ref().map(string));
    o.opt("certificate", tls.certificate.as_ref().map(string));
    o.opt("privateKey", tls.private_key.as_ref().map(string));
    o.build()
}

fn secret(secret: &SecretRef) -> Out {
    let mut o = Obj::new();
    o.opt("name", secret.name.as_ref().map(string));
    o.opt("namespace", secret.namespace.as_ref().map(string));
    o.build()
}

fn l7_rules(rules: &L7Rules) -> Out {
    let mut o = Obj::new();
    o.opt(
        "http",
        rules.http.as_ref().map(|l| {
            list(l, |h| {
                let mut o = Obj::new();
                o.opt("path", h.path.as_ref().map(string));
                o.opt("method", h.method.as_ref().map(string));
                o.opt("host", h.host.as_ref().map(string));
                o.opt("headers", h.headers.as_ref().map(strings));
                o.opt(
                    "headerMatches",
                    h.header_matches.as_ref().map(|l| {
                        list(l, |m| {
                            let mut o = Obj::new();
                            o.opt("name", m.name.as_ref().map(string));
                            o.opt("value", m.value.as_ref().map(string));
                            o.opt("secret", m.secret.as_ref().map(|s| secret(s)));
                            o.opt("mismatch", m.mismatch.as_ref().map(string));
                            o.build()
                        })
                    }),
                );
                o.build()
            })
        }),
    );
    o.opt("dns", rules.dns.as_ref().map(|l| list(l, fqdn)));
    o.opt(
        "kafka",
        rules.kafka.as_ref().map(|l| {
            list(l, |k| {
                let mut o = Obj::new();
                o.opt("role", k.role.as_ref().map(string));
                o.opt("apiKey", k.api_key.as_ref().map(string));
                o.opt("apiVersion", k.api_version.as_ref().map(string));
                o.opt("clientID", k.client_id.as_ref().map(string));
                o.opt("topic", k.topic.as_ref().map(string));
                o.build()
            })
        }),
    );
    o.opt("l7proto", rules.l7proto.as_ref().map(string));
    o.opt("l7", rules.l7.as_ref().map(|l| list(l, label_map)));
    o.build()
}

fn icmp_rule(rule: &IcmpRule) -> Out {
    let mut o = Obj::new();
    o.opt(
        "fields",
        rule.fields.as_ref().map(|l| {
            list(l, |f| {
                let mut o = Obj::new();
                o.opt("family", f.family.as_ref().map(string));
                o.opt("type", f.icmp_type.as_ref().map(|t| int_or_string(t)));
                o.build()
            })
        }),
    );
    o.build()
}
