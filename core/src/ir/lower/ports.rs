//! Ports, shared by every kind: the model's port fields → `PortProto`s.

use super::super::{PortNumber, PortProto, PortRule, Proto, Selector, SelectorKey, Source, L7};
use crate::model::{self, IntOrString, LabelSelector, Protocol};

/// A model protocol as an entry protocol.
pub(crate) fn proto(p: Protocol) -> Proto {
    match p {
        Protocol::Tcp => Proto::Tcp,
        Protocol::Udp => Proto::Udp,
        Protocol::Sctp => Proto::Sctp,
        Protocol::Any => Proto::Any,
        other => Proto::Other(other),
    }
}

/// A port number or name as written in a Cilium port (a string).
pub(super) fn port_number(port: &str) -> PortNumber {
    match port.parse::<u16>() {
        Ok(n) => PortNumber::Number(n),
        Err(_) => PortNumber::Named(port.to_ascii_lowercase()),
    }
}

/// A NetworkPolicy port (§1.6): protocol TCP by default, port 0 (all) by
/// default, a named port kept as its name, `endPort` as the range end.
pub(super) fn knp_port(port: &model::NetworkPolicyPort) -> PortRule {
    let protocol = port.protocol.as_ref().map_or(Proto::Tcp, |p| proto(p.value));
    let number = match port.port.as_ref().map(|p| &p.value) {
        None => PortNumber::Number(0),
        Some(IntOrString::Int(n)) => PortNumber::Number(u16::try_from(*n).unwrap_or(0)),
        Some(IntOrString::Str(name)) => PortNumber::Named(name.clone()),
    };
    PortRule {
        ports: vec![PortProto {
            port: number,
            end_port: port.end_port.as_ref().and_then(|e| u16::try_from(e.value).ok()),
            protocol,
        }],
        l7: None,
    }
}

/// A Kubernetes label selector with every key in the `k8s` source, as the
/// NetworkPolicy translation writes them; `prefix` goes before each key
/// (namespace selectors become `io.cilium.k8s.namespace.labels.<key>`).
pub(super) fn k8s_selector(selector: Option<&LabelSelector>, prefix: &str) -> Selector {
    let mut out = Selector::wildcard();
    let Some(selector) = selector else { return out };
    if let Some(labels) = &selector.match_labels {
        for (k, v) in labels.iter() {
            out.add_label(SelectorKey::new(Source::K8s, format!("{prefix}{k}")), v);
        }
    }
    for r in selector.match_expressions.iter().flat_map(|l| l.iter()) {
        out.add_expression(
            SelectorKey::new(Source::K8s, format!("{prefix}{}", r.key.value)),
            op(r.operator.value),
            values(r),
        );
    }
    out
}

/// A Cilium endpoint selector: keys keep their `source:` prefix; a key
/// without one gets `default` (`any` for endpoints, `node` for nodes).
pub(super) fn cilium_selector(selector: &LabelSelector, default: Source) -> Selector {
    let mut out = Selector::wildcard();
    if let Some(labels) = &selector.match_labels {
        for (k, v) in labels.iter() {
            out.add_label(SelectorKey::parse(k, default.clone()), v);
        }
    }
    for r in selector.match_expressions.iter().flat_map(|l| l.iter()) {
        out.add_expression(
            SelectorKey::parse(&r.key.value, default.clone()),
            op(r.operator.value),
            values(r),
        );
    }
    out
}

fn op(op: model::Operator) -> super::super::Op {
    match op {
        model::Operator::In => super::super::Op::In,
        model::Operator::NotIn => super::super::Op::NotIn,
        model::Operator::Exists => super::super::Op::Exists,
        model::Operator::DoesNotExist => super::super::Op::DoesNotExist,
    }
}

fn values(r: &model::Requirement) -> Vec<String> {
    r.values
        .iter()
        .flat_map(|v| v.iter().map(|s| s.value.clone()))
        .collect()
}

/// A Cilium `toPorts` item: its ports (port 0 = all, ANY by default) and L7.
pub(super) fn cilium_port_rule(rule: &model::PortRule) -> PortRule {
    let ports = rule
        .ports
        .iter()
        .flat_map(|l| l.iter())
        .map(|p| PortProto {
            port: p.port.as_ref().map_or(PortNumber::Number(0), |s| port_number(&s.value)),
            end_port: p
                .end_port
                .as_ref()
                .and_then(|e| u16::try_from(e.value).ok())
                .filter(|e| *e > 0),
            protocol: p.protocol.as_ref().map_or(Proto::Any, |s| proto(s.value)),
        })
        .collect();
    PortRule {
        ports,
        l7: rule.rules.as_ref().and_then(|r| l7(r)),
    }
}

/// L7 rules as text: `GET /api/.*`, `dns *.example.com`.
fn l7(rules: &model::L7Rules) -> Option<L7> {
    if let Some(http) = &rules.http {
        let rules = http
            .iter()
            .map(|h| {
                let mut parts = Vec::new();
                parts.push(h.method.as_ref().map_or("*".to_owned(), |m| m.value.clone()));
                parts.push(h.path.as_ref().map_or("/*".to_owned(), |p| p.value.clone()));
                if let Some(host) = &h.host {
                    parts.push(format!("host={}", host.value));
                }
                for header in h.headers.iter().flat_map(|l| l.iter()) {
                    parts.push(format!("header={}", header.value));
                }
                parts.join(" ")
            })
            .collect();
        return Some(L7 {
            protocol: "http".to_owned(),
            rules,
        });
    }
    if let Some(dns) = &rules.dns {
        let rules = dns
            .iter()
            .map(|f| {
                f.match_name
                    .as_ref()
                    .or(f.match_pattern.as_ref())
                    .map_or(String::new(), |s| s.value.clone())
            })
            .collect();
        return Some(L7 {
            protocol: "dns".to_owned(),
            rules,
        });
    }
    if let Some(kafka) = &rules.kafka {
        let rules = kafka
            .iter()
            .map(|k| {
                let mut parts = Vec::new();
                if let Some(role) = &k.role {
                    parts.push(format!("role={}", role.value));
                }
                if let Some(topic) = &k.topic {
                    parts.push(format!("topic={}", topic.value));
                }
                parts.join(" ")
            })
            .collect();
        return Some(L7 {
            protocol: "kafka".to_owned(),
            rules,
        });
    }
    rules.l7proto.as_ref().map(|name| L7 {
        protocol: name.value.clone(),
        rules: rules
            .l7
            .iter()
            .flat_map(|l| l.iter())
            .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
            .collect(),
    })
}
