//! NP609: named ports that mean different numbers on the pods they apply to
//! (peers-and-aks §1.1 item 3, cilium/cilium#30003). A name is looked up on
//! the destination: on ingress the policy's own pods, on egress the peer
//! pods (cilium-semantics §1.6).
//!
//! Refinement over Microsoft's validator, which flags every named port (and
//! panics on a protocol-only entry such as `{protocol: UDP}`): the given
//! workloads' container ports decide. A name that every pod it applies to
//! resolves to the same number is fine; one that resolves to different
//! numbers, or on some pods not at all, is flagged; with no workloads to
//! tell, nothing is said. Port entries without a port are skipped.

use std::collections::BTreeSet;

use super::{workload_kind, Checks, Document};
use crate::cluster::Endpoint;
use crate::diagnostic::Code;
use crate::ir::{lower::ports::proto, Proto, Subject};
use crate::model::{Direction, IntOrString, Manifest, Protocol, Str};
use crate::source::Span;

/// A named port as written: where, in which rule, for which protocol.
struct NamedPort<'d> {
    name: String,
    span: Span,
    path: String,
    rule_path: String,
    direction: Direction,
    protocol: Proto,
    document: &'d Document,
}

pub(super) fn run(c: &mut Checks<'_>) {
    let mut found = Vec::new();
    for document in c.documents() {
        collect(document, &mut found);
    }
    for port in found {
        check(c, &port);
    }
}

/// Every named port of a NetworkPolicy or Cilium policy.
fn collect<'d>(document: &'d Document, out: &mut Vec<NamedPort<'d>>) {
    match &document.manifest {
        Manifest::NetworkPolicy(policy) => {
            let Some(spec) = &policy.spec else { return };
            for (direction, field, rules) in [
                (Direction::Ingress, "ingress", &spec.ingress),
                (Direction::Egress, "egress", &spec.egress),
            ] {
                for (i, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
                    for (k, port) in rule.ports.iter().flat_map(|l| l.iter()).enumerate() {
                        // A protocol-only entry has no port: nothing to resolve.
                        let Some(IntOrString::Str(name)) = port.port.as_ref().map(|p| &p.value) else {
                            continue;
                        };
                        let rule_path = format!("spec.{field}[{i}]");
                        out.push(NamedPort {
                            name: name.clone(),
                            span: port.port.as_ref().map_or(port.span, |p| p.span),
                            path: format!("{rule_path}.ports[{k}].port"),
                            rule_path,
                            direction,
                            protocol: port.protocol.as_ref().map_or(Proto::Tcp, |p| proto(p.value)),
                            document,
                        });
                    }
                }
            }
        }
        Manifest::CiliumNetworkPolicy(policy) | Manifest::CiliumClusterwideNetworkPolicy(policy) => {
            for (prefix, rule) in policy.rules() {
                for (direction, _, field, list) in rule.sections() {
                    for (i, peer_rule) in list.iter().flat_map(|l| l.iter()).enumerate() {
                        let rule_path = format!("{prefix}.{field}[{i}]");
                        for (k, port_rule) in peer_rule.to_ports.iter().flat_map(|l| l.iter()).enumerate() {
                            for (m, port) in port_rule.ports.iter().flat_map(|l| l.iter()).enumerate() {
                                let Some(name) = port.port.as_ref().filter(|p| is_name(p)) else {
                                    continue;
                                };
                                out.push(NamedPort {
                                    name: name.value.trim().to_ascii_lowercase(),
                                    span: name.span,
                                    path: format!("{rule_path}.toPorts[{k}].ports[{m}].port"),
                                    rule_path: rule_path.clone(),
                                    direction,
                                    protocol: proto(port.protocol.as_ref().map_or(Protocol::Any, |p| p.value)),
                                    document,
                                });
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// A Cilium port string that is a name, not a number.
fn is_name(port: &Str) -> bool {
    let text = port.value.trim();
    !text.is_empty() && text.parse::<u16>().is_err()
}

/// The numbers `port` has on `pod` (empty: the pod does not name it).
fn numbers(port: &NamedPort<'_>, pod: &Endpoint) -> BTreeSet<u16> {
    crate::sort::set(
        pod.ports
            .iter()
            .filter(|p| {
                p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&port.name))
                    && port.protocol.covers(p.protocol)
            })
            .map(|p| p.port),
    )
}

/// NP609 for one named port: the pods it is looked up on, by what it means there.
fn check(c: &mut Checks<'_>, port: &NamedPort<'_>) {
    let after = c.after();
    let engine = after.engine();
    let lowered = &after.lowered;
    let pods: Vec<&Endpoint> = after.cluster.endpoints.iter().filter(|e| e.is_pod()).collect();
    let mut destinations: Vec<&Endpoint> = Vec::new();
    for entry in &lowered.entries {
        let of_rule = entry.origin.path == port.rule_path
            || entry
                .origin
                .path
                .strip_prefix(port.rule_path.as_str())
                .is_some_and(|rest| rest.starts_with('.'));
        let same_document = lowered
            .policies
            .get(entry.origin.policy)
            .is_some_and(|p| p.document == port.document.index);
        let Subject::Endpoints(subject) = &entry.subject else {
            continue;
        };
        if !of_rule || !same_document {
            continue;
        }
        for pod in &pods {
            let applies = match port.direction {
                Direction::Ingress => subject.matches(&pod.labels),
                // A pod's identity does not depend on who looks at it, so
                // the pod itself stands in for the subject here.
                Direction::Egress => engine.l3_matches(&entry.l3, pod, pod),
            };
            if applies && !destinations.iter().any(|d| std::ptr::eq(*d, *pod)) {
                destinations.push(pod);
            }
        }
    }
    let mut meanings: Vec<(BTreeSet<u16>, &Endpoint)> = Vec::new();
    for pod in destinations {
        let n = numbers(port, pod);
        if !meanings.iter().any(|(m, _)| *m == n) {
            meanings.push((n, pod));
        }
    }
    if meanings.len() < 2 {
        return;
    }
    let say = |n: &BTreeSet<u16>| match n.len() {
        0 => "nothing (no container port has that name)".to_owned(),
        _ => n.iter().map(u16::to_string).collect::<Vec<_>>().join(" and "),
    };
    let list: Vec<String> = meanings
        .iter()
        .map(|(n, pod)| format!("{} on {}", say(n), pod.name))
        .collect();
    let whose = match port.direction {
        Direction::Ingress => "the pods this policy selects",
        Direction::Egress => "the destination pods",
    };
    let message = format!(
        "named port `{}` means different things on {whose}: {}; Cilium may enforce such a name wrongly (cilium/cilium#30003)",
        port.name,
        list.join(", ")
    );
    let hint = "write the port number instead, one port entry per number (split the rule if the numbers belong to different pods)".to_owned();
    let d = c.report(
        Code::AmbiguousNamedPort,
        port.document,
        port.span,
        &port.path,
        message,
        hint,
    );
    for (n, pod) in &meanings {
        if let Some(span) = pod.span {
            d.related.push(crate::diagnostic::Related {
                span,
                message: format!(
                    "{} {} resolves `{}` to {}",
                    workload_kind(pod),
                    pod.name,
                    port.name,
                    say(n)
                ),
            });
        }
    }
}
