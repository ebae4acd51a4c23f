//! CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → output.

use super::{boolean, int, int_or_string, label_map, list, selector, string, strings, W};
use crate::model::*;

pub(super) fn rule(w: &mut W, rule: &Rule) {
    w.map(|w| {
        w.opt("description", rule.description.as_ref(), string);
        w.opt("endpointSelector", rule.endpoint_selector.as_ref(), |w, s| {
            selector(w, s)
        });
        w.opt("nodeSelector", rule.node_selector.as_ref(), |w, s| selector(w, s));
        w.opt("enableDefaultDeny", rule.enable_default_deny.as_ref(), |w, d| {
            w.map(|w| {
                w.opt("ingress", d.ingress.as_ref(), boolean);
                w.opt("egress", d.egress.as_ref(), boolean);
            })
        });
        for (direction, _, field, rules) in rule.sections() {
            w.opt(field, rules, |w, l| list(w, l, |w, r| peer_rule(w, r, direction)));
        }
        w.opt("labels", rule.labels.as_ref(), |w, l| {
            list(w, l, |w, label| {
                w.map(|w| {
                    w.opt("key", label.key.as_ref(), string);
                    w.opt("value", label.value.as_ref(), string);
                    w.opt("source", label.source.as_ref(), string);
                })
            })
        });
        w.opt("log", rule.log.as_ref(), |w, l| {
            w.map(|w| w.opt("value", l.value.value.as_ref(), string));
        });
    });
}

fn peer_rule(w: &mut W, rule: &PeerRule, direction: Direction) {
    let f = |kind: PeerKind| kind.field(direction);
    w.map(|w| {
        w.opt(f(PeerKind::Endpoints), rule.endpoints.as_ref(), |w, l| {
            list(w, l, selector)
        });
        w.opt(f(PeerKind::Requires), rule.requires.as_ref(), |w, l| {
            list(w, l, super::write_node)
        });
        w.opt(f(PeerKind::Cidr), rule.cidr.as_ref(), strings);
        w.opt(f(PeerKind::CidrSet), rule.cidr_set.as_ref(), |w, l| {
            list(w, l, cidr_rule)
        });
        w.opt(f(PeerKind::Entities), rule.entities.as_ref(), |w, l| {
            w.seq(l.iter(), |w, e| w.str(e.as_str()))
        });
        w.opt(f(PeerKind::Groups), rule.groups.as_ref(), |w, l| list(w, l, group));
        w.opt(f(PeerKind::Nodes), rule.nodes.as_ref(), |w, l| list(w, l, selector));
        w.opt(f(PeerKind::Services), rule.services.as_ref(), |w, l| {
            list(w, l, service)
        });
        w.opt(f(PeerKind::Fqdns), rule.fqdns.as_ref(), |w, l| list(w, l, fqdn));
        w.opt("toPorts", rule.to_ports.as_ref(), |w, l| list(w, l, port_rule));
        w.opt("icmps", rule.icmps.as_ref(), |w, l| list(w, l, icmp_rule));
        w.opt("authentication", rule.authentication.as_ref(), |w, a| {
            w.map(|w| w.opt("mode", a.mode.as_ref(), string));
        });
    });
}

fn cidr_rule(w: &mut W, rule: &CidrRule) {
    w.map(|w| {
        w.opt("cidr", rule.cidr.as_ref(), string);
        w.opt("cidrGroupRef", rule.cidr_group_ref.as_ref(), string);
        w.opt("cidrGroupSelector", rule.cidr_group_selector.as_ref(), |w, s| {
            selector(w, s)
        });
        w.opt("except", rule.except.as_ref(), strings);
    });
}

fn group(w: &mut W, group: &Group) {
    w.map(|w| {
        w.opt("aws", group.aws.as_ref(), |w, a| {
            w.map(|w| {
                w.opt("labels", a.labels.as_ref(), |w, m| label_map(w, m));
                w.opt("securityGroupsIds", a.security_groups_ids.as_ref(), strings);
                w.opt("securityGroupsNames", a.security_groups_names.as_ref(), strings);
                w.opt("region", a.region.as_ref(), string);
            })
        });
    });
}

fn service(w: &mut W, service: &ServiceSelector) {
    w.map(|w| {
        w.opt("k8sService", service.k8s_service.as_ref(), |w, s| {
            w.map(|w| {
                w.opt("serviceName", s.service_name.as_ref(), string);
                w.opt("namespace", s.namespace.as_ref(), string);
            })
        });
        w.opt("k8sServiceSelector", service.k8s_service_selector.as_ref(), |w, s| {
            w.map(|w| {
                w.opt("selector", s.selector.as_ref(), |w, s| selector(w, s));
                w.opt("namespace", s.namespace.as_ref(), string);
            })
        });
    });
}

fn fqdn(w: &mut W, fqdn: &FqdnSelector) {
    w.map(|w| {
        w.opt("matchName", fqdn.match_name.as_ref(), string);
        w.opt("matchPattern", fqdn.match_pattern.as_ref(), string);
    });
}

fn port_rule(w: &mut W, rule: &PortRule) {
    w.map(|w| {
        w.opt("ports", rule.ports.as_ref(), |w, l| {
            list(w, l, |w, p| {
                w.map(|w| {
                    w.opt("port", p.port.as_ref(), string);
                    w.opt("endPort", p.end_port.as_ref(), int);
                    w.opt("protocol", p.protocol.as_ref(), |w, p| w.str(p.as_str()));
                })
            })
        });
        w.opt("terminatingTLS", rule.terminating_tls.as_ref(), |w, t| tls(w, t));
        w.opt("originatingTLS", rule.originating_tls.as_ref(), |w, t| tls(w, t));
        w.opt("serverNames", rule.server_names.as_ref(), strings);
        w.opt("listener", rule.listener.as_ref(), |w, l| {
            w.map(|w| {
                w.opt("envoyConfig", l.envoy_config.as_ref(), |w, c| {
                    w.map(|w| {
                        w.opt("kind", c.kind.as_ref(), string);
                        w.opt("name", c.name.as_ref(), string);
                    })
                });
                w.opt("name", l.name.as_ref(), string);
                w.opt("priority", l.priority.as_ref(), int);
            })
        });
        w.opt("rules", rule.rules.as_ref(), |w, r| l7_rules(w, r));
    });
}

fn tls(w: &mut W, tls: &TlsContext) {
    w.map(|w| {
        w.opt("secret", tls.secret.as_ref(), |w, s| secret(w, s));
        w.opt("trustedCA", tls.trusted_ca.as_ref(), string);
        w.opt("certificate", tls.certificate.as_ref(), string);
        w.opt("privateKey", tls.private_key.as_ref(), string);
    });
}

fn secret(w: &mut W, secret: &SecretRef) {
    w.map(|w| {
        w.opt("name", secret.name.as_ref(), string);
        w.opt("namespace", secret.namespace.as_ref(), string);
    });
}

fn l7_rules(w: &mut W, rules: &L7Rules) {
    w.map(|w| {
        w.opt("http", rules.http.as_ref(), |w, l| {
            list(w, l, |w, h| {
                w.map(|w| {
                    w.opt("path", h.path.as_ref(), string);
                    w.opt("method", h.method.as_ref(), string);
                    w.opt("host", h.host.as_ref(), string);
                    w.opt("headers", h.headers.as_ref(), strings);
                    w.opt("headerMatches", h.header_matches.as_ref(), |w, l| {
                        list(w, l, |w, m| {
                            w.map(|w| {
                                w.opt("name", m.name.as_ref(), string);
                                w.opt("value", m.value.as_ref(), string);
                                w.opt("secret", m.secret.as_ref(), |w, s| secret(w, s));
                                w.opt("mismatch", m.mismatch.as_ref(), string);
                            })
                        })
                    });
                })
            })
        });
        w.opt("dns", rules.dns.as_ref(), |w, l| list(w, l, fqdn));
        w.opt("kafka", rules.kafka.as_ref(), |w, l| {
            list(w, l, |w, k| {
                w.map(|w| {
                    w.opt("role", k.role.as_ref(), string);
                    w.opt("apiKey", k.api_key.as_ref(), string);
                    w.opt("apiVersion", k.api_version.as_ref(), string);
                    w.opt("clientID", k.client_id.as_ref(), string);
                    w.opt("topic", k.topic.as_ref(), string);
                })
            })
        });
        w.opt("l7proto", rules.l7proto.as_ref(), string);
        w.opt("l7", rules.l7.as_ref(), |w, l| list(w, l, label_map));
    });
}

fn icmp_rule(w: &mut W, rule: &IcmpRule) {
    w.map(|w| {
        w.opt("fields", rule.fields.as_ref(), |w, l| {
            list(w, l, |w, f| {
                w.map(|w| {
                    w.opt("family", f.family.as_ref(), string);
                    w.opt("type", f.icmp_type.as_ref(), |w, t| int_or_string(w, t));
                })
            })
        });
    });
}
